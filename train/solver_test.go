package train

import (
	"fmt"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gorgonia"
	"github.com/mixgraph/mixgraph/models"
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

// solverRun takes six steps on fresh parameters with fixed random gradients and returns
// the weights and the solver state. shards = 0 is the reference: one Gorgonia solver
// given each parameter as its own tensor. Otherwise the parameters go to the solvers type
// in shards shards, as spans of the ParamSet's array, and the state is checkpointed and
// restored halfway into fresh solvers with another number of shards.
func solverRun(t *testing.T, dt tensor.Dtype, cfg Config, shards int) ([]float64, *solverState) {
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
	grad := tensor.New(tensor.Of(dt), tensor.WithShape(ps.Count()))
	fill := func() {
		g := make([]float64, ps.Count())
		for j := range g {
			g[j] = 20 * rng.NormFloat64() // some beyond the clip threshold
		}
		graph.CopyFromFloat64s(grad, g)
	}
	if shards == 0 {
		sv := newSolver(cfg)
		model := make([]G.ValueGrad, len(params))
		for i, p := range params {
			model[i] = vg{p.Value, subVector(grad, ps.Offset(i), ps.Offset(i+1))}
		}
		for step := range 6 {
			fill()
			setLearnRate(sv, 0.01*float64(step+1))
			if err := sv.Step(model); err != nil {
				t.Fatal(err)
			}
		}
		return ps.Flatten(nil), perParameterState(t, sv)
	}
	newS := func(n int) *solvers {
		s := newSolversN(cfg, ps, grad, n)
		if len(s.shards) != n {
			t.Fatalf("%d elements in %d shards, want %d", ps.Count(), len(s.shards), n)
		}
		return s
	}
	s := newS(shards)
	for step := range 6 {
		if step == 3 { // checkpoint and resume into fresh solvers, sharded differently
			st, err := s.state()
			if err != nil {
				t.Fatal(err)
			}
			s = newS(shards%2 + 1)
			if err := s.restore(st); err != nil {
				t.Fatal(err)
			}
		}
		fill()
		s.setLearnRate(0.01 * float64(step+1))
		if err := s.step(); err != nil {
			t.Fatal(err)
		}
		if n := nonZero(grad); n != 0 {
			t.Fatalf("%d gradient elements left after the step (the solver zeroes them)", n)
		}
	}
	st, err := s.state()
	if err != nil {
		t.Fatal(err)
	}
	return ps.Flatten(nil), st
}

// perParameterState is the reference solver's state, a slot per parameter.
func perParameterState(t *testing.T, sv G.Solver) *solverState {
	t.Helper()
	st := &solverState{}
	if a, ok := sv.(*G.AdamSolver); ok {
		var err error
		if st.Iter, err = gorgonia.AdamIter(a); err != nil {
			t.Fatal(err)
		}
	}
	err := gorgonia.EachCached(sv, func(val, d G.Value) {
		st.Slots = append(st.Slots, slotState{Value: graph.AppendFloat64s(nil, val), Deriv: graph.AppendFloat64s(nil, d)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func nonZero(v *tensor.Dense) int {
	n := 0
	for _, x := range graph.AppendFloat64s(nil, v) {
		if x != 0 {
			n++
		}
	}
	return n
}

// The solvers, handed the parameters as one span per shard and sharded over goroutines,
// update every weight exactly as one Gorgonia solver given each parameter as its own
// tensor does, keep the same state slot by slot, and checkpoint and restore it, for every
// solver and both dtypes.
func TestSolverSpansMatchPerParameterSolver(t *testing.T) {
	t.Parallel()
	for _, solver := range []Solver{Adam, RMSProp, Momentum, SGD} {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			cfg := Config{Solver: solver, Workers: 2}.withDefaults()
			name := fmt.Sprintf("%s %v", solver, dt)
			ref, refSt := solverRun(t, dt, cfg, 0)
			for _, shards := range []int{1, 2, 3} {
				w, st := solverRun(t, dt, cfg, shards)
				sameBits(t, fmt.Sprintf("%s, %d shards: weights", name, shards), w, ref)
				if st.Iter != refSt.Iter || len(st.Slots) != len(refSt.Slots) {
					t.Fatalf("%s, %d shards: state has step %d and %d slots, want %d and %d", name, shards, st.Iter, len(st.Slots), refSt.Iter, len(refSt.Slots))
				}
				for i := range st.Slots {
					sameBits(t, fmt.Sprintf("%s, %d shards: slot %d value", name, shards, i), st.Slots[i].Value, refSt.Slots[i].Value)
					sameBits(t, fmt.Sprintf("%s, %d shards: slot %d deriv", name, shards, i), st.Slots[i].Deriv, refSt.Slots[i].Deriv)
				}
			}
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
	m, err := mdn.New(mdn.Config{InputDim: 8, OutputDim: 2, K: 5, Hidden: []int{64, 64}, DType: models.Float32, Seed: 1, VarianceFloor: 1e-3})
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
