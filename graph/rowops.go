package graph

import (
	"fmt"
	"hash"
	"math"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/internal/vecmath"
)

// Fused row-wise primitives. LogSumExp and LogSoftmax along axis 1 of a (B, K) matrix
// and the diagonal Gaussian log-density of a mixture's components are single Gorgonia
// ops, computed with the same formulas as the composite graphs they replace (the
// composites remain for axis 0 and are what tests compare against). Each op's SymDiff
// returns its gradient as another op, so Gorgonia differentiates graphs built from them
// like any other; every output is written into the buffer Gorgonia preallocates.
//
// levers.FuseRows switches LogSumExp and LogSoftmax (axis 1) between these ops and the
// composite graphs, and levers.FuseGaussian does the same for the mixture's log-density
// in losses; tests compare the two.

// opBase holds what the fused ops share: a name (which is also their hash, so that
// two ops merge only when they are the same op), an arity and an output shape rule.
type opBase struct {
	name  string
	arity int
	dims  [5]int // the inputs' numbers of dimensions, then the output's
}

func (o opBase) Arity() int { return o.arity }
func (o opBase) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, o.arity+1)
	for i := range ts {
		ts[i] = G.TensorType{Dims: o.dims[i], Of: a}
	}
	return hm.NewFnType(ts...)
}
func (o opBase) ReturnsPtr() bool      { return false }
func (o opBase) CallsExtern() bool     { return true } // so that Gorgonia preallocates outputs
func (o opBase) OverwritesInput() int  { return -1 }
func (o opBase) WriteHash(h hash.Hash) { fmt.Fprint(h, o.name) }
func (o opBase) Hashcode() uint32      { return opHash(o) }
func (o opBase) String() string        { return o.name }

// values reads n ≤ 4 inputs as dense float tensors of one dtype (returned in an array, so
// that reading them allocates nothing).
func values(op string, n int, inputs []G.Value) (ts [4]*tensor.Dense, err error) {
	if len(inputs) != n {
		return ts, fmt.Errorf("%s: %d inputs, want %d", op, len(inputs), n)
	}
	for i, v := range inputs {
		t, ok := v.(*tensor.Dense)
		if !ok {
			return ts, fmt.Errorf("%s: input %d is a %T, want a dense tensor", op, i, v)
		}
		if dt := t.Dtype(); dt != tensor.Float64 && dt != tensor.Float32 {
			return ts, fmt.Errorf("%s: input %d has dtype %v, want float64 or float32", op, i, dt)
		}
		if i > 0 && t.Dtype() != ts[0].Dtype() {
			return ts, fmt.Errorf("%s: mixed dtypes %v and %v", op, ts[0].Dtype(), t.Dtype())
		}
		ts[i] = t
	}
	return ts, nil
}

// outputShaped returns prealloc when it has dtype dt and the shape s, or a new tensor.
func outputShaped(prealloc G.Value, dt tensor.Dtype, s tensor.Shape) *tensor.Dense {
	if p, ok := prealloc.(*tensor.Dense); ok && p.Dtype() == dt && p.Shape().Eq(s) && p.IsNativelyAccessible() {
		return p
	}
	return tensor.New(tensor.Of(dt), tensor.WithShape(s.Clone()...)) // s itself stays on the caller's stack
}

// ---- LogSumExp along rows

// lseOp is log Σ_j exp(x_ij) for each row i of x (B, K), giving (B).
type lseOp struct{ opBase }

// lseGradOp is g_i · exp(x_ij − m_i) / Σ_l exp(x_il − m_i): the upstream gradient g (B)
// times the row softmax of x (B, K).
type lseGradOp struct{ opBase }

func newLSE() lseOp         { return lseOp{opBase{"RowLogSumExp", 1, [5]int{2, 1}}} }
func newLSEGrad() lseGradOp { return lseGradOp{opBase{"RowLogSumExpGrad", 2, [5]int{2, 1, 2}}} }

func (op lseOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{ss[0][0]}, nil
}

func (op lseOp) DiffWRT(int) []bool                    { return []bool{true} }
func (op lseOp) Do(inputs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, inputs...) }

func (op lseOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	ts, err := values(op.name, 1, inputs)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	rows, cols := x.Shape()[0], x.Shape()[1]
	out := outputShaped(prealloc, x.Dtype(), tensor.Shape{rows})
	switch x.Dtype() {
	case tensor.Float64:
		rowLSE(out.Float64s(), x.Float64s(), cols)
	default:
		rowLSE(out.Float32s(), x.Float32s(), cols)
	}
	return out, nil
}

