package traincmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
)

// resumeFlags: 270 training rows in batches of 100 (3 steps an epoch), so that a stop
// at step 37 falls inside epoch 13.
var resumeArgs = []string{"-epochs", "20", "-batch", "100", "-n", "300", "-hidden", "8", "-quiet", "-plots=false"}

// stopAt returns a context that run sees cancelled once training reaches step.
func stopAt(step int) context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	hook := func(p train.Progress) {
		if p.Step >= step {
			cancel(signalCause{os.Interrupt})
		}
	}
	return context.WithValue(ctx, progressHookKey{}, hook)
}

func modelBytes(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, modelName))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInterruptResume: a run interrupted mid-epoch writes its folder (best weights so
// far, a checkpoint, status interrupted), reports how to resume and exits 130; resumed,
// it writes the same model file, byte for byte, as a run never interrupted. The same
// holds for a run "killed" right after a periodic checkpoint (its folder copied as the
// kill would leave it), for float64 and float32.
func TestInterruptResume(t *testing.T) {
	for _, dt := range []string{"float64", "float32"} {
		// One model (the default below 20,000 rows is an ensemble, resumed in search_test.go).
		args := append([]string{"-dtype", dt, "-ensemble", "1"}, resumeArgs...)
		dir := t.TempDir()
		full := filepath.Join(dir, "full")
		if _, _, err := runTrain(t, append([]string{"-out", full}, args...)...); err != nil {
			t.Fatal(err)
		}
		want := modelBytes(t, full)

		// Interrupted at step 37, then resumed.
		part := filepath.Join(dir, "part")
		var o, e bytes.Buffer
		err := run(stopAt(37), append([]string{"-out", part}, args...), &o, &e)
		var ie *interrupted
		if !errors.As(err, &ie) {
			t.Fatalf("%s: interrupted run: %v, want an interruption", dt, err)
		}
		if code := status(err, &e); code != 130 {
			t.Errorf("%s: exit status %d, want 130", dt, code)
		}
		line := e.String()
		if strings.Count(line, "\n") != 1 || !strings.Contains(line, "resume with: train -resume "+part) {
			t.Errorf("%s: stderr %q, want one line saying how to resume", dt, line)
		}
		mk, err := readMarker(part)
		if err != nil || mk.Status != statusInterrupted || mk.Step != 37 {
			t.Fatalf("%s: marker %+v, %v; want status interrupted at step 37", dt, mk, err)
		}
		for _, f := range []string{modelName, checkpointName, "config.json", "history.csv"} {
			if _, err := os.Stat(filepath.Join(part, f)); err != nil {
				t.Errorf("%s: interrupted run folder: %v", dt, err)
			}
		}
		m, err := mdn.LoadFile(filepath.Join(part, modelName))
		if err != nil {
			t.Fatal(err)
		}
		if x, y := m.Columns(); len(x) != 1 || x[0] != "x" || y[0] != "t" {
			t.Errorf("%s: model columns %v, %v", dt, x, y)
		}
		if first := resume(t, part); first != 38 {
			t.Errorf("%s: the resumed run started at step %d, want 38", dt, first)
		}
		if got := modelBytes(t, part); !bytes.Equal(got, want) {
			t.Errorf("%s: the resumed run's model.mdn differs from the uninterrupted run's", dt)
		}
		if mk, _ := readMarker(part); mk == nil || mk.Status != statusCompleted {
			t.Errorf("%s: marker after resume: %+v", dt, mk)
		}
		if _, err := os.Stat(filepath.Join(part, checkpointName)); err == nil {
			t.Errorf("%s: a completed run folder keeps its checkpoint", dt)
		}

		// Periodic checkpoints: the folder as a kill -9 at step 40 would leave it is the
		// one written at the end of epoch 10 (step 30).
		live := filepath.Join(dir, "live")
		killed := filepath.Join(dir, "killed")
		hook := func(p train.Progress) {
			if p.Step == 40 {
				if err := os.CopyFS(killed, os.DirFS(live)); err != nil {
					t.Error(err)
				}
			}
		}
		ctx := context.WithValue(context.Background(), progressHookKey{}, hook)
		if err := run(ctx, append([]string{"-out", live, "-checkpoint_every", "5"}, args...), &o, &e); err != nil {
			t.Fatal(err)
		}
		mk, err = readMarker(killed)
		if err != nil || mk.Status != statusRunning {
			t.Fatalf("%s: the folder during the run: marker %+v, %v; want status running", dt, mk, err)
		}
		if first := resume(t, killed); first != 31 {
			t.Errorf("%s: the run resumed after a kill started at step %d, want 31", dt, first)
		}
		if got := modelBytes(t, killed); !bytes.Equal(got, want) {
			t.Errorf("%s: the run resumed after a kill wrote a different model.mdn", dt)
		}
		if got := modelBytes(t, live); !bytes.Equal(got, want) {
			t.Errorf("%s: -checkpoint_every changed the model", dt)
		}
	}
}

// resume resumes the run in dir and returns the first step it took.
func resume(t *testing.T, dir string) int {
	t.Helper()
	first := 0
	hook := func(p train.Progress) {
		if first == 0 && !p.Done {
			first = p.Step
		}
	}
	ctx := context.WithValue(context.Background(), progressHookKey{}, hook)
	if err := run(ctx, []string{"-resume", dir, "-quiet"}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatalf("resuming %s: %v", dir, err)
	}
	return first
}

// TestResumeChangedCSV: a run on a CSV that changed since it started is not resumed.
func TestResumeChangedCSV(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "d.csv")
	os.WriteFile(csvPath, []byte(goodCSV(60)), 0o644)
	out := filepath.Join(dir, "run")
	err := run(stopAt(5), append([]string{"-csv", csvPath, "-out", out, "-ensemble", "1"}, resumeArgs...), &bytes.Buffer{}, &bytes.Buffer{})
	var ie *interrupted
	if !errors.As(err, &ie) {
		t.Fatalf("interrupted run: %v", err)
	}
	os.WriteFile(csvPath, []byte(goodCSV(61)), 0o644)
	if _, _, err := runTrain(t, "-resume", out); err == nil || !strings.Contains(err.Error(), "has changed since the run started") {
		t.Errorf("resume on a changed CSV: %v", err)
	}
}

