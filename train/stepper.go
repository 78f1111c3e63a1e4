package train

import (
	"fmt"

	"github.com/mixgraph/mixgraph/models"
)

// Stepper takes single training steps on batches the caller supplies: exactly the step
// Run takes (forward, cost, backward, gradient checks and statistics, value clipping and
// the solver's update), without epochs, shuffling or evaluation. Benchmarks use it to
// time one step; research code can use it to drive its own loop. The rows are given in
// the model's standardised units. Config fields about epochs, validation, checkpoints
// and progress are ignored.
//
// The learning-rate schedule runs over the steps: with the cosine schedule it falls from
// LearnRate at the first step to MinLearnRate at step Config.Steps (and stays there), and
// the step schedule multiplies it by DecayFactor every DecayEvery steps (0: a third of
// Steps). A schedule other than constant therefore needs Config.Steps.
type Stepper struct {
	t   *trainer
	idx []int
}

// NewStepper prepares steps of batch rows for m, with the solver, learning rate, clipping
// and L2 of cfg (defaults as in Run). The model's normalisation is left as it is.
func NewStepper(m models.Trainable, batch int, cfg Config) (*Stepper, error) {
	if batch < 1 {
		return nil, fmt.Errorf("train: stepper batch size %d (want at least 1)", batch)
	}
	if cfg.WeightDecay != 0 {
		return nil, fmt.Errorf("train: a stepper does not take WeightDecay %g (it has no data size; give L2)", cfg.WeightDecay)
	}
	cfg.Patience, cfg.ValFraction, cfg.CheckpointPath, cfg.SaveCheckpoint, cfg.Resume, cfg.Progress = 0, 0, "", nil, "", nil
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.Schedule != ConstantLR && cfg.Steps == 0 {
		return nil, fmt.Errorf("train: a stepper with the %s schedule needs Config.Steps, the number of steps the schedule spans", cfg.Schedule)
	}
	// Every step is an "epoch" of one batch, so that the step schedule counts steps.
	steps := max(1, cfg.Steps)
	t := &trainer{
		m: m, cfg: cfg, ps: m.Params(), params: m.Params().List(),
		n: batch, xDim: m.InputDim(), yDim: m.OutputDim(),
		steppers:        map[int]*stepper{},
		batchesPerEpoch: 1, epochs: steps, totalSteps: steps, l2: cfg.L2,
	}
	t.initSolver()
	t.xs, t.ys = make([]float64, batch*t.xDim), make([]float64, batch*t.yDim)
	s := &Stepper{t: t, idx: make([]int, batch)}
	for i := range s.idx {
		s.idx[i] = i
	}
	if _, err := t.stepper(batch); err != nil {
		return nil, err
	}
	return s, nil
}

// Step takes one step on the row-major batch x (batch×InputDim) and y (batch×OutputDim)
// and returns the batch's mean cost before the update.
func (s *Stepper) Step(x, y []float64) (float64, error) {
	t := s.t
	if len(x) != len(t.xs) || len(y) != len(t.ys) {
		return 0, fmt.Errorf("train: stepper takes %d input and %d target values, got %d and %d", len(t.xs), len(t.ys), len(x), len(y))
	}
	copy(t.xs, x)
	copy(t.ys, y)
	t.cp.Acc = epochAcc{}
	if err := t.step(s.idx); err != nil {
		return 0, err
	}
	t.cp.Step++
	t.cp.Epoch++
	return t.cp.Acc.CostSum / float64(t.cp.Acc.Rows), nil
}
