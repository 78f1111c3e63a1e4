package mdn

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
)

func fullConfig(dt models.DType, d int) Config {
	return Config{InputDim: 3, OutputDim: d, K: 4, Hidden: []int{7}, DType: dt, Seed: 11, Scale: losses.ScaleSoftplus, VarianceFloor: 0.01, Covariance: CovarianceFull}
}

// setHead sets every weight and bias of the off-diagonal head to v·(a deterministic
// pattern), so that the factors have sizeable, varied entries below the diagonal.
func setHead(t *testing.T, m *Model, scale float64) {
	t.Helper()
	for _, p := range []*graph.Param{m.offdiag.W, m.offdiag.B} {
		vals := graph.AppendFloat64s(nil, p.Value)
		for i := range vals {
			vals[i] = scale * math.Sin(float64(3*i+1))
		}
		graph.CopyFromFloat64s(p.Value, vals)
	}
}

func TestFullConfig(t *testing.T) {
	if err := (Config{InputDim: 1, OutputDim: 1, Covariance: CovarianceFull}).Validate(); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("full with D = 1: got %v, want an error", err)
	}
	if err := (Config{InputDim: 1, OutputDim: 2, Covariance: "banana"}).Validate(); err == nil || !strings.Contains(err.Error(), `"banana"`) {
		t.Errorf("unknown covariance: got %v, want an error naming it", err)
	}
	for _, name := range []string{"", "diagonal", " Diagonal "} {
		m := testModel(t, Config{InputDim: 1, OutputDim: 2, Covariance: Covariance(name)})
		if c := m.Config().Covariance; c != "" {
			t.Errorf("covariance %q: Config() reports %q, want \"\"", name, c)
		}
		b, _ := json.Marshal(m.Config())
		if bytes.Contains(b, []byte("covariance")) {
			t.Errorf("covariance %q: config JSON %s names it", name, b)
		}
	}
	m := testModel(t, Config{InputDim: 1, OutputDim: 2, Covariance: "Full"})
	if c := m.Config().Covariance; c != CovarianceFull {
		t.Errorf("Config().Covariance = %q, want full", c)
	}
}

// A full model whose off-diagonal head is zero is the diagonal model of the same seed,
// bit for bit: the heads before it draw the same weights, and the loss is the same.
func TestFullZeroOffDiagonalsIsDiagonal(t *testing.T) {
	for _, dt := range dtypes {
		cfg := fullConfig(dt, 3)
		full := testModel(t, cfg)
		cfg.Covariance = ""
		diag := testModel(t, cfg)
		setHead(t, full, 0)
		x, y := randRows(2, 50, 3, 2), randRows(3, 50, 3, 2)
		a, err := full.LogLik(x, y)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := diag.LogLik(x, y)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s row %d: full model %.17g, diagonal %.17g", dt, i, a[i], b[i])
			}
		}
	}
}

func TestFullPredictMatchesLogLik(t *testing.T) {
	for _, dt := range dtypes {
		for _, d := range []int{2, 4} {
			m := testModel(t, fullConfig(dt, d))
			setHead(t, m, 0.3)
			n := models.Normalization{XMean: []float64{1, -2, 0.5}, XStd: []float64{2, 0.5, 3}, YMean: make([]float64, d), YStd: make([]float64, d)}
			for j := range d {
				n.YMean[j], n.YStd[j] = float64(j)-1, 0.5+float64(j)
			}
			if err := m.SetNormalization(n); err != nil {
				t.Fatal(err)
			}
			x, y := randRows(2, 300, 3, 2), randRows(3, 300, d, 3)
			mix, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			ll, err := m.LogLik(x, y)
			if err != nil {
				t.Fatal(err)
			}
			offSeen := false
			for i := range x {
				if err := mix[i].Validate(); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				if mix[i].Cholesky == nil {
					t.Fatalf("row %d: no Cholesky factors", i)
				}
				offSeen = offSeen || math.Abs(mix[i].Cholesky[0][d]) > 0.05
				want := mix[i].LogProb(y[i])
				if math.Abs(ll[i]-want) > logLikTol[dt]*math.Max(1, math.Abs(want)) {
					t.Errorf("%s D=%d row %d: graph log-likelihood %.15g, Mixture.LogProb %.15g", dt, d, i, ll[i], want)
				}
			}
			if !offSeen {
				t.Errorf("%s D=%d: no sizeable off-diagonal entry; the test checks nothing", dt, d)
			}
		}
	}
}

