package losses

import (
	"fmt"
	"math"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
)

// Scale is the transform t that maps a raw network output s to a standard deviation
// σ = t(s) > 0. The zero value is ScaleExp.
type Scale string

// The scale transforms.
const (
	ScaleExp      Scale = "exp"      // σ = e^s; log σ = s exactly
	ScaleSoftplus Scale = "softplus" // σ = log(1 + e^s)
	ScaleELU      Scale = "elu+1"    // σ = s + 1 for s > 0, e^s otherwise
)

// Scales lists the transforms ParseScale accepts.
func Scales() []string { return []string{string(ScaleExp), string(ScaleSoftplus), string(ScaleELU)} }

// ParseScale returns the transform of the given name; "" is ScaleExp and "elu" is an
// alias of "elu+1".
func ParseScale(name string) (Scale, error) {
	switch s := strings.ToLower(strings.TrimSpace(name)); s {
	case "", string(ScaleExp):
		return ScaleExp, nil
	case string(ScaleSoftplus):
		return ScaleSoftplus, nil
	case string(ScaleELU), "elu":
		return ScaleELU, nil
	}
	return "", fmt.Errorf("losses: unknown scale transform %q (want one of %s)", name, strings.Join(Scales(), ", "))
}

// Sigma applies the transform and the variance floor to one raw value in plain Go:
// σ = √(t(s)² + floor). It is the reference the graph is tested against and what
// prediction uses.
func (s Scale) Sigma(raw, floor float64) float64 {
	var t float64
	switch s {
	case ScaleSoftplus:
		t = math.Max(raw, 0) + math.Log1p(math.Exp(-math.Abs(raw)))
	case ScaleELU:
		if raw > 0 {
			t = raw + 1
		} else {
			t = math.Exp(raw)
		}
	default:
		t = math.Exp(raw)
	}
	if floor > 0 {
		return math.Sqrt(t*t + floor)
	}
	return t
}

// MixtureConfig describes the mixture the network's outputs parameterise.
type MixtureConfig struct {
	K, D int // components and target dimension, both ≥ 1
	// Scale is the transform from raw outputs to standard deviations; zero is ScaleExp.
	Scale Scale
	// VarianceFloor f ≥ 0 is added to every variance: σ² = t(s)² + f. It bounds the
	// density of a component collapsing onto a single target. Zero means none.
	VarianceFloor float64
}

// Validate reports what is wrong with c, if anything.
func (c MixtureConfig) Validate() error {
	if c.K < 1 {
		return fmt.Errorf("losses: K = %d components (want at least 1)", c.K)
	}
	if c.D < 1 {
		return fmt.Errorf("losses: target dimension D = %d (want at least 1)", c.D)
	}
	if _, err := ParseScale(string(c.Scale)); err != nil {
		return err
	}
	if !(c.VarianceFloor >= 0) || math.IsInf(c.VarianceFloor, 1) {
		return fmt.Errorf("losses: variance floor %g (want a finite value ≥ 0)", c.VarianceFloor)
	}
	return nil
}

// MixtureLoss holds the nodes of a mixture NLL expression.
type MixtureLoss struct {
	Cost     *G.Node // scalar: the mean negative log-likelihood over the batch
	LogLik   *G.Node // (B): log p(y_b) per row
	LogPi    *G.Node // (B, K): log mixing proportions
	LogSigma *G.Node // (B, K·D): log standard deviations (full covariance: log L_kdd)
	LogComp  *G.Node // (B, K): log π_bk + log N_bk, whose row softmax is the responsibilities
}

// MixtureNLL builds the negative log-likelihood of a mixture of K diagonal Gaussians
// (see the package documentation for the formula) from logits (B, K), means (B, K·D),
// raw scales (B, K·D) and targets y (B, D), all of one float dtype and one graph.
func MixtureNLL(logits, means, scales, y *G.Node, cfg MixtureConfig) (*MixtureLoss, error) {
	return mixtureNLL(logits, means, scales, nil, y, cfg)
}

