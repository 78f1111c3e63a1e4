package graph

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/internal/cores"
	"github.com/mixgraph/mixgraph/internal/gorgonia"
	"github.com/mixgraph/mixgraph/internal/vecmath"
)

// The dense layer is one op, y = act(x·W + b) for x (B, In), W (In, Out) and b (1, Out),
// and three more give its gradients, so that a layer costs one matrix product forward and
// two backward, with no broadcast copy of the bias, no transposed copies of x or W and no
// separate activation node:
//
//	dz = dy ⊙ act′(z)  (act′ from the output y),  dx = dz·Wᵀ,  dW = xᵀ·dz,  db = Σ_b dz_b.
//
// The activations are computed with the same formulas as Activation.Apply's graphs.

// denseOp is y = act(x·W + b).
func denseOp(act Activation) *op {
	return &op{
		name: fmt.Sprintf("Dense{%s}", act),
		dims: []int{2, 2, 2, 2},
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			x, w, b := in[0], in[1], in[2]
			if x[1] != w[0] || b[0] != 1 || b[1] != w[1] {
				return nil, fmt.Errorf("dense: shapes x %v, W %v, b %v do not fit", x, w, b)
			}
			return tensor.Shape{x[0], w[1]}, nil
		},
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			x, w, b := in[0], in[1], in[2]
			y := output(prealloc, x.Dtype(), tensor.Shape{x.Shape()[0], w.Shape()[1]})
			if x.Dtype() == tensor.Float64 {
				repeatRows(y.Float64s(), b.Float64s())
			} else {
				repeatRows(y.Float32s(), b.Float32s())
			}
			matmul(false, false, x, w, y, true)
			if x.Dtype() == tensor.Float64 {
				activateParallel(act, y.Float64s())
			} else {
				activateParallel(act, y.Float32s())
			}
			return y, nil
		},
		diff: func(in G.Nodes, y, dy *G.Node) (G.Nodes, error) {
			x, w := in[0], in[1]
			dz := dy
			if act != Identity {
				var err error
				if dz, err = denseActGradOp(act).apply(y, dy); err != nil {
					return nil, err
				}
			}
			dx, err := matMulOp(false, true).apply(dz, w)
			if err != nil {
				return nil, err
			}
			dw, err := matMulOp(true, false).apply(x, dz)
			if err != nil {
				return nil, err
			}
			db, err := colSumOp.apply(dz)
			if err != nil {
				return nil, err
			}
			return G.Nodes{dx, dw, db}, nil
		},
	}
}

// denseActGradOp is dz = dy ⊙ act′(z), with act′ written in terms of the output y.
func denseActGradOp(act Activation) *op {
	return &op{
		name: fmt.Sprintf("DenseActGrad{%s}", act),
		dims: []int{2, 2, 2},
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			if !in[0].Eq(in[1]) {
				return nil, fmt.Errorf("dense gradient: output %v and its gradient %v differ", in[0], in[1])
			}
			return in[0].Clone(), nil
		},
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			y, dy := in[0], in[1]
			dz := output(prealloc, y.Dtype(), y.Shape())
			if y.Dtype() == tensor.Float64 {
				actGradParallel(act, dz.Float64s(), y.Float64s(), dy.Float64s())
			} else {
				actGradParallel(act, dz.Float32s(), y.Float32s(), dy.Float32s())
			}
			return dz, nil
		},
	}
}

