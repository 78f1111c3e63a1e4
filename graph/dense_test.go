package graph_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gradcheck"
)

// mlpRef computes an MLP's output in plain float64 Go.
func mlpRef(m *graph.MLP, x []float64, rows int) []float64 {
	cur, width := x, m.Layers[0].In
	for _, l := range m.Layers {
		w := graph.AppendFloat64s(nil, l.W.Value)
		b := graph.AppendFloat64s(nil, l.B.Value)
		next := make([]float64, rows*l.Out)
		for r := 0; r < rows; r++ {
			for j := 0; j < l.Out; j++ {
				s := b[j]
				for i := 0; i < width; i++ {
					s += cur[r*width+i] * w[i*l.Out+j]
				}
				act := l.Act
				if act == "" {
					act = graph.Identity
				}
				next[r*l.Out+j] = activationRefs[act](s)
			}
		}
		cur, width = next, l.Out
	}
	return cur
}

func newMLP(t *testing.T, dt tensor.Dtype, seed uint64, widths []int, act graph.Activation) (*graph.ParamSet, *graph.MLP) {
	t.Helper()
	ps, err := graph.NewParamSet(dt)
	if err != nil {
		t.Fatal(err)
	}
	m, err := graph.NewMLP(ps, graph.MLPConfig{Name: "net", Widths: widths, Hidden: act}, graph.NewRand(seed))
	if err != nil {
		t.Fatal(err)
	}
	// Non-zero biases, so that the test sees them.
	flat := ps.Flatten(nil)
	rng := graph.NewRand(seed + 100)
	for i := range flat {
		flat[i] += 0.1 * rng.NormFloat64()
	}
	if err := ps.SetFlat(flat); err != nil {
		t.Fatal(err)
	}
	return ps, m
}

func TestMLPValues(t *testing.T) {
	for _, dt := range dtypes {
		for _, act := range []graph.Activation{graph.Tanh, graph.ReLU, graph.Softplus} {
			_, m := newMLP(t, dt, 1, []int{3, 5, 4, 2}, act)
			rng := graph.NewRand(2)
			x := make([]float64, 6*3)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			x = round(dt, x)
			got := evalPrim(t, dt, 6, 3, x, m.Forward)
			checkCloseTol(t, fmt.Sprintf("MLP %s %v", act, dt), 10*relTol[dt], got, mlpRef(m, x, 6))
		}
	}
}

func TestMLPGradients(t *testing.T) {
	for _, dt := range dtypes {
		for _, act := range []graph.Activation{graph.Identity, graph.Tanh, graph.Sigmoid, graph.Softplus} { // relu: see TestFusedDenseMatchesPlainGraph (a float32 finite-difference step crosses its kink here)
			res, err := gradcheck.Check(func(g *G.ExprGraph) (*G.Node, G.Nodes, error) {
				ps, m := newMLP(t, dt, 3, []int{2, 4, 3}, act)
				xv := []float64{0.5, -1, 2, 0.3, -0.2, 0.8}
				x := G.NodeFromAny(g, graph.NewTensor(dt, []int{3, 2}, xv), G.WithName("x"))
				y, err := m.Forward(x)
				if err != nil {
					return nil, nil, err
				}
				c, err := weightedCost(g, dt, y, 8)
				return c, append(ps.Nodes(g), x), err
			}, gradcheck.For(dt))
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() {
				t.Errorf("MLP %s %v: %v", act, dt, res)
			}
		}
	}
}

func TestDenseErrors(t *testing.T) {
	t.Parallel()
	ps, _ := graph.NewParamSet(tensor.Float64)
	if _, err := graph.NewDense(ps, graph.DenseConfig{Name: "d", In: 0, Out: 2}, graph.NewRand(1)); err == nil || !strings.Contains(err.Error(), "0 inputs") {
		t.Errorf("zero inputs: %v", err)
	}
	if _, err := graph.NewMLP(ps, graph.MLPConfig{Name: "m", Widths: []int{3}}, graph.NewRand(1)); err == nil {
		t.Error("MLP of one width: no error")
	}
	d, err := graph.NewDense(ps, graph.DenseConfig{Name: "d", In: 3, Out: 2}, graph.NewRand(1))
	if err != nil {
		t.Fatal(err)
	}
	g := G.NewGraph()
	x := graph.NewInput(g, tensor.Float64, "x", 4, 5)
	if _, err := d.Forward(x); err == nil || !strings.Contains(err.Error(), "takes (B, 3) inputs, got shape (4, 5)") {
		t.Errorf("wrong width: %v", err)
	}
	if _, err := graph.NewParamSet(tensor.Int); err == nil {
		t.Error("int parameter set: no error")
	}
}

