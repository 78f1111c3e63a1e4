package mdn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/mixgraph/mixgraph/internal/vecmath"
)

// Mixture is a mixture of K Gaussians over R^D, the conditional density p(y|x) an MDN
// predicts for one input row. Its components are diagonal,
//
//	p(y) = Σ_k π_k Π_d N(y_d | μ_kd, σ²_kd),
//
// or, when Cholesky is set, full: p(y) = Σ_k π_k N(y | μ_k, L_k L_kᵀ).
//
// LogWeights is optional. A model's Predict fills it with log π computed from the
// network's logits z as the stable log-softmax
//
//	log π_k = z_k − max_j z_j − log Σ_j exp(z_j − max_j z_j),
//
// which stays finite for a component whose π underflows to 0 (a logit more than about
// 745 below the largest). When present, LogProb, Mode, Quantile and Sample use it in
// place of log π, so that such a component keeps its (tiny) share of the density.
type Mixture struct {
	Weights    []float64   // π, K non-negative values summing to 1
	Means      [][]float64 // μ, K rows of D values
	StdDevs    [][]float64 // σ, K rows of D positive values
	LogWeights []float64   // log π, K values or nil (then log π is taken from Weights)
	// Cholesky is nil for diagonal components. For full ones it holds every component's
	// lower-triangular Cholesky factor L_k of Σ_k = L_k L_kᵀ: K rows of D·D values,
	// row-major (L_k[i][j] at i·D + j), zero above the diagonal and positive on it. Then
	// StdDevs must hold the marginal standard deviations √Σ_kdd = ‖row d of L_k‖
	// (FullMixture fills them in), so that Variance, Marginal, CDF and Quantile, which
	// need only the marginals, serve both kinds.
	Cholesky [][]float64
}

// FullMixture returns the mixture of full-covariance Gaussians with the given weights,
// means (K rows of D) and Cholesky factors (K rows of D·D, see Mixture.Cholesky), with
// StdDevs computed from the factors. It does not validate them (see Validate).
func FullMixture(weights []float64, means, cholesky [][]float64) Mixture {
	m := Mixture{Weights: weights, Means: means, Cholesky: cholesky, StdDevs: make([][]float64, len(cholesky))}
	for c, l := range cholesky {
		m.StdDevs[c] = choleskyStdDevs(l, len(means[c]))
	}
	return m
}

// choleskyStdDevs returns √Σ_dd = √(Σ_j L_dj²) for each row d of the D×D factor l.
func choleskyStdDevs(l []float64, d int) []float64 {
	out := make([]float64, d)
	for i := range out {
		// Scaled by the row's largest entry, so that neither squares nor sum overflow.
		mx := 0.0
		for _, v := range l[i*d : i*d+i+1] {
			mx = math.Max(mx, math.Abs(v))
		}
		if mx == 0 || math.IsInf(mx, 0) || math.IsNaN(mx) {
			out[i] = mx
			continue
		}
		s := 0.0
		for _, v := range l[i*d : i*d+i+1] {
			s += (v / mx) * (v / mx)
		}
		out[i] = mx * math.Sqrt(s)
	}
	return out
}

// stdDevTol bounds the relative mismatch between StdDevs and the Cholesky factors' rows.
const stdDevTol = 1e-12

// K is the number of components.
func (m Mixture) K() int { return len(m.Weights) }

// Dim is the dimension D of y.
func (m Mixture) Dim() int {
	if len(m.Means) == 0 {
		return 0
	}
	return len(m.Means[0])
}

// weightSumTol bounds |Σπ − 1|: float32 networks give weights rounded to float32.
const weightSumTol = 1e-6

// logWeightTol bounds |exp(log π_k) − π_k| / π_k for a mixture with LogWeights (beyond
// the absolute error of a subnormal π_k).
const logWeightTol = 1e-9

