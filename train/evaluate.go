package train

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// evaluator computes the mean per-row cost of a data set without gradients.
type evaluator struct {
	loss *models.Loss
	r    *graph.Runner
	size int
}

// evaluate returns the mean per-row cost, in original units, of standardised rows.
func (t *trainer) evaluate(xs, ys []float64, n int) (float64, error) {
	size := min(n, 1024)
	e, ok := t.evals[size]
	if !ok {
		g := G.NewGraph()
		loss, err := t.m.BuildLoss(g, size)
		if err != nil {
			return 0, err
		}
		if loss.PerRow == nil {
			return 0, fmt.Errorf("train: the model's loss has no per-row cost to evaluate with")
		}
		r, err := graph.NewRunner(g, G.Nodes{loss.PerRow})
		if err != nil {
			return 0, err
		}
		e = &evaluator{loss: loss, r: r, size: size}
		t.evals[size] = e
	}
	xb, yb := make([]float64, size*t.xDim), make([]float64, size*t.yDim)
	sum := 0.0
	var per []float64
	for lo := 0; lo < n; lo += size {
		rows := min(size, n-lo)
		clear(xb)
		clear(yb)
		copy(xb, xs[lo*t.xDim:(lo+rows)*t.xDim])
		copy(yb, ys[lo*t.yDim:(lo+rows)*t.yDim])
		if err := e.r.Feed(e.loss.X, xb); err != nil {
			return 0, err
		}
		if err := e.r.Feed(e.loss.Y, yb); err != nil {
			return 0, err
		}
		if err := e.r.Run(); err != nil {
			return 0, err
		}
		var err error
		if per, err = e.r.Float64s(per[:0], e.loss.PerRow); err != nil {
			return 0, err
		}
		for _, v := range per[:rows] {
			sum += v
		}
	}
	return t.m.CostInOriginalUnits(sum / float64(n)), nil
}
