package losses

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
)

// compositeGaussianLogDensity is the reference graph.GaussianLogDensity is tested
// against: log N_bk (B, K) from means (B, K·D), log σ (B, K·D) and targets (B, D) as a
// graph of Gorgonia's elementwise ops. The targets are tiled across components by a
// product with the constant (D, K·D) matrix [I … I], and the per-component sums over d
// are a product with the constant (K·D, K) block-sum matrix.
func compositeGaussianLogDensity(means, logSigma, y *G.Node, k, d int) (*G.Node, error) {
	g, dt := y.Graph(), y.Dtype()
	negLogSigma, err := G.Neg(logSigma)
	if err != nil {
		return nil, err
	}
	invSigma, err := G.Exp(negLogSigma)
	if err != nil {
		return nil, err
	}
	yt := y
	if k > 1 {
		tile := make([]float64, d*k*d)
		for c := 0; c < k; c++ {
			for j := 0; j < d; j++ {
				tile[j*k*d+c*d+j] = 1
			}
		}
		tn := G.NodeFromAny(g, graph.NewTensor(dt, []int{d, k * d}, tile), G.WithName(fmt.Sprintf("losses.tile.%dx%d", k, d)))
		if yt, err = G.Mul(y, tn); err != nil {
			return nil, err
		}
	}
	diff, err := G.Sub(yt, means)
	if err != nil {
		return nil, err
	}
	z, err := G.HadamardProd(diff, invSigma)
	if err != nil {
		return nil, err
	}
	z2, err := G.Square(z)
	if err != nil {
		return nil, err
	}
	// per-component terms: ½z² + log σ, summed over d.
	halfZ2, err := G.Mul(z2, scalar(g, dt, 0.5))
	if err != nil {
		return nil, err
	}
	terms, err := G.Add(halfZ2, logSigma)
	if err != nil {
		return nil, err
	}
	perComp := terms
	if d > 1 {
		sum := make([]float64, k*d*k)
		for c := 0; c < k; c++ {
			for j := 0; j < d; j++ {
				sum[(c*d+j)*k+c] = 1
			}
		}
		sn := G.NodeFromAny(g, graph.NewTensor(dt, []int{k * d, k}, sum), G.WithName(fmt.Sprintf("losses.blocksum.%dx%d", k, d)))
		if perComp, err = G.Mul(terms, sn); err != nil {
			return nil, err
		}
	}
	// log N = −(D/2) log 2π − perComp
	negPer, err := G.Neg(perComp)
	if err != nil {
		return nil, err
	}
	return G.Add(negPer, scalar(g, dt, -0.5*float64(d)*math.Log(2*math.Pi)))
}

// compositeNLL is MixtureNLL with the composite Gaussian log-density.
func compositeNLL(logits, means, scales, y *G.Node, cfg MixtureConfig) (*MixtureLoss, error) {
	logPi, err := graph.LogSoftmax(logits, 1)
	if err != nil {
		return nil, err
	}
	logSigma, err := logScale(scales, cfg)
	if err != nil {
		return nil, err
	}
	logN, err := compositeGaussianLogDensity(means, logSigma, y, cfg.K, cfg.D)
	if err != nil {
		return nil, err
	}
	logComp, err := G.Add(logPi, logN)
	if err != nil {
		return nil, err
	}
	logLik, err := graph.LogSumExp(logComp, 1)
	if err != nil {
		return nil, err
	}
	cost, err := negMean(logLik)
	if err != nil {
		return nil, err
	}
	return &MixtureLoss{Cost: cost, LogLik: logLik, LogPi: logPi, LogSigma: logSigma, LogComp: logComp}, nil
}

// nllRun builds the mixture NLL (MixtureNLL, or compositeNLL when composite) on fixed
// inputs and returns the cost, the per-row log-likelihoods, the gradients with respect
// to logits, means, scales and targets, and the printed graph.
func nllRun(t *testing.T, dt tensor.Dtype, composite bool, cfg MixtureConfig) (vals [][]float64, ops string) {
	t.Helper()
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
	nll := MixtureNLL
	if composite {
		nll = compositeNLL
	}
	m, err := nll(z, mu, s, y, cfg)
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
				fv, fops := nllRun(t, dt, false, cfg)
				cv, cops := nllRun(t, dt, true, cfg)
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
