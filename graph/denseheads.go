package graph

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DenseHeads adds y = x·[W₁ | … | W_h] + [b₁ | … | b_h] to x's graph: several linear
// layers (no activation) reading one input x (B, In), computed as one matrix product
// whose output holds the layers' outputs side by side, layer i's Out_i columns after
// those of the layers before it: y has shape (B, Σ Out_i). Every value is the one the
// layer's own Forward gives, bit for bit on mixgraph's GEMM: each element is its bias plus
// the same sum of products in the same order (the matrix product sums every element of C
// over the same blocks of depth wherever the element sits in C); in the openblas build,
// whose short products run on OpenBLAS, to rounding only. The weights are laid side by side on
// every run, so the node always reads the layers' current weights. It has no gradient:
// it is for prediction graphs.
func DenseHeads(x *G.Node, layers ...*Dense) (*G.Node, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("graph: DenseHeads of no layers")
	}
	if x.Dims() != 2 {
		return nil, fmt.Errorf("graph: DenseHeads takes a (B, In) input, got shape %v", x.Shape())
	}
	g := x.Graph()
	in := G.Nodes{x}
	for _, d := range layers {
		if act := d.Act; act != "" && act != Identity {
			return nil, fmt.Errorf("graph: DenseHeads: layer %q has activation %s, want none", d.W.Name, act)
		}
		if x.Shape()[1] != d.In {
			return nil, fmt.Errorf("graph: layer %q takes (B, %d) inputs, got shape %v", d.W.Name, d.In, x.Shape())
		}
		in = append(in, d.W.Node(g), d.B.Node(g))
	}
	y, err := G.ApplyOp(denseHeadsOp{layers: len(layers)}, in...)
	if err != nil {
		return nil, fmt.Errorf("graph: DenseHeads: %w", err)
	}
	return y, nil
}

// denseHeadsOp is DenseHeads's op on x, W₁, b₁, …, W_h, b_h.
type denseHeadsOp struct{ layers int }

var (
	_ G.Op              = denseHeadsOp{}
	_ G.UsePreallocDoer = denseHeadsOp{}
)

func (o denseHeadsOp) Arity() int { return 1 + 2*o.layers }

func (o denseHeadsOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, o.Arity()+1)
	for i := range ts {
		ts[i] = G.TensorType{Dims: 2, Of: a}
	}
	return hm.NewFnType(ts...)
}

func (o denseHeadsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := G.DimSizersToShapes(in)
	if err != nil {
		return nil, err
	}
	if len(ss) != o.Arity() {
		return nil, fmt.Errorf("%s: %d inputs, want %d", o, len(ss), o.Arity())
	}
	for i, s := range ss {
		if len(s) != 2 {
			return nil, fmt.Errorf("%s: input %d has shape %v, want a matrix", o, i, s)
		}
	}
	cols := 0
	for i := 0; i < o.layers; i++ {
		w, b := ss[1+2*i], ss[2+2*i]
		if w[0] != ss[0][1] || b[0] != 1 || b[1] != w[1] {
			return nil, fmt.Errorf("%s: shapes x %v, W %v, b %v do not fit", o, ss[0], w, b)
		}
		cols += w[1]
	}
	return tensor.Shape{ss[0][0], cols}, nil
}

func (o denseHeadsOp) Do(inputs ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, inputs...) }

func (o denseHeadsOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != o.Arity() {
		return nil, fmt.Errorf("%s: %d inputs, want %d", o, len(inputs), o.Arity())
	}
	var buf [9]*tensor.Dense // four heads at most in the models here: no allocation
	ts := buf[:0]
	if len(inputs) > len(buf) {
		ts = make([]*tensor.Dense, 0, len(inputs))
	}
	for i, v := range inputs {
		t, ok := v.(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("%s: input %d is a %T, want a dense tensor", o, i, v)
		}
		if t.Dtype() != tensor.Float64 && t.Dtype() != tensor.Float32 || i > 0 && t.Dtype() != ts[0].Dtype() {
			return nil, fmt.Errorf("%s: input %d has dtype %v", o, i, t.Dtype())
		}
		ts = append(ts, t)
	}
	x := ts[0]
	cols := 0
	for i := 0; i < o.layers; i++ {
		cols += ts[1+2*i].Shape()[1]
	}
	y := output(prealloc, x.Dtype(), tensor.Shape{x.Shape()[0], cols})
	if x.Dtype() == tensor.Float64 {
		denseHeads(x.Float64s(), y.Float64s(), x.Shape()[0], x.Shape()[1], cols, ts[1:], (*tensor.Dense).Float64s)
	} else {
		denseHeads(x.Float32s(), y.Float32s(), x.Shape()[0], x.Shape()[1], cols, ts[1:], (*tensor.Dense).Float32s)
	}
	return y, nil
}

// denseHeads computes y (rows×cols) = x (rows×in)·W + b with W and b the layers' weights and
// biases (wb: W₁, b₁, W₂, b₂, …) laid side by side in scratch buffers.
func denseHeads[T float32 | float64](x, y []T, rows, in, cols int, wb []*tensor.Dense, data func(*tensor.Dense) []T) {
	w, wRelease := scratch[T](in * cols)
	defer wRelease.release()
	b, bRelease := scratch[T](cols)
	defer bRelease.release()
	c0 := 0
	for i := 0; i < len(wb); i += 2 {
		wi, bi := data(wb[i]), data(wb[i+1])
		out := len(bi)
		for r := range in {
			copy(w[r*cols+c0:r*cols+c0+out], wi[r*out:(r+1)*out])
		}
		copy(b[c0:c0+out], bi)
		c0 += out
	}
	repeatRows(y, b)
	gemmInto(x, w, y, rows, cols, in)
}

func (o denseHeadsOp) ReturnsPtr() bool      { return false }
func (o denseHeadsOp) CallsExtern() bool     { return true } // so that Gorgonia preallocates outputs
func (o denseHeadsOp) OverwritesInput() int  { return -1 }
func (o denseHeadsOp) WriteHash(h hash.Hash) { fmt.Fprint(h, o.String()) }
func (o denseHeadsOp) String() string        { return fmt.Sprintf("DenseHeads{%d}", o.layers) }

func (o denseHeadsOp) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// gemmInto computes c (m×n) += a (m×k)·b (k×n) with the BLAS given to Gorgonia, as the
// dense layer's product does.
func gemmInto[T float32 | float64](a, b, c []T, m, n, k int) {
	impl := G.WhichBLAS()
	switch a := any(a).(type) {
	case []float64:
		impl.Dgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, any(b).([]float64), n, 1, any(c).([]float64), n)
	case []float32:
		impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, any(b).([]float32), n, 1, any(c).([]float32), n)
	}
}
