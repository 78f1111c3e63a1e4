package traincmd

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/internal/clitest"
	"github.com/mixgraph/mixgraph/internal/predictcmd"
	"github.com/mixgraph/mixgraph/internal/snapshot"
	"github.com/mixgraph/mixgraph/models/mdn"
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
		{[]string{"-ensemble", "2", "-checkpoint_every", "5"}, "-ensemble 2: an ensemble run takes no checkpoints"},
		{[]string{"-select=maybe"}, `-select "maybe"`},
		{[]string{"-select", "-val_fraction", "0"}, "-select: needs validation rows"},
		{[]string{"-select", "-checkpoint_every", "2"}, "-select: a search takes no checkpoints"},
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

// An interrupted -ensemble run writes nothing, says so in one line and exits with the
// signal's status.
func TestEnsembleInterrupted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	var o, e strings.Builder
	err := run(stopAt(5), append([]string{"-out", out, "-ensemble", "2"}, resumeArgs...), &o, &e)
	var ie *interrupted
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("got %v, want an interruption that wrote nothing", err)
	}
	if code := status(err, io.Discard); code != 130 {
		t.Fatalf("exit status %d, want 130", code)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("the run folder exists: %v", err)
	}
}

// TestEnsembleAuto: -ensemble auto (the default) trains ten members below 2000 rows, and
// one model from 2000 rows on or where the run asks for checkpoints.
func TestEnsembleAuto(t *testing.T) {
	for _, c := range []struct {
		args    []string
		members int // 0: no ensemble record, one model
		k       int
	}{
		{[]string{"-n", "300", "-ensemble", "auto"}, 10, 30},
		{[]string{"-n", "300", "-checkpoint_every", "50"}, 0, 3},
		{[]string{"-n", "1000", "-epochs", "2", "-ensemble", "auto"}, 10, 100},
		{[]string{"-n", "2000", "-epochs", "2"}, 0, 10},
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
		if members != c.members || rc.Model.K != c.k {
			t.Errorf("%v: %d members, K = %d; want %d members, K = %d", c.args, members, rc.Model.K, c.members, c.k)
		}
	}
}
