package train

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

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
	Solver        *SolverState         `json:"solver"`
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

func readCheckpoint(path string) (*checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	body, err := framed.Read(data, checkpointFormat, checkpointVersion, "checkpoint")
	if err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	var c checkpoint
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	return &c, nil
}
