package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestExp64(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 1e-300, -1e-20, 0.3465, 0.3466, 709.78, 709.79, 710, 800,
		-708, -708.5, -720, -740, -745.1, -745.2, -746, -1000, math.Inf(1), math.Inf(-1), math.NaN()}
	for range 5000 {
		xs = append(xs, (2*rng.Float64()-1)*750)
	}
	for range 5000 {
		xs = append(xs, rng.NormFloat64()*3)
	}
	got := make([]float64, len(xs))
	Exp64(got, xs)
	worst, at := 0.0, 0.0
	for i, x := range xs {
		want := math.Exp(x)
		if x > 709 && x < 709.782712893384 && Kernel != "go" {
			// math.Exp on amd64 overflows a little early; exp(x/2)² is finite here.
			e := math.Exp(x / 2)
			want = e * e
		}
		switch {
		case math.IsNaN(want):
			if !math.IsNaN(got[i]) {
				t.Errorf("exp(%v) = %v, want NaN", x, got[i])
			}
		case want == 0 || math.IsInf(want, 0) || want < 0x1p-1022:
			// Zero, infinity and subnormal results: within one subnormal step.
			if got[i] != want && math.Abs(got[i]-want) > 0x1p-1074 {
				t.Errorf("exp(%v) = %v, want %v", x, got[i], want)
			}
		default:
			if u := ulps(got[i], want); u > worst {
				worst, at = u, x
			}
		}
	}
	t.Logf("kernel %s: worst difference from math.Exp %.2f ulp at x = %v", Kernel, worst, at)
	if worst > 2 {
		t.Errorf("worst difference from math.Exp %.2f ulp at x = %v", worst, at)
	}
}

func TestExp32AndLengths(t *testing.T) {
	for n := range 11 {
		xs := make([]float32, n)
		for i := range xs {
			xs[i] = float32(i)*3.7 - 20
		}
		got := make([]float32, n)
		Exp32(got, xs)
		for i, x := range xs {
			want := float32(math.Exp(float64(x)))
			if got[i] != want && math.Abs(float64(got[i]-want)) > math.Abs(float64(math.Nextafter32(want, float32(math.Inf(1)))-want)) {
				t.Errorf("n=%d: exp(%v) = %v, want %v", n, x, got[i], want)
			}
		}
	}
	big := []float32{100, -200, float32(math.NaN())}
	out := make([]float32, 3)
	Exp32(out, big)
	if !math.IsInf(float64(out[0]), 1) || out[1] != 0 || out[2] == out[2] {
		t.Errorf("float32 exp of 100, −200, NaN = %v", out)
	}
}

func BenchmarkExp(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = rng.NormFloat64() * 5
	}
	dst := make([]float64, len(xs))
	b.Run("vecmath64", func(b *testing.B) {
		for b.Loop() {
			Exp64(dst, xs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/elem")
	})
	b.Run("math.Exp", func(b *testing.B) {
		for b.Loop() {
			for i, x := range xs {
				dst[i] = math.Exp(x)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/elem")
	})
}
