//go:build !purego

package vecmath

import (
	"unsafe"

	"github.com/mixgraph/mixgraph/internal/gemm"
)

//go:noescape
func tanh64(dst, src *float64, n int)

//go:noescape
func tanh32(dst, src *float32, n int)

//go:noescape
func exp64(dst, src *float64, n int)

//go:noescape
func exp32(dst, src *float32, n int)

//go:noescape
func tanh64x8(dst, src *float64, n int)

//go:noescape
func exp64x8(dst, src *float64, n int)

//go:noescape
func tanh32x16(dst, src *float32, n int)

//go:noescape
func exp32x16(dst, src *float32, n int)

// wide runs an AVX-512 kernel of 2·lanes lanes over n (a multiple of lanes) elements and
// its AVX2 form of lanes lanes over a last lanes; both give the same bits.
func wide[T float32 | float64](lanes int, kw, k block[T]) block[T] {
	return func(dst, src *T, n int) {
		nw := n &^ (2*lanes - 1)
		if nw > 0 {
			kw(dst, src, nw)
		}
		if nw < n {
			size := uintptr(unsafe.Sizeof(*dst))
			k((*T)(unsafe.Add(unsafe.Pointer(dst), size*uintptr(nw))), (*T)(unsafe.Add(unsafe.Pointer(src), size*uintptr(nw))), n-nw)
		}
	}
}

func init() {
	if gemm.HasAVX2FMA { // the same CPU features: AVX2 and FMA
		tanhBlock64, tanhBlock32, Kernel = tanh64, tanh32, "avx2-fma"
		expBlock64, expBlock32 = exp64, exp32
	}
	if gemm.HasAVX512 && gemm.Kernel == "avx512" { // not when MIXGRAPH_GEMM_KERNEL forces AVX2
		tanhBlock64, expBlock64, Kernel = wide(4, tanh64x8, tanh64), wide(4, exp64x8, exp64), "avx512"
		tanhBlock32, expBlock32 = wide(8, tanh32x16, tanh32), wide(8, exp32x16, exp32)
	}
}

//go:noescape
func adam64z(k *AdamConsts[float64], w, grad, m, v *float64, n int)

//go:noescape
func adam32z(k *AdamConsts[float32], w, grad, m, v *float32, n int)

// adamZ says whether AdamUpdate uses the AVX-512 kernels (adam_amd64.s): with the GEMM's
// AVX-512 kernels, so not when MIXGRAPH_GEMM_KERNEL forces AVX2 (the results are the same).
var adamZ = gemm.HasAVX512 && gemm.Kernel == "avx512"

// adamBlocks64 updates the longest prefix of a multiple of eight elements with the AVX-512
// kernel, when there is one, and returns its length. (A direct call, unlike a function
// value, lets k stay on the caller's stack.)
func adamBlocks64(k *AdamConsts[float64], w, g, m, v []float64) int {
	n := len(g) &^ 7
	if !adamZ || n == 0 {
		return 0
	}
	adam64z(k, &w[0], &g[0], &m[0], &v[0], n)
	return n
}

// adamBlocks32 is adamBlocks64 for float32, sixteen elements at a time.
func adamBlocks32(k *AdamConsts[float32], w, g, m, v []float32) int {
	n := len(g) &^ 15
	if !adamZ || n == 0 {
		return 0
	}
	adam32z(k, &w[0], &g[0], &m[0], &v[0], n)
	return n
}
