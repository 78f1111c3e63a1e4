package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// Data is what a run trains on: training rows and, optionally, validation rows, in
// original units. Every value must be finite.
type Data struct {
	X, Y       [][]float64
	ValX, ValY [][]float64
}

// Result is what a run returns, also alongside an error once training has started.
type Result struct {
	History History
	Epochs  int // epochs completed
	Steps   int // solver steps taken
	// TrainNLL and ValNLL are measured on the final weights (after any restore-best),
	// per point in original units; ValNLL is NaN without validation rows.
	TrainNLL, ValNLL float64
	// BestEpoch is the epoch whose weights were kept (0: the final ones).
	BestEpoch int
	// TrainRows and ValRows are the numbers of rows trained on and validated on (after
	// any Config.ValFraction hold-out).
	TrainRows, ValRows int
	// Stopped says why the run ended; with an error that is neither a non-finite value
	// nor a cancellation (a graph, evaluation or checkpoint error) it is Failed.
	Stopped StopReason
}

// StopReason says why a run ended. Its values are the strings that a record of the run
// in JSON shows.
type StopReason string

// The reasons a run ends.
const (
	Completed     StopReason = "completed"      // every epoch (or Config.Steps) was run
	EarlyStopping StopReason = "early stopping" // Config.Patience epochs without a better validation NLL
	Cancelled     StopReason = "cancelled"      // the context was cancelled
	NonFinite     StopReason = "non-finite"     // a cost, gradient or parameter stopped being finite
	Failed        StopReason = "failed"         // any other error: Run's error says what
)

// ErrNonFinite is wrapped by the error Run returns when a cost, gradient or parameter
// stops being finite.
var ErrNonFinite = errors.New("non-finite value")

// epochAcc accumulates one epoch's statistics.
type epochAcc struct {
	CostSum   float64 `json:"cost_sum"` // Σ batch cost × batch rows
	Rows      int     `json:"rows"`
	NormSum   float64 `json:"norm_sum"`
	Steps     int     `json:"steps"`
	Clipped   int     `json:"clipped"`
	Elements  int     `json:"elements"`
	LearnRate float64 `json:"learn_rate"`
}

// Run trains m on d as cfg says (see the package documentation) and returns the run's
// Result. It changes m:
//
//   - Normalisation: Run sets m's normalisation to the training split's column means and
//     standard deviations, or to the identity with Config.RawUnits; a run resumed from a
//     checkpoint (Config.Resume) sets the checkpoint's instead.
//   - Data-dependent initialisation: if m is a models.DataInitializer, Run calls
//     InitFromData once, with the training rows in original units, after setting the
//     normalisation and before the first step; not with Config.KeepInit, nor when
//     resuming.
//   - Weights: Run trains m's weights in place (a resumed run starts from the
//     checkpoint's). When it returns, they are the weights of the epoch with the best
//     validation NLL (Result.BestEpoch) if there are validation rows and Config.KeepLast
//     is not set, and the last step's otherwise.
//
// Run returns an error when the run could not finish, and m's weights are then:
//
//   - for a bad Config, data or checkpoint, or an error from SetNormalization or
//     InitFromData (a nil Result; nothing was trained): as they were; m's normalisation
//     is already set when InitFromData fails;
//   - for a non-finite cost, gradient or parameter (the error wraps ErrNonFinite,
//     Result.Stopped is NonFinite): those after the last finite step; a step that made a
//     parameter non-finite is undone, and no checkpoint is written;
//   - when ctx is cancelled (the error wraps ctx's error, Result.Stopped is Cancelled):
//     after the current step a checkpoint of the last step is written (when checkpoints
//     are on), and m is left as at the end of a full run: the best validation epoch's
//     weights so far unless KeepLast;
//   - for any other error during training (running a graph, evaluating, writing a
//     periodic checkpoint): the last step's weights; but when only writing the final
//     checkpoint fails, m is left as at the end of a full run.
func Run(ctx context.Context, m models.Trainable, d Data, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	t, err := newTrainer(m, d, cfg)
	if err != nil {
		return nil, err
	}
	return t.run(ctx)
}

