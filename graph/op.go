package graph

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/internal/vecmath"
)

// op is one of mixgraph's own Gorgonia ops: the dense layer (denseop.go), the row
// log-sum-exp and log-softmax (rows.go), the Gaussian log-densities (gaussian.go,
// fullgauss.go), and their gradients. Every one takes up to five float tensors of one
// dtype (matrices, and the vector of a row log-sum-exp's gradient), writes its output into the buffer it is handed
// (Gorgonia's UsePreallocDo, which the machine calls from the second run on), and is
// differentiated by Gorgonia like any other op when it has a diff, whose gradient nodes
// are built from more such ops. What the ops differ in is given as functions; an op is
// never changed once made, so one op may be shared by every graph.
type op struct {
	name string // also the op's hash: two nodes merge only when their ops have one name
	dims []int  // the inputs' numbers of dimensions, then the output's
	// shape is the output's shape, from the inputs' shapes (of the dimensions in dims).
	shape func(in []tensor.Shape) (tensor.Shape, error)
	// run computes the output into prealloc, or into a new tensor when prealloc does not
	// fit (see output).
	run func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error)
	// diff returns the gradient nodes with respect to every input; nil: no gradient.
	diff func(in G.Nodes, output, grad *G.Node) (G.Nodes, error)
}

var (
	_ G.SDOp            = (*op)(nil)
	_ G.UsePreallocDoer = (*op)(nil)
)

func (o *op) Arity() int { return len(o.dims) - 1 }

func (o *op) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, len(o.dims))
	for i, d := range o.dims {
		ts[i] = G.TensorType{Dims: d, Of: a}
	}
	return hm.NewFnType(ts...)
}

func (o *op) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := G.DimSizersToShapes(in)
	if err != nil {
		return nil, err
	}
	for i, s := range ss {
		if len(s) != o.dims[i] {
			return nil, fmt.Errorf("%s: input %d has shape %v, want %d dimensions", o.name, i, s, o.dims[i])
		}
	}
	return o.shape(ss)
}

func (o *op) Do(inputs ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, inputs...) }

func (o *op) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	in, err := values(o.name, o.Arity(), inputs)
	if err != nil {
		return nil, err
	}
	out, err := o.run(prealloc, in)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (o *op) DiffWRT(n int) []bool {
	wrt := make([]bool, n)
	for i := range wrt {
		wrt[i] = o.diff != nil
	}
	return wrt
}

func (o *op) SymDiff(in G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if o.diff == nil {
		return nil, fmt.Errorf("graph: %s has no gradient", o.name)
	}
	return o.diff(in, output, grad)
}

func (o *op) ReturnsPtr() bool      { return false }
func (o *op) CallsExtern() bool     { return true } // so that Gorgonia preallocates outputs
func (o *op) OverwritesInput() int  { return -1 }
func (o *op) WriteHash(h hash.Hash) { fmt.Fprint(h, o.name) }
func (o *op) String() string        { return o.name }

func (o *op) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// apply adds a node applying o to the inputs.
func (o *op) apply(inputs ...*G.Node) (*G.Node, error) { return G.ApplyOp(o, inputs...) }

// values reads n ≤ 5 inputs as dense float tensors of one dtype (returned in an array, so
// that reading them allocates nothing).
func values(name string, n int, inputs []G.Value) (ts [5]*tensor.Dense, err error) {
	if len(inputs) != n {
		return ts, fmt.Errorf("%s: %d inputs, want %d", name, len(inputs), n)
	}
	for i, v := range inputs {
		t, ok := v.(*tensor.Dense)
		if !ok {
			return ts, fmt.Errorf("%s: input %d is a %T, want a dense tensor", name, i, v)
		}
		if dt := t.Dtype(); dt != tensor.Float64 && dt != tensor.Float32 {
			return ts, fmt.Errorf("%s: input %d has dtype %v, want float64 or float32", name, i, dt)
		}
		if i > 0 && t.Dtype() != ts[0].Dtype() {
			return ts, fmt.Errorf("%s: mixed dtypes %v and %v", name, ts[0].Dtype(), t.Dtype())
		}
		ts[i] = t
	}
	return ts, nil
}

// output returns prealloc when it has dtype dt and the shape s, or a new tensor.
func output(prealloc G.Value, dt tensor.Dtype, s tensor.Shape) *tensor.Dense {
	if p, ok := prealloc.(*tensor.Dense); ok && p.Dtype() == dt && p.Shape().Eq(s) && p.IsNativelyAccessible() {
		return p
	}
	return tensor.New(tensor.Of(dt), tensor.WithShape(s.Clone()...)) // s itself stays on the caller's stack
}

// vexp sets dst = exp(src) elementwise with vecmath (a vector register at a time where the
// CPU allows; float32 computed in float32; within 2 ulps of the correctly rounded exp).
func vexp[T float32 | float64](dst, src []T) {
	switch d := any(dst).(type) {
	case []float64:
		vecmath.Exp64(d, any(src).([]float64))
	case []float32:
		vecmath.Exp32(d, any(src).([]float32))
	}
}

var scratch64, scratch32 sync.Pool

// scratch returns a buffer of n elements from a pool, and the handle whose release
// gives it back (a value, so that a deferred release allocates nothing).
func scratch[T float32 | float64](n int) ([]T, pooled[T]) {
	pool := &scratch64
	var zero T
	if any(zero) == any(float32(0)) {
		pool = &scratch32
	}
	p, _ := pool.Get().(*[]T)
	if p == nil {
		p = new([]T)
	}
	if cap(*p) < n {
		*p = make([]T, n)
	}
	*p = (*p)[:n]
	return *p, pooled[T]{p, pool}
}

type pooled[T float32 | float64] struct {
	p    *[]T
	pool *sync.Pool
}

func (b pooled[T]) release() { b.pool.Put(b.p) }