// FullMixtureNLL builds the negative log-likelihood of a mixture of K Gaussians with full
// covariances Σ_k = L_k L_kᵀ, L_k lower-triangular:
//
//	NLL = −(1/B) Σ_b log Σ_k π_bk N(y_b | μ_bk, L_bk L_bkᵀ),
//	log N = −½ ‖L⁻¹(y − μ)‖² − Σ_d log L_dd − (D/2) log 2π,
//
// from logits (B, K), means (B, K·D), raw scales (B, K·D), off-diagonals (B, K·M) and
// targets y (B, D), M = D(D−1)/2. The diagonal of L_k is σ_kd = t(s_kd) (with the
// variance floor: √(t(s)² + f)), exactly as MixtureNLL makes its standard deviations,
// so that zero off-diagonals give MixtureNLL's loss; the off-diagonals are L's free
// entries below the diagonal, component by component and row by row (L_10, L_20, L_21,
// …; see graph.FullGaussianLogDensity, which solves L z = y − μ by forward
// substitution). Log π and the log-sum-exp over components are those of MixtureNLL.
// It needs D ≥ 2.
func FullMixtureNLL(logits, means, scales, offDiag, y *G.Node, cfg MixtureConfig) (*MixtureLoss, error) {
	if offDiag == nil {
		return nil, fmt.Errorf("losses: off-diagonals node is nil")
	}
	return mixtureNLL(logits, means, scales, offDiag, y, cfg)
}

// mixtureNLL builds MixtureNLL, or FullMixtureNLL when offDiag is not nil.
func mixtureNLL(logits, means, scales, offDiag, y *G.Node, cfg MixtureConfig) (*MixtureLoss, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if offDiag != nil && cfg.D < 2 {
		return nil, fmt.Errorf("losses: a full covariance needs target dimension D ≥ 2, got %d", cfg.D)
	}
	if err := checkMatrix("logits", logits, -1, cfg.K); err != nil {
		return nil, err
	}
	b := logits.Shape()[0]
	for _, c := range []struct {
		name string
		n    *G.Node
		cols int
	}{{"means", means, cfg.K * cfg.D}, {"scales", scales, cfg.K * cfg.D}, {"targets", y, cfg.D}} {
		if err := checkMatrix(c.name, c.n, b, c.cols); err != nil {
			return nil, err
		}
		if c.n.Dtype() != logits.Dtype() {
			return nil, fmt.Errorf("losses: %s are %v, logits are %v", c.name, c.n.Dtype(), logits.Dtype())
		}
	}
	if offDiag != nil {
		if err := checkMatrix("off-diagonals", offDiag, b, cfg.K*graph.OffDiagonals(cfg.D)); err != nil {
			return nil, err
		}
		if offDiag.Dtype() != logits.Dtype() {
			return nil, fmt.Errorf("losses: off-diagonals are %v, logits are %v", offDiag.Dtype(), logits.Dtype())
		}
	}
	if err := graph.CheckDtype(logits.Dtype()); err != nil {
		return nil, err
	}

	logPi, err := graph.LogSoftmax(logits, 1)
	if err != nil {
		return nil, err
	}
	var logN, logSigma *G.Node
	if offDiag == nil {
		logN, logSigma, err = gaussianLogDensity(means, scales, y, cfg)
	} else {
		if logSigma, err = logScale(scales, cfg); err == nil {
			logN, err = graph.FullGaussianLogDensity(means, logSigma, offDiag, y, cfg.K, cfg.D)
		}
	}
	if err != nil {
		return nil, err
	}
	logComp, err := G.Add(logPi, logN)
	if err != nil {
		return nil, err
	}
	logLik, err := graph.LogSumExp(logComp, 1)
	if err != nil {
		return nil, err
	}
	cost, err := negMean(logLik)
	if err != nil {
		return nil, err
	}
	return &MixtureLoss{Cost: cost, LogLik: logLik, LogPi: logPi, LogSigma: logSigma, LogComp: logComp}, nil
}