// TestDeterministicBuild: two MLPs from one seed have the same bits and give the same
// outputs, in both dtypes.
func TestDeterministicBuild(t *testing.T) {
	for _, dt := range dtypes {
		build := func() (*graph.ParamSet, *graph.MLP) {
			ps, _ := graph.NewParamSet(dt)
			m, err := graph.NewMLP(ps, graph.MLPConfig{Name: "n", Widths: []int{4, 8, 3}, Hidden: graph.Tanh}, graph.NewRand(77))
			if err != nil {
				t.Fatal(err)
			}
			return ps, m
		}
		pa, ma := build()
		pb, mb := build()
		fa, fb := pa.Flatten(nil), pb.Flatten(nil)
		for i := range fa {
			if math.Float64bits(fa[i]) != math.Float64bits(fb[i]) {
				t.Fatalf("%v: parameter %d differs", dt, i)
			}
		}
		x := []float64{1, 2, 3, 4, -1, -2, -3, -4}
		ya := evalPrim(t, dt, 2, 4, x, ma.Forward)
		yb := evalPrim(t, dt, 2, 4, x, mb.Forward)
		for i := range ya {
			if math.Float64bits(ya[i]) != math.Float64bits(yb[i]) {
				t.Fatalf("%v: output %d differs", dt, i)
			}
		}
	}
}

func TestRunner(t *testing.T) {
	ps, _ := graph.NewParamSet(tensor.Float64)
	w, _ := ps.Add("w", []int{2, 1}, []float64{1, -1})
	g := G.NewGraph()
	x := graph.NewInput(g, tensor.Float64, "x", 3, 2)
	y, _ := G.Mul(x, w.Node(g))
	c, _ := G.Sum(y)
	r, err := graph.NewRunner(g, G.Nodes{c, y}, graph.WithGradients(c, ps.Nodes(g)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Value(c); err == nil {
		t.Error("Value before Run: no error")
	}
	if err := r.Feed(x, []float64{1, 2}); err == nil || !strings.Contains(err.Error(), "takes 6 values, got 2") {
		t.Errorf("Feed of the wrong size: %v", err)
	}
	if err := r.Feed(x, []float64{1, 2, 3, 4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	grad := func() []float64 {
		gt, err := r.Grad(0)
		if err != nil {
			t.Fatal(err)
		}
		return graph.AppendFloat64s(nil, gt)
	}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Scalar(c); v != (1-2)+(3-4)+(5-6) {
		t.Errorf("cost %g, want -3", v)
	}
	if g1 := grad(); g1[0] != 9 || g1[1] != 12 {
		t.Errorf("gradient %v, want [9 12]", g1)
	}
	// Runs accumulate into the gradient until it is cleared.
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	if g2 := grad(); g2[0] != 18 || g2[1] != 24 {
		t.Errorf("gradient after two runs %v, want [18 24]", g2)
	}
	// An evaluation runner on another graph over the same parameters leaves them alone.
	ge := G.NewGraph()
	xe := graph.NewInput(ge, tensor.Float64, "x", 1, 2)
	ye, _ := G.Mul(xe, w.Node(ge))
	re, err := graph.NewRunner(ge, G.Nodes{ye})
	if err != nil {
		t.Fatal(err)
	}
	re.Feed(xe, []float64{10, 1})
	if err := re.Run(); err != nil {
		t.Fatal(err)
	}
	if v, _ := re.Float64s(nil, ye); v[0] != 9 {
		t.Errorf("evaluation output %v, want [9]", v)
	}
	if g3 := grad(); g3[0] != 18 || g3[1] != 24 {
		t.Errorf("evaluation changed the training gradients to %v", g3)
	}
	if err := r.ZeroGrads(); err != nil {
		t.Fatal(err)
	}
	if g4 := grad(); g4[0] != 0 || g4[1] != 0 {
		t.Errorf("after ZeroGrads %v", g4)
	}
	if _, err := r.Value(ye); err == nil {
		t.Error("Value of a node the runner does not watch: no error")
	}
	if _, err := graph.NewRunner(g, nil, graph.WithGradients(y, ps.Nodes(g))); err == nil {
		t.Error("gradients of a non-scalar cost: no error")
	}
}
