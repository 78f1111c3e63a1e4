//go:build !purego

package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mixgraph/mixgraph/internal/gemm"
)

// The eight-lane AVX-512 kernels give the four-lane AVX2 kernels' bits on every value,
// special ones included, for every length (so through the eight-lane loop and the
// four-lane remainder), in both dtypes.
func TestAVX512KernelsMatchAVX2(t *testing.T) {
	if !gemm.HasAVX512 {
		t.Skip("the CPU has no AVX-512")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 1e-300, -1e-20, 0.3465, 0.3466, 709.78, 709.79, 710, 800,
		-708, -708.5, -720, -740, -745.1, -745.2, -746, -1000, 19.06, -19.06, 20, 40, -41, 5e-9,
		math.Inf(1), math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64, math.MaxFloat64}
	for range 4000 {
		xs = append(xs, (2*rng.Float64()-1)*750, rng.NormFloat64()*3)
	}
	for len(xs)%8 != 4 { // a remainder of four after the eight-lane loop
		xs = append(xs, rng.NormFloat64())
	}
	xs32 := make([]float32, len(xs))
	for i, v := range xs {
		xs32[i] = float32(v)
	}
	for _, k := range []struct {
		name     string
		z64, a64 block[float64]
		z32, a32 block[float32]
	}{{"tanh", tanh64z, tanh64, tanh32z, tanh32}, {"exp", exp64z, exp64, exp32z, exp32}} {
		for _, n := range []int{4, 8, 12, len(xs)} {
			got, want := make([]float64, n), make([]float64, n)
			k.z64(&got[0], &xs[0], n)
			k.a64(&want[0], &xs[0], n)
			for i := range got {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
					t.Fatalf("%s64(%g), %d elements: avx512 %g, avx2 %g", k.name, xs[i], n, got[i], want[i])
				}
			}
			got32, want32 := make([]float32, n), make([]float32, n)
			k.z32(&got32[0], &xs32[0], n)
			k.a32(&want32[0], &xs32[0], n)
			for i := range got32 {
				if math.Float32bits(got32[i]) != math.Float32bits(want32[i]) && !(got32[i] != got32[i] && want32[i] != want32[i]) {
					t.Fatalf("%s32(%g), %d elements: avx512 %g, avx2 %g", k.name, xs32[i], n, got32[i], want32[i])
				}
			}
		}
	}
}
