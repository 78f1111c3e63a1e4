package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Init fills dst, the row-major values of a fanIn×fanOut weight (or a bias of fanOut
// values, with fanIn the layer's input width), drawing from rng. Every Init draws
// float64 values in a fixed order, so the same rng state gives the same values; a
// float32 parameter holds the float64 draws rounded once.
type Init func(rng *rand.Rand, fanIn, fanOut int, dst []float64)

// GlorotUniform draws from U(−a, a) with a = √(6/(fanIn+fanOut)) (Glorot & Bengio 2010).
func GlorotUniform(rng *rand.Rand, fanIn, fanOut int, dst []float64) {
	uniform(rng, math.Sqrt(6/float64(fanIn+fanOut)), dst)
}

// GlorotNormal draws from N(0, 2/(fanIn+fanOut)).
func GlorotNormal(rng *rand.Rand, fanIn, fanOut int, dst []float64) {
	normal(rng, math.Sqrt(2/float64(fanIn+fanOut)), dst)
}

// HeUniform draws from U(−a, a) with a = √(6/fanIn) (He et al. 2015), for ReLU layers.
func HeUniform(rng *rand.Rand, fanIn, fanOut int, dst []float64) {
	uniform(rng, math.Sqrt(6/float64(fanIn)), dst)
}

// HeNormal draws from N(0, 2/fanIn).
func HeNormal(rng *rand.Rand, fanIn, fanOut int, dst []float64) {
	normal(rng, math.Sqrt(2/float64(fanIn)), dst)
}

// Zeros sets every value to 0 and draws nothing.
func Zeros(_ *rand.Rand, _, _ int, dst []float64) {
	clear(dst)
}

// Constant returns an Init that sets every value to c and draws nothing.
func Constant(c float64) Init {
	return func(_ *rand.Rand, _, _ int, dst []float64) {
		for i := range dst {
			dst[i] = c
		}
	}
}

// NormalStd returns an Init drawing from N(0, std²).
func NormalStd(std float64) Init {
	return func(rng *rand.Rand, _, _ int, dst []float64) { normal(rng, std, dst) }
}

func uniform(rng *rand.Rand, a float64, dst []float64) {
	for i := range dst {
		dst[i] = a * (2*rng.Float64() - 1)
	}
}

func normal(rng *rand.Rand, std float64, dst []float64) {
	for i := range dst {
		dst[i] = std * rng.NormFloat64()
	}
}

// NewRand returns the generator mixgraph uses for a seed: PCG seeded with (seed, a fixed
// stream constant), so that a seed means the same draws everywhere.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x6d6978677261706b))
}

func checkFans(fanIn, fanOut int) error {
	if fanIn <= 0 || fanOut <= 0 {
		return fmt.Errorf("graph: layer of %d inputs and %d outputs (both must be positive)", fanIn, fanOut)
	}
	return nil
}
