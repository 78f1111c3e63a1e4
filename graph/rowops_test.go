package graph

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/internal/levers"
)

// rowRun evaluates f on a (rows, cols) input, with the gradient of Σ c·f(x) with respect
// to x, and returns the values, the gradient and the printed graph.
func rowRun(t *testing.T, dt tensor.Dtype, fused bool, xv []float64, rows, cols int, f func(*G.Node) (*G.Node, error)) (val, grad []float64, ops string) {
	t.Helper()
	old := levers.FuseRows
	levers.FuseRows = fused
	defer func() { levers.FuseRows = old }()
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

// The fused row ops give the composite graphs' values and gradients, including rows
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
			f        func(*G.Node) (*G.Node, error)
		}{
			{"LogSumExp", "RowLogSumExp", func(x *G.Node) (*G.Node, error) { return LogSumExp(x, 1) }},
			{"LogSoftmax", "RowLogSoftmax", func(x *G.Node) (*G.Node, error) { return LogSoftmax(x, 1) }},
			{"Softmax", "RowLogSoftmax", func(x *G.Node) (*G.Node, error) { return Softmax(x, 1) }},
		} {
			t.Run(fmt.Sprintf("%s/%v", c.name, dt), func(t *testing.T) {
				fv, fg, fops := rowRun(t, dt, true, xv, 5, 3, c.f)
				cv, cg, cops := rowRun(t, dt, false, xv, 5, 3, c.f)
				if !strings.Contains(fops, c.op) || strings.Contains(cops, c.op) {
					t.Fatalf("the fused graph should hold %s and the composite none", c.op)
				}
				closeAll(t, "value", fv, cv, tol)
				closeAll(t, "gradient", fg, cg, tol)
			})
		}
	}
}

// GaussianLogDensity against plain Go, with its gradients through a weighted sum.
func TestGaussianLogDensityValues(t *testing.T) {
	const b, k, d = 4, 3, 2
	rng := NewRand(9)
	mu, ls, y := make([]float64, b*k*d), make([]float64, b*k*d), make([]float64, b*d)
	for i := range mu {
		mu[i], ls[i] = rng.NormFloat64(), 0.5*rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	g := G.NewGraph()
	mn := G.NodeFromAny(g, NewTensor(tensor.Float64, []int{b, k * d}, mu), G.WithName("mu"))
	sn := G.NodeFromAny(g, NewTensor(tensor.Float64, []int{b, k * d}, ls), G.WithName("ls"))
	yn := G.NodeFromAny(g, NewTensor(tensor.Float64, []int{b, d}, y), G.WithName("y"))
	out, err := GaussianLogDensity(mn, sn, yn, k, d)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(g, G.Nodes{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	got, _ := r.Float64s(nil, out)
	for row := range b {
		for c := range k {
			want := 0.0
			for e := range d {
				s := math.Exp(ls[(row*k+c)*d+e])
				z := (y[row*d+e] - mu[(row*k+c)*d+e]) / s
				want += -0.5*z*z - math.Log(s) - 0.5*math.Log(2*math.Pi)
			}
			if diff := math.Abs(got[row*k+c] - want); diff > 1e-14*math.Max(1, math.Abs(want)) {
				t.Errorf("log N[%d,%d] = %v, want %v", row, c, got[row*k+c], want)
			}
		}
	}
	if _, err := GaussianLogDensity(mn, sn, yn, k+1, d); err == nil {
		t.Error("no error for means of the wrong width")
	}
}
