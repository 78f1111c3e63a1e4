package graph

import (
	"fmt"
	"hash/fnv"
	"math"
	"sync"

	"github.com/mixgraph/mixgraph/internal/cores"
	"github.com/mixgraph/mixgraph/internal/vecmath"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The fused dense layer: one Gorgonia op computes act(x·W + b) and three more give its
// gradients, so that a layer costs one matrix product forward and two backward, with no
// broadcast copy of the bias, no transposed copies of x or W and no separate activation
// node. Each op writes into the buffer Gorgonia preallocated for it, so a runner that
// rewinds its machine (see Runner.Run) allocates nothing in these ops after the first
// step. Gorgonia differentiates a graph of fused layers as any other: denseOp's SymDiff
// returns the gradient nodes, built from the ops below.
//
// levers.FuseDense switches Dense.Forward between the fused op and the plain graph of Mul,
// BroadcastAdd and the activation; tests compare the two.

// denseOp is y = act(x·W + b) for x (B, In), W (In, Out) and b (1, Out).
type denseOp struct {
	opBase
	act Activation
}

// denseActGradOp is dz = dy ⊙ act′(z), with act′ written in terms of the output y.
type denseActGradOp struct {
	opBase
	act Activation
}

// matMulOp is op(a)·op(b) with either operand transposed in place, without a copy.
type matMulOp struct {
	opBase
	transA, transB bool
}

// colSumOp sums a (B, N) matrix over its rows into a (1, N) matrix.
type colSumOp struct{ opBase }

func newDenseOp(act Activation) denseOp {
	return denseOp{opBase{fmt.Sprintf("Dense{%s}", act), 3, [5]int{2, 2, 2, 2}}, act}
}

func newDenseActGradOp(act Activation) denseActGradOp {
	return denseActGradOp{opBase{fmt.Sprintf("DenseActGrad{%s}", act), 2, [5]int{2, 2, 2}}, act}
}

func newMatMulOp(transA, transB bool) matMulOp {
	return matMulOp{opBase{fmt.Sprintf("MatMul{transA=%t, transB=%t}", transA, transB), 2, [5]int{2, 2, 2}}, transA, transB}
}

func newColSumOp() colSumOp { return colSumOp{opBase{"ColSum", 1, [5]int{2, 2}}} }

// fusedActivations are the activations denseOp computes itself, with act′ from y.
var fusedActivations = map[Activation]bool{Identity: true, Tanh: true, ReLU: true, Sigmoid: true, Softplus: true}

func (d *Dense) fusedForward(x *G.Node) (*G.Node, error) {
	g := x.Graph()
	act := d.Act
	if act == "" {
		act = Identity
	}
	y, err := G.ApplyOp(newDenseOp(act), x, d.W.Node(g), d.B.Node(g))
	if err != nil {
		return nil, fmt.Errorf("graph: layer %q: %w", d.W.Name, err)
	}
	return y, nil
}

func opHash(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	fmt.Fprint(h, op.String())
	return h.Sum32()
}

func shapes(in []G.DimSizer) ([]tensor.Shape, error) {
	ss, err := G.DimSizersToShapes(in)
	if err != nil {
		return nil, err
	}
	for i, s := range ss {
		if len(s) != 2 {
			return nil, fmt.Errorf("input %d has shape %v, want a matrix", i, s)
		}
	}
	return ss, nil
}

// matmul computes c = op(a)·op(b) (+ c when accumulate) with the BLAS given to Gorgonia.
func matmul(transA, transB bool, a, b, c *tensor.Dense, accumulate bool) {
	ta, tb := blas.NoTrans, blas.NoTrans
	m, k := a.Shape()[0], a.Shape()[1]
	if transA {
		ta, m, k = blas.Trans, k, m
	}
	n := b.Shape()[1]
	if transB {
		tb, n = blas.Trans, b.Shape()[0]
	}
	lda, ldb, ldc := a.Shape()[1], b.Shape()[1], c.Shape()[1]
	impl := G.WhichBLAS()
	switch c.Dtype() {
	case tensor.Float64:
		beta := 0.0
		if accumulate {
			beta = 1
		}
		impl.Dgemm(ta, tb, m, n, k, 1, a.Float64s(), lda, b.Float64s(), ldb, beta, c.Float64s(), ldc)
	default:
		var beta float32
		if accumulate {
			beta = 1
		}
		impl.Sgemm(ta, tb, m, n, k, 1, a.Float32s(), lda, b.Float32s(), ldb, beta, c.Float32s(), ldc)
	}
}

// ---- denseOp

func (op denseOp) DiffWRT(inputs int) []bool { return []bool{true, true, true} }

func (op denseOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(in)
	if err != nil {
		return nil, err
	}
	x, w, b := ss[0], ss[1], ss[2]
	if x[1] != w[0] || b[0] != 1 || b[1] != w[1] {
		return nil, fmt.Errorf("dense: shapes x %v, W %v, b %v do not fit", x, w, b)
	}
	return tensor.Shape{x[0], w[1]}, nil
}

func (op denseOp) Do(inputs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, inputs...) }

