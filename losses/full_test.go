package losses_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gradcheck"
	"github.com/mixgraph/mixgraph/losses"
)

// fullBatch is a batch with the entries of every component's Cholesky factor below the
// diagonal (B, K·M), M = D(D−1)/2.
type fullBatch struct {
	batch
	off []float64
}

func randFullBatch(seed uint64, b, k, d int, spread float64) fullBatch {
	bt := randBatch(seed, b, k, d, spread)
	rng := graph.NewRand(seed ^ 0xfeed)
	off := make([]float64, b*k*graph.OffDiagonals(d))
	for i := range off {
		off[i] = 0.7 * rng.NormFloat64()
	}
	return fullBatch{bt, off}
}

func (fb fullBatch) rounded(dt tensor.Dtype) fullBatch {
	off := append([]float64(nil), fb.off...)
	if dt == tensor.Float32 {
		for i := range off {
			off[i] = float64(float32(off[i]))
		}
	}
	return fullBatch{fb.batch.rounded(dt), off}
}

// fullReference computes per-row log-likelihoods independently of the graph: each
// component's covariance Σ = L Lᵀ is formed explicitly, factorised again by gonum's
// mat.Cholesky, and log N = −½ rᵀ Σ⁻¹ r − ½ log det Σ − (D/2) log 2π taken from that
// factorisation's solve and log-determinant; the mixture by floats.LogSumExp.
func fullReference(t *testing.T, fb fullBatch, cfg losses.MixtureConfig) []float64 {
	t.Helper()
	k, d, m := fb.k, fb.d, graph.OffDiagonals(fb.d)
	var out []float64
	for r := 0; r < fb.b; r++ {
		z := fb.logits[r*k : (r+1)*k]
		lz := floats.LogSumExp(z)
		comp := make([]float64, k)
		for c := 0; c < k; c++ {
			l := mat.NewDense(d, d, nil)
			for i := 0; i < d; i++ {
				l.Set(i, i, cfg.Scale.Sigma(fb.scales[(r*k+c)*d+i], cfg.VarianceFloor))
				for j := 0; j < i; j++ {
					l.Set(i, j, fb.off[(r*k+c)*m+i*(i-1)/2+j])
				}
			}
			var s mat.Dense
			s.Mul(l, l.T())
			sym := mat.NewSymDense(d, nil)
			for i := 0; i < d; i++ {
				for j := 0; j <= i; j++ {
					sym.SetSym(i, j, s.At(i, j))
				}
			}
			var ch mat.Cholesky
			if !ch.Factorize(sym) {
				t.Fatalf("row %d component %d: covariance not positive definite", r, c)
			}
			res := mat.NewVecDense(d, nil)
			for i := 0; i < d; i++ {
				res.SetVec(i, fb.y[r*d+i]-fb.means[(r*k+c)*d+i])
			}
			var sol mat.VecDense
			if err := ch.SolveVecTo(&sol, res); err != nil {
				t.Fatal(err)
			}
			quad := mat.Dot(res, &sol)
			comp[c] = z[c] - lz - 0.5*quad - 0.5*ch.LogDet() - float64(d)*0.5*math.Log(2*math.Pi)
		}
		out = append(out, floats.LogSumExp(comp))
	}
	return out
}

func buildFull(g *G.ExprGraph, dt tensor.Dtype, fb fullBatch, cfg losses.MixtureConfig) (nodes G.Nodes, mix *losses.MixtureLoss, err error) {
	n := func(name string, r, c int, v []float64) *G.Node {
		return G.NodeFromAny(g, graph.NewTensor(dt, []int{r, c}, v), G.WithName(name))
	}
	m := graph.OffDiagonals(fb.d)
	z, mu, s, off, y := n("z", fb.b, fb.k, fb.logits), n("mu", fb.b, fb.k*fb.d, fb.means), n("s", fb.b, fb.k*fb.d, fb.scales), n("off", fb.b, fb.k*m, fb.off), n("y", fb.b, fb.d, fb.y)
	mix, err = losses.FullMixtureNLL(z, mu, s, off, y, cfg)
	return G.Nodes{z, mu, s, off, y}, mix, err
}

