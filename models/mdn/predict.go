package mdn

import (
	"fmt"
	"math"
	"sort"
	"sync"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// predictChunk is the batch size of the graphs Predict and LogLik run; fewer rows run on
// a graph of the next power of two, padded with zero rows whose results are dropped.
const predictChunk = 256

func chunkSize(n int) int {
	if n >= predictChunk {
		return predictChunk
	}
	c := 1
	for c < n {
		c *= 2
	}
	return c
}

// buildMu serialises the graphs this package builds for Predict and LogLik, in every
// model. Building two graphs on one model at once races on its ParamSet (a parameter's
// first node marks the set bound), and Gorgonia's graph construction is not safe
// concurrently either (its symbolic differentiation races on package-level constants);
// the lock costs only the first call of each batch size. Running built graphs in
// parallel is safe.
var buildMu sync.Mutex

// runners keeps the idle graph runners of one kind (predictors or evaluators) of a
// model, by batch size. A caller takes one for a run and puts it back after, so that
// concurrent calls never share a graph; the set grows to as many runners per size as
// have run at once.
type runners[T any] struct {
	mu   sync.Mutex
	idle map[int][]T
}

// get takes an idle runner of the given batch size, or builds one with build (under
// buildMu) if none is idle.
func (rs *runners[T]) get(size int, build func(int) (T, error)) (T, error) {
	rs.mu.Lock()
	if free := rs.idle[size]; len(free) > 0 {
		r := free[len(free)-1]
		rs.idle[size] = free[:len(free)-1]
		rs.mu.Unlock()
		return r, nil
	}
	rs.mu.Unlock()
	buildMu.Lock()
	defer buildMu.Unlock()
	return build(size)
}

// put returns a runner taken with get. A runner whose run failed is not put back.
func (rs *runners[T]) put(size int, r T) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.idle == nil {
		rs.idle = map[int][]T{}
	}
	rs.idle[size] = append(rs.idle[size], r)
}

// predictor runs the network alone (no loss, no gradients) on a fixed batch size.
type predictor struct {
	x   *G.Node
	out *Outputs
	r   *graph.Runner
}

func (m *Model) newPredictor(size int) (*predictor, error) {
	g := G.NewGraph()
	x := graph.NewInput(g, m.cfg.DType.Tensor(), "mdn.x", size, m.cfg.InputDim)
	out, err := m.Forward(x)
	if err != nil {
		return nil, err
	}
	r, err := graph.NewRunner(g, G.Nodes{out.Logits, out.Means, out.Scales})
	if err != nil {
		return nil, err
	}
	return &predictor{x: x, out: out, r: r}, nil
}

// Predict returns, for every row of x (original units, InputDim columns), the mixture
// p(y | x) in original units. A row of the wrong width or holding NaN or ±Inf is an
// error naming the row and column.
func (m *Model) Predict(x [][]float64) ([]Mixture, error) {
	flat, err := models.CheckRows("mdn: input", x, m.cfg.InputDim)
	if err != nil {
		return nil, err
	}
	return m.predictFlat(flat, len(x))
}

func (m *Model) predictFlat(flat []float64, n int) ([]Mixture, error) {
	in, k, d := m.cfg.InputDim, m.cfg.K, m.cfg.OutputDim
	out := make([]Mixture, 0, n)
	if n == 0 {
		return out, nil
	}
	size := chunkSize(n)
	p, err := m.predictors.get(size, m.newPredictor)
	if err != nil {
		return nil, prefixed(err)
	}
	buf := make([]float64, size*in)
	var logits, means, scales []float64
	for start := 0; start < n; start += size {
		rows := min(size, n-start)
		clear(buf)
		m.norm.X(buf[:rows*in], flat[start*in:(start+rows)*in])
		if logits, means, scales, err = p.run(buf, logits, means, scales); err != nil {
			return nil, prefixed(err) // p is dropped: a failed run may have left it half-done
		}
		for i := 0; i < rows; i++ {
			mix, err := m.mixture(logits[i*k:(i+1)*k], means[i*k*d:(i+1)*k*d], scales[i*k*d:(i+1)*k*d])
			if err != nil {
				m.predictors.put(size, p)
				return nil, fmt.Errorf("mdn: input row %d: %w", start+i, err)
			}
			out = append(out, mix)
		}
	}
	m.predictors.put(size, p)
	return out, nil
}

