package mdn

import (
	"fmt"
	"math"
	"sort"
)

// CRPS returns the continuous ranked probability score of a one-dimensional mixture at
// the observation y,
//
//	CRPS(F, y) = ∫ (F(z) − 1{z ≥ y})² dz,
//
// in the closed form for a Gaussian mixture (Grimit, Gneiting, Berrocal and Johnson 2006,
// QJRMS 132):
//
//	CRPS = Σ_k π_k A(y − μ_k, σ²_k) − ½ Σ_j Σ_k π_j π_k A(μ_j − μ_k, σ²_j + σ²_k),
//	A(m, s²) = 2 s φ(m/s) + m (2Φ(m/s) − 1),
//
// with φ and Φ the standard normal density and CDF. It is in the units of y, lower is
// better, and for a point forecast it reduces to the absolute error. It panics for D ≠ 1.
//
// The sums run on y, the means and the standard deviations divided by a power of two
// near the largest of their magnitudes, and the result is scaled back: the same bits as
// the plain sums wherever those neither overflow nor underflow, and a finite score for
// values whose squares or differences would overflow (targets beyond about 1e154).
func (m Mixture) CRPS(y float64) float64 {
	m.mustBe1D("CRPS")
	a := func(mu, s2 float64) float64 {
		s := math.Sqrt(s2)
		if s == 0 {
			return math.Abs(mu)
		}
		z := mu / s
		return 2*s*math.Exp(-0.5*z*z)/math.Sqrt(2*math.Pi) + mu*math.Erf(z/math.Sqrt2)
	}
	big := math.Abs(y)
	for j, w := range m.Weights {
		if w != 0 {
			big = max(big, math.Abs(m.Means[j][0]), m.StdDevs[j][0])
		}
	}
	scale := pow2Above(big)
	y /= scale
	first, second := 0.0, 0.0
	for j, wj := range m.Weights {
		if wj == 0 {
			continue
		}
		mj, sj := m.Means[j][0]/scale, m.StdDevs[j][0]/scale
		first += wj * a(y-mj, sj*sj)
		for k, wk := range m.Weights {
			if wk == 0 {
				continue
			}
			sk := m.StdDevs[k][0] / scale
			second += wj * wk * a(mj-m.Means[k][0]/scale, sj*sj+sk*sk)
		}
	}
	return (first - 0.5*second) * scale
}

// PITBins is the number of equal-width bins of Calibration.Histogram.
const PITBins = 10

// Calibration summarises how well a model's predicted distributions of one target column
// match N observed values:
//
//   - PIT: the probability integral transforms u_i = F_i(y_i), which are uniform on
//     [0, 1] when the predictions are right; Histogram counts them in PITBins equal bins.
//   - KS: their Kolmogorov-Smirnov distance from the uniform distribution,
//     max_i max(i/N − u_(i), u_(i) − (i−1)/N) over the sorted u_(1) ≤ … ≤ u_(N).
//   - CRPS: the mean continuous ranked probability score (Mixture.CRPS).
//   - Coverage50 and Coverage90: the fractions of y_i inside the central 50 % and 90 %
//     intervals [Q_i((1−p)/2), Q_i((1+p)/2)], to be compared with 0.5 and 0.9; for a
//     continuous F_i that is (1−p)/2 ≤ u_i ≤ (1+p)/2.
type Calibration struct {
	N          int       `json:"n"`
	KS         float64   `json:"ks"`
	CRPS       float64   `json:"crps"`
	Coverage50 float64   `json:"coverage_50"`
	Coverage90 float64   `json:"coverage_90"`
	Histogram  []int     `json:"pit_histogram"`
	PIT        []float64 `json:"-"`
}

// Calibrate returns the calibration of the one-dimensional mixtures ms against the
// observations y (one each, at least one, every value finite).
func Calibrate(ms []Mixture, y []float64) (Calibration, error) {
	if len(ms) == 0 || len(ms) != len(y) {
		return Calibration{}, fmt.Errorf("mdn: calibration of %d mixtures against %d observations (want the same number, at least 1)", len(ms), len(y))
	}
	c := Calibration{N: len(y), Histogram: make([]int, PITBins), PIT: make([]float64, len(y))}
	in50, in90 := 0, 0
	for i, m := range ms {
		if m.Dim() != 1 {
			return Calibration{}, fmt.Errorf("mdn: calibration needs one-dimensional mixtures, row %d has %d dimensions", i, m.Dim())
		}
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
			return Calibration{}, fmt.Errorf("mdn: calibration: observation %d is %g", i, y[i])
		}
		u := m.CDF(y[i])
		c.PIT[i] = u
		c.Histogram[min(PITBins-1, int(u*PITBins))]++
		if u >= 0.25 && u <= 0.75 {
			in50++
		}
		if u >= 0.05 && u <= 0.95 {
			in90++
		}
		c.CRPS += m.CRPS(y[i])
	}
	n := float64(len(y))
	c.CRPS /= n
	c.Coverage50, c.Coverage90 = float64(in50)/n, float64(in90)/n
	sorted := append([]float64(nil), c.PIT...)
	sort.Float64s(sorted)
	for i, u := range sorted {
		c.KS = math.Max(c.KS, math.Max(float64(i+1)/n-u, u-float64(i)/n))
	}
	return c, nil
}

// CalibrateColumns returns the calibration of each target column d of D-dimensional
// mixtures, scored with the marginal mixture of y_d (Mixture.Marginal) against y[i][d].
func CalibrateColumns(ms []Mixture, y [][]float64) ([]Calibration, error) {
	if len(ms) == 0 || len(ms) != len(y) {
		return nil, fmt.Errorf("mdn: calibration of %d mixtures against %d observations (want the same number, at least 1)", len(ms), len(y))
	}
	d := ms[0].Dim()
	out := make([]Calibration, d)
	col := make([]float64, len(y))
	marg := make([]Mixture, len(ms))
	for j := 0; j < d; j++ {
		for i, m := range ms {
			if m.Dim() != d || len(y[i]) != d {
				return nil, fmt.Errorf("mdn: calibration: row %d has a %d-dimensional mixture and %d observed values (want %d)", i, m.Dim(), len(y[i]), d)
			}
			marg[i] = m.Marginal(j)
			col[i] = y[i][j]
		}
		c, err := Calibrate(marg, col)
		if err != nil {
			return nil, err
		}
		out[j] = c
	}
	return out, nil
}