// Validate reports the first thing wrong with m: mismatched lengths, a weight that is
// negative or not finite, weights not summing to one, a log weight that is NaN or
// positive or disagrees with its weight, a mean that is not finite or a standard
// deviation that is not positive and finite; and for full components a Cholesky factor
// of the wrong size, not lower-triangular, with a diagonal entry that is not positive
// and finite or another entry that is not finite, or whose rows' norms are not StdDevs
// (to 1e-12 relative).
func (m Mixture) Validate() error {
	k := len(m.Weights)
	if k == 0 {
		return fmt.Errorf("mdn: mixture has no components")
	}
	if len(m.Means) != k || len(m.StdDevs) != k {
		return fmt.Errorf("mdn: mixture has %d weights, %d means and %d standard deviations", k, len(m.Means), len(m.StdDevs))
	}
	if m.LogWeights != nil && len(m.LogWeights) != k {
		return fmt.Errorf("mdn: mixture has %d weights and %d log weights", k, len(m.LogWeights))
	}
	for c, lw := range m.LogWeights {
		if math.IsNaN(lw) || lw > 0 {
			return fmt.Errorf("mdn: mixture log weight %d is %g", c, lw)
		}
		if w := m.Weights[c]; math.Abs(math.Exp(lw)-w) > logWeightTol*w+0x1p-1022 {
			return fmt.Errorf("mdn: mixture log weight %d is %g, but weight %d is %g", c, lw, c, w)
		}
	}
	d := len(m.Means[0])
	if d == 0 {
		return fmt.Errorf("mdn: mixture component 0 has no dimensions")
	}
	sum := 0.0
	for c, w := range m.Weights {
		if !(w >= 0) || math.IsInf(w, 1) {
			return fmt.Errorf("mdn: mixture weight %d is %g", c, w)
		}
		sum += w
		if len(m.Means[c]) != d || len(m.StdDevs[c]) != d {
			return fmt.Errorf("mdn: mixture component %d has %d means and %d standard deviations, want %d", c, len(m.Means[c]), len(m.StdDevs[c]), d)
		}
		for j := 0; j < d; j++ {
			if mu := m.Means[c][j]; math.IsNaN(mu) || math.IsInf(mu, 0) {
				return fmt.Errorf("mdn: mixture component %d mean %d is %g", c, j, mu)
			}
			if s := m.StdDevs[c][j]; !(s > 0) || math.IsInf(s, 1) {
				return fmt.Errorf("mdn: mixture component %d standard deviation %d is %g", c, j, s)
			}
		}
	}
	if math.Abs(sum-1) > weightSumTol {
		return fmt.Errorf("mdn: mixture weights sum to %.17g, not 1", sum)
	}
	if m.Cholesky != nil {
		return m.validateCholesky(d)
	}
	return nil
}

// validateCholesky checks the Cholesky factors of a mixture otherwise valid, of
// dimension d.
func (m Mixture) validateCholesky(d int) error {
	if len(m.Cholesky) != m.K() {
		return fmt.Errorf("mdn: mixture has %d weights and %d Cholesky factors", m.K(), len(m.Cholesky))
	}
	for c, l := range m.Cholesky {
		if len(l) != d*d {
			return fmt.Errorf("mdn: mixture component %d Cholesky factor has %d entries, want %d×%d", c, len(l), d, d)
		}
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				v := l[i*d+j]
				switch {
				case j > i && v != 0:
					return fmt.Errorf("mdn: mixture component %d Cholesky factor entry (%d,%d) above the diagonal is %g", c, i, j, v)
				case j == i && (!(v > 0) || math.IsInf(v, 1)):
					return fmt.Errorf("mdn: mixture component %d Cholesky factor diagonal entry %d is %g", c, i, v)
				case math.IsNaN(v) || math.IsInf(v, 0):
					return fmt.Errorf("mdn: mixture component %d Cholesky factor entry (%d,%d) is %g", c, i, j, v)
				}
			}
		}
		want := choleskyStdDevs(l, d)
		for i, w := range want {
			if got := m.StdDevs[c][i]; math.IsInf(w, 0) || math.Abs(got-w) > stdDevTol*w {
				return fmt.Errorf("mdn: mixture component %d standard deviation %d is %g, its Cholesky factor gives %g", c, i, got, w)
			}
		}
	}
	return nil
}

const logSqrt2Pi = 0.91893853320467274178032973640561763986139747363778 // ½ log 2π

// logWeight returns log π_c: LogWeights[c] when m has log weights, else log Weights[c].
func (m Mixture) logWeight(c int) float64 {
	if m.LogWeights != nil {
		return m.LogWeights[c]
	}
	return math.Log(m.Weights[c])
}

// componentLogDensity returns log π_c + log N(y | μ_c, diag σ_c²), or for a full
// component log π_c + log N(y | μ_c, L_c L_cᵀ) = log π_c − ½‖z‖² − Σ_d log L_cdd −
// (D/2) log 2π with z = L_c⁻¹(y − μ_c) by forward substitution.
func (m Mixture) componentLogDensity(c int, y []float64) float64 {
	lp := m.logWeight(c)
	if m.Cholesky != nil {
		var buf [16]float64
		z := buf[:0]
		if len(y) > len(buf) {
			z = make([]float64, 0, len(y))
		}
		z = z[:len(y)]
		l, d := m.Cholesky[c], len(y)
		for i := range z {
			r := y[i] - m.Means[c][i]
			for j := 0; j < i; j++ {
				r -= l[i*d+j] * z[j]
			}
			z[i] = r / l[i*d+i]
			lp -= logSqrt2Pi + math.Log(l[i*d+i]) + 0.5*z[i]*z[i]
		}
		return lp
	}
	for j, v := range y {
		s := m.StdDevs[c][j]
		z := (v - m.Means[c][j]) / s
		lp -= logSqrt2Pi + math.Log(s) + 0.5*z*z
	}
	return lp
}

