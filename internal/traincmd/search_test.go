package traincmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mixgraph/mixgraph/internal/clitest"
	"github.com/mixgraph/mixgraph/internal/predictcmd"
	"github.com/mixgraph/mixgraph/internal/snapshot"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
)

// The catalogue's cases for -ensemble and -select: one stderr line naming the flag,
// exit status 2, nothing written.
func TestCatalogueSearch(t *testing.T) {
	work := workFolder(t)
	t.Chdir(work)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-ensemble", "x"}, `-ensemble "x"`},
		{[]string{"-ensemble", "2.5"}, `-ensemble "2.5"`},
		{[]string{"-ensemble", "0"}, "-ensemble 0: want at least 1"},
		{[]string{"-ensemble", "-2"}, "-ensemble -2: want at least 1"},
		{[]string{"-ensemble", "65"}, "-ensemble 65: at most 64 members"},
		{[]string{"-ensemble", "60", "-k", "20"}, "-ensemble 60: with -k 20 that makes 1200 components"},
		{[]string{"-ensemble", "3", "-hidden", "30000"}, "-ensemble 3, -k 10, -hidden 30000: the combined model"},
		{[]string{"-ensemble", "2", "-hidden", "3000,3000"}, "MaxParams"},
		{[]string{"-select=maybe"}, `-select "maybe"`},
		{[]string{"-select", "-val_fraction", "0"}, "-select: needs validation rows"},
		{[]string{"-resume", "runs/stuck", "-ensemble", "2"}, "-resume: -ensemble cannot be changed"},
		{[]string{"-resume", "runs/stuck", "-select"}, "-resume: -select cannot be changed"},
	}
	before, err := snapshot.Take(work)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		run := func(stdout, stderr io.Writer) int { return mainStatus(c.args, stdout, stderr) }
		for _, problem := range clitest.BadInput("train", c.want, work, &before, run) {
			t.Errorf("%q: %s", c.args, problem)
		}
	}
}

// readRunConfig reads a run folder's config.json.
func readRunConfig(t *testing.T, dir string) runConfig {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rc runConfig
	if err := json.Unmarshal(b, &rc); err != nil {
		t.Fatal(err)
	}
	return rc
}

