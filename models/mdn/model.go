package mdn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"unicode/utf8"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
)

var _ models.Trainable = (*Model)(nil)

// Model is a mixture density network: an MLP body with three dense heads giving, per
// input row, K mixing logits, K·D means and K·D raw scales of a diagonal Gaussian
// mixture over y (with Config.Covariance full, a fourth head gives the K·D(D−1)/2
// entries of the components' Cholesky factors below their diagonals; see
// CovarianceFull). The network works in standardised units (see Normalization); Predict
// and LogLik speak original units.
//
// Concurrency: Predict, PredictMixtures, PredictMixturesInto (each goroutine with a
// Mixtures of its own), LogLik, NLL, Config, InputDim, OutputDim, Normalization,
// Columns, CostInOriginalUnits, Save and SaveFile only read the model and are safe for
// concurrent use by any number of goroutines, so one loaded model can serve many
// requests at once. Each concurrent Predict or LogLik runs on a graph of its own: the
// model keeps, for every batch size, as many graphs as have ever run at the same time,
// and builds new ones one at a time. Everything else is not safe concurrently with any
// other method: SetNormalization, SetColumns and InitFromData change the model, training
// through train.Run changes its weights (Params) and builds graphs on it with
// BuildLoss, and Forward, BuildGraph and BuildLoss add the model's parameters to a
// caller's graph.
type Model struct {
	models.Base // Params, InputDim, OutputDim, Normalization, SetNormalization
	cfg         Config
	body        *graph.MLP
	logits      *graph.Dense
	means       *graph.Dense
	scales      *graph.Dense
	offdiag     *graph.Dense // full covariance only; nil for diagonal
	skip        *graph.Param // Config.Skip only: A, (InputDim, G·D); nil without
	// xCols and yCols name the input and target columns; both nil when unset.
	xCols, yCols []string

	predict, eval *models.Batcher // Predict's and LogLik's graphs
	inputs        sync.Pool       // *[]float64: Predict's copies of its inputs, reused
}

// headGain scales the heads' initial weights, so that the initial mixture barely
// depends on x: near-uniform mixing weights, means at their biases, unit scales.
const headGain = 0.1

// New builds a model from cfg, drawing the initial weights from cfg.Seed: the body's
// layers in order, then the logits, means and scales heads (and, for full covariances,
// the off-diagonal head, whose entries start near 0; with Config.Skip the skip matrix,
// at zero). Mixing logits start near
// zero (near-uniform π), scales at σ = 1 in standardised units, and the means' biases
// at the quantiles Φ⁻¹((k+½)/K) of a standard normal along every target dimension;
// InitFromData places them on the training targets instead.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ps, err := graph.NewParamSet(cfg.DType.Tensor())
	if err != nil {
		return nil, prefixed(err)
	}
	rng := graph.NewRand(cfg.Seed)
	winit := graph.GlorotUniform
	if cfg.Activation == graph.ReLU {
		winit = graph.HeUniform
	}
	widths := append([]int{cfg.InputDim}, cfg.Hidden...)
	body, err := graph.NewMLP(ps, graph.MLPConfig{Name: "mdn.body", Widths: widths, Hidden: cfg.Activation, Output: cfg.Activation, WeightInit: winit}, rng)
	if err != nil {
		return nil, prefixed(err)
	}
	h := cfg.Hidden[len(cfg.Hidden)-1]
	k, d := cfg.K, cfg.OutputDim
	small := scaled(graph.GlorotUniform, headGain)
	logits, err := graph.NewDense(ps, graph.DenseConfig{Name: "mdn.logits", In: h, Out: k, WeightInit: small}, rng)
	if err != nil {
		return nil, prefixed(err)
	}
	means, err := graph.NewDense(ps, graph.DenseConfig{Name: "mdn.means", In: h, Out: k * d, WeightInit: small, BiasInit: quantileMeans(k, d)}, rng)
	if err != nil {
		return nil, prefixed(err)
	}
	scales, err := graph.NewDense(ps, graph.DenseConfig{Name: "mdn.scales", In: h, Out: k * d, WeightInit: small, BiasInit: graph.Constant(unitScale(cfg.Scale, cfg.VarianceFloor))}, rng)
	if err != nil {
		return nil, prefixed(err)
	}
	// The off-diagonal head comes last, so that a diagonal model's draws are unchanged;
	// its zero bias and small weights start every L_k near diagonal.
	var offdiag *graph.Dense
	if om := cfg.offDiagonals(); om > 0 {
		offdiag, err = graph.NewDense(ps, graph.DenseConfig{Name: "mdn.offdiag", In: h, Out: k * om, WeightInit: small, BiasInit: graph.Constant(0)}, rng)
		if err != nil {
			return nil, prefixed(err)
		}
	}
	// The skip matrix comes after every head and starts at zero (the model is then the
	// one without it); InitFromData sets it to the least-squares fit.
	var skip *graph.Param
	if cfg.Skip {
		skip, err = ps.Add(skipName, []int{cfg.InputDim, cfg.groups() * d}, make([]float64, cfg.InputDim*cfg.groups()*d))
		if err != nil {
			return nil, prefixed(err)
		}
	}
	m := &Model{
		Base: models.NewBase("mdn", ps, cfg.InputDim, cfg.OutputDim),
		cfg:  cfg, body: body, logits: logits, means: means, scales: scales, offdiag: offdiag, skip: skip,
	}
	m.predict = models.NewBatcher(predictRows(cfg), m.buildPredictor)
	m.eval = models.NewLossBatcher(m, predictChunk)
	return m, nil
}

