package mdn

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// numericCDF and numericCRPS integrate the mixture's density directly (composite Simpson
// on a fine grid), independently of the closed forms under test.
func mixtureDensity(m Mixture, z float64) float64 {
	p := 0.0
	for k, w := range m.Weights {
		s := m.StdDevs[k][0]
		d := (z - m.Means[k][0]) / s
		p += w * math.Exp(-0.5*d*d) / (s * math.Sqrt(2*math.Pi))
	}
	return p
}

// gridCDF returns the grid and the CDF at each grid point, by cumulative Simpson's rule
// over pairs of intervals (and the trapezoid for the last odd one).
func gridCDF(m Mixture, lo, hi float64, n int) (z, f []float64) {
	h := (hi - lo) / float64(n)
	z, f = make([]float64, n+1), make([]float64, n+1)
	for i := range z {
		z[i] = lo + float64(i)*h
	}
	for i := 1; i <= n; i++ {
		a, b := z[i-1], z[i]
		f[i] = f[i-1] + (b-a)/6*(mixtureDensity(m, a)+4*mixtureDensity(m, (a+b)/2)+mixtureDensity(m, b))
	}
	return z, f
}

func numericCRPS(m Mixture, y, lo, hi float64, n int) float64 {
	// Split at y, where the integrand jumps: ∫_lo^y F² dz + ∫_y^hi (1 − F)² dz.
	za, fa := gridCDF(m, lo, y, n)
	zb, fb := gridCDF(m, y, hi, n)
	fy := fa[len(fa)-1]
	s := 0.0
	for i := 1; i < len(za); i++ {
		s += 0.5 * (za[i] - za[i-1]) * (fa[i-1]*fa[i-1] + fa[i]*fa[i])
	}
	for i := 1; i < len(zb); i++ {
		g0, g1 := 1-fy-fb[i-1], 1-fy-fb[i]
		s += 0.5 * (zb[i] - zb[i-1]) * (g0*g0 + g1*g1)
	}
	return s
}

var calibrationMixtures = []Mixture{
	{Weights: []float64{1}, Means: [][]float64{{0.3}}, StdDevs: [][]float64{{1.5}}},
	{Weights: []float64{0.3, 0.7}, Means: [][]float64{{-2}, {1}}, StdDevs: [][]float64{{0.5}, {1}}},
	{Weights: []float64{0.2, 0.5, 0.3}, Means: [][]float64{{-1}, {0}, {4}}, StdDevs: [][]float64{{0.1}, {2}, {0.3}}},
	{Weights: []float64{0.999, 0.001}, Means: [][]float64{{0}, {3}}, StdDevs: [][]float64{{1e-2}, {5}}},
}

// crpsTol bounds the closed form's distance from the integral (the grid's error).
const crpsTol = 1e-6

func TestCRPSMatchesIntegral(t *testing.T) {
	for mi, m := range calibrationMixtures {
		for _, y := range []float64{-3, -0.95, 0, 0.4, 2.5, 6} {
			got := m.CRPS(y)
			want := numericCRPS(m, y, -40, 40, 400000)
			if math.Abs(got-want) > crpsTol*(1+want) {
				t.Errorf("mixture %d, y=%g: CRPS %.10g, integral %.10g", mi, y, got, want)
			}
		}
	}
	// A point-like forecast scores the absolute error.
	pt := Mixture{Weights: []float64{1}, Means: [][]float64{{2}}, StdDevs: [][]float64{{1e-9}}}
	if got := pt.CRPS(5); math.Abs(got-3) > 1e-8 {
		t.Errorf("point forecast at 2, y=5: CRPS %g, want 3", got)
	}
}

func TestCalibrateMatchesIntegral(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var ms []Mixture
	var ys []float64
	for i := 0; i < 40; i++ {
		m := calibrationMixtures[i%len(calibrationMixtures)]
		ms = append(ms, m)
		ys = append(ys, -3+8*rng.Float64())
	}
	c, err := Calibrate(ms, ys)
	if err != nil {
		t.Fatal(err)
	}
	var pit []float64
	in50, in90, crps := 0, 0, 0.0
	for i, m := range ms {
		z, f := gridCDF(m, -40, ys[i], 200000)
		u := f[len(f)-1]
		_ = z
		if math.Abs(u-c.PIT[i]) > 1e-7 {
			t.Errorf("row %d: PIT %.10g, integral %.10g", i, c.PIT[i], u)
		}
		pit = append(pit, u)
		// Central intervals from the integrated CDF: y is inside iff F(y) lies between
		// the interval's probabilities.
		if u >= 0.25 && u <= 0.75 {
			in50++
		}
		if u >= 0.05 && u <= 0.95 {
			in90++
		}
		crps += numericCRPS(m, ys[i], -40, 40, 100000)
	}
	n := float64(len(ys))
	if got, want := c.Coverage50, float64(in50)/n; got != want {
		t.Errorf("coverage 50 %% %g, want %g", got, want)
	}
	if got, want := c.Coverage90, float64(in90)/n; got != want {
		t.Errorf("coverage 90 %% %g, want %g", got, want)
	}
	if math.Abs(c.CRPS-crps/n) > 1e-5 {
		t.Errorf("mean CRPS %g, integral %g", c.CRPS, crps/n)
	}
	// KS by brute force: the largest gap between the empirical CDF of the PIT values and
	// the uniform CDF, just before and at each jump.
	sort.Float64s(pit)
	ks := 0.0
	for i, u := range pit {
		ks = math.Max(ks, math.Abs(float64(i)/n-u))
		ks = math.Max(ks, math.Abs(float64(i+1)/n-u))
	}
	if math.Abs(c.KS-ks) > 1e-6 {
		t.Errorf("KS %g, brute force %g", c.KS, ks)
	}
	total := 0
	for _, h := range c.Histogram {
		total += h
	}
	if total != len(ys) {
		t.Errorf("histogram holds %d values, want %d", total, len(ys))
	}
}