// LogProb returns log p(y), computed as a max-shifted log-sum-exp over the components of
// log π_k + log N_k, so that a y far from every component gives a finite, accurate value;
// log π_k is LogWeights[k] when m has log weights, so a component whose π underflowed to
// 0 still counts. It panics if len(y) is not the mixture's dimension.
func (m Mixture) LogProb(y []float64) float64 {
	if len(y) != m.Dim() {
		panic(fmt.Sprintf("mdn: LogProb of a %d-vector under a %d-dimensional mixture", len(y), m.Dim()))
	}
	var buf [16]float64
	lps := buf[:0]
	mx := math.Inf(-1)
	for c := range m.Weights {
		lp := m.componentLogDensity(c, y)
		lps = append(lps, lp)
		mx = math.Max(mx, lp)
	}
	if math.IsInf(mx, -1) {
		return mx
	}
	s := 0.0
	for _, lp := range lps {
		s += math.Exp(lp - mx)
	}
	return mx + math.Log(s)
}

// Mean returns E[y] = Σ_k π_k μ_k.
func (m Mixture) Mean() []float64 {
	mean := make([]float64, m.Dim())
	for c, w := range m.Weights {
		for j, mu := range m.Means[c] {
			mean[j] += w * mu
		}
	}
	return mean
}

// Variance returns Var[y_d] for each dimension by the law of total variance,
//
//	Var[y_d] = Σ_k π_k σ²_kd + Σ_k π_k (μ_kd − E[y_d])²,
//
// the expected within-component variance plus the variance of the component means;
// both sums are of non-negative terms, so the result is never negative.
//
// It is the exact variance, and it can surprise: a component too light to move the
// quantiles but very broad dominates it through its term π_k σ²_kd. π = 1.7e−6 with
// σ = 53843 alone gives a standard deviation of 70 for a mixture whose 5–95 % interval
// is [−3.2, 0.5]. IQR is a robust spread that such a component barely moves.
func (m Mixture) Variance() []float64 {
	mean := m.Mean()
	v := make([]float64, len(mean))
	for c, w := range m.Weights {
		for j := range v {
			s := m.StdDevs[c][j]
			e := m.Means[c][j] - mean[j]
			v[j] += w * (s*s + e*e)
		}
	}
	return v
}

// pow2Above returns the power of two 2^e with 2^(e−1) ≤ x < 2^e, for finite x > 0, and 1
// otherwise (0, ±Inf, NaN): dividing by it brings x into [½, 1) without rounding, the
// scale CRPS, StdDev and Mode sum on.
func pow2Above(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) {
		return 1
	}
	_, e := math.Frexp(x)
	return math.Ldexp(1, e)
}

// StdDev returns the standard deviation √Var[y_d] of each dimension (Variance), summed on
// values divided by a power of two near the largest |μ_kd − E[y_d]| and σ_kd and scaled
// back: the same bits as the square root of Variance wherever that neither overflows nor
// underflows, and finite for a mixture in units where the variance itself overflows
// (standard deviations beyond about 1e154).
func (m Mixture) StdDev() []float64 {
	mean := m.Mean()
	sd := make([]float64, len(mean))
	for j := range sd {
		big := 0.0
		for c, w := range m.Weights {
			if w != 0 {
				big = max(big, m.StdDevs[c][j], math.Abs(m.Means[c][j]-mean[j]))
			}
		}
		scale := pow2Above(big)
		v := 0.0
		for c, w := range m.Weights {
			s := m.StdDevs[c][j] / scale
			e := (m.Means[c][j] - mean[j]) / scale
			v += w * (s*s + e*e)
		}
		sd[j] = math.Sqrt(v) * scale
	}
	return sd
}

// Covariance returns the D×D covariance matrix of y by the law of total covariance,
//
//	Cov[y] = Σ_k π_k Σ_k + Σ_k π_k (μ_k − E[y])(μ_k − E[y])ᵀ,
//
// the expected within-component covariance plus the covariance of the component means,
// with Σ_k = L_k L_kᵀ for full components and diag σ²_k for diagonal ones. Its diagonal
// is Variance. It is returned as D rows of D values, symmetric by construction.
func (m Mixture) Covariance() [][]float64 {
	mean := m.Mean()
	d := len(mean)
	cov := make([][]float64, d)
	for i := range cov {
		cov[i] = make([]float64, d)
	}
	e := make([]float64, d)
	for c, w := range m.Weights {
		for i := range e {
			e[i] = m.Means[c][i] - mean[i]
		}
		for i := 0; i < d; i++ {
			for j := 0; j <= i; j++ {
				s := 0.0
				if m.Cholesky != nil {
					l := m.Cholesky[c]
					for t := 0; t <= j; t++ {
						s += l[i*d+t] * l[j*d+t]
					}
				} else if i == j {
					s = m.StdDevs[c][i] * m.StdDevs[c][i]
				}
				cov[i][j] += w * (s + e[i]*e[j])
			}
		}
	}
	for i := 0; i < d; i++ {
		for j := 0; j < i; j++ {
			cov[j][i] = cov[i][j]
		}
	}
	return cov
}

