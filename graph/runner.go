package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Runner runs one graph: it copies inputs into input nodes, runs the graph's ops on
// mixgraph's machine (see machine) and reads the outputs it was built to watch. A Runner
// built WithGradients also computes the gradients of a scalar cost with respect to chosen
// nodes (Gorgonia's symbolic differentiation, gorgonia.Grad); each Run adds into them
// until ZeroGrads clears them, as Gorgonia's BindDualValues does. A Runner is not safe for
// concurrent use.
type Runner struct {
	g     *G.ExprGraph
	m     *machine
	ready bool // the last run succeeded

	// Gradients: the nodes of ∂cost/∂wrt, and the gradients of earlier runs not yet
	// cleared, summed (acc) once a second run starts before ZeroGrads.
	wrt, grads G.Nodes
	acc        []*tensor.Dense
	pending    bool // the last run's gradients have not been cleared
	summing    bool // Grad reads acc
	cleared    bool // ZeroGrads since the last run: Grad reads zeros
	zeros      []*tensor.Dense
}

// RunnerOption configures NewRunner.
type RunnerOption func(*runnerConfig)

type runnerConfig struct {
	cost *G.Node
	wrt  G.Nodes
}

// WithGradients makes the runner compute ∂cost/∂n for every n in wrt on each Run.
func WithGradients(cost *G.Node, wrt G.Nodes) RunnerOption {
	return func(c *runnerConfig) { c.cost, c.wrt = cost, wrt }
}

// NewRunner prepares to run g and report the values of outputs (and, WithGradients, the
// gradients). It must be called after the graph is complete and before anything else is
// added to it; with gradients, it adds their nodes to g.
func NewRunner(g *G.ExprGraph, outputs G.Nodes, opts ...RunnerOption) (r *Runner, err error) {
	var cfg runnerConfig
	for _, o := range opts {
		o(&cfg)
	}
	defer recoverInto(&err, "building a runner")
	r = &Runner{g: g}
	for _, n := range outputs {
		if n.Graph() != g {
			return nil, fmt.Errorf("graph: output %v is not in the runner's graph", n)
		}
	}
	if cfg.cost != nil {
		if cfg.cost.Shape().TotalSize() != 1 {
			return nil, fmt.Errorf("graph: gradients need a scalar cost, got shape %v", cfg.cost.Shape())
		}
		if len(cfg.wrt) == 0 {
			return nil, fmt.Errorf("graph: gradients asked for with respect to no node")
		}
		grads, err := G.Grad(cfg.cost, cfg.wrt...)
		if err != nil {
			return nil, fmt.Errorf("graph: symbolic gradient: %w", err)
		}
		r.wrt, r.grads = cfg.wrt, grads
	}
	if r.m, err = newMachine(append(append(G.Nodes{}, outputs...), r.grads...)); err != nil {
		return nil, err
	}
	return r, nil
}

// Graph is the graph the runner runs.
func (r *Runner) Graph() *G.ExprGraph { return r.g }

// Feed copies data, converted to the node's dtype, into input node n's tensor.
func (r *Runner) Feed(n *G.Node, data []float64) error {
	t, ok := n.Value().(tensor.Tensor)
	if !ok || t == nil {
		return fmt.Errorf("graph: input %q has no tensor to feed", n.Name())
	}
	if t.Shape().TotalSize() != len(data) {
		return fmt.Errorf("graph: input %q of shape %v takes %d values, got %d", n.Name(), t.Shape(), t.Shape().TotalSize(), len(data))
	}
	CopyFromFloat64s(t, data)
	return nil
}

// Run runs the graph once, every op writing into its output of the previous run where it
// can, and keeps the sum of the gradients since the last ZeroGrads. A panic inside
// Gorgonia is returned as an error.
func (r *Runner) Run() (err error) {
	defer recoverInto(&err, "running the graph")
	r.ready = false
	if r.pending && !r.summing {
		// A second run before ZeroGrads: keep the gradients so far, as Gorgonia's
		// machines accumulate them.
		if r.acc == nil {
			r.acc = make([]*tensor.Dense, len(r.grads))
		}
		for i, gn := range r.grads {
			v, _ := r.m.value(gn)
			if r.acc[i] == nil {
				r.acc[i] = v.(*tensor.Dense).Clone().(*tensor.Dense)
			} else {
				tensor.Copy(r.acc[i], v.(*tensor.Dense))
			}
		}
		r.summing = true
	}
	if err := r.m.run(); err != nil {
		return fmt.Errorf("graph: run: %w", err)
	}
	if r.summing {
		for i, gn := range r.grads {
			v, _ := r.m.value(gn)
			if _, err := tensor.Add(r.acc[i], v.(*tensor.Dense), tensor.UseUnsafe()); err != nil {
				return fmt.Errorf("graph: summing the gradients of %q: %w", r.wrt[i].Name(), err)
			}
		}
	}
	r.pending = len(r.grads) > 0
	r.cleared = false
	r.ready = true
	return nil
}