func (op denseOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	ts, err := values(op.name, 3, inputs)
	if err != nil {
		return nil, err
	}
	x, w, b := ts[0], ts[1], ts[2]
	y := outputShaped(prealloc, x.Dtype(), tensor.Shape{x.Shape()[0], w.Shape()[1]})
	switch x.Dtype() {
	case tensor.Float64:
		repeatRows(y.Float64s(), b.Float64s())
	default:
		repeatRows(y.Float32s(), b.Float32s())
	}
	matmul(false, false, x, w, y, true)
	switch x.Dtype() {
	case tensor.Float64:
		activateParallel(op.act, y.Float64s())
	default:
		activateParallel(op.act, y.Float32s())
	}
	return y, nil
}

func (op denseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	x, w := inputs[0], inputs[1]
	dz := grad
	if op.act != Identity {
		var err error
		if dz, err = G.ApplyOp(newDenseActGradOp(op.act), output, grad); err != nil {
			return nil, err
		}
	}
	dx, err := G.ApplyOp(newMatMulOp(false, true), dz, w)
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(newMatMulOp(true, false), x, dz)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(newColSumOp(), dz)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// parallelElems is the length above which an elementwise pass is split between
// goroutines; below it, starting them costs more than they save.
const parallelElems = 1 << 15

// inParallel calls f on disjoint ranges [lo, hi) that together cover [0, n), in as
// many goroutines as there are free processors (cores.Free) when n is large. Each element is computed by
// one goroutine with the same formula, so the result does not depend on the split.
func inParallel(n int, f func(lo, hi int)) {
	if serial(n) {
		f(0, n)
		return
	}
	workers := cores.Free()
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		wg.Go(func() { f(lo, min(lo+chunk, n)) })
	}
	f(0, chunk)
	wg.Wait()
}

// serial reports whether inParallel would run n elements on one goroutine.
func serial(n int) bool { return n < parallelElems || cores.Free() < 2 }

func repeatRows[T float32 | float64](dst, row []T) {
	for i := 0; i < len(dst); i += len(row) {
		copy(dst[i:i+len(row)], row)
	}
}

// activate applies act to z in place, with the same formulas as the unfused graph:
// softplus as max(z,0) + log1p(e^−|z|) and the sigmoid as exp(−softplus(−z)); tanh is
// vecmath's, four lanes at a time (within 2 ulps; math.Tanh is within 1). float32 values
// are computed in float64 and rounded once.
func activate[T float32 | float64](act Activation, z []T) {
	switch act {
	case Tanh:
		switch s := any(z).(type) {
		case []float64:
			vecmath.Tanh64(s, s)
		case []float32:
			vecmath.Tanh32(s, s)
		}
	case ReLU:
		for i, v := range z {
			if !(v > 0) {
				z[i] = 0
			}
		}
	case Sigmoid:
		for i, v := range z {
			z[i] = T(math.Exp(-softplus(-float64(v))))
		}
	case Softplus:
		for i, v := range z {
			z[i] = T(softplus(float64(v)))
		}
	}
}

func softplus(v float64) float64 { return math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))) }

// ---- denseActGradOp

func (op denseActGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(in)
	if err != nil {
		return nil, err
	}
	if !ss[0].Eq(ss[1]) {
		return nil, fmt.Errorf("dense gradient: output %v and its gradient %v differ", ss[0], ss[1])
	}
	return ss[0].Clone(), nil
}

func (op denseActGradOp) Do(inputs ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(nil, inputs...)
}