// precisions returns every full component's precision matrix P_k = Σ_k⁻¹ = L_k⁻ᵀ L_k⁻¹
// (D·D, row-major) and P_k μ_k.
func (m Mixture) precisions() (p, pmu [][]float64) {
	d := m.Dim()
	inv := make([]float64, d*d)
	for c, l := range m.Cholesky {
		// L⁻¹, lower-triangular, column by column by forward substitution.
		clear(inv)
		for col := 0; col < d; col++ {
			for i := col; i < d; i++ {
				r := 0.0
				if i == col {
					r = 1
				}
				for j := col; j < i; j++ {
					r -= l[i*d+j] * inv[j*d+col]
				}
				inv[i*d+col] = r / l[i*d+i]
			}
		}
		pk := make([]float64, d*d)
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				s := 0.0
				for t := max(i, j); t < d; t++ {
					s += inv[t*d+i] * inv[t*d+j]
				}
				pk[i*d+j] = s
			}
		}
		v := make([]float64, d)
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				v[i] += pk[i*d+j] * m.Means[c][j]
			}
		}
		p, pmu = append(p, pk), append(pmu, v)
	}
	return p, pmu
}

// solveSPD solves a x = b in place (x returned in b) for a symmetric positive definite
// D×D matrix a (row-major, overwritten by its Cholesky factor). It reports false when a
// is not numerically positive definite.
func solveSPD(a, b []float64, d int) bool {
	for j := 0; j < d; j++ {
		s := a[j*d+j]
		for t := 0; t < j; t++ {
			s -= a[j*d+t] * a[j*d+t]
		}
		if !(s > 0) {
			return false
		}
		a[j*d+j] = math.Sqrt(s)
		for i := j + 1; i < d; i++ {
			r := a[i*d+j]
			for t := 0; t < j; t++ {
				r -= a[i*d+t] * a[j*d+t]
			}
			a[i*d+j] = r / a[j*d+j]
		}
	}
	for i := 0; i < d; i++ { // L w = b
		for t := 0; t < i; t++ {
			b[i] -= a[i*d+t] * b[t]
		}
		b[i] /= a[i*d+i]
	}
	for i := d - 1; i >= 0; i-- { // Lᵀ x = w
		for t := i + 1; t < d; t++ {
			b[i] -= a[t*d+i] * b[t]
		}
		b[i] /= a[i*d+i]
	}
	return true
}

// Mode tolerances: the fixed-point iteration stops when a step moves less than modeTol
// relative to the larger of the point's magnitude and the widest component's σ in that
// dimension (so that the rule is the same in any units), or after modeMaxIter steps.
const (
	modeTol     = 1e-12
	modeMaxIter = 1000
	modeMerge   = 1e-3
)