func (op lseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(newLSEGrad(), inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// vexp sets dst = exp(src) elementwise with vecmath (four lanes at a time where the CPU
// allows; within 2 ulps of math.Exp).
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

// shiftedExp sets m_i to the maximum of row i of x, e_ij = exp(x_ij − m_i) and
// s_i = Σ_j e_ij, summed left to right. e may be x's own length of scratch or an output.
func shiftedExp[T float32 | float64](e, x []T, cols int, m, s []T) {
	for i := range m {
		row := x[i*cols : (i+1)*cols]
		mi := row[0]
		for _, v := range row[1:] {
			if v > mi || mi != mi {
				mi = v
			}
		}
		m[i] = mi
		for j, v := range row {
			e[i*cols+j] = v - mi
		}
	}
	vexp(e, e)
	for i := range s {
		var si T
		for _, v := range e[i*cols : (i+1)*cols] {
			si += v
		}
		s[i] = si
	}
}

// rowLSE sets out_i = log Σ exp(x_i − m_i) + m_i, as the composite graph computes it.
func rowLSE[T float32 | float64](out, x []T, cols int) {
	rows := len(out)
	buf, held := scratch[T](len(x) + 2*rows)
	defer held.release()
	e, m, s := buf[:len(x)], buf[len(x):len(x)+rows], buf[len(x)+rows:]
	shiftedExp(e, x, cols, m, s)
	for i := range out {
		out[i] = T(math.Log(float64(s[i]))) + m[i]
	}
}

func (op lseGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := G.DimSizersToShapes(in)
	if err != nil {
		return nil, err
	}
	return ss[0].Clone(), nil
}

func (op lseGradOp) Do(inputs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, inputs...) }

func (op lseGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	ts, err := values(op.name, 2, inputs)
	if err != nil {
		return nil, err
	}
	x, g := ts[0], ts[1]
	cols := x.Shape()[1]
	dx := outputShaped(prealloc, x.Dtype(), x.Shape())
	switch x.Dtype() {
	case tensor.Float64:
		rowLSEGrad(dx.Float64s(), x.Float64s(), g.Float64s(), cols)
	default:
		rowLSEGrad(dx.Float32s(), x.Float32s(), g.Float32s(), cols)
	}
	return dx, nil
}

func rowLSEGrad[T float32 | float64](dx, x, g []T, cols int) {
	rows := len(g)
	buf, held := scratch[T](2 * rows)
	defer held.release()
	m, s := buf[:rows], buf[rows:]
	shiftedExp(dx, x, cols, m, s)
	for i, gi := range g {
		for j := range cols {
			dx[i*cols+j] = gi * (dx[i*cols+j] / s[i])
		}
	}
}

// ---- LogSoftmax along rows

// lsmOp is (x_ij − m_i) − log Σ_l exp(x_il − m_i) for x (B, K).
type lsmOp struct{ opBase }

// lsmGradOp is g_ij − p_ij Σ_l g_il with p = exp(output): the gradient of the log-softmax
// from its output y and the upstream gradient g.
type lsmGradOp struct{ opBase }

func newLSM() lsmOp         { return lsmOp{opBase{"RowLogSoftmax", 1, [5]int{2, 2}}} }
func newLSMGrad() lsmGradOp { return lsmGradOp{opBase{"RowLogSoftmaxGrad", 2, [5]int{2, 2, 2}}} }

func (op lsmOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(in)
	if err != nil {
		return nil, err
	}
	return ss[0].Clone(), nil
}

func (op lsmOp) DiffWRT(int) []bool                    { return []bool{true} }
func (op lsmOp) Do(inputs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, inputs...) }

func (op lsmOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	ts, err := values(op.name, 1, inputs)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	cols := x.Shape()[1]
	out := outputShaped(prealloc, x.Dtype(), x.Shape())
	switch x.Dtype() {
	case tensor.Float64:
		rowLSM(out.Float64s(), x.Float64s(), cols)
	default:
		rowLSM(out.Float32s(), x.Float32s(), cols)
	}
	return out, nil
}

