package train

import (
	"errors"
	"fmt"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gorgonia"
)

// newSolver returns the Gorgonia solver for cfg (defaults applied). The solver's batch
// size is 1, since the cost is already the batch mean, and WithClip(c) clamps each
// gradient element to [−c, c]. L2 is not passed to the solver: Run adds L2·w to the
// gradients itself, because Gorgonia's Momentum applies it to the velocity instead.
func newSolver(cfg Config) G.Solver {
	opts := []G.SolverOpt{G.WithLearnRate(cfg.LearnRate)}
	if cfg.Clip > 0 {
		opts = append(opts, G.WithClip(cfg.Clip))
	}
	switch cfg.Solver {
	case RMSProp:
		return G.NewRMSPropSolver(append(opts, G.WithRho(cfg.Rho), G.WithEps(cfg.Epsilon))...)
	case SGD:
		return G.NewVanillaSolver(opts...)
	case Momentum:
		return G.NewMomentum(append(opts, G.WithMomentum(cfg.Momentum))...)
	default:
		return G.NewAdamSolver(append(opts, G.WithBeta1(cfg.Beta1), G.WithBeta2(cfg.Beta2), G.WithEps(cfg.Epsilon))...)
	}
}

// setLearnRate changes a solver's learning rate in place.
func setLearnRate(s G.Solver, eta float64) { G.WithLearnRate(eta)(s) }

// solverState is the solvers' internal state as a checkpoint holds it: Adam's step count
// and, for each parameter in order, the two tensors Gorgonia's solver keeps for it (Adam:
// the first and second moment estimates; RMSProp: the squared-gradient average; Momentum:
// the velocity), or none before the first step and for SGD. Gorgonia keeps these
// unexported; internal/gorgonia reaches them, so that a resumed run continues exactly
// where it stopped.
type solverState struct {
	Iter  int         `json:"iter"`
	Slots []slotState `json:"slots"`
}

// slotState is one parameter's cached tensors, as float64.
type slotState struct {
	Value []float64 `json:"value"`
	Deriv []float64 `json:"deriv"`
}

// shardedElems is the parameter count from which a solver step is split between
// goroutines.
const shardedElems = 1 << 12

// solvers applies one Gorgonia solver per contiguous shard of the parameters, the shards
// stepping concurrently. A shard hands its solver its elements as one value-gradient
// pair: a vector over a run of the ParamSet's array (the parameters' values lie one after
// another there) and the same run of the gradient vector; shards are cut by element
// count, across parameter boundaries, so that they take equal time. The solvers are
// elementwise, so each element's update is the one a solver stepping every parameter as
// its own tensor would make, bit for bit (Adam's step count advances once per step in
// every shard); the solver just does its fixed work per tensor once per shard instead of
// once per parameter. Each shard's gradient vector carries a recycler as its engine.
type solvers struct {
	shards []G.Solver
	model  [][]G.ValueGrad // shard i's one value-gradient pair
	cuts   []int           // shard i is elements cuts[i] to cuts[i+1]−1
	recs   []*recycler     // shard i's gradient engine
	errs   []error
	ps     *graph.ParamSet
	// adam, for Adam, makes each shard's update in one pass (see adam) with the state
	// kept in the shard's solver; nil for the others, or to test Gorgonia's own step.
	adam *adam
}

// span is a run of parameters' values and their gradients as Gorgonia's solvers take them.
type span struct{ v, g *tensor.Dense }

func (p span) Value() G.Value         { return p.v }
func (p span) Grad() (G.Value, error) { return p.g, nil }

// newSolvers splits the parameters into up to cfg.Workers shards of about equal element
// counts (models under shardedElems parameters get one) whose gradients are read from
// grad, a vector of ps.Count() elements in the parameters' order.
func newSolvers(cfg Config, ps *graph.ParamSet, grad *tensor.Dense) *solvers {
	n := 1
	if ps.Count() >= shardedElems {
		n = max(1, cfg.Workers)
	}
	return newSolversN(cfg, ps, grad, n)
}

// newSolversN makes up to n shards.
func newSolversN(cfg Config, ps *graph.ParamSet, grad *tensor.Dense, n int) *solvers {
	total := ps.Count()
	n = max(1, min(n, total))
	all := ps.Span(0, len(ps.List()))
	s := &solvers{ps: ps}
	for i := range n + 1 {
		s.cuts = append(s.cuts, i*total/n)
	}
	for i := range n {
		lo, hi := s.cuts[i], s.cuts[i+1]
		rec := &recycler{}
		s.shards = append(s.shards, newSolver(cfg))
		s.recs = append(s.recs, rec)
		s.model = append(s.model, []G.ValueGrad{span{subVector(all, lo, hi), subVector(grad, lo, hi, tensor.WithEngine(rec))}})
	}
	if _, ok := s.shards[0].(*G.AdamSolver); ok {
		s.adam = newAdam(cfg)
	}
	return s
}

func (s *solvers) setLearnRate(eta float64) {
	for _, sh := range s.shards {
		setLearnRate(sh, eta)
	}
	if s.adam != nil {
		s.adam.eta = eta
	}
}

