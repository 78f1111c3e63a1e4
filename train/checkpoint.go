package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"

	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/internal/framed"
	"github.com/mixgraph/mixgraph/models"
)

// The checkpoint format (framed by internal/framed): a JSON header line
// {"format":"mixgraph.checkpoint","version":1,"body_bytes":N,"sha256":"…"} and a JSON body
// of N bytes with that SHA-256 holding everything a run needs to continue bit for bit.
const (
	checkpointFormat  = "mixgraph.checkpoint"
	checkpointVersion = 1
)

// checkpoint is a run's complete state at a step boundary.
type checkpoint struct {
	Config        Config               `json:"config"`
	Normalization models.Normalization `json:"normalization"`
	ParamCount    int                  `json:"param_count"`
	Params        []float64            `json:"params"`
	Solver        *solverState         `json:"solver"`
	// Position: Epoch is the 0-based epoch in progress and Batch the number of its
	// batches already taken; Step counts all steps.
	Epoch, Batch, Step int
	// The running epoch's accumulators.
	Acc epochAcc `json:"acc"`
	// Best validation so far (BestEpoch 0: none).
	BestEpoch  int       `json:"best_epoch"`
	BestVal    float64   `json:"best_val"`
	BestParams []float64 `json:"best_params,omitempty"`
	History    History   `json:"history"`
	Elapsed    float64   `json:"elapsed_seconds"`
	// Stopped is EarlyStopping in the final checkpoint of a run that stopped early, so
	// that a resume from it ends the run at once instead of training on; empty
	// otherwise (a run that completed its epochs ends at once by its position).
	Stopped StopReason `json:"stopped,omitempty"`
}

func writeCheckpoint(path string, c *checkpoint) error {
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("train: encoding the checkpoint: %w", err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		return framed.Write(w, checkpointFormat, checkpointVersion, body)
	})
}

// checkpoint writes the live state.
func (t *trainer) checkpoint() error {
	st, err := t.solver.state()
	if err != nil {
		return err
	}
	cp := t.cp
	cp.Params = t.ps.Flatten(nil)
	cp.Solver = st
	cp.Elapsed = t.elapsed()
	if cp.BestEpoch == 0 {
		cp.BestVal = 0
	}
	for _, v := range cp.Params {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("train: refusing to checkpoint a non-finite parameter: %w", ErrNonFinite)
		}
	}
	if t.cfg.SaveCheckpoint != nil {
		body, err := json.Marshal(&cp)
		if err != nil {
			return fmt.Errorf("train: encoding the checkpoint: %w", err)
		}
		return t.cfg.SaveCheckpoint(func(w io.Writer) error {
			return framed.Write(w, checkpointFormat, checkpointVersion, body)
		})
	}
	return writeCheckpoint(t.cfg.CheckpointPath, &cp)
}

// checkpointing reports whether the run writes checkpoints.
func (t *trainer) checkpointing() bool {
	return t.cfg.CheckpointPath != "" || t.cfg.SaveCheckpoint != nil
}

// resume continues the run from the checkpoint at path: the model's normalisation and
// weights, the solvers' state and the run's position and history. On an error the model
// is left as it was.
func (t *trainer) resume(path string) error {
	c, err := readCheckpoint(path)
	if err != nil {
		return err
	}
	return t.restore(c, path)
}

// restore continues the run from checkpoint c, read from the file or source named path.
func (t *trainer) restore(c *checkpoint, path string) error {
	if c.ParamCount != t.ps.Count() || len(c.Params) != t.ps.Count() {
		return fmt.Errorf("train: checkpoint %s holds %d parameters, the model has %d", path, len(c.Params), t.ps.Count())
	}
	if c.Config.Solver != t.cfg.Solver {
		return fmt.Errorf("train: checkpoint %s was made with solver %s, this run uses %s", path, c.Config.Solver, t.cfg.Solver)
	}
	// The solvers first: the model is changed only once nothing can fail but the
	// normalisation, which is set before the weights.
	if err := t.solver.restore(c.Solver); err != nil {
		return err
	}
	if err := t.m.SetNormalization(c.Normalization); err != nil {
		return err
	}
	if err := t.ps.SetFlat(c.Params); err != nil {
		return err
	}
	c.Config = t.cfg
	c.ParamCount = t.ps.Count()
	t.cp = *c
	t.prior = c.Elapsed
	return nil
}