func (op lsmOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(newLSMGrad(), output, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

func rowLSM[T float32 | float64](out, x []T, cols int) {
	rows := len(x) / cols
	buf, held := scratch[T](2 * rows)
	defer held.release()
	m, s := buf[:rows], buf[rows:]
	shiftedExp(out, x, cols, m, s)
	for i := range rows {
		l := T(math.Log(float64(s[i])))
		for j, v := range x[i*cols : (i+1)*cols] {
			out[i*cols+j] = (v - m[i]) - l
		}
	}
}

func (op lsmGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := G.DimSizersToShapes(in)
	if err != nil {
		return nil, err
	}
	return ss[0].Clone(), nil
}

func (op lsmGradOp) Do(inputs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, inputs...) }

func (op lsmGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	ts, err := values(op.name, 2, inputs)
	if err != nil {
		return nil, err
	}
	y, g := ts[0], ts[1]
	cols := y.Shape()[1]
	dx := outputShaped(prealloc, y.Dtype(), y.Shape())
	switch y.Dtype() {
	case tensor.Float64:
		rowLSMGrad(dx.Float64s(), y.Float64s(), g.Float64s(), cols)
	default:
		rowLSMGrad(dx.Float32s(), y.Float32s(), g.Float32s(), cols)
	}
	return dx, nil
}

func rowLSMGrad[T float32 | float64](dx, y, g []T, cols int) {
	vexp(dx, y)
	for i := 0; i < len(y); i += cols {
		var sum T
		for _, v := range g[i : i+cols] {
			sum += v
		}
		for j := range cols {
			dx[i+j] = g[i+j] - dx[i+j]*sum
		}
	}
}

// ---- the diagonal Gaussian log-density of K components

// GaussianLogDensity returns log N(y_b | μ_bk, diag σ²_bk) for every row b and component
// k as a (B, K) matrix, from means (B, K·D) and log standard deviations (B, K·D), both laid
// out component by component (columns k·D … k·D+D−1 are component k), and targets y (B, D):
//
//	log N_bk = −(D/2) log 2π − Σ_d (½ z²_bkd + log σ_bkd),  z_bkd = (y_bd − μ_bkd)·e^(−log σ_bkd).
//
// It is one Gorgonia op with its own derivatives (∂/∂μ = z/σ, ∂/∂log σ = z² − 1,
// ∂/∂y = −Σ_k z/σ, each times the upstream gradient), so the loss built on it is still
// differentiated by Gorgonia.
func GaussianLogDensity(means, logSigma, y *G.Node, k, d int) (*G.Node, error) {
	for _, c := range []struct {
		name string
		n    *G.Node
		cols int
	}{{"means", means, k * d}, {"log σ", logSigma, k * d}, {"targets", y, d}} {
		if c.n == nil || c.n.Dims() != 2 || c.n.Shape()[1] != c.cols || c.n.Shape()[0] != y.Shape()[0] {
			return nil, fmt.Errorf("graph: Gaussian log-density: %s must be (%d, %d)", c.name, y.Shape()[0], c.cols)
		}
	}
	return G.ApplyOp(gaussOp{opBase{fmt.Sprintf("GaussianLogDensity{K=%d,D=%d}", k, d), 3, [5]int{2, 2, 2, 2}}, k, d}, means, logSigma, y)
}

type gaussOp struct {
	opBase
	k, d int
}

// gaussGradOp is the gradient of gaussOp with respect to input wrt (0 means, 1 log σ),
// from the three inputs and the upstream gradient (B, K).
type gaussGradOp struct {
	opBase
	k, d, wrt int
}

func (op gaussOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{ss[0][0], op.k}, nil
}

func (op gaussOp) DiffWRT(int) []bool                    { return []bool{true, true, true} }
func (op gaussOp) Do(inputs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, inputs...) }

func (op gaussOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	ts, err := values(op.name, 3, inputs)
	if err != nil {
		return nil, err
	}
	rows := ts[2].Shape()[0]
	out := outputShaped(prealloc, ts[0].Dtype(), tensor.Shape{rows, op.k})
	switch out.Dtype() {
	case tensor.Float64:
		gaussLogDensity(out.Float64s(), ts[0].Float64s(), ts[1].Float64s(), ts[2].Float64s(), op.k, op.d)
	default:
		gaussLogDensity(out.Float32s(), ts[0].Float32s(), ts[1].Float32s(), ts[2].Float32s(), op.k, op.d)
	}
	return out, nil
}