// trainer is a run's state: the model, the data in standardised units, what a step
// needs (the steppers, the gradient vector and its chunks, the solvers), the evaluators
// and the live checkpoint. NewStepper makes one without data.
type trainer struct {
	m      models.Trainable
	cfg    Config
	params []*graph.Param
	ps     *graph.ParamSet

	xs, ys   []float64 // standardised training rows
	vxs, vys []float64 // standardised validation rows
	n, nVal  int
	l2       float64 // Config.L2, added to every parameter's gradient (times w)
	decay    float64 // Config.WeightDecay/n, added to every weight matrix's (l2At)
	xDim     int
	yDim     int
	solver   *solvers
	weights  *tensor.Dense // all parameters' values in order (ParamSet.Span)
	grad     *tensor.Dense // the step's gradient, in the same order
	saved    *tensor.Dense // the weights before the solver's step, to undo it

	chunks       []chunk // the gradient's chunks (prepareGrads)
	chunkSq      []float64
	chunkClipped []int
	steppers     map[int]*stepper
	evals        *models.Batcher // evaluation graphs, built on first use

	batchesPerEpoch, epochs, totalSteps int

	cp      checkpoint // the live state, in checkpoint form
	started time.Time
	prior   float64 // seconds elapsed before a resume
	lastCB  time.Time
}

func newTrainer(m models.Trainable, d Data, cfg Config) (*trainer, error) {
	xDim, yDim := m.InputDim(), m.OutputDim()
	if len(d.X) != len(d.Y) {
		return nil, fmt.Errorf("train: %d input rows but %d target rows", len(d.X), len(d.Y))
	}
	if len(d.ValX) != len(d.ValY) {
		return nil, fmt.Errorf("train: %d validation input rows but %d validation target rows", len(d.ValX), len(d.ValY))
	}
	x, err := models.CheckRows("train: input", d.X, xDim)
	if err != nil {
		return nil, err
	}
	y, err := models.CheckRows("train: target", d.Y, yDim)
	if err != nil {
		return nil, err
	}
	vx, err := models.CheckRows("train: validation input", d.ValX, xDim)
	if err != nil {
		return nil, err
	}
	vy, err := models.CheckRows("train: validation target", d.ValY, yDim)
	if err != nil {
		return nil, err
	}
	if len(vx) == 0 && cfg.ValFraction > 0 {
		x, y, vx, vy, err = holdOut(x, y, xDim, yDim, cfg.ValFraction, cfg.Seed)
		if err != nil {
			return nil, err
		}
	}
	n := len(x) / xDim
	if n == 0 {
		return nil, fmt.Errorf("train: no training rows")
	}
	if cfg.Patience > 0 && len(vx) == 0 {
		return nil, fmt.Errorf("train: early stopping (patience %d) needs validation rows or a validation fraction", cfg.Patience)
	}
	t := &trainer{
		m: m, cfg: cfg, ps: m.Params(), params: m.Params().List(),
		n: n, nVal: len(vx) / xDim, xDim: xDim, yDim: yDim,
		steppers: map[int]*stepper{},
		l2:       cfg.L2,
		decay:    cfg.WeightDecay / float64(n),
	}
	t.batchesPerEpoch = (n + cfg.BatchSize - 1) / cfg.BatchSize
	if cfg.BatchSize > n {
		t.batchesPerEpoch = 1
	}
	t.epochs = cfg.Epochs
	t.totalSteps = cfg.Epochs * t.batchesPerEpoch
	if cfg.Steps > 0 {
		t.totalSteps = cfg.Steps
		t.epochs = (cfg.Steps + t.batchesPerEpoch - 1) / t.batchesPerEpoch
	}
	t.initSolver()
	t.cp = checkpoint{Config: cfg, ParamCount: t.ps.Count()}

	switch {
	case cfg.resume != nil:
		if err := t.restore(cfg.resume, cfg.resumeName); err != nil {
			return nil, badCheckpoint{err}
		}
	case cfg.Resume != "":
		if err := t.resume(cfg.Resume); err != nil {
			return nil, badCheckpoint{err}
		}
	case cfg.ResumeData != nil:
		c, err := decodeCheckpoint(cfg.ResumeData, "(Config.ResumeData)")
		if err == nil {
			err = t.restore(c, "(Config.ResumeData)")
		}
		if err != nil {
			return nil, badCheckpoint{err}
		}
	default:
		if !cfg.KeepNormalization {
			norm := models.Fit(x, xDim, y, yDim)
			if cfg.RawUnits {
				norm = models.IdentityNormalization(xDim, yDim)
			}
			if err := m.SetNormalization(norm); err != nil {
				return nil, err
			}
		}
		if init, ok := m.(models.DataInitializer); ok && !cfg.KeepInit {
			if err := init.InitFromData(x, y); err != nil {
				return nil, err
			}
		}
	}
	norm := m.Normalization()
	t.cp.Normalization = norm
	t.xs, t.ys = make([]float64, len(x)), make([]float64, len(y))
	norm.X(t.xs, x)
	norm.Y(t.ys, y)
	t.vxs, t.vys = make([]float64, len(vx)), make([]float64, len(vy))
	norm.X(t.vxs, vx)
	norm.Y(t.vys, vy)
	return t, nil
}