// -ensemble 3 writes one ordinary model of 3·K components that cmd/predict reads, and
// config.json records the members.
func TestEnsembleRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	stdout, _, err := runTrain(t, append([]string{"-out", out, "-ensemble", "3", "-k", "2", "-plots=false"}, quick[:len(quick)-1]...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "ensemble: 3 members of K=2") {
		t.Errorf("output lacks the ensemble line:\n%s", stdout)
	}
	m, err := mdn.LoadFile(filepath.Join(out, "model.mdn"))
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Config(); c.K != 6 || c.Members != 3 || c.Hidden[0] != 24 {
		t.Fatalf("model config %+v, want K 6, 3 members, hidden 24", c)
	}
	rc := readRunConfig(t, out)
	if rc.Ensemble == nil || rc.Ensemble.Members != 3 || len(rc.Ensemble.Seeds) != 3 || len(rc.Ensemble.ValNLL) != 3 || rc.Model.K != 6 {
		t.Fatalf("config.json's ensemble record %+v, model %+v", rc.Ensemble, rc.Model)
	}
	in := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(in, []byte("x\n0.1\n0.5\n0.9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var po, pe strings.Builder
	if code := predictcmd.Main([]string{"-model", filepath.Join(out, "model.mdn"), "-in", in, "-samples", "3"}, strings.NewReader(""), &po, &pe); code != 0 {
		t.Fatalf("predict of the ensemble: status %d, %s", code, pe.String())
	}
	if lines := strings.Count(po.String(), "\n"); lines < 4 {
		t.Fatalf("predict printed %d lines:\n%s", lines, po.String())
	}
}

// Without validation rows the members cannot rotate them: config.json says "shared",
// and there is no cross-validated NLL.
func TestEnsembleWithoutValidation(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	stdout, _, err := runTrain(t, "-out", out, "-ensemble", "2", "-k", "2", "-hidden", "4", "-epochs", "3", "-n", "100", "-val_fraction", "0", "-plots=false", "-baseline=false")
	if err != nil {
		t.Fatal(err)
	}
	rc := readRunConfig(t, out)
	if rc.Ensemble == nil || rc.Ensemble.Validation != "shared" || rc.Ensemble.CrossValNLL != nil || rc.NVal != 0 || rc.NTrain != 100 {
		t.Fatalf("config.json's ensemble record %+v, %d training and %d validation rows", rc.Ensemble, rc.NTrain, rc.NVal)
	}
	if strings.Contains(stdout, "cross-validated") || !strings.Contains(stdout, "100 training, 0 validation and 100 test rows") {
		t.Fatalf("output:\n%s", stdout)
	}

	// -rotate_validation=false: the members share one validation set.
	stdout, _, err = runTrain(t, "-out", out, "-ensemble", "2", "-k", "2", "-hidden", "4", "-epochs", "3", "-n", "100", "-rotate_validation=false", "-plots=false", "-baseline=false")
	if err != nil {
		t.Fatal(err)
	}
	rc = readRunConfig(t, out)
	if rc.Ensemble == nil || rc.Ensemble.Validation != "shared" || rc.Ensemble.CrossValNLL != nil || rc.NVal != 20 || rc.NTrain != 80 || rc.Result.ValNLL == nil {
		t.Fatalf("config.json's ensemble record %+v, %d training and %d validation rows, validation NLL %v", rc.Ensemble, rc.NTrain, rc.NVal, rc.Result.ValNLL)
	}
	if !strings.Contains(stdout, "80 training, 20 validation and 100 test rows") {
		t.Fatalf("output:\n%s", stdout)
	}
}

// -select prints one line per candidate and the choice, trains the winner and records
// the table in config.json.
func TestSelectRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	stdout, _, err := runTrain(t, "-out", out, "-select", "-plots=false", "-epochs", "10", "-batch", "100", "-n", "200", "-hidden", "4")
	if err != nil {
		t.Fatal(err)
	}
	rc := readRunConfig(t, out)
	if rc.Select == nil || len(rc.Select.Candidates) < 8 {
		t.Fatalf("config.json's select record %+v", rc.Select)
	}
	if n := strings.Count(stdout, "\nselect  K="); n != len(rc.Select.Candidates) {
		t.Errorf("%d table lines for %d candidates:\n%s", n, len(rc.Select.Candidates), stdout)
	}
	win := rc.Select.Candidates[rc.Select.Chosen]
	for i, c := range rc.Select.Candidates {
		if c.ValNLL == nil || *c.ValNLL < *win.ValNLL {
			t.Errorf("candidate %d %+v beats the chosen %+v", i, c, win)
		}
	}
	if rc.Model.K != win.K || rc.Train.L2 != win.L2 || len(rc.Model.Hidden) != len(win.Hidden) || rc.Model.Hidden[0] != win.Hidden[0] {
		t.Errorf("the run's model %+v, l2 %g; the chosen candidate %+v", rc.Model, rc.Train.L2, win)
	}
	if rc.Result.ValNLL == nil || *rc.Result.ValNLL != *win.ValNLL {
		t.Errorf("the run's validation NLL %v, the chosen candidate's %v", rc.Result.ValNLL, *win.ValNLL)
	}
	if !strings.Contains(stdout, "select: chose K=") {
		t.Errorf("output lacks the choice:\n%s", stdout)
	}
}

// stopAtSignal is stopAt with the signal that stops the run.
func stopAtSignal(step int, sig os.Signal, before func()) context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	hook := func(p train.Progress) {
		if p.Step >= step && ctx.Err() == nil {
			if before != nil {
				before()
			}
			cancel(signalCause{sig})
		}
	}
	return context.WithValue(ctx, progressHookKey{}, hook)
}

