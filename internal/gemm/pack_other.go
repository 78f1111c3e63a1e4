//go:build !amd64 || purego

package gemm

func packS6(dst, a *float32, lda, n int, alpha float32) { panic("gemm: no assembly packing") }

func packS6T(dst, a *float32, lda, k, strips, stride int, alpha float32) {
	panic("gemm: no assembly packing")
}

func packT8(dst *float32, nr int, b *float32, ldb, n int) { panic("gemm: no assembly packing") }
