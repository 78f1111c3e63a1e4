package mdn

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gradcheck"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
)

// skipConfigs are the shapes the skip tests run: one member, an ensemble's groups and
// full covariances.
var skipConfigs = []Config{
	{InputDim: 3, OutputDim: 2, K: 4, Hidden: []int{5}, Skip: true},
	{InputDim: 2, OutputDim: 2, K: 6, Members: 3, Hidden: []int{4, 3}, Skip: true},
	{InputDim: 1, OutputDim: 1, K: 1, Hidden: []int{3}, Skip: true},
	{InputDim: 2, OutputDim: 3, K: 2, Hidden: []int{4}, Covariance: CovarianceFull, Skip: true},
}

func skipTestName(c Config) string {
	return fmt.Sprintf("in=%d,out=%d,k=%d,members=%d,cov=%q,%s", c.InputDim, c.OutputDim, c.K, c.Members, c.Covariance, c.DType)
}

// randomise redraws every weight of m from N(0, scale²) and gives it a non-trivial
// normalisation.
func randomise(t *testing.T, m *Model, seed uint64, scale float64) {
	t.Helper()
	rng := graph.NewRand(seed)
	for _, p := range m.Params().List() {
		v := graph.AppendFloat64s(nil, p.Value)
		for i := range v {
			v[i] = scale * rng.NormFloat64()
		}
		graph.CopyFromFloat64s(p.Value, v)
	}
	c := m.Config()
	n := models.IdentityNormalization(c.InputDim, c.OutputDim)
	for i := range n.XMean {
		n.XMean[i], n.XStd[i] = 0.5*float64(i)-0.3, 1.25+float64(i)
	}
	for j := range n.YMean {
		n.YMean[j], n.YStd[j] = 3-float64(j), 0.5+0.75*float64(j)
	}
	if err := m.SetNormalization(n); err != nil {
		t.Fatal(err)
	}
}

// The skip path adds x′·A_g (standardised units) to the means of member g's components
// and changes nothing else: Predict of the model minus Predict of the same model with A
// zeroed is, in original units, y_std·(x′·A_g) computed in plain Go, for every config,
// both dtypes.
func TestSkipForward(t *testing.T) {
	for _, dt := range dtypes {
		for _, cfg := range skipConfigs {
			cfg.DType = dt
			t.Run(skipTestName(cfg), func(t *testing.T) {
				m := testModel(t, cfg)
				randomise(t, m, 11, 0.6)
				zero := testModel(t, cfg)
				if err := zero.Params().SetFlat(m.Params().Flatten(nil)); err != nil {
					t.Fatal(err)
				}
				if err := zero.SetNormalization(m.Normalization()); err != nil {
					t.Fatal(err)
				}
				graph.CopyFromFloat64s(zero.skip.Value, make([]float64, zero.skip.Size()))
				x := randRows(5, 23, cfg.InputDim, 2)
				got, err := m.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				base, err := zero.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				a := graph.AppendFloat64s(nil, m.skip.Value)
				norm := m.Normalization()
				groups, k, d := max(1, cfg.Members), cfg.K, cfg.OutputDim
				xs := make([]float64, cfg.InputDim)
				tol := logLikTol[dt]
				worst := 0.0
				for r := range x {
					norm.X(xs, x[r])
					if dt == models.Float32 {
						for i := range xs {
							xs[i] = float64(float32(xs[i]))
						}
					}
					for c := range k {
						g := c / (k / groups)
						for j := range d {
							lin := 0.0
							for i, v := range xs {
								lin += v * a[i*groups*d+g*d+j]
							}
							want := base[r].Means[c][j] + lin*norm.YStd[j]
							diff := math.Abs(got[r].Means[c][j]-want) / math.Max(1, math.Abs(want))
							worst = math.Max(worst, diff)
							if !(diff <= tol) {
								t.Fatalf("row %d component %d dim %d: mean %.17g, plain Go %.17g (base %.17g, linear %.17g)", r, c, j, got[r].Means[c][j], want, base[r].Means[c][j], lin)
							}
							if got[r].StdDevs[c][j] != base[r].StdDevs[c][j] {
								t.Fatalf("row %d component %d dim %d: σ %g with the skip path, %g without", r, c, j, got[r].StdDevs[c][j], base[r].StdDevs[c][j])
							}
						}
						if got[r].Weights[c] != base[r].Weights[c] {
							t.Fatalf("row %d component %d: π %g with the skip path, %g without", r, c, got[r].Weights[c], base[r].Weights[c])
						}
					}
				}
				t.Logf("worst relative difference %.3g", worst)
			})
		}
	}
}

