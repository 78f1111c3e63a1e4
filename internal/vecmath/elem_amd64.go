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
