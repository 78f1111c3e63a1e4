package traincmd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// tinyCheckpoint runs a tiny model for steps steps (0: cancelled before the first; 20:
// to its end) and returns the checkpoint it saves.
func tinyCheckpoint(t *testing.T, steps int) []byte {
	t.Helper()
	m, err := mdn.New(mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{3}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	x, y := datasets.Bishop(40, 1).Rows()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var saved []byte
	cfg := train.Config{Epochs: 5, BatchSize: 10, Seed: 1, ProgressEvery: 1}
	cfg.SaveCheckpoint = func(write func(io.Writer) error) error {
		var b bytes.Buffer
		err := write(&b)
		saved = b.Bytes()
		return err
	}
	cfg.Progress = func(p train.Progress) {
		if p.Step >= steps {
			cancel()
		}
	}
	if steps == 0 {
		cancel()
	}
	if steps == 20 {
		cfg.Progress = nil
	}
	if _, err := train.Run(ctx, m, train.Data{X: x, Y: y}, cfg); !errors.Is(err, context.Canceled) && (steps != 20 || err != nil) {
		t.Fatalf("run: %v", err)
	}
	if p, err := train.ReadCheckpointPosition(saved); err != nil || p.Steps != steps {
		t.Fatalf("the checkpoint of %d steps: %+v, %v", steps, p, err)
	}
	return saved
}

// A folder of checkpoints of runs that took no step holds no work (an interrupt then
// writes nothing over an earlier run folder); one step is work.
func TestRunCheckpointsLearnt(t *testing.T) {
	none, some := tinyCheckpoint(t, 0), tinyCheckpoint(t, 3)
	mc := &runCheckpoints{saved: map[string][]byte{}}
	if mc.learnt() {
		t.Error("no checkpoints: learnt")
	}
	mc.saved[memberCheckpointName(0)] = none
	mc.saved[memberCheckpointName(1)] = none
	if mc.learnt() {
		t.Error("checkpoints of no step: learnt")
	}
	mc.saved[candidateCheckpointName(2)] = some
	if !mc.learnt() {
		t.Error("a checkpoint of 3 steps: not learnt")
	}
	mc.saved[memberCheckpointName(2)] = tinyCheckpoint(t, 20)
	want := "resume: 0 -select candidates finished, 1 part-way (continuing from their checkpoints)\n" +
		"resume: 1 ensemble members finished, 2 part-way (continuing from their checkpoints)\n"
	if got := mc.summary(); got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

// -resume reads a folder's member and candidate checkpoints within one bound over all
// of them, naming the file that passes it, and refuses a member the run does not have.
func TestReadRunCheckpoints(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{memberCheckpointName(0), memberCheckpointName(1), candidateCheckpointName(0)} {
		if err := os.WriteFile(filepath.Join(dir, name), bytes.Repeat([]byte("x"), 600), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readRunCheckpoints(dir, 2)
	if err != nil || len(got) != 3 {
		t.Fatalf("read %d checkpoints, %v; want 3", len(got), err)
	}
	if _, err := readRunCheckpoints(dir, 1); err == nil || !strings.Contains(err.Error(), "member-1.ckpt is the checkpoint of member 1, but the run has 1 members") {
		t.Errorf("a member beyond the run's: %v", err)
	}
	old := maxRunCheckpointBytes
	maxRunCheckpointBytes = 1500
	defer func() { maxRunCheckpointBytes = old }()
	if _, err := readRunCheckpoints(dir, 2); err == nil || !strings.Contains(err.Error(), "more than the 300 left to read") || !strings.Contains(err.Error(), "1500 bytes in all") {
		t.Errorf("1800 bytes against a bound of 1500: %v", err)
	}
}
