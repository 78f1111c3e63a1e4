//go:build !purego

package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mixgraph/mixgraph/internal/gemm"
)

// The AVX-512 kernels compute the AVX2 ones' operations on twice the lanes (eight float64,
// sixteen float32): the same bits for every input, special values included, at every
// length (the last four or eight through AVX2).
func TestWideKernelsSameBits(t *testing.T) {
	if !gemm.HasAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, -5e-324,
		2.2250738585072014e-308, 1e-300, -1e-10, 0.34657359027997264, 19.99, 20, 20.01, -40, 709.78, 709.79, -745.1, -745.2, 1e300}
	special32 := []float32{0x1p-149, -0x1p-149, 0x1p-126, 1e-30, -1e-7, 0.3465736, 9.99, 10, 10.01, -20,
		88.72283, 88.72284, 89, -87.33655, -103.27893, -103.97208, -104, -110}
	for _, n := range []int{8, 16, 24, 32, 40, 72, 1032} {
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
			wide(4, f.k8, f.k4)(&got[0], &src[0], n)
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
			if i%3 == 0 && i%2 == 0 {
				src32[i] = special32[rng.IntN(len(special32))]
			}
		}
		for _, f := range []struct {
			name   string
			k8, k4 block[float32]
		}{{"tanh32", tanh32x16, tanh32}, {"exp32", exp32x16, exp32}} {
			got, want := make([]float32, n), make([]float32, n)
			wide(8, f.k8, f.k4)(&got[0], &src32[0], n)
			f.k4(&want[0], &src32[0], n)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s(%v), n = %d, element %d: AVX-512 %v, AVX2 %v", f.name, src32[i], n, i, got[i], want[i])
				}
			}
		}
	}
}

// The same, over every 97th float32 bit pattern (all signs, subnormals, infinities and
// NaNs included), in chunks.
func TestWideKernelsSameBits32Sweep(t *testing.T) {
	if !gemm.HasAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	const stride, chunk = 97, 1 << 16
	src := make([]float32, chunk)
	got, want := make([]float32, chunk), make([]float32, chunk)
	for _, f := range []struct {
		name   string
		k8, k4 block[float32]
	}{{"tanh32", tanh32x16, tanh32}, {"exp32", exp32x16, exp32}} {
		for b := uint64(0); b < 1<<32; b += stride * chunk {
			for i := range src {
				src[i] = math.Float32frombits(uint32(b + stride*uint64(i)))
			}
			wide(8, f.k8, f.k4)(&got[0], &src[0], chunk)
			f.k4(&want[0], &src[0], chunk)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s(%v): AVX-512 %v, AVX2 %v", f.name, src[i], got[i], want[i])
				}
			}
		}
	}
}
