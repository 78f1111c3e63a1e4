//go:build !purego

package gemm

//go:noescape
func packS6(dst, a *float32, lda, n int, alpha float32)

//go:noescape
func packS6T(dst, a *float32, lda, k, strips, stride int, alpha float32)

//go:noescape
func packT8(dst *float32, nr int, b *float32, ldb, n int)
