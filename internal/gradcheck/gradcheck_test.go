package gradcheck_test

import (
	"math"
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

// TestCheckDetectsWrongGradient: Gorgonia's Rectify has derivative 1 at exactly 0 while
// the central difference there is ½, so a check at x = 0 must fail and name the element.
func TestCheckDetectsWrongGradient(t *testing.T) {
	res, err := gradcheck.Check(func(g *G.ExprGraph) (*G.Node, G.Nodes, error) {
		x := G.NodeFromAny(g, graph.NewTensor(tensor.Float64, []int{1, 3}, []float64{1, 0, -1}), G.WithName("x"))
		r, err := G.Rectify(x)
		if err != nil {
			return nil, nil, err
		}
		c, err := G.Sum(r)
		return c, G.Nodes{x}, err
	}, gradcheck.Float64)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || res.Failed != 1 || res.Worst.Node != "x" || res.Worst.Index != 1 || res.Checked != 3 {
		t.Errorf("check at a kink: %v (OK %v), want x[1] to fail alone", res, res.OK())
	}
	if res.MaxAbs < 0.4 || math.Abs(res.Worst.Numeric-0.5) > 1e-6 {
		t.Errorf("worst mismatch %v, want |1 − 0.5|", res)
	}
}
