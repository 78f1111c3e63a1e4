//go:build !amd64 || purego

package vecmath

// Without the AVX-512 kernels, AdamUpdate runs adamGo on every element.

func adamBlocks64(*AdamConsts[float64], []float64, []float64, []float64, []float64) int { return 0 }

func adamBlocks32(*AdamConsts[float32], []float32, []float32, []float32, []float32) int { return 0 }
