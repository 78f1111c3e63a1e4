package train

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
)

// vg is a parameter's value and a gradient, as Gorgonia's solvers take them.
type vg struct{ v, g *tensor.Dense }

func (p vg) Value() G.Value         { return p.v }
func (p vg) Grad() (G.Value, error) { return p.g, nil }
func (p vg) String() string         { return "vg" }
func (p vg) Name() string           { return "vg" }
func (p vg) Shape() tensor.Shape    { return p.v.Shape() }
func (p vg) Dtype() tensor.Dtype    { return p.v.Dtype() }

// shardedRun takes steps with the given solvers on fresh parameters and fixed gradients,
// checkpointing and restoring the solver state halfway, and returns the weights.
func shardedRun(t *testing.T, dt tensor.Dtype, cfg Config, sharded bool) []float64 {
	t.Helper()
	ps, err := graph.NewParamSet(dt)
	if err != nil {
		t.Fatal(err)
	}
	rng := graph.NewRand(1)
	for i, n := range []int{20000, 3, 15000, 7, 10000} {
		v := make([]float64, n)
		for j := range v {
			v[j] = rng.NormFloat64()
		}
		if _, err := ps.Add(fmt.Sprintf("p%d", i), []int{n}, v); err != nil {
			t.Fatal(err)
		}
	}
	params := ps.List()
	grads := make([]*tensor.Dense, len(params))
	model := make([]G.ValueGrad, len(params))
	fill := func(step int) {
		for i, p := range params {
			g := make([]float64, p.Size())
			for j := range g {
				g[j] = 20 * rng.NormFloat64() // some beyond the clip threshold
			}
			grads[i] = graph.NewTensor(dt, []int{p.Size()}, g)
			model[i] = vg{p.Value, grads[i]}
		}
	}
	newS := func() *solvers {
		if sharded {
			s := newSolvers(cfg, params)
			if len(s.shards) < 2 {
				t.Fatalf("%d elements in %d shards", ps.Count(), len(s.shards))
			}
			return s
		}
		return &solvers{shards: []G.Solver{newSolver(cfg)}, bounds: []int{0, len(params)}}
	}
	s := newS()
	for step := range 6 {
		if step == 3 { // checkpoint and resume into a fresh set of solvers
			st, err := s.state()
			if err != nil {
				t.Fatal(err)
			}
			s = newS()
			if err := s.restore(st, params); err != nil {
				t.Fatal(err)
			}
		}
		fill(step)
		s.setLearnRate(0.01 * float64(step+1))
		if err := s.step(model); err != nil {
			t.Fatal(err)
		}
	}
	return ps.Flatten(nil)
}

// Solvers sharded over goroutines update every weight exactly as one solver does, and
// their state checkpoints and restores, for every solver and both dtypes.
func TestShardedSolversMatchOne(t *testing.T) {
	for _, solver := range []Solver{Adam, RMSProp, Momentum, SGD} {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			cfg := Config{Solver: solver, Workers: 2}.withDefaults()
			one := shardedRun(t, dt, cfg, false)
			two := shardedRun(t, dt, cfg, true)
			sameBits(t, fmt.Sprintf("%s %v", solver, dt), two, one)
		}
	}
}
