package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/internal/levers"
)

// reduceAxis checks that x is a matrix and axis is 0 or 1, and returns the broadcast
// pattern that re-expands a reduction along axis to x's shape.
func reduceAxis(op string, x *G.Node, axis int) ([]byte, error) {
	if x == nil {
		return nil, fmt.Errorf("graph: %s of a nil node", op)
	}
	if x.Dims() != 2 {
		return nil, fmt.Errorf("graph: %s needs a matrix, got shape %v", op, x.Shape())
	}
	if axis != 0 && axis != 1 {
		return nil, fmt.Errorf("graph: %s along axis %d of a matrix (want 0 or 1)", op, axis)
	}
	return []byte{byte(axis)}, nil
}

// logSumExpShifted returns m = max of x along axis, the shifted x − m, and
// log Σ exp(x − m) along axis; every exponent is ≤ 0 and one is 0, so the sum is in [1, K].
func logSumExpShifted(x *G.Node, axis int, pattern []byte) (m, shifted, lse0 *G.Node, err error) {
	if m, err = G.Max(x, axis); err != nil {
		return nil, nil, nil, fmt.Errorf("graph: max: %w", err)
	}
	if shifted, err = G.BroadcastSub(x, m, nil, pattern); err != nil {
		return nil, nil, nil, fmt.Errorf("graph: shift: %w", err)
	}
	e, err := G.Exp(shifted)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := G.Sum(e, axis)
	if err != nil {
		return nil, nil, nil, err
	}
	if lse0, err = G.Log(s); err != nil {
		return nil, nil, nil, err
	}
	return m, shifted, lse0, nil
}

// LogSumExp returns log Σ exp(x) along axis of the matrix x, computed stably as
//
//	m + log Σ exp(x − m),  m = max of x along axis,
//
// with one maximum per row (axis 1) or per column (axis 0). For x of shape (B,K) and
// axis 1 the result has shape (B). Its gradient with respect to x is the softmax along
// axis.
func LogSumExp(x *G.Node, axis int) (*G.Node, error) {
	pattern, err := reduceAxis("LogSumExp", x, axis)
	if err != nil {
		return nil, err
	}
	if levers.FuseRows && axis == 1 {
		return G.ApplyOp(newLSE(), x)
	}
	m, _, lse0, err := logSumExpShifted(x, axis, pattern)
	if err != nil {
		return nil, err
	}
	return G.Add(lse0, m)
}

// LogSoftmax returns x − LogSumExp(x) along axis, the log of the softmax, without
// forming the softmax. It is computed as (x − m) − log Σ exp(x − m), so that no
// intermediate is as large as x itself: with x near 10³ the result keeps the precision
// of its own magnitude. The result has x's shape.
func LogSoftmax(x *G.Node, axis int) (*G.Node, error) {
	pattern, err := reduceAxis("LogSoftmax", x, axis)
	if err != nil {
		return nil, err
	}
	if levers.FuseRows && axis == 1 {
		return G.ApplyOp(newLSM(), x)
	}
	_, shifted, lse0, err := logSumExpShifted(x, axis, pattern)
	if err != nil {
		return nil, err
	}
	return G.BroadcastSub(shifted, lse0, nil, pattern)
}

// Softmax returns exp(LogSoftmax(x, axis)): probabilities that sum to one along axis.
func Softmax(x *G.Node, axis int) (*G.Node, error) {
	ls, err := LogSoftmax(x, axis)
	if err != nil {
		return nil, err
	}
	return G.Exp(ls)
}