func TestFullSaveLoad(t *testing.T) {
	for _, dt := range dtypes {
		m := testModel(t, fullConfig(dt, 3))
		setHead(t, m, 0.2)
		var buf bytes.Buffer
		if err := m.Save(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(buf.Bytes(), []byte(`"covariance":"full"`)) || !bytes.Contains(buf.Bytes(), []byte(`"mdn.offdiag.W"`)) {
			t.Fatalf("%s: the file does not hold the covariance or the off-diagonal head", dt)
		}
		l, err := Load(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		var again bytes.Buffer
		if err := l.Save(&again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Errorf("%s: saving the loaded model gives other bytes", dt)
		}
		x, y := randRows(4, 40, 3, 3), randRows(5, 40, 3, 3)
		a, _ := m.LogLik(x, y)
		b, err := l.LogLik(x, y)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				t.Fatalf("%s row %d: loaded model gives %.17g, saved one %.17g", dt, i, b[i], a[i])
			}
		}
		// The safetensors export holds the off-diagonal head and the covariance choice
		// (the PyTorch loader's comparison is internal/exportcmd's TestPythonLoader).
		var st bytes.Buffer
		if err := m.WriteSafetensors(&st); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(st.Bytes(), []byte(`"mdn.offdiag.W":{"dtype"`)) || !bytes.Contains(st.Bytes(), []byte(`\"covariance\":\"full\"`)) {
			t.Errorf("%s: the safetensors header lacks the off-diagonal head or the covariance", dt)
		}
		// A diagonal config with an off-diagonal head, or a full one without, is refused.
		var params []fileParam
		for _, p := range m.Params().List() {
			params = append(params, fileParam{Name: p.Name, Shape: []int(p.Value.Shape()), Values: graphValues(p)})
		}
		diag := m.Config()
		diag.Covariance = ""
		if err := checkParams(params, diag.withDefaults()); err == nil {
			t.Errorf("%s: a diagonal config accepted the off-diagonal head", dt)
		}
		if err := checkParams(params[:len(params)-2], m.Config()); err == nil {
			t.Errorf("%s: a full config accepted a file without the off-diagonal head", dt)
		}
	}
}

// fullMix2 is a two-component mixture in 2-D with strongly correlated components.
func fullMix2() Mixture {
	return FullMixture([]float64{0.35, 0.65},
		[][]float64{{-1, 2}, {1.5, -0.5}},
		[][]float64{{0.8, 0, 0.9, 0.4}, {1.2, 0, -0.7, 0.5}})
}

// covOf returns L Lᵀ of a D×D row-major factor as a gonum matrix.
func covOf(l []float64, d int) *mat.SymDense {
	ld := mat.NewDense(d, d, append([]float64(nil), l...))
	var s mat.Dense
	s.Mul(ld, ld.T())
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			sym.SetSym(i, j, s.At(i, j))
		}
	}
	return sym
}

func TestFullMixtureLogProb(t *testing.T) {
	m := fullMix2()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, y := range [][]float64{{0, 0}, {-1, 2}, {3, -4}, {40, 40}} {
		// Reference: gonum's Cholesky of the explicit Σ_k, its solve and log-determinant.
		lps := make([]float64, m.K())
		for c := range lps {
			var ch mat.Cholesky
			if !ch.Factorize(covOf(m.Cholesky[c], 2)) {
				t.Fatal("not positive definite")
			}
			r := mat.NewVecDense(2, []float64{y[0] - m.Means[c][0], y[1] - m.Means[c][1]})
			var s mat.VecDense
			if err := ch.SolveVecTo(&s, r); err != nil {
				t.Fatal(err)
			}
			lps[c] = math.Log(m.Weights[c]) - 0.5*mat.Dot(r, &s) - 0.5*ch.LogDet() - math.Log(2*math.Pi)
		}
		mx := math.Max(lps[0], lps[1])
		want := mx + math.Log(math.Exp(lps[0]-mx)+math.Exp(lps[1]-mx))
		if got := m.LogProb(y); math.Abs(got-want) > logProbTol*math.Max(1, math.Abs(want)) {
			t.Errorf("LogProb(%v) = %.17g, want %.17g", y, got, want)
		}
	}
}

