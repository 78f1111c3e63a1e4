package mdn

import (
	"fmt"
	"math"
	"sort"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/vecmath"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
)

// predictChunk is the most rows LogLik runs at once, and Predict for all but narrow
// networks (see predictRows): fewer rows run on a graph of the next power of two,
// padded with zero rows whose results are dropped (see models.Batcher).
const predictChunk = 256

// fusedHeads reports whether buildPredictor computes the heads as one product: for a
// model of one member.
func (m *Model) fusedHeads() bool { return m.cfg.Members <= 1 }

// predictRows is the most rows Predict runs at once for a model of configuration cfg:
// predictChunk, or more for a narrow network (up to 4096 rows, as long as a chunk's
// widest layer holds at most 2¹⁵ values), whose chunks would otherwise cost more in
// running the graph than in arithmetic. A row's values do not depend on the chunk it
// runs in.
func predictRows(cfg Config) int {
	widest := cfg.K * (1 + 2*cfg.OutputDim + cfg.offDiagonals()) // the heads, side by side
	for _, h := range cfg.Hidden {
		widest = max(widest, h)
	}
	rows := predictChunk
	for rows < 4096 && 2*rows*widest <= 1<<15 {
		rows *= 2
	}
	return rows
}

// buildPredictor builds the network alone (no loss, no gradients) for rows inputs:
// input "mdn.x"; output the logits, means and raw scales (and the off-diagonals of a
// full-covariance model) side by side in one matrix, the heads computed as one matrix
// product (graph.DenseHeads, the same values as Forward's), followed, with a skip path,
// by the skip term x·A·E that Forward adds to the means (mixtures adds it, in the
// network's dtype, as Forward's Add does); or, for a model of several members (whose
// logits go through each group's log-softmax), as Forward's separate outputs.
func (m *Model) buildPredictor(rows int) (*models.Batch, error) {
	g := G.NewGraph()
	x := graph.NewInput(g, m.cfg.DType.Tensor(), "mdn.x", rows, m.cfg.InputDim)
	if m.fusedHeads() {
		h, err := m.body.Forward(x)
		if err != nil {
			return nil, prefixed(err)
		}
		y, err := graph.DenseHeads(h, m.heads()...)
		if err != nil {
			return nil, prefixed(err)
		}
		outs := G.Nodes{y}
		if m.skip != nil {
			s, err := m.skipTerm(x)
			if err != nil {
				return nil, prefixed(err)
			}
			outs = append(outs, s)
		}
		r, err := graph.NewRunner(g, outs)
		if err != nil {
			return nil, err
		}
		return &models.Batch{Runner: r, Inputs: G.Nodes{x}, Outputs: outs}, nil
	}
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
// error naming the row and column. The mixtures' slices are views into one Mixtures (see
// PredictMixtures, which skips building them).
func (m *Model) Predict(x [][]float64) ([]Mixture, error) {
	p, err := m.PredictMixtures(x)
	if err != nil {
		return nil, err
	}
	return p.All(), nil
}

// Mixtures holds the predicted mixtures of N rows in flat row-major arrays, each
// component's D values contiguous: component c of row i starts at (i·K + c)·D in Means
// and StdDevs and sits at i·K + c in Weights and LogWeights.
type Mixtures struct {
	N, K, D    int
	Weights    []float64 // π, N×K
	LogWeights []float64 // log π, N×K, finite where π underflows to 0
	Means      []float64 // μ, N×K×D
	StdDevs    []float64 // σ, N×K×D (full covariances: the marginal √Σ_dd)
	// Cholesky holds, for a full-covariance model, every component's lower-triangular
	// factor L of Σ = L Lᵀ, N×K×D×D (row-major within a factor, component c of row i
	// at (i·K + c)·D²); nil for a diagonal model. See Mixture.Cholesky.
	Cholesky []float64
}

// headers is how many slice headers one row's Mixture needs: K means, K standard
// deviations and, with full covariances, K Cholesky factors.
func (p *Mixtures) headers() int {
	if p.Cholesky != nil {
		return 3 * p.K
	}
	return 2 * p.K
}

// At returns row i's mixture, its slices views into p's arrays (capacities capped, so
// appending to one copies it).
func (p *Mixtures) At(i int) Mixture {
	mix := Mixture{}
	p.fill(&mix, i, make([][]float64, p.headers()))
	return mix
}

// All returns every row's mixture, as At does, with the slice headers of all rows in
// one allocation.
func (p *Mixtures) All() []Mixture {
	out := make([]Mixture, p.N)
	h := p.headers()
	rows := make([][]float64, h*p.N)
	for i := range out {
		p.fill(&out[i], i, rows[h*i:h*(i+1):h*(i+1)])
	}
	return out
}

func (p *Mixtures) fill(mix *Mixture, i int, rows [][]float64) {
	k, d := p.K, p.D
	means, sds := rows[:k:k], rows[k:2*k:2*k]
	for c := range k {
		o := (i*k + c) * d
		means[c] = p.Means[o : o+d : o+d]
		sds[c] = p.StdDevs[o : o+d : o+d]
	}
	*mix = Mixture{
		Weights:    p.Weights[i*k : (i+1)*k : (i+1)*k],
		LogWeights: p.LogWeights[i*k : (i+1)*k : (i+1)*k],
		Means:      means,
		StdDevs:    sds,
	}
	if p.Cholesky != nil {
		chol, dd := rows[2*k:3*k:3*k], d*d
		for c := range k {
			o := (i*k + c) * dd
			chol[c] = p.Cholesky[o : o+dd : o+dd]
		}
		mix.Cholesky = chol
	}
}

// PredictMixtures is Predict returning the mixtures in flat arrays: what a server
// predicting many rows at once wants, at the cost of the network and the mixtures' values
// alone. The rows' chunks run in parallel over the processors.
func (m *Model) PredictMixtures(x [][]float64) (*Mixtures, error) {
	p := new(Mixtures)
	if err := m.PredictMixturesInto(p, x); err != nil {
		return nil, err
	}
	return p, nil
}

// PredictMixturesInto is PredictMixtures writing into p: its arrays are reused when they
// have the capacity for x's rows (p's earlier contents are overwritten, and slices taken
// from it before see the new values) and allocated afresh otherwise. A server that
// predicts batch after batch keeps one Mixtures per goroutine and so allocates nothing
// per batch once the arrays have grown: fresh arrays of that size cost more than the
// mixtures' arithmetic (the memory is zeroed and, each time the runtime has returned it
// to the system, faulted in again page by page). On an error p holds no valid
// mixtures. The values are PredictMixtures', bit for bit.
func (m *Model) PredictMixturesInto(p *Mixtures, x [][]float64) error {
	buf, _ := m.inputs.Get().(*[]float64)
	if buf == nil {
		buf = new([]float64)
	}
	defer m.inputs.Put(buf)
	if need := len(x) * m.cfg.InputDim; cap(*buf) < need {
		*buf = make([]float64, 0, need)
	}
	flat, err := models.AppendRows((*buf)[:0], "mdn: input", x, m.cfg.InputDim)
	if err != nil {
		return err
	}
	*buf = flat
	norm := m.Normalization()
	norm.X(flat, flat)
	n, k, d := len(x), m.cfg.K, m.cfg.OutputDim
	p.size(n, k, d, m.cfg.offDiagonals() > 0)
	// Each chunk writes its own rows.
	err = m.predict.RunParallelOuts(n, [][]float64{flat}, func(start, rows int, o models.Outs) error {
		var i int
		var err error
		if o.F32 != nil {
			i, err = mixtures(m, p, start, rows, norm, newNetOuts(m, o.F32))
		} else {
			i, err = mixtures(m, p, start, rows, norm, newNetOuts(m, o.F64))
		}
		if err != nil {
			return fmt.Errorf("mdn: input row %d: %w", i, err)
		}
		return nil
	})
	if err != nil {
		return prefixed(err)
	}
	return nil
}

// size makes p hold n rows of mixtures of k components in d dimensions (with Cholesky
// factors when full), reusing its arrays where their capacity suffices; a p with no
// room gets one allocation for all its arrays.
func (p *Mixtures) size(n, k, d int, full bool) {
	nk, nkd, chol := n*k, n*k*d, 0
	if full {
		chol = n * k * d * d
	}
	p.N, p.K, p.D = n, k, d
	short := func(s []float64, n int) bool { return s == nil || cap(s) < n }
	if short(p.Weights, nk) && short(p.LogWeights, nk) && short(p.Means, nkd) && short(p.StdDevs, nkd) && (!full || short(p.Cholesky, chol)) {
		all := make([]float64, 2*nk+2*nkd+chol)
		p.Weights, p.LogWeights = all[:nk:nk], all[nk:2*nk:2*nk]
		all = all[2*nk:]
		p.Means, p.StdDevs = all[:nkd:nkd], all[nkd:2*nkd:2*nkd]
		p.Cholesky = nil
		if full {
			p.Cholesky = all[2*nkd:]
		}
		return
	}
	p.Weights, p.LogWeights = resize(p.Weights, nk), resize(p.LogWeights, nk)
	p.Means, p.StdDevs = resize(p.Means, nkd), resize(p.StdDevs, nkd)
	if full {
		p.Cholesky = resize(p.Cholesky, chol)
	} else {
		p.Cholesky = nil
	}
}

// resize returns s with length n, reallocated when its capacity is short.
func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// The network's outputs, in the order buildPredictor lists them.
const (
	outLogits = iota
	outMeans
	outScales
	outOffDiag
)

// netOuts locates one chunk's network outputs: row i of output j (outLogits, ...) starts
// at data[j][i·ld[j] + col[j]]. data[outOffDiag] is nil for a diagonal model. skip,
// when not nil, holds the skip path's term to add to the means (K·D values a row).
type netOuts[T float32 | float64] struct {
	data    [4][]T
	ld, col [4]int
	skip    []T
}

// row returns the n values of output j in row i.
func (o *netOuts[T]) row(j, i, n int) []T {
	at := i*o.ld[j] + o.col[j]
	return o.data[j][at : at+n : at+n]
}

// newNetOuts locates the outputs of a chunk of m's predictor: one matrix of every head
// side by side (logits, means, scales, off-diagonals) and the skip term, or one matrix
// per head.
func newNetOuts[T float32 | float64](m *Model, outs [][]T) netOuts[T] {
	k, d, om := m.cfg.K, m.cfg.OutputDim, m.cfg.offDiagonals()
	widths := [4]int{k, k * d, k * d, k * om}
	var o netOuts[T]
	if m.fusedHeads() {
		col := 0
		for j, w := range widths {
			if w > 0 {
				o.data[j], o.col[j] = outs[0], col
			}
			col += w
		}
		for j := range o.ld {
			o.ld[j] = col
		}
		if len(outs) > 1 {
			o.skip = outs[1]
		}
		return o
	}
	for j, out := range outs {
		o.data[j], o.ld[j] = out, widths[j]
	}
	return o
}

// mixtures turns a chunk of network outputs (logits, means, raw scales and, for a
// full-covariance model, off-diagonals, in the network's dtype) into rows start to
// start+rows−1 of p, in
// original units: π = softmax(z) (max-shifted), log π = z − max − log Σ exp(z − max),
// μ = μ'·s + m, σ = σ'·s with σ' = √(t(s')² + floor), where m and s are norm's target
// means and standard deviations. The exponentials run vectorised over the whole chunk. It
// returns the first row whose outputs are not a valid mixture, with the reason.
//
// Every value is computed in float64, a float32 output widened first, so that both dtypes
// share one computation.
//
// For a full-covariance model (off, the chunk's off-diagonal outputs, not nil) the
// Cholesky factor in original units is L = S L' with S = diag s (Σ = S Σ' S):
// L_jj = σ'_j s_j, L_jl = off'_jl s_j below the diagonal; the standard deviations are
// then the marginal ones, ‖row j of L‖.
func mixtures[T float32 | float64](m *Model, p *Mixtures, start, rows int, norm models.Normalization, net netOuts[T]) (int, error) {
	k, d := p.K, p.D
	kd := k * d
	w, lw := p.Weights[start*k:(start+rows)*k], p.LogWeights[start*k:(start+rows)*k]
	mu, sd := p.Means[start*kd:(start+rows)*kd], p.StdDevs[start*kd:(start+rows)*kd]
	for i := range rows {
		z, shifted := net.row(outLogits, i, k), lw[i*k:(i+1)*k]
		mx := math.Inf(-1)
		for _, v := range z {
			mx = max(mx, float64(v)) // math.Max's rules for NaN and ±0, inlined
		}
		for c, v := range z {
			shifted[c] = float64(v) - mx
		}
	}
	vecmath.Exp64(w, lw)
	bad := false
	for i := range rows {
		wi, lwi := w[i*k:(i+1)*k], lw[i*k:(i+1)*k]
		sum := 0.0
		for _, v := range wi {
			sum += v
		}
		logSum := math.Log(sum)
		for c := range wi {
			wi[c] /= sum
			lwi[c] -= logSum
		}
		bad = bad || math.IsNaN(sum) || math.IsInf(sum, 0)
	}
	if m.cfg.Scale == losses.ScaleExp {
		if raw, ok := any(net.data[outScales]).([]float64); ok && net.ld[outScales] == kd {
			vecmath.Exp64(sd, raw[:rows*kd])
		} else {
			for i := range rows {
				for c, r := range net.row(outScales, i, kd) {
					sd[i*kd+c] = float64(r)
				}
			}
			vecmath.Exp64(sd, sd)
		}
	} else {
		for i := range rows {
			for c, r := range net.row(outScales, i, kd) {
				sd[i*kd+c] = m.cfg.Scale.Sigma(float64(r), 0)
			}
		}
	}
	floor := m.cfg.VarianceFloor
	ym, ys := norm.YMean[:d:d], norm.YStd[:d:d]
	var skipBuf []T
	if net.skip != nil {
		skipBuf = make([]T, kd)
	}
	for i := range rows {
		means, mu, sd := net.row(outMeans, i, kd), mu[i*kd:(i+1)*kd:(i+1)*kd], sd[i*kd:(i+1)*kd:(i+1)*kd]
		if net.skip != nil { // Forward's means + x·A·E, rounded to T as its Add rounds
			withSkip := skipBuf[:kd:kd]
			for c, v := range net.skip[i*kd : (i+1)*kd] {
				withSkip[c] = T(means[c] + v)
			}
			means = withSkip
		}
		if d == 1 { // one loop over the components, the scale and shift in registers
			ys, ym := ys[0], ym[0]
			for c, m := range means {
				v := float64(m)*ys + ym
				mu[c] = v
				t := sd[c]
				if floor > 0 {
					t = math.Sqrt(t*t + floor)
				}
				t *= ys
				sd[c] = t
				// v − v is 0 unless v is ±Inf or NaN.
				bad = bad || v-v != 0 || !(t > 0 && t <= math.MaxFloat64)
			}
			continue
		}
		for o := 0; o < kd; o += d {
			for j := range d {
				v := float64(means[o+j])*ys[j] + ym[j]
				mu[o+j] = v
				t := sd[o+j]
				if floor > 0 {
					t = math.Sqrt(t*t + floor)
				}
				t *= ys[j]
				sd[o+j] = t
				bad = bad || v-v != 0 || !(t > 0 && t <= math.MaxFloat64)
			}
		}
	}
	if net.data[outOffDiag] != nil {
		om, dd := m.cfg.offDiagonals(), d*d
		chol := p.Cholesky[start*k*dd : (start+rows)*k*dd]
		for c := 0; c < rows*k; c++ {
			offs := net.row(outOffDiag, c/k, k*om)
			l, s, lo := chol[c*dd:(c+1)*dd], sd[c*d:(c+1)*d], offs[c%k*om:(c%k+1)*om]
			for j := range d {
				l[j*d+j] = s[j]
				for e := 0; e < j; e++ {
					v := float64(lo[j*(j-1)/2+e]) * norm.YStd[j]
					l[j*d+e] = v
					bad = bad || math.IsNaN(v) || math.IsInf(v, 0)
				}
			}
			copy(s, choleskyStdDevs(l, d))
			for _, v := range s {
				bad = bad || math.IsInf(v, 1)
			}
		}
	}
	if bad {
		// Only a broken chunk pays for the full check, which names what is wrong.
		for i := start; i < start+rows; i++ {
			if err := p.At(i).Validate(); err != nil {
				return i, fmt.Errorf("the network's output is not a valid mixture: %s", unprefixed(err))
			}
		}
	}
	return start, nil
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
// it changes only the means head's bias. With Config.Skip it first fits the skip matrix
// by least squares (x row-major, n×InputDim, original units), places the means on the
// residuals' k-means centres instead and starts the scales at the residuals' standard
// deviation (see Config.Skip): the initial model is then the linear-Gaussian regression
// with its noise split into K components.
func (m *Model) InitFromData(x, y []float64) error {
	d, k := m.cfg.OutputDim, m.cfg.K
	if len(y)%d != 0 || len(y) == 0 {
		return fmt.Errorf("mdn: %d target values do not make rows of %d", len(y), d)
	}
	n := len(y) / d
	rng := graph.NewRand(m.cfg.Seed ^ 0x9e3779b97f4a7c15)
	idx := rng.Perm(n)
	perm := idx
	if len(idx) > 4096 {
		idx = idx[:4096]
	}
	norm := m.Normalization()
	pts := make([][]float64, len(idx))
	for i, r := range idx {
		pts[i] = make([]float64, d)
		norm.Y(pts[i], y[r*d:(r+1)*d])
	}
	if m.skip != nil {
		if err := m.initSkip(x, y, perm, idx, pts); err != nil {
			return err
		}
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
