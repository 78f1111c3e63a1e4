//go:build !purego

package vecmath

//go:noescape
func addTo64(dst, src *float64, n int)

//go:noescape
func addTo32(dst, src *float32, n int)

//go:noescape
func tanhGrad64(dz, y, dy *float64, n int)

//go:noescape
func tanhGrad32(dz, y, dy *float32, n int)

// The AVX2 blocks run over the longest prefix of whole YMM registers (four float64, eight
// float32) when the CPU has AVX2 and FMA, and return its length.

func addToBlocks64(dst, src []float64) int {
	n := len(dst) &^ 3
	if Kernel == "go" || n == 0 {
		return 0
	}
	addTo64(&dst[0], &src[0], n)
	return n
}

func addToBlocks32(dst, src []float32) int {
	n := len(dst) &^ 7
	if Kernel == "go" || n == 0 {
		return 0
	}
	addTo32(&dst[0], &src[0], n)
	return n
}

func tanhGradBlocks64(dz, y, dy []float64) int {
	n := len(dz) &^ 3
	if Kernel == "go" || n == 0 {
		return 0
	}
	tanhGrad64(&dz[0], &y[0], &dy[0], n)
	return n
}

func tanhGradBlocks32(dz, y, dy []float32) int {
	n := len(dz) &^ 7
	if Kernel == "go" || n == 0 {
		return 0
	}
	tanhGrad32(&dz[0], &y[0], &dy[0], n)
	return n
}

//go:noescape
func scale64(dst, src *float64, n int, w float64)

//go:noescape
func scale32(dst, src *float32, n int, w float32)

//go:noescape
func addScaled64(dst, src *float64, n int, w float64)

//go:noescape
func addScaled32(dst, src *float32, n int, w float32)

//go:noescape
func allFinite64(d *float64, n int) bool

//go:noescape
func allFinite32(d *float32, n int) bool

//go:noescape
func sumSquares64(s *[4]float64, x *float64, n int, clip float64) int

//go:noescape
func sumSquares32(s *[4]float64, x *float32, n int, clip float64) int

func scaleBlocks64(dst, src []float64, w float64, add bool) int {
	n := len(dst) &^ 3
	if Kernel == "go" || n == 0 {
		return 0
	}
	if add {
		addScaled64(&dst[0], &src[0], n, w)
	} else {
		scale64(&dst[0], &src[0], n, w)
	}
	return n
}

func scaleBlocks32(dst, src []float32, w float32, add bool) int {
	n := len(dst) &^ 7
	if Kernel == "go" || n == 0 {
		return 0
	}
	if add {
		addScaled32(&dst[0], &src[0], n, w)
	} else {
		scale32(&dst[0], &src[0], n, w)
	}
	return n
}

func allFiniteBlocks64(d []float64) (int, bool) {
	n := len(d) &^ 3
	if Kernel == "go" || n == 0 {
		return 0, true
	}
	return n, allFinite64(&d[0], n)
}

func allFiniteBlocks32(d []float32) (int, bool) {
	n := len(d) &^ 7
	if Kernel == "go" || n == 0 {
		return 0, true
	}
	return n, allFinite32(&d[0], n)
}

// sumSquaresBlocks64 and sumSquaresBlocks32 run SumSquares's chains over all of g (a
// multiple of four elements) and return its length and the count above clip.
func sumSquaresBlocks64(s *[4]float64, g []float64, clip float64) (int, int) {
	if Kernel == "go" || len(g) == 0 {
		return 0, 0
	}
	return len(g), sumSquares64(s, &g[0], len(g), clip)
}

func sumSquaresBlocks32(s *[4]float64, g []float32, clip float64) (int, int) {
	if Kernel == "go" || len(g) == 0 {
		return 0, 0
	}
	return len(g), sumSquares32(s, &g[0], len(g), clip)
}
