package mdn_test

import (
	"fmt"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models/mdn"
)

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
