package vecmath

import (
	"flag"
	"math"
	"testing"
)

var exhaustive = flag.Bool("exhaustive", false, "check Tanh32 and Exp32 on every float32 instead of a sweep")

// maxULP32 is the largest distance allowed between a float32 kernel's result and the
// correctly rounded float32 value (the float64 math result rounded once).
const maxULP32 = 2

// ord32 maps float32 bits onto integers in the order of the values (−0 and +0 both to 0),
// so that the distance between two values in units in the last place is a difference.
func ord32(x float32) int64 {
	b := math.Float32bits(x)
	if b&0x80000000 != 0 {
		return -int64(b & 0x7FFFFFFF)
	}
	return int64(b)
}

// sweep32 checks f against ref, rounded to float32, on every stride-th float32 from 0 up
// to +Inf, on their negatives and on extra; NaN must stay NaN and the sign of a zero
// result must be the reference's. It returns the worst distance in ulps and its argument.
func sweep32(t *testing.T, name string, f func(dst, src []float32), ref func(float64) float64, stride uint32, extra []float32) {
	t.Helper()
	const chunk = 1 << 16
	src := make([]float32, 0, chunk)
	got := make([]float32, chunk)
	worst, at, bad := int64(0), float32(0), 0
	check := func() {
		f(got[:len(src)], src)
		for i, x := range src {
			want := float32(ref(float64(x)))
			g := got[i]
			if math.IsNaN(float64(want)) || math.IsNaN(float64(g)) {
				if math.IsNaN(float64(want)) != math.IsNaN(float64(g)) {
					t.Errorf("%s(%v) = %v, want %v", name, x, g, want)
				}
				continue
			}
			if g == 0 && want == 0 && math.Signbit(float64(g)) != math.Signbit(float64(want)) {
				t.Errorf("%s(%v) = %v, want %v (sign of zero)", name, x, g, want)
			}
			d := ord32(g) - ord32(want)
			if d < 0 {
				d = -d
			}
			if math.IsInf(float64(want), 0) != math.IsInf(float64(g), 0) && d > 0 {
				d = math.MaxInt32 // an infinity for a finite value, or the other way
			}
			if d > worst {
				worst, at = d, x
			}
			if d > maxULP32 {
				if bad++; bad <= 5 {
					t.Errorf("%s(%v) = %v, want %v (%d ulp)", name, x, g, want, d)
				}
			}
		}
		src = src[:0]
	}
	add := func(x float32) {
		src = append(src, x)
		if len(src) == chunk {
			check()
		}
	}
	for _, x := range extra {
		add(x)
	}
	for b := uint64(0); b <= 0x7F800000; b += uint64(stride) {
		add(math.Float32frombits(uint32(b)))
		add(math.Float32frombits(uint32(b) | 0x80000000))
	}
	if len(src) > 0 {
		check()
	}
	t.Logf("kernel %s: %s within %d ulp of the rounded float64 result (worst at %v; stride %d)", Kernel, name, worst, at, stride)
}

func stride32() uint32 {
	switch {
	case *exhaustive:
		return 1
	case testing.Short():
		return 251
	}
	return 61
}

// around returns the n float32 values either side of each of xs, xs included.
func around(n int, xs ...float32) []float32 {
	var out []float32
	for _, x := range xs {
		lo, hi := x, x
		out = append(out, x, -x)
		for range n {
			lo, hi = math.Nextafter32(lo, float32(math.Inf(-1))), math.Nextafter32(hi, float32(math.Inf(1)))
			out = append(out, lo, hi, -lo, -hi)
		}
	}
	return out
}

// Tanh32 against math.Tanh rounded to float32 over a sweep of the float32 range (the whole
// range matters: tiny arguments keep relative accuracy, large ones give ±1), the special
// values, the float32 steps near the reduction's edges (½ ln 2 / 2), the clamp at 10 and
// the last float32 below 1 (tanh 9.01).
func TestTanh32Sweep(t *testing.T) {
	nan := float32(math.NaN())
	extra := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), nan,
		math.MaxFloat32, math.SmallestNonzeroFloat32, 0x1p-126}
	extra = append(extra, around(64, 0.1732868, 0.3465736, 9.01, 10, 1e-4, 0x1p-12)...)
	sweep32(t, "tanh32", Tanh32, math.Tanh, stride32(), extra)
	// The sign of the input survives on the smallest values and on zero.
	got := make([]float32, 4)
	Tanh32(got, []float32{float32(math.Copysign(0, -1)), -math.SmallestNonzeroFloat32, 1e-30, float32(math.Inf(-1))})
	if !math.Signbit(float64(got[0])) || got[0] != 0 || got[1] != -math.SmallestNonzeroFloat32 || got[2] != 1e-30 || got[3] != -1 {
		t.Errorf("tanh32 of −0, −2⁻¹⁴⁹, 1e-30, −Inf = %v", got)
	}
}

// Exp32 against math.Exp rounded to float32 over a sweep of the float32 range, the special
// values and the float32 steps either side of the overflow bound (88.72284), the normal
// and subnormal bounds (−87.33655, −103.27893), where the result rounds to 0 (−103.97208)
// and the clamps.
func TestExp32Sweep(t *testing.T) {
	nan := float32(math.NaN())
	extra := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), nan,
		math.MaxFloat32, math.SmallestNonzeroFloat32}
	extra = append(extra, around(64, 88.72283, 88.72284, 87.33655, 103.27893, 103.97208, 104, 89, 0.3465736, 0x1p-12)...)
	sweep32(t, "exp32", Exp32, math.Exp, stride32(), extra)
	got := make([]float32, 3)
	Exp32(got, []float32{float32(math.Inf(-1)), float32(math.Inf(1)), -200})
	if got[0] != 0 || !math.IsInf(float64(got[1]), 1) || got[2] != 0 {
		t.Errorf("exp32 of −Inf, +Inf, −200 = %v", got)
	}
}

// Every length up to three times the widest register, in place and not, so that every
// tail (through the padded copy) and the AVX2 remainder after AVX-512 blocks are run.
func TestFloat32Lengths(t *testing.T) {
	for n := range 49 {
		xs := make([]float32, n)
		for i := range xs {
			xs[i] = float32(i)*0.37 - 9
		}
		for _, f := range []struct {
			name string
			k    func(dst, src []float32)
			ref  func(float64) float64
		}{{"tanh32", Tanh32, math.Tanh}, {"exp32", Exp32, math.Exp}} {
			got := make([]float32, n)
			f.k(got, xs)
			in := append([]float32(nil), xs...)
			f.k(in, in)
			for i, x := range xs {
				want := float32(f.ref(float64(x)))
				if d := ord32(got[i]) - ord32(want); d > maxULP32 || d < -maxULP32 || got[i] != in[i] {
					t.Errorf("n=%d: %s(%v) = %v (in place %v), want %v", n, f.name, x, got[i], in[i], want)
				}
			}
		}
	}
}

func BenchmarkFloat32(b *testing.B) {
	xs := inputs()[:4096]
	src := make([]float32, len(xs))
	for i, x := range xs {
		src[i] = float32(x)
	}
	dst := make([]float32, len(src))
	for _, f := range []struct {
		name string
		k    func(dst, src []float32)
	}{{"Tanh32", Tanh32}, {"Exp32", Exp32}} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				f.k(dst, src)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(src)), "ns/elem")
		})
	}
}
