package train

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gorgonia"
)

// The fused Adam update gives Gorgonia's AdamSolver's weights and moments bit for bit,
// with clipping on and off, in both dtypes, over steps with changing learning rates and
// gradients that include the special cases: zero, tiny and huge values, values beyond the
// clip threshold, ±Inf and NaN (whose element stays NaN in both).
func TestAdamMatchesGorgonia(t *testing.T) {
	t.Parallel()
	special := []float64{0, 1e-30, -1e-30, 1e30, -1e30, 11, -11, math.Inf(1), math.Inf(-1), math.NaN(), 3e-8, -2.5}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, clip := range []float64{10, -1} {
			name := fmt.Sprintf("%v clip=%g", dt, clip)
			cfg := Config{Solver: Adam, Clip: clip, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-6}.withDefaults()
			const n = 200
			rng := graph.NewRand(3)
			w0 := make([]float64, n)
			for i := range w0 {
				w0[i] = rng.NormFloat64()
			}
			wRef := graph.NewTensor(dt, tensor.Shape{n}, w0)
			wOurs := graph.NewTensor(dt, tensor.Shape{n}, w0)
			gRef := tensor.New(tensor.Of(dt), tensor.WithShape(n))
			gOurs := tensor.New(tensor.Of(dt), tensor.WithShape(n))
			ref := newSolver(cfg).(*G.AdamSolver)
			ours := newSolver(cfg).(*G.AdamSolver)
			a := newAdam(cfg)
			for step := range 5 {
				g := make([]float64, n)
				for i := range g {
					g[i] = 5 * rng.NormFloat64()
				}
				copy(g[step*len(special):], special)
				graph.CopyFromFloat64s(gRef, g)
				graph.CopyFromFloat64s(gOurs, g)
				eta := 0.01 * float64(step+1)
				setLearnRate(ref, eta)
				a.eta = eta
				if err := ref.Step([]G.ValueGrad{vg{wRef, gRef}}); err != nil {
					t.Fatal(err)
				}
				if err := a.step(ours, wOurs, gOurs); err != nil {
					t.Fatal(err)
				}
				what := fmt.Sprintf("%s step %d", name, step+1)
				sameBitsOrNaN(t, what+": weights", graph.AppendFloat64s(nil, wOurs), graph.AppendFloat64s(nil, wRef))
				if k := nonZero(gOurs); k != 0 {
					t.Fatalf("%s: %d gradient elements left", what, k)
				}
				for _, s := range []*G.AdamSolver{ref, ours} {
					if it, err := gorgonia.AdamIter(s); err != nil || it != step+1 {
						t.Fatalf("%s: step count %d (%v), want %d", what, it, err, step+1)
					}
				}
				refSt, ourSt := perParameterState(t, ref), perParameterState(t, ours)
				sameBitsOrNaN(t, what+": first moments", ourSt.Slots[0].Value, refSt.Slots[0].Value)
				sameBitsOrNaN(t, what+": second moments", ourSt.Slots[0].Deriv, refSt.Slots[0].Deriv)
			}
		}
	}
}

// sameBitsOrNaN is sameBits, except that a NaN matches any NaN.
func sameBitsOrNaN(t *testing.T, what string, a, b []float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d vs %d values", what, len(a), len(b))
	}
	for i := range a {
		if math.IsNaN(a[i]) && math.IsNaN(b[i]) {
			continue
		}
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("%s: value %d differs: %.17g vs %.17g", what, i, a[i], b[i])
		}
	}
}
