//go:build !amd64 || purego

package gemm

func packS6(dst, a *float32, lda, n int, alpha float32) { panic("gemm: no assembly packing") }

func packS6T(dst, a *float32, lda, k, strips, stride int, alpha float32) {
	panic("gemm: no assembly packing")
}
