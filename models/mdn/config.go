package mdn

import (
	"fmt"
	"math"
	"math/bits"
	"strings"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
)

// Defaults used for zero Config fields.
const (
	DefaultK          = 5
	DefaultActivation = graph.Tanh
	DefaultScale      = losses.ScaleExp
)

// DefaultHidden is the hidden widths used when Config.Hidden is nil.
var DefaultHidden = []int{32, 32}

// Config describes an MDN. Zero fields take the documented defaults; InputDim and
// OutputDim are required.
type Config struct {
	InputDim  int `json:"input_dim"`  // width of x, ≥ 1
	OutputDim int `json:"output_dim"` // D, the width of y, ≥ 1
	K         int `json:"k"`          // mixture components; 0 means DefaultK (5)
	// Hidden are the hidden layers' widths; nil means DefaultHidden ([32 32]). At least
	// one hidden layer is required.
	Hidden []int `json:"hidden"`
	// Activation of the hidden layers; "" means tanh.
	Activation graph.Activation `json:"activation"`
	// Scale is the transform from raw outputs to standard deviations; "" means exp.
	Scale losses.Scale `json:"scale"`
	// VarianceFloor is added to every variance, in standardised target units
	// (σ² = t(s)² + floor); 0 means none.
	VarianceFloor float64 `json:"variance_floor"`
	// DType is the floating-point type; "" means float64.
	DType models.DType `json:"dtype"`
	// Seed seeds every random draw of the initial weights.
	Seed uint64 `json:"seed"`
	// Members, when above 1, makes the mixing weights those of an equal-weight ensemble
	// of Members mixtures of K/Members components each: the K logits z are cut into
	// Members consecutive groups of K/Members, and the weight of component k of group g is
	//
	//	π_gk = exp(z_gk − log Σ_j exp(z_gj)) / Members,
	//
	// each group's softmax divided by Members, in place of the softmax over all K. K must
	// be a multiple of Members. 0 and 1 mean one group, the plain softmax. Combine builds
	// such a model from trained members; it trains like any other.
	Members int `json:"members,omitempty"`
	// Covariance is the components' covariance: "" or "diagonal" (the classic MDN, each
	// component a product of D independent Gaussians) or "full" (Σ_k = L_k L_kᵀ, see
	// CovarianceFull), which needs OutputDim ≥ 2. The diagonal choice is always held as
	// "" (Config() reports it so), so that the files of diagonal models are those
	// written before the choice existed.
	Covariance Covariance `json:"covariance,omitempty"`
	// Skip adds a linear path from the standardised inputs x′ to the component means,
	// shared by the components of one member (see Members):
	//
	//	μ′_k(x) = head_k(h(x)) + x′·A_g,   A_g of shape (InputDim, D), g the member of k,
	//
	// held as the parameter "mdn.skip.A" of shape (InputDim, G·D), G = max(1, Members),
	// member g's A_g in columns [g·D, (g+1)·D). InitFromData starts A at the least-squares
	// fit of the training rows, so that the network starts from the linear-Gaussian
	// regression and learns what is not linear on top of it. A is not a weight matrix in
	// train.Config.WeightDecay's sense (its name does not end in ".W"): the decay pulls the
	// heads towards the linear fit, not the linear fit towards zero. false means no skip
	// path; a model file holds the field only when it is true.
	Skip bool `json:"skip,omitempty"`
}

// Covariance names the form of the components' covariance matrices.
type Covariance string

// The covariance choices.
const (
	// CovarianceDiagonal: Σ_k = diag(σ²_k1, …, σ²_kD), the network giving K·D raw scales.
	CovarianceDiagonal Covariance = "diagonal"
	// CovarianceFull: Σ_k = L_k L_kᵀ with L_k lower-triangular, the network giving per
	// component D raw scales, turned into the diagonal L_kdd exactly as the diagonal
	// choice turns them into σ_kd (the same transform and variance floor), and the
	// M = D(D−1)/2 free entries below the diagonal from a fourth head, "mdn.offdiag"
	// (K·M outputs, component-major, within a component row by row: L_10, L_20, L_21, …).
	CovarianceFull Covariance = "full"
)

// Covariances lists the names ParseCovariance accepts.
func Covariances() []string { return []string{string(CovarianceDiagonal), string(CovarianceFull)} }

// ParseCovariance returns the covariance choice of the given name; "" is diagonal.
func ParseCovariance(name string) (Covariance, error) {
	switch c := strings.ToLower(strings.TrimSpace(name)); c {
	case "", string(CovarianceDiagonal):
		return CovarianceDiagonal, nil
	case string(CovarianceFull):
		return CovarianceFull, nil
	}
	return "", fmt.Errorf("mdn: unknown covariance %.40q (want one of %s)", name, strings.Join(Covariances(), ", "))
}

// Full reports whether c asks for full covariances.
func (c Config) Full() bool {
	cv, err := ParseCovariance(string(c.Covariance))
	return err == nil && cv == CovarianceFull
}

// groups is the number of members whose components share one skip matrix: Members, or
// 1 for a model of one group.
func (c Config) groups() int { return max(1, c.Members) }