// An interrupted -ensemble run keeps the members trained so far: it writes the run
// folder with their combination and their checkpoints (status interrupted;
// config.json says which members are in the model), says so in one line and exits
// with the signal's status. The model loads and predicts, and -resume continues the
// run to the very model an uninterrupted run trains. One member trains at a time
// (GOMAXPROCS 1), so that the interrupt leaves members in every state.
func TestEnsembleInterrupted(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	whole := filepath.Join(t.TempDir(), "whole")
	if _, _, err := runTrain(t, append(append([]string{"-out", whole, "-ensemble", "3", "-k", "2"}, resumeArgs...), "-plots=true")...); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sig  os.Signal
		code int
	}{{os.Interrupt, 130}, {syscall.SIGTERM, 143}} {
		out := filepath.Join(t.TempDir(), "run")
		var o, e strings.Builder
		// The bar follows member 0: stopped at its step 5, it is interrupted; any member
		// that trained before it is complete, the others never start.
		err := run(stopAtSignal(5, c.sig, nil), append(append([]string{"-out", out, "-ensemble", "3", "-k", "2"}, resumeArgs...), "-plots=true"), &o, &e)
		var ie *interrupted
		if !errors.As(err, &ie) {
			t.Fatalf("%v: got %v, want an interruption", c.sig, err)
		}
		var se strings.Builder
		if code := status(err, &se); code != c.code {
			t.Errorf("%v: exit status %d, want %d", c.sig, code, c.code)
		}
		line := se.String()
		if strings.Count(line, "\n") != 1 || !strings.Contains(line, "interrupted: wrote "+out+"/ with the ensemble of the ") || !strings.Contains(line, "of 3 members trained so far") || !strings.Contains(line, "; continue it with -resume "+out+"\n") {
			t.Errorf("%v: stderr %q", c.sig, line)
		}
		mk, err := readMarker(out)
		if err != nil || mk.Status != statusInterrupted {
			t.Fatalf("%v: marker %+v, %v; want status interrupted", c.sig, mk, err)
		}
		for _, f := range []string{modelName, "config.json", "history.csv", "learning.png", "density.png"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("%v: %v", c.sig, err)
			}
		}
		if _, err := os.Stat(filepath.Join(out, checkpointName)); err == nil {
			t.Errorf("%v: an interrupted ensemble wrote a single model's checkpoint", c.sig)
		}
		rc := readRunConfig(t, out)
		en := rc.Ensemble
		if en == nil || rc.Result.Stopped != statusInterrupted || rc.Result.TestNLL == nil || rc.Result.Baselines == nil {
			t.Fatalf("%v: config.json's result %+v, ensemble %+v", c.sig, rc.Result, en)
		}
		all := append(append(append([]int{}, en.Complete...), en.Interrupted...), en.NotStarted...)
		slices.Sort(all)
		if !slices.Equal(all, []int{0, 1, 2}) || !slices.Equal(en.Interrupted, []int{0}) {
			t.Fatalf("%v: complete %v, interrupted %v, not started %v; want a partition of 0, 1, 2 with member 0 interrupted", c.sig, en.Complete, en.Interrupted, en.NotStarted)
		}
		in := len(en.Complete) + len(en.Interrupted)
		t.Logf("%v: complete %v, interrupted %v, not started %v", c.sig, en.Complete, en.Interrupted, en.NotStarted)
		// One member trained (the scheduler may let member 0 alone start) is a plain
		// model: Members 0 and 1 both mean one group (mdn.Config.Members).
		groups := func(members int) int { return max(members, 1) }
		if groups(rc.Model.Members) != in || rc.Model.K != 2*in {
			t.Errorf("%v: model %d members of K %d, want the %d trained", c.sig, rc.Model.Members, rc.Model.K, in)
		}
		for _, m := range en.NotStarted {
			if en.Train[m] != nil || en.Epochs[m] != 0 {
				t.Errorf("%v: member %d never started, but config.json gives it train NLL %v, %d epochs", c.sig, m, en.Train[m], en.Epochs[m])
			}
		}
		if en.Epochs[0] < 1 || en.Epochs[0] >= 20 {
			t.Errorf("%v: the interrupted member 0 ran %d epochs", c.sig, en.Epochs[0])
		}
		m, err := mdn.LoadFile(filepath.Join(out, modelName))
		if err != nil {
			t.Fatal(err)
		}
		if groups(m.Config().Members) != in {
			t.Errorf("%v: model.mdn holds %d members, want %d", c.sig, m.Config().Members, in)
		}
		predictOK(t, filepath.Join(out, modelName))
		for m := range 3 {
			_, err := os.Stat(filepath.Join(out, memberCheckpointName(m)))
			if want := !slices.Contains(en.NotStarted, m); (err == nil) != want {
				t.Errorf("%v: member %d's checkpoint: %v (want one: %v)", c.sig, m, err, want)
			}
		}
		// The same folder as an earlier version wrote it, without checkpoints.
		legacy := filepath.Join(t.TempDir(), "legacy")
		if err := os.CopyFS(legacy, os.DirFS(out)); err != nil {
			t.Fatal(err)
		}
		for m := range 3 {
			os.Remove(filepath.Join(legacy, memberCheckpointName(m)))
		}
		if _, _, err := runTrain(t, "-resume", legacy); err == nil || !strings.Contains(err.Error(), "holds no checkpoint to resume from: an ensemble or -select run interrupted under an earlier version") {
			t.Errorf("%v: -resume of an interrupted ensemble without checkpoints: %v", c.sig, err)
		}
		if _, _, err := runTrain(t, "-resume", out, "-quiet"); err != nil {
			t.Fatalf("%v: -resume of an interrupted ensemble: %v", c.sig, err)
		}
		if !bytes.Equal(modelBytes(t, out), modelBytes(t, whole)) {
			t.Errorf("%v: the resumed ensemble's model differs from the uninterrupted run's", c.sig)
		}
		if mk, err := readMarker(out); err != nil || mk.Status != statusCompleted {
			t.Errorf("%v: after the resume, marker %+v, %v; want status completed", c.sig, mk, err)
		}
		if hasRunCheckpoints(out) {
			t.Errorf("%v: the completed run folder still holds member checkpoints", c.sig)
		}
	}
}

