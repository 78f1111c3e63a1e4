package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Param is a named learnable tensor. It lives outside any graph: every graph built from
// it binds a node to the same tensor, so an in-place update reaches them all.
type Param struct {
	Name  string
	Value *tensor.Dense
	set   *ParamSet
}

// Size is the number of scalars in p.
func (p *Param) Size() int { return p.Value.Shape().TotalSize() }

// ParamSet is an ordered set of uniquely named parameters of one dtype. The order is
// the order of Add and is the order of Nodes, Flatten and SetFlat. The parameters' values
// lie one after another in one array, so that a solver can update them all as one tensor
// (see Span).
type ParamSet struct {
	dtype  tensor.Dtype
	list   []*Param
	byName map[string]*Param
	f64    []float64 // the values of every parameter in order (float64 sets)
	f32    []float32 // (float32 sets)
	offs   []int     // offs[i] is the i-th parameter's first element; offs[len(list)] = Count
	bound  bool      // a node was made for a parameter: values can no longer move
}

// NewParamSet returns an empty set for tensors of dtype (tensor.Float32 or
// tensor.Float64).
func NewParamSet(dtype tensor.Dtype) (*ParamSet, error) {
	if err := CheckDtype(dtype); err != nil {
		return nil, err
	}
	return &ParamSet{dtype: dtype, byName: map[string]*Param{}}, nil
}

// CheckDtype reports whether dt is a dtype mixgraph supports (float32 or float64).
func CheckDtype(dt tensor.Dtype) error {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return fmt.Errorf("graph: dtype %v is not supported (want float32 or float64)", dt)
	}
	return nil
}

// DType is the set's element type.
func (ps *ParamSet) DType() tensor.Dtype { return ps.dtype }

// Add creates a parameter of the given shape whose values are the float64 values
// converted to the set's dtype. The name must be new to the set.
func (ps *ParamSet) Add(name string, shape []int, values []float64) (*Param, error) {
	if name == "" {
		return nil, fmt.Errorf("graph: a parameter needs a name")
	}
	if _, dup := ps.byName[name]; dup {
		return nil, fmt.Errorf("graph: parameter %q already exists", name)
	}
	if ps.bound {
		return nil, fmt.Errorf("graph: parameter %q added after a graph was built from the set (add every parameter first)", name)
	}
	size := 1
	for _, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("graph: parameter %q has shape %v (every dimension must be positive)", name, shape)
		}
		size *= d
	}
	if len(values) != size {
		return nil, fmt.Errorf("graph: parameter %q of shape %v needs %d values, got %d", name, shape, size, len(values))
	}
	if len(ps.offs) == 0 {
		ps.offs = []int{0}
	}
	off := ps.Count()
	if ps.dtype == tensor.Float64 {
		ps.grow(&ps.f64, off+size)
		copy(ps.f64[off:], values)
	} else {
		ps.grow(&ps.f32, off+size)
		for i, x := range values {
			ps.f32[off+i] = float32(x)
		}
	}
	p := &Param{Name: name, set: ps}
	ps.list = append(ps.list, p)
	ps.offs = append(ps.offs, off+size)
	ps.byName[name] = p
	p.Value = ps.view(len(ps.list)-1, len(ps.list), shape)
	return p, nil
}

// grow extends the set's array to n elements. When it must move, every parameter's
// tensor is rebuilt over the new array (no graph holds them yet: see bound).
func (ps *ParamSet) grow(data any, n int) {
	moved := false
	switch d := data.(type) {
	case *[]float64:
		moved = n > cap(*d)
		*d = growTo(*d, n)
	case *[]float32:
		moved = n > cap(*d)
		*d = growTo(*d, n)
	}
	if moved {
		for i, p := range ps.list {
			p.Value = ps.view(i, i+1, p.Value.Shape())
		}
	}
}

func growTo[T float32 | float64](s []T, n int) []T {
	if n <= cap(s) {
		return s[:n]
	}
	t := make([]T, n, max(n, 2*cap(s)))
	copy(t, s)
	return t
}

// view is a tensor of the given shape over the values of parameters from to to−1.
func (ps *ParamSet) view(from, to int, shape tensor.Shape) *tensor.Dense {
	lo, hi := ps.offs[from], ps.offs[to]
	var backing any
	if ps.dtype == tensor.Float64 {
		backing = ps.f64[lo:hi:hi]
	} else {
		backing = ps.f32[lo:hi:hi]
	}
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(backing))
}

// Span returns a vector over the values of parameters from to to−1, in order: it shares
// their memory, so an update through it (a solver step) updates them.
func (ps *ParamSet) Span(from, to int) *tensor.Dense {
	return ps.view(from, to, tensor.Shape{ps.offs[to] - ps.offs[from]})
}