func (op denseActGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	ts, err := values(op.name, 2, inputs)
	if err != nil {
		return nil, err
	}
	y, dy := ts[0], ts[1]
	dz := outputShaped(prealloc, y.Dtype(), y.Shape())
	switch y.Dtype() {
	case tensor.Float64:
		actGradParallel(op.act, dz.Float64s(), y.Float64s(), dy.Float64s())
	default:
		actGradParallel(op.act, dz.Float32s(), y.Float32s(), dy.Float32s())
	}
	return dz, nil
}

func actGradParallel[T float32 | float64](act Activation, dz, y, dy []T) {
	if act != Softplus { // the others are a multiply or two per element: memory-bound
		actGrad(act, dz, y, dy)
		return
	}
	if serial(len(dz)) { // no closure to allocate
		actGrad(act, dz, y, dy)
		return
	}
	inParallel(len(dz), func(lo, hi int) { actGrad(act, dz[lo:hi], y[lo:hi], dy[lo:hi]) })
}

func activateParallel[T float32 | float64](act Activation, z []T) {
	if serial(len(z)) { // no closure to allocate
		activate(act, z)
		return
	}
	inParallel(len(z), func(lo, hi int) { activate(act, z[lo:hi]) })
}

// actGrad sets dz = dy ⊙ act′, where act′ is computed from the activation's output y:
// 1 − y² for tanh, [y > 0] for relu, y(1 − y) for the sigmoid and −expm1(−y) = 1 − e^−y
// (the sigmoid of the input) for softplus.
func actGrad[T float32 | float64](act Activation, dz, y, dy []T) {
	switch act {
	case Tanh:
		for i, v := range y {
			dz[i] = dy[i] * (1 - v*v)
		}
	case ReLU:
		for i, v := range y {
			if v > 0 {
				dz[i] = dy[i]
			} else {
				dz[i] = 0
			}
		}
	case Sigmoid:
		for i, v := range y {
			dz[i] = dy[i] * (v * (1 - v))
		}
	case Softplus:
		for i, v := range y {
			dz[i] = dy[i] * T(-math.Expm1(-float64(v)))
		}
	default:
		copy(dz, dy)
	}
}

// ---- matMulOp

func (op matMulOp) dims(a, b tensor.Shape) (m, k, kb, n int) {
	m, k = a[0], a[1]
	if op.transA {
		m, k = k, m
	}
	kb, n = b[0], b[1]
	if op.transB {
		kb, n = n, kb
	}
	return m, k, kb, n
}

func (op matMulOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(in)
	if err != nil {
		return nil, err
	}
	m, k, kb, n := op.dims(ss[0], ss[1])
	if k != kb {
		return nil, fmt.Errorf("%v: shapes %v and %v do not fit", op, ss[0], ss[1])
	}
	return tensor.Shape{m, n}, nil
}

func (op matMulOp) Do(inputs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, inputs...) }

func (op matMulOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	ts, err := values(op.name, 2, inputs)
	if err != nil {
		return nil, err
	}
	a, b := ts[0], ts[1]
	m, k, kb, n := op.dims(a.Shape(), b.Shape())
	if k != kb {
		return nil, fmt.Errorf("%v: shapes %v and %v do not fit", op, a.Shape(), b.Shape())
	}
	c := outputShaped(prealloc, a.Dtype(), tensor.Shape{m, n})
	matmul(op.transA, op.transB, a, b, c, false)
	return c, nil
}

// ---- colSumOp

func (op colSumOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{1, ss[0][1]}, nil
}

func (op colSumOp) Do(inputs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, inputs...) }

func (op colSumOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	ts, err := values(op.name, 1, inputs)
	if err != nil {
		return nil, err
	}
	a := ts[0]
	s := outputShaped(prealloc, a.Dtype(), tensor.Shape{1, a.Shape()[1]})
	switch a.Dtype() {
	case tensor.Float64:
		colSum(s.Float64s(), a.Float64s())
	default:
		colSum(s.Float32s(), a.Float32s())
	}
	return s, nil
}

// colSum sets dst to the sum of the rows of a, added row by row in order.
func colSum[T float32 | float64](dst, a []T) {
	clear(dst)
	for i := 0; i < len(a); i += len(dst) {
		for j, v := range a[i : i+len(dst)] {
			dst[j] += v
		}
	}
}