// Mode returns the densest point of the mixture: a local maximum of p(y) found by the
// Gaussian-mixture mean-shift fixed point
//
//	y ← (Σ_k γ_k(y) Σ_k⁻¹)⁻¹ Σ_k γ_k(y) Σ_k⁻¹ μ_k,  γ_k(y) ∝ π_k N(y | μ_k, Σ_k),
//
// (per dimension for diagonal covariances; for full ones by solving the D×D system with
// the precisions Σ_k⁻¹ = L_k⁻ᵀ L_k⁻¹), which increases p(y) at every step
// (Carreira-Perpiñán 2000, "Mode-finding for mixtures of Gaussian distributions"). It
// is started from every component mean; the converged point with the highest log p(y)
// wins, ties going to the lower component index. A start whose path comes within 10⁻³ of
// the narrowest σ (in every dimension) of a point an earlier start converged to is in
// that point's basin and stops there, which on an ensemble's mixture of a hundred
// components saves about two thirds of the work. This differs from the heaviest
// component's mean when a lighter, narrower component is denser.
func (m Mixture) Mode() []float64 {
	d := m.Dim()
	best := make([]float64, d)
	bestLP := math.Inf(-1)
	y := make([]float64, d)
	next := make([]float64, d)
	num := make([]float64, d)
	den := make([]float64, d)
	lps := make([]float64, m.K())
	var prec, precMu [][]float64
	var a []float64
	if m.Cholesky != nil {
		prec, precMu = m.precisions()
		a = make([]float64, d*d)
	}
	// unit[j] is a power of two at most every σ_kj: the diagonal steps weigh component k
	// by γ_k/(σ_kj/unit[j])², which scales numerator and denominator alike by unit[j]²
	// (the same bits) but neither overflows to 0 weights nor underflows to 1/0 when the
	// σ are beyond about 1e±154.
	// spread[j], the largest σ_kj, is the scale moves are measured against where the
	// point is nearer 0 than that, so that the stopping rule does not depend on the units.
	// narrow[j], the smallest σ_kj, is the scale below which two points are one mode:
	// a start whose path comes within modeMerge·narrow of a mode an earlier start
	// converged to is in that mode's basin, and stops (it would find the same point, and
	// ties go to the earlier start).
	unit, spread, narrow := make([]float64, d), make([]float64, d), make([]float64, d)
	for j := range unit {
		lo := math.Inf(1)
		for c := range m.Weights {
			lo = min(lo, m.StdDevs[c][j])
			spread[j] = max(spread[j], m.StdDevs[c][j])
		}
		unit[j] = pow2Above(lo) / 2
		narrow[j] = lo
	}
	// A diagonal component's log density is base[c] − ½ Σ_j ((y_j − μ_cj)·inv[c·d+j])², with
	// base[c] = log π_c − Σ_j (log √(2π) + log σ_cj) and inv the reciprocal σ; a step
	// weighs its mean by γ_c·precD[c·d+j] with precD = 1/(σ_cj/unit[j])². The components'
	// values sit in flat arrays, and the weights γ_c = exp(log density − max) of one step
	// are taken a vector register at a time (vecmath.Exp64).
	k := m.K()
	var base, mu, inv, precD []float64
	if prec == nil {
		base, mu, inv, precD = make([]float64, k), make([]float64, k*d), make([]float64, k*d), make([]float64, k*d)
		for c := range base {
			base[c] = m.logWeight(c)
			for j, s := range m.StdDevs[c] {
				base[c] -= logSqrt2Pi + math.Log(s)
				mu[c*d+j], inv[c*d+j] = m.Means[c][j], 1/s
				u := s / unit[j]
				precD[c*d+j] = 1 / (u * u)
			}
		}
	}
	gs := make([]float64, k)
	var found [][]float64
	for start := range m.Weights {
		copy(y, m.Means[start])
		merged := false
		for iter := 0; iter < modeMaxIter; iter++ {
			mx := math.Inf(-1)
			switch {
			case base != nil && d == 1:
				v := y[0]
				for c, b := range base {
					z := (v - mu[c]) * inv[c]
					lp := b - 0.5*z*z
					lps[c] = lp
					if lp > mx { // a NaN (from a NaN y) is no maximum, and stays NaN below
						mx = lp
					}
				}
			case base != nil:
				for c, b := range base {
					lp := b
					mc, ic := mu[c*d:(c+1)*d], inv[c*d:(c+1)*d]
					for j, v := range y {
						z := (v - mc[j]) * ic[j]
						lp -= 0.5 * z * z
					}
					lps[c] = lp
					if lp > mx {
						mx = lp
					}
				}
			default:
				for c := range lps {
					lps[c] = m.componentLogDensity(c, y)
					mx = max(mx, lps[c])
				}
			}
			for c := range lps {
				lps[c] -= mx
			}
			vecmath.Exp64(gs, lps)
			clear(num)
			clear(den)
			switch {
			case prec != nil:
				clear(a)
				for c, g := range gs {
					for i, v := range prec[c] {
						a[i] += g * v
					}
					for j, v := range precMu[c] {
						num[j] += g * v
					}
				}
				if !solveSPD(a, num, d) { // cannot happen for valid precisions; stay put
					copy(num, y)
				}
				for j := range den {
					den[j] = 1
				}
			case d == 1:
				n, dn := 0.0, 0.0
				for c, g := range gs {
					p := g * precD[c]
					n += p * mu[c]
					dn += p
				}
				num[0], den[0] = n, dn
			default:
				for c, g := range gs {
					for j := range d {
						p := g * precD[c*d+j]
						num[j] += p * mu[c*d+j]
						den[j] += p
					}
				}
			}
			moved := 0.0
			for j := 0; j < d; j++ {
				next[j] = num[j] / den[j]
				moved = math.Max(moved, math.Abs(next[j]-y[j])/math.Max(spread[j], math.Abs(y[j])))
			}
			copy(y, next)
			if moved < modeTol {
				break
			}
			for _, f := range found {
				near := true
				for j := range d {
					near = near && math.Abs(y[j]-f[j]) < modeMerge*narrow[j]
				}
				if near {
					merged = true
					break
				}
			}
			if merged {
				break
			}
		}
		if merged {
			continue
		}
		found = append(found, append([]float64(nil), y...))
		if lp := m.LogProb(y); lp > bestLP {
			bestLP = lp
			copy(best, y)
		}
	}
	return best
}

func (m Mixture) mustBe1D(what string) {
	if m.Dim() != 1 {
		panic(fmt.Sprintf("mdn: %s needs a one-dimensional mixture, this one has %d dimensions", what, m.Dim()))
	}
}

