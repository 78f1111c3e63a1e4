package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/internal/gorgonia"
)

// machine runs the part of a Gorgonia graph that its outputs need, op by op in
// dependency order, calling each node's own op (Do, or UsePreallocDo into the node's
// output from the previous run). It is the lean counterpart of Gorgonia's TapeMachine for
// graphs that run many times: it keeps one value per node for the machine's life, binds
// nothing to the graph's nodes, and has no per-instruction logging, register copies or
// argument slices, so a run allocates only what the ops themselves allocate. The graph,
// its ops and its symbolic gradient nodes (Gorgonia's Grad) are Gorgonia's; only the loop
// that executes them is here. Each op is given its inputs in the order it was applied to
// them, as internal/gorgonia's Inputs reads them from the graph.
type machine struct {
	vals  []G.Value     // one value per node, in dependency order
	steps []machineStep // one per op node, in dependency order
	slot  map[*G.Node]int
	input []inputSlot // nodes without an op: their bound value is read on every run
	args  []G.Value   // scratch for one step's inputs
}

type machineStep struct {
	op   G.Op
	pd   G.UsePreallocDoer // nil when the op cannot write into its previous output
	in   []int
	out  int
	done bool // the step has run once (its output exists)
}

type inputSlot struct {
	n    *G.Node
	slot int
}

// newMachine prepares to compute outputs (and whatever they depend on) in g.
func newMachine(outputs G.Nodes) (*machine, error) {
	m := &machine{slot: map[*G.Node]int{}}
	var visit func(n *G.Node, path map[*G.Node]bool) error
	visit = func(n *G.Node, path map[*G.Node]bool) error {
		if _, ok := m.slot[n]; ok {
			return nil
		}
		if path[n] {
			return fmt.Errorf("graph: node %v depends on itself", n)
		}
		path[n] = true
		var in []int
		for _, k := range gorgonia.Inputs(n) {
			if err := visit(k, path); err != nil {
				return err
			}
			in = append(in, m.slot[k])
		}
		delete(path, n)
		s := len(m.vals)
		m.slot[n] = s
		m.vals = append(m.vals, nil)
		if n.Op() == nil {
			m.input = append(m.input, inputSlot{n, s})
			return nil
		}
		st := machineStep{op: n.Op(), in: in, out: s}
		st.pd, _ = n.Op().(G.UsePreallocDoer)
		m.steps = append(m.steps, st)
		m.args = make([]G.Value, max(len(m.args), len(in)))
		return nil
	}
	for _, o := range outputs {
		if err := visit(o, map[*G.Node]bool{}); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// run computes every value once.
func (m *machine) run() error {
	for _, in := range m.input {
		v := in.n.Value()
		if v == nil {
			return fmt.Errorf("graph: input %q has no value", in.n.Name())
		}
		m.vals[in.slot] = v
	}
	for i := range m.steps {
		st := &m.steps[i]
		args := m.args[:len(st.in)]
		for j, s := range st.in {
			args[j] = m.vals[s]
		}
		var v G.Value
		var err error
		if st.done && st.pd != nil {
			v, err = st.pd.UsePreallocDo(m.vals[st.out], args...)
		} else {
			v, err = st.op.Do(args...)
		}
		if err != nil {
			return fmt.Errorf("graph: op %v: %w", st.op, err)
		}
		if !st.done && st.pd != nil && !ownsMemory(v, args) {
			st.pd = nil // its output shares an input's memory: never write into it
		}
		m.vals[st.out] = v
		st.done = true
		clear(args)
	}
	return nil
}

// value is node n's value from the last run, or false if the machine does not compute n.
func (m *machine) value(n *G.Node) (G.Value, bool) {
	s, ok := m.slot[n]
	if !ok {
		return nil, false
	}
	return m.vals[s], true
}

// ownsMemory reports whether v is a dense tensor whose memory overlaps none of the inputs'
// (so that writing into it later cannot change an input).
func ownsMemory(v G.Value, inputs []G.Value) bool {
	d, ok := v.(*tensor.Dense)
	if !ok || d.IsView() {
		return false
	}
	lo, hi := d.Uintptr(), d.Uintptr()+d.MemSize()
	for _, in := range inputs {
		t, ok := in.(tensor.Memory)
		if !ok {
			continue
		}
		a, b := t.Uintptr(), t.Uintptr()+t.MemSize()
		if a < hi && lo < b {
			return false
		}
	}
	return true
}