// scaled multiplies an initialiser's draws by gain.
func scaled(init graph.Init, gain float64) graph.Init {
	return func(rng *rand.Rand, fanIn, fanOut int, dst []float64) {
		init(rng, fanIn, fanOut, dst)
		for i := range dst {
			dst[i] *= gain
		}
	}
}

// quantileMeans places component k's mean at Φ⁻¹((k+½)/K) in every dimension.
func quantileMeans(k, d int) graph.Init {
	return func(_ *rand.Rand, _, _ int, dst []float64) {
		for c := 0; c < k; c++ {
			q := math.Sqrt2 * math.Erfinv(2*(float64(c)+0.5)/float64(k)-1)
			for j := 0; j < d; j++ {
				dst[c*d+j] = q
			}
		}
	}
}

// unitScale returns the raw scale s with σ = √(t(s)² + floor) = 1, or the transform's
// s for t(s) = 1 when the floor is 1 or more.
func unitScale(s losses.Scale, floor float64) float64 { return rawScale(s, floor, 1) }

// rawScale returns the raw scale s with σ = √(t(s)² + floor) = sigma, or the transform's
// s for t(s) = sigma when the floor is sigma² or more.
func rawScale(s losses.Scale, floor, sigma float64) float64 {
	t := sigma
	if floor < sigma*sigma {
		t = math.Sqrt(sigma*sigma - floor)
	}
	switch s {
	case losses.ScaleSoftplus:
		return math.Log(math.Expm1(t))
	case losses.ScaleELU:
		if t > 1 {
			return t - 1
		}
		return math.Log(t)
	default:
		return math.Log(t)
	}
}

// Config returns the model's configuration with defaults filled in.
func (m *Model) Config() Config {
	c := m.cfg
	c.Hidden = append([]int(nil), c.Hidden...)
	return c
}

// SetColumns names the model's input columns x (InputDim names) and target columns y
// (OutputDim names), as the data it was trained on named them; Save stores them. Names
// must be non-empty valid UTF-8, without repeats within x or within y. SetColumns(nil,
// nil) removes the names.
func (m *Model) SetColumns(x, y []string) error {
	if x == nil && y == nil {
		m.xCols, m.yCols = nil, nil
		return nil
	}
	if err := checkColumns(x, y, m.cfg.InputDim, m.cfg.OutputDim); err != nil {
		return err
	}
	m.xCols, m.yCols = slices.Clone(x), slices.Clone(y)
	return nil
}

// Columns returns copies of the input and target column names, or nil, nil when the
// model has none.
func (m *Model) Columns() (x, y []string) {
	return slices.Clone(m.xCols), slices.Clone(m.yCols)
}

// checkColumns checks x and y name inDim and outDim columns, each named once.
func checkColumns(x, y []string, inDim, outDim int) error {
	for _, c := range []struct {
		what  string
		names []string
		want  int
	}{{"input", x, inDim}, {"target", y, outDim}} {
		if len(c.names) != c.want {
			return fmt.Errorf("mdn: %d %s column names for %d %s columns", len(c.names), c.what, c.want, c.what)
		}
		seen := make(map[string]int, len(c.names))
		for i, name := range c.names {
			if name == "" {
				return fmt.Errorf("mdn: %s column %d has an empty name", c.what, i)
			}
			if !utf8.ValidString(name) {
				return fmt.Errorf("mdn: %s column %d name %.40q is not valid UTF-8", c.what, i, name)
			}
			if j, dup := seen[name]; dup {
				return fmt.Errorf("mdn: %s column %d name %.40q repeats column %d", c.what, i, name, j)
			}
			seen[name] = i
		}
	}
	return nil
}

// CostInOriginalUnits converts a mean NLL per point in standardised units to original
// units by adding Σ_d log s_d.
func (m *Model) CostInOriginalUnits(cost float64) float64 {
	return cost + m.Normalization().LogDetY()
}