func evaluateFull(t *testing.T, dt tensor.Dtype, fb fullBatch, cfg losses.MixtureConfig) (cost float64, loglik []float64) {
	t.Helper()
	g := G.NewGraph()
	_, mix, err := buildFull(g, dt, fb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := graph.NewRunner(g, G.Nodes{mix.Cost, mix.LogLik})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	cost, _ = r.Scalar(mix.Cost)
	loglik, _ = r.Float64s(nil, mix.LogLik)
	return cost, loglik
}

func TestFullMixtureNLLValues(t *testing.T) {
	seed := uint64(3000)
	for _, dt := range dtypes {
		for _, k := range []int{1, 3, 6} {
			for _, d := range []int{2, 3, 5} {
				for _, cfg := range configs {
					seed++
					cfg.K, cfg.D = k, d
					fb := randFullBatch(seed, 9, k, d, 1.5).rounded(dt)
					cost, ll := evaluateFull(t, dt, fb, cfg)
					want := fullReference(t, fb, cfg)
					wantCost := 0.0
					for r, w := range want {
						wantCost -= w / float64(fb.b)
						if !close(ll[r], w, valueTol[dt]) {
							t.Errorf("seed %d K=%d D=%d %s floor %g %v: log-likelihood row %d = %.17g, want %.17g", seed, k, d, cfg.Scale, cfg.VarianceFloor, dt, r, ll[r], w)
						}
					}
					if !close(cost, wantCost, valueTol[dt]) {
						t.Errorf("seed %d K=%d D=%d %v: cost %.17g, want %.17g", seed, k, d, dt, cost, wantCost)
					}
				}
			}
		}
	}
}

// With every off-diagonal zero the full loss is the diagonal one, to the bit.
func TestFullMixtureNLLZeroOffDiagonalsIsDiagonal(t *testing.T) {
	seed := uint64(4000)
	for _, dt := range dtypes {
		for _, kd := range [][2]int{{1, 2}, {4, 3}, {10, 4}} {
			for _, cfg := range configs {
				seed++
				cfg.K, cfg.D = kd[0], kd[1]
				fb := randFullBatch(seed, 17, kd[0], kd[1], 1).rounded(dt)
				clear(fb.off)
				cost, ll := evaluateFull(t, dt, fb, cfg)
				dcost, dll, _ := evaluate(t, dt, fb.batch, cfg)
				if cost != dcost {
					t.Errorf("seed %d K=%d D=%d %v: full cost %.17g, diagonal %.17g", seed, kd[0], kd[1], dt, cost, dcost)
				}
				for r := range ll {
					if ll[r] != dll[r] {
						t.Errorf("seed %d K=%d D=%d %v: row %d full %.17g, diagonal %.17g", seed, kd[0], kd[1], dt, r, ll[r], dll[r])
					}
				}
			}
		}
	}
}

func TestFullMixtureNLLGradients(t *testing.T) {
	seed := uint64(5000)
	for _, dt := range dtypes {
		for _, kd := range [][2]int{{1, 2}, {3, 2}, {2, 3}, {2, 4}} {
			for _, cfg := range configs {
				seed++
				cfg.K, cfg.D = kd[0], kd[1]
				fb := randFullBatch(seed, 3, kd[0], kd[1], 1).rounded(dt)
				res, err := gradcheck.Check(func(g *G.ExprGraph) (*G.Node, G.Nodes, error) {
					nodes, mix, err := buildFull(g, dt, fb, cfg)
					if err != nil {
						return nil, nil, err
					}
					return mix.Cost, nodes, nil // logits, means, scales, off-diagonals and targets
				}, gradcheck.For(dt))
				if err != nil {
					t.Fatal(err)
				}
				if !res.OK() {
					t.Errorf("seed %d K=%d D=%d %s floor %g %v: %v", seed, kd[0], kd[1], cfg.Scale, cfg.VarianceFloor, dt, res)
				}
			}
		}
	}
}

func TestFullMixtureNLLErrors(t *testing.T) {
	g := G.NewGraph()
	n := func(name string, r, c int) *G.Node {
		return G.NodeFromAny(g, graph.NewTensor(tensor.Float64, []int{r, c}, make([]float64, r*c)), G.WithName(name))
	}
	z, mu, s, y := n("z", 2, 2), n("mu", 2, 4), n("s", 2, 4), n("y", 2, 2)
	cfg := losses.MixtureConfig{K: 2, D: 2}
	for name, off := range map[string]*G.Node{"nil": nil, "wrong width": n("off3", 2, 3), "wrong rows": n("off1", 1, 2)} {
		if _, err := losses.FullMixtureNLL(z, mu, s, off, y, cfg); err == nil {
			t.Errorf("%s off-diagonals: no error", name)
		}
	}
	y1, mu1, s1 := n("y1", 2, 1), n("mu1", 2, 2), n("s1", 2, 2)
	if _, err := losses.FullMixtureNLL(z, mu1, s1, n("off0", 2, 0+1), y1, losses.MixtureConfig{K: 2, D: 1}); err == nil {
		t.Error("D = 1: no error")
	}
}
