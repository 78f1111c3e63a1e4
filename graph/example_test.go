package graph_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
)

// A dense layer, run on a batch of two rows.
func ExampleDense() {
	ps, _ := graph.NewParamSet(tensor.Float64)
	d, _ := graph.NewDense(ps, graph.DenseConfig{Name: "layer", In: 2, Out: 1, Act: graph.Tanh,
		WeightInit: graph.Constant(0.5), BiasInit: graph.Constant(-0.25)}, graph.NewRand(1))
	g := G.NewGraph()
	x := graph.NewInput(g, tensor.Float64, "x", 2, 2)
	y, _ := d.Forward(x)
	r, _ := graph.NewRunner(g, G.Nodes{y})
	r.Feed(x, []float64{1, 1, -1, 3})
	r.Run()
	out, _ := r.Float64s(nil, y)
	fmt.Printf("%.4g\n", out)
	// Output: [0.6351 0.6351]
}

// An MLP with a seeded initialisation: its parameter count and a forward pass.
func ExampleMLP() {
	ps, _ := graph.NewParamSet(tensor.Float64)
	m, _ := graph.NewMLP(ps, graph.MLPConfig{Name: "net", Widths: []int{3, 8, 2}, Hidden: graph.Tanh}, graph.NewRand(42))
	g := G.NewGraph()
	x := graph.NewInput(g, tensor.Float64, "x", 1, 3)
	y, _ := m.Forward(x)
	r, _ := graph.NewRunner(g, G.Nodes{y})
	r.Feed(x, []float64{0, 0, 0})
	r.Run()
	out, _ := r.Float64s(nil, y)
	fmt.Println(ps.Count(), "parameters; output at x = 0:", out) // zero biases: tanh(0) = 0
	// Output: 50 parameters; output at x = 0: [0 0]
}

// LogSoftmax where Gorgonia's own kernels go wrong: row 1 sits 10³ below row 0.
func ExampleLogSoftmax() {
	g := G.NewGraph()
	x := G.NodeFromAny(g, graph.NewTensor(tensor.Float32, []int{2, 3}, []float64{1000, 1001, 1002, -5, 0, 3}), G.WithName("x"))
	p, _ := graph.Softmax(x, 1)
	r, _ := graph.NewRunner(g, G.Nodes{p})
	r.Run()
	out, _ := r.Float64s(nil, p)
	fmt.Printf("%.4f\n", out)
	// Output: [0.0900 0.2447 0.6652 0.0003 0.0474 0.9523]
}
