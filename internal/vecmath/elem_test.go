package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// AddTo and TanhGrad give the bits of the plain one-at-a-time loops, written out here
// with explicit conversions (no fused multiply-add), at every length up to 40 and with
// special values, in float32 and float64.
func TestElemKernelsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1, -1, 1e-40, 1e30, 5e-324}
	for n := range 41 {
		a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range a {
			a[i], b[i], c[i] = rng.NormFloat64(), rng.NormFloat64()*3, rng.NormFloat64()
			if rng.IntN(5) == 0 {
				b[i] = special[rng.IntN(len(special))]
			}
		}
		checkElem(t, n, a, b, c, math.Float64bits)
		f := func(x []float64) []float32 {
			y := make([]float32, len(x))
			for i, v := range x {
				y[i] = float32(v)
			}
			return y
		}
		checkElem(t, n, f(a), f(b), f(c), math.Float32bits)
	}
}

func checkElem[T float32 | float64, B comparable](t *testing.T, n int, a, b, c []T, bits func(T) B) {
	t.Helper()
	got := append([]T(nil), a...)
	AddTo(got, b)
	for i := range got {
		if want := a[i] + b[i]; bits(got[i]) != bits(want) {
			t.Errorf("n=%d: AddTo element %d: %v + %v = %v, want %v", n, i, a[i], b[i], got[i], want)
		}
	}
	dz := make([]T, n)
	TanhGrad(dz, b, c)
	inPlace := append([]T(nil), c...)
	TanhGrad(inPlace, b, inPlace)
	for i := range dz {
		yy := T(b[i] * b[i])
		want := c[i] * T(1-yy)
		if bits(dz[i]) != bits(want) || bits(inPlace[i]) != bits(want) {
			t.Errorf("n=%d: TanhGrad element %d: y %v, dy %v: %v (in place %v), want %v", n, i, b[i], c[i], dz[i], inPlace[i], want)
		}
	}
}

func BenchmarkElem(b *testing.B) {
	const n = 1 << 15
	x, y, z := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i)*1e-5, 0.5
	}
	b.Run("AddTo32", func(b *testing.B) {
		for b.Loop() {
			AddTo(z, x)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
	})
	b.Run("TanhGrad32", func(b *testing.B) {
		for b.Loop() {
			TanhGrad(z, x, y)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
	})
}