// TestOutPolicy: what -out may replace, and what each write leaves behind.
func TestOutPolicy(t *testing.T) {
	dir := t.TempDir()
	// A trailing slash names the folder.
	out := filepath.Join(dir, "run") + string(filepath.Separator)
	if _, _, err := runTrain(t, append([]string{"-out", out}, resumeArgs...)...); err != nil {
		t.Fatal(err)
	}
	if _, err := readMarker(filepath.Join(dir, "run")); err != nil {
		t.Fatal(err)
	}
	// A run folder of an earlier version (no marker) is recognised and replaced.
	legacy := filepath.Join(dir, "legacy")
	os.Mkdir(legacy, 0o755)
	b, _ := os.ReadFile(filepath.Join(dir, "run", modelName))
	os.WriteFile(filepath.Join(legacy, modelName), b, 0o644)
	os.WriteFile(filepath.Join(legacy, "config.json"), []byte("{}\n"), 0o644)
	// Stale temporaries of killed writes beside it and inside it: a dead process's are
	// removed, a live one's kept.
	dead := deadPID(t)
	staleDir := filepath.Join(dir, ".legacy.tmp-"+strconv.Itoa(dead)+"-123")
	os.Mkdir(staleDir, 0o755)
	os.WriteFile(filepath.Join(staleDir, modelName), b, 0o644)
	liveDir := filepath.Join(dir, ".legacy.tmp-"+strconv.Itoa(os.Getpid())+"-456")
	os.Mkdir(liveDir, 0o755)
	if _, _, err := runTrain(t, append([]string{"-out", legacy}, resumeArgs...)...); err != nil {
		t.Fatalf("replacing a run folder of an earlier version: %v", err)
	}
	if _, err := readMarker(legacy); err != nil {
		t.Errorf("legacy folder not replaced: %v", err)
	}
	if _, err := os.Stat(staleDir); err == nil {
		t.Errorf("a stale temporary folder of a killed write was left")
	}
	if _, err := os.Stat(liveDir); err != nil {
		t.Errorf("a live process's temporary folder was removed")
	}
	os.Remove(liveDir)
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "legacy run" {
		t.Errorf("beside the run folders: %v, want only legacy and run", names)
	}
	// A run folder's own stale temporary file is not the user's: it does not block.
	os.WriteFile(filepath.Join(legacy, "."+modelName+".tmp-"+strconv.Itoa(dead)+"-9"), nil, 0o644)
	if _, _, err := runTrain(t, append([]string{"-out", legacy}, resumeArgs...)...); err != nil {
		t.Errorf("a run folder holding a stale temporary: %v", err)
	}
	// The atomic exchange leaves no trace.
	if err := exchange(filepath.Join(dir, "run"), legacy); err != nil {
		t.Fatal(err)
	}
	if err := exchangeFallback(t, dir); err != nil {
		t.Fatal(err)
	}
}

