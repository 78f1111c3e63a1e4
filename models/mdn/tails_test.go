package mdn

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// TinyComponentModel returns a model whose mixture is the same for every input: logits
// (0, −1000), so π_1 = e^−1000 underflows to 0, means (0, 100) and standard deviations
// (1, 10) (exp scale, no variance floor, identity normalisation). At y = 100 the tiny
// component is the only one that matters: log p ≈ −1000 − log 10 − ½ log 2π.
func tinyComponentModel(t *testing.T, dt models.DType) *Model {
	t.Helper()
	m, err := New(Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{4}, Seed: 5, DType: dt})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetNormalization(models.IdentityNormalization(1, 1)); err != nil {
		t.Fatal(err)
	}
	set := func(p *graph.Param, vals ...float64) {
		v := graph.AppendFloat64s(nil, p.Value)
		for i := range v {
			v[i] = 0
		}
		copy(v, vals)
		graph.CopyFromFloat64s(p.Value, v)
	}
	set(m.logits.W)
	set(m.logits.B, 0, -1000)
	set(m.means.W)
	set(m.means.B, 0, 100)
	set(m.scales.W)
	set(m.scales.B, 0, math.Log(10))
	return m
}

// TestLogWeightsKeepTinyComponents: Predict's mixture carries log π, and its LogProb
// agrees with the graph's LogLik where the density is all in a component whose π
// underflowed to 0; without log π it would be off by thousands.
func TestLogWeightsKeepTinyComponents(t *testing.T) {
	for _, c := range []struct {
		dt  models.DType
		tol float64
	}{{models.Float64, 1e-12}, {models.Float32, 1e-6}} {
		m := tinyComponentModel(t, c.dt)
		x, y := [][]float64{{0.3}, {-2}}, [][]float64{{100}, {90}}
		mix, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		ll, err := m.LogLik(x, y)
		if err != nil {
			t.Fatal(err)
		}
		for i, mx := range mix {
			if mx.Weights[1] != 0 || len(mx.LogWeights) != 2 || mx.LogWeights[0] != 0 {
				t.Fatalf("%s row %d: weights %v, log weights %v; want π_1 = 0, log π = (0, -1000)", c.dt, i, mx.Weights, mx.LogWeights)
			}
			if got := mx.LogWeights[1]; math.Abs(got+1000) > 1e-3 {
				t.Errorf("%s row %d: log π_1 = %.17g, want ≈ -1000", c.dt, i, got)
			}
			got := mx.LogProb(y[i])
			if math.Abs(got-ll[i]) > c.tol*math.Abs(ll[i]) {
				t.Errorf("%s row %d: LogProb %.17g, LogLik %.17g", c.dt, i, got, ll[i])
			}
			plain := mx
			plain.LogWeights = nil
			if lp := plain.LogProb(y[i]); math.Abs(lp-ll[i]) < 100 {
				t.Errorf("%s row %d: without log weights LogProb %g is near LogLik %g: the test does not test", c.dt, i, lp, ll[i])
			}
		}
	}
}

func TestValidateLogWeights(t *testing.T) {
	base := func(lw ...float64) Mixture {
		m := mix1([]float64{0.25, 0.75}, []float64{0, 1}, []float64{1, 1})
		m.LogWeights = lw
		return m
	}
	for _, c := range []struct {
		m    Mixture
		want string
	}{
		{base(math.Log(0.25)), "2 weights and 1 log weights"},
		{base(math.NaN(), math.Log(0.75)), "log weight 0 is NaN"},
		{base(math.Log(0.25), 0.1), "log weight 1 is 0.1"},
		{base(math.Log(0.5), math.Log(0.75)), "but weight 0 is 0.25"},
		{base(math.Inf(-1), math.Log(0.75)), "but weight 0 is 0.25"},
	} {
		if err := c.m.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%v): %v, want %q", c.m.LogWeights, err, c.want)
		}
	}
	ok := []Mixture{
		base(math.Log(0.25), math.Log(0.75)),
		{Weights: []float64{1, 0}, LogWeights: []float64{0, -1000}, Means: [][]float64{{0}, {1}}, StdDevs: [][]float64{{1}, {1}}},
	}
	for _, m := range ok {
		if err := m.Validate(); err != nil {
			t.Errorf("Validate(%v): %v", m.LogWeights, err)
		}
	}
}

// refLogPhi is log Φ(z) for the reference solutions, independent of logStdNormalCDF's
// continued fraction: log(½ erfc(−z/√2)) while Φ(z) is a normal float64 (z ≥ −37.5),
// else the asymptotic series Φ(−x) = φ(x)/x · Σ_n (−1)ⁿ (2n−1)!!/x²ⁿ, summed while its
// terms shrink (below 1e−20 for x ≥ 37.5).
func refLogPhi(z float64) float64 {
	if z >= -37.5 {
		return math.Log(0.5 * math.Erfc(-z/math.Sqrt2))
	}
	x := -z
	sum, term := 1.0, 1.0
	for n := 1; n < 40; n++ {
		next := -term * float64(2*n-1) / (x * x)
		if math.Abs(next) >= math.Abs(term) {
			break
		}
		term = next
		sum += term
	}
	return -0.5*x*x - 0.5*math.Log(2*math.Pi) - math.Log(x) + math.Log(sum)
}

