package losses_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat/distuv"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gradcheck"
	"github.com/mixgraph/mixgraph/losses"
)

var dtypes = []tensor.Dtype{tensor.Float64, tensor.Float32}

// valueTol is the relative tolerance of the symbolic NLL against the float64 reference
// computed from the same (dtype-rounded) inputs.
var valueTol = map[tensor.Dtype]float64{tensor.Float64: 1e-12, tensor.Float32: 1e-5}

// batch is one set of raw network outputs and targets.
type batch struct {
	b, k, d                  int
	logits, means, scales, y []float64
}

func randBatch(seed uint64, b, k, d int, spread float64) batch {
	rng := graph.NewRand(seed)
	f := func(n int, s float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = s * rng.NormFloat64()
		}
		return v
	}
	return batch{b: b, k: k, d: d, logits: f(b*k, 2), means: f(b*k*d, spread), scales: f(b*k*d, 0.5), y: f(b*d, spread)}
}

func (bt batch) rounded(dt tensor.Dtype) batch {
	r := func(v []float64) []float64 {
		out := append([]float64(nil), v...)
		if dt == tensor.Float32 {
			for i := range out {
				out[i] = float64(float32(out[i]))
			}
		}
		return out
	}
	return batch{bt.b, bt.k, bt.d, r(bt.logits), r(bt.means), r(bt.scales), r(bt.y)}
}

// reference computes per-row log-likelihoods with gonum: log π from floats.LogSumExp,
// each component's log-density as a sum of distuv.Normal.LogProb, and the mixture by
// floats.LogSumExp over components.
func reference(bt batch, cfg losses.MixtureConfig) (loglik []float64, logPi [][]float64) {
	for r := 0; r < bt.b; r++ {
		z := bt.logits[r*bt.k : (r+1)*bt.k]
		lz := floats.LogSumExp(z)
		comp := make([]float64, bt.k)
		lp := make([]float64, bt.k)
		for c := 0; c < bt.k; c++ {
			lp[c] = z[c] - lz
			comp[c] = lp[c]
			for j := 0; j < bt.d; j++ {
				i := r*bt.k*bt.d + c*bt.d + j
				n := distuv.Normal{Mu: bt.means[i], Sigma: cfg.Scale.Sigma(bt.scales[i], cfg.VarianceFloor)}
				comp[c] += n.LogProb(bt.y[r*bt.d+j])
			}
		}
		loglik = append(loglik, floats.LogSumExp(comp))
		logPi = append(logPi, lp)
	}
	return loglik, logPi
}

type built struct {
	g                        *G.ExprGraph
	logits, means, scales, y *G.Node
	mix                      *losses.MixtureLoss
}

func build(dt tensor.Dtype, bt batch, cfg losses.MixtureConfig) (*built, error) {
	g := G.NewGraph()
	n := func(name string, r, c int, v []float64) *G.Node {
		return G.NodeFromAny(g, graph.NewTensor(dt, []int{r, c}, v), G.WithName(name))
	}
	b := &built{g: g, logits: n("z", bt.b, bt.k, bt.logits), means: n("mu", bt.b, bt.k*bt.d, bt.means), scales: n("s", bt.b, bt.k*bt.d, bt.scales), y: n("y", bt.b, bt.d, bt.y)}
	var err error
	b.mix, err = losses.MixtureNLL(b.logits, b.means, b.scales, b.y, cfg)
	return b, err
}

