package vecmath

import "math"

// AddTo sets dst[i] += src[i] (one rounding per element); src has at least dst's length.
// With AVX2 eight float32 or four float64 elements go at a time, with the same bits as
// one at a time (TestElemKernelsMatchGo).
func AddTo[T float32 | float64](dst, src []T) {
	src = src[:len(dst)]
	var n int
	switch d := any(dst).(type) {
	case []float64:
		n = addToBlocks64(d, any(src).([]float64))
	case []float32:
		n = addToBlocks32(d, any(src).([]float32))
	}
	addToGo(dst[n:], src[n:])
}

func addToGo[T float32 | float64](dst, src []T) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

// TanhGrad sets dz[i] = dy[i]·(1 − y[i]·y[i]), the gradient through y = tanh z, each
// operation rounded on its own (no fused multiply-add), with AVX2 eight float32 or four
// float64 elements at a time and the same bits as one at a time (TestElemKernelsMatchGo).
// y and dy have at least dz's length; dz may be either of them.
func TanhGrad[T float32 | float64](dz, y, dy []T) {
	y, dy = y[:len(dz)], dy[:len(dz)]
	var n int
	switch d := any(dz).(type) {
	case []float64:
		n = tanhGradBlocks64(d, any(y).([]float64), any(dy).([]float64))
	case []float32:
		n = tanhGradBlocks32(d, any(y).([]float32), any(dy).([]float32))
	}
	tanhGradGo(dz[n:], y[n:], dy[n:])
}

func tanhGradGo[T float32 | float64](dz, y, dy []T) {
	y, dy = y[:len(dz)], dy[:len(dz)]
	for i, v := range y {
		dz[i] = dy[i] * (1 - T(v*v)) // the conversion keeps v·v rounded (no fused multiply-add)
	}
}

// Scale sets dst[i] = w·src[i], or adds it into dst[i] (dst[i] + w·src[i], the product
// rounded first: no fused multiply-add) when add is set, a YMM register at a time where
// the CPU has AVX2, with the bits of the Go loop. src has at least dst's length and may
// be dst.
func Scale[T float32 | float64](dst, src []T, w T, add bool) {
	src = src[:len(dst)]
	var n int
	switch d := any(dst).(type) {
	case []float64:
		n = scaleBlocks64(d, any(src).([]float64), any(w).(float64), add)
	case []float32:
		n = scaleBlocks32(d, any(src).([]float32), any(w).(float32), add)
	}
	scaleGo(dst[n:], src[n:], w, add)
}

func scaleGo[T float32 | float64](dst, src []T, w T, add bool) {
	src = src[:len(dst)]
	if add {
		for k, v := range src {
			dst[k] += T(w * v)
		}
		return
	}
	for k, v := range src {
		dst[k] = w * v
	}
}

// AllFinite reports whether no element of d is NaN or ±Inf.
func AllFinite[T float32 | float64](d []T) bool {
	var n int
	ok := true
	switch d := any(d).(type) {
	case []float64:
		n, ok = allFiniteBlocks64(d)
	case []float32:
		n, ok = allFiniteBlocks32(d)
	}
	return ok && allFiniteGo(d[n:])
}

// allFiniteGo: x − x is +0 for every finite x and NaN otherwise, summed in four
// independent chains (no branch per element).
func allFiniteGo[T float32 | float64](d []T) bool {
	var a0, a1, a2, a3 T
	n := len(d) &^ 3
	for j := 0; j < n; j += 4 {
		x := d[j : j+4 : j+4]
		a0 += x[0] - x[0]
		a1 += x[1] - x[1]
		a2 += x[2] - x[2]
		a3 += x[3] - x[3]
	}
	for _, x := range d[n:] {
		a0 += x - x
	}
	return a0+a1+a2+a3 == 0
}

// SumSquares returns Σg² in float64 and the count of elements with |g| > clip. The sum
// is kept in four chains, chain c adding g[j]² for j ≡ c (mod 4) in order over the longest
// prefix of a multiple of four, chain 0 then the rest; the result is
// (s₀ + s₁) + (s₂ + s₃). Each square and each addition is rounded on its own (no fused
// multiply-add), so the AVX2 loop (the four chains as the four lanes of a YMM register)
// gives the bits of the Go loop.
func SumSquares[T float32 | float64](g []T, clip float64) (sq float64, clipped int) {
	var s [4]float64
	n := len(g) &^ 3
	var done int
	switch g := any(g[:n]).(type) {
	case []float64:
		done, clipped = sumSquaresBlocks64(&s, g, clip)
	case []float32:
		done, clipped = sumSquaresBlocks32(&s, g, clip)
	}
	for j := done; j < n; j += 4 {
		x := g[j : j+4 : j+4]
		for c := range s {
			v := float64(x[c])
			s[c] += float64(v * v)
			if math.Abs(v) > clip {
				clipped++
			}
		}
	}
	for _, x := range g[n:] {
		v := float64(x)
		s[0] += float64(v * v)
		if math.Abs(v) > clip {
			clipped++
		}
	}
	return (s[0] + s[1]) + (s[2] + s[3]), clipped
}
