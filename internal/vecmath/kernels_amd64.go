//go:build !purego

package vecmath

import "github.com/mixgraph/mixgraph/internal/gemm"

//go:noescape
func tanh64(dst, src *float64, n int)

//go:noescape
func tanh32(dst, src *float32, n int)

//go:noescape
func exp64(dst, src *float64, n int)

//go:noescape
func exp32(dst, src *float32, n int)

// The eight-lane AVX-512 kernels: the four-lane ones' operations on twice the lanes, the
// same bits (TestAVX512KernelsMatchAVX2).

//go:noescape
func tanh64z(dst, src *float64, n int)

//go:noescape
func tanh32z(dst, src *float32, n int)

//go:noescape
func exp64z(dst, src *float64, n int)

//go:noescape
func exp32z(dst, src *float32, n int)

//go:noescape
func adam64z(k *AdamConsts[float64], w, grad, m, v *float64, n int)

//go:noescape
func adam32z(k *AdamConsts[float32], w, grad, m, v *float32, n int)

func init() {
	if gemm.HasAVX2FMA {
		tanhBlock64, tanhBlock32, Kernel = tanh64, tanh32, "avx2-fma"
		expBlock64, expBlock32 = exp64, exp32
	}
	// The eight-lane kernels follow the GEMM's choice, so that MIXGRAPH_GEMM_KERNEL=avx2-fma
	// runs the four-lane ones too (gemm's init runs before this one).
	if gemm.Kernel == "avx512" && Kernel == "avx2-fma" {
		tanhBlock64, tanhBlock32, Kernel = tanh64z, tanh32z, "avx512"
		expBlock64, expBlock32 = exp64z, exp32z
		adamZ = true
	}
}

// adamZ says whether AdamUpdate uses the AVX-512 kernels.
var adamZ bool

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
