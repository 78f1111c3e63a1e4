package gorgonia

import (
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// Gorgonia's solvers keep what they carry from one step to the next in unexported fields,
// which v0.9.18 lays out as
//
//	AdamSolver.iter  int          // steps taken (the bias corrections' exponent)
//	AdamSolver.cache []*dualValue // and the same cache in RMSPropSolver and Momentum
//	dualValue        struct{ Value; d Value }
//
// The cache is made on the first Step, with one entry per value-gradient pair in the order
// Step is given them; an entry holds two tensors of its pair's shape: Adam's first and
// second moment estimates (Value and d), RMSProp's average of squared gradients and
// Momentum's velocity (Value). A resumed training run must carry them over, and train's
// recycling of Adam's clones must know which tensors the solver still holds; Gorgonia has
// no API for either, so the functions below read and write the fields by reflection.
// TestSolverLayout fails when the pinned version lays them out otherwise.

// layout is where the fields are, found once by name and checked.
type layout struct {
	iter         []int // AdamSolver.iter
	cache        map[reflect.Type][]int
	entry        reflect.Type // dualValue
	value, deriv []int        // dualValue.Value, dualValue.d
}

var solverLayout = sync.OnceValues(findLayout)

// findLayout finds the fields and checks their types.
func findLayout() (*layout, error) {
	changed := func(format string, args ...any) error {
		return fmt.Errorf("gorgonia: the pinned Gorgonia changed its solvers: "+format, args...)
	}
	l := &layout{cache: map[reflect.Type][]int{}}
	f, ok := reflect.TypeFor[G.AdamSolver]().FieldByName("iter")
	if !ok || f.Type.Kind() != reflect.Int {
		return nil, changed("AdamSolver has no field iter int")
	}
	l.iter = f.Index
	for _, s := range []reflect.Type{reflect.TypeFor[G.AdamSolver](), reflect.TypeFor[G.RMSPropSolver](), reflect.TypeFor[G.Momentum]()} {
		f, ok := s.FieldByName("cache")
		if !ok || f.Type.Kind() != reflect.Slice || f.Type.Elem().Kind() != reflect.Pointer || f.Type.Elem().Elem().Kind() != reflect.Struct {
			return nil, changed("%v has no field cache []*struct", s)
		}
		if e := f.Type.Elem().Elem(); l.entry == nil {
			l.entry = e
		} else if e != l.entry {
			return nil, changed("%v's cache holds %v, Adam's %v", s, e, l.entry)
		}
		l.cache[reflect.PointerTo(s)] = f.Index
	}
	value := reflect.TypeFor[G.Value]()
	v, okV := l.entry.FieldByName("Value")
	d, okD := l.entry.FieldByName("d")
	if l.entry.NumField() != 2 || !okV || !okD || v.Type != value || d.Type != value {
		return nil, changed("a cache entry is %v, want struct{ Value; d Value }", l.entry)
	}
	l.value, l.deriv = v.Index, d.Index
	return l, nil
}

// open returns a settable view of v, which may be an unexported field.
func open(v reflect.Value) reflect.Value {
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// HasCache reports whether s keeps a cache: Gorgonia's Adam, RMSProp and Momentum do,
// its vanilla solver does not.
func HasCache(s G.Solver) bool {
	switch s.(type) {
	case *G.AdamSolver, *G.RMSPropSolver, *G.Momentum:
		return true
	}
	return false
}

// AdamIter returns the number of steps s has taken.
func AdamIter(s *G.AdamSolver) (int, error) {
	l, err := solverLayout()
	if err != nil {
		return 0, err
	}
	return int(reflect.ValueOf(s).Elem().FieldByIndex(l.iter).Int()), nil
}

// SetAdamIter sets the number of steps s has taken to n.
func SetAdamIter(s *G.AdamSolver, n int) error {
	l, err := solverLayout()
	if err != nil {
		return err
	}
	open(reflect.ValueOf(s).Elem().FieldByIndex(l.iter)).SetInt(int64(n))
	return nil
}

// cacheOf returns a settable view of s's cache, or false for a solver without one.
func cacheOf(s G.Solver) (*layout, reflect.Value, bool, error) {
	l, err := solverLayout()
	if err != nil || !HasCache(s) {
		return l, reflect.Value{}, false, err
	}
	v := reflect.ValueOf(s)
	return l, open(v.Elem().FieldByIndex(l.cache[v.Type()])), true, nil
}

// EachCached calls f with each entry of s's cache in order: its two tensors (Value and d),
// nil where unset. It calls f for none before s's first Step, or for a solver without a
// cache.
func EachCached(s G.Solver, f func(value, deriv G.Value)) error {
	l, cache, ok, err := cacheOf(s)
	if !ok {
		return err
	}
	for i := range cache.Len() {
		e := cache.Index(i)
		if e.IsNil() {
			f(nil, nil)
			continue
		}
		f(valueOf(e.Elem().FieldByIndex(l.value)), valueOf(e.Elem().FieldByIndex(l.deriv)))
	}
	return nil
}

// valueOf is the G.Value in a (possibly unexported) field, or nil.
func valueOf(v reflect.Value) G.Value {
	v = open(v)
	if v.IsNil() {
		return nil
	}
	return v.Interface().(G.Value)
}

// Cached is an entry of a solver's cache for SetCache: both tensors, or both nil for an
// entry the solver makes afresh at its next Step.
type Cached struct{ Value, Deriv G.Value }

// SetCache replaces s's cache by entries, one per value-gradient pair that s will be given,
// in order; no entries leaves s as before its first Step. A solver without a cache takes
// no entries.
func SetCache(s G.Solver, entries []Cached) error {
	l, cache, ok, err := cacheOf(s)
	switch {
	case err != nil:
		return err
	case !ok && len(entries) > 0:
		return fmt.Errorf("gorgonia: %T keeps no cache", s)
	case !ok:
		return nil
	case len(entries) == 0:
		cache.SetZero()
		return nil
	}
	slice := reflect.MakeSlice(cache.Type(), len(entries), len(entries))
	for i, c := range entries {
		if (c.Value == nil) != (c.Deriv == nil) {
			return fmt.Errorf("gorgonia: cache entry %d has one tensor of two", i)
		}
		if c.Value == nil {
			continue
		}
		e := reflect.New(l.entry)
		open(e.Elem().FieldByIndex(l.value)).Set(reflect.ValueOf(&c.Value).Elem())
		open(e.Elem().FieldByIndex(l.deriv)).Set(reflect.ValueOf(&c.Deriv).Elem())
		slice.Index(i).Set(e)
	}
	cache.Set(slice)
	return nil
}