// run runs the network on x (standardised, size×InputDim) and returns its outputs in
// the given slices' memory.
func (p *predictor) run(x, logits, means, scales []float64) (_, _, _ []float64, err error) {
	if err := p.r.Feed(p.x, x); err != nil {
		return nil, nil, nil, err
	}
	if err := p.r.Run(); err != nil {
		return nil, nil, nil, err
	}
	if logits, err = p.r.Float64s(logits[:0], p.out.Logits); err != nil {
		return nil, nil, nil, err
	}
	if means, err = p.r.Float64s(means[:0], p.out.Means); err != nil {
		return nil, nil, nil, err
	}
	if scales, err = p.r.Float64s(scales[:0], p.out.Scales); err != nil {
		return nil, nil, nil, err
	}
	return logits, means, scales, nil
}

// mixture turns one row of network outputs into a Mixture in original units:
// π = softmax(z) (max-shifted), μ = μ'·s + m, σ = σ'·s with σ' = √(t(s')² + floor).
func (m *Model) mixture(logits, means, scales []float64) (Mixture, error) {
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
	for c := range mix.Weights {
		mix.Weights[c] /= sum
	}
	for c := 0; c < k; c++ {
		mix.Means[c] = make([]float64, d)
		mix.StdDevs[c] = make([]float64, d)
		for j := 0; j < d; j++ {
			mix.Means[c][j] = means[c*d+j]*m.norm.YStd[j] + m.norm.YMean[j]
			mix.StdDevs[c][j] = m.cfg.Scale.Sigma(scales[c*d+j], m.cfg.VarianceFloor) * m.norm.YStd[j]
		}
	}
	if err := mix.Validate(); err != nil {
		return Mixture{}, fmt.Errorf("the network's output is not a valid mixture: %s", unprefixed(err))
	}
	return mix, nil
}

// evaluator runs the loss without gradients on a fixed batch size.
type evaluator struct {
	loss *models.Loss
	r    *graph.Runner
}

func (m *Model) newEvaluator(size int) (*evaluator, error) {
	g := G.NewGraph()
	loss, err := m.BuildLoss(g, size)
	if err != nil {
		return nil, err
	}
	r, err := graph.NewRunner(g, G.Nodes{loss.PerRow})
	if err != nil {
		return nil, err
	}
	return &evaluator{loss: loss, r: r}, nil
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
	return m.logLikFlat(xf, yf, len(x))
}

func (m *Model) logLikFlat(xf, yf []float64, n int) ([]float64, error) {
	in, d := m.cfg.InputDim, m.cfg.OutputDim
	out := make([]float64, 0, n)
	if n == 0 {
		return out, nil
	}
	size := chunkSize(n)
	e, err := m.evaluators.get(size, m.newEvaluator)
	if err != nil {
		return nil, prefixed(err)
	}
	xb, yb := make([]float64, size*in), make([]float64, size*d)
	logDet := m.norm.LogDetY()
	var perRow []float64
	for start := 0; start < n; start += size {
		rows := min(size, n-start)
		clear(xb)
		clear(yb)
		m.norm.X(xb[:rows*in], xf[start*in:(start+rows)*in])
		m.norm.Y(yb[:rows*d], yf[start*d:(start+rows)*d])
		if perRow, err = e.run(xb, yb, perRow); err != nil {
			return nil, prefixed(err) // e is dropped: a failed run may have left it half-done
		}
		for i := 0; i < rows; i++ {
			out = append(out, -perRow[i]-logDet)
		}
	}
	m.evaluators.put(size, e)
	return out, nil
}

// run runs the loss on x and y (standardised, size rows) and returns the per-row
// negative log-likelihoods in perRow's memory.
func (e *evaluator) run(x, y, perRow []float64) ([]float64, error) {
	if err := e.r.Feed(e.loss.X, x); err != nil {
		return nil, err
	}
	if err := e.r.Feed(e.loss.Y, y); err != nil {
		return nil, err
	}
	if err := e.r.Run(); err != nil {
		return nil, err
	}
	return e.r.Float64s(perRow[:0], e.loss.PerRow)
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
	pts := make([][]float64, len(idx))
	for i, r := range idx {
		pts[i] = make([]float64, d)
		m.norm.Y(pts[i], y[r*d:(r+1)*d])
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
