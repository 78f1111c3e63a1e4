package graph

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// compositeLSE is the reference the row ops are tested against: log-sum-exp along rows
// as a graph of Gorgonia's Max, BroadcastSub, Exp, Sum and Log. It returns the row maxima
// m, the shifted x − m and log Σ exp(x − m).
func compositeLSE(x *G.Node) (m, shifted, lse0 *G.Node, err error) {
	if m, err = G.Max(x, 1); err != nil {
		return nil, nil, nil, err
	}
	if shifted, err = G.BroadcastSub(x, m, nil, []byte{1}); err != nil {
		return nil, nil, nil, err
	}
	e, err := G.Exp(shifted)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := G.Sum(e, 1)
	if err != nil {
		return nil, nil, nil, err
	}
	lse0, err = G.Log(s)
	return m, shifted, lse0, err
}

// compositeLogSumExp is m + log Σ exp(x − m) along rows.
func compositeLogSumExp(x *G.Node) (*G.Node, error) {
	m, _, lse0, err := compositeLSE(x)
	if err != nil {
		return nil, err
	}
	return G.Add(lse0, m)
}

// compositeLogSoftmax is (x − m) − log Σ exp(x − m) along rows.
func compositeLogSoftmax(x *G.Node) (*G.Node, error) {
	_, shifted, lse0, err := compositeLSE(x)
	if err != nil {
		return nil, err
	}
	return G.BroadcastSub(shifted, lse0, nil, []byte{1})
}

// compositeSoftmax is exp(compositeLogSoftmax(x)).
func compositeSoftmax(x *G.Node) (*G.Node, error) {
	ls, err := compositeLogSoftmax(x)
	if err != nil {
		return nil, err
	}
	return G.Exp(ls)
}

// rowRun evaluates f on a (rows, cols) input, with the gradient of Σ c·f(x) with respect
// to x, and returns the values, the gradient and the printed graph.
func rowRun(t *testing.T, dt tensor.Dtype, xv []float64, rows, cols int, f func(*G.Node) (*G.Node, error)) (val, grad []float64, ops string) {
	t.Helper()
	g := G.NewGraph()
	x := G.NodeFromAny(g, NewTensor(dt, []int{rows, cols}, xv), G.WithName("x"))
	y, err := f(x)
	if err != nil {
		t.Fatal(err)
	}
	n := y.Shape().TotalSize()
	cv := make([]float64, n)
	for i := range cv {
		cv[i] = math.Sin(float64(3*i + 1))
	}
	c := G.NodeFromAny(g, NewTensor(dt, y.Shape(), cv), G.WithName("c"))
	p, err := G.HadamardProd(y, c)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := G.Sum(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(g, G.Nodes{y}, WithGradients(cost, G.Nodes{x}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if i > 0 {
			if err := r.ZeroGrads(); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
	}
	if val, err = r.Float64s(nil, y); err != nil {
		t.Fatal(err)
	}
	gv, err := r.Grad(0)
	if err != nil {
		t.Fatal(err)
	}
	return val, AppendFloat64s(nil, gv), g.String()
}

// The row ops give the composite graphs' values and gradients, including rows
// far apart, a dominant entry and a row of equal entries.
func TestFusedRowOpsMatchComposite(t *testing.T) {
	xv := []float64{1, 2, 3, 1000, 1001, 999, -1000, -1002, -1001, 0, 0, 0, 50, -50, 0}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		tol := 1e-14
		if dt == tensor.Float32 {
			tol = 1e-6
		}
		for _, c := range []struct {
			name, op string
			f, ref   func(*G.Node) (*G.Node, error)
		}{
			{"LogSumExp", "RowLogSumExp", func(x *G.Node) (*G.Node, error) { return LogSumExp(x, 1) }, compositeLogSumExp},
			{"LogSoftmax", "RowLogSoftmax", func(x *G.Node) (*G.Node, error) { return LogSoftmax(x, 1) }, compositeLogSoftmax},
			{"Softmax", "RowLogSoftmax", func(x *G.Node) (*G.Node, error) { return Softmax(x, 1) }, compositeSoftmax},
		} {
			t.Run(fmt.Sprintf("%s/%v", c.name, dt), func(t *testing.T) {
				fv, fg, fops := rowRun(t, dt, xv, 5, 3, c.f)
				cv, cg, cops := rowRun(t, dt, xv, 5, 3, c.ref)
				if !strings.Contains(fops, c.op) || strings.Contains(cops, c.op) {
					t.Fatalf("the fused graph should hold %s and the composite none", c.op)
				}
				closeAll(t, "value", fv, cv, tol)
				closeAll(t, "gradient", fg, cg, tol)
			})
		}
	}
}
