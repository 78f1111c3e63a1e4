package gorgonia

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// pair is a value and its gradient, as Gorgonia's solvers take them.
type pair struct{ v, g *tensor.Dense }

func (p pair) Value() G.Value         { return p.v }
func (p pair) Grad() (G.Value, error) { return p.g, nil }

// vector makes a tensor of dtype dt holding v.
func vector(dt tensor.Dtype, v []float64) *tensor.Dense {
	if dt == tensor.Float64 {
		return tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(append([]float64(nil), v...)))
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(f))
}

// floats is t's values as float64.
func floats(t *testing.T, v G.Value) []float64 {
	t.Helper()
	switch d := v.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	}
	t.Fatalf("a %T of %T", v, v.Data())
	return nil
}

// fill sets the gradient of step k (the solvers zero it after a step).
func fill(g *tensor.Dense, k int) {
	for i := range g.Shape().TotalSize() {
		x := float64((i*7+k*3)%11) - 5 + 0.25*float64(k)
		if g.Dtype() == tensor.Float64 {
			g.Float64s()[i] = x
		} else {
			g.Float32s()[i] = float32(x)
		}
	}
}

var solverKinds = []struct {
	name string
	make func() G.Solver
}{
	{"adam", func() G.Solver { return G.NewAdamSolver(G.WithLearnRate(0.01)) }},
	{"rmsprop", func() G.Solver { return G.NewRMSPropSolver(G.WithLearnRate(0.01), G.WithRho(0.9)) }},
	{"momentum", func() G.Solver { return G.NewMomentum(G.WithLearnRate(0.01), G.WithMomentum(0.9)) }},
	{"vanilla", func() G.Solver { return G.NewVanillaSolver(G.WithLearnRate(0.01)) }},
}

// The unexported fields that AdamIter, EachCached and SetCache reach are where and what
// this package expects, and after one step they hold what each solver's update says: Adam
// m = (1−β₁)g, v = (1−β₂)g² and one step counted; RMSProp (1−ρ)g²; Momentum −ηg. If this
// fails, the pinned Gorgonia has changed: resuming training from a checkpoint and the
// recycling of Adam's clones depend on these fields.
func TestSolverLayout(t *testing.T) {
	t.Parallel()
	if _, err := solverLayout(); err != nil {
		t.Fatal(err)
	}
	const tol = 1e-6 // float32 rounding
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, kind := range solverKinds {
			name := fmt.Sprintf("%s/%v", kind.name, dt)
			s := kind.make()
			g := vector(dt, make([]float64, 5))
			fill(g, 0)
			grad := floats(t, g)
			var cached [][2]G.Value
			collect := func() {
				cached = cached[:0]
				if err := EachCached(s, func(v, d G.Value) { cached = append(cached, [2]G.Value{v, d}) }); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			if collect(); len(cached) != 0 {
				t.Fatalf("%s: %d cache entries before the first step", name, len(cached))
			}
			if err := s.Step([]G.ValueGrad{pair{vector(dt, []float64{1, 2, 3, 4, 5}), g}}); err != nil {
				t.Fatal(err)
			}
			collect()
			if !HasCache(s) {
				if len(cached) != 0 {
					t.Fatalf("%s: keeps no cache, yet EachCached found %d entries", name, len(cached))
				}
				continue
			}
			if len(cached) != 1 || cached[0][0] == nil || cached[0][1] == nil {
				t.Fatalf("%s: cache %v after a step of one pair, want one entry of two tensors", name, cached)
			}
			var want []float64
			check := func(what string, got G.Value, f func(g float64) float64) {
				t.Helper()
				want = want[:0]
				for _, x := range grad {
					want = append(want, f(x))
				}
				for i, x := range floats(t, got) {
					if math.Abs(x-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
						t.Fatalf("%s: %s element %d is %g, want %g", name, what, i, x, want[i])
					}
				}
			}
			switch s := s.(type) {
			case *G.AdamSolver:
				if n, err := AdamIter(s); err != nil || n != 1 {
					t.Fatalf("%s: step count %d (%v), want 1", name, n, err)
				}
				check("first moment", cached[0][0], func(g float64) float64 { return 0.1 * g })
				check("second moment", cached[0][1], func(g float64) float64 { return 0.001 * g * g })
			case *G.RMSPropSolver:
				check("squared-gradient average", cached[0][0], func(g float64) float64 { return 0.1 * g * g })
			case *G.Momentum:
				check("velocity", cached[0][0], func(g float64) float64 { return -0.01 * g })
			default:
				t.Fatalf("%s: HasCache knows %T, this test does not", name, s)
			}
		}
	}
}