// Value returns output n's value (a tensor, or a scalar for a scalar node) from the last
// Run. It stays valid until the next Run.
func (r *Runner) Value(n *G.Node) (G.Value, error) {
	v, ok := r.m.value(n)
	if !ok {
		return nil, fmt.Errorf("graph: %v is not an output of this runner", n)
	}
	if !r.ready || v == nil {
		return nil, fmt.Errorf("graph: output %v read before a successful run", n)
	}
	return v, nil
}

// Float64s appends output n's values from the last Run to dst as float64.
func (r *Runner) Float64s(dst []float64, n *G.Node) ([]float64, error) {
	t, err := r.Value(n)
	if err != nil {
		return dst, err
	}
	return AppendFloat64s(dst, t), nil
}

// Floats returns output n's values from the last Run in the output's own dtype, without
// copying where the value is a plain tensor: f64 for a float64 output, f32 for a
// float32 one, the other nil. They are the runner's own memory, valid until the next Run,
// and must not be changed.
func (r *Runner) Floats(n *G.Node) (f64 []float64, f32 []float32, err error) {
	v, err := r.Value(n)
	if err != nil {
		return nil, nil, err
	}
	if t, ok := v.(*tensor.Dense); ok && !t.IsScalar() && !t.RequiresIterator() {
		size := t.Shape().TotalSize()
		switch t.Dtype() {
		case tensor.Float64:
			if d := t.Float64s(); len(d) >= size {
				return d[:size:size], nil, nil
			}
		case tensor.Float32:
			if d := t.Float32s(); len(d) >= size {
				return nil, d[:size:size], nil
			}
		}
	}
	switch d := v.Data().(type) {
	case []float32:
		return nil, append([]float32(nil), d...), nil
	case float32:
		return nil, []float32{d}, nil
	}
	return AppendFloat64s(nil, v), nil, nil
}

// Scalar returns the single value of output n from the last Run as float64.
func (r *Runner) Scalar(n *G.Node) (float64, error) {
	var buf [1]float64
	out, err := r.Float64s(buf[:0], n)
	if err != nil {
		return 0, err
	}
	if len(out) != 1 {
		return 0, fmt.Errorf("graph: output %v has %d values, not one", n, len(out))
	}
	return out[0], nil
}

// Wrt returns the nodes the runner differentiates with respect to.
func (r *Runner) Wrt() G.Nodes { return r.wrt }

// Grad returns the gradient tensor of the i-th node of Wrt, summed over the runs since
// the last ZeroGrads. It is the runner's own: read it before the next Run.
func (r *Runner) Grad(i int) (tensor.Tensor, error) {
	if r.summing {
		return r.acc[i], nil
	}
	if r.cleared {
		if r.zeros == nil {
			r.zeros = make([]*tensor.Dense, len(r.grads))
		}
		if r.zeros[i] == nil {
			v, _ := r.m.value(r.grads[i])
			r.zeros[i] = tensor.New(tensor.Of(v.Dtype()), tensor.WithShape(v.Shape().Clone()...))
		}
		r.zeros[i].Zero() // in case the caller wrote into it
		return r.zeros[i], nil
	}
	v, _ := r.m.value(r.grads[i])
	t, ok := v.(tensor.Tensor)
	if v == nil {
		return nil, fmt.Errorf("graph: gradient of %q read before a run", r.wrt[i].Name())
	}
	if !ok {
		return nil, fmt.Errorf("graph: gradient of %q is a %T, not a tensor", r.wrt[i].Name(), v)
	}
	return t, nil
}

// ZeroGrads clears the accumulated gradients, as a solver step does. The next run
// overwrites the gradients' buffers; until then Grad reads zeros.
func (r *Runner) ZeroGrads() error {
	r.cleared = r.cleared || r.pending || r.summing
	r.pending, r.summing = false, false
	return nil
}

// NewInput adds an input node of dtype and shape named name to g, holding a zero tensor
// that Runner.Feed fills. Names must be unique in the graph.
func NewInput(g *G.ExprGraph, dt tensor.Dtype, name string, shape ...int) *G.Node {
	t := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	return G.NodeFromAny(g, t, G.WithName(name))
}

func recoverInto(err *error, what string) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("graph: gorgonia panicked while %s: %v", what, p)
	}
}
