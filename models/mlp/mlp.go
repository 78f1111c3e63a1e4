package mlp

import (
	"fmt"

	G "gorgonia.org/gorgonia"

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
	DType               models.DType // "" means float64
	Seed                uint64
}

// Model is an MLP from x to ŷ trained on the mean squared error in standardised units.
// Predict, the accessors and CostInOriginalUnits only read the model and are safe for
// concurrent use; SetNormalization and training are not safe concurrently with any other
// method.
type Model struct {
	models.Base // Params, InputDim, OutputDim, Normalization, SetNormalization
	cfg         Config
	net         *graph.MLP
	predict     *models.Batcher
}

// predictChunk is the most rows Predict runs at once (see models.Batcher).
const predictChunk = 256

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
	dt, err := models.ParseDType(string(cfg.DType))
	if err != nil {
		return nil, fmt.Errorf("mlp: %w", err)
	}
	cfg.DType = dt
	ps, err := graph.NewParamSet(dt.Tensor())
	if err != nil {
		return nil, err
	}
	widths := append(append([]int{cfg.InputDim}, cfg.Hidden...), cfg.OutputDim)
	net, err := graph.NewMLP(ps, graph.MLPConfig{Name: "mlp", Widths: widths, Hidden: cfg.Activation}, graph.NewRand(cfg.Seed))
	if err != nil {
		return nil, fmt.Errorf("mlp: %w", err)
	}
	m := &Model{Base: models.NewBase("mlp", ps, cfg.InputDim, cfg.OutputDim), cfg: cfg, net: net}
	m.predict = models.NewBatcher(predictChunk, m.buildPredictor)
	return m, nil
}

// CostInOriginalUnits returns the cost unchanged: the mean squared error is reported in
// standardised units, where the dimensions are comparable.
func (m *Model) CostInOriginalUnits(cost float64) float64 { return cost }

// BuildLoss adds the network and its mean squared error for batches of size batch.
func (m *Model) BuildLoss(g *G.ExprGraph, batch int) (*models.Loss, error) {
	if batch < 1 {
		return nil, fmt.Errorf("mlp: batch size %d (want at least 1)", batch)
	}
	dt := m.Params().DType()
	x := graph.NewInput(g, dt, "mlp.x", batch, m.cfg.InputDim)
	y := graph.NewInput(g, dt, "mlp.y", batch, m.cfg.OutputDim)
	pred, err := m.net.Forward(x)
	if err != nil {
		return nil, err
	}
	// Per row: the mean over the D columns of the squared error; the cost is its mean.
	// That is losses.MSE(pred, y) mathematically, and bit for bit when D = 1, but not
	// for D > 1: the mean of the row means rounds differently from losses.MSE's one mean
	// over all B·D values, and the training history and the float32 weights it gives
	// differ in their last bits. Training needs the per-row cost anyway, and the cost is
	// built from it so that the two agree.
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
	norm := m.Normalization()
	norm.X(flat, flat)
	d := m.cfg.OutputDim
	out := make([][]float64, 0, len(x))
	err = m.predict.Run(len(x), [][]float64{flat}, func(_, rows int, o [][]float64) error {
		for i := 0; i < rows; i++ {
			row := make([]float64, d)
			for j := range row {
				row[j] = o[0][i*d+j]*norm.YStd[j] + norm.YMean[j]
			}
			out = append(out, row)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// buildPredictor builds the network alone for rows inputs.
func (m *Model) buildPredictor(rows int) (*models.Batch, error) {
	g := G.NewGraph()
	x := graph.NewInput(g, m.Params().DType(), "mlp.x", rows, m.cfg.InputDim)
	y, err := m.net.Forward(x)
	if err != nil {
		return nil, err
	}
	r, err := graph.NewRunner(g, G.Nodes{y})
	if err != nil {
		return nil, err
	}
	return &models.Batch{Runner: r, Inputs: G.Nodes{x}, Outputs: G.Nodes{y}}, nil
}