// maxCheckpointBytes is the largest checkpoint file readCheckpoint reads (2 GiB): a
// bound on the memory a damaged or foreign file can make it take. A checkpoint holds
// about 3 numbers of up to 24 characters a parameter, so this allows some 30 million
// parameters.
const maxCheckpointBytes int64 = 2 << 30

// readCheckpoint reads and checks the checkpoint file at path.
func readCheckpoint(path string) (*checkpoint, error) {
	data, err := framed.ReadFile(path, maxCheckpointBytes, "a checkpoint may have")
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", path, unwrapPath(err))
	}
	return decodeCheckpoint(data, path)
}

// unwrapPath drops the operation and path from a *fs.PathError (the message names the
// file already), keeping the cause, so that errors.Is(err, fs.ErrNotExist) still holds.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ErrBadCheckpoint is wrapped by the error of a checkpoint that cannot be resumed (by
// Config.Resume or ResumeData, ResumeMembers or ReadCheckpointPosition): unreadable,
// damaged, of another kind or version, or not the model's or the run's.
var ErrBadCheckpoint = errors.New("train: the checkpoint cannot be resumed")

// badCheckpoint marks err as ErrBadCheckpoint, its message unchanged.
type badCheckpoint struct{ error }

func (e badCheckpoint) Is(target error) bool { return target == ErrBadCheckpoint }
func (e badCheckpoint) Unwrap() error        { return e.error }

// CheckpointPosition is how far the run of a checkpoint had got.
type CheckpointPosition struct {
	// Epochs and Steps count the epochs completed and the steps taken.
	Epochs, Steps int
	// BestEpoch is the epoch of the best validation NLL so far (0: none).
	BestEpoch int
	// Finished says the run was over: it ran its epochs or steps (with the Config it
	// was made with), or stopped early.
	Finished bool
}

// ReadCheckpointPosition checks a checkpoint's encoding (a checkpoint file's content,
// or what Config.SaveCheckpoint was given) and returns how far its run had got.
func ReadCheckpointPosition(data []byte) (CheckpointPosition, error) {
	c, err := decodeCheckpoint(data, "(data)")
	if err != nil {
		return CheckpointPosition{}, badCheckpoint{err}
	}
	cfg := c.Config.withDefaults()
	done := c.Stopped == EarlyStopping || cfg.Steps > 0 && c.Step >= cfg.Steps || cfg.Steps == 0 && cfg.Epochs > 0 && c.Epoch >= cfg.Epochs
	return CheckpointPosition{Epochs: c.Epoch, Steps: c.Step, BestEpoch: c.BestEpoch, Finished: done}, nil
}

// decodeCheckpoint decodes and checks a checkpoint file's content; name (the file's
// path) is used in errors. A checkpoint it returns satisfies validate.
func decodeCheckpoint(data []byte, name string) (*checkpoint, error) {
	body, err := framed.Read(data, checkpointFormat, checkpointVersion, "checkpoint")
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var c checkpoint
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("train: checkpoint %s: data after the JSON body", name)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", name, err)
	}
	return &c, nil
}

