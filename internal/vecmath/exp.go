package vecmath

import "math"

// Exp is computed as exp v = (1 + m)·2^n₁·2^n₂ with n = round(v·log₂e) = n₁ + n₂ split in
// halves (so that each power of two is a normal float64 and only the last product rounds,
// into the subnormal range too), r = v − n·ln 2 and m = expm1(r) as in Tanh. v is first
// clamped to [−746, 710], beyond which exp is 0 or +Inf. The result is within 2 units in the
// last place of math.Exp; NaN stays NaN.

var (
	expBlock64 = func(dst, src *float64, n int) {}
	expBlock32 = func(dst, src *float32, n int) {}
)

// Exp64 sets dst[i] = exp(src[i]); dst and src have one length and may be the same.
func Exp64(dst, src []float64) {
	if len(dst) != len(src) {
		panic("vecmath: Exp64 of slices of different lengths")
	}
	if Kernel == "go" {
		for i, v := range src {
			dst[i] = math.Exp(v)
		}
		return
	}
	n := len(src) &^ 3
	if n > 0 {
		expBlock64(&dst[0], &src[0], n)
	}
	if n < len(src) {
		var in, out [4]float64
		copy(in[:], src[n:])
		expBlock64(&out[0], &in[0], 4)
		copy(dst[n:], out[:len(src)-n])
	}
}

// Exp32 sets dst[i] = exp(src[i]) in float32, computed in float64 and rounded once.
func Exp32(dst, src []float32) {
	if len(dst) != len(src) {
		panic("vecmath: Exp32 of slices of different lengths")
	}
	if Kernel == "go" {
		for i, v := range src {
			dst[i] = float32(math.Exp(float64(v)))
		}
		return
	}
	n := len(src) &^ 3
	if n > 0 {
		expBlock32(&dst[0], &src[0], n)
	}
	if n < len(src) {
		var in, out [4]float32
		copy(in[:], src[n:])
		expBlock32(&out[0], &in[0], 4)
		copy(dst[n:], out[:len(src)-n])
	}
}
