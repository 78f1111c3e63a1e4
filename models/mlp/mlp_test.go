package mlp

import (
	"context"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gradcheck"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/train"
)

func fill(n *G.Node, rng interface{ NormFloat64() float64 }) {
	t := n.Value().(tensor.Tensor)
	v := make([]float64, t.Shape().TotalSize())
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	graph.CopyFromFloat64s(t, v)
}

// TestCost: the cost equals losses.MSE of the same prediction, and its gradient checks
// against finite differences, in both dtypes.
func TestCost(t *testing.T) {
	for _, f32 := range []bool{false, true} {
		m, err := New(Config{InputDim: 2, OutputDim: 3, Hidden: []int{4}, DType: map[bool]models.DType{false: models.Float64, true: models.Float32}[f32], Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		g := G.NewGraph()
		loss, err := m.BuildLoss(g, 5)
		if err != nil {
			t.Fatal(err)
		}
		rng := graph.NewRand(2)
		fill(loss.X, rng)
		fill(loss.Y, rng)
		pred, _ := m.net.Forward(loss.X)
		mse, err := losses.MSE(pred, loss.Y)
		if err != nil {
			t.Fatal(err)
		}
		r, err := graph.NewRunner(g, G.Nodes{loss.Cost, mse})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
		a, _ := r.Scalar(loss.Cost)
		b, _ := r.Scalar(mse)
		if math.Abs(a-b) > 1e-6*math.Abs(b) {
			t.Errorf("float32=%v: cost %g, MSE %g", f32, a, b)
		}
		res, err := gradcheck.Check(func(g *G.ExprGraph) (*G.Node, G.Nodes, error) {
			loss, err := m.BuildLoss(g, 5)
			if err != nil {
				return nil, nil, err
			}
			rng := graph.NewRand(3)
			fill(loss.X, rng)
			fill(loss.Y, rng)
			return loss.Cost, append(m.Params().Nodes(g), loss.X), nil
		}, gradcheck.For(m.Params().DType()))
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK() {
			t.Errorf("float32=%v: %v", f32, res)
		}
	}
}

// TestFitsTheMean: trained on y = 2x + 1 the regressor predicts the line in original
// units, through the normalisation.
func TestFitsTheMean(t *testing.T) {
	var d train.Data
	for i := 0; i < 200; i++ {
		x := float64(i)/10 - 10
		d.X = append(d.X, []float64{x})
		d.Y = append(d.Y, []float64{2*x + 1})
	}
	m, err := New(Config{InputDim: 1, OutputDim: 1, Hidden: []int{8}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := train.Run(context.Background(), m, d, train.Config{LearnRate: 0.03, BatchSize: 20, Epochs: 300, Schedule: train.CosineLR}); err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict([][]float64{{-5}, {0}, {5}})
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range []float64{-5, 0, 5} {
		if math.Abs(p[i][0]-(2*x+1)) > 0.25 { // 0.6% of the targets' range of 40
			t.Errorf("ŷ(%g) = %g, want %g", x, p[i][0], 2*x+1)
		}
	}
	if _, err := m.Predict([][]float64{{math.NaN()}}); err == nil {
		t.Error("NaN input accepted")
	}
}