// offDiagonals is the number of the off-diagonal head's outputs per component: D(D−1)/2
// for full covariances, 0 for diagonal ones.
func (c Config) offDiagonals() int {
	if !c.Full() {
		return 0
	}
	return graph.OffDiagonals(c.OutputDim)
}

// Size limits. Config.Validate (and so New and Load) refuses a config beyond any of them
// before anything is allocated, so that a model file written by someone else cannot make
// Load allocate more than the file's own size suggests. They are far above the models
// this package is meant for (a few hidden layers of tens to hundreds of units, K up to a
// few dozen) and low enough that every config within them can be built, trained on one
// machine, saved and loaded back.
const (
	// MaxK bounds the mixture components K. Every row's loss, prediction and sample
	// costs O(K·D), and a Mixture holds K weights and 2·K·D floats; beyond about a
	// thousand components a mixture density network stops being a useful model (each
	// component sees too little data to place its mean and scale).
	MaxK = 1024
	// MaxWidth bounds each hidden layer's width. A hidden activation of one prediction
	// chunk is 256·MaxWidth floats (128 MiB in float64 for MaxWidth = 65536); together
	// with MaxParams it also keeps two consecutive wide layers from passing.
	MaxWidth = 1 << 16
	// MaxDim bounds InputDim and OutputDim, the widths of x and y: 16384 columns, far
	// beyond any tabular data set this package reads. With MaxK it keeps a head's K·D
	// outputs per row below 2²⁴.
	MaxDim = 1 << 14
	// MaxLayers bounds the number of hidden layers (len(Hidden)). A plain tanh or ReLU
	// MLP deeper than a few dozen layers does not train without residual connections,
	// which this package does not build.
	MaxLayers = 64
	// MaxParams bounds the total number of learnable scalars, ParamCount: 2²⁵ =
	// 33,554,432, which is 256 MiB in float64 (128 MiB in float32) for the weights
	// alone. Training keeps several more copies of that size: the gradients (one per
	// data-parallel shard), Adam's first and second moments and the best weights seen,
	// so training a model at the limit needs a few GiB. The limit is also what lets
	// every valid model round-trip through a file: a value takes at most 26 bytes in the
	// file's JSON, so 2²⁵ of them stay under Load's 1 GiB file limit.
	MaxParams = 1 << 25
)

// withDefaults returns c with zero fields replaced by their defaults, and the
// activation and scale names in their canonical (lower-case) form when they parse.
func (c Config) withDefaults() Config {
	if c.K == 0 {
		c.K = DefaultK
	}
	if c.Members == 1 {
		c.Members = 0 // one group: the plain softmax, written as no members at all
	}
	if c.Hidden == nil {
		c.Hidden = append([]int(nil), DefaultHidden...)
	} else {
		c.Hidden = append([]int(nil), c.Hidden...)
	}
	if c.Activation == "" {
		c.Activation = DefaultActivation
	}
	if a, err := graph.ParseActivation(string(c.Activation)); err == nil {
		c.Activation = a
	}
	if c.Scale == "" {
		c.Scale = DefaultScale
	}
	if s, err := losses.ParseScale(string(c.Scale)); err == nil {
		c.Scale = s
	}
	if c.DType == "" {
		c.DType = models.Float64
	}
	if d, err := models.ParseDType(string(c.DType)); err == nil {
		c.DType = d
	}
	if cv, err := ParseCovariance(string(c.Covariance)); err == nil {
		c.Covariance = cv
		if cv == CovarianceDiagonal {
			c.Covariance = ""
		}
	}
	return c
}

// Validate reports the first thing wrong with c (after defaults are applied): a size
// below 1 or above its limit (MaxDim, MaxK, MaxLayers, MaxWidth), more than MaxParams
// learnable scalars, an unknown activation, scale or dtype, or a negative or non-finite
// variance floor. It allocates nothing in proportion to the sizes it checks.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.checkSizes(true); err != nil {
		return err
	}
	n, err := c.ParamCount()
	if err != nil {
		return err
	}
	if n > MaxParams {
		return fmt.Errorf("mdn: the model would have %d parameters (at most MaxParams = %d)", n, MaxParams)
	}
	if err := c.Activation.Validate(); err != nil {
		return fmt.Errorf("mdn: %s", unprefixed(err))
	}
	if err := c.mixture().Validate(); err != nil { // the scale and the variance floor
		return fmt.Errorf("mdn: %s", unprefixed(err))
	}
	if _, err := models.ParseDType(string(c.DType)); err != nil {
		return fmt.Errorf("mdn: %s", unprefixed(err))
	}
	if _, err := ParseCovariance(string(c.Covariance)); err != nil {
		return err
	}
	if c.Full() && c.OutputDim < 2 {
		return fmt.Errorf("mdn: covariance full needs an output dimension of at least 2, got %d (with one target column it is the diagonal model)", c.OutputDim)
	}
	return nil
}

// mixture is the mixture the network's outputs parameterise, as package losses sees it.
func (c Config) mixture() losses.MixtureConfig {
	return losses.MixtureConfig{K: c.K, D: c.OutputDim, Scale: c.Scale, VarianceFloor: c.VarianceFloor}
}

