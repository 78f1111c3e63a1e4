// Package vecmath holds elementwise functions computed a vector register at a time where
// the CPU allows (AVX2 and FMA on amd64: four float64 or eight float32 lanes; AVX-512:
// eight or sixteen) and with the math package elsewhere.
//
// Both functions rest on one kernel for expm1 on [−½ ln 2, ½ ln 2]: for v, n = round(v·log₂e),
// r = v − n·ln 2 (ln 2 split in two so that n·ln 2 is exact) and
// m = expm1(r) = r + r²·Σ_{k=2..K} r^(k−2)/k!. In float64 K = 13, whose truncation error is
// below 1e-17 relative for |r| ≤ ½ ln 2; in float32, computed in float32 throughout, K = 8,
// whose truncation error (½ ln 2)⁸/9! < 6e-10 relative is a hundredth of a float32 ulp.
// Then e^v = (1 + m)·2ⁿ and e^v − 1 = 2ⁿ·m + (2ⁿ − 1).
//
// The simpler passes of a training step (AddTo, TanhGrad, Scale, AllFinite, SumSquares
// in elem.go; AdamUpdate in adam.go) run a register at a time too, with each operation
// rounded as in their plain Go loops, so they give the loops' bits.
package vecmath

import "math"

// Kernel names the implementation in use: "avx512", "avx2-fma" or "go".
var Kernel = "go"

// block computes f on n elements (a multiple of its lane count) from src into dst.
type block[T float32 | float64] func(dst, src *T, n int)

// lanes is the lane count of the AVX2 kernels (a multiple of which every block takes):
// four float64 or eight float32, one YMM register.
func lanes[T float32 | float64]() int {
	var z T
	if _, ok := any(z).(float32); ok {
		return 8
	}
	return 4
}

// apply sets dst[i] = f(src[i]) with the vector kernel where there is one (the tail of
// fewer than its lanes through a padded copy) and with scalar otherwise.
func apply[T float32 | float64](name string, dst, src []T, kernel block[T], scalar func(float64) float64) {
	if len(dst) != len(src) {
		panic("vecmath: " + name + " of slices of different lengths")
	}
	if Kernel == "go" {
		for i, v := range src {
			dst[i] = T(scalar(float64(v)))
		}
		return
	}
	l := lanes[T]()
	n := len(src) &^ (l - 1)
	if n > 0 {
		kernel(&dst[0], &src[0], n)
	}
	if n < len(src) {
		var in, out [8]T
		copy(in[:], src[n:])
		kernel(&out[0], &in[0], l)
		copy(dst[n:], out[:len(src)-n])
	}
}

var (
	tanhBlock64 block[float64] = func(dst, src *float64, n int) {}
	tanhBlock32 block[float32] = func(dst, src *float32, n int) {}
	expBlock64  block[float64] = func(dst, src *float64, n int) {}
	expBlock32  block[float32] = func(dst, src *float32, n int) {}
)

// Tanh64 sets dst[i] = tanh(src[i]); dst and src have one length and may be the same.
//
// tanh|x| = |e|/(2 + e) with e = expm1(−2|x|), v = −2|x| clamped to [−40, 0] (tanh 20 is 1
// in float64), and the sign of x put back. For |v| < ½ ln 2, n is 0 and e is m itself, so
// small arguments keep full relative accuracy; the quotient has no cancellation. The
// result is within 2 units in the last place (math.Tanh: 1); NaN stays NaN, ±Inf gives
// ±1 and ±0 gives ±0.
func Tanh64(dst, src []float64) { apply("Tanh64", dst, src, tanhBlock64, math.Tanh) }

// Tanh32 is Tanh64 computed in float32 (on the pure-Go path: math.Tanh rounded once).
// v = −2|x| is clamped to [−20, 0] (tanh 10 is 1 in float32). The result is within
// 2 units in the last place of the correctly rounded float32 tanh; NaN stays NaN, ±Inf
// gives ±1, ±0 gives ±0 and tiny arguments keep their relative accuracy, as in float64.
func Tanh32(dst, src []float32) { apply("Tanh32", dst, src, tanhBlock32, math.Tanh) }

// Exp64 sets dst[i] = exp(src[i]); dst and src have one length and may be the same.
//
// e^v = (1 + m)·2^n₁·2^n₂ with n = n₁ + n₂ split in halves, so that each power of two is a
// normal float64 and only the last product rounds (into the subnormal range too); v is
// first clamped to [−746, 710], beyond which exp is 0 or +Inf. The result is within
// 2 units in the last place of math.Exp; NaN stays NaN.
func Exp64(dst, src []float64) { apply("Exp64", dst, src, expBlock64, math.Exp) }

// Exp32 is Exp64 computed in float32 (on the pure-Go path: math.Exp rounded once), with v
// clamped to [−104, 89], beyond which the float32 exp is 0 or +Inf, so that 2^n₁ and 2^n₂
// are normal float32 values. The result is within 2 units in the last place of the
// correctly rounded float32 exp (subnormal results: of their spacing 2⁻¹⁴⁹); NaN stays NaN.
func Exp32(dst, src []float32) { apply("Exp32", dst, src, expBlock32, math.Exp) }
