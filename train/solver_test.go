package train

import (
	"fmt"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models/mdn"
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

// Training steps with concurrent graphs and solver shards must not deadlock in Gorgonia's
// tensor pool, whose ReturnTensor races once the pool is full (the graph package switches
// the pool off). Without that, this run stopped with "all goroutines are asleep" within a
// few hundred steps.
func TestConcurrentStepsDoNotDeadlock(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds of training steps; skipped under -short")
	}
	m, err := mdn.New(mdn.Config{InputDim: 8, OutputDim: 2, K: 5, Hidden: []int{64, 64}, DType: mdn.Float32, Seed: 1, VarianceFloor: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	const batch = 256
	st, err := NewStepper(m, batch, Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.t.solver.shards) < 2 || len(st.t.steppers[batch].parts) < 2 {
		t.Fatalf("want concurrent solvers and graphs, got %d and %d", len(st.t.solver.shards), len(st.t.steppers[batch].parts))
	}
	rng := graph.NewRand(2)
	x, y := make([]float64, batch*8), make([]float64, batch*2)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	done := make(chan error, 1)
	go func() {
		for range 3000 {
			if _, err := st.Step(x, y); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("3000 steps did not finish in two minutes: deadlocked")
	}
}