// exchangeFallback checks the three-rename exchange used where the system has none.
func exchangeFallback(t *testing.T, dir string) error {
	a, b := filepath.Join(dir, "fa"), filepath.Join(dir, "fb")
	os.Mkdir(a, 0o755)
	os.Mkdir(b, 0o755)
	os.WriteFile(filepath.Join(a, "which"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(b, "which"), []byte("b"), 0o644)
	if err := exchangeByRenames(a, b); err != nil {
		return err
	}
	ga, _ := os.ReadFile(filepath.Join(a, "which"))
	gb, _ := os.ReadFile(filepath.Join(b, "which"))
	if string(ga) != "b" || string(gb) != "a" {
		t.Errorf("after the exchange: a holds %q, b holds %q", ga, gb)
	}
	return nil
}

// deadPID returns the pid of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no `true` command to take a dead pid from")
	}
	return cmd.Process.Pid
}

// TestSignals runs the built command and stops it with SIGINT and SIGTERM: exit status
// 130 and 143, one line on stderr saying how to resume, and a run folder that resumes;
// an ensemble's run folder holds the members trained so far.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command (skipped under -short)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "train")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/mixgraph/mixgraph/cmd/train").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for i, c := range []struct {
		sig  syscall.Signal
		want int
		args []string
		line string // what stderr's one line says
	}{
		// One model (Bishop's 1000 rows are an ensemble by default).
		{syscall.SIGINT, 130, []string{"-ensemble", "1"}, "resume with: train -resume "},
		{syscall.SIGTERM, 143, []string{"-ensemble", "1"}, "resume with: train -resume "},
		{syscall.SIGINT, 130, []string{"-n", "300", "-ensemble", "3"}, "interrupted: wrote "},
		{syscall.SIGTERM, 143, []string{"-n", "300", "-ensemble", "3"}, "interrupted: wrote "},
	} {
		out := filepath.Join(dir, "run-"+strconv.Itoa(i))
		cmd := exec.Command(bin, append([]string{"-out", out, "-epochs", "1000000", "-plots=false"}, c.args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr, cmd.Dir = &stdout, &stderr, dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until training is under way (the first line is printed before it starts).
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(stdout.String(), "training an MDN") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Signal(c.sig)
		err := cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if code != c.want {
			t.Errorf("%v: exit status %d (%v), want %d; stderr %q", c.sig, code, err, c.want, stderr.String())
		}
		if msg := stderr.String(); strings.Count(msg, "\n") != 1 || !strings.Contains(msg, c.line+out) {
			t.Errorf("%v %v: stderr %q, want one line saying %q", c.sig, c.args, msg, c.line+out)
		}
		if mk, err := readMarker(out); err != nil || mk.Status != statusInterrupted {
			t.Errorf("%v: run folder marker %+v, %v", c.sig, mk, err)
		}
		if _, err := mdn.LoadFile(filepath.Join(out, modelName)); err != nil {
			t.Errorf("%v: %v", c.sig, err)
		}
	}
}

// TestInterruptBeforeTraining: a run stopped before its first step writes nothing, so an
// existing run folder survives.
func TestInterruptBeforeTraining(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if _, _, err := runTrain(t, append([]string{"-out", out}, resumeArgs...)...); err != nil {
		t.Fatal(err)
	}
	before := modelBytes(t, out)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(signalCause{syscall.SIGTERM})
	var e bytes.Buffer
	err := run(ctx, append([]string{"-out", out, "-seed", "9"}, resumeArgs...), &bytes.Buffer{}, &e)
	if code := status(err, &e); code != 143 {
		t.Errorf("exit status %d, want 143", code)
	}
	if !strings.Contains(e.String(), "nothing was written") {
		t.Errorf("stderr %q", e.String())
	}
	if !bytes.Equal(modelBytes(t, out), before) {
		t.Error("the earlier run folder was replaced")
	}
}

// A run records the defaults it left alone (the marker's Defaults), and a resume trains
// with those, not with the defaults of the build that resumes: an interrupted run whose
// marker says -hidden 24, -lr 0.01 and -weight_decay 2 were its defaults (as they were
// before they changed) resumes to the model of a run given them as flags, byte for byte.
// A marker without Defaults, written before they were recorded, resumes with those
// earlier defaults too.
func TestResumeKeepsRecordedDefaults(t *testing.T) {
	base := []string{"-ensemble", "1", "-epochs", "20", "-batch", "100", "-n", "300", "-quiet", "-plots=false"}
	old := []string{"-hidden", "24", "-lr", "0.01", "-weight_decay", "2"}
	dir := t.TempDir()

	// The marker of a run given no model flags records today's defaults.
	fresh := filepath.Join(dir, "fresh")
	if err := run(stopAt(5), append([]string{"-out", fresh}, base...), io.Discard, io.Discard); err == nil {
		t.Fatal("the run was not interrupted")
	}
	mk, err := readMarker(fresh)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"hidden=24,24,24", "lr=0.003", "weight_decay=auto", "k=auto", "activation=tanh"} {
		if !slices.Contains(mk.Defaults, want) {
			t.Errorf("the marker's defaults %q lack %s", mk.Defaults, want)
		}
	}
	for _, d := range mk.Defaults {
		if name, _, _ := strings.Cut(d, "="); name == "epochs" || unpinned[name] {
			t.Errorf("the marker records %s, a flag given or not pinned", d)
		}
	}

	full := filepath.Join(dir, "full")
	if _, _, err := runTrain(t, append(append([]string{"-out", full}, base...), old...)...); err != nil {
		t.Fatal(err)
	}
	want := modelBytes(t, full)
	for _, c := range []struct {
		name     string
		defaults []string
		args     []string
	}{
		{"recorded", append(old2defaults(old), withoutNames(mk.Defaults, "hidden", "lr", "weight_decay")...), base},
		{"legacy", nil, base},
		// A version that trained one model where this one trains an ensemble by
		// default (with -checkpoint_every): the folder's one model's checkpoint says
		// which it was.
		{"legacy, ensemble auto", nil, base[2:]},
	} {
		part := filepath.Join(dir, c.name)
		if err := run(stopAt(17), append(append([]string{"-out", part}, base...), old...), io.Discard, io.Discard); err == nil {
			t.Fatalf("%s: the run was not interrupted", c.name)
		}
		// Rewrite the marker as if the three had been left at defaults of their time.
		mk, err := readMarker(part)
		if err != nil {
			t.Fatal(err)
		}
		mk.Args, mk.Defaults = slices.Clone(c.args), c.defaults
		b, err := json.Marshal(mk)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(part, markerName), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if first := resume(t, part); first != 18 {
			t.Errorf("%s: the resumed run started at step %d, want 18", c.name, first)
		}
		if got := modelBytes(t, part); !bytes.Equal(got, want) {
			t.Errorf("%s: the resumed run's model.mdn differs from the run given the flags", c.name)
		}
	}
}

// old2defaults turns flag arguments -name value into name=value.
func old2defaults(args []string) []string {
	var out []string
	for i := 0; i+1 < len(args); i += 2 {
		out = append(out, strings.TrimPrefix(args[i], "-")+"="+args[i+1])
	}
	return out
}

// withoutNames returns the name=value entries whose name is not among names.
func withoutNames(defaults []string, names ...string) []string {
	var out []string
	for _, d := range defaults {
		if name, _, _ := strings.Cut(d, "="); !slices.Contains(names, name) {
			out = append(out, d)
		}
	}
	return out
}
