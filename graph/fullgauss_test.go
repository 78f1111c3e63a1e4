package graph_test

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gradcheck"
)

// fullGaussInputs are random means, log-diagonals, off-diagonals and targets.
func fullGaussInputs(seed uint64, b, k, d int) (mu, ls, off, y []float64) {
	rng := graph.NewRand(seed)
	f := func(n int, s float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = s * rng.NormFloat64()
		}
		return v
	}
	return f(b*k*d, 1), f(b*k*d, 0.4), f(b*k*graph.OffDiagonals(d), 0.6), f(b*d, 1.2)
}

// fullGaussReference is log N(y | μ, L Lᵀ) in plain Go by a different route: the
// explicit inverse of L (column by column), then z = L⁻¹ r as a matrix-vector product.
func fullGaussReference(mu, ls, off, y []float64, b, k, d int) []float64 {
	m := graph.OffDiagonals(d)
	out := make([]float64, b*k)
	for r := 0; r < b; r++ {
		for c := 0; c < k; c++ {
			l := make([][]float64, d)
			for i := range l {
				l[i] = make([]float64, d)
				l[i][i] = math.Exp(ls[(r*k+c)*d+i])
				for j := 0; j < i; j++ {
					l[i][j] = off[(r*k+c)*m+i*(i-1)/2+j]
				}
			}
			inv := make([][]float64, d)
			for i := range inv {
				inv[i] = make([]float64, d)
			}
			for col := 0; col < d; col++ {
				for i := 0; i < d; i++ {
					s := 0.0
					if i == col {
						s = 1
					}
					for j := 0; j < i; j++ {
						s -= l[i][j] * inv[j][col]
					}
					inv[i][col] = s / l[i][i]
				}
			}
			v := -0.5 * float64(d) * math.Log(2*math.Pi)
			for i := 0; i < d; i++ {
				z := 0.0
				for j := 0; j < d; j++ {
					z += inv[i][j] * (y[r*d+j] - mu[(r*k+c)*d+j])
				}
				v -= 0.5*z*z + math.Log(l[i][i])
			}
			out[r*k+c] = v
		}
	}
	return out
}

func TestFullGaussianLogDensity(t *testing.T) {
	for _, kd := range [][2]int{{1, 2}, {3, 3}, {2, 6}} {
		const b = 5
		k, d := kd[0], kd[1]
		mu, ls, off, y := fullGaussInputs(uint64(10*k+d), b, k, d)
		g := G.NewGraph()
		n := func(name string, c int, v []float64) *G.Node {
			return G.NodeFromAny(g, graph.NewTensor(tensor.Float64, []int{b, c}, v), G.WithName(name))
		}
		mn, sn, on, yn := n("mu", k*d, mu), n("ls", k*d, ls), n("off", k*graph.OffDiagonals(d), off), n("y", d, y)
		out, err := graph.FullGaussianLogDensity(mn, sn, on, yn, k, d)
		if err != nil {
			t.Fatal(err)
		}
		r, err := graph.NewRunner(g, G.Nodes{out})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
		got, _ := r.Float64s(nil, out)
		want := fullGaussReference(mu, ls, off, y, b, k, d)
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
				t.Errorf("K=%d D=%d: log N[%d] = %.17g, want %.17g", k, d, i, got[i], want[i])
			}
		}
		if _, err := graph.FullGaussianLogDensity(mn, sn, on, yn, k+1, d); err == nil {
			t.Errorf("K=%d D=%d: no error for inputs of the wrong width", k, d)
		}
	}
	g := G.NewGraph()
	one := G.NodeFromAny(g, graph.NewTensor(tensor.Float64, []int{2, 1}, []float64{0, 0}), G.WithName("one"))
	zero := G.NodeFromAny(g, graph.NewTensor(tensor.Float64, []int{2, 0}, nil), G.WithName("zero"))
	if _, err := graph.FullGaussianLogDensity(one, one, zero, one, 1, 1); err == nil {
		t.Error("D = 1: no error")
	}
}

// TestFullGaussianLogDensityGradients checks the op's gradient ops (means, log-diagonals,
// off-diagonals and targets) by finite differences through a weighted sum of its output.
func TestFullGaussianLogDensityGradients(t *testing.T) {
	for _, dt := range dtypes {
		for _, kd := range [][2]int{{1, 2}, {2, 3}, {2, 5}} {
			const b = 3
			k, d := kd[0], kd[1]
			mu, ls, off, y := fullGaussInputs(uint64(100*k+d), b, k, d)
			res, err := gradcheck.Check(func(g *G.ExprGraph) (*G.Node, G.Nodes, error) {
				n := func(name string, c int, v []float64) *G.Node {
					return G.NodeFromAny(g, graph.NewTensor(dt, []int{b, c}, v), G.WithName(name))
				}
				mn, sn, on, yn := n("mu", k*d, mu), n("ls", k*d, ls), n("off", k*graph.OffDiagonals(d), off), n("y", d, y)
				out, err := graph.FullGaussianLogDensity(mn, sn, on, yn, k, d)
				if err != nil {
					return nil, nil, err
				}
				c, err := weightedCost(g, dt, out, 5)
				return c, G.Nodes{mn, sn, on, yn}, err
			}, gradcheck.For(dt))
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() {
				t.Errorf("%v K=%d D=%d: %v", dt, k, d, res)
			}
		}
	}
}