// checkSizes checks every size of c (defaults applied) is at least 1 and, with limits,
// at most its limit.
func (c Config) checkSizes(limits bool) error {
	if c.InputDim < 1 {
		return fmt.Errorf("mdn: input dimension %d (want at least 1)", c.InputDim)
	}
	if limits && c.InputDim > MaxDim {
		return fmt.Errorf("mdn: input dimension %d (at most MaxDim = %d)", c.InputDim, MaxDim)
	}
	if c.OutputDim < 1 {
		return fmt.Errorf("mdn: output dimension %d (want at least 1)", c.OutputDim)
	}
	if limits && c.OutputDim > MaxDim {
		return fmt.Errorf("mdn: output dimension %d (at most MaxDim = %d)", c.OutputDim, MaxDim)
	}
	if c.K < 1 {
		return fmt.Errorf("mdn: K = %d components (want at least 1)", c.K)
	}
	if limits && c.K > MaxK {
		return fmt.Errorf("mdn: K = %d components (at most MaxK = %d)", c.K, MaxK)
	}
	if c.Members < 0 {
		return fmt.Errorf("mdn: %d members (want 0 or more)", c.Members)
	}
	if c.Members > 1 && c.K%c.Members != 0 {
		return fmt.Errorf("mdn: K = %d components do not split into %d members of equal size", c.K, c.Members)
	}
	if len(c.Hidden) == 0 {
		return fmt.Errorf("mdn: no hidden layers (want at least one width)")
	}
	if limits && len(c.Hidden) > MaxLayers {
		return fmt.Errorf("mdn: %d hidden layers (at most MaxLayers = %d)", len(c.Hidden), MaxLayers)
	}
	for i, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("mdn: hidden layer %d has width %d (want at least 1)", i, h)
		}
		if limits && h > MaxWidth {
			return fmt.Errorf("mdn: hidden layer %d has width %d (at most MaxWidth = %d)", i, h, MaxWidth)
		}
	}
	return nil
}

// ParamCount returns the number of learnable scalars New(c) makes, after defaults:
//
//	Σ_i (w_i·w_{i+1} + w_{i+1})   the body, w_0 = InputDim, w_1… = Hidden
//	+ h·K + K                     the logits head, h = the last hidden width
//	+ 2·(h·K·D + K·D)             the means and scales heads, D = OutputDim
//	+ h·K·M + K·M                 full covariance only: the off-diagonal head, M = D(D−1)/2
//	+ InputDim·G·D                Skip only: the linear path, G = max(1, Members)
//
// It does not apply the size limits, so that it can say how large a refused config
// would be, but every product and sum is checked: a size below 1, or a count that does
// not fit in an int, is an error.
func (c Config) ParamCount() (int, error) {
	c = c.withDefaults()
	if err := c.checkSizes(false); err != nil {
		return 0, err
	}
	var n counter
	prev := c.InputDim
	for _, w := range c.Hidden {
		n.add(n.mul(prev, w), w)
		prev = w
	}
	h, k, d := prev, c.K, c.OutputDim
	kd := n.mul(k, d)
	n.add(n.mul(h, k), k)
	n.add(n.mul(h, kd), kd)
	n.add(n.mul(h, kd), kd)
	if c.Full() {
		// D ≤ MaxDim is not checked here, so M is counted with overflow checks too.
		m := n.mul(d, d-1) / 2
		km := n.mul(k, m)
		n.add(n.mul(h, km), km)
	}
	if c.Skip {
		n.add(n.mul(c.InputDim, n.mul(c.groups(), d)))
	}
	if n.overflow {
		return 0, fmt.Errorf("mdn: the model's parameter count does not fit in an int")
	}
	return int(n.sum), nil
}

// counter sums products of non-negative ints, noting any overflow past math.MaxInt.
type counter struct {
	sum      uint64
	overflow bool
}

// mul returns a·b, or 0 after noting an overflow.
func (n *counter) mul(a, b int) int {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt {
		n.overflow = true
		return 0
	}
	return int(lo)
}

// add adds its non-negative terms to the sum.
func (n *counter) add(terms ...int) {
	for _, t := range terms {
		s, carry := bits.Add64(n.sum, uint64(t), 0)
		if carry != 0 || s > math.MaxInt {
			n.overflow = true
			return
		}
		n.sum = s
	}
}

// unprefixed is err's message without the "pkg: " prefix of the package that made it,
// so that wrapping it in an "mdn: " error does not stack two prefixes.
func unprefixed(err error) string {
	msg := err.Error()
	for _, p := range []string{"graph: ", "losses: ", "models: ", "mdn: "} {
		if strings.HasPrefix(msg, p) {
			return msg[len(p):]
		}
	}
	return msg
}

// prefixed returns err as an "mdn: " error: unchanged if it already is one, else
// wrapped.
func prefixed(err error) error {
	if err == nil || strings.HasPrefix(err.Error(), "mdn: ") {
		return err
	}
	return fmt.Errorf("mdn: %w", err)
}