// CDF returns P(Y ≤ y) = Σ_k π_k Φ((y − μ_k)/σ_k) for a one-dimensional mixture, with
// Φ(z) = ½ erfc(−z/√2), accurate in both tails. It panics for D ≠ 1.
func (m Mixture) CDF(y float64) float64 {
	m.mustBe1D("CDF")
	p := 0.0
	for c, w := range m.Weights {
		z := (y - m.Means[c][0]) / m.StdDevs[c][0]
		p += w * 0.5 * math.Erfc(-z/math.Sqrt2)
	}
	return math.Min(p, 1)
}

// Quantile returns the y with CDF(y) = p for a one-dimensional mixture for every p in
// (0, 1), down to the smallest positive float64 and up to 1 − 2⁻⁵³: −Inf for p = 0, +Inf
// for p = 1, NaN for p outside [0, 1] or NaN. Its error is what rounding F (or 1 − F
// above the median) to about 1e−16 relative implies, usually a few ulps of y (more only
// for a y near 0 on the scale of the σ_k). It panics for D ≠ 1.
//
// It works in log space, so that neither tail underflows: for p ≤ ½ it solves
//
//	log F(y) = log p,  log F(y) = log Σ_k exp(log π_k + log Φ((y − μ_k)/σ_k)),
//
// and for p > ½ the same equation for the reflected mixture (means −μ_k) at 1 − p, which
// is exact in floating point, and negates the root. log Φ is logStdNormalCDF. The root
// lies between the smallest and largest component quantile μ_k + σ_k Φ⁻¹(p), with Φ⁻¹(p)
// from stdNormalQuantile; the bracket is widened until it holds the root, narrowed by
// Illinois steps (regula falsi) to a few hundred floats and bisected to adjacent floats.
func (m Mixture) Quantile(p float64) float64 {
	m.mustBe1D("Quantile")
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	}
	if p > 0.5 {
		return -m.lowerQuantile(math.Log(1-p), -1)
	}
	return m.lowerQuantile(math.Log(p), 1)
}

// lowerQuantile returns the y with log F_s(y) = lp for lp ≤ log ½, where F_s is the CDF
// of the mixture with means s·μ_k (s = ±1).
func (m Mixture) lowerQuantile(lp, s float64) float64 {
	// The log weights, and one buffer for every evaluation's terms (an ensemble's mixture
	// has a hundred).
	k := len(m.Weights)
	var buf [32]float64
	all := buf[:]
	if 2*k > len(buf) {
		all = make([]float64, 2*k)
	}
	lw, terms0 := all[:k:k], all[k:k:2*k]
	for c := range lw {
		lw[c] = m.logWeight(c)
	}
	logFAt := func(y float64) float64 {
		mx := math.Inf(-1)
		terms := terms0
		for c, l := range lw {
			t := l + logStdNormalCDF((y-s*m.Means[c][0])/m.StdDevs[c][0])
			terms = append(terms, t)
			mx = math.Max(mx, t)
		}
		if math.IsInf(mx, -1) {
			return mx
		}
		sum := 0.0
		for _, t := range terms {
			sum += math.Exp(t - mx)
		}
		return mx + math.Log(sum)
	}
	// The search asks again for values it had (the bracket's ends after widening it, after
	// the Illinois steps and after the bisection): the last logFMemo evaluations are
	// remembered, by y's bits.
	var memoY [logFMemo]uint64
	var memoF [logFMemo]float64
	memoN := 0
	logF := func(y float64) float64 {
		key := math.Float64bits(y)
		for i := range min(memoN, logFMemo) {
			if memoY[i] == key {
				return memoF[i]
			}
		}
		f := logFAt(y)
		memoY[memoN%logFMemo], memoF[memoN%logFMemo] = key, f
		memoN++
		return f
	}
	// Every component's quantile lies in [lo, hi], so the mixture's does too; z is only
	// nearly Φ⁻¹(p), so the bracket is checked and widened.
	z := stdNormalQuantile(lp)
	lo, hi, width := math.Inf(1), math.Inf(-1), 0.0
	for c := range m.Weights {
		q := s*m.Means[c][0] + m.StdDevs[c][0]*z
		lo, hi = math.Min(lo, q), math.Max(hi, q)
		width = math.Max(width, 1e-8*m.StdDevs[c][0]*(1+math.Abs(z)))
	}
	for step := width; logF(lo) > lp && lo > -math.MaxFloat64; step *= 2 {
		lo = math.Max(lo-step, -math.MaxFloat64)
	}
	for step := width; logF(hi) < lp && hi < math.MaxFloat64; step *= 2 {
		hi = math.Min(hi+step, math.MaxFloat64)
	}
	// Illinois steps (regula falsi on log F, halving the value kept at an end that stays
	// put twice) shrink the bracket in a few evaluations, keeping log F(lo) < lp ≤
	// log F(hi); bisection then finishes on adjacent floats, so the result is the one
	// bisection alone reaches wherever log F is monotone.
	lo, hi = m.illinois(logF, lp, lo, hi)
	// Bisect on the floats' order (orderedBits), so that at most 64 steps reach adjacent
	// floats even for a root at or near 0.
	klo, khi := orderedBits(lo), orderedBits(hi)
	for uint64(khi)-uint64(klo) > 1 { // the difference as unsigned: it may exceed 2⁶³
		kmid := klo + int64((uint64(khi)-uint64(klo))/2)
		if logF(fromOrderedBits(kmid)) < lp {
			klo = kmid
		} else {
			khi = kmid
		}
	}
	lo, hi = fromOrderedBits(klo), fromOrderedBits(khi)
	if math.Abs(logF(lo)-lp) < math.Abs(logF(hi)-lp) {
		return lo
	}
	return hi
}

