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

// Scale, AllFinite and SumSquares against plain loops written out here, with special
// values (NaN and ±Inf among them for AllFinite and SumSquares) at every length up to 40.
func TestReductionsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float64{math.Inf(1), math.Inf(-1), math.NaN(), 1e300, -2.5, 0}
	for n := range 41 {
		for _, withSpecial := range []bool{false, true} {
			a, b := make([]float64, n), make([]float64, n)
			for i := range a {
				a[i], b[i] = rng.NormFloat64()*2, rng.NormFloat64()
			}
			if withSpecial && n > 0 {
				a[rng.IntN(n)] = special[rng.IntN(len(special))]
			}
			checkReductions(t, n, a, b, 0.7, math.Float64bits)
			f := func(x []float64) []float32 {
				y := make([]float32, len(x))
				for i, v := range x {
					y[i] = float32(v)
				}
				return y
			}
			checkReductions(t, n, f(a), f(b), float32(0.7), math.Float32bits)
		}
	}
}

func checkReductions[T float32 | float64, B comparable](t *testing.T, n int, a, b []T, w T, bits func(T) B) {
	t.Helper()
	for _, add := range []bool{false, true} {
		got := append([]T(nil), b...)
		Scale(got, a, w, add)
		for i := range got {
			want := T(w * a[i])
			if add {
				want = b[i] + want
			}
			if bits(got[i]) != bits(want) {
				t.Errorf("n=%d: Scale(add=%v) element %d = %v, want %v", n, add, i, got[i], want)
			}
		}
	}
	finite := true
	for _, v := range a {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			finite = false
		}
	}
	if got := AllFinite(a); got != finite {
		t.Errorf("n=%d: AllFinite = %v, want %v (%v)", n, got, finite, a)
	}
	var s [4]float64
	want := 0
	for j, x := range a {
		c := j % 4
		if j >= len(a)&^3 {
			c = 0
		}
		v := float64(x)
		s[c] += float64(v * v)
		if math.Abs(v) > 0.7 {
			want++
		}
	}
	sq := (s[0] + s[1]) + (s[2] + s[3])
	gotSq, gotN := SumSquares(a, 0.7)
	if math.Float64bits(gotSq) != math.Float64bits(sq) && !(math.IsNaN(gotSq) && math.IsNaN(sq)) || gotN != want {
		t.Errorf("n=%d: SumSquares = %v, %d; want %v, %d", n, gotSq, gotN, sq, want)
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
