package graph

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LogSumExp returns log Σ exp(x) along axis of the matrix x, computed stably as
//
//	m + log Σ exp(x − m),  m = max of x along axis,
//
// with one maximum per row (axis 1) or per column (axis 0). For x of shape (B,K) and
// axis 1 the result has shape (B). Its gradient with respect to x is the softmax along
// axis. Along rows it is one op (columns are rows of the transpose).
func LogSumExp(x *G.Node, axis int) (*G.Node, error) {
	if err := checkAxis("LogSumExp", x, axis); err != nil {
		return nil, err
	}
	if axis == 0 {
		var err error
		if x, err = G.Transpose(x); err != nil {
			return nil, err
		}
	}
	return rowLSEOp.apply(x)
}

// LogSoftmax returns x − LogSumExp(x) along axis, the log of the softmax, without
// forming the softmax. It is computed as (x − m) − log Σ exp(x − m), so that no
// intermediate is as large as x itself: with x near 10³ the result keeps the precision
// of its own magnitude. The result has x's shape.
func LogSoftmax(x *G.Node, axis int) (*G.Node, error) {
	if err := checkAxis("LogSoftmax", x, axis); err != nil {
		return nil, err
	}
	if axis == 1 {
		return rowLSMOp.apply(x)
	}
	xt, err := G.Transpose(x)
	if err != nil {
		return nil, err
	}
	lt, err := rowLSMOp.apply(xt)
	if err != nil {
		return nil, err
	}
	return G.Transpose(lt)
}

// Softmax returns exp(LogSoftmax(x, axis)): probabilities that sum to one along axis.
func Softmax(x *G.Node, axis int) (*G.Node, error) {
	ls, err := LogSoftmax(x, axis)
	if err != nil {
		return nil, err
	}
	return G.Exp(ls)
}

// checkAxis checks that x is a matrix and axis is 0 or 1.
func checkAxis(op string, x *G.Node, axis int) error {
	if x == nil {
		return fmt.Errorf("graph: %s of a nil node", op)
	}
	if x.Dims() != 2 {
		return fmt.Errorf("graph: %s needs a matrix, got shape %v", op, x.Shape())
	}
	if axis != 0 && axis != 1 {
		return fmt.Errorf("graph: %s along axis %d of a matrix (want 0 or 1)", op, axis)
	}
	return nil
}

// The row ops, for x of shape (B, K), with m_i = max_j x_ij:
//
//	RowLogSumExp:      out_i  = log Σ_j exp(x_ij − m_i) + m_i                       (B)
//	RowLogSumExpGrad:  dx_ij  = g_i · exp(x_ij − m_i) / Σ_l exp(x_il − m_i)         (B, K)
//	RowLogSoftmax:     out_ij = (x_ij − m_i) − log Σ_l exp(x_il − m_i)              (B, K)
//	RowLogSoftmaxGrad: dx_ij  = g_ij − exp(y_ij) Σ_l g_il, from the output y         (B, K)
//
// with g the upstream gradient. Every exponent is ≤ 0 and one is 0, so each sum lies in
// [1, K].
var (
	rowLSEOp = &op{
		name:  "RowLogSumExp",
		dims:  []int{2, 1},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{in[0][0]}, nil },
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			x := in[0]
			out := output(prealloc, x.Dtype(), tensor.Shape{x.Shape()[0]})
			if x.Dtype() == tensor.Float64 {
				rowLSE(out.Float64s(), x.Float64s(), x.Shape()[1])
			} else {
				rowLSE(out.Float32s(), x.Float32s(), x.Shape()[1])
			}
			return out, nil
		},
		diff: func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) { return gradNodes(rowLSEGradOp, in[0], grad) },
	}
	rowLSEGradOp = &op{
		name:  "RowLogSumExpGrad",
		dims:  []int{2, 1, 2},
		shape: firstShape,
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			x, g := in[0], in[1]
			dx := output(prealloc, x.Dtype(), x.Shape())
			if x.Dtype() == tensor.Float64 {
				rowLSEGrad(dx.Float64s(), x.Float64s(), g.Float64s(), x.Shape()[1])
			} else {
				rowLSEGrad(dx.Float32s(), x.Float32s(), g.Float32s(), x.Shape()[1])
			}
			return dx, nil
		},
	}
	rowLSMOp = &op{
		name:  "RowLogSoftmax",
		dims:  []int{2, 2},
		shape: firstShape,
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			x := in[0]
			out := output(prealloc, x.Dtype(), x.Shape())
			if x.Dtype() == tensor.Float64 {
				rowLSM(out.Float64s(), x.Float64s(), x.Shape()[1])
			} else {
				rowLSM(out.Float32s(), x.Float32s(), x.Shape()[1])
			}
			return out, nil
		},
		diff: func(_ G.Nodes, y, grad *G.Node) (G.Nodes, error) { return gradNodes(rowLSMGradOp, y, grad) },
	}
	rowLSMGradOp = &op{
		name:  "RowLogSoftmaxGrad",
		dims:  []int{2, 2, 2},
		shape: firstShape,
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			y, g := in[0], in[1]
			dx := output(prealloc, y.Dtype(), y.Shape())
			if y.Dtype() == tensor.Float64 {
				rowLSMGrad(dx.Float64s(), y.Float64s(), g.Float64s(), y.Shape()[1])
			} else {
				rowLSMGrad(dx.Float32s(), y.Float32s(), g.Float32s(), y.Shape()[1])
			}
			return dx, nil
		},
	}
)

// firstShape is the shape rule of an op whose output has its first input's shape.
func firstShape(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }

// gradNodes applies the gradient op o to the inputs, giving the gradient of an op's single
// input.
func gradNodes(o *op, inputs ...*G.Node) (G.Nodes, error) {
	dx, err := o.apply(inputs...)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

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
