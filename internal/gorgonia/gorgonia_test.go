package gorgonia_test

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gorgonia"
)

// TestInputsOrder: Inputs lists every op's arguments in the order the op was applied to
// them, a repeated argument as often as it was given, for Gorgonia's ops that mixgraph's
// graphs use (including the non-commutative ones and a scalar constant) and for
// mixgraph's own ops. mixgraph's machine calls every op with Inputs in this order: if
// this test fails, the pinned Gorgonia has changed how it stores a node's inputs.
func TestInputsOrder(t *testing.T) {
	g := G.NewGraph()
	in := func(name string, shape ...int) *G.Node { return graph.NewInput(g, tensor.Float64, name, shape...) }
	x, w, b := in("x", 4, 3), in("w", 3, 2), in("b", 1, 2)
	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	half := G.NewConstant(0.5)
	xw := must(G.Mul(x, w))
	z := must(G.BroadcastAdd(xw, b, nil, []byte{0}))
	ps, _ := graph.NewParamSet(tensor.Float64)
	d, err := graph.NewDense(ps, graph.DenseConfig{Name: "d", In: 3, Out: 2, Act: graph.Tanh}, graph.NewRand(1))
	if err != nil {
		t.Fatal(err)
	}
	dense := must(d.Forward(x))
	wNode, bNode := d.W.Node(g), d.B.Node(g)
	cases := []struct {
		name string
		n    *G.Node
		want G.Nodes
	}{
		{"x", x, nil},
		{"Mul", xw, G.Nodes{x, w}},
		{"Sub", must(G.Sub(dense, z)), G.Nodes{dense, z}},
		{"Div", must(G.Div(z, dense)), G.Nodes{z, dense}},
		{"HadamardProd of one node", must(G.HadamardProd(z, z)), G.Nodes{z, z}},
		{"Mul by a constant", must(G.Mul(z, half)), G.Nodes{z, nil}}, // nil: the graph's copy of half
		{"Dense", dense, G.Nodes{x, wNode, bNode}},
		{"GaussianLogDensity", must(graph.GaussianLogDensity(z, dense, xw, 1, 2)), G.Nodes{z, dense, xw}},
	}
	// A broadcast sum takes its first argument and a repeat of its second.
	if zin := gorgonia.Inputs(z); len(zin) != 2 || zin[0] != xw {
		t.Fatalf("BroadcastAdd: Inputs = %v, want the product %v and a repeat of b", zin, xw)
	}
	for _, c := range cases {
		got := gorgonia.Inputs(c.n)
		if len(got) != len(c.want) {
			t.Fatalf("%s: Inputs = %v, want %v", c.name, got, c.want)
		}
		for i := range got {
			if c.want[i] == nil && got[i].IsScalar() && got[i].Value().Data() == half.Value().Data() {
				continue
			}
			if got[i] != c.want[i] {
				t.Fatalf("%s: input %d is %v, want %v (Inputs = %v)", c.name, i, got[i], c.want[i], got)
			}
		}
	}
}

// TestPoolIsOff: tensor's struct pool is off, so ReturnTensor leaves a tensor alone
// (with the pool on, it would clear the tensor and keep it for reuse).
func TestPoolIsOff(t *testing.T) {
	t.Parallel()
	v := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	tensor.ReturnTensor(v)
	if !v.Shape().Eq(tensor.Shape{2, 3}) || v.Dtype() != tensor.Float64 || v.Float64s()[5] != 6 {
		t.Fatalf("ReturnTensor cleared the tensor (shape %v, dtype %v): tensor's pool is on", v.Shape(), v.Dtype())
	}
}
