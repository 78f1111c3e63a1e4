package vecmath

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
