package mdn

import (
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/mixgraph/mixgraph/graph"
)

func mix1(w, mu, sd []float64) Mixture {
	m := Mixture{Weights: w}
	for i := range w {
		m.Means = append(m.Means, []float64{mu[i]})
		m.StdDevs = append(m.StdDevs, []float64{sd[i]})
	}
	return m
}

var bimodal = mix1([]float64{0.3, 0.7}, []float64{-2, 1.5}, []float64{0.5, 1.2})

// refLogProb1 is log p(y) for a 1-D mixture from gonum's distuv and floats.LogSumExp.
func refLogProb1(m Mixture, y float64) float64 {
	lp := make([]float64, m.K())
	for c := range lp {
		lp[c] = math.Log(m.Weights[c]) + distuv.Normal{Mu: m.Means[c][0], Sigma: m.StdDevs[c][0]}.LogProb(y)
	}
	return floats.LogSumExp(lp)
}

const logProbTol = 1e-12

func TestLogProb(t *testing.T) {
	cases := []struct {
		name string
		m    Mixture
		ys   []float64
	}{
		{"bimodal", bimodal, []float64{-3, -2, 0, 1.5, 4}},
		{"one dominant", mix1([]float64{1 - 1e-12, 1e-12}, []float64{0, 5}, []float64{1, 1}), []float64{0, 5, 10}},
		{"tiny σ", mix1([]float64{0.5, 0.5}, []float64{0, 1}, []float64{1e-4, 1e-4}), []float64{0, 1e-4, 0.5}},
		{"far tail", mix1([]float64{0.5, 0.5}, []float64{0, 1}, []float64{1, 2}), []float64{1e3, -1e3}},
	}
	for _, c := range cases {
		for _, y := range c.ys {
			got, want := c.m.LogProb([]float64{y}), refLogProb1(c.m, y)
			if math.IsInf(got, 0) || math.Abs(got-want) > logProbTol*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: LogProb(%g) = %.17g, want %.17g", c.name, y, got, want)
			}
		}
	}
	// 2-D by hand: one component, independent dimensions.
	m := Mixture{Weights: []float64{1}, Means: [][]float64{{1, -1}}, StdDevs: [][]float64{{2, 0.5}}}
	want := distuv.Normal{Mu: 1, Sigma: 2}.LogProb(0) + distuv.Normal{Mu: -1, Sigma: 0.5}.LogProb(0)
	if got := m.LogProb([]float64{0, 0}); math.Abs(got-want) > logProbTol {
		t.Errorf("2-D LogProb %.17g, want %.17g", got, want)
	}
}

// TestMoments compares Mean and Variance with numerical integration.
func TestMoments(t *testing.T) {
	for _, m := range []Mixture{bimodal, mix1([]float64{0.2, 0.5, 0.3}, []float64{-4, 0, 3}, []float64{0.3, 2, 0.7})} {
		pdf := func(y float64) float64 { return math.Exp(m.LogProb([]float64{y})) }
		mean := quad.Fixed(func(y float64) float64 { return y * pdf(y) }, -40, 40, 4000, nil, 0)
		vari := quad.Fixed(func(y float64) float64 { return (y - mean) * (y - mean) * pdf(y) }, -40, 40, 4000, nil, 0)
		if got := m.Mean()[0]; math.Abs(got-mean) > 1e-9 {
			t.Errorf("Mean %.12g, integral %.12g", got, mean)
		}
		if got := m.Variance()[0]; math.Abs(got-vari) > 1e-8*vari {
			t.Errorf("Variance %.12g, integral %.12g", got, vari)
		}
	}
}