// Offset is the position of the i-th parameter's first value among all the set's values
// (Offset(len(List())) is Count).
func (ps *ParamSet) Offset(i int) int {
	if len(ps.offs) == 0 {
		return 0
	}
	return ps.offs[i]
}

// List returns the parameters in order. The slice is the set's own: do not modify it.
func (ps *ParamSet) List() []*Param { return ps.list }

// Get returns the parameter with the given name, or nil.
func (ps *ParamSet) Get(name string) *Param { return ps.byName[name] }

// Count is the total number of scalars over all parameters.
func (ps *ParamSet) Count() int { return ps.Offset(len(ps.list)) }

// Flatten appends every parameter's values, in order, to dst as float64 and returns the
// extended slice.
func (ps *ParamSet) Flatten(dst []float64) []float64 {
	for _, p := range ps.list {
		dst = AppendFloat64s(dst, p.Value)
	}
	return dst
}

// SetFlat overwrites every parameter's values, in order, from src, which must hold
// exactly Count values. float32 parameters receive the values rounded to float32.
func (ps *ParamSet) SetFlat(src []float64) error {
	if len(src) != ps.Count() {
		return fmt.Errorf("graph: %d values for %d parameters' %d scalars", len(src), len(ps.list), ps.Count())
	}
	off := 0
	for _, p := range ps.list {
		n := p.Size()
		CopyFromFloat64s(p.Value, src[off:off+n])
		off += n
	}
	return nil
}

// Nodes returns the nodes standing for the parameters in graph g, in order, creating
// them the first time. Nodes bound to the same tensor are shared between calls, since
// Gorgonia merges input nodes of one name, type and shape.
func (ps *ParamSet) Nodes(g *G.ExprGraph) G.Nodes {
	ns := make(G.Nodes, len(ps.list))
	for i, p := range ps.list {
		ns[i] = p.Node(g)
	}
	return ns
}

// Node returns the node standing for p in graph g, bound to p's tensor. Once a node
// exists, the set takes no new parameters.
func (p *Param) Node(g *G.ExprGraph) *G.Node {
	if p.set != nil {
		p.set.bound = true
	}
	return G.NodeFromAny(g, p.Value, G.WithName(p.Name))
}

// NewTensor returns a tensor of dtype and shape holding values converted from float64.
func NewTensor(dt tensor.Dtype, shape []int, values []float64) *tensor.Dense {
	switch dt {
	case tensor.Float32:
		v := make([]float32, len(values))
		for i, x := range values {
			v[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	case tensor.Float64:
		v := make([]float64, len(values))
		copy(v, values)
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	}
	panic(fmt.Sprintf("graph: NewTensor of dtype %v", dt))
}

// AppendFloat64s appends v's values (a float32 or float64 tensor or scalar) to dst as
// float64.
func AppendFloat64s(dst []float64, v G.Value) []float64 {
	if t, ok := v.(*tensor.Dense); ok && !t.IsScalar() { // typed access: Data boxes a slice
		switch t.Dtype() {
		case tensor.Float64:
			return append(dst, t.Float64s()...)
		case tensor.Float32:
			for _, x := range t.Float32s() {
				dst = append(dst, float64(x))
			}
			return dst
		}
	}
	switch d := v.Data().(type) {
	case []float64:
		return append(dst, d...)
	case []float32:
		for _, x := range d {
			dst = append(dst, float64(x))
		}
		return dst
	case float64:
		return append(dst, d)
	case float32:
		return append(dst, float64(d))
	}
	panic(fmt.Sprintf("graph: values of type %T", v.Data()))
}

// CopyFromFloat64s overwrites t's values (float32 or float64) with src, which must have
// t's size.
func CopyFromFloat64s(t tensor.Tensor, src []float64) {
	if d, ok := t.(*tensor.Dense); ok && !d.IsScalar() { // typed access: Data boxes a slice
		switch d.Dtype() {
		case tensor.Float64:
			convertInto(d.Float64s(), src)
			return
		case tensor.Float32:
			convertInto(d.Float32s(), src)
			return
		}
	}
	switch d := t.Data().(type) {
	case []float64:
		convertInto(d, src)
	case []float32:
		convertInto(d, src)
	default:
		panic(fmt.Sprintf("graph: copying into values of type %T", t.Data()))
	}
}

func convertInto[T float32 | float64](dst []T, src []float64) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("graph: copying %d values into a tensor of %d", len(src), len(dst)))
	}
	for i, x := range src {
		dst[i] = T(x)
	}
}
