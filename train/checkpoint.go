package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/models"
)

// The checkpoint format: a JSON header line {"format":"mixgraph.checkpoint","version":1,
// "body_bytes":N,"sha256":"…"} and a JSON body of N bytes with that SHA-256 holding
// everything a run needs to continue bit for bit.
const (
	checkpointFormat  = "mixgraph.checkpoint"
	checkpointVersion = 1
)

type checkpointHeader struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	BodyBytes int64  `json:"body_bytes"`
	SHA256    string `json:"sha256"`
}

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
	sum := sha256.Sum256(body)
	head, _ := json.Marshal(checkpointHeader{Format: checkpointFormat, Version: checkpointVersion, BodyBytes: int64(len(body)), SHA256: hex.EncodeToString(sum[:])})
	return atomicfile.Write(path, func(w io.Writer) error {
		for _, b := range [][]byte{head, {'\n'}, body, {'\n'}} {
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
}

func readCheckpoint(path string) (*checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	nl := bytes.IndexByte(data, '\n')
	var h checkpointHeader
	if nl < 0 || json.Unmarshal(data[:nl], &h) != nil || h.Format != checkpointFormat {
		return nil, fmt.Errorf("train: %s is not a checkpoint", path)
	}
	if h.Version != checkpointVersion {
		return nil, fmt.Errorf("train: checkpoint %s has version %d, this build reads %d", path, h.Version, checkpointVersion)
	}
	body := bytes.TrimSuffix(data[nl+1:], []byte("\n"))
	if int64(len(body)) != h.BodyBytes {
		return nil, fmt.Errorf("train: checkpoint %s is truncated (%d of %d bytes)", path, len(body), h.BodyBytes)
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != h.SHA256 {
		return nil, errors.New("train: checkpoint " + path + " is corrupted (checksum mismatch)")
	}
	var c checkpoint
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	return &c, nil
}
