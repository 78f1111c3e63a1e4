package mdn

import (
	"fmt"
	"math"
	"sort"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// predictChunk is the most rows Predict and LogLik run at once: fewer rows run on a graph
// of the next power of two, padded with zero rows whose results are dropped (see
// models.Batcher).
const predictChunk = 256

// buildPredictor builds the network alone (no loss, no gradients) for rows inputs:
// input "mdn.x", outputs the logits, means and raw scales (and the off-diagonals of a
// full-covariance model).
func (m *Model) buildPredictor(rows int) (*models.Batch, error) {
	g := G.NewGraph()
	x := graph.NewInput(g, m.cfg.DType.Tensor(), "mdn.x", rows, m.cfg.InputDim)
	out, err := m.Forward(x)
	if err != nil {
		return nil, err
	}
	outs := G.Nodes{out.Logits, out.Means, out.Scales}
	if out.OffDiag != nil {
		outs = append(outs, out.OffDiag)
	}
	r, err := graph.NewRunner(g, outs)
	if err != nil {
		return nil, err
	}
	return &models.Batch{Runner: r, Inputs: G.Nodes{x}, Outputs: outs}, nil
}

// Predict returns, for every row of x (original units, InputDim columns), the mixture
// p(y | x) in original units. A row of the wrong width or holding NaN or ±Inf is an
// error naming the row and column.
func (m *Model) Predict(x [][]float64) ([]Mixture, error) {
	flat, err := models.CheckRows("mdn: input", x, m.cfg.InputDim)
	if err != nil {
		return nil, err
	}
	norm := m.Normalization()
	norm.X(flat, flat)
	k, d, om := m.cfg.K, m.cfg.OutputDim, m.cfg.offDiagonals()
	out := make([]Mixture, 0, len(x))
	err = m.predict.Run(len(x), [][]float64{flat}, func(start, rows int, o [][]float64) error {
		logits, means, scales := o[0], o[1], o[2]
		for i := 0; i < rows; i++ {
			var off []float64
			if om > 0 {
				off = o[3][i*k*om : (i+1)*k*om]
			}
			mix, err := m.mixture(norm, logits[i*k:(i+1)*k], means[i*k*d:(i+1)*k*d], scales[i*k*d:(i+1)*k*d], off)
			if err != nil {
				return fmt.Errorf("mdn: input row %d: %w", start+i, err)
			}
			out = append(out, mix)
		}
		return nil
	})
	if err != nil {
		return nil, prefixed(err)
	}
	return out, nil
}

// mixture turns one row of network outputs into a Mixture in original units:
// π = softmax(z) (max-shifted), μ = μ'·s + m, σ = σ'·s with σ' = √(t(s')² + floor),
// where m and s are norm's target means and standard deviations. For a full-covariance
// model (off not nil) the Cholesky factor in original units is L = S L' with S = diag s
// (Σ = S Σ' S): L_ii = σ'_i s_i and L_ij = off'_ij s_i below the diagonal, and the
// standard deviations are the marginal ones, ‖row i of L‖.
func (m *Model) mixture(norm models.Normalization, logits, means, scales, off []float64) (Mixture, error) {
	k, d := m.cfg.K, m.cfg.OutputDim
	mix := Mixture{Weights: make([]float64, k), Means: make([][]float64, k), StdDevs: make([][]float64, k)}
	mx := math.Inf(-1)
	for _, z := range logits {
		mx = math.Max(mx, z)
	}
	sum := 0.0
	for c, z := range logits {
		mix.Weights[c] = math.Exp(z - mx)
		sum += mix.Weights[c]
	}
	// log π = z − max − log Σ exp(z − max), finite where π underflows to 0 (see Mixture).
	mix.LogWeights = make([]float64, k)
	logSum := math.Log(sum)
	for c, z := range logits {
		mix.Weights[c] /= sum
		mix.LogWeights[c] = z - mx - logSum
	}
	for c := 0; c < k; c++ {
		mix.Means[c] = make([]float64, d)
		mix.StdDevs[c] = make([]float64, d)
		for j := 0; j < d; j++ {
			mix.Means[c][j] = means[c*d+j]*norm.YStd[j] + norm.YMean[j]
			mix.StdDevs[c][j] = m.cfg.Scale.Sigma(scales[c*d+j], m.cfg.VarianceFloor) * norm.YStd[j]
		}
	}
	if off != nil {
		om := len(off) / k
		mix.Cholesky = make([][]float64, k)
		for c := 0; c < k; c++ {
			l := make([]float64, d*d)
			for i := 0; i < d; i++ {
				l[i*d+i] = mix.StdDevs[c][i]
				for j := 0; j < i; j++ {
					l[i*d+j] = off[c*om+i*(i-1)/2+j] * norm.YStd[i]
				}
			}
			mix.Cholesky[c] = l
			mix.StdDevs[c] = choleskyStdDevs(l, d)
		}
	}
	if err := mix.Validate(); err != nil {
		return Mixture{}, fmt.Errorf("the network's output is not a valid mixture: %s", unprefixed(err))
	}
	return mix, nil
}

// LogLik returns log p(y_i | x_i) for every row, in original units, computed by the same
// graph expression the model is trained on.
func (m *Model) LogLik(x, y [][]float64) ([]float64, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("mdn: %d input rows but %d target rows", len(x), len(y))
	}
	xf, err := models.CheckRows("mdn: input", x, m.cfg.InputDim)
	if err != nil {
		return nil, err
	}
	yf, err := models.CheckRows("mdn: target", y, m.cfg.OutputDim)
	if err != nil {
		return nil, err
	}
	norm := m.Normalization()
	norm.X(xf, xf)
	norm.Y(yf, yf)
	logDet := norm.LogDetY()
	out := make([]float64, 0, len(x))
	err = m.eval.Run(len(x), [][]float64{xf, yf}, func(_, rows int, o [][]float64) error {
		for _, nll := range o[0][:rows] {
			out = append(out, -nll-logDet)
		}
		return nil
	})
	if err != nil {
		return nil, prefixed(err)
	}
	return out, nil
}