// TestCalibratedForecasts: observations drawn from the forecast itself give PIT values
// close to uniform and coverage close to nominal.
func TestCalibratedForecasts(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	m := calibrationMixtures[2]
	n := 4000
	ms, ys := make([]Mixture, n), make([]float64, n)
	for i := range ys {
		ms[i] = m
		ys[i] = m.Sample(rng, 1, 1)[0][0]
	}
	c, err := Calibrate(ms, ys)
	if err != nil {
		t.Fatal(err)
	}
	if c.KS > 0.03 || math.Abs(c.Coverage50-0.5) > 0.03 || math.Abs(c.Coverage90-0.9) > 0.02 {
		t.Errorf("self-drawn observations: KS %g, coverage %g and %g", c.KS, c.Coverage50, c.Coverage90)
	}
}

func TestCalibrateColumnsAndErrors(t *testing.T) {
	m2 := Mixture{Weights: []float64{0.4, 0.6}, Means: [][]float64{{0, 5}, {1, -5}}, StdDevs: [][]float64{{1, 2}, {0.5, 1}}}
	cs, err := CalibrateColumns([]Mixture{m2, m2}, [][]float64{{0.2, 4}, {1, -6}})
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := Calibrate([]Mixture{m2.Marginal(1), m2.Marginal(1)}, []float64{4, -6})
	if len(cs) != 2 || cs[1].CRPS != c1.CRPS || cs[1].KS != c1.KS {
		t.Errorf("column 1: %+v, want %+v", cs[1], c1)
	}
	if _, err := Calibrate(nil, nil); err == nil {
		t.Error("no rows: no error")
	}
	if _, err := Calibrate([]Mixture{calibrationMixtures[0]}, []float64{math.NaN()}); err == nil {
		t.Error("NaN observation: no error")
	}
	if _, err := Calibrate([]Mixture{m2}, []float64{1}); err == nil {
		t.Error("2-D mixture: no error")
	}
}

// plainCRPS is the closed form summed without rescaling, as CRPS computed it before it
// scaled its operands.
func plainCRPS(m Mixture, y float64) float64 {
	a := func(mu, s2 float64) float64 {
		s := math.Sqrt(s2)
		z := mu / s
		return 2*s*math.Exp(-0.5*z*z)/math.Sqrt(2*math.Pi) + mu*math.Erf(z/math.Sqrt2)
	}
	first, second := 0.0, 0.0
	for j, wj := range m.Weights {
		sj := m.StdDevs[j][0]
		first += wj * a(y-m.Means[j][0], sj*sj)
		for k, wk := range m.Weights {
			sk := m.StdDevs[k][0]
			second += wj * wk * a(m.Means[j][0]-m.Means[k][0], sj*sj+sk*sk)
		}
	}
	return first - 0.5*second
}

// TestCRPSScaled checks that CRPS's rescaling changes no bit of the plain closed form on
// ordinary values, that it is exactly equivariant under a power-of-two change of units,
// and that targets and spreads whose squares overflow (1e300) still score finitely,
// scale times the score in ordinary units (before, such a CRPS was NaN, and the train
// command failed writing it to config.json).
func TestCRPSScaled(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for mi, m := range calibrationMixtures {
		for _, y := range []float64{-3, -0.95, 0, 0.4, 2.5, 6, 1e6 * rng.NormFloat64()} {
			got, want := m.CRPS(y), plainCRPS(m, y)
			if got != want {
				t.Errorf("mixture %d, y=%g: CRPS %.17g, plain closed form %.17g", mi, y, got, want)
			}
			for _, scale := range []float64{0x1p900, 0x1p-900, 1e300} {
				s := Mixture{Weights: m.Weights, Means: make([][]float64, len(m.Means)), StdDevs: make([][]float64, len(m.StdDevs))}
				for k := range m.Means {
					s.Means[k] = []float64{m.Means[k][0] * scale}
					s.StdDevs[k] = []float64{m.StdDevs[k][0] * scale}
				}
				got := s.CRPS(y * scale)
				exact := scale == 0x1p900 || scale == 0x1p-900
				if exact && got != want*scale || !exact && !(math.Abs(got-want*scale) <= 1e-12*want*scale) {
					t.Errorf("mixture %d, y=%g, units × %g: CRPS %g, want %g", mi, y, scale, got, want*scale)
				}
			}
		}
	}
}