func TestFullMixtureCovarianceAndMarginals(t *testing.T) {
	m := fullMix2()
	mean := m.Mean()
	cov := m.Covariance()
	// Law of total covariance, by hand with gonum.
	want := mat.NewDense(2, 2, nil)
	for c, w := range m.Weights {
		var part mat.Dense
		part.Scale(w, covOf(m.Cholesky[c], 2))
		want.Add(want, &part)
		e := mat.NewVecDense(2, []float64{m.Means[c][0] - mean[0], m.Means[c][1] - mean[1]})
		var outer mat.Dense
		outer.Outer(w, e, e)
		want.Add(want, &outer)
	}
	for i := 0; i < 2; i++ {
		for j := 0; j < 2; j++ {
			if math.Abs(cov[i][j]-want.At(i, j)) > 1e-14 {
				t.Errorf("Covariance[%d][%d] = %.17g, want %.17g", i, j, cov[i][j], want.At(i, j))
			}
		}
	}
	v := m.Variance()
	for i := range v {
		if math.Abs(v[i]-cov[i][i]) > 1e-14 {
			t.Errorf("Variance[%d] = %g, Covariance diagonal %g", i, v[i], cov[i][i])
		}
	}
	// The marginal of dimension 1 is Σ_k π_k N(μ_k1, Σ_k11): its CDF and Quantile agree
	// with a direct sum.
	md := m.Marginal(1)
	for _, y := range []float64{-3, 0, 0.7, 4} {
		want := 0.0
		for c, w := range m.Weights {
			s := math.Sqrt(covOf(m.Cholesky[c], 2).At(1, 1))
			want += w * 0.5 * math.Erfc(-(y-m.Means[c][1])/s/math.Sqrt2)
		}
		if got := md.CDF(y); math.Abs(got-want) > 1e-15 {
			t.Errorf("marginal CDF(%g) = %.17g, want %.17g", y, got, want)
		}
		if q := md.Quantile(want); math.Abs(q-y) > 1e-9 {
			t.Errorf("marginal Quantile(%.17g) = %.17g, want %g", want, q, y)
		}
	}
	// Diagonal mixtures: Covariance is diag(Variance) plus the means' spread.
	dm := Mixture{Weights: []float64{1}, Means: [][]float64{{1, 2}}, StdDevs: [][]float64{{2, 3}}}
	if c := dm.Covariance(); c[0][0] != 4 || c[1][1] != 9 || c[0][1] != 0 || c[1][0] != 0 {
		t.Errorf("diagonal Covariance = %v", c)
	}
}

func TestFullMixtureMode(t *testing.T) {
	// One component: the mode is its mean.
	one := FullMixture([]float64{1}, [][]float64{{0.5, -2}}, [][]float64{{1, 0, 3, 0.2}})
	if got := one.Mode(); math.Abs(got[0]-0.5) > 1e-12 || math.Abs(got[1]+2) > 1e-12 {
		t.Errorf("one component: Mode = %v, want [0.5 -2]", got)
	}
	// Two: the mode is a stationary point of p with a log-density at least that of any
	// component mean, and no better point nearby.
	m := fullMix2()
	mode := m.Mode()
	best := m.LogProb(mode)
	for _, mu := range m.Means {
		if lp := m.LogProb(mu); lp > best+1e-12 {
			t.Errorf("Mode %v has log p %g, below the mean %v's %g", mode, best, mu, lp)
		}
	}
	for _, dir := range [][]float64{{1, 0}, {0, 1}, {1, 1}, {1, -1}} {
		for _, h := range []float64{1e-4, -1e-4} {
			p := []float64{mode[0] + h*dir[0], mode[1] + h*dir[1]}
			if lp := m.LogProb(p); lp > best+1e-12 {
				t.Errorf("Mode %v: %v nearby is denser (%g > %g)", mode, p, lp, best)
			}
		}
	}
}