// holdOut moves a seeded random fraction of the rows to a validation set.
func holdOut(x, y []float64, xDim, yDim int, frac float64, seed uint64) (tx, ty, vx, vy []float64, err error) {
	n := len(x) / xDim
	nVal := int(math.Round(frac * float64(n)))
	if nVal < 1 || nVal >= n {
		return nil, nil, nil, nil, fmt.Errorf("train: a validation fraction of %g of %d rows leaves %d validation and %d training rows (both must be at least 1)", frac, n, nVal, n-nVal)
	}
	perm := graph.NewRand(seed ^ 0x76616c).Perm(n)
	for i, r := range perm {
		if i < nVal {
			vx = append(vx, x[r*xDim:(r+1)*xDim]...)
			vy = append(vy, y[r*yDim:(r+1)*yDim]...)
		} else {
			tx = append(tx, x[r*xDim:(r+1)*xDim]...)
			ty = append(ty, y[r*yDim:(r+1)*yDim]...)
		}
	}
	return tx, ty, vx, vy, nil
}

func (t *trainer) elapsed() float64 { return t.prior + time.Since(t.started).Seconds() }

func (t *trainer) run(ctx context.Context) (*Result, error) {
	t.started = time.Now()
	res := &Result{Stopped: Completed}
	cp := &t.cp
	perm := []int(nil)
	permEpoch := -1
	var runErr error

	if cp.Stopped == EarlyStopping {
		// Resumed from the final checkpoint of a run that stopped early: it is over.
		res.Stopped = EarlyStopping
	}

loop:
	for res.Stopped == Completed && cp.Epoch < t.epochs && cp.Step < t.totalSteps {
		if permEpoch != cp.Epoch {
			perm = graph.NewRand(t.cfg.Seed + uint64(cp.Epoch)*0x9e3779b97f4a7c15).Perm(t.n)
			permEpoch = cp.Epoch
		}
		for cp.Batch < t.batchesPerEpoch && cp.Step < t.totalSteps {
			if err := ctx.Err(); err != nil {
				res.Stopped = Cancelled
				runErr = err
				break loop
			}
			lo := cp.Batch * t.cfg.BatchSize
			hi := min(lo+t.cfg.BatchSize, t.n)
			if err := t.step(perm[lo:hi]); err != nil {
				runErr = err
				break loop
			}
			cp.Batch++
			cp.Step++
		}
		// Epoch complete (or the step budget ended it).
		if err := t.endEpoch(res); err != nil {
			runErr = err
			break
		}
		if res.Stopped == EarlyStopping {
			break
		}
		if t.checkpointing() && cp.Epoch%t.cfg.CheckpointEvery == 0 {
			if err := t.checkpoint(); err != nil {
				runErr = err
				break
			}
		}
	}

	if errors.Is(runErr, ErrNonFinite) {
		res.Stopped = NonFinite
		t.finish(res)
		return res, runErr
	}
	if runErr != nil && res.Stopped != Cancelled {
		res.Stopped = Failed
		t.finish(res)
		return res, runErr
	}
	if t.checkpointing() {
		if res.Stopped == EarlyStopping {
			cp.Stopped = EarlyStopping
		}
		if err := t.checkpoint(); err != nil && runErr == nil {
			runErr = err
		}
	}
	// The checkpoint above holds the last weights (what a resume continues from); the
	// model is left with the best validation epoch's, also when the run was cancelled.
	if !t.cfg.KeepLast && cp.BestEpoch > 0 {
		if err := t.ps.SetFlat(cp.BestParams); err != nil {
			return res, err
		}
		res.BestEpoch = cp.BestEpoch
	}
	if err := t.finish(res); err != nil && runErr == nil {
		runErr = err
	}
	if res.Stopped == Cancelled {
		return res, fmt.Errorf("train: cancelled at step %d: %w", cp.Step, runErr)
	}
	if runErr != nil {
		res.Stopped = Failed
	}
	return res, runErr
}