// Outputs are the network's output nodes for a batch of inputs.
type Outputs struct {
	// Logits are the mixing logits z, whose softmax over the K components is π. With
	// Config.Members = M > 1 they are every group's log-softmax, log π + log M (see
	// groupLogits), whose softmax over all K is the same π.
	Logits *G.Node // (B, K)
	Means  *G.Node // (B, K·D), component-major, standardised units
	Scales *G.Node // (B, K·D), raw scale parameters
	// OffDiag are the entries of the Cholesky factors L_k below their diagonals,
	// (B, K·M), M = D(D−1)/2, for full covariances (see CovarianceFull); nil for
	// diagonal ones.
	OffDiag *G.Node
}

// heads returns the dense heads on the last hidden layer, in their output order: logits,
// means, scales and, for full covariances, the off-diagonals.
func (m *Model) heads() []*graph.Dense {
	hs := []*graph.Dense{m.logits, m.means, m.scales}
	if m.offdiag != nil {
		hs = append(hs, m.offdiag)
	}
	return hs
}

// Forward adds the network to x's graph for x of shape (B, InputDim) in standardised
// units.
func (m *Model) Forward(x *G.Node) (*Outputs, error) {
	h, err := m.body.Forward(x)
	if err != nil {
		return nil, prefixed(err)
	}
	// The heads are one product (graph.Heads): h·[W_logits | W_means | W_scales
	// (| W_offdiag)] + b, cut into each head's columns.
	outs, err := graph.Heads(h, m.heads()...)
	if err != nil {
		return nil, prefixed(err)
	}
	var o Outputs
	o.Logits, o.Means, o.Scales = outs[0], outs[1], outs[2]
	if m.offdiag != nil {
		o.OffDiag = outs[3]
	}
	if o.Logits, err = m.groupLogits(o.Logits); err != nil {
		return nil, prefixed(err)
	}
	if o.Means, err = m.addSkip(x, o.Means); err != nil {
		return nil, prefixed(err)
	}
	return &o, nil
}

// groupLogits returns z unchanged for a model of one group, and for Config.Members =
// M > 1 every group's log-softmax: z of shape (B, K) is seen as (B·M, K/M), each of
// its rows (one group of one input row) goes through graph.LogSoftmax, and the result
// is seen as (B, K) again. Then Σ_k exp(out_bk) = M for every row b, so the softmax over
// all K components, which the loss and Predict take, divides every group's weights by M
// exactly (up to rounding): the ensemble's π_gk / M.
func (m *Model) groupLogits(z *G.Node) (*G.Node, error) {
	groups := m.cfg.Members
	if groups <= 1 {
		return z, nil
	}
	b, k := z.Shape()[0], m.cfg.K
	r, err := G.Reshape(z, tensor.Shape{b * groups, k / groups})
	if err != nil {
		return nil, err
	}
	if r, err = graph.LogSoftmax(r, 1); err != nil {
		return nil, err
	}
	return G.Reshape(r, tensor.Shape{b, k})
}

// Graph holds the nodes of a model and its loss built for one batch size: what
// research code needs to inspect or extend the computation.
type Graph struct {
	X, Y *G.Node // inputs (B, InputDim) and targets (B, D), standardised units
	*Outputs
	Loss *losses.MixtureLoss // the mixture negative log-likelihood of Y
}

// BuildGraph adds inputs named "mdn.x" and "mdn.y", the network and its mixture NLL for
// batches of size batch to g.
func (m *Model) BuildGraph(g *G.ExprGraph, batch int) (*Graph, error) {
	if batch < 1 {
		return nil, fmt.Errorf("mdn: batch size %d (want at least 1)", batch)
	}
	dt := m.cfg.DType.Tensor()
	x := graph.NewInput(g, dt, "mdn.x", batch, m.cfg.InputDim)
	y := graph.NewInput(g, dt, "mdn.y", batch, m.cfg.OutputDim)
	out, err := m.Forward(x)
	if err != nil {
		return nil, err
	}
	var nll *losses.MixtureLoss
	if out.OffDiag != nil {
		nll, err = losses.FullMixtureNLL(out.Logits, out.Means, out.Scales, out.OffDiag, y, m.cfg.mixture())
	} else {
		nll, err = losses.MixtureNLL(out.Logits, out.Means, out.Scales, y, m.cfg.mixture())
	}
	if err != nil {
		return nil, fmt.Errorf("mdn: %w", err)
	}
	return &Graph{X: x, Y: y, Outputs: out, Loss: nll}, nil
}

// BuildLoss implements models.Trainable: the mean mixture NLL in standardised units.
func (m *Model) BuildLoss(g *G.ExprGraph, batch int) (*models.Loss, error) {
	gr, err := m.BuildGraph(g, batch)
	if err != nil {
		return nil, err
	}
	perRow, err := G.Neg(gr.Loss.LogLik)
	if err != nil {
		return nil, prefixed(err)
	}
	return &models.Loss{X: gr.X, Y: gr.Y, Cost: gr.Loss.Cost, PerRow: perRow}, nil
}

// graphValues returns a parameter's values as float64.
func graphValues(p *graph.Param) []float64 { return graph.AppendFloat64s(nil, p.Value) }
