//go:build !purego

package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mixgraph/mixgraph/internal/gemm"
)

// The AVX-512 kernels compute the AVX2 ones' operations on eight lanes: the same bits for
// every input, special values included, at every length (the last four through AVX2).
func TestWideKernelsSameBits(t *testing.T) {
	if !gemm.HasAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, -5e-324,
		2.2250738585072014e-308, 1e-300, -1e-10, 0.34657359027997264, 19.99, 20, 20.01, -40, 709.78, 709.79, -745.1, -745.2, 1e300}
	for _, n := range []int{4, 8, 12, 16, 20, 36, 1028} {
		src := make([]float64, n)
		for i := range src {
			switch i % 3 {
			case 0:
				src[i] = special[rng.IntN(len(special))]
			case 1:
				src[i] = 30 * rng.NormFloat64()
			default:
				src[i] = math.Ldexp(rng.Float64()-0.5, rng.IntN(40)-30)
			}
		}
		for _, f := range []struct {
			name   string
			k8, k4 block[float64]
		}{{"tanh", tanh64x8, tanh64}, {"exp", exp64x8, exp64}} {
			got, want := make([]float64, n), make([]float64, n)
			wide(f.k8, f.k4)(&got[0], &src[0], n)
			f.k4(&want[0], &src[0], n)
			for i := range got {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("%s(%v), n = %d, element %d: AVX-512 %v, AVX2 %v", f.name, src[i], n, i, got[i], want[i])
				}
			}
		}
		src32 := make([]float32, n)
		for i, v := range src {
			src32[i] = float32(v)
		}
		for _, f := range []struct {
			name   string
			k8, k4 block[float32]
		}{{"tanh32", tanh32x8, tanh32}, {"exp32", exp32x8, exp32}} {
			got, want := make([]float32, n), make([]float32, n)
			wide(f.k8, f.k4)(&got[0], &src32[0], n)
			f.k4(&want[0], &src32[0], n)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s(%v), n = %d, element %d: AVX-512 %v, AVX2 %v", f.name, src32[i], n, i, got[i], want[i])
				}
			}
		}
	}
}