// With -checkpoint_every an ensemble's run folder holds its members' latest checkpoints
// while it trains (status running), and a -select search's its candidates': what a
// crash leaves. -resume continues from that folder to the very model an uninterrupted
// run trains.
func TestEnsembleCheckpointEvery(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	for _, kind := range [][]string{{"-ensemble", "3", "-k", "2"}, {"-select"}} {
		args := append(append(slices.Clone(kind), "-checkpoint_every", "2"), resumeArgs...)
		whole := filepath.Join(t.TempDir(), "whole")
		if _, _, err := runTrain(t, append([]string{"-out", whole}, args...)...); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "run")
		crash := filepath.Join(t.TempDir(), "crash")
		snap := func() {
			// The folder as it is now, while training: what a crash would leave.
			if err := os.CopyFS(crash, os.DirFS(out)); err != nil {
				t.Error(err)
			}
		}
		err := run(stopAtSignal(20, os.Interrupt, snap), append([]string{"-out", out}, args...), io.Discard, io.Discard)
		var ie *interrupted
		if !errors.As(err, &ie) {
			t.Fatalf("%v: got %v, want an interruption", kind, err)
		}
		mk, err := readMarker(crash)
		if err != nil || mk.Status != statusRunning {
			t.Fatalf("%v: the folder while training: marker %+v, %v; want status running", kind, mk, err)
		}
		if !hasRunCheckpoints(crash) {
			t.Fatalf("%v: the folder while training holds no checkpoint", kind)
		}
		if _, err := os.Stat(filepath.Join(crash, modelName)); err == nil {
			t.Errorf("%v: the folder while training holds a model", kind)
		}
		for _, dir := range []string{crash, out} {
			if _, _, err := runTrain(t, "-resume", dir); err != nil {
				t.Fatalf("%v: -resume %s: %v", kind, filepath.Base(dir), err)
			}
			if !bytes.Equal(modelBytes(t, dir), modelBytes(t, whole)) {
				t.Errorf("%v: -resume %s: the model differs from the uninterrupted run's", kind, filepath.Base(dir))
			}
		}
	}
}