func TestMode(t *testing.T) {
	grid := func(m Mixture, lo, hi float64) float64 {
		best, arg := math.Inf(-1), 0.0
		for i := 0; i <= 200000; i++ {
			y := lo + (hi-lo)*float64(i)/200000
			if lp := m.LogProb([]float64{y}); lp > best {
				best, arg = lp, y
			}
		}
		return arg
	}
	// The heavy component is broad; the light one narrow and denser: the mode is the
	// light one's, not the heaviest mean.
	m := mix1([]float64{0.8, 0.2}, []float64{0, 5}, []float64{3, 0.1})
	if got := m.Mode()[0]; math.Abs(got-5) > 1e-3 {
		t.Errorf("Mode = %g, want ≈ 5 (the narrow component)", got)
	}
	// Heavily overlapping components: the mode lies between the means.
	m = mix1([]float64{0.6, 0.4}, []float64{0, 1}, []float64{1, 1})
	want := grid(m, -1, 2)
	if got := m.Mode()[0]; math.Abs(got-want) > 1e-4 || got <= 0 || got >= 1 {
		t.Errorf("overlapping Mode = %g, grid search %g", got, want)
	}
	// 2-D: the mode of two well-separated components is the denser one's mean.
	m2 := Mixture{Weights: []float64{0.5, 0.5}, Means: [][]float64{{-5, -5}, {5, 5}}, StdDevs: [][]float64{{1, 1}, {0.5, 0.5}}}
	if got := m2.Mode(); math.Abs(got[0]-5) > 1e-6 || math.Abs(got[1]-5) > 1e-6 {
		t.Errorf("2-D Mode = %v, want ≈ (5, 5)", got)
	}
}

func TestCDFAndQuantile(t *testing.T) {
	for _, y := range []float64{-5, -2, 0, 1.5, 6} {
		want := 0.3*distuv.Normal{Mu: -2, Sigma: 0.5}.CDF(y) + 0.7*distuv.Normal{Mu: 1.5, Sigma: 1.2}.CDF(y)
		if got := bimodal.CDF(y); math.Abs(got-want) > 1e-14 {
			t.Errorf("CDF(%g) = %.17g, want %.17g", y, got, want)
		}
	}
	for _, p := range []float64{1e-10, 1e-4, 0.01, 0.3, 0.5, 0.77, 0.99, 1 - 1e-10} {
		q := bimodal.Quantile(p)
		if got := bimodal.CDF(q); math.Abs(got-p) > 1e-12*math.Max(p, 1e-3) && math.Abs(got-p) > 1e-15 {
			t.Errorf("CDF(Quantile(%g)) = %.17g", p, got)
		}
	}
	if !math.IsInf(bimodal.Quantile(0), -1) || !math.IsInf(bimodal.Quantile(1), 1) || !math.IsNaN(bimodal.Quantile(1.5)) || !math.IsNaN(bimodal.Quantile(math.NaN())) {
		t.Error("Quantile at 0, 1, 1.5 or NaN")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "one-dimensional") {
			t.Errorf("CDF of a 2-D mixture: %v", r)
		}
	}()
	Mixture{Weights: []float64{1}, Means: [][]float64{{0, 0}}, StdDevs: [][]float64{{1, 1}}}.CDF(0)
}

// TestSampleMoments: sample mean and variance within 5 standard errors of Mean and
// Variance (seed 1, n = 200000).
func TestSampleMoments(t *testing.T) {
	const n = 200000
	m := Mixture{Weights: []float64{0.2, 0.5, 0.3}, Means: [][]float64{{-3, 1}, {0, 0}, {4, -2}}, StdDevs: [][]float64{{0.5, 1}, {1, 0.3}, {0.7, 0.7}}}
	s := m.Sample(graph.NewRand(1), n, 1)
	mean, vari := m.Mean(), m.Variance()
	for j := 0; j < 2; j++ {
		sm, sv := 0.0, 0.0
		for _, x := range s {
			sm += x[j]
		}
		sm /= n
		for _, x := range s {
			sv += (x[j] - sm) * (x[j] - sm)
		}
		sv /= n - 1
		if se := math.Sqrt(vari[j] / n); math.Abs(sm-mean[j]) > 5*se {
			t.Errorf("dim %d: sample mean %g, Mean %g ± %g (seed 1)", j, sm, mean[j], 5*se)
		}
		// var of the sample variance ≈ (μ4 − σ⁴)/n; bound μ4 by the mixture's crude 10σ⁴.
		if se := math.Sqrt(10 * vari[j] * vari[j] / n); math.Abs(sv-vari[j]) > 5*se {
			t.Errorf("dim %d: sample variance %g, Variance %g ± %g (seed 1)", j, sv, vari[j], 5*se)
		}
	}
}