// matMulOp is op(a)·op(b) with either operand transposed in place, without a copy.
func matMulOp(transA, transB bool) *op {
	dims := func(a, b tensor.Shape) (m, k, kb, n int) {
		m, k, kb, n = a[0], a[1], b[0], b[1]
		if transA {
			m, k = k, m
		}
		if transB {
			kb, n = n, kb
		}
		return m, k, kb, n
	}
	o := &op{name: fmt.Sprintf("MatMul{transA=%t, transB=%t}", transA, transB), dims: []int{2, 2, 2}}
	o.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		m, k, kb, n := dims(in[0], in[1])
		if k != kb {
			return nil, fmt.Errorf("%v: shapes %v and %v do not fit", o, in[0], in[1])
		}
		return tensor.Shape{m, n}, nil
	}
	o.run = func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
		a, b := in[0], in[1]
		m, k, kb, n := dims(a.Shape(), b.Shape())
		if k != kb {
			return nil, fmt.Errorf("%v: shapes %v and %v do not fit", o, a.Shape(), b.Shape())
		}
		c := output(prealloc, a.Dtype(), tensor.Shape{m, n})
		matmul(transA, transB, a, b, c, false)
		return c, nil
	}
	return o
}

// colSumOp sums a (B, N) matrix over its rows into a (1, N) matrix, row by row in order.
var colSumOp = &op{
	name:  "ColSum",
	dims:  []int{2, 2},
	shape: func(in []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{1, in[0][1]}, nil },
	run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
		a := in[0]
		s := output(prealloc, a.Dtype(), tensor.Shape{1, a.Shape()[1]})
		if a.Dtype() == tensor.Float64 {
			colSum(s.Float64s(), a.Float64s())
		} else {
			colSum(s.Float32s(), a.Float32s())
		}
		return s, nil
	},
}

// BLAS names the matrix-multiply backend that Gorgonia's products and the dense op's run
// on in this build (see the package documentation).
var BLAS = gorgonia.BLAS

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

func repeatRows[T float32 | float64](dst, row []T) {
	for i := 0; i < len(dst); i += len(row) {
		copy(dst[i:i+len(row)], row)
	}
}

// colSum sets dst to the sum of the rows of a, added row by row in order (vecmath.AddTo
// adds a row a register at a time, each column's sum still in row order).
func colSum[T float32 | float64](dst, a []T) {
	clear(dst)
	for i := 0; i < len(a); i += len(dst) {
		vecmath.AddTo(dst, a[i:i+len(dst)])
	}
}

// parallelElems is the length above which an elementwise pass is split between
// goroutines; below it, starting them costs more than they save.
const parallelElems = 1 << 15

// inParallel calls f on disjoint ranges [lo, hi) that together cover [0, n), in as many
// goroutines as there are free processors (cores.Free) when n is large. Each element is
// computed by one goroutine with the same formula, so the result does not depend on the
// split.
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

func activateParallel[T float32 | float64](act Activation, z []T) {
	if serial(len(z)) { // no closure to allocate
		activate(act, z)
		return
	}
	inParallel(len(z), func(lo, hi int) { activate(act, z[lo:hi]) })
}

// activate applies act to z in place, with the same formulas as Activation.Apply:
// softplus as max(z,0) + log1p(e^−|z|) and the sigmoid as exp(−softplus(−z)); tanh is
// vecmath's, four float64 or eight float32 lanes at a time (sixteen with AVX-512), float32
// computed in float32 (within 2 ulps of the correctly rounded result; math.Tanh is within
// 1). Softplus and the sigmoid compute float32 values in float64 and round once.
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

func actGradParallel[T float32 | float64](act Activation, dz, y, dy []T) {
	// The others are a multiply or two per element (memory-bound); a serial pass allocates
	// no closure.
	if act != Softplus || serial(len(dz)) {
		actGrad(act, dz, y, dy)
		return
	}
	inParallel(len(dz), func(lo, hi int) { actGrad(act, dz[lo:hi], y[lo:hi], dy[lo:hi]) })
}

// actGrad sets dz = dy ⊙ act′, where act′ is computed from the activation's output y:
// 1 − y² for tanh, [y > 0] for relu, y(1 − y) for the sigmoid and −expm1(−y) = 1 − e^−y
// (the sigmoid of the input) for softplus.
func actGrad[T float32 | float64](act Activation, dz, y, dy []T) {
	switch act {
	case Tanh:
		vecmath.TanhGrad(dz, y, dy) // dy·(1 − y²), a register at a time
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
