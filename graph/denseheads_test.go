package graph_test

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
)

// TestDenseHeadsSameBits checks DenseHeads against each layer's own Forward, bit for bit,
// in both dtypes, for head widths below, at and across the kernels' tile widths, and that
// it reads the layers' weights as they are at each run.
func TestDenseHeadsSameBits(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, c := range []struct {
			rows, in int
			outs     []int
		}{
			{1, 1, []int{5, 5, 5}}, {7, 20, []int{5, 5, 5}}, {256, 64, []int{5, 10, 10}},
			{37, 300, []int{20, 160, 160, 560}}, {13, 33, []int{1, 70, 3}},
		} {
			ps, err := graph.NewParamSet(dt)
			if err != nil {
				t.Fatal(err)
			}
			rng := graph.NewRand(uint64(c.rows*1000 + c.in))
			var layers []*graph.Dense
			for i, out := range c.outs {
				d, err := graph.NewDense(ps, graph.DenseConfig{Name: "h" + string(rune('a'+i)), In: c.in, Out: out, BiasInit: graph.Constant(0.25 * float64(i+1))}, rng)
				if err != nil {
					t.Fatal(err)
				}
				layers = append(layers, d)
			}
			g := G.NewGraph()
			x := graph.NewInput(g, dt, "x", c.rows, c.in)
			fused, err := graph.DenseHeads(x, layers...)
			if err != nil {
				t.Fatal(err)
			}
			outs := G.Nodes{fused}
			for _, d := range layers {
				y, err := d.Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, y)
			}
			r, err := graph.NewRunner(g, outs)
			if err != nil {
				t.Fatal(err)
			}
			xs := make([]float64, c.rows*c.in)
			for run := 0; run < 2; run++ {
				for i := range xs {
					xs[i] = rng.NormFloat64()
				}
				if run == 1 { // the weights change between runs: the fused node follows
					w := graph.AppendFloat64s(nil, layers[0].W.Value)
					for i := range w {
						w[i] = -2 * w[i]
					}
					graph.CopyFromFloat64s(layers[0].W.Value, w)
				}
				if err := r.Feed(x, xs); err != nil {
					t.Fatal(err)
				}
				if err := r.Run(); err != nil {
					t.Fatal(err)
				}
				got, err := r.Float64s(nil, fused)
				if err != nil {
					t.Fatal(err)
				}
				cols := len(got) / c.rows
				c0 := 0
				for l, d := range layers {
					want, err := r.Float64s(nil, outs[1+l])
					if err != nil {
						t.Fatal(err)
					}
					for i := 0; i < c.rows; i++ {
						for j := 0; j < d.Out; j++ {
							g, w := got[i*cols+c0+j], want[i*d.Out+j]
							if exactHeads && math.Float64bits(g) != math.Float64bits(w) || !exactHeads && math.Abs(g-w) > headsTol(dt)*math.Max(1, math.Abs(w)) {
								t.Fatalf("%v %d×%d heads %v run %d: layer %d row %d column %d: got %g, want %g", dt, c.rows, c.in, c.outs, run, l, i, j, g, w)
							}
						}
					}
					c0 += d.Out
				}
			}
		}
	}
}

// headsTol is the relative tolerance of a fused product against the separate ones when
// the BLAS does not give the same bits (exactHeads false).
func headsTol(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 1e-5
	}
	return 1e-13
}
