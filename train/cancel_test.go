package train

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/mixgraph/mixgraph/models"
)

// TestSaveCheckpoint: a SaveCheckpoint function is called where CheckpointPath would be
// written and receives the same bytes; a run resumed from them matches one never
// interrupted, bit for bit; an error from it stops the run.
func TestSaveCheckpoint(t *testing.T) {
	d := bishopData(150, 2)
	cfg := Config{BatchSize: 32, Epochs: 4, Seed: 3, ValFraction: 0.1, Schedule: CosineLR, LearnRate: 0.01, CheckpointEvery: 1}

	path := filepath.Join(t.TempDir(), "run.ckpt")
	byPath := cfg
	byPath.CheckpointPath = path
	if _, err := Run(context.Background(), smallMDN(t, models.Float64), d, byPath); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	var got []byte
	calls := 0
	byFunc := cfg
	byFunc.SaveCheckpoint = func(write func(io.Writer) error) error {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return err
		}
		got = b.Bytes()
		calls++
		return nil
	}
	if _, err := Run(context.Background(), smallMDN(t, models.Float64), d, byFunc); err != nil {
		t.Fatal(err)
	}
	if calls != 5 { // after each of the 4 epochs and at the end
		t.Errorf("SaveCheckpoint called %d times, want 5", calls)
	}
	// Only the elapsed time may differ.
	a, errA := decodeForTest(want)
	b, errB := decodeForTest(got)
	if errA != nil || errB != nil {
		t.Fatalf("decoding: %v, %v", errA, errB)
	}
	a.Elapsed, b.Elapsed = 0, 0
	for i := range a.History {
		a.History[i].Elapsed, b.History[i].Elapsed = 0, 0
	}
	sameBits(t, "checkpointed weights", a.Params, b.Params)
	if a.Step != b.Step || a.Epoch != b.Epoch || len(a.History) != len(b.History) {
		t.Errorf("checkpoints differ: step %d/%d, epoch %d/%d", a.Step, b.Step, a.Epoch, b.Epoch)
	}

	boom := errors.New("disk full")
	failing := cfg
	failing.SaveCheckpoint = func(func(io.Writer) error) error { return boom }
	if res, err := Run(context.Background(), smallMDN(t, models.Float64), d, failing); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the SaveCheckpoint error", err)
	} else if res.Stopped != Failed {
		t.Errorf("Stopped = %q after a failing checkpoint, want %q", res.Stopped, Failed)
	}

	both := byFunc
	both.CheckpointPath = path
	if _, err := Run(context.Background(), smallMDN(t, models.Float64), d, both); err == nil {
		t.Error("CheckpointPath and SaveCheckpoint both set: no error")
	}
}

func decodeForTest(b []byte) (*checkpoint, error) {
	f, err := os.CreateTemp("", "ckpt-*")
	if err != nil {
		return nil, err
	}
	p := f.Name()
	defer os.Remove(p)
	if _, err := f.Write(b); err != nil {
		return nil, err
	}
	f.Close()
	return readCheckpoint(p)
}

// TestCancelKeepsBest: a cancelled run leaves the model with the best validation epoch's
// weights so far, while its checkpoint holds the last step's (what a resume needs).
func TestCancelKeepsBest(t *testing.T) {
	d := bishopData(150, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "run.ckpt")
	m := smallMDN(t, models.Float64)
	cfg := Config{BatchSize: 32, Epochs: 50, Seed: 3, ValFraction: 0.1, LearnRate: 0.05, CheckpointPath: path, ProgressEvery: 1}
	cfg.Progress = func(p Progress) {
		if p.Step >= 60 {
			cancel()
		}
	}
	res, err := Run(ctx, m, d, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	c, err := readCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.BestEpoch == 0 || res.BestEpoch != c.BestEpoch {
		t.Fatalf("best epoch: result %d, checkpoint %d (want the same, > 0)", res.BestEpoch, c.BestEpoch)
	}
	sameBits(t, "model weights after cancel", m.Params().Flatten(nil), c.BestParams)
	if res.Stopped != Cancelled {
		t.Errorf("Stopped = %q", res.Stopped)
	}
}