// NLL returns the mean negative log-likelihood per point of the rows, in original units.
func (m *Model) NLL(x, y [][]float64) (float64, error) {
	ll, err := m.LogLik(x, y)
	if err != nil {
		return 0, err
	}
	if len(ll) == 0 {
		return 0, fmt.Errorf("mdn: NLL of no rows")
	}
	s := 0.0
	for _, v := range ll {
		s -= v
	}
	return s / float64(len(ll)), nil
}

// InitFromData places the initial component means on the training targets y (row-major,
// n×OutputDim, original units): k-means++ seeding and ten Lloyd iterations on the
// standardised targets (at most 4096 rows, drawn from the model's seed), with centres
// sorted by their first coordinate. Call it after SetNormalization and before training;
// it changes only the means head's bias.
func (m *Model) InitFromData(x, y []float64) error {
	d, k := m.cfg.OutputDim, m.cfg.K
	if len(y)%d != 0 || len(y) == 0 {
		return fmt.Errorf("mdn: %d target values do not make rows of %d", len(y), d)
	}
	n := len(y) / d
	rng := graph.NewRand(m.cfg.Seed ^ 0x9e3779b97f4a7c15)
	idx := rng.Perm(n)
	if len(idx) > 4096 {
		idx = idx[:4096]
	}
	norm := m.Normalization()
	pts := make([][]float64, len(idx))
	for i, r := range idx {
		pts[i] = make([]float64, d)
		norm.Y(pts[i], y[r*d:(r+1)*d])
	}
	centres := kmeans(pts, k, rng)
	sort.SliceStable(centres, func(i, j int) bool { return centres[i][0] < centres[j][0] })
	bias := m.means.B.Value
	vals := graph.AppendFloat64s(nil, bias)
	for c := 0; c < k; c++ {
		copy(vals[c*d:(c+1)*d], centres[c])
	}
	graph.CopyFromFloat64s(bias, vals)
	return nil
}
