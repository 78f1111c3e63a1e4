package vecmath

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// tanhRef is tanh(x) to well beyond float64 precision, from big.Float arithmetic:
// tanh x = (1 − e^(−2x)) / (1 + e^(−2x)) for x > 0, with e^y summed as a series after
// halving y until it is small.
func tanhRef(x float64) float64 {
	if x == 0 || math.IsNaN(x) {
		return x
	}
	if x < 0 {
		return -tanhRef(-x)
	}
	if x > 25 {
		return 1
	}
	const prec = 200
	y := new(big.Float).SetPrec(prec).SetFloat64(-2 * x)
	halvings := 0
	for y.Cmp(big.NewFloat(-1.0/1024)) < 0 {
		y.Quo(y, big.NewFloat(2))
		halvings++
	}
	sum := new(big.Float).SetPrec(prec).SetFloat64(0) // e^y − 1
	term := new(big.Float).SetPrec(prec).SetFloat64(1)
	for k := 1; k < 60; k++ {
		term.Mul(term, y)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(k)))
		sum.Add(sum, term)
	}
	// e^(2y) − 1 = (e^y − 1)(e^y − 1 + 2), applied once per halving.
	two := new(big.Float).SetPrec(prec).SetFloat64(2)
	for range halvings {
		t := new(big.Float).SetPrec(prec).Add(sum, two)
		sum.Mul(sum, t)
	}
	num := new(big.Float).SetPrec(prec).Neg(sum)
	den := new(big.Float).SetPrec(prec).Add(sum, two)
	r, _ := num.Quo(num, den).Float64()
	return r
}

func ulps(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Abs(math.Nextafter(b, math.Inf(1))-b)
}

func inputs() []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 5e-324, 1e-17, 1e-9, 1e-5, 0.1, 0.3465, 0.3466, 0.35, 0.5,
		0.625, 1, 2, 5, 10, 18.5, 19.06, 20, 20.1, 40, 700, 1e300}
	for range 3000 {
		xs = append(xs, rng.NormFloat64()*math.Pow(10, 3*rng.Float64()-2))
	}
	n := len(xs)
	for i := range n {
		xs = append(xs, -xs[i])
	}
	return xs
}

func TestTanh64(t *testing.T) {
	xs := inputs()
	got := make([]float64, len(xs))
	Tanh64(got, xs)
	worst, at := 0.0, 0.0
	for i, x := range xs {
		want := tanhRef(x)
		if u := ulps(got[i], want); u > worst {
			worst, at = u, x
		}
		if math.Signbit(got[i]) != math.Signbit(want) {
			t.Errorf("tanh(%v) = %v, sign of %v", x, got[i], want)
		}
	}
	t.Logf("kernel %s: worst error %.2f ulp at x = %v (math.Tanh for comparison below)", Kernel, worst, at)
	if worst > 2 {
		t.Errorf("worst error %.2f ulp at x = %v, want at most 2", worst, at)
	}
	mw := 0.0
	for _, x := range xs {
		mw = math.Max(mw, ulps(math.Tanh(x), tanhRef(x)))
	}
	t.Logf("math.Tanh: worst error %.2f ulp", mw)
}

func TestTanhSpecial(t *testing.T) {
	xs := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 3}
	got := make([]float64, len(xs))
	Tanh64(got, xs)
	if !math.IsNaN(got[0]) || got[1] != 1 || got[2] != -1 || got[3] != 0 || !math.Signbit(got[4]) || got[4] != 0 {
		t.Errorf("tanh of NaN, ±Inf, ±0 = %v", got[:5])
	}
	f := []float32{float32(math.NaN()), float32(math.Inf(1)), -2, 0.5, 1e-20, -7}
	g := make([]float32, len(f))
	Tanh32(g, f)
	if g[0] == g[0] || g[1] != 1 {
		t.Errorf("float32 tanh of NaN, +Inf = %v", g[:2])
	}
	for i, x := range f[2:] {
		if want := float32(tanhRef(float64(x))); ord32(g[i+2])-ord32(want) > maxULP32 || ord32(want)-ord32(g[i+2]) > maxULP32 {
			t.Errorf("float32 tanh(%v) = %v, want %v", x, g[i+2], want)
		}
	}
}

func TestTanh32(t *testing.T) {
	xs := inputs()
	in := make([]float32, len(xs))
	for i, x := range xs {
		in[i] = float32(x)
	}
	got := make([]float32, len(in))
	Tanh32(got, in)
	bad := 0
	for i, x := range in {
		want := float32(tanhRef(float64(x))) // correctly rounded, but for double rounding
		if d := ord32(got[i]) - ord32(want); d > maxULP32 || d < -maxULP32 {
			t.Errorf("tanh(%v) = %v, want %v", x, got[i], want)
			if bad++; bad > 5 {
				break
			}
		}
	}
}

// Every length, so that the tail of fewer than four is exercised, and in place.
func TestTanhLengths(t *testing.T) {
	for n := range 11 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(i) - 4.5
		}
		want := make([]float64, n)
		for i, x := range xs {
			want[i] = math.Tanh(x)
		}
		Tanh64(xs, xs)
		for i := range xs {
			if ulps(xs[i], want[i]) > 3 {
				t.Errorf("n=%d: element %d = %v, want %v", n, i, xs[i], want[i])
			}
		}
	}
}

func BenchmarkTanh(b *testing.B) {
	xs := inputs()[:4096]
	dst := make([]float64, len(xs))
	b.Run("vecmath64", func(b *testing.B) {
		for b.Loop() {
			Tanh64(dst, xs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/elem")
	})
	b.Run("math.Tanh", func(b *testing.B) {
		for b.Loop() {
			for i, x := range xs {
				dst[i] = math.Tanh(x)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/elem")
	})
}