// logFMemo is how many of its latest log F values Quantile's search remembers.
const logFMemo = 8

// illinoisMaxSteps bounds illinois' evaluations; it stops earlier once the bracket is
// illinoisUlps floats wide or less.
const (
	illinoisMaxSteps = 40
	illinoisUlps     = 256
)

// illinois narrows [lo, hi], with f(lo) < target ≤ f(hi) for a non-decreasing f, by the
// Illinois variant of regula falsi, and returns the narrower bracket with the same
// property. A step whose interpolated point is not strictly inside (an infinite or equal
// end value) bisects on the floats' order instead.
func (Mixture) illinois(f func(float64) float64, target, lo, hi float64) (float64, float64) {
	flo, fhi := f(lo)-target, f(hi)-target
	if !(flo < 0 && fhi >= 0) {
		return lo, hi // not a bracket: leave it to the bisection
	}
	side := 0
	for range illinoisMaxSteps {
		klo, khi := orderedBits(lo), orderedBits(hi)
		if uint64(khi)-uint64(klo) <= illinoisUlps {
			break
		}
		x := lo + (hi-lo)*(flo/(flo-fhi))
		if !(x > lo && x < hi) {
			x = fromOrderedBits(klo + int64((uint64(khi)-uint64(klo))/2))
		}
		fx := f(x) - target
		if fx < 0 {
			lo, flo = x, fx
			if side == -1 {
				fhi /= 2
			}
			side = -1
		} else {
			hi, fhi = x, fx
			if side == 1 {
				flo /= 2
			}
			side = 1
		}
	}
	return lo, hi
}

// orderedBits maps a float64 other than NaN to an integer of the same order, adjacent
// floats to adjacent integers (−0 and +0 both to 0); fromOrderedBits is its inverse.
func orderedBits(x float64) int64 {
	if x < 0 {
		return -int64(math.Float64bits(-x))
	}
	return int64(math.Float64bits(x))
}

func fromOrderedBits(k int64) float64 {
	if k < 0 {
		return -math.Float64frombits(uint64(-k))
	}
	return math.Float64frombits(uint64(k))
}

// millsTerms is how many terms of Mills' continued fraction logStdNormalCDF evaluates.
const millsTerms = 16

// logStdNormalCDF returns log Φ(z) for the standard normal CDF Φ, accurate to a few ulps
// of Φ's relative error for every z:
//
//   - z ≥ −30: log(½ erfc(−z/√2)); Φ(−30) ≈ 5e−198 is still a normal float64 and erfc
//     keeps its relative accuracy in the tail.
//   - z < −30: log Φ(z) = −z²/2 − ½ log 2π − log R(−z), with Mills' continued fraction
//     R(x) = x + 1/(x + 2/(x + 3/(x + …))) (Abramowitz & Stegun 26.2.14), evaluated
//     backwards from 16 terms: for x > 30 eight already give 64's bits (checked on 2·10⁷
//     arguments; TestLogStdNormalCDFTerms), so sixteen are exact to rounding.
func logStdNormalCDF(z float64) float64 {
	if z >= -30 || math.IsNaN(z) {
		return math.Log(0.5 * math.Erfc(-z/math.Sqrt2))
	}
	x := -z
	r := x
	for n := millsTerms; n >= 1; n-- {
		r = x + float64(n)/r
	}
	return -0.5*x*x - logSqrt2Pi - math.Log(r)
}