// TestSampleOneComponentPerDraw: all dimensions of a draw come from one component, so
// with components at (−5,−5) and (5,5) no draw lands near (−5, 5).
func TestSampleOneComponentPerDraw(t *testing.T) {
	m := Mixture{Weights: []float64{0.5, 0.5}, Means: [][]float64{{-5, -5}, {5, 5}}, StdDevs: [][]float64{{0.5, 0.5}, {0.5, 0.5}}}
	for i, x := range m.Sample(graph.NewRand(2), 20000, 1) {
		if x[0]*x[1] < 0 {
			t.Fatalf("draw %d = %v mixes components", i, x)
		}
	}
}

// TestSampleKS: a Kolmogorov–Smirnov test of 1-D draws against CDF at α = 0.001.
func TestSampleKS(t *testing.T) {
	const n = 5000
	s := bimodal.Sample(graph.NewRand(3), n, 1)
	v := make([]float64, n)
	for i, x := range s {
		v[i] = x[0]
	}
	sort.Float64s(v)
	d := 0.0
	for i, y := range v {
		f := bimodal.CDF(y)
		d = math.Max(d, math.Max(f-float64(i)/n, float64(i+1)/n-f))
	}
	crit := math.Sqrt(-0.5*math.Log(0.001/2)) / math.Sqrt(n) // asymptotic KS critical value
	if d > crit {
		t.Errorf("KS statistic %.4g above the α=0.001 critical value %.4g (seed 3)", d, crit)
	}
}

func TestSampleTemperature(t *testing.T) {
	const n = 50000
	m := mix1([]float64{0.7, 0.3}, []float64{0, 10}, []float64{1, 1})
	frac := func(tau float64) (heavy, spread float64) {
		s := m.Sample(graph.NewRand(4), n, tau)
		var dev []float64
		for _, x := range s {
			if x[0] < 5 {
				heavy++
				dev = append(dev, x[0])
			}
		}
		sd := 0.0
		for _, x := range dev {
			sd += x * x
		}
		return heavy / n, math.Sqrt(sd / float64(len(dev)))
	}
	h1, s1 := frac(1)
	if math.Abs(h1-0.7) > 0.01 || math.Abs(s1-1) > 0.02 {
		t.Errorf("τ = 1: heavy fraction %g (want 0.7), spread %g (want 1)", h1, s1)
	}
	h, s := frac(0.25) // weights ∝ π⁴: 0.7⁴/(0.7⁴+0.3⁴) ≈ 0.967; σ√τ = 0.5
	if math.Abs(h-0.9674) > 0.01 || math.Abs(s-0.5) > 0.02 {
		t.Errorf("τ = 0.25: heavy fraction %g (want 0.967), spread %g (want 0.5)", h, s)
	}
	defer func() {
		if recover() == nil {
			t.Error("temperature 0 did not panic")
		}
	}()
	m.Sample(graph.NewRand(1), 1, 0)
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		m    Mixture
		want string
	}{
		{Mixture{}, "no components"},
		{mix1([]float64{0.5, 0.6}, []float64{0, 1}, []float64{1, 1}), "sum to"},
		{mix1([]float64{-0.5, 1.5}, []float64{0, 1}, []float64{1, 1}), "weight 0 is -0.5"},
		{mix1([]float64{0.5, 0.5}, []float64{0, math.NaN()}, []float64{1, 1}), "component 1 mean 0 is NaN"},
		{mix1([]float64{0.5, 0.5}, []float64{0, 1}, []float64{1, 0}), "component 1 standard deviation 0 is 0"},
	} {
		if err := c.m.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate: %v, want %q", err, c.want)
		}
	}
	if err := bimodal.Validate(); err != nil {
		t.Error(err)
	}
}

