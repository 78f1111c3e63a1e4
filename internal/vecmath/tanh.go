// Package vecmath holds elementwise functions computed four lanes at a time where the
// CPU allows (AVX2 and FMA on amd64) and with the math package elsewhere.
//
// Tanh is computed as tanh|x| = |e|/(2 + e) with e = expm1(−2|x|), the sign of x put back.
// expm1(v) for v in [−40, 0] is 2ⁿ·m + (2ⁿ − 1), where n = round(v·log₂e), r = v − n·ln 2
// (ln 2 split in two so that n·ln 2 is exact) and m = expm1(r) = r + r²·Σ_{k=2..13} r^(k−2)/k!,
// whose truncation error is below 1e-17 relative for |r| ≤ ½ ln 2. For |v| < ½ ln 2, n is 0
// and e is m itself, so small arguments keep full relative accuracy; the quotient has no
// cancellation. The result is within 2 units in the last place (math.Tanh: 1); NaN
// stays NaN, ±Inf gives ±1 and ±0 gives ±0. float32 values are widened to float64 and the
// result rounded once.
package vecmath

import "math"

// Kernel names the implementation in use: "avx2-fma" or "go".
var Kernel = "go"

var (
	tanhBlock64 = func(dst, src *float64, n int) {}
	tanhBlock32 = func(dst, src *float32, n int) {}
)

// Tanh64 sets dst[i] = tanh(src[i]); dst and src have one length and may be the same.
func Tanh64(dst, src []float64) {
	if len(dst) != len(src) {
		panic("vecmath: Tanh64 of slices of different lengths")
	}
	n := 0
	if Kernel != "go" {
		n = len(src) &^ 3
		if n > 0 {
			tanhBlock64(&dst[0], &src[0], n)
		}
		if n < len(src) {
			var in, out [4]float64
			copy(in[:], src[n:])
			tanhBlock64(&out[0], &in[0], 4)
			copy(dst[n:], out[:len(src)-n])
			return
		}
		return
	}
	for i, v := range src {
		dst[i] = math.Tanh(v)
	}
}

// Tanh32 sets dst[i] = tanh(src[i]) in float32.
func Tanh32(dst, src []float32) {
	if len(dst) != len(src) {
		panic("vecmath: Tanh32 of slices of different lengths")
	}
	if Kernel != "go" {
		n := len(src) &^ 3
		if n > 0 {
			tanhBlock32(&dst[0], &src[0], n)
		}
		if n < len(src) {
			var in, out [4]float32
			copy(in[:], src[n:])
			tanhBlock32(&out[0], &in[0], 4)
			copy(dst[n:], out[:len(src)-n])
		}
		return
	}
	for i, v := range src {
		dst[i] = float32(math.Tanh(float64(v)))
	}
}