// finish fills the result's final figures and makes the last progress call.
func (t *trainer) finish(res *Result) error {
	cp := &t.cp
	res.History = cp.History
	res.Epochs = len(cp.History)
	res.Steps = cp.Step
	res.TrainRows, res.ValRows = t.n, t.nVal
	var err error
	res.TrainNLL, err = t.evaluate(t.xs, t.ys, t.n)
	res.ValNLL = math.NaN()
	if err == nil && t.nVal > 0 {
		res.ValNLL, err = t.evaluate(t.vxs, t.vys, t.nVal)
	}
	t.progress(true)
	return err
}

// endEpoch records the epoch in the history, tracks the best validation NLL and decides
// on early stopping.
func (t *trainer) endEpoch(res *Result) error {
	cp := &t.cp
	a := cp.Acc
	e := Epoch{Epoch: cp.Epoch + 1, Step: cp.Step, TrainNLL: math.NaN(), ValNLL: math.NaN(), LearnRate: a.LearnRate}
	if a.Rows > 0 {
		e.TrainNLL = t.m.CostInOriginalUnits(a.CostSum / float64(a.Rows))
		e.GradNorm = a.NormSum / float64(a.Steps)
		e.ClippedFraction = float64(a.Clipped) / float64(max(1, a.Elements))
	}
	if t.nVal > 0 {
		v, err := t.evaluate(t.vxs, t.vys, t.nVal)
		if err != nil {
			return err
		}
		e.ValNLL = v
		if !math.IsNaN(v) && (cp.BestEpoch == 0 || v < cp.BestVal) {
			cp.BestEpoch, cp.BestVal = e.Epoch, v
			cp.BestParams = t.ps.Flatten(cp.BestParams[:0])
		}
		if t.cfg.Patience > 0 && e.Epoch-cp.BestEpoch >= t.cfg.Patience {
			res.Stopped = EarlyStopping
		}
	}
	e.Elapsed = t.elapsed()
	cp.History = append(cp.History, e)
	cp.Epoch++
	cp.Batch = 0
	cp.Acc = epochAcc{}
	return nil
}

func (t *trainer) progress(done bool) {
	if t.cfg.Progress == nil {
		return
	}
	now := time.Now()
	every := t.cfg.ProgressEvery
	if !done {
		if every < 0 {
			if t.cp.Batch+1 != t.batchesPerEpoch {
				return
			}
		} else if now.Sub(t.lastCB) < every {
			return
		}
	}
	t.lastCB = now
	p := Progress{Epoch: t.cp.Epoch + 1, Epochs: t.epochs, Step: t.cp.Step + 1, Steps: t.totalSteps, Elapsed: time.Duration(t.elapsed() * float64(time.Second)), Done: done}
	if done {
		p.Epoch, p.Step = len(t.cp.History), t.cp.Step
	}
	if t.cp.BestEpoch > 0 {
		p.BestEpoch, p.BestValNLL = t.cp.BestEpoch, t.cp.BestVal
	}
	if h := t.cp.History; len(h) > 0 {
		last := h[len(h)-1]
		p.Last = &last
	}
	t.cfg.Progress(p)
}
