package mdn_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
)

// The whole flow on data with two branches, y = ±(1 + x) plus noise: train, predict the
// conditional density at x = 0.5, read it, sample it, save the model and load it back.
// Values are rounded so that the output does not depend on the CPU's float kernels.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	var d train.Data
	for range 1000 {
		x := rng.Float64()
		sign := float64(1 - 2*rng.IntN(2))
		d.X = append(d.X, []float64{x})
		d.Y = append(d.Y, []float64{sign*(1+x) + 0.05*rng.NormFloat64()})
	}
	m, err := mdn.New(mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{16}, Seed: 1})
	if err != nil {
		panic(err)
	}
	res, err := train.Run(context.Background(), m, d, train.Config{BatchSize: 100, Epochs: 40, LearnRate: 0.01})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d epochs, %d steps\n", res.Epochs, res.Steps)

	mix, err := m.Predict([][]float64{{0.5}})
	if err != nil {
		panic(err)
	}
	p := mix[0]
	for k := range p.K() {
		fmt.Printf("component %d: π %.1f, μ %.1f\n", k, p.Weights[k], p.Means[k][0])
	}
	fmt.Printf("mean %.1f (where no data lies), |mode| %.1f\n", math.Abs(p.Mean()[0]), math.Abs(p.Mode()[0]))
	fmt.Printf("quartiles %.1f %.1f, log p(1.5) %.1f, log p(0) < −100: %v\n", p.Quantile(0.25), p.Quantile(0.75), p.LogProb([]float64{1.5}), p.LogProb([]float64{0}) < -100)
	upper := 0
	for _, s := range p.Sample(rng, 1000, 1) {
		if s[0] > 0 {
			upper++
		}
	}
	fmt.Printf("%.1f of 1000 draws on the upper branch\n", float64(upper)/1000)

	var file bytes.Buffer
	if err := m.Save(&file); err != nil {
		panic(err)
	}
	loaded, err := mdn.Load(&file)
	if err != nil {
		panic(err)
	}
	again, err := loaded.Predict([][]float64{{0.5}})
	if err != nil {
		panic(err)
	}
	fmt.Println("loaded model predicts the same bits:", again[0].LogProb([]float64{1.5}) == p.LogProb([]float64{1.5}))
	// Output:
	// 40 epochs, 400 steps
	// component 0: π 0.5, μ -1.5
	// component 1: π 0.5, μ 1.5
	// mean 0.1 (where no data lies), |mode| 1.5
	// quartiles -1.5 1.5, log p(1.5) 1.1, log p(0) < −100: true
	// 0.5 of 1000 draws on the upper branch
	// loaded model predicts the same bits: true
}

// A bimodal conditional density: its mean falls between the modes, where little mass
// lies; Mode (the densest point: the lighter but narrower component here) and the
// quantiles tell the real story.
func ExampleMixture() {
	m := mdn.Mixture{
		Weights: []float64{0.4, 0.6},
		Means:   [][]float64{{-2}, {3}},
		StdDevs: [][]float64{{0.5}, {0.8}},
	}
	fmt.Printf("mean %.4g, variance %.4g, mode %.4g\n", m.Mean()[0], m.Variance()[0], m.Mode()[0])
	fmt.Printf("median %.4g, 90%% interval [%.4g, %.4g]\n", m.Quantile(0.5), m.Quantile(0.05), m.Quantile(0.95))
	// Output:
	// mean 1, variance 6.484, mode -2
	// median 2.226, 90% interval [-2.575, 4.106]
}

// Building a model, predicting a mixture for one input and sampling from it.
func ExampleNew() {
	m, err := mdn.New(mdn.Config{InputDim: 1, OutputDim: 1, K: 3, Hidden: []int{8}, Seed: 1})
	if err != nil {
		panic(err)
	}
	mix, err := m.Predict([][]float64{{0.5}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("K=%d components, %d parameters\n", mix[0].K(), m.Params().Count())
	draws := mix[0].Sample(graph.NewRand(7), 3, 1)
	fmt.Println(len(draws), "draws of dimension", len(draws[0]))
	// Output:
	// K=3 components, 97 parameters
	// 3 draws of dimension 1
}

// Counting a config's parameters before building it: the model of cmd/train's defaults,
// and one that Validate refuses.
func ExampleConfig_ParamCount() {
	cfg := mdn.Config{InputDim: 1, OutputDim: 1, K: 5, Hidden: []int{32, 32}}
	n, err := cfg.ParamCount()
	fmt.Println(n, err)
	big := mdn.Config{InputDim: 100, OutputDim: 100, K: 100, Hidden: []int{4096}}
	n, _ = big.ParamCount()
	fmt.Println(n, "parameters:", big.Validate())
	// Output:
	// 1615 <nil>
	// 82763396 parameters: mdn: the model would have 82763396 parameters (at most MaxParams = 33554432)
}