// step updates every shard's parameters from the gradients (and zeroes the gradients).
func (s *solvers) step() error {
	if len(s.shards) == 1 {
		return s.stepShard(0)
	}
	if s.errs == nil {
		s.errs = make([]error, len(s.shards))
	}
	var wg sync.WaitGroup
	for i := range s.shards[1:] {
		wg.Go(func() { s.errs[i+1] = s.stepShard(i + 1) })
	}
	s.errs[0] = s.stepShard(0)
	wg.Wait()
	return errors.Join(s.errs...)
}

// stepShard steps shard i and takes back the memory its solver let go of.
func (s *solvers) stepShard(i int) error {
	if s.adam != nil {
		sp := s.model[i][0].(span)
		return s.adam.step(s.shards[i].(*G.AdamSolver), sp.v, sp.g)
	}
	err := s.shards[i].Step(s.model[i])
	s.recs[i].afterStep(s.shards[i])
	return err
}

// state is the solvers' state with a slot per parameter, as one solver stepping every
// parameter as its own tensor would keep it.
func (s *solvers) state() (*solverState, error) {
	st := &solverState{}
	var flat slotState // the shards' slots end to end
	stepped := 0
	for i, sh := range s.shards {
		if a, ok := sh.(*G.AdamSolver); ok {
			var err error
			if st.Iter, err = gorgonia.AdamIter(a); err != nil {
				return nil, err
			}
		}
		slots := 0
		err := gorgonia.EachCached(sh, func(val, d G.Value) {
			slots++
			if val != nil {
				flat.Value = graph.AppendFloat64s(flat.Value, val)
			}
			if d != nil {
				flat.Deriv = graph.AppendFloat64s(flat.Deriv, d)
			}
		})
		switch {
		case err != nil:
			return nil, err
		case slots > 1:
			return nil, fmt.Errorf("train: solver shard %d keeps %d slots, want 1", i, slots)
		}
		stepped += slots
	}
	if stepped == 0 {
		return st, nil
	}
	n := s.ps.Count()
	if stepped != len(s.shards) || len(flat.Value) != n || len(flat.Deriv) != n {
		return nil, fmt.Errorf("train: solver shards keep state for %d/%d of %d elements", len(flat.Value), len(flat.Deriv), n)
	}
	for p := range s.ps.List() {
		a, b := s.ps.Offset(p), s.ps.Offset(p+1)
		st.Slots = append(st.Slots, slotState{Value: flat.Value[a:b:b], Deriv: flat.Deriv[a:b:b]})
	}
	return st, nil
}

// restore puts st, as state returned it, back into the shards.
func (s *solvers) restore(st *solverState) error {
	params := s.ps.List()
	if len(st.Slots) != 0 && len(st.Slots) != len(params) {
		return fmt.Errorf("train: checkpoint solver state has %d slots for %d parameters", len(st.Slots), len(params))
	}
	var flat slotState
	for p, slot := range st.Slots {
		if slot.Value == nil && slot.Deriv == nil {
			return fmt.Errorf("train: checkpoint solver state has none for %q but some for other parameters", params[p].Name)
		}
		if len(slot.Value) != params[p].Size() || len(slot.Deriv) != params[p].Size() {
			return fmt.Errorf("train: checkpoint solver state for %q has %d/%d values, parameter has %d", params[p].Name, len(slot.Value), len(slot.Deriv), params[p].Size())
		}
		flat.Value = append(flat.Value, slot.Value...)
		flat.Deriv = append(flat.Deriv, slot.Deriv...)
	}
	for i, sh := range s.shards {
		if a, ok := sh.(*G.AdamSolver); ok {
			if err := gorgonia.SetAdamIter(a, st.Iter); err != nil {
				return err
			}
		}
		if len(st.Slots) == 0 {
			continue
		}
		if !gorgonia.HasCache(sh) {
			return fmt.Errorf("train: checkpoint holds solver state, but %T keeps none", sh)
		}
		lo, hi := s.cuts[i], s.cuts[i+1]
		dt, shape := s.ps.DType(), tensor.Shape{hi - lo}
		slot := gorgonia.Cached{Value: graph.NewTensor(dt, shape, flat.Value[lo:hi:hi]), Deriv: graph.NewTensor(dt, shape.Clone(), flat.Deriv[lo:hi:hi])}
		if err := gorgonia.SetCache(sh, []gorgonia.Cached{slot}); err != nil {
			return err
		}
	}
	return nil
}

// subVector is a vector over elements lo to hi−1 of v's data, made with opts besides.
func subVector(v *tensor.Dense, lo, hi int, opts ...tensor.ConsOpt) *tensor.Dense {
	var backing any
	switch d := v.Data().(type) {
	case []float64:
		backing = d[lo:hi:hi]
	case []float32:
		backing = d[lo:hi:hi]
	}
	return tensor.New(append([]tensor.ConsOpt{tensor.WithShape(hi - lo), tensor.WithBacking(backing)}, opts...)...)
}