func (op gaussOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	var grads G.Nodes
	for wrt := range 2 {
		name := fmt.Sprintf("GaussianLogDensityGrad{K=%d,D=%d,wrt=%d}", op.k, op.d, wrt)
		n, err := G.ApplyOp(gaussGradOp{opBase{name, 4, [5]int{2, 2, 2, 2, 2}}, op.k, op.d, wrt}, inputs[0], inputs[1], inputs[2], grad)
		if err != nil {
			return nil, err
		}
		grads = append(grads, n)
	}
	// ∂/∂y_d = −Σ_k ∂/∂μ_kd: a sum over the means' gradient, without recomputing it.
	dy, err := G.ApplyOp(gaussTargetGradOp{opBase{fmt.Sprintf("GaussianLogDensityTargetGrad{K=%d,D=%d}", op.k, op.d), 1, [5]int{2, 2}}, op.k, op.d}, grads[0])
	if err != nil {
		return nil, err
	}
	return append(grads, dy), nil
}

// gaussTargetGradOp is the gradient with respect to the targets, −Σ_k of the gradient
// with respect to the means (B, K·D), giving (B, D).
type gaussTargetGradOp struct {
	opBase
	k, d int
}

func (op gaussTargetGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{ss[0][0], op.d}, nil
}

func (op gaussTargetGradOp) Do(inputs ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(nil, inputs...)
}

func (op gaussTargetGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	ts, err := values(op.name, 1, inputs)
	if err != nil {
		return nil, err
	}
	rows := ts[0].Shape()[0]
	out := outputShaped(prealloc, ts[0].Dtype(), tensor.Shape{rows, op.d})
	switch out.Dtype() {
	case tensor.Float64:
		negComponentSum(out.Float64s(), ts[0].Float64s(), op.k, op.d)
	default:
		negComponentSum(out.Float32s(), ts[0].Float32s(), op.k, op.d)
	}
	return out, nil
}

// negComponentSum sets out[b,d] = −Σ_k dmu[b, k·D+d], summed over k in order.
func negComponentSum[T float32 | float64](out, dmu []T, k, d int) {
	for b := range len(out) / d {
		row := out[b*d : (b+1)*d]
		clear(row)
		for j := range k {
			for e, v := range dmu[(b*k+j)*d : (b*k+j+1)*d] {
				row[e] -= v
			}
		}
	}
}

// invScales returns exp(−log σ) for every element, in pooled scratch.
func invScales[T float32 | float64](ls []T) ([]T, pooled[T]) {
	inv, held := scratch[T](len(ls))
	for i, v := range ls {
		inv[i] = -v
	}
	vexp(inv, inv)
	return inv, held
}

func gaussLogDensity[T float32 | float64](out, mu, ls, y []T, k, d int) {
	c := T(-0.5 * float64(d) * math.Log(2*math.Pi))
	invs, held := invScales(ls)
	defer held.release()
	for b := range len(out) / k {
		yb := y[b*d : (b+1)*d]
		for j := range k {
			off := (b*k + j) * d
			var acc T
			for e, yv := range yb {
				z := (yv - mu[off+e]) * invs[off+e]
				acc += z*z*0.5 + ls[off+e]
			}
			out[b*k+j] = -acc + c
		}
	}
}

func (op gaussGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(in)
	if err != nil {
		return nil, err
	}
	return ss[op.wrt].Clone(), nil
}

func (op gaussGradOp) Do(inputs ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(nil, inputs...)
}

func (op gaussGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	ts, err := values(op.name, 4, inputs)
	if err != nil {
		return nil, err
	}
	out := outputShaped(prealloc, ts[0].Dtype(), ts[op.wrt].Shape())
	switch out.Dtype() {
	case tensor.Float64:
		gaussGrad(op.wrt, out.Float64s(), ts[0].Float64s(), ts[1].Float64s(), ts[2].Float64s(), ts[3].Float64s(), op.k, op.d)
	default:
		gaussGrad(op.wrt, out.Float32s(), ts[0].Float32s(), ts[1].Float32s(), ts[2].Float32s(), ts[3].Float32s(), op.k, op.d)
	}
	return out, nil
}

func gaussGrad[T float32 | float64](wrt int, out, mu, ls, y, g []T, k, d int) {
	invs, held := invScales(ls)
	defer held.release()
	for b := range len(y) / d {
		for j := range k {
			gbk := g[b*k+j]
			off := (b*k + j) * d
			for e := range d {
				inv := invs[off+e]
				z := (y[b*d+e] - mu[off+e]) * inv
				if wrt == 0 {
					out[off+e] = gbk * (z * inv)
				} else {
					out[off+e] = gbk * (z*z - 1)
				}
			}
		}
	}
}