// refLogSurvival is log(1 − Φ(z)) = log Φ(−z).
func refLogSurvival(z float64) float64 { return refLogPhi(-z) }

// bisect returns the x in [lo, hi] where the increasing f crosses 0, to adjacent floats.
func bisect(f func(float64) float64, lo, hi float64) float64 {
	for {
		mid := lo/2 + hi/2
		if mid <= lo || mid >= hi {
			break
		}
		if f(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	if math.Abs(f(lo)) < math.Abs(f(hi)) {
		return lo
	}
	return hi
}

// logSumExp is log Σ exp(v), max-shifted.
func logSumExp(v []float64) float64 {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, x)
	}
	if math.IsInf(mx, -1) {
		return mx
	}
	s := 0.0
	for _, x := range v {
		s += math.Exp(x - mx)
	}
	return mx + math.Log(s)
}

// refQuantile solves the mixture's CDF equation by bisection on refLogPhi: log F(y) =
// log p for p ≤ ½, and log(1 − F(y)) = log(1 − p) (1 − p exact) above, so that no tail
// probability is rounded away.
func refQuantile(m Mixture, p float64) float64 {
	terms := make([]float64, m.K())
	f := func(y float64) float64 {
		for c := range terms {
			z := (y - m.Means[c][0]) / m.StdDevs[c][0]
			if p <= 0.5 {
				terms[c] = m.logWeight(c) + refLogPhi(z)
			} else {
				terms[c] = m.logWeight(c) + refLogSurvival(z)
			}
		}
		if p <= 0.5 {
			return logSumExp(terms) - math.Log(p)
		}
		return math.Log(1-p) - logSumExp(terms)
	}
	return bisect(f, -1e9, 1e9)
}

// quantileTol bounds Quantile's relative error against the reference.
const quantileTol = 1e-12

var tailProbs = []float64{5e-324, 1e-310, 1e-300, 1e-100, 1e-17, 1e-15, 1e-6, 0.3, 0.5, 0.9, 1 - 1e-12, 1 - 0x1p-53}

// TestQuantileTails: for one component the answer is μ + σ Φ⁻¹(p), with Φ⁻¹ from
// bisection on refLogPhi; for mixtures, bisection on the summed CDF. Relative error at
// most quantileTol for p from the smallest positive float64 to 1 − 2⁻⁵³.
func TestQuantileTails(t *testing.T) {
	one := mix1([]float64{1}, []float64{1.5}, []float64{2})
	for _, p := range tailProbs {
		var z float64
		if p <= 0.5 {
			z = bisect(func(z float64) float64 { return refLogPhi(z) - math.Log(p) }, -40, 40)
		} else {
			z = bisect(func(z float64) float64 { return math.Log(1-p) - refLogSurvival(z) }, -40, 40)
		}
		want := 1.5 + 2*z
		if got := one.Quantile(p); !(math.Abs(got-want) <= quantileTol*math.Abs(want)) {
			t.Errorf("one component: Quantile(%g) = %.17g, want %.17g (relative error %.3g)", p, got, want, math.Abs(got-want)/math.Abs(want))
		}
	}
	tiny := mix1([]float64{1, 0}, []float64{3, -50}, []float64{0.5, 40})
	tiny.LogWeights = []float64{0, -1000}
	for _, c := range []struct {
		name string
		m    Mixture
	}{
		{"bimodal", bimodal},
		{"three", mix1([]float64{0.2, 0.5, 0.3}, []float64{-4, 0.7, 3}, []float64{0.3, 2, 0.7})},
		{"light broad", mix1([]float64{1 - 1.7e-6, 1.7e-6}, []float64{-1.3, 0}, []float64{1.1, 53843})},
		{"log weight only", tiny},
	} {
		for _, p := range tailProbs {
			want := refQuantile(c.m, p)
			if got := c.m.Quantile(p); !(math.Abs(got-want) <= quantileTol*math.Abs(want)) {
				t.Errorf("%s: Quantile(%g) = %.17g, want %.17g (relative error %.3g)", c.name, p, got, want, math.Abs(got-want)/math.Abs(want))
			}
		}
	}
	for _, c := range []struct {
		p    float64
		want float64
	}{{0, math.Inf(-1)}, {1, math.Inf(1)}, {-1e-300, math.NaN()}, {1 + 0x1p-52, math.NaN()}, {math.NaN(), math.NaN()}, {math.Inf(1), math.NaN()}} {
		got := bimodal.Quantile(c.p)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Quantile(%g) = %g, want %g", c.p, got, c.want)
		}
	}
}

