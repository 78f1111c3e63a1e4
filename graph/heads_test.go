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

// newHeads makes affine layers of the given widths on in inputs, with parameters drawn
// from seed and perturbed so that the biases are not zero.
func newHeads(t testing.TB, dt tensor.Dtype, seed uint64, in int, widths []int) (*graph.ParamSet, []*graph.Dense) {
	t.Helper()
	ps, err := graph.NewParamSet(dt)
	if err != nil {
		t.Fatal(err)
	}
	rng := graph.NewRand(seed)
	var hs []*graph.Dense
	for i, w := range widths {
		d, err := graph.NewDense(ps, graph.DenseConfig{Name: fmt.Sprintf("head%d", i), In: in, Out: w}, rng)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, d)
	}
	flat := ps.Flatten(nil)
	for i := range flat {
		flat[i] += 0.3 * rng.NormFloat64()
	}
	if err := ps.SetFlat(flat); err != nil {
		t.Fatal(err)
	}
	return ps, hs
}

// headsRef is x·W_i + b_i for every head, in plain Go float64.
func headsRef(hs []*graph.Dense, x []float64, rows int) [][]float64 {
	var outs [][]float64
	for _, d := range hs {
		w, b := graph.AppendFloat64s(nil, d.W.Value), graph.AppendFloat64s(nil, d.B.Value)
		out := make([]float64, rows*d.Out)
		for r := range rows {
			for j := range d.Out {
				s := b[j]
				for k := range d.In {
					s += x[r*d.In+k] * w[k*d.Out+j]
				}
				out[r*d.Out+j] = s
			}
		}
		outs = append(outs, out)
	}
	return outs
}

func randomRows(seed uint64, n int) []float64 {
	rng := graph.NewRand(seed)
	v := make([]float64, n)
	for i := range v {
		v[i] = 2 * rng.NormFloat64()
	}
	return v
}

func TestHeadsValues(t *testing.T) {
	for _, dt := range dtypes {
		for _, widths := range [][]int{{3}, {2, 5}, {3, 8, 8}, {4, 12, 12, 6}} {
			const rows, in = 7, 5
			_, hs := newHeads(t, dt, 3, in, widths)
			x := round(dt, randomRows(4, rows*in))
			g := G.NewGraph()
			xn := G.NodeFromAny(g, graph.NewTensor(dt, []int{rows, in}, x), G.WithName("x"))
			outs, err := graph.Heads(xn, hs...)
			if err != nil {
				t.Fatal(err)
			}
			r, err := graph.NewRunner(g, outs)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second run writes into the first's buffers
				if err := r.Run(); err != nil {
					t.Fatal(err)
				}
			}
			want := headsRef(hs, x, rows)
			for i, o := range outs {
				if !o.Shape().Eq(tensor.Shape{rows, widths[i]}) {
					t.Fatalf("%v heads %v: head %d has shape %v", dt, widths, i, o.Shape())
				}
				got, err := r.Float64s(nil, o)
				if err != nil {
					t.Fatal(err)
				}
				checkCloseTol(t, fmt.Sprintf("%v heads %v, head %d", dt, widths, i), 10*relTol[dt], got, want[i])
			}
		}
	}
}

// headsCost is Σ_i Σ c_i ⊙ out_i over the heads listed in use (a head may appear twice,
// then its output has two consumers).
func headsCost(g *G.ExprGraph, dt tensor.Dtype, outs []*G.Node, use []int) (*G.Node, error) {
	var cost *G.Node
	for j, i := range use {
		c, err := weightedCost(g, dt, outs[i], uint64(20+j))
		if err != nil {
			return nil, err
		}
		if cost == nil {
			cost = c
		} else if cost, err = G.Add(cost, c); err != nil {
			return nil, err
		}
	}
	return cost, nil
}

func TestHeadsGradients(t *testing.T) {
	cases := []struct {
		widths []int
		use    []int
	}{
		{[]int{2, 5}, []int{0, 1}},
		{[]int{3, 6, 6}, []int{0, 1, 2}},
		{[]int{3, 4, 4, 2}, []int{3, 0, 1, 2}},
		{[]int{3, 4, 4}, []int{2, 0}},       // the middle head unused: a zero block
		{[]int{2, 3, 3}, []int{1, 0, 1, 2}}, // head 1 used twice
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			res, err := gradcheck.Check(func(g *G.ExprGraph) (*G.Node, G.Nodes, error) {
				ps, hs := newHeads(t, dt, 5, 4, c.widths)
				x := G.NodeFromAny(g, graph.NewTensor(dt, []int{3, 4}, randomRows(6, 12)), G.WithName("x"))
				outs, err := graph.Heads(x, hs...)
				if err != nil {
					return nil, nil, err
				}
				cost, err := headsCost(g, dt, outs, c.use)
				return cost, append(ps.Nodes(g), x), err
			}, gradcheck.For(dt))
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() {
				t.Errorf("%v heads %v using %v: %v", dt, c.widths, c.use, res)
			}
		}
	}
}