// stdNormalQuantile returns z ≈ Φ⁻¹(exp(lp)) for lp ≤ log ½ (z ≤ 0), to about 1e−14
// relative: a starting point — √2 erfinv(2p − 1) where 2p − 1 is well away from −1, else
// the tail approximation z = −√(t − log t − log 2π), t = −2 log p, from
// log Φ(z) ≈ −z²/2 − log(−z) − ½ log 2π — refined by Newton steps on log Φ(z) = lp, which
// converge monotonically as log Φ is concave.
func stdNormalQuantile(lp float64) float64 {
	var z float64
	if lp > -20 {
		z = math.Sqrt2 * math.Erfinv(2*math.Exp(lp)-1)
	} else {
		t := -2 * lp
		z = -math.Sqrt(t - math.Log(t) - 2*logSqrt2Pi)
	}
	for i := 0; i < 8; i++ {
		lf := logStdNormalCDF(z)
		// d log Φ / dz = φ(z)/Φ(z).
		step := (lf - lp) / math.Exp(-0.5*z*z-logSqrt2Pi-lf)
		if math.IsNaN(step) || math.IsInf(step, 0) {
			break
		}
		z -= step
		if math.Abs(step) <= 1e-15*math.Max(1, math.Abs(z)) {
			break
		}
	}
	return z
}

// Marginal returns the one-dimensional mixture of y_d: it has the same weights (and log
// weights) and the components' means μ_kd and standard deviations σ_kd, which for full
// components are the marginal √Σ_kdd (the marginal of N(μ, Σ) in dimension d is
// N(μ_d, Σ_dd)). It panics if d is not in [0, D).
func (m Mixture) Marginal(d int) Mixture {
	if d < 0 || d >= m.Dim() {
		panic(fmt.Sprintf("mdn: marginal %d of a %d-dimensional mixture", d, m.Dim()))
	}
	out := Mixture{Weights: m.Weights, LogWeights: m.LogWeights, Means: make([][]float64, m.K()), StdDevs: make([][]float64, m.K())}
	for c := range m.Weights {
		out.Means[c] = []float64{m.Means[c][d]}
		out.StdDevs[c] = []float64{m.StdDevs[c][d]}
	}
	return out
}

// IQR returns the interquartile range Q_d(¾) − Q_d(¼) of every dimension, with Q_d the
// quantile function of the marginal mixture of y_d (Marginal). Unlike the standard
// deviation it is robust: a component too light to move the quartiles does not change
// it, however broad it is.
func (m Mixture) IQR() []float64 {
	out := make([]float64, m.Dim())
	for d := range out {
		md := m.Marginal(d)
		out[d] = md.Quantile(0.75) - md.Quantile(0.25)
	}
	return out
}

// Sample draws n points. Each draw picks one component k with probability
// softmax_k(log π_k / τ) and draws all D dimensions from that component with standard
// deviations σ_k √τ (full components: μ_k + √τ L_k ε with ε ~ N(0, I), so with
// covariance τ Σ_k and its correlations). τ = 1 samples the mixture itself; τ < 1 favours the heavier
// components and narrows them (τ → 0 tends to the heaviest mean); τ > 1 flattens. It
// panics for τ ≤ 0 or n < 0.
func (m Mixture) Sample(rng *rand.Rand, n int, temperature float64) [][]float64 {
	if !(temperature > 0) || math.IsInf(temperature, 1) {
		panic(fmt.Sprintf("mdn: sampling temperature %g (want a finite value > 0)", temperature))
	}
	if n < 0 {
		panic(fmt.Sprintf("mdn: %d samples", n))
	}
	cum := m.temperedCumulative(temperature)
	scale := math.Sqrt(temperature)
	d := m.Dim()
	eps := make([]float64, d)
	out := make([][]float64, n)
	for i := range out {
		// The first c with cum[c] > u: a zero-weight component never qualifies.
		u := rng.Float64() * cum[len(cum)-1]
		c := sort.Search(len(cum), func(i int) bool { return cum[i] > u })
		if c == len(cum) {
			c = len(cum) - 1
		}
		row := make([]float64, d)
		if m.Cholesky != nil {
			l := m.Cholesky[c]
			for j := range eps {
				eps[j] = rng.NormFloat64()
			}
			for j := range row {
				s := 0.0
				for t := 0; t <= j; t++ {
					s += l[j*d+t] * eps[t]
				}
				row[j] = m.Means[c][j] + scale*s
			}
		} else {
			for j := range row {
				row[j] = m.Means[c][j] + m.StdDevs[c][j]*scale*rng.NormFloat64()
			}
		}
		out[i] = row
	}
	return out
}

// temperedCumulative returns the cumulative sums of softmax(log π / τ), with log π from
// logWeight so that τ > 1 can revive a component whose π underflowed to 0.
func (m Mixture) temperedCumulative(tau float64) []float64 {
	k := m.K()
	cum := make([]float64, k)
	mx := math.Inf(-1)
	for c := range m.Weights {
		if lw := m.logWeight(c); !math.IsInf(lw, -1) {
			mx = math.Max(mx, lw/tau)
		}
	}
	s := 0.0
	for c := range m.Weights {
		if lw := m.logWeight(c); !math.IsInf(lw, -1) {
			s += math.Exp(lw/tau - mx)
		}
		cum[c] = s
	}
	return cum
}