// validate checks what a resume relies on before anything uses it: counts and
// positions are non-negative, the parameter vectors have ParamCount elements, every
// number is finite, the solver state is present and consistent, and the normalisation's
// vectors pair up with positive standard deviations. Whether the checkpoint fits the
// model is the resume's to check.
func (c *checkpoint) validate() error {
	for _, v := range []struct {
		name string
		n    int
	}{{"param_count", c.ParamCount}, {"epoch", c.Epoch}, {"batch", c.Batch}, {"step", c.Step}, {"best_epoch", c.BestEpoch},
		{"acc rows", c.Acc.Rows}, {"acc steps", c.Acc.Steps}, {"acc clipped", c.Acc.Clipped}, {"acc elements", c.Acc.Elements}} {
		if v.n < 0 {
			return fmt.Errorf("%s is %d", v.name, v.n)
		}
	}
	if len(c.Params) != c.ParamCount {
		return fmt.Errorf("%d parameters, param_count says %d", len(c.Params), c.ParamCount)
	}
	// Each of the epoch's steps so far added itself and its rows to the accumulators
	// (an epoch's history row divides by both).
	if c.Acc.Steps != c.Batch || (c.Acc.Rows == 0) != (c.Acc.Steps == 0) {
		return fmt.Errorf("acc has %d rows over %d steps at batch %d", c.Acc.Rows, c.Acc.Steps, c.Batch)
	}
	if c.BestEpoch > c.Epoch {
		return fmt.Errorf("best_epoch %d is after epoch %d", c.BestEpoch, c.Epoch)
	}
	// Only an early stop is recorded, at an epoch's end and after a best epoch.
	if c.Stopped != "" && (c.Stopped != EarlyStopping || c.Batch != 0 || c.BestEpoch == 0) {
		return fmt.Errorf("stopped %.40q at epoch %d, batch %d, best_epoch %d", c.Stopped, c.Epoch, c.Batch, c.BestEpoch)
	}
	// BestParams is set together with BestEpoch, and omitted when empty.
	if c.BestEpoch > 0 && len(c.BestParams) != len(c.Params) || c.BestEpoch == 0 && len(c.BestParams) != 0 {
		return fmt.Errorf("%d best parameters for %d parameters and best_epoch %d", len(c.BestParams), len(c.Params), c.BestEpoch)
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"best_val", c.BestVal}, {"elapsed_seconds", c.Elapsed}, {"acc cost_sum", c.Acc.CostSum}, {"acc norm_sum", c.Acc.NormSum}, {"acc learn_rate", c.Acc.LearnRate}} {
		if math.IsNaN(v.x) || math.IsInf(v.x, 0) {
			return fmt.Errorf("%s is %g", v.name, v.x)
		}
	}
	if c.Elapsed < 0 {
		return fmt.Errorf("elapsed_seconds is %g", c.Elapsed)
	}
	if err := finite("parameter", c.Params); err != nil {
		return err
	}
	if err := finite("best parameter", c.BestParams); err != nil {
		return err
	}
	if c.Solver == nil {
		return fmt.Errorf("no solver state")
	}
	// Adam counts its steps; the other solvers keep 0.
	if c.Solver.Iter < 0 || c.Solver.Iter > c.Step {
		return fmt.Errorf("solver iter is %d at step %d", c.Solver.Iter, c.Step)
	}
	// Each slot is one parameter's (a tensor of its size, or none), so the slots hold
	// at most ParamCount values each.
	held := 0
	for i, s := range c.Solver.Slots {
		if len(s.Value) != len(s.Deriv) {
			return fmt.Errorf("solver slot %d has %d values and %d derivatives", i, len(s.Value), len(s.Deriv))
		}
		if err := finite(fmt.Sprintf("solver slot %d value", i), s.Value); err != nil {
			return err
		}
		if err := finite(fmt.Sprintf("solver slot %d derivative", i), s.Deriv); err != nil {
			return err
		}
		held += len(s.Value)
	}
	if held > c.ParamCount {
		return fmt.Errorf("solver slots hold %d values for %d parameters", held, c.ParamCount)
	}
	n := c.Normalization
	if len(n.XMean) != len(n.XStd) || len(n.YMean) != len(n.YStd) {
		return fmt.Errorf("normalisation has %d/%d input and %d/%d target means/stds", len(n.XMean), len(n.XStd), len(n.YMean), len(n.YStd))
	}
	for _, v := range []struct {
		name string
		v    []float64
		pos  bool
	}{{"input mean", n.XMean, false}, {"input std", n.XStd, true}, {"target mean", n.YMean, false}, {"target std", n.YStd, true}} {
		if err := finite("normalisation "+v.name, v.v); err != nil {
			return err
		}
		for i, x := range v.v {
			if v.pos && x <= 0 {
				return fmt.Errorf("normalisation %s %d is %g", v.name, i, x)
			}
		}
	}
	return nil
}

// finite returns an error naming the first non-finite element of v.
func finite(name string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%s %d is %g", name, i, x)
		}
	}
	return nil
}