// Heads gives the values and gradients of separate dense layers, up to the rounding of
// the wider products.
func TestHeadsMatchSeparateLayers(t *testing.T) {
	for _, dt := range dtypes {
		tol := 1e-13
		if dt == tensor.Float32 {
			tol = 1e-5
		}
		run := func(fused bool) (vals [][]float64, grads [][]float64, ops string) {
			const rows, in = 9, 6
			ps, hs := newHeads(t, dt, 7, in, []int{5, 10, 10, 4})
			g := G.NewGraph()
			x := G.NodeFromAny(g, graph.NewTensor(dt, []int{rows, in}, randomRows(8, rows*in)), G.WithName("x"))
			var outs []*G.Node
			if fused {
				var err error
				if outs, err = graph.Heads(x, hs...); err != nil {
					t.Fatal(err)
				}
			} else {
				for _, d := range hs {
					o, err := d.Forward(x)
					if err != nil {
						t.Fatal(err)
					}
					outs = append(outs, o)
				}
			}
			cost, err := headsCost(g, dt, outs, []int{0, 1, 2, 3})
			if err != nil {
				t.Fatal(err)
			}
			wrt := append(ps.Nodes(g), x)
			r, err := graph.NewRunner(g, outs, graph.WithGradients(cost, wrt))
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
			for _, o := range outs {
				v, err := r.Float64s(nil, o)
				if err != nil {
					t.Fatal(err)
				}
				vals = append(vals, v)
			}
			for i := range wrt {
				gv, err := r.Grad(i)
				if err != nil {
					t.Fatal(err)
				}
				grads = append(grads, graph.AppendFloat64s(nil, gv))
			}
			return vals, grads, g.String()
		}
		fv, fg, fops := run(true)
		sv, sg, sops := run(false)
		if !strings.Contains(fops, "Heads{") || strings.Contains(sops, "Heads{") {
			t.Fatalf("the fused graph should hold a Heads op and the separate one none")
		}
		for i := range fv {
			checkCloseTol(t, fmt.Sprintf("%v head %d", dt, i), tol, fv[i], sv[i])
		}
		for i := range fg {
			for j := range fg[i] {
				if d := math.Abs(fg[i][j] - sg[i][j]); d > tol*math.Max(1, math.Abs(sg[i][j])) {
					t.Fatalf("%v gradient %d [%d] = %v, separate layers %v", dt, i, j, fg[i][j], sg[i][j])
				}
			}
		}
	}
}

func TestHeadsErrors(t *testing.T) {
	t.Parallel()
	_, hs := newHeads(t, tensor.Float64, 1, 3, []int{2, 2, 2, 2, 2})
	g := G.NewGraph()
	x := graph.NewInput(g, tensor.Float64, "x", 4, 3)
	if _, err := graph.Heads(x); err == nil {
		t.Error("no heads: no error")
	}
	if _, err := graph.Heads(x, hs...); err == nil || !strings.Contains(err.Error(), "5 heads") {
		t.Errorf("five heads: %v", err)
	}
	wide := graph.NewInput(g, tensor.Float64, "wide", 4, 5)
	if _, err := graph.Heads(wide, hs[:2]...); err == nil || !strings.Contains(err.Error(), "takes (B, 3) inputs, got shape (4, 5)") {
		t.Errorf("wrong width: %v", err)
	}
	tanh := *hs[1]
	tanh.Act = graph.Tanh
	if _, err := graph.Heads(x, hs[0], &tanh); err == nil || !strings.Contains(err.Error(), "activation tanh") {
		t.Errorf("activation: %v", err)
	}
}

// BenchmarkHeads: the forward and backward pass of the large workload's MDN heads (h of
// 1024 × 512, heads of 20, 160 and 160 columns) as one product (fused) and as separate
// dense layers, with a cost Σ c ⊙ out per head.
func BenchmarkHeads(b *testing.B) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, fused := range []bool{true, false} {
			name := "dtype=f64"
			if dt == tensor.Float32 {
				name = "dtype=f32"
			}
			b.Run(fmt.Sprintf("fused=%t/%s", fused, name), func(b *testing.B) {
				const rows, in = 1024, 512
				ps, hs := newHeads(b, dt, 9, in, []int{20, 160, 160})
				g := G.NewGraph()
				x := G.NodeFromAny(g, graph.NewTensor(dt, []int{rows, in}, randomRows(10, rows*in)), G.WithName("x"))
				var outs []*G.Node
				if fused {
					var err error
					if outs, err = graph.Heads(x, hs...); err != nil {
						b.Fatal(err)
					}
				} else {
					for _, d := range hs {
						o, err := d.Forward(x)
						if err != nil {
							b.Fatal(err)
						}
						outs = append(outs, o)
					}
				}
				cost, err := headsCost(g, dt, outs, []int{0, 1, 2})
				if err != nil {
					b.Fatal(err)
				}
				r, err := graph.NewRunner(g, G.Nodes{cost}, graph.WithGradients(cost, append(ps.Nodes(g), x)))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := r.ZeroGrads(); err != nil {
						b.Fatal(err)
					}
					if err := r.Run(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