// predictOK runs cmd/predict on the model for three inputs.
func predictOK(t *testing.T, model string) {
	t.Helper()
	in := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(in, []byte("x\n0.1\n0.5\n0.9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var po, pe strings.Builder
	if code := predictcmd.Main([]string{"-model", model, "-in", in, "-samples", "3"}, strings.NewReader(""), &po, &pe); code != 0 {
		t.Fatalf("predict: status %d, %s", code, pe.String())
	}
	if lines := strings.Count(po.String(), "\n"); lines < 4 {
		t.Fatalf("predict printed %d lines:\n%s", lines, po.String())
	}
}

// An interrupted ensemble replaces only a run folder: a folder to which the user added
// a file while it trained is left as it was (one line, exit status 2), and an ensemble
// interrupted before any member took a step writes nothing over an earlier run.
func TestEnsembleInterruptedKeepsUserFiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	args := append([]string{"-out", out, "-ensemble", "2", "-k", "2"}, resumeArgs...)
	if _, _, err := runTrain(t, args...); err != nil {
		t.Fatal(err)
	}
	before := modelBytes(t, out)
	mine := filepath.Join(out, "notes.txt")
	addFile := func() {
		if err := os.WriteFile(mine, []byte("mine\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
	var se strings.Builder
	err := run(stopAtSignal(5, os.Interrupt, addFile), append(args, "-seed", "2"), io.Discard, io.Discard)
	if code := status(err, &se); code != 2 || !strings.Contains(se.String(), "nothing was replaced") || strings.Count(se.String(), "\n") != 1 {
		t.Errorf("exit status %d, stderr %q; want 2 and one line saying nothing was replaced", code, se.String())
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "mine\n" {
		t.Errorf("the user's file: %q, %v", b, err)
	}
	if !bytes.Equal(modelBytes(t, out), before) {
		t.Error("the run folder holding a user's file was replaced")
	}
	os.Remove(mine)

	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(signalCause{os.Interrupt})
	se.Reset()
	err = run(ctx, append(args, "-seed", "3"), io.Discard, io.Discard)
	if code := status(err, &se); code != 130 || !strings.Contains(se.String(), "before any ensemble member took a step; nothing was written") {
		t.Errorf("exit status %d, stderr %q", code, se.String())
	}
	if !bytes.Equal(modelBytes(t, out), before) {
		t.Error("an ensemble interrupted before its first step replaced the run folder")
	}
}

// TestEnsembleAuto: -ensemble auto (the default) trains ten members below 2000 rows (with
// checkpoints too), two below 20,000 and one model from there on or with -select.
func TestEnsembleAuto(t *testing.T) {
	for _, c := range []struct {
		args    []string
		members int // 0: no ensemble record, one model
		k       int
	}{
		{[]string{"-n", "300", "-ensemble", "auto"}, 10, 30},
		{[]string{"-n", "300", "-checkpoint_every", "50"}, 10, 30},
		{[]string{"-n", "1000", "-epochs", "2", "-ensemble", "auto"}, 10, 100},
		{[]string{"-n", "2000", "-epochs", "2"}, 2, 20},
		{[]string{"-n", "19999", "-epochs", "1"}, 2, 20},
		{[]string{"-n", "20000", "-epochs", "1"}, 0, 10},
		{[]string{"-n", "300", "-select", "-epochs", "1"}, 0, -1},
	} {
		out := filepath.Join(t.TempDir(), "run")
		args := append([]string{"-out", out, "-plots=false", "-baseline=false", "-epochs", "5", "-batch", "100", "-hidden", "8", "-quiet"}, c.args...)
		if _, _, err := runTrain(t, args...); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		var rc runConfig
		b, _ := os.ReadFile(filepath.Join(out, "config.json"))
		if err := json.Unmarshal(b, &rc); err != nil {
			t.Fatal(err)
		}
		members := 0
		if rc.Ensemble != nil {
			members = rc.Ensemble.Members
		}
		if members != c.members || c.k >= 0 && rc.Model.K != c.k {
			t.Errorf("%v: %d members, K = %d; want %d members, K = %d", c.args, members, rc.Model.K, c.members, c.k)
		}
	}
}

// cancelOnWrite is a stdout that cancels its context with an interrupt when the text
// written so far first contains mark.
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    strings.Builder
	mark   string
	cancel context.CancelCauseFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), w.mark)
	w.buf.Write(p)
	if !had && strings.Contains(w.buf.String(), w.mark) {
		w.cancel(signalCause{os.Interrupt})
	}
	return len(p), nil
}

// An interrupted -select search keeps its work: interrupted once the first stage's
// candidates have trained (their table lines printed), it writes the run folder with the
// best of them and the checkpoints of the candidates begun (status interrupted;
// config.json's select record says "interrupted" and lists only the candidates trained
// to the end), says so in one line and exits with 130; -resume continues the search to
// the model an uninterrupted search gives, byte for byte. Interrupted before any
// candidate finished, it writes the checkpoints alone, and -resume continues from them
// just as well; interrupted before any took a step, it writes nothing.
func TestSelectInterrupted(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	args := []string{"-select", "-plots=false", "-epochs", "10", "-batch", "100", "-n", "200", "-hidden", "4", "-quiet"}
	whole := filepath.Join(t.TempDir(), "whole")
	if _, _, err := runTrain(t, append([]string{"-out", whole}, args...)...); err != nil {
		t.Fatal(err)
	}
	args = args[:len(args)-1] // the table lines are the interrupt's cue below

	out := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancelCause(context.Background())
	w := &cancelOnWrite{mark: "select  K=", cancel: cancel}
	err := run(ctx, append([]string{"-out", out}, args...), w, io.Discard)
	var se strings.Builder
	if code := status(err, &se); code != 130 {
		t.Fatalf("exit status %d (%v), want 130", code, err)
	}
	line := se.String()
	if strings.Count(line, "\n") != 1 || !strings.Contains(line, "interrupted during the -select search: wrote "+out+"/ with the best of the ") || !strings.Contains(line, "; continue it with -resume "+out+"\n") {
		t.Errorf("stderr %q", line)
	}
	mk, err := readMarker(out)
	if err != nil || mk.Status != statusInterrupted {
		t.Fatalf("marker %+v, %v; want status interrupted", mk, err)
	}
	if _, err := os.Stat(filepath.Join(out, checkpointName)); err == nil {
		t.Error("an interrupted search wrote a single run's checkpoint")
	}
	rc := readRunConfig(t, out)
	sel := rc.Select
	if sel == nil || !sel.Interrupted || len(sel.Candidates) == 0 || rc.Result.Stopped != statusInterrupted || rc.Result.TestNLL == nil {
		t.Fatalf("config.json's select record %+v, result %+v", sel, rc.Result)
	}
	stdout := w.buf.String()
	if n := strings.Count(stdout, "select  K="); n != len(sel.Candidates) {
		t.Errorf("%d table lines for %d candidates:\n%s", n, len(sel.Candidates), stdout)
	}
	win := sel.Candidates[sel.Chosen]
	for i, c := range sel.Candidates {
		if c.Error != "" || c.ValNLL == nil || *c.ValNLL < *win.ValNLL || c.Epochs != 10 {
			t.Errorf("candidate %d %+v: want one trained to the end, not better than the chosen %+v", i, c, win)
		}
		if _, err := os.Stat(filepath.Join(out, candidateCheckpointName(i))); err != nil {
			t.Errorf("candidate %d, trained: %v", i, err)
		}
	}
	if rc.Model.K != win.K || rc.Model.Hidden[0] != win.Hidden[0] || rc.Train.L2 != win.L2 {
		t.Errorf("the run's model %+v, l2 %g; the chosen candidate %+v", rc.Model, rc.Train.L2, win)
	}
	predictOK(t, filepath.Join(out, modelName))
	resumed := func(name, dir string) {
		t.Helper()
		if _, _, err := runTrain(t, "-resume", dir, "-quiet"); err != nil {
			t.Fatalf("%s: -resume: %v", name, err)
		}
		if !bytes.Equal(modelBytes(t, dir), modelBytes(t, whole)) {
			t.Errorf("%s: the resumed search's model differs from the uninterrupted one's", name)
		}
		if rc := readRunConfig(t, dir); rc.Select == nil || rc.Select.Interrupted || len(rc.Select.Candidates) != len(readRunConfig(t, whole).Select.Candidates) {
			t.Errorf("%s: the resumed search's record %+v", name, rc.Select)
		}
		if hasRunCheckpoints(dir) {
			t.Errorf("%s: the completed run folder still holds checkpoints", name)
		}
	}
	resumed("interrupted after a stage", out)

	// Interrupted in the first candidate's sixth step, before any finished: the
	// checkpoints alone.
	out1 := filepath.Join(t.TempDir(), "run")
	se.Reset()
	if code := status(run(stopAtSignal(5, os.Interrupt, nil), append([]string{"-out", out1}, args...), io.Discard, io.Discard), &se); code != 130 || !strings.Contains(se.String(), "interrupted before any run finished: wrote "+out1+"/ with the checkpoints of the ") {
		t.Errorf("interrupted in a candidate: exit status %d, stderr %q", code, se.String())
	}
	if mk, err := readMarker(out1); err != nil || mk.Status != statusInterrupted || !hasRunCheckpoints(out1) {
		t.Fatalf("interrupted in a candidate: marker %+v, %v, checkpoints %v", mk, err, hasRunCheckpoints(out1))
	}
	if _, err := os.Stat(filepath.Join(out1, modelName)); err == nil {
		t.Error("interrupted in a candidate, the folder holds a model")
	}
	// A damaged candidate checkpoint is refused, naming it, before the search goes on.
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.CopyFS(bad, os.DirFS(out1)); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(bad)
	for _, e := range ents {
		if _, ok := candidateIndex(e.Name()); ok {
			if err := os.WriteFile(filepath.Join(bad, e.Name()), []byte("junk\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			want := "-resume " + bad + ": checkpoint of " + e.Name() + ": not a checkpoint"
			if _, _, err := runTrain(t, "-resume", bad, "-quiet"); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("a damaged %s: %v; want an error containing %q", e.Name(), err, want)
			}
			break
		}
	}
	resumed("interrupted in a candidate", out1)

	// Interrupted before any candidate took a step: nothing is written.
	out2 := filepath.Join(t.TempDir(), "run")
	ctx, cancel = context.WithCancelCause(context.Background())
	cancel(signalCause{os.Interrupt})
	se.Reset()
	if code := status(run(ctx, append([]string{"-out", out2}, args...), io.Discard, io.Discard), &se); code != 130 || !strings.Contains(se.String(), "nothing was written") {
		t.Errorf("interrupted at once: exit status %d, stderr %q", code, se.String())
	}
	if _, err := os.Stat(out2); err == nil {
		t.Error("a search interrupted before any candidate took a step wrote its folder")
	}
}

// The member and candidate checkpoints are a run folder's own files, and only these
// names are.
func TestMemberCheckpointNames(t *testing.T) {
	for _, c := range []struct {
		name string
		m    int
		ok   bool
	}{
		{"member-0.ckpt", 0, true}, {"member-3.ckpt", 3, true}, {memberCheckpointName(maxEnsemble - 1), maxEnsemble - 1, true},
		{memberCheckpointName(maxEnsemble), 0, false}, {"member-03.ckpt", 0, false}, {"member--1.ckpt", 0, false},
		{"member-+1.ckpt", 0, false}, {"member-.ckpt", 0, false}, {"member-1.ckpt.bak", 0, false}, {"notes-1.ckpt", 0, false},
	} {
		m, ok := memberIndex(c.name)
		if ok != c.ok || ok && m != c.m || isRunFile(c.name) != c.ok {
			t.Errorf("%s: member %d, %v, run file %v; want %d, %v", c.name, m, ok, isRunFile(c.name), c.m, c.ok)
		}
		cand := strings.Replace(c.name, "member-", "candidate-", 1)
		n, ok := candidateIndex(cand)
		if ok != c.ok || ok && n != c.m || isRunFile(cand) != c.ok {
			t.Errorf("%s: candidate %d, %v, run file %v; want %d, %v", cand, n, ok, isRunFile(cand), c.m, c.ok)
		}
	}
	if _, ok := candidateIndex("member-1.ckpt"); ok {
		t.Error("member-1.ckpt is a candidate's name")
	}
}