// TestLogStdNormalCDF compares the continued fraction with the reference on both sides of
// the switch and far out.
func TestLogStdNormalCDF(t *testing.T) {
	for _, z := range []float64{-1e4, -300, -40, -38, -37.6, -30.0001, -30, -29.9, -10, -1, 0, 3, 10} {
		got, want := logStdNormalCDF(z), refLogPhi(z)
		if math.Abs(got-want) > 1e-14*math.Max(1, math.Abs(want)) {
			t.Errorf("logStdNormalCDF(%g) = %.17g, want %.17g", z, got, want)
		}
	}
}

// TestLogStdNormalCDFTerms: the millsTerms terms of Mills' continued fraction that
// logStdNormalCDF evaluates below z = −30 give the bits of 64 terms, on arguments spread
// over [30, 40] (where it converges slowest) and log-uniformly over [30, 3·10⁷].
func TestLogStdNormalCDFTerms(t *testing.T) {
	mills := func(x float64, terms int) float64 {
		r := x
		for n := terms; n >= 1; n-- {
			r = x + float64(n)/r
		}
		return r
	}
	rng := graph.NewRand(5)
	for i := range 400000 {
		x := 30 + 10*rng.Float64()
		if i%2 == 1 {
			x = 30 * math.Exp(rng.Float64()*math.Log(1e6))
		}
		if got, want := mills(x, millsTerms), mills(x, 64); got != want {
			t.Fatalf("Mills' fraction at x = %.17g: %d terms give %.17g, 64 give %.17g", x, millsTerms, got, want)
		}
	}
}

// TestIQR: one dimension's interquartile range is 2·0.6744897501960817·σ for one
// component; a light, very broad component inflates the standard deviation and barely
// moves the IQR; a 2-D mixture's IQR is that of each marginal.
func TestIQR(t *testing.T) {
	const q3 = 0.67448975019608174320 // Φ⁻¹(¾)
	one := mix1([]float64{1}, []float64{4}, []float64{2})
	if got, want := one.IQR()[0], 4*q3; math.Abs(got-want) > 1e-14*want {
		t.Errorf("IQR of N(4, 2²) = %.17g, want %.17g", got, want)
	}
	base := mix1([]float64{1}, []float64{-1.3}, []float64{1.1})
	wide := mix1([]float64{1 - 1.7e-6, 1.7e-6}, []float64{-1.3, 0}, []float64{1.1, 53843})
	sd := math.Sqrt(wide.Variance()[0])
	if iqr0, iqr := base.IQR()[0], wide.IQR()[0]; sd < 50 || math.Abs(iqr-iqr0) > 1e-3*iqr0 {
		t.Errorf("light broad component: std %g (want ≈ 70), IQR %g (want ≈ %g)", sd, iqr, iqr0)
	}
	m2 := Mixture{
		Weights:    []float64{0.3, 0.7},
		LogWeights: []float64{math.Log(0.3), math.Log(0.7)},
		Means:      [][]float64{{-2, 10}, {1.5, 20}},
		StdDevs:    [][]float64{{0.5, 1}, {1.2, 3}},
	}
	got := m2.IQR()
	for d := 0; d < 2; d++ {
		md := mix1(m2.Weights, []float64{m2.Means[0][d], m2.Means[1][d]}, []float64{m2.StdDevs[0][d], m2.StdDevs[1][d]})
		want := refQuantile(md, 0.75) - refQuantile(md, 0.25)
		if math.Abs(got[d]-want) > 1e-12*want {
			t.Errorf("2-D IQR[%d] = %.17g, want %.17g", d, got[d], want)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "marginal 2") {
			t.Errorf("Marginal(2) of a 2-D mixture: %v", r)
		}
	}()
	m2.Marginal(2)
}

// TestSampleLogWeights: at τ = 1000 a component whose π underflowed (log π = −1000) gets
// the tempered weight e^−1/(1 + e^−1) ≈ 0.269 from its log weight; without log weights it
// is never drawn (seed 6, n = 20000, 5 standard errors).
func TestSampleLogWeights(t *testing.T) {
	const n = 20000
	m := mix1([]float64{1, 0}, []float64{-1e4, 1e4}, []float64{1, 1}) // σ√τ ≈ 32
	m.LogWeights = []float64{0, -1000}
	want := math.Exp(-1) / (1 + math.Exp(-1))
	light := 0.0
	for _, x := range m.Sample(graph.NewRand(6), n, 1000) {
		if x[0] > 0 {
			light++
		}
	}
	if se := math.Sqrt(want * (1 - want) / n); math.Abs(light/n-want) > 5*se {
		t.Errorf("τ = 1000: light component drawn %g of the time, want %.4g ± %.2g (seed 6)", light/n, want, 5*se)
	}
	m.LogWeights = nil
	for _, x := range m.Sample(graph.NewRand(6), 1000, 1000) {
		if x[0] > 0 {
			t.Fatalf("without log weights a zero weight was drawn: %v", x)
		}
	}
}