// TestFullMixtureSampleCorrelation draws from one correlated component and from the
// two-component mixture and compares the sample's correlation with the analytic one by
// Fisher's z test (z = atanh r, standard error 1/√(n−3)), at 4.5 standard errors; and
// checks that temperature τ scales one component's covariance by τ.
func TestFullMixtureSampleCorrelation(t *testing.T) {
	const n = 20000
	corr := func(s [][]float64) (r, v0, v1 float64) {
		var m0, m1 float64
		for _, p := range s {
			m0 += p[0]
			m1 += p[1]
		}
		m0 /= n
		m1 /= n
		var c, a, b float64
		for _, p := range s {
			c += (p[0] - m0) * (p[1] - m1)
			a += (p[0] - m0) * (p[0] - m0)
			b += (p[1] - m1) * (p[1] - m1)
		}
		return c / math.Sqrt(a*b), a / (n - 1), b / (n - 1)
	}
	for _, c := range []struct {
		name string
		m    Mixture
	}{
		{"one component", FullMixture([]float64{1}, [][]float64{{1, -1}}, [][]float64{{0.8, 0, 0.9, 0.4}})},
		{"two components", fullMix2()},
	} {
		rng := graph.NewRand(77)
		r, _, _ := corr(c.m.Sample(rng, n, 1))
		cov := c.m.Covariance()
		want := cov[0][1] / math.Sqrt(cov[0][0]*cov[1][1])
		if z := (math.Atanh(r) - math.Atanh(want)) * math.Sqrt(n-3); math.Abs(z) > 4.5 {
			t.Errorf("%s: sample correlation %.4f, analytic %.4f (z = %.2f; seed 77)", c.name, r, want, z)
		}
	}
	one := FullMixture([]float64{1}, [][]float64{{1, -1}}, [][]float64{{0.8, 0, 0.9, 0.4}})
	cov := one.Covariance()
	for _, tau := range []float64{0.25, 2} {
		r, v0, v1 := corr(one.Sample(graph.NewRand(78), n, tau))
		want := cov[0][1] / math.Sqrt(cov[0][0]*cov[1][1])
		if z := (math.Atanh(r) - math.Atanh(want)) * math.Sqrt(n-3); math.Abs(z) > 4.5 {
			t.Errorf("τ = %g: sample correlation %.4f, analytic %.4f (z = %.2f; seed 78)", tau, r, want, z)
		}
		// A sample variance's relative standard error is √(2/(n−1)) ≈ 1 %.
		for i, v := range []float64{v0, v1} {
			if w := tau * cov[i][i]; math.Abs(v/w-1) > 4.5*math.Sqrt(2.0/(n-1)) {
				t.Errorf("τ = %g: sample variance %d is %.4f, want τΣ = %.4f (seed 78)", tau, i, v, w)
			}
		}
	}
}

func TestFullMixtureValidate(t *testing.T) {
	good := fullMix2
	cases := []struct {
		name string
		mod  func(*Mixture)
		want string
	}{
		{"above the diagonal", func(m *Mixture) { m.Cholesky[0][1] = 0.1 }, "above the diagonal"},
		{"zero diagonal", func(m *Mixture) { m.Cholesky[1][3] = 0 }, "diagonal entry"},
		{"NaN entry", func(m *Mixture) { m.Cholesky[1][2] = math.NaN() }, "is NaN"},
		{"short factor", func(m *Mixture) { m.Cholesky[0] = m.Cholesky[0][:3] }, "entries"},
		{"one factor", func(m *Mixture) { m.Cholesky = m.Cholesky[:1] }, "Cholesky factors"},
		{"stale σ", func(m *Mixture) { m.StdDevs[1][1] *= 1.01 }, "Cholesky factor gives"},
	}
	for _, c := range cases {
		m := good()
		c.mod(&m)
		if err := m.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
