package graph

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// Layer is a differentiable map from a (B, in) matrix to a (B, out) matrix.
type Layer interface {
	Forward(x *G.Node) (*G.Node, error)
	Params() []*Param
}

var (
	_ Layer = (*Dense)(nil)
	_ Layer = (*MLP)(nil)
)

// Dense is the affine layer y = act(x·W + b) with W of shape (In, Out) and b of shape
// (1, Out), broadcast over the batch rows of x (B, In).
type Dense struct {
	W, B    *Param
	In, Out int
	Act     Activation
}

// DenseConfig says how a Dense layer's parameters are made. The zero WeightInit is
// GlorotUniform and the zero BiasInit is Zeros.
type DenseConfig struct {
	Name       string // prefix of the parameter names: Name+".W" and Name+".b"
	In, Out    int
	Act        Activation
	WeightInit Init
	BiasInit   Init
}

// NewDense adds a dense layer's weight and bias to ps, drawn from rng (weights first,
// then bias).
func NewDense(ps *ParamSet, cfg DenseConfig, rng *rand.Rand) (*Dense, error) {
	if err := checkFans(cfg.In, cfg.Out); err != nil {
		return nil, fmt.Errorf("%w (layer %q)", err, cfg.Name)
	}
	if err := cfg.Act.Validate(); err != nil {
		return nil, err
	}
	if cfg.WeightInit == nil {
		cfg.WeightInit = GlorotUniform
	}
	if cfg.BiasInit == nil {
		cfg.BiasInit = Zeros
	}
	wv := make([]float64, cfg.In*cfg.Out)
	cfg.WeightInit(rng, cfg.In, cfg.Out, wv)
	bv := make([]float64, cfg.Out)
	cfg.BiasInit(rng, cfg.In, cfg.Out, bv)
	w, err := ps.Add(cfg.Name+".W", []int{cfg.In, cfg.Out}, wv)
	if err != nil {
		return nil, err
	}
	b, err := ps.Add(cfg.Name+".b", []int{1, cfg.Out}, bv)
	if err != nil {
		return nil, err
	}
	return &Dense{W: w, B: b, In: cfg.In, Out: cfg.Out, Act: cfg.Act}, nil
}

// Forward returns act(x·W + b) in x's graph, as one op (see denseop.go).
func (d *Dense) Forward(x *G.Node) (*G.Node, error) {
	if x.Dims() != 2 || x.Shape()[1] != d.In {
		return nil, fmt.Errorf("graph: layer %q takes (B, %d) inputs, got shape %v", d.W.Name, d.In, x.Shape())
	}
	act := d.Act
	if act == "" {
		act = Identity
	}
	if err := act.Validate(); err != nil {
		return nil, fmt.Errorf("%w (layer %q)", err, d.W.Name)
	}
	g := x.Graph()
	y, err := denseOp(act).apply(x, d.W.Node(g), d.B.Node(g))
	if err != nil {
		return nil, fmt.Errorf("graph: layer %q: %w", d.W.Name, err)
	}
	return y, nil
}

// Params returns W and b.
func (d *Dense) Params() []*Param { return []*Param{d.W, d.B} }

// MLP is a stack of Dense layers.
type MLP struct {
	Layers []*Dense
}

// MLPConfig describes an MLP by its widths: Widths[0] inputs, Widths[len−1] outputs and
// hidden layers between. Hidden layers use Hidden and the last layer Output (zero:
// Identity). WeightInit defaults to GlorotUniform; biases start at zero.
type MLPConfig struct {
	Name       string
	Widths     []int
	Hidden     Activation
	Output     Activation
	WeightInit Init
}

// NewMLP adds the layers' parameters to ps, drawn from rng layer by layer. Layer i is
// named Name+".i" (Name+".0.W", Name+".0.b", ...).
func NewMLP(ps *ParamSet, cfg MLPConfig, rng *rand.Rand) (*MLP, error) {
	if len(cfg.Widths) < 2 {
		return nil, fmt.Errorf("graph: MLP %q needs at least an input and an output width, got %v", cfg.Name, cfg.Widths)
	}
	m := &MLP{}
	for i := 0; i+1 < len(cfg.Widths); i++ {
		act := cfg.Hidden
		if i+2 == len(cfg.Widths) {
			act = cfg.Output
		}
		d, err := NewDense(ps, DenseConfig{
			Name: fmt.Sprintf("%s.%d", cfg.Name, i), In: cfg.Widths[i], Out: cfg.Widths[i+1],
			Act: act, WeightInit: cfg.WeightInit,
		}, rng)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, d)
	}
	return m, nil
}

// Forward applies the layers in turn.
func (m *MLP) Forward(x *G.Node) (*G.Node, error) {
	var err error
	for _, l := range m.Layers {
		if x, err = l.Forward(x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// Params lists every layer's W and b in order.
func (m *MLP) Params() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}
