package train

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"
)

// Epoch is one row of a run's history. NLLs are per point in original units (for a
// model whose cost is an NLL; for others, the model's cost in its reporting units).
type Epoch struct {
	Epoch int `json:"epoch"` // 1-based
	Step  int `json:"step"`  // solver steps taken so far
	// TrainNLL is the mean over the epoch's steps of the batch cost (weighted by batch
	// size), measured as the weights changed.
	TrainNLL float64 `json:"train_nll"`
	// ValNLL is the validation NLL after the epoch; NaN (null in JSON) without
	// validation rows.
	ValNLL float64 `json:"val_nll"`
	// GradNorm is the mean over the epoch's steps of the global L2 norm of the gradient
	// the solver is given before any clipping: the gradient of the batch-mean cost plus
	// L2·w (Config.L2).
	GradNorm float64 `json:"grad_norm"`
	// ClippedFraction is the fraction of the elements of those gradients, over the epoch,
	// whose absolute value exceeded the value-clipping threshold (0 when clipping is
	// off), counted before any ClipNorm rescaling.
	ClippedFraction float64 `json:"clipped_fraction"`
	LearnRate       float64 `json:"learn_rate"` // at the epoch's last step
	Elapsed         float64 `json:"elapsed_seconds"`
}

// History is a run's per-epoch record.
type History []Epoch

var historyHeader = []string{"epoch", "step", "train_nll", "val_nll", "grad_norm", "clipped_fraction", "learn_rate", "elapsed_seconds"}

// WriteCSV writes the history as CSV with a header row; a missing validation NLL is an
// empty cell.
func (h History) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(historyHeader); err != nil {
		return err
	}
	f := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	for _, e := range h {
		rec := []string{strconv.Itoa(e.Epoch), strconv.Itoa(e.Step), f(e.TrainNLL), f(e.ValNLL), f(e.GradNorm), f(e.ClippedFraction), f(e.LearnRate), f(e.Elapsed)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// jsonEpoch mirrors Epoch with a nullable validation NLL.
type jsonEpoch struct {
	Epoch
	ValNLL *float64 `json:"val_nll"`
}

// MarshalJSON writes the history as a JSON array; a missing validation NLL is null.
func (h History) MarshalJSON() ([]byte, error) {
	out := make([]jsonEpoch, len(h))
	for i, e := range h {
		out[i].Epoch = e
		if !math.IsNaN(e.ValNLL) {
			v := e.ValNLL
			out[i].ValNLL = &v
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (h *History) UnmarshalJSON(b []byte) error {
	var in []jsonEpoch
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*h = make(History, len(in))
	for i, e := range in {
		(*h)[i] = e.Epoch
		(*h)[i].ValNLL = math.NaN()
		if e.ValNLL != nil {
			(*h)[i].ValNLL = *e.ValNLL
		}
	}
	return nil
}

// WriteJSON writes the history as an indented JSON array.
func (h History) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Progress is what a Progress callback receives.
type Progress struct {
	Epoch, Epochs int // current epoch (1-based) and the planned total
	Step, Steps   int // steps taken and the planned total
	Last          *Epoch
	Elapsed       time.Duration
	Done          bool // the final call
	// BestEpoch is the epoch with the best validation NLL so far (0: none yet, or no
	// validation rows), BestValNLL that NLL: the weights Run keeps if it ends now.
	BestEpoch  int
	BestValNLL float64
	// Member is, in a callback from Ensemble, the member (0-based) whose run this is;
	// 0 in a plain run.
	Member int
}