// TestStdDev checks StdDev against √Variance bit for bit on ordinary mixtures (one and
// two dimensions, a component of weight 0 included), its exact equivariance under a
// power-of-two change of units, and that it stays finite at 1e300, where the variance
// overflows (predict's std column was +Inf there, and the row an error).
func TestStdDev(t *testing.T) {
	two := Mixture{
		Weights: []float64{0.2, 0.5, 0.3, 0},
		Means:   [][]float64{{-1, 4}, {0, -2}, {4, 0.5}, {1e5, 3}},
		StdDevs: [][]float64{{0.1, 1}, {2, 0.01}, {0.3, 3}, {1, 1}},
	}
	for mi, m := range []Mixture{bimodal, mix1([]float64{1}, []float64{3}, []float64{0.25}), two} {
		want := m.Variance()
		for j := range want {
			want[j] = math.Sqrt(want[j])
		}
		if got := m.StdDev(); !slices.Equal(got, want) {
			t.Errorf("mixture %d: StdDev %v, √Variance %v", mi, got, want)
		}
		for _, scale := range []float64{0x1p900, 0x1p-900, 1e300} {
			s := Mixture{Weights: m.Weights}
			for c := range m.Means {
				mu, sd := make([]float64, len(m.Means[c])), make([]float64, len(m.Means[c]))
				for j := range mu {
					mu[j], sd[j] = m.Means[c][j]*scale, m.StdDevs[c][j]*scale
				}
				s.Means, s.StdDevs = append(s.Means, mu), append(s.StdDevs, sd)
			}
			got := s.StdDev()
			exact := scale != 1e300
			for j := range want {
				if exact && got[j] != want[j]*scale || !exact && !(math.Abs(got[j]-want[j]*scale) <= 1e-13*want[j]*scale) {
					t.Errorf("mixture %d, units × %g: StdDev[%d] %g, want %g", mi, scale, j, got[j], want[j]*scale)
				}
			}
		}
	}
}

// TestModeScaled checks that Mode is equivariant under a change of units and finds the
// mode at scales where σ² overflows or underflows (before, the steps' weights became 0/0
// at 1e300 and Mode returned 0, and at 1e-300 it stopped after one step, its tolerance
// being absolute below 1).
func TestModeScaled(t *testing.T) {
	narrow := mix1([]float64{0.4, 0.6}, []float64{0, 3}, []float64{0.2, 2})
	for mi, m := range []Mixture{bimodal, narrow, mix1([]float64{1}, []float64{-7}, []float64{3})} {
		want := m.Mode()[0]
		for _, scale := range []float64{0x1p900, 0x1p-900, 1e300, 1e-300} {
			s := Mixture{Weights: m.Weights}
			for c := range m.Means {
				s.Means = append(s.Means, []float64{m.Means[c][0] * scale})
				s.StdDevs = append(s.StdDevs, []float64{m.StdDevs[c][0] * scale})
			}
			// Not to the bit: the log densities' −log σ terms round differently.
			if got := s.Mode()[0]; !(math.Abs(got-want*scale) <= 1e-11*math.Abs(want*scale)) {
				t.Errorf("mixture %d, units × %g: mode %g, want %g", mi, scale, got, want*scale)
			}
		}
	}
}

// refMode is Mode's mean-shift without its shortcuts: every start iterated to
// convergence, the densest converged point kept (diagonal mixtures).
func refMode(m Mixture) []float64 {
	d := m.Dim()
	var best []float64
	bestLP := math.Inf(-1)
	for start := range m.Weights {
		y := append([]float64(nil), m.Means[start]...)
		for range modeMaxIter {
			lps := make([]float64, m.K())
			mx := math.Inf(-1)
			for c := range m.Weights {
				lps[c] = m.componentLogDensity(c, y)
				mx = math.Max(mx, lps[c])
			}
			num, den := make([]float64, d), make([]float64, d)
			for c := range m.Weights {
				g := math.Exp(lps[c] - mx)
				for j := range d {
					p := g / (m.StdDevs[c][j] * m.StdDevs[c][j])
					num[j] += p * m.Means[c][j]
					den[j] += p
				}
			}
			moved := 0.0
			for j := range d {
				next := num[j] / den[j]
				moved = math.Max(moved, math.Abs(next-y[j])/math.Max(1, math.Abs(y[j])))
				y[j] = next
			}
			if moved < 1e-14 {
				break
			}
		}
		if lp := m.LogProb(y); lp > bestLP {
			bestLP, best = lp, y
		}
	}
	return best
}

