package losses

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/levers"
)

// nllRun builds the mixture NLL on fixed inputs and returns the cost, the per-row
// log-likelihoods, the gradients with respect to logits, means, scales and targets, and
// the printed graph.
func nllRun(t *testing.T, dt tensor.Dtype, fused bool, cfg MixtureConfig) (vals [][]float64, ops string) {
	t.Helper()
	old := levers.FuseGaussian
	levers.FuseGaussian = fused
	defer func() { levers.FuseGaussian = old }()
	const b = 6
	k, d := cfg.K, cfg.D
	rng := graph.NewRand(uint64(31*k + d))
	f := func(n int, s float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = s * rng.NormFloat64()
		}
		return v
	}
	g := G.NewGraph()
	n := func(name string, r, c int, v []float64) *G.Node {
		return G.NodeFromAny(g, graph.NewTensor(dt, []int{r, c}, v), G.WithName(name))
	}
	z, mu, s, y := n("z", b, k, f(b*k, 2)), n("mu", b, k*d, f(b*k*d, 1)), n("s", b, k*d, f(b*k*d, 0.5)), n("y", b, d, f(b*d, 1))
	m, err := MixtureNLL(z, mu, s, y, cfg)
	if err != nil {
		t.Fatal(err)
	}
	wrt := G.Nodes{z, mu, s, y}
	r, err := graph.NewRunner(g, G.Nodes{m.Cost, m.LogLik}, graph.WithGradients(m.Cost, wrt))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	cost, err := r.Scalar(m.Cost)
	if err != nil {
		t.Fatal(err)
	}
	ll, err := r.Float64s(nil, m.LogLik)
	if err != nil {
		t.Fatal(err)
	}
	vals = [][]float64{{cost}, ll}
	for i := range wrt {
		gv, err := r.Grad(i)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, graph.AppendFloat64s(nil, gv))
	}
	return vals, g.String()
}

// The fused Gaussian log-density op gives the composite graph's NLL and gradients, for
// every scale transform, with and without a variance floor.
func TestFusedGaussianMatchesComposite(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		tol := 1e-13
		if dt == tensor.Float32 {
			tol = 1e-5
		}
		for _, cfg := range []MixtureConfig{
			{K: 1, D: 1}, {K: 3, D: 2}, {K: 4, D: 3, Scale: ScaleSoftplus}, {K: 2, D: 2, Scale: ScaleELU, VarianceFloor: 1e-3},
		} {
			t.Run(fmt.Sprintf("%v/K=%d/D=%d/%s/floor=%g", dt, cfg.K, cfg.D, cfg.Scale, cfg.VarianceFloor), func(t *testing.T) {
				fv, fops := nllRun(t, dt, true, cfg)
				cv, cops := nllRun(t, dt, false, cfg)
				if !strings.Contains(fops, "GaussianLogDensity") || strings.Contains(cops, "GaussianLogDensity") {
					t.Fatal("the fused graph should hold the GaussianLogDensity op and the composite none")
				}
				names := []string{"cost", "log-likelihoods", "∂/∂logits", "∂/∂means", "∂/∂scales", "∂/∂targets"}
				for i := range fv {
					for j := range fv[i] {
						if d := math.Abs(fv[i][j] - cv[i][j]); d > tol*math.Max(1, math.Abs(cv[i][j])) {
							t.Fatalf("%s[%d]: fused %v, composite %v", names[i], j, fv[i][j], cv[i][j])
						}
					}
				}
			})
		}
	}
}