func evaluate(t *testing.T, dt tensor.Dtype, bt batch, cfg losses.MixtureConfig) (cost float64, loglik, logPi []float64) {
	t.Helper()
	b, err := build(dt, bt, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := graph.NewRunner(b.g, G.Nodes{b.mix.Cost, b.mix.LogLik, b.mix.LogPi})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	cost, _ = r.Scalar(b.mix.Cost)
	loglik, _ = r.Float64s(nil, b.mix.LogLik)
	logPi, _ = r.Float64s(nil, b.mix.LogPi)
	return cost, loglik, logPi
}

func close(got, want, tol float64) bool {
	return !math.IsNaN(got) && !math.IsInf(got, 0) && math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func compare(t *testing.T, what string, dt tensor.Dtype, bt batch, cfg losses.MixtureConfig) {
	t.Helper()
	rb := bt.rounded(dt)
	cost, ll, lp := evaluate(t, dt, rb, cfg)
	wantLL, wantLP := reference(rb, cfg)
	wantCost := 0.0
	for r, w := range wantLL {
		wantCost -= w / float64(rb.b)
		if !close(ll[r], w, valueTol[dt]) {
			t.Errorf("%s %v: log-likelihood row %d = %.17g, want %.17g", what, dt, r, ll[r], w)
		}
		for c := range wantLP[r] {
			if !close(lp[r*rb.k+c], wantLP[r][c], valueTol[dt]) {
				t.Errorf("%s %v: log π[%d][%d] = %.17g, want %.17g", what, dt, r, c, lp[r*rb.k+c], wantLP[r][c])
			}
		}
	}
	if !close(cost, wantCost, valueTol[dt]) {
		t.Errorf("%s %v: cost %.17g, want %.17g", what, dt, cost, wantCost)
	}
}

var configs = []losses.MixtureConfig{
	{Scale: losses.ScaleExp},
	{Scale: losses.ScaleSoftplus},
	{Scale: losses.ScaleELU},
	{Scale: losses.ScaleExp, VarianceFloor: 1e-3},
	{Scale: losses.ScaleSoftplus, VarianceFloor: 0.05},
}

func TestMixtureNLLValues(t *testing.T) {
	seed := uint64(0)
	for _, dt := range dtypes {
		for _, k := range []int{1, 3, 8} {
			for _, d := range []int{1, 2, 5} {
				for _, b := range []int{1, 7, 64} {
					for _, cfg := range configs {
						seed++
						cfg.K, cfg.D = k, d
						compare(t, fmt.Sprintf("seed %d K=%d D=%d B=%d %s floor %g", seed, k, d, b, cfg.Scale, cfg.VarianceFloor), dt, randBatch(seed, b, k, d, 1.5), cfg)
					}
				}
			}
		}
	}
}

func TestMixtureNLLHardCases(t *testing.T) {
	const k, d = 3, 2
	base := func() batch { return randBatch(99, 2, k, d, 1) }
	cases := []struct {
		name string
		mod  func(*batch)
		f32  bool
	}{
		{"one dominant component", func(b *batch) {
			copy(b.logits, []float64{50, 0, 0, 0, 50, 0})
		}, true},
		{"σ = 1e-4", func(b *batch) {
			for i := range b.scales {
				b.scales[i] = math.Log(1e-4)
			}
			copy(b.means[:d], b.y[:d]) // a target sits on a component
		}, true},
		{"|y − μ| of 1e3 σ", func(b *batch) {
			for i := range b.means {
				b.means[i] = b.y[(i/(k*d))*d+i%d] + 1e3*math.Exp(b.scales[i])
			}
		}, true},
		{"logits 1e3 apart", func(b *batch) {
			copy(b.logits, []float64{1000, 0, -1000, -1000, 1000, 2000})
		}, true},
		{"every component far away", func(b *batch) {
			for i := range b.means {
				b.means[i] = 1e3 + float64(i%3)
			}
			for i := range b.scales {
				b.scales[i] = 0
			}
		}, true},
		{"large targets and means", func(b *batch) {
			for i := range b.y {
				b.y[i] += 1e4
			}
			for i := range b.means {
				b.means[i] += 1e4
			}
		}, false}, // float32 resolves 1e4 only to 1e-3: the reference differs by rounding
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			if dt == tensor.Float32 && !c.f32 {
				continue
			}
			for _, cfg := range configs[:3] {
				cfg.K, cfg.D = k, d
				bt := base()
				c.mod(&bt)
				compare(t, c.name+" "+string(cfg.Scale), dt, bt, cfg)
			}
		}
	}
}

func gradCase(dt tensor.Dtype, bt batch, cfg losses.MixtureConfig, withY bool) gradcheck.Build {
	return func(g *G.ExprGraph) (*G.Node, G.Nodes, error) {
		n := func(name string, r, c int, v []float64) *G.Node {
			return G.NodeFromAny(g, graph.NewTensor(dt, []int{r, c}, v), G.WithName(name))
		}
		z, mu, s, y := n("z", bt.b, bt.k, bt.logits), n("mu", bt.b, bt.k*bt.d, bt.means), n("s", bt.b, bt.k*bt.d, bt.scales), n("y", bt.b, bt.d, bt.y)
		m, err := losses.MixtureNLL(z, mu, s, y, cfg)
		if err != nil {
			return nil, nil, err
		}
		wrt := G.Nodes{z, mu, s}
		if withY {
			wrt = append(wrt, y)
		}
		return m.Cost, wrt, nil
	}
}

func TestMixtureNLLGradients(t *testing.T) {
	seed := uint64(500)
	for _, dt := range dtypes {
		for _, kd := range [][2]int{{1, 1}, {3, 2}, {4, 3}} {
			for _, cfg := range configs {
				seed++
				cfg.K, cfg.D = kd[0], kd[1]
				bt := randBatch(seed, 3, kd[0], kd[1], 1).rounded(dt)
				res, err := gradcheck.Check(gradCase(dt, bt, cfg, true), gradcheck.For(dt))
				if err != nil {
					t.Fatal(err)
				}
				if !res.OK() {
					t.Errorf("K=%d D=%d %s floor %g %v: %v", kd[0], kd[1], cfg.Scale, cfg.VarianceFloor, dt, res)
				}
			}
		}
	}
}

// closedFormTol is the relative tolerance of autodiff against the closed forms.
const closedFormTol = 1e-10

// TestClosedFormGradients checks Gorgonia's gradients against Bishop's closed forms
// (exp scales, no floor): ∂E/∂z_k = (π_k − γ_k)/B, ∂E/∂μ_kd = γ_k(μ_kd − y_d)/(σ²_kd B),
// ∂E/∂s_kd = γ_k(1 − ((y_d − μ_kd)/σ_kd)²)/B, with γ the posterior responsibilities.
func TestClosedFormGradients(t *testing.T) {
	bt := randBatch(7, 5, 4, 3, 1)
	cfg := losses.MixtureConfig{K: 4, D: 3}
	b, err := build(tensor.Float64, bt, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := graph.NewRunner(b.g, G.Nodes{b.mix.Cost}, graph.WithGradients(b.mix.Cost, G.Nodes{b.logits, b.means, b.scales}))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	grads := make([][]float64, 3)
	for i := range grads {
		gt, _ := r.Grad(i)
		grads[i] = graph.AppendFloat64s(nil, gt)
	}
	B, K, D := float64(bt.b), bt.k, bt.d
	for row := 0; row < bt.b; row++ {
		z := bt.logits[row*K : (row+1)*K]
		lz := floats.LogSumExp(z)
		lcomp := make([]float64, K)
		for c := 0; c < K; c++ {
			lcomp[c] = z[c] - lz
			for j := 0; j < D; j++ {
				i := row*K*D + c*D + j
				lcomp[c] += distuv.Normal{Mu: bt.means[i], Sigma: math.Exp(bt.scales[i])}.LogProb(bt.y[row*D+j])
			}
		}
		ll := floats.LogSumExp(lcomp)
		for c := 0; c < K; c++ {
			gamma := math.Exp(lcomp[c] - ll)
			pi := math.Exp(z[c] - lz)
			check := func(what string, got, want float64) {
				if math.Abs(got-want) > closedFormTol*math.Max(1e-3, math.Abs(want)) {
					t.Errorf("row %d component %d %s: autodiff %.15g, closed form %.15g", row, c, what, got, want)
				}
			}
			check("∂E/∂z", grads[0][row*K+c], (pi-gamma)/B)
			for j := 0; j < D; j++ {
				i := row*K*D + c*D + j
				sigma := math.Exp(bt.scales[i])
				u := (bt.y[row*D+j] - bt.means[i]) / sigma
				check(fmt.Sprintf("∂E/∂μ[%d]", j), grads[1][i], gamma*(bt.means[i]-bt.y[row*D+j])/(sigma*sigma*B))
				check(fmt.Sprintf("∂E/∂s[%d]", j), grads[2][i], gamma*(1-u*u)/B)
			}
		}
	}
}

func TestGaussianNLLAndMSE(t *testing.T) {
	for _, dt := range dtypes {
		bt := randBatch(3, 6, 1, 3, 1).rounded(dt)
		// GaussianNLL equals MixtureNLL with K = 1.
		mixCost, mixLL, _ := evaluate(t, dt, bt, losses.MixtureConfig{K: 1, D: 3, Scale: losses.ScaleSoftplus, VarianceFloor: 0.01})
		g := G.NewGraph()
		n := func(name string, v []float64) *G.Node {
			return G.NodeFromAny(g, graph.NewTensor(dt, []int{6, 3}, v), G.WithName(name))
		}
		mu, s, y := n("mu", bt.means), n("s", bt.scales), n("y", bt.y)
		cost, ll, err := losses.GaussianNLL(mu, s, y, losses.ScaleSoftplus, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		mse, err := losses.MSE(mu, y)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := graph.NewRunner(g, G.Nodes{cost, ll, mse})
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
		gc, _ := r.Scalar(cost)
		gll, _ := r.Float64s(nil, ll)
		gm, _ := r.Scalar(mse)
		if !close(gc, mixCost, valueTol[dt]) {
			t.Errorf("%v: GaussianNLL %.17g, MixtureNLL with K=1 %.17g", dt, gc, mixCost)
		}
		for i := range gll {
			if !close(gll[i], mixLL[i], valueTol[dt]) {
				t.Errorf("%v: GaussianNLL row %d %.17g, want %.17g", dt, i, gll[i], mixLL[i])
			}
		}
		want := 0.0
		for i := range bt.y {
			e := bt.means[i] - bt.y[i]
			want += e * e / float64(len(bt.y))
		}
		if !close(gm, want, valueTol[dt]) {
			t.Errorf("%v: MSE %.17g, want %.17g", dt, gm, want)
		}
		for name, f := range map[string]func(*G.ExprGraph, *G.Node, *G.Node, *G.Node) (*G.Node, error){
			"GaussianNLL": func(_ *G.ExprGraph, mu, s, y *G.Node) (*G.Node, error) {
				c, _, err := losses.GaussianNLL(mu, s, y, losses.ScaleExp, 0)
				return c, err
			},
			"MSE": func(_ *G.ExprGraph, mu, _, y *G.Node) (*G.Node, error) { return losses.MSE(mu, y) },
		} {
			res, err := gradcheck.Check(func(g *G.ExprGraph) (*G.Node, G.Nodes, error) {
				n := func(name string, v []float64) *G.Node {
					return G.NodeFromAny(g, graph.NewTensor(dt, []int{6, 3}, v), G.WithName(name))
				}
				mu, s, y := n("mu", bt.means), n("s", bt.scales), n("y", bt.y)
				c, err := f(g, mu, s, y)
				wrt := G.Nodes{mu, y}
				if name == "GaussianNLL" {
					wrt = append(wrt, s)
				}
				return c, wrt, err
			}, gradcheck.For(dt))
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() {
				t.Errorf("%s %v: %v", name, dt, res)
			}
		}
	}
}

func TestConfigAndShapeErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cfg  losses.MixtureConfig
		want string
	}{
		{losses.MixtureConfig{K: 0, D: 1}, "K = 0"},
		{losses.MixtureConfig{K: 2, D: 0}, "D = 0"},
		{losses.MixtureConfig{K: 2, D: 1, VarianceFloor: -1}, "variance floor -1"},
		{losses.MixtureConfig{K: 2, D: 1, VarianceFloor: math.NaN()}, "variance floor NaN"},
		{losses.MixtureConfig{K: 2, D: 1, VarianceFloor: math.Inf(1)}, "variance floor +Inf"},
		{losses.MixtureConfig{K: 2, D: 1, Scale: "cube"}, `"cube"`},
	} {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want %q", c.cfg, err, c.want)
		}
	}
	g := G.NewGraph()
	n := func(name string, dt tensor.Dtype, r, c int) *G.Node {
		return G.NodeFromAny(g, graph.NewTensor(dt, []int{r, c}, make([]float64, r*c)), G.WithName(name))
	}
	cfg := losses.MixtureConfig{K: 2, D: 3}
	z, mu, s, y := n("z", tensor.Float64, 4, 2), n("mu", tensor.Float64, 4, 6), n("s", tensor.Float64, 4, 6), n("y", tensor.Float64, 4, 3)
	for _, c := range []struct {
		args [4]*G.Node
		want string
	}{
		{[4]*G.Node{z, n("mu5", tensor.Float64, 4, 5), s, y}, "means have 5 columns, want 6"},
		{[4]*G.Node{z, mu, s, n("y5", tensor.Float64, 5, 3)}, "targets have 5 rows, want 4"},
		{[4]*G.Node{z, mu, n("s32", tensor.Float32, 4, 6), y}, "scales are float32, logits are float64"},
		{[4]*G.Node{n("z3", tensor.Float64, 4, 3), mu, s, y}, "logits have 3 columns, want 2"},
		{[4]*G.Node{z, mu, nil, y}, "scales node is nil"},
	} {
		if _, err := losses.MixtureNLL(c.args[0], c.args[1], c.args[2], c.args[3], cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("MixtureNLL: %v, want %q", err, c.want)
		}
	}
	if _, err := losses.MSE(mu, y); err == nil {
		t.Error("MSE of mismatched shapes: no error")
	}
}