// A solver given another's step count and cache (copied) continues exactly as the
// other does, bit for bit; an empty cache leaves a solver as new; a solver without a cache
// refuses entries.
func TestSolverStateCarriesOver(t *testing.T) {
	t.Parallel()
	sizes := []int{7, 1, 12}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, kind := range solverKinds {
			name := fmt.Sprintf("%s/%v", kind.name, dt)
			newModel := func() []G.ValueGrad {
				var m []G.ValueGrad
				for j, n := range sizes {
					w := make([]float64, n)
					for i := range w {
						w[i] = float64(i+j) / 4
					}
					m = append(m, pair{vector(dt, w), vector(dt, make([]float64, n))})
				}
				return m
			}
			step := func(s G.Solver, m []G.ValueGrad, k int) {
				for _, p := range m {
					fill(p.(pair).g, k)
				}
				if err := s.Step(m); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			a, ma := kind.make(), newModel()
			for k := range 3 {
				step(a, ma, k)
			}
			b, mb := kind.make(), newModel()
			for i := range ma {
				switch d := ma[i].(pair).v.Data().(type) {
				case []float64:
					copy(mb[i].(pair).v.Float64s(), d)
				case []float32:
					copy(mb[i].(pair).v.Float32s(), d)
				}
			}
			var entries []Cached
			if err := EachCached(a, func(v, d G.Value) {
				entries = append(entries, Cached{v.(*tensor.Dense).Clone().(*tensor.Dense), d.(*tensor.Dense).Clone().(*tensor.Dense)})
			}); err != nil {
				t.Fatal(err)
			}
			if err := SetCache(b, entries); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if a, ok := a.(*G.AdamSolver); ok {
				n, err := AdamIter(a)
				if err == nil {
					err = SetAdamIter(b.(*G.AdamSolver), n)
				}
				if err != nil || n != 3 {
					t.Fatalf("%s: step count %d (%v), want 3", name, n, err)
				}
			}
			for k := 3; k < 5; k++ {
				step(a, ma, k)
				step(b, mb, k)
			}
			for i := range ma {
				wa, wb := floats(t, ma[i].Value()), floats(t, mb[i].Value())
				for j := range wa {
					if math.Float64bits(wa[j]) != math.Float64bits(wb[j]) {
						t.Fatalf("%s: parameter %d element %d is %.17g after carrying the state over, %.17g without", name, i, j, wb[j], wa[j])
					}
				}
			}
			if err := SetCache(b, nil); err != nil {
				t.Fatal(err)
			}
			n := 0
			if err := EachCached(b, func(G.Value, G.Value) { n++ }); err != nil || n != 0 {
				t.Fatalf("%s: %d entries (%v) after SetCache(nil)", name, n, err)
			}
			if !HasCache(a) {
				if len(entries) != 0 {
					t.Fatalf("%s: keeps no cache, yet EachCached found %d entries", name, len(entries))
				}
				one := []Cached{{vector(dt, []float64{1}), vector(dt, []float64{1})}}
				if err := SetCache(a, one); err == nil {
					t.Fatalf("%s: SetCache took an entry for a solver without a cache", name)
				}
			} else if len(entries) != len(sizes) {
				t.Fatalf("%s: %d cache entries for %d pairs", name, len(entries), len(sizes))
			}
		}
	}
}
