package train

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/levers"
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

// SolverState is a Gorgonia solver's internal state: Adam's step count and, for each
// parameter in order, the two tensors the solver keeps (Adam: the first and second
// moment estimates; RMSProp: the squared-gradient average; Momentum: the velocity).
// Gorgonia keeps these unexported; solverState and restoreSolverState reach them by
// reflection, so that a resumed run continues exactly where it stopped.
type SolverState struct {
	Iter  int         `json:"iter"`
	Slots []SlotState `json:"slots"`
}

// SlotState is one parameter's cached tensors, as float64.
type SlotState struct {
	Value []float64 `json:"value"`
	Deriv []float64 `json:"deriv"`
}

// field returns an addressable, settable view of s's unexported field name.
func field(s G.Solver, name string) (reflect.Value, error) {
	v := reflect.ValueOf(s)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, fmt.Errorf("train: solver %T is not a pointer to a struct", s)
	}
	f := v.Elem().FieldByName(name)
	if !f.IsValid() {
		return reflect.Value{}, fmt.Errorf("train: solver %T has no field %q (Gorgonia version changed?)", s, name)
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem(), nil
}

// hasCache reports whether a solver type keeps per-parameter state.
func hasCache(s G.Solver) bool {
	switch s.(type) {
	case *G.AdamSolver, *G.RMSPropSolver, *G.Momentum:
		return true
	}
	return false
}

