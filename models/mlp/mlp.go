// Package mlp is a least-squares MLP regressor: the baseline that shows what a mixture
// density network adds. Trained on the mean squared error, it predicts the conditional
// mean E[y | x], which on multimodal data falls between the branches where no data lies.
//
// It shares graph's layers with models/mdn and trains with package train like any
// models.Trainable.
package mlp

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

var _ models.Trainable = (*Model)(nil)

// Config describes the regressor. Zero fields take defaults: Hidden [32 32], tanh,
// float64.
type Config struct {
	InputDim, OutputDim int
	Hidden              []int
	Activation          graph.Activation
	Float32             bool
	Seed                uint64
}

// Model is an MLP from x to ŷ trained on the mean squared error in standardised units.
type Model struct {
	cfg  Config
	ps   *graph.ParamSet
	net  *graph.MLP
	norm models.Normalization
	pred map[int]*predictor
}

type predictor struct {
	x, y *G.Node
	r    *graph.Runner
}

// New builds the model, its weights drawn from cfg.Seed (Glorot uniform, zero biases).
func New(cfg Config) (*Model, error) {
	if cfg.InputDim < 1 || cfg.OutputDim < 1 {
		return nil, fmt.Errorf("mlp: input and output dimensions %d and %d (want at least 1)", cfg.InputDim, cfg.OutputDim)
	}
	if cfg.Hidden == nil {
		cfg.Hidden = []int{32, 32}
	}
	if cfg.Activation == "" {
		cfg.Activation = graph.Tanh
	}
	dtype := tensor.Float64
	if cfg.Float32 {
		dtype = tensor.Float32
	}
	ps, err := graph.NewParamSet(dtype)
	if err != nil {
		return nil, err
	}
	widths := append(append([]int{cfg.InputDim}, cfg.Hidden...), cfg.OutputDim)
	net, err := graph.NewMLP(ps, graph.MLPConfig{Name: "mlp", Widths: widths, Hidden: cfg.Activation}, graph.NewRand(cfg.Seed))
	if err != nil {
		return nil, fmt.Errorf("mlp: %w", err)
	}
	return &Model{cfg: cfg, ps: ps, net: net, norm: models.Identity(cfg.InputDim, cfg.OutputDim)}, nil
}

// Params returns the learnable parameters.
func (m *Model) Params() *graph.ParamSet { return m.ps }

// InputDim is the width of x.
func (m *Model) InputDim() int { return m.cfg.InputDim }

// OutputDim is the width of y.
func (m *Model) OutputDim() int { return m.cfg.OutputDim }

// Normalization returns a copy of the standardisation.
func (m *Model) Normalization() models.Normalization { return m.norm.Clone() }

// SetNormalization sets the standardisation.
func (m *Model) SetNormalization(n models.Normalization) error {
	if err := n.Validate(m.cfg.InputDim, m.cfg.OutputDim); err != nil {
		return fmt.Errorf("mlp: %w", err)
	}
	m.norm = n.Clone()
	return nil
}

// CostInOriginalUnits returns the cost unchanged: the mean squared error is reported in
// standardised units, where the dimensions are comparable.
func (m *Model) CostInOriginalUnits(cost float64) float64 { return cost }

// BuildLoss adds the network and its mean squared error (the value losses.MSE gives)
// for batches of size batch.
func (m *Model) BuildLoss(g *G.ExprGraph, batch int) (*models.Loss, error) {
	if batch < 1 {
		return nil, fmt.Errorf("mlp: batch size %d (want at least 1)", batch)
	}
	dt := m.ps.Dtype()
	x := graph.NewInput(g, dt, "mlp.x", batch, m.cfg.InputDim)
	y := graph.NewInput(g, dt, "mlp.y", batch, m.cfg.OutputDim)
	pred, err := m.net.Forward(x)
	if err != nil {
		return nil, err
	}
	// Per row: the mean over the D columns of the squared error; the cost is its mean,
	// which equals losses.MSE(pred, y).
	diff, err := G.Sub(pred, y)
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(diff)
	if err != nil {
		return nil, err
	}
	perRow, err := G.Mean(sq, 1)
	if err != nil {
		return nil, err
	}
	cost, err := G.Mean(perRow)
	if err != nil {
		return nil, err
	}
	return &models.Loss{X: x, Y: y, Cost: cost, PerRow: perRow}, nil
}

// Predict returns ŷ for every row of x, in original units.
func (m *Model) Predict(x [][]float64) ([][]float64, error) {
	flat, err := models.CheckRows("mlp: input", x, m.cfg.InputDim)
	if err != nil {
		return nil, err
	}
	n, in, d := len(x), m.cfg.InputDim, m.cfg.OutputDim
	out := make([][]float64, 0, n)
	if n == 0 {
		return out, nil
	}
	const chunk = 256
	size := min(n, chunk)
	p, err := m.predictor(size)
	if err != nil {
		return nil, err
	}
	buf := make([]float64, size*in)
	var vals []float64
	for start := 0; start < n; start += size {
		rows := min(size, n-start)
		clear(buf)
		m.norm.X(buf[:rows*in], flat[start*in:(start+rows)*in])
		if err := p.r.Feed(p.x, buf); err != nil {
			return nil, err
		}
		if err := p.r.Run(); err != nil {
			return nil, err
		}
		if vals, err = p.r.Float64s(vals[:0], p.y); err != nil {
			return nil, err
		}
		for i := 0; i < rows; i++ {
			row := make([]float64, d)
			for j := range row {
				row[j] = vals[i*d+j]*m.norm.YStd[j] + m.norm.YMean[j]
			}
			out = append(out, row)
		}
	}
	return out, nil
}

func (m *Model) predictor(size int) (*predictor, error) {
	if p, ok := m.pred[size]; ok {
		return p, nil
	}
	g := G.NewGraph()
	x := graph.NewInput(g, m.ps.Dtype(), "mlp.x", size, m.cfg.InputDim)
	y, err := m.net.Forward(x)
	if err != nil {
		return nil, err
	}
	r, err := graph.NewRunner(g, G.Nodes{y})
	if err != nil {
		return nil, err
	}
	if m.pred == nil {
		m.pred = map[int]*predictor{}
	}
	p := &predictor{x: x, y: y, r: r}
	m.pred[size] = p
	return p, nil
}
