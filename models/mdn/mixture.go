package mdn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Mixture is a mixture of K diagonal Gaussians over R^D, the conditional density p(y|x)
// an MDN predicts for one input row:
//
//	p(y) = Σ_k π_k Π_d N(y_d | μ_kd, σ²_kd).
type Mixture struct {
	Weights []float64   // π, K non-negative values summing to 1
	Means   [][]float64 // μ, K rows of D values
	StdDevs [][]float64 // σ, K rows of D positive values
}

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

// Validate reports the first thing wrong with m: mismatched lengths, a weight that is
// negative or not finite, weights not summing to one, a mean that is not finite or a
// standard deviation that is not positive and finite.
func (m Mixture) Validate() error {
	k := len(m.Weights)
	if k == 0 {
		return fmt.Errorf("mdn: mixture has no components")
	}
	if len(m.Means) != k || len(m.StdDevs) != k {
		return fmt.Errorf("mdn: mixture has %d weights, %d means and %d standard deviations", k, len(m.Means), len(m.StdDevs))
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
	return nil
}

const logSqrt2Pi = 0.91893853320467274178032973640561763986139747363778 // ½ log 2π

// componentLogDensity returns log π_c + log N(y | μ_c, diag σ_c²).
func (m Mixture) componentLogDensity(c int, y []float64) float64 {
	lp := math.Log(m.Weights[c])
	for j, v := range y {
		s := m.StdDevs[c][j]
		z := (v - m.Means[c][j]) / s
		lp -= logSqrt2Pi + math.Log(s) + 0.5*z*z
	}
	return lp
}

// LogProb returns log p(y), computed as a max-shifted log-sum-exp over the components of
// log π_k + log N_k, so that a y far from every component gives a finite, accurate value.
// It panics if len(y) is not the mixture's dimension.
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

// Mode tolerances: the fixed-point iteration stops when a step moves less than modeTol
// (relative to the point's scale) or after modeMaxIter steps.
const (
	modeTol     = 1e-12
	modeMaxIter = 1000
)

// Mode returns the densest point of the mixture: a local maximum of p(y) found by the
// Gaussian-mixture mean-shift fixed point
//
//	y ← (Σ_k γ_k(y) Σ_k⁻¹)⁻¹ Σ_k γ_k(y) Σ_k⁻¹ μ_k,  γ_k(y) ∝ π_k N(y | μ_k, Σ_k),
//
// (per dimension, as the covariances are diagonal), which increases p(y) at every step
// (Carreira-Perpiñán 2000, "Mode-finding for mixtures of Gaussian distributions"). It
// is started from every component mean; the converged point with the highest log p(y)
// wins, ties going to the lower component index. This differs from the heaviest
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
	for start := range m.Weights {
		copy(y, m.Means[start])
		for iter := 0; iter < modeMaxIter; iter++ {
			mx := math.Inf(-1)
			for c := range m.Weights {
				lps[c] = m.componentLogDensity(c, y)
				mx = math.Max(mx, lps[c])
			}
			clear(num)
			clear(den)
			for c := range m.Weights {
				g := math.Exp(lps[c] - mx)
				for j := 0; j < d; j++ {
					p := g / (m.StdDevs[c][j] * m.StdDevs[c][j])
					num[j] += p * m.Means[c][j]
					den[j] += p
				}
			}
			moved := 0.0
			for j := 0; j < d; j++ {
				next[j] = num[j] / den[j]
				moved = math.Max(moved, math.Abs(next[j]-y[j])/math.Max(1, math.Abs(y[j])))
			}
			copy(y, next)
			if moved < modeTol {
				break
			}
		}
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

// Quantile returns the y with CDF(y) = p for a one-dimensional mixture: −Inf for p = 0,
// +Inf for p = 1, NaN for p outside [0, 1]. It brackets the root between the extreme
// component quantiles and bisects to the last representable float. It panics for D ≠ 1.
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
	// Every component's p-quantile lies in [lo, hi], so the mixture's does too.
	z := math.Sqrt2 * math.Erfinv(2*p-1)
	lo, hi := math.Inf(1), math.Inf(-1)
	for c := range m.Weights {
		q := m.Means[c][0] + m.StdDevs[c][0]*z
		lo, hi = math.Min(lo, q), math.Max(hi, q)
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		// p so close to 0 or 1 that erfinv saturates: widen by many σ.
		for c := range m.Weights {
			lo = math.Min(lo, m.Means[c][0]-40*m.StdDevs[c][0])
			hi = math.Max(hi, m.Means[c][0]+40*m.StdDevs[c][0])
		}
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break
		}
		if m.CDF(mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	if math.Abs(m.CDF(lo)-p) < math.Abs(m.CDF(hi)-p) {
		return lo
	}
	return hi
}

// Sample draws n points. Each draw picks one component k with probability
// softmax_k(log π_k / τ) and draws all D dimensions from that component with standard
// deviations σ_k √τ. τ = 1 samples the mixture itself; τ < 1 favours the heavier
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
	out := make([][]float64, n)
	for i := range out {
		// The first c with cum[c] > u: a zero-weight component never qualifies.
		u := rng.Float64() * cum[len(cum)-1]
		c := sort.Search(len(cum), func(i int) bool { return cum[i] > u })
		if c == len(cum) {
			c = len(cum) - 1
		}
		row := make([]float64, d)
		for j := range row {
			row[j] = m.Means[c][j] + m.StdDevs[c][j]*scale*rng.NormFloat64()
		}
		out[i] = row
	}
	return out
}

// temperedCumulative returns the cumulative sums of softmax(log π / τ).
func (m Mixture) temperedCumulative(tau float64) []float64 {
	k := m.K()
	cum := make([]float64, k)
	mx := math.Inf(-1)
	for _, w := range m.Weights {
		if w > 0 {
			mx = math.Max(mx, math.Log(w)/tau)
		}
	}
	s := 0.0
	for c, w := range m.Weights {
		if w > 0 {
			s += math.Exp(math.Log(w)/tau - mx)
		}
		cum[c] = s
	}
	return cum
}
