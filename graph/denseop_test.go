package graph

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// plainForward is the reference a dense layer's op is tested against: Gorgonia's Mul,
// BroadcastAdd and the activation's graph (Activation.Apply).
func plainForward(d *Dense, x *G.Node) (*G.Node, error) {
	g := x.Graph()
	xw, err := G.Mul(x, d.W.Node(g))
	if err != nil {
		return nil, err
	}
	z, err := G.BroadcastAdd(xw, d.B.Node(g), nil, []byte{0})
	if err != nil {
		return nil, err
	}
	return d.Act.Apply(z)
}

// plainMLP applies m's layers in turn as plain graphs (plainForward).
func plainMLP(m *MLP, x *G.Node) (*G.Node, error) {
	var err error
	for _, l := range m.Layers {
		if x, err = plainForward(l, x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// fusedRun builds a two-layer MLP with the given activation, as the layers' ops (fuse) or
// as plain graphs, its cost Σ c·y and the gradients, runs it twice and returns the output,
// the gradients of every parameter and the printed graph.
func fusedRun(t *testing.T, dt tensor.Dtype, act Activation, fuse bool) (out []float64, grads [][]float64, ops string) {
	t.Helper()

	ps, err := NewParamSet(dt)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMLP(ps, MLPConfig{Name: "net", Widths: []int{3, 7, 5}, Hidden: act, Output: act}, NewRand(11))
	if err != nil {
		t.Fatal(err)
	}
	flat := ps.Flatten(nil)
	rng := NewRand(12)
	for i := range flat {
		flat[i] += 0.3 * rng.NormFloat64()
	}
	if err := ps.SetFlat(flat); err != nil {
		t.Fatal(err)
	}
	g := G.NewGraph()
	const rows = 9
	xv := make([]float64, rows*3)
	for i := range xv {
		xv[i] = 2 * rng.NormFloat64()
	}
	x := G.NodeFromAny(g, NewTensor(dt, []int{rows, 3}, xv), G.WithName("x"))
	forward := m.Forward
	if !fuse {
		forward = func(x *G.Node) (*G.Node, error) { return plainMLP(m, x) }
	}
	y, err := forward(x)
	if err != nil {
		t.Fatal(err)
	}
	cv := make([]float64, rows*5)
	for i := range cv {
		cv[i] = rng.NormFloat64()
	}
	c := G.NodeFromAny(g, NewTensor(dt, []int{rows, 5}, cv), G.WithName("c"))
	prod, err := G.HadamardProd(y, c)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	wrt := ps.Nodes(g)
	r, err := NewRunner(g, []*G.Node{y}, WithGradients(cost, wrt))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the second run writes into the buffers of the first
		if i > 0 {
			if err := r.ZeroGrads(); err != nil { // gradients add up across runs until zeroed
				t.Fatal(err)
			}
		}
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
	}
	if out, err = r.Float64s(nil, y); err != nil {
		t.Fatal(err)
	}
	for i := range wrt {
		gv, err := r.Grad(i)
		if err != nil {
			t.Fatal(err)
		}
		grads = append(grads, AppendFloat64s(nil, gv))
	}
	return out, grads, g.String()
}

// The fused dense op gives the values and gradients of the plain graph of Mul,
// BroadcastAdd and the activation, for every activation and both dtypes.
func TestFusedDenseMatchesPlainGraph(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		tol := 1e-13
		if dt == tensor.Float32 {
			tol = 2e-6
		}
		for _, act := range []Activation{Identity, Tanh, ReLU, Sigmoid, Softplus} {
			t.Run(fmt.Sprintf("%v/%s", dt, act), func(t *testing.T) {
				fy, fg, fops := fusedRun(t, dt, act, true)
				py, pg, pops := fusedRun(t, dt, act, false)
				if !strings.Contains(fops, "Dense{"+string(act)+"}") || strings.Contains(pops, "Dense{") {
					t.Fatalf("the fused graph should hold Dense ops and the plain one none")
				}
				closeAll(t, "output", fy, py, tol)
				for i := range fg {
					closeAll(t, fmt.Sprintf("gradient %d", i), fg[i], pg[i], tol)
				}
			})
		}
	}
}

func closeAll(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(got[i] - want[i]); d > tol*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// With a preallocated output, the fused ops allocate nothing.
func TestFusedOpsWriteIntoPrealloc(t *testing.T) {
	x := tensor.New(tensor.WithShape(64, 32), tensor.WithBacking(make([]float64, 64*32)))
	w := tensor.New(tensor.WithShape(32, 16), tensor.WithBacking(make([]float64, 32*16)))
	b := tensor.New(tensor.WithShape(1, 16), tensor.WithBacking(make([]float64, 16)))
	y := tensor.New(tensor.WithShape(64, 16), tensor.WithBacking(make([]float64, 64*16)))
	dz := tensor.New(tensor.WithShape(64, 16), tensor.WithBacking(make([]float64, 64*16)))
	dw := tensor.New(tensor.WithShape(32, 16), tensor.WithBacking(make([]float64, 32*16)))
	db := tensor.New(tensor.WithShape(1, 16), tensor.WithBacking(make([]float64, 16)))
	for i := range x.Float64s() {
		x.Float64s()[i] = float64(i%5) - 2
	}
	cases := []struct {
		op interface {
			UsePreallocDo(G.Value, ...G.Value) (G.Value, error)
		}
		pre    G.Value
		inputs []G.Value
	}{
		{denseOp(Tanh), y, []G.Value{x, w, b}},
		{denseActGradOp(Tanh), dz, []G.Value{y, y}},
		{matMulOp(true, false), dw, []G.Value{x, dz}},
		{colSumOp, db, []G.Value{dz}},
	}
	run := func() {
		for _, c := range cases {
			v, err := c.op.UsePreallocDo(c.pre, c.inputs...)
			if err != nil {
				t.Fatal(err)
			}
			if v != c.pre {
				t.Fatalf("%v did not write into its preallocated output", c.op)
			}
		}
	}
	run()
	if raceEnabled {
		return
	}
	if a := testing.AllocsPerRun(20, run); a > 1 {
		t.Errorf("%.1f allocations a run, want none", a)
	}
}
