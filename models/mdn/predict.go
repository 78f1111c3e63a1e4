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
	out := make([]Mixture, len(x))
	// The chunks run in parallel, each writing its own rows of out.
	err = m.predict.RunParallel(len(x), [][]float64{flat}, func(start, rows int, o [][]float64) error {
		logits, means, scales := o[0], o[1], o[2]
		mixes := out[start : start+rows]
		allocMixtures(mixes, k, d)
		if om > 0 {
			allocCholesky(mixes, k, d)
		}
		for i := range mixes {
			var off []float64
			if om > 0 {
				off = o[3][i*k*om : (i+1)*k*om]
			}
			if err := m.mixture(&mixes[i], norm, logits[i*k:(i+1)*k], means[i*k*d:(i+1)*k*d], scales[i*k*d:(i+1)*k*d], off); err != nil {
				return fmt.Errorf("mdn: input row %d: %w", start+i, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, prefixed(err)
	}
	return out, nil
}

// allocMixtures gives every mixture of mixes room for k components in d dimensions,
// carved from four allocations shared by them all; each slice's capacity ends where it
// does, so that appending to one never writes into another.
func allocMixtures(mixes []Mixture, k, d int) {
	n := len(mixes)
	weights := make([]float64, 2*n*k)
	rows := make([][]float64, 2*n*k)
	values := make([]float64, 2*n*k*d)
	for i := range mixes {
		w := weights[2*i*k : 2*(i+1)*k : 2*(i+1)*k]
		r := rows[2*i*k : 2*(i+1)*k : 2*(i+1)*k]
		v := values[2*i*k*d : 2*(i+1)*k*d : 2*(i+1)*k*d]
		for c := range 2 * k {
			r[c] = v[c*d : (c+1)*d : (c+1)*d]
		}
		mixes[i] = Mixture{Weights: w[:k:k], LogWeights: w[k:], Means: r[:k:k], StdDevs: r[k:]}
	}
}

// allocCholesky gives every mixture of mixes room for k Cholesky factors of d×d, carved
// from one allocation as allocMixtures does.
func allocCholesky(mixes []Mixture, k, d int) {
	rows := make([][]float64, len(mixes)*k)
	values := make([]float64, len(mixes)*k*d*d)
	for i := range mixes {
		r := rows[i*k : (i+1)*k : (i+1)*k]
		for c := range r {
			at := (i*k + c) * d * d
			r[c] = values[at : at+d*d : at+d*d]
		}
		mixes[i].Cholesky = r
	}
}

// mixture turns one row of network outputs into mix, allocated by allocMixtures (and
// allocCholesky for a full-covariance model), in original units: π = softmax(z)
// (max-shifted), μ = μ'·s + m, σ = σ'·s with σ' = √(t(s')² + floor), where m and s are
// norm's target means and standard deviations. For a full-covariance model (off not
// nil) the Cholesky factor in original units is L = S L' with S = diag s (Σ = S Σ' S):
// L_ii = σ'_i s_i and L_ij = off'_ij s_i below the diagonal, and the standard
// deviations are the marginal ones, ‖row i of L‖.
func (m *Model) mixture(mix *Mixture, norm models.Normalization, logits, means, scales, off []float64) error {
	k, d := m.cfg.K, m.cfg.OutputDim
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
	logSum := math.Log(sum)
	ok := !math.IsNaN(sum) && !math.IsInf(sum, 0)
	for c, z := range logits {
		mix.Weights[c] /= sum
		mix.LogWeights[c] = z - mx - logSum
	}
	for c := 0; c < k; c++ {
		mu, sd := mix.Means[c], mix.StdDevs[c]
		for j := 0; j < d; j++ {
			mu[j] = means[c*d+j]*norm.YStd[j] + norm.YMean[j]
			sd[j] = m.cfg.Scale.Sigma(scales[c*d+j], m.cfg.VarianceFloor) * norm.YStd[j]
			ok = ok && !math.IsNaN(mu[j]) && !math.IsInf(mu[j], 0) && sd[j] > 0 && !math.IsInf(sd[j], 1)
		}
	}
	if off != nil {
		om := len(off) / k
		for c := 0; c < k; c++ {
			l, sd := mix.Cholesky[c], mix.StdDevs[c]
			for i := 0; i < d; i++ {
				l[i*d+i] = sd[i]
				for j := 0; j < i; j++ {
					v := off[c*om+i*(i-1)/2+j] * norm.YStd[i]
					l[i*d+j] = v
					ok = ok && !math.IsNaN(v) && !math.IsInf(v, 0)
				}
			}
			copy(sd, choleskyStdDevs(l, d))
			for _, v := range sd {
				ok = ok && !math.IsInf(v, 1)
			}
		}
	}
	if !ok {
		// Only a broken row pays for the full check, which names what is wrong.
		if err := mix.Validate(); err != nil {
			return fmt.Errorf("the network's output is not a valid mixture: %s", unprefixed(err))
		}
	}
	return nil
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
