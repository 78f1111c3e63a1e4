// Package benchmarks holds mixgraph's performance measurements: `go test -bench` over the
// training-step workloads below and comparisons that answer questions
// (clipping on or off, float32 against float64, how the step scales with K and the batch
// size), plus forward-only NLL, Predict and Sample. The side-by-side comparison with
// PyTorch is the command in benchmarks/sidebyside, with the peer's script in
// benchmarks/reference.
//
// The workloads (one training step = forward pass, symbolic mixture NLL, backward pass,
// value clipping at 10 and one Adam update at learning rate 1e-3, on a fixed batch of
// x ~ N(0,1), y ~ N(0,1); tanh hidden layers; the head gives K logits, K·D means and K·D
// log standard deviations):
//
//	name    D_in  hidden     K   D_out  batch
//	bishop  1     [20]       5   1      1000
//	small   8     [64 64]    5   2      256
//	medium  16    [256 256]  10  4      512
//	large   32    [512 512]  20  8      1024
//
// BenchmarkTrainStep also runs small and medium with full covariances
// (workload=small/cov=full/dtype=…): the head gives in addition K·D(D−1)/2 entries of
// the components' Cholesky factors, and the loss solves a triangular system per row and
// component (mdn.CovarianceFull). The goal is a full step at most 1.5 times the diagonal
// one of the same workload; BenchmarkFullCovarianceRatio measures that ratio with the two
// steps alternated in one loop, so that a shared machine's changing load falls on both.
package benchmarks

import (
	"fmt"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
)

// Workload is one training-step workload.
type Workload struct {
	Name       string
	In, K, Out int
	Hidden     []int
	Batch      int
	// Covariance is the components' covariance; "" is diagonal (the workloads above).
	Covariance mdn.Covariance
}

// Workloads are the four training-step workloads (see the package documentation).
var Workloads = []Workload{
	{Name: "bishop", In: 1, Hidden: []int{20}, K: 5, Out: 1, Batch: 1000},
	{Name: "small", In: 8, Hidden: []int{64, 64}, K: 5, Out: 2, Batch: 256},
	{Name: "medium", In: 16, Hidden: []int{256, 256}, K: 10, Out: 4, Batch: 512},
	{Name: "large", In: 32, Hidden: []int{512, 512}, K: 20, Out: 8, Batch: 1024},
}

// Lookup returns the workload of that name.
func Lookup(name string) (Workload, error) {
	for _, w := range Workloads {
		if w.Name == name {
			return w, nil
		}
	}
	return Workload{}, fmt.Errorf("benchmarks: unknown workload %q", name)
}

// Setup is a ready-to-step workload: the model, a stepper and the fixed batch.
type Setup struct {
	Model   *mdn.Model
	Stepper *train.Stepper
	X, Y    []float64
}

// NewSetup builds the workload's model in dtype and a stepper with Adam at 1e-3 and the
// given clipping threshold (0: the default 10; negative: off), with a fixed random batch
// drawn from seed.
func NewSetup(w Workload, dtype models.DType, clip float64, seed uint64) (*Setup, error) {
	return NewSetupConfig(w, dtype, train.Config{LearnRate: 1e-3, Clip: clip}, seed)
}

// PredictRows is the number of rows BenchmarkPredict and the side-by-side command's
// prediction measurement predict at once.
const PredictRows = 10000

// PredictSetup returns a workload's network, freshly initialised from seed, and n rows of
// inputs x ~ N(0,1) (seed+1) to predict.
func PredictSetup(w Workload, dtype models.DType, n int, seed uint64) (*mdn.Model, [][]float64, error) {
	m, err := mdn.New(mdn.Config{InputDim: w.In, OutputDim: w.Out, K: w.K, Hidden: w.Hidden, DType: dtype, Seed: seed})
	if err != nil {
		return nil, nil, err
	}
	rng := graph.NewRand(seed + 1)
	x := make([][]float64, n)
	for i := range x {
		x[i] = make([]float64, w.In)
		for j := range x[i] {
			x[i][j] = rng.NormFloat64()
		}
	}
	return m, x, nil
}

// NewSetupConfig is NewSetup with the stepper's whole training configuration.
func NewSetupConfig(w Workload, dtype models.DType, cfg train.Config, seed uint64) (*Setup, error) {
	m, err := mdn.New(mdn.Config{InputDim: w.In, OutputDim: w.Out, K: w.K, Hidden: w.Hidden, DType: dtype, Seed: seed, Covariance: w.Covariance})
	if err != nil {
		return nil, err
	}
	st, err := train.NewStepper(m, w.Batch, cfg)
	if err != nil {
		return nil, err
	}
	rng := graph.NewRand(seed + 1)
	s := &Setup{Model: m, Stepper: st, X: make([]float64, w.Batch*w.In), Y: make([]float64, w.Batch*w.Out)}
	for i := range s.X {
		s.X[i] = rng.NormFloat64()
	}
	for i := range s.Y {
		s.Y[i] = rng.NormFloat64()
	}
	return s, nil
}