// TestModeMatchesPlainMeanShift checks Mode, whose starts stop once their path reaches a
// mode an earlier start found, against the plain mean-shift from every start, on random
// mixtures shaped like ensembles' (groups of nearby components of mixed widths), in one
// and two dimensions.
func TestModeMatchesPlainMeanShift(t *testing.T) {
	rng := graph.NewRand(31)
	for trial := range 300 {
		d := 1 + trial%2
		k := 1 + rng.IntN(40)
		m := Mixture{}
		centres := []float64{rng.NormFloat64() * 3, rng.NormFloat64() * 3, rng.NormFloat64() * 3}
		for range k {
			w := rng.Float64() + 0.01
			mu, sd := make([]float64, d), make([]float64, d)
			for j := range d {
				mu[j] = centres[rng.IntN(3)] + 0.3*rng.NormFloat64()
				sd[j] = math.Exp(rng.NormFloat64() - 0.5)
			}
			m.Weights, m.Means, m.StdDevs = append(m.Weights, w), append(m.Means, mu), append(m.StdDevs, sd)
		}
		sum := 0.0
		for _, w := range m.Weights {
			sum += w
		}
		for c := range m.Weights {
			m.Weights[c] /= sum
		}
		got, want := m.Mode(), refMode(m)
		if gl, wl := m.LogProb(got), m.LogProb(want); gl < wl-1e-12*math.Max(1, math.Abs(wl)) {
			t.Fatalf("trial %d (K = %d, D = %d): mode %v with log p %.15g, plain mean-shift %v with %.15g", trial, k, d, got, gl, want, wl)
		}
		for j := range got {
			if math.Abs(got[j]-want[j]) > 1e-8*math.Max(1, math.Abs(want[j])) {
				t.Errorf("trial %d (K = %d, D = %d): mode %v, plain mean-shift %v", trial, k, d, got, want)
				break
			}
		}
	}
}

// TestIllinois checks the bracket narrowing Quantile starts with: it keeps f(lo) <
// target ≤ f(hi), ends at most illinoisUlps floats wide within illinoisMaxSteps
// evaluations on smooth functions, and keeps the bracket with infinite values at an end
// (which rule out interpolation) and with a root at 0.
func TestIllinois(t *testing.T) {
	cases := []struct {
		name           string
		f              func(float64) float64
		target, lo, hi float64
	}{
		{"cubic", func(y float64) float64 { return y*y*y + y }, 3, -10, 10},
		{"steep log CDF", func(y float64) float64 { return logStdNormalCDF(y) }, math.Log(1e-300), -100, 0},
		{"root at 0", func(y float64) float64 { return y }, 0, -1, 1},
		{"infinite low end", func(y float64) float64 {
			if y < -5 {
				return math.Inf(-1)
			}
			return y
		}, 0.5, -1e300, 1e300},
	}
	for _, c := range cases {
		evals := 0
		f := func(y float64) float64 { evals++; return c.f(y) }
		lo, hi := Mixture{}.illinois(f, c.target, c.lo, c.hi)
		if !(c.f(lo) < c.target && c.f(hi) >= c.target && lo < hi) {
			t.Errorf("%s: bracket [%g, %g] lost the root (f = %g, %g, target %g)", c.name, lo, hi, c.f(lo), c.f(hi), c.target)
		}
		// At a root of exactly 0, or with −Inf at an end, the steps fall back to halving
		// the floats' order, which the bisection after them continues.
		if w := uint64(orderedBits(hi)) - uint64(orderedBits(lo)); w > illinoisUlps && c.name != "infinite low end" && c.name != "root at 0" {
			t.Errorf("%s: bracket [%g, %g] still %d floats wide after %d evaluations", c.name, lo, hi, w, evals)
		}
		if evals > illinoisMaxSteps+2 {
			t.Errorf("%s: %d evaluations", c.name, evals)
		}
	}
	// Not a bracket: returned as given, for the bisection to handle.
	if lo, hi := (Mixture{}).illinois(func(y float64) float64 { return y }, 5, 0, 1); lo != 0 || hi != 1 {
		t.Errorf("a non-bracket came back as [%g, %g]", lo, hi)
	}
}