// solverState copies a solver's internal state.
func solverState(s G.Solver) (*SolverState, error) {
	st := &SolverState{}
	if _, ok := s.(*G.AdamSolver); ok {
		it, err := field(s, "iter")
		if err != nil {
			return nil, err
		}
		st.Iter = int(it.Int())
	}
	err := eachCached(s, func(val, d G.Value) {
		var slot SlotState
		if val != nil {
			slot.Value = graph.AppendFloat64s(nil, val)
		}
		if d != nil {
			slot.Deriv = graph.AppendFloat64s(nil, d)
		}
		st.Slots = append(st.Slots, slot)
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// eachCached calls f, in order, with each slot of a solver's cache (the state it keeps
// per value-gradient pair between steps): the cached value and derivative, nil where
// unset. A solver without a cache has no slots.
func eachCached(s G.Solver, f func(val, d G.Value)) error {
	if !hasCache(s) {
		return nil
	}
	cache, err := field(s, "cache")
	if err != nil {
		return err
	}
	for i := 0; i < cache.Len(); i++ {
		e := cache.Index(i)
		if e.IsNil() {
			f(nil, nil)
			continue
		}
		dv := e.Elem()
		val := dv.FieldByName("Value")
		d := dv.FieldByName("d")
		if !val.IsValid() || !d.IsValid() {
			return fmt.Errorf("train: solver cache entries of %T lack Value/d", s)
		}
		f(cachedValue(val), cachedValue(d))
	}
	return nil
}

// cachedValue is the G.Value in an unexported field of a solver's cache entry, or nil.
func cachedValue(v reflect.Value) G.Value {
	v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	if v.IsNil() {
		return nil
	}
	return v.Interface().(G.Value)
}

// restoreSolverState puts st into a fresh solver of the same kind, whose value-gradient
// pairs are tensors of dtype dt and the given shapes.
func restoreSolverState(s G.Solver, st *SolverState, dt tensor.Dtype, shapes []tensor.Shape) error {
	if _, ok := s.(*G.AdamSolver); ok {
		it, err := field(s, "iter")
		if err != nil {
			return err
		}
		it.SetInt(int64(st.Iter))
	}
	if !hasCache(s) {
		if len(st.Slots) != 0 {
			return fmt.Errorf("train: checkpoint holds solver state, but %T keeps none", s)
		}
		return nil
	}
	if len(st.Slots) == 0 {
		return nil
	}
	if len(st.Slots) != len(shapes) {
		return fmt.Errorf("train: solver state has %d slots for %d value-gradient pairs", len(st.Slots), len(shapes))
	}
	cache, err := field(s, "cache")
	if err != nil {
		return err
	}
	slice := reflect.MakeSlice(cache.Type(), len(shapes), len(shapes))
	elemType := cache.Type().Elem() // *dualValue
	for i, shape := range shapes {
		slot := st.Slots[i]
		if slot.Value == nil && slot.Deriv == nil {
			continue
		}
		dv := reflect.New(elemType.Elem())
		val := dv.Elem().FieldByName("Value")
		d := dv.Elem().FieldByName("d")
		reflect.NewAt(val.Type(), unsafe.Pointer(val.UnsafeAddr())).Elem().Set(reflect.ValueOf(G.Value(graph.NewTensor(dt, shape.Clone(), slot.Value))))
		reflect.NewAt(d.Type(), unsafe.Pointer(d.UnsafeAddr())).Elem().Set(reflect.ValueOf(G.Value(graph.NewTensor(dt, shape.Clone(), slot.Deriv))))
		slice.Index(i).Set(dv)
	}
	cache.Set(slice)
	return nil
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
// once per parameter. With levers.SolverSpans off, shards are whole parameters, each its
// own value-gradient pair.
type solvers struct {
	shards []G.Solver
	model  [][]G.ValueGrad // shard i's value-gradient pairs
	spans  bool            // shard i is elements cuts[i] to cuts[i+1]−1, one pair
	cuts   []int
	bounds []int // !spans: shard i is parameters bounds[i] to bounds[i+1]−1, a pair each
	errs   []error
	ps     *graph.ParamSet
	recs   []*recycler // spans: shard i's gradient engine (nil with levers.RecycleClones off)
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
	params := ps.List()
	total := ps.Count()
	s := &solvers{ps: ps, spans: levers.SolverSpans}
	if s.spans {
		n = max(1, min(n, total))
		all := ps.Span(0, len(params))
		for i := range n + 1 {
			s.cuts = append(s.cuts, i*total/n)
		}
		for i := range n {
			lo, hi := s.cuts[i], s.cuts[i+1]
			s.shards = append(s.shards, newSolver(cfg))
			var g *tensor.Dense
			if levers.RecycleClones {
				rec := &recycler{}
				s.recs = append(s.recs, rec)
				g = subVector(grad, lo, hi, tensor.WithEngine(rec))
			} else {
				g = subVector(grad, lo, hi)
			}
			s.model = append(s.model, []G.ValueGrad{span{subVector(all, lo, hi), g}})
		}
		return s
	}
	n = min(n, len(params))
	s.bounds = []int{0}
	acc, next := 0, 1
	for i, p := range params {
		acc += p.Size()
		if next < n && acc*n >= next*total && i+1 < len(params) {
			s.bounds = append(s.bounds, i+1)
			next++
		}
	}
	s.bounds = append(s.bounds, len(params))
	for i := range len(s.bounds) - 1 {
		s.shards = append(s.shards, newSolver(cfg))
		var model []G.ValueGrad
		for p := s.bounds[i]; p < s.bounds[i+1]; p++ {
			g := subVector(grad, ps.Offset(p), ps.Offset(p+1))
			g.Reshape(params[p].Value.Shape().Clone()...)
			model = append(model, span{params[p].Value, g})
		}
		s.model = append(s.model, model)
	}
	return s
}

func (s *solvers) setLearnRate(eta float64) {
	for _, sh := range s.shards {
		setLearnRate(sh, eta)
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
	err := s.shards[i].Step(s.model[i])
	if s.recs != nil {
		s.recs[i].afterStep(s.shards[i])
	}
	return err
}

// state is the solvers' state with a slot per parameter, as one solver stepping every
// parameter as its own tensor would keep it.
func (s *solvers) state() (*SolverState, error) {
	all := &SolverState{}
	var flat SlotState // spans: the shards' slots end to end
	stepped := 0
	for i, sh := range s.shards {
		st, err := solverState(sh)
		if err != nil {
			return nil, err
		}
		all.Iter = st.Iter
		if !s.spans {
			all.Slots = append(all.Slots, st.Slots...)
			continue
		}
		switch {
		case len(st.Slots) == 0:
			continue
		case len(st.Slots) != 1:
			return nil, fmt.Errorf("train: solver shard %d keeps %d slots, want 1", i, len(st.Slots))
		}
		stepped++
		flat.Value = append(flat.Value, st.Slots[0].Value...)
		flat.Deriv = append(flat.Deriv, st.Slots[0].Deriv...)
	}
	if !s.spans || stepped == 0 {
		if !s.spans && len(all.Slots) != 0 && len(all.Slots) != len(s.ps.List()) {
			return nil, fmt.Errorf("train: solver shards keep %d slots for %d parameters", len(all.Slots), len(s.ps.List()))
		}
		return all, nil
	}
	n := s.ps.Count()
	if stepped != len(s.shards) || len(flat.Value) != n || len(flat.Deriv) != n {
		return nil, fmt.Errorf("train: solver shards keep state for %d/%d of %d elements", len(flat.Value), len(flat.Deriv), n)
	}
	for p := range s.ps.List() {
		a, b := s.ps.Offset(p), s.ps.Offset(p+1)
		all.Slots = append(all.Slots, SlotState{Value: flat.Value[a:b:b], Deriv: flat.Deriv[a:b:b]})
	}
	return all, nil
}

// restore puts st, as state returned it, back into the shards.
func (s *solvers) restore(st *SolverState) error {
	params := s.ps.List()
	if len(st.Slots) != 0 && len(st.Slots) != len(params) {
		return fmt.Errorf("train: checkpoint solver state has %d slots for %d parameters", len(st.Slots), len(params))
	}
	for p, slot := range st.Slots {
		if slot.Value == nil && slot.Deriv == nil {
			if s.spans {
				return fmt.Errorf("train: checkpoint solver state has none for %q but some for other parameters", params[p].Name)
			}
			continue
		}
		if len(slot.Value) != params[p].Size() || len(slot.Deriv) != params[p].Size() {
			return fmt.Errorf("train: checkpoint solver state for %q has %d/%d values, parameter has %d", params[p].Name, len(slot.Value), len(slot.Deriv), params[p].Size())
		}
	}
	if !s.spans {
		for i, sh := range s.shards {
			lo, hi := s.bounds[i], s.bounds[i+1]
			part := &SolverState{Iter: st.Iter}
			if len(st.Slots) != 0 {
				part.Slots = st.Slots[lo:hi]
			}
			var shapes []tensor.Shape
			for _, p := range params[lo:hi] {
				shapes = append(shapes, p.Value.Shape())
			}
			if err := restoreSolverState(sh, part, s.ps.Dtype(), shapes); err != nil {
				return err
			}
		}
		return nil
	}
	var flat SlotState
	for _, slot := range st.Slots {
		flat.Value = append(flat.Value, slot.Value...)
		flat.Deriv = append(flat.Deriv, slot.Deriv...)
	}
	for i, sh := range s.shards {
		lo, hi := s.cuts[i], s.cuts[i+1]
		part := &SolverState{Iter: st.Iter}
		if len(st.Slots) != 0 {
			part.Slots = []SlotState{{Value: flat.Value[lo:hi:hi], Deriv: flat.Deriv[lo:hi:hi]}}
		}
		if err := restoreSolverState(sh, part, s.ps.Dtype(), []tensor.Shape{{hi - lo}}); err != nil {
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