// GaussianNLL builds the negative log-likelihood of one diagonal Gaussian per row with
// heteroscedastic scales: means, raw scales and targets are (B, D), and
//
//	NLL = −(1/B) Σ_b Σ_d log N(y_bd | μ_bd, σ²_bd),  σ = t(s) (with the variance floor),
//
// the K = 1 case of MixtureNLL without logits. It returns the cost and the per-row
// log-likelihoods (B).
func GaussianNLL(means, scales, y *G.Node, scale Scale, varianceFloor float64) (cost, logLik *G.Node, err error) {
	if err := checkMatrix("targets", y, -1, -1); err != nil {
		return nil, nil, err
	}
	b, d := y.Shape()[0], y.Shape()[1]
	cfg := MixtureConfig{K: 1, D: d, Scale: scale, VarianceFloor: varianceFloor}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	for name, n := range map[string]*G.Node{"means": means, "scales": scales} {
		if err := checkMatrix(name, n, b, d); err != nil {
			return nil, nil, err
		}
	}
	logN, _, err := gaussianLogDensity(means, scales, y, cfg)
	if err != nil {
		return nil, nil, err
	}
	// logN is (B, 1): reshape to (B).
	if logLik, err = G.Reshape(logN, tensor.Shape{b}); err != nil {
		return nil, nil, err
	}
	cost, err = negMean(logLik)
	return cost, logLik, err
}

// MSE builds the mean squared error (1/(B·D)) Σ_b Σ_d (ŷ_bd − y_bd)² of predictions and
// targets of one shape (B, D).
func MSE(pred, y *G.Node) (*G.Node, error) {
	if err := checkMatrix("targets", y, -1, -1); err != nil {
		return nil, err
	}
	if err := checkMatrix("predictions", pred, y.Shape()[0], y.Shape()[1]); err != nil {
		return nil, err
	}
	d, err := G.Sub(pred, y)
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(d)
	if err != nil {
		return nil, err
	}
	return G.Mean(sq)
}

// gaussianLogDensity returns log N_bk (B, K), as graph.GaussianLogDensity computes it
// from log σ, and log σ (B, K·D).
func gaussianLogDensity(means, scales, y *G.Node, cfg MixtureConfig) (logN, logSigma *G.Node, err error) {
	if logSigma, err = logScale(scales, cfg); err != nil {
		return nil, nil, err
	}
	logN, err = graph.GaussianLogDensity(means, logSigma, y, cfg.K, cfg.D)
	return logN, logSigma, err
}

// logScale returns log σ for raw scales s: s itself for exp without a floor, ½ log(t(s)² + f)
// with a floor f, log t(s) otherwise.
func logScale(s *G.Node, cfg MixtureConfig) (*G.Node, error) {
	scale, _ := ParseScale(string(cfg.Scale))
	if scale == ScaleExp && cfg.VarianceFloor == 0 {
		return s, nil
	}
	var sigma *G.Node
	var err error
	switch scale {
	case ScaleExp:
		sigma, err = G.Exp(s)
	case ScaleSoftplus:
		sigma, err = graph.SoftplusOf(s)
	case ScaleELU:
		sigma, err = graph.ELUPlusOne(s)
	}
	if err != nil {
		return nil, err
	}
	if cfg.VarianceFloor == 0 {
		return G.Log(sigma)
	}
	v, err := G.Square(sigma)
	if err != nil {
		return nil, err
	}
	if v, err = G.Add(v, scalar(s.Graph(), s.Dtype(), cfg.VarianceFloor)); err != nil {
		return nil, err
	}
	lv, err := G.Log(v)
	if err != nil {
		return nil, err
	}
	return G.Mul(lv, scalar(s.Graph(), s.Dtype(), 0.5))
}

func negMean(v *G.Node) (*G.Node, error) {
	m, err := G.Mean(v)
	if err != nil {
		return nil, err
	}
	return G.Neg(m)
}

// scalar returns a constant scalar node of dtype dt.
func scalar(g *G.ExprGraph, dt tensor.Dtype, v float64) *G.Node {
	if dt == tensor.Float32 {
		return G.NewConstant(float32(v))
	}
	return G.NewConstant(v)
}

// checkMatrix checks that n is a matrix with the given rows and columns (−1: any).
func checkMatrix(name string, n *G.Node, rows, cols int) error {
	if n == nil {
		return fmt.Errorf("losses: %s node is nil", name)
	}
	s := n.Shape()
	if len(s) != 2 {
		return fmt.Errorf("losses: %s must be a matrix, got shape %v", name, s)
	}
	if rows >= 0 && s[0] != rows {
		return fmt.Errorf("losses: %s have %d rows, want %d", name, s[0], rows)
	}
	if cols >= 0 && s[1] != cols {
		return fmt.Errorf("losses: %s have %d columns, want %d", name, s[1], cols)
	}
	return nil
}
