package gradcheck_test

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gradcheck"
)

func TestCheckLogSumExp(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		res, err := gradcheck.Check(func(g *G.ExprGraph) (*G.Node, G.Nodes, error) {
			x := G.NodeFromAny(g, graph.NewTensor(dt, []int{2, 3}, []float64{1000, 1001, 1002, -5, 0, 3}), G.WithName("x"))
			l, err := graph.LogSumExp(x, 1)
			if err != nil {
				return nil, nil, err
			}
			w := G.NodeFromAny(g, graph.NewTensor(dt, []int{2}, []float64{0.3, -1.7}), G.WithName("w"))
			p, err := G.HadamardProd(l, w)
			if err != nil {
				return nil, nil, err
			}
			c, err := G.Sum(p)
			return c, G.Nodes{x, w}, err
		}, gradcheck.For(dt))
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK() {
			t.Errorf("%v: %v", dt, res)
		}
		t.Logf("%v: %v", dt, res)
	}
}
