//go:build !amd64 || purego

package vecmath

// Without the AVX2 kernels, AddTo and TanhGrad run one element at a time.

func addToBlocks64([]float64, []float64) int { return 0 }

func addToBlocks32([]float32, []float32) int { return 0 }

func tanhGradBlocks64([]float64, []float64, []float64) int { return 0 }

func tanhGradBlocks32([]float32, []float32, []float32) int { return 0 }