func TestScales(t *testing.T) {
	for in, want := range map[string]losses.Scale{"": losses.ScaleExp, "EXP": losses.ScaleExp, "softplus": losses.ScaleSoftplus, "elu": losses.ScaleELU, "elu+1": losses.ScaleELU} {
		if got, err := losses.ParseScale(in); err != nil || got != want {
			t.Errorf("ParseScale(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, c := range []struct {
		s          losses.Scale
		raw, floor float64
		want       float64
	}{
		{losses.ScaleExp, 0, 0, 1}, {losses.ScaleExp, -2, 0, math.Exp(-2)}, {losses.ScaleSoftplus, 0, 0, math.Ln2},
		{losses.ScaleELU, 2, 0, 3}, {losses.ScaleELU, -1, 0, math.Exp(-1)}, {losses.ScaleExp, 0, 3, 2},
	} {
		if got := c.s.Sigma(c.raw, c.floor); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s.Sigma(%g, %g) = %.17g, want %.17g", c.s, c.raw, c.floor, got, c.want)
		}
	}
	// The graph's log σ is the log of Sigma, for every transform and floor.
	for _, cfg := range configs {
		cfg.K, cfg.D = 2, 2
		bt := randBatch(11, 3, 2, 2, 1)
		b, err := build(tensor.Float64, bt, cfg)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := graph.NewRunner(b.g, G.Nodes{b.mix.LogSigma})
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
		ls, _ := r.Float64s(nil, b.mix.LogSigma)
		for i, raw := range bt.scales {
			if want := math.Log(cfg.Scale.Sigma(raw, cfg.VarianceFloor)); !close(ls[i], want, 1e-14) {
				t.Errorf("%s floor %g: log σ[%d] = %.17g, want %.17g", cfg.Scale, cfg.VarianceFloor, i, ls[i], want)
			}
		}
	}
}
