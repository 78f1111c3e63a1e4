package linear

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

const tol = 1e-9

// TestFitMatchesNormalEquations checks the fit of y = a + b x against the textbook
// closed form b = cov(x, y)/var(x), a = ȳ − b x̄, σ² = mean squared residual, and the NLL
// against distuv.Normal.
func TestFitMatchesNormalEquations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 50
	x, y := make([][]float64, n), make([][]float64, n)
	for i := range x {
		v := 10 * rng.Float64()
		x[i], y[i] = []float64{v}, []float64{3 - 2*v + rng.NormFloat64()}
	}
	var mx, my float64
	for i := range x {
		mx += x[i][0] / float64(n)
		my += y[i][0] / float64(n)
	}
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i][0] - mx) * (y[i][0] - my)
		sxx += (x[i][0] - mx) * (x[i][0] - mx)
	}
	b := sxy / sxx
	a := my - b*mx
	var rss float64
	for i := range x {
		r := y[i][0] - a - b*x[i][0]
		rss += r * r
	}
	s2 := rss / float64(n)
	m, err := Fit(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Variance()[0]; math.Abs(got-s2) > tol*s2 {
		t.Errorf("variance %g, want %g", got, s2)
	}
	for _, v := range []float64{-1, 0, 4.5} {
		if got, want := m.Predict([][]float64{{v}})[0][0], a+b*v; math.Abs(got-want) > tol*(1+math.Abs(want)) {
			t.Errorf("predict(%g) = %g, want %g", v, got, want)
		}
	}
	norm := distuv.Normal{Mu: 0, Sigma: math.Sqrt(s2)}
	want := 0.0
	for i := range x {
		want -= norm.LogProb(y[i][0]-a-b*x[i][0]) / float64(n)
	}
	got, err := m.NLL(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > tol*math.Abs(want) {
		t.Errorf("NLL %g, want %g", got, want)
	}
}

// TestCollinearAndConstant: a constant column and a duplicated column leave the fit of
// the others unchanged, the solve being minimum-norm.
func TestCollinearAndConstant(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 40
	x1, x3 := make([][]float64, n), make([][]float64, n)
	y := make([][]float64, n)
	for i := range x1 {
		v := rng.NormFloat64()
		x1[i] = []float64{v}
		x3[i] = []float64{v, 7, v}
		y[i] = []float64{1 + v + 0.1*rng.NormFloat64(), v}
	}
	m1, err := Fit(x1, y)
	if err != nil {
		t.Fatal(err)
	}
	m3, err := Fit(x3, y)
	if err != nil {
		t.Fatal(err)
	}
	p1, p3 := m1.Predict(x1), m3.Predict(x3)
	for i := range p1 {
		for d := range p1[i] {
			if math.Abs(p1[i][d]-p3[i][d]) > 1e-8 {
				t.Fatalf("row %d, target %d: %g with collinear columns, %g without", i, d, p3[i][d], p1[i][d])
			}
		}
	}
	if v := m1.Variance()[1]; !(v > 0) {
		t.Errorf("a perfectly fitted column has variance %g, want a positive floor", v)
	}
}

func TestFitErrors(t *testing.T) {
	if _, err := Fit(nil, nil); err == nil {
		t.Error("no rows: no error")
	}
	if _, err := Fit([][]float64{{1}, {2}}, [][]float64{{1}}); err == nil {
		t.Error("mismatched rows: no error")
	}
	if _, err := Fit([][]float64{{1}, {2, 3}}, [][]float64{{1}, {2}}); err == nil {
		t.Error("ragged rows: no error")
	}
}

// TestFitAtExtremeScales fits the same data in units of 1e±300, where squares overflow
// or underflow: the predictions scale and the NLL shifts by log(scale) (before, the
// inputs' standard deviations overflowed or underflowed, the fit ignored x and the
// variance left float64's range).
func TestFitAtExtremeScales(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n := 60
	x, y := make([][]float64, n), make([][]float64, n)
	for i := range x {
		v := rng.NormFloat64()
		x[i], y[i] = []float64{v, rng.NormFloat64()}, []float64{1 - 2*v + 0.3*rng.NormFloat64()}
	}
	m, err := Fit(x, y)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := m.NLL(x, y)
	pred := m.Predict(x)
	for _, scale := range []float64{1e300, 1e-300} {
		sx, sy := make([][]float64, n), make([][]float64, n)
		for i := range x {
			sx[i] = []float64{x[i][0] * scale, x[i][1] * scale}
			sy[i] = []float64{y[i][0] * scale}
		}
		s, err := Fit(sx, sy)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.NLL(sx, sy)
		if want := base + math.Log(scale); err != nil || math.Abs(got-want) > 1e-10*math.Abs(want) {
			t.Errorf("units × %g: NLL %g (%v), want %g", scale, got, err, want)
		}
		for i, p := range s.Predict(sx) {
			if math.Abs(p[0]-pred[i][0]*scale) > 1e-10*scale*(1+math.Abs(pred[i][0])) {
				t.Fatalf("units × %g: row %d predicted %g, want %g", scale, i, p[0], pred[i][0]*scale)
			}
		}
		if sd := s.StdDevs()[0]; math.Abs(sd-m.StdDevs()[0]*scale) > 1e-10*sd {
			t.Errorf("units × %g: σ %g, want %g", scale, sd, m.StdDevs()[0]*scale)
		}
	}
}

// TestInterpolates: N rows are fitted exactly by N − 1 independent inputs and the
// intercept, not by N − 2, nor by any number of copies of one input.
func TestInterpolates(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 10
	for _, c := range []struct {
		inputs int
		copies bool
		want   bool
		rank   int
	}{{n - 1, false, true, n}, {n + 5, false, true, n}, {n - 2, false, false, n - 1}, {n + 5, true, false, 2}} {
		x, y := make([][]float64, n), make([][]float64, n)
		for i := range x {
			x[i] = make([]float64, c.inputs)
			for j := range x[i] {
				x[i][j] = rng.NormFloat64()
				if c.copies {
					x[i][j] = x[i][0]
				}
			}
			y[i] = []float64{rng.NormFloat64()}
		}
		m, err := Fit(x, y)
		if err != nil {
			t.Fatal(err)
		}
		if m.Interpolates() != c.want || m.Rank() != c.rank {
			t.Errorf("%d inputs (copies %v) on %d rows: Interpolates %v, rank %d; want %v, %d", c.inputs, c.copies, n, m.Interpolates(), m.Rank(), c.want, c.rank)
		}
	}
}
