package train

import (
	"context"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// TestWeightDecay: WeightDecay λ adds (λ/N)·w to a weight matrix's gradient (N the
// training rows), as L2 = λ/N would, and leaves a bias alone.
func TestWeightDecay(t *testing.T) {
	named := func(name string) *lin {
		ps, err := graph.NewParamSet(G.Float64)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ps.Add(name, []int{1, 1}, []float64{3}); err != nil {
			t.Fatal(err)
		}
		return &lin{ps: ps, norm: models.IdentityNormalization(1, 1)}
	}
	run := func(m *lin, cfg Config) float64 {
		cfg.Solver, cfg.LearnRate, cfg.BatchSize, cfg.Epochs = SGD, 0.01, 2, 3
		if _, err := Run(context.Background(), m, linData(), cfg); err != nil {
			t.Fatal(err)
		}
		return m.w()
	}
	sgd := func(decay float64) float64 {
		w := 3.0
		for i := 0; i < 3; i++ {
			w -= 0.01 * clip(linGrad(w)+decay*w, 10)
		}
		return w
	}
	// linData has N = 2 rows: λ = 1 decays by 0.5·w.
	if got, want := run(named("lin.W"), Config{WeightDecay: 1}), sgd(0.5); math.Abs(got-want) > updateTol {
		t.Errorf("weight matrix: w = %.17g, want %.17g", got, want)
	}
	if got, want := run(named("lin.W"), Config{WeightDecay: 1, L2: 0.25}), sgd(0.75); math.Abs(got-want) > updateTol {
		t.Errorf("weight matrix with L2 too: w = %.17g, want %.17g", got, want)
	}
	if got, want := run(named("lin.b"), Config{WeightDecay: 1}), sgd(0); math.Abs(got-want) > updateTol {
		t.Errorf("bias: w = %.17g, want %.17g (no decay)", got, want)
	}
	if err := (Config{WeightDecay: -1}).Validate(); err == nil {
		t.Error("negative weight decay accepted")
	}
	if _, err := NewStepper(named("lin.W"), 2, Config{WeightDecay: 1}); err == nil {
		t.Error("a stepper took WeightDecay, which needs a data size")
	}
}

// TestScaled: the defaults for a range of sizes stay sensible: at least 20 validation
// rows when the data allow, at most 10,000, a quarter at most; a step budget that bounds
// the run; patience only with validation rows.
func TestScaled(t *testing.T) {
	for _, n := range []int{1, 4, 5, 50, 100, 133, 272, 1000, 10000, 100000, 1000000} {
		c := Scaled(n)
		if err := c.Validate(); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		nVal := int(math.Round(c.ValFraction * float64(n)))
		fit := n - nVal
		switch {
		case n < 5 && (c.ValFraction != 0 || c.Patience != 0):
			t.Errorf("n=%d: validation fraction %g, patience %d; want none", n, c.ValFraction, c.Patience)
		case n >= 5 && (nVal < min(ScaledMinVal, n/4) || nVal > ScaledMaxVal || nVal > int(math.Round(0.25*float64(n))) || fit < 1):
			t.Errorf("n=%d: %d validation rows", n, nVal)
		case n >= 5 && c.Patience < 20:
			t.Errorf("n=%d: patience %d", n, c.Patience)
		}
		batches := (fit + c.BatchSize - 1) / c.BatchSize
		if steps := c.Epochs * batches; steps > ScaledSteps+batches || c.Epochs > ScaledMaxEpochs || c.Epochs < 10 {
			t.Errorf("n=%d: %d epochs of %d batches of %d (%d steps)", n, c.Epochs, batches, c.BatchSize, steps)
		}
		if k := ScaledK(n); k < 1 || k > 10 {
			t.Errorf("n=%d: K %d", n, k)
		}
	}
}

// TestScaledK: 3 components below 500 rows, 5 below 1000, 10 from there on.
func TestScaledK(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, 3}, {133, 3}, {499, 3}, {500, 5}, {999, 5}, {1000, 10}, {1 << 30, 10}} {
		if got := ScaledK(c.n); got != c.want {
			t.Errorf("ScaledK(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// TestScaledEnsemble: ten members below ScaledEnsembleBelow rows, two below
// ScaledPairBelow, one from there on.
func TestScaledEnsemble(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, 10}, {5, 10}, {133, 10}, {999, 10}, {1999, 10}, {2000, 2}, {10000, 2}, {19999, 2}, {20000, 1}, {1 << 30, 1}} {
		if got := ScaledEnsemble(c.n); got != c.want {
			t.Errorf("ScaledEnsemble(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// TestScaledDecay: λ is ScaledWeightDecay up to ScaledDecayRows rows and falls as 1/n²
// after, continuously and never below zero; Scaled uses it.
func TestScaledDecay(t *testing.T) {
	for _, c := range []struct {
		n    int
		want float64
	}{{1, 2}, {133, 2}, {500, 2}, {1000, 0.5}, {2000, 0.125}, {10000, 0.005}} {
		if got := ScaledDecay(c.n); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("ScaledDecay(%d) = %g, want %g", c.n, got, c.want)
		}
		if got := Scaled(c.n).WeightDecay; got != ScaledDecay(c.n) {
			t.Errorf("Scaled(%d).WeightDecay = %g, want ScaledDecay's %g", c.n, got, ScaledDecay(c.n))
		}
	}
	prev := ScaledDecay(1)
	for n := 2; n < 5000; n++ {
		d := ScaledDecay(n)
		if d > prev || d <= 0 || prev-d > 0.01 {
			t.Fatalf("ScaledDecay(%d) = %g after %g: want a small step down or none", n, d, prev)
		}
		prev = d
	}
	if got := Scaled(1000).LearnRate; got != ScaledLearnRate {
		t.Errorf("Scaled(1000).LearnRate = %g, want %g", got, ScaledLearnRate)
	}
}
