//go:build !amd64 || purego

package vecmath

// Without the AVX2 kernels, AddTo and TanhGrad run one element at a time.

func addToBlocks64([]float64, []float64) int { return 0 }

func addToBlocks32([]float32, []float32) int { return 0 }

func tanhGradBlocks64([]float64, []float64, []float64) int { return 0 }

func tanhGradBlocks32([]float32, []float32, []float32) int { return 0 }

func scaleBlocks64([]float64, []float64, float64, bool) int { return 0 }

func scaleBlocks32([]float32, []float32, float32, bool) int { return 0 }

func allFiniteBlocks64([]float64) (int, bool) { return 0, true }

func allFiniteBlocks32([]float32) (int, bool) { return 0, true }

func sumSquaresBlocks64(*[4]float64, []float64, float64) (int, int) { return 0, 0 }

func sumSquaresBlocks32(*[4]float64, []float32, float64) (int, int) { return 0, 0 }
