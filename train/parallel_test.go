package train

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// A data-parallel step (the batch split over two graphs, gradients summed weighted by
// rows) gives the single-graph step's cost and weights up to float rounding, for even
// and odd splits and both dtypes.
func TestDataParallelStepMatchesOneGraph(t *testing.T) {
	for _, dt := range []models.DType{models.Float64, models.Float32} {
		tol := 1e-12
		if dt == models.Float32 {
			tol = 2e-5
		}
		for _, batch := range []int{200, 201} {
			t.Run(fmt.Sprintf("%s/batch=%d", dt, batch), func(t *testing.T) {
				rng := graph.NewRand(5)
				x, y := make([]float64, batch), make([]float64, batch)
				for i := range x {
					x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
				}
				var weights [2][]float64
				var costs [2][]float64
				for i, workers := range []int{1, 2} {
					m := smallMDN(t, dt)
					st, err := NewStepper(m, batch, Config{LearnRate: 0.01, Workers: workers})
					if err != nil {
						t.Fatal(err)
					}
					if got := len(st.t.steppers[batch].parts); got != workers {
						t.Fatalf("Workers %d: the step runs in %d graphs", workers, got)
					}
					for range 3 {
						c, err := st.Step(x, y)
						if err != nil {
							t.Fatal(err)
						}
						costs[i] = append(costs[i], c)
					}
					weights[i] = m.Params().Flatten(nil)
				}
				for j := range costs[0] {
					if d := math.Abs(costs[0][j] - costs[1][j]); d > tol*math.Max(1, math.Abs(costs[0][j])) {
						t.Errorf("step %d cost: one graph %v, two %v", j, costs[0][j], costs[1][j])
					}
				}
				for j := range weights[0] {
					if d := math.Abs(weights[0][j] - weights[1][j]); d > tol*math.Max(1, math.Abs(weights[0][j])) {
						t.Fatalf("weight %d after 3 steps: one graph %v, two %v", j, weights[0][j], weights[1][j])
					}
				}
			})
		}
	}
}

// Data-parallel training is reproducible bit for bit, and its validation NLL matches
// one graph's closely.
func TestDataParallelRunDeterministic(t *testing.T) {
	d := bishopData(600, 3)
	cfg := Config{BatchSize: 250, Epochs: 5, Seed: 2, ValFraction: 0.2, LearnRate: 0.01, Workers: 2}
	a, b := smallMDN(t, models.Float64), smallMDN(t, models.Float64)
	ra, err := Run(context.Background(), a, d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Run(context.Background(), b, d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "weights", a.Params().Flatten(nil), b.Params().Flatten(nil))
	one := smallMDN(t, models.Float64)
	cfg.Workers = 1
	r1, err := Run(context.Background(), one, d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r1.ValNLL-ra.ValNLL) > 1e-9 || ra.ValNLL != rb.ValNLL {
		t.Errorf("validation NLL: two graphs %v and %v, one graph %v", ra.ValNLL, rb.ValNLL, r1.ValNLL)
	}
}