// The loss of a model with a skip path has the gradient central finite differences
// give, with respect to every weight (A included) and the inputs, for both dtypes.
func TestSkipGradient(t *testing.T) {
	for _, dt := range dtypes {
		for _, cfg := range skipConfigs {
			cfg.DType = dt
			t.Run(skipTestName(cfg), func(t *testing.T) {
				m := testModel(t, cfg)
				randomise(t, m, 3, 0.5)
				checkLossGradient(t, m, dt)
			})
		}
	}
}

// A model with a skip path survives Save and Load bit for bit, its file says "skip":true
// and names "mdn.skip.A"; a model without one writes neither.
func TestSkipSaveLoad(t *testing.T) {
	for _, dt := range dtypes {
		for _, cfg := range skipConfigs {
			cfg.DType = dt
			t.Run(skipTestName(cfg), func(t *testing.T) {
				m := testModel(t, cfg)
				randomise(t, m, 8, 0.7)
				var buf bytes.Buffer
				if err := m.Save(&buf); err != nil {
					t.Fatal(err)
				}
				if s := buf.String(); !strings.Contains(s, `"skip":true`) || !strings.Contains(s, `"mdn.skip.A"`) {
					t.Fatalf("the file of a model with a skip path lacks \"skip\":true or mdn.skip.A")
				}
				back, err := Load(bytes.NewReader(buf.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				if !back.Config().Skip {
					t.Fatalf("loaded config %+v has no skip path", back.Config())
				}
				a, b := m.Params().Flatten(nil), back.Params().Flatten(nil)
				for i := range a {
					if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
						t.Fatalf("value %d: saved %v, loaded %v", i, a[i], b[i])
					}
				}
				x := randRows(2, 9, cfg.InputDim, 1)
				p1, _ := m.Predict(x)
				p2, err := back.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				for r := range p1 {
					for c := range p1[r].Means {
						for j := range p1[r].Means[c] {
							if p1[r].Means[c][j] != p2[r].Means[c][j] {
								t.Fatalf("row %d: loaded model's mean %v, saved one's %v", r, p2[r].Means[c][j], p1[r].Means[c][j])
							}
						}
					}
				}
				plain := cfg
				plain.Skip = false
				buf.Reset()
				if err := testModel(t, plain).Save(&buf); err != nil {
					t.Fatal(err)
				}
				if s := buf.String(); strings.Contains(s, `"skip"`) || strings.Contains(s, "mdn.skip") {
					t.Fatalf("the file of a model without a skip path mentions it")
				}
			})
		}
	}
}

// A file whose config says "skip":true without the matrix (or the reverse) is refused.
func TestSkipLoadMismatch(t *testing.T) {
	cfg := Config{InputDim: 2, OutputDim: 1, K: 2, Hidden: []int{3}, Skip: true}
	m := testModel(t, cfg)
	plain := cfg
	plain.Skip = false
	if err := checkParams(fileParamsOf(m), plain.withDefaults()); err == nil || !strings.Contains(err.Error(), "parameters") {
		t.Fatalf("a skip model's parameters under a config without skip: %v", err)
	}
	if err := checkParams(fileParamsOf(testModel(t, plain)), cfg.withDefaults()); err == nil {
		t.Fatalf("a plain model's parameters under a config with skip were accepted")
	}
}

// fileParamsOf returns m's parameters as a file holds them.
func fileParamsOf(m *Model) []fileParam {
	var ps []fileParam
	for _, p := range m.Params().List() {
		ps = append(ps, fileParam{Name: p.Name, Shape: []int(p.Value.Shape().Clone()), Values: graphValues(p)})
	}
	return ps
}

// InitFromData with a skip path sets A to the least-squares fit of the standardised
// training rows (checked against the normal equations solved by gonum's Cholesky), the
// scales at the residuals' standard deviation, and the means' biases about the fitted
// line; a model without a skip path is initialised exactly as before.
func TestSkipInitFromData(t *testing.T) {
	const n, p, d = 300, 3, 2
	rng := graph.NewRand(21)
	x := make([]float64, n*p)
	y := make([]float64, n*d)
	for i := range n {
		for q := range p {
			x[i*p+q] = 2*rng.NormFloat64() + float64(q)
		}
		y[i*d] = 1.5*x[i*p] - 0.7*x[i*p+2] + 4 + 0.3*rng.NormFloat64()
		y[i*d+1] = -2*x[i*p+1] + 0.5*rng.NormFloat64()
	}
	for _, dt := range dtypes {
		t.Run(string(dt), func(t *testing.T) {
			cfg := Config{InputDim: p, OutputDim: d, K: 3, Hidden: []int{4}, DType: dt, Skip: true, Seed: 5}
			m := testModel(t, cfg)
			norm := normalisationOf(x, y, p, d)
			if err := m.SetNormalization(norm); err != nil {
				t.Fatal(err)
			}
			if err := m.InitFromData(x, y); err != nil {
				t.Fatal(err)
			}
			// The normal equations on centred standardised rows: (XᵀX) A = XᵀY.
			xs, ys := mat.NewDense(n, p, nil), mat.NewDense(n, d, nil)
			row := make([]float64, max(p, d))
			for i := range n {
				norm.X(row[:p], x[i*p:(i+1)*p])
				xs.SetRow(i, row[:p])
				norm.Y(row[:d], y[i*d:(i+1)*d])
				ys.SetRow(i, row[:d])
			}
			var xtx mat.SymDense
			xtx.SymOuterK(1, xs.T())
			var xty mat.Dense
			xty.Mul(xs.T(), ys)
			var chol mat.Cholesky
			if !chol.Factorize(&xtx) {
				t.Fatal("XᵀX is not positive definite")
			}
			var want mat.Dense
			if err := chol.SolveTo(&want, &xty); err != nil {
				t.Fatal(err)
			}
			got := graph.AppendFloat64s(nil, m.skip.Value)
			tol := map[models.DType]float64{models.Float64: 1e-10, models.Float32: 1e-6}[dt]
			for q := range p {
				for j := range d {
					if diff := math.Abs(got[q*d+j] - want.At(q, j)); !(diff <= tol) {
						t.Fatalf("A[%d][%d] = %.17g, normal equations %.17g", q, j, got[q*d+j], want.At(q, j))
					}
				}
			}
			// Residual standard deviations (standardised units) → the scales' bias.
			var res mat.Dense
			res.Mul(xs, &want)
			res.Sub(ys, &res)
			sb := graph.AppendFloat64s(nil, m.scales.B.Value)
			for j := range d {
				col := mat.Col(nil, j, &res)
				ss := 0.0
				for _, v := range col {
					ss += v * v
				}
				sd := math.Sqrt(ss / n)
				for c := range cfg.K {
					if diff := math.Abs(math.Exp(sb[c*d+j]) - sd); !(diff <= 1e-6) {
						t.Fatalf("component %d dim %d: starts at σ %.9g, residual sd %.9g", c, j, math.Exp(sb[c*d+j]), sd)
					}
				}
			}
			// The means' biases are centres of the residuals: small against y's spread.
			mb := graph.AppendFloat64s(nil, m.means.B.Value)
			for i, v := range mb {
				if math.Abs(v) > 1 {
					t.Fatalf("means bias %d = %g, want a residual centre (|·| < 1 standardised unit)", i, v)
				}
			}
			// Without the skip path nothing but the means' bias changes, as before.
			plain := cfg
			plain.Skip = false
			a, b := testModel(t, plain), testModel(t, plain)
			for _, mm := range []*Model{a, b} {
				if err := mm.SetNormalization(norm); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.InitFromData(x, y); err != nil {
				t.Fatal(err)
			}
			fa, fb := a.Params().Flatten(nil), b.Params().Flatten(nil)
			for i, p := range a.Params().List() {
				if p.Name == "mdn.means.b" {
					continue
				}
				off := a.Params().Offset(i)
				for j := 0; j < p.Size(); j++ {
					if fa[off+j] != fb[off+j] {
						t.Fatalf("InitFromData without a skip path changed %s", p.Name)
					}
				}
			}
		})
	}
}

// normalisationOf returns the mean and standard deviation of every column.
func normalisationOf(x, y []float64, p, d int) models.Normalization {
	stats := func(v []float64, w int) (mean, sd []float64) {
		n := len(v) / w
		mean, sd = make([]float64, w), make([]float64, w)
		for i := range n {
			for j := range w {
				mean[j] += v[i*w+j] / float64(n)
			}
		}
		for i := range n {
			for j := range w {
				e := v[i*w+j] - mean[j]
				sd[j] += e * e / float64(n)
			}
		}
		for j := range sd {
			sd[j] = math.Sqrt(sd[j])
		}
		return mean, sd
	}
	var n models.Normalization
	n.XMean, n.XStd = stats(x, p)
	n.YMean, n.YStd = stats(y, d)
	return n
}

// The raw scale rawScale gives turns back into the σ asked for, with and without a floor,
// for every transform.
func TestRawScale(t *testing.T) {
	for _, s := range []losses.Scale{losses.ScaleExp, losses.ScaleSoftplus, losses.ScaleELU} {
		for _, c := range []struct{ floor, sigma float64 }{{0, 1}, {0, 0.3}, {0, 2.5}, {0.01, 0.4}, {0.5, 1.7}} {
			raw := rawScale(s, c.floor, c.sigma)
			got := s.Sigma(raw, c.floor)
			if math.Abs(got-c.sigma) > 1e-12*c.sigma {
				t.Errorf("%s floor %g: rawScale(σ=%g) = %g gives σ %.17g", s, c.floor, c.sigma, raw, got)
			}
		}
	}
}

// Members with and without the skip path combine into a model with it whose
// log-likelihood is the log-mean-exp of the members' (the members without it get a
// zero block), for both dtypes; a member differing in anything else is still refused.
func TestCombineMixedSkip(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(string(dt), func(t *testing.T) {
			cfg := Config{InputDim: 3, OutputDim: 2, K: 2, Hidden: []int{4}, DType: dt}
			plain := randomMembers(t, cfg, 3)
			cfg.Skip = true
			skip := randomMembers(t, cfg, 3)
			members := []*Model{plain[0], skip[1], plain[2]}
			comb, err := Combine(members)
			if err != nil {
				t.Fatal(err)
			}
			if c := comb.Config(); !c.Skip || c.Members != 3 {
				t.Fatalf("combined config %+v, want skip and 3 members", c)
			}
			a := graphValues(comb.skip)
			sa := graphValues(skip[1].skip)
			for i := range cfg.InputDim {
				for g := range 3 {
					for j := range cfg.OutputDim {
						want := 0.0
						if g == 1 {
							want = sa[i*cfg.OutputDim+j]
						}
						if got := a[(i*3+g)*cfg.OutputDim+j]; got != want {
							t.Fatalf("combined A[%d][member %d, dim %d] = %g, want %g", i, g, j, got, want)
						}
					}
				}
			}
			x := randRows(7, 29, cfg.InputDim, 2)
			y := randRows(8, 29, cfg.OutputDim, 1.5)
			got, err := comb.LogLik(x, y)
			if err != nil {
				t.Fatal(err)
			}
			per := make([][]float64, len(members))
			for m, mm := range members {
				if per[m], err = mm.LogLik(x, y); err != nil {
					t.Fatal(err)
				}
			}
			tol := ensembleTol[dt]
			for i := range x {
				terms := []float64{per[0][i], per[1][i], per[2][i]}
				want := floats.LogSumExp(terms) - math.Log(3)
				if d := math.Abs(got[i]-want) / math.Max(1, math.Abs(want)); !(d <= tol) {
					t.Fatalf("row %d: combined LogLik %.17g, members' log-mean-exp %.17g", i, got[i], want)
				}
			}
			other := plain[2].Config()
			other.Hidden = []int{5}
			bad := testModel(t, other)
			if err := bad.SetNormalization(plain[0].Normalization()); err != nil {
				t.Fatal(err)
			}
			if _, err := Combine([]*Model{plain[0], skip[1], bad}); err == nil || !strings.Contains(err.Error(), "differs") {
				t.Fatalf("Combine of members of different widths: %v", err)
			}
		})
	}
}

// checkLossGradient checks m's loss on a batch of 5 random rows against central finite
// differences, with respect to every parameter and the inputs, in dt.
func checkLossGradient(t *testing.T, m *Model, dt models.DType) {
	t.Helper()
	res, err := gradcheck.Check(func(g *G.ExprGraph) (*G.Node, G.Nodes, error) {
		loss, err := m.BuildLoss(g, 5)
		if err != nil {
			return nil, nil, err
		}
		r := graph.NewRand(4)
		for _, n := range []*G.Node{loss.X, loss.Y} {
			tt := n.Value().(tensor.Tensor)
			v := make([]float64, tt.Shape().TotalSize())
			for i := range v {
				v[i] = r.NormFloat64()
			}
			graph.CopyFromFloat64s(tt, v)
		}
		return loss.Cost, append(m.Params().Nodes(g), loss.X), nil
	}, gradcheck.For(dt.Tensor()))
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() {
		t.Fatal(res)
	}
	t.Log(res)
}
