package traincmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// TestCovarianceFull trains on a CSV with two targets with -covariance full and checks
// that the saved model has full covariances and that the command says so.
func TestCovarianceFull(t *testing.T) {
	dir := t.TempDir()
	s := datasets.RobotArm(300, 1)
	var b strings.Builder
	b.WriteString("theta1,theta2,y1,y2\n")
	for i := 0; i < s.N; i++ {
		x, y := s.Row(i)
		fmt.Fprintf(&b, "%g,%g,%g,%g\n", x[0], x[1], y[0], y[1])
	}
	csvPath := filepath.Join(dir, "arm.csv")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	stdout, _, err := runTrain(t, "-csv", csvPath, "-y_cols", "y1,y2", "-covariance", "full", "-k", "2", "-epochs", "5", "-batch", "100", "-hidden", "8", "-plots=false", "-baseline=false", "-out", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "full covariance") {
		t.Errorf("the command does not say it trains full covariances:\n%s", stdout)
	}
	m, err := mdn.LoadFile(filepath.Join(out, "model.mdn"))
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Config(); c.Covariance != mdn.CovarianceFull || c.OutputDim != 2 {
		t.Errorf("saved config: covariance %q, output dimension %d", c.Covariance, c.OutputDim)
	}
	mix, err := m.Predict([][]float64{{0.5, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if mix[0].Cholesky == nil {
		t.Error("the trained model predicts no Cholesky factors")
	}
}

// TestSkipFlag trains an ensemble of two with -skip all and with -skip half, and a single
// model with -skip half, and checks that the saved model and its config.json have the
// skip path where they should (half: member 1's block only), and that it predicts.
func TestSkipFlag(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x1,x2,y\n")
	for i := 0; i < 120; i++ {
		x1, x2 := float64(i%17)/4, float64(i%5)-2
		fmt.Fprintf(&b, "%g,%g,%g\n", x1, x2, 2*x1-x2+0.3*float64(i%3))
	}
	csvPath := filepath.Join(dir, "lin.csv")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		skip     string
		ensemble string
		want     bool
		members  int
	}{{"all", "2", true, 2}, {"half", "2", true, 2}, {"half", "1", false, 0}, {"none", "2", false, 2}} {
		out := filepath.Join(dir, "run-"+c.skip+"-"+c.ensemble)
		if _, _, err := runTrain(t, "-csv", csvPath, "-skip", c.skip, "-ensemble", c.ensemble, "-k", "2", "-epochs", "5", "-hidden", "4", "-plots=false", "-baseline=false", "-out", out); err != nil {
			t.Fatal(err)
		}
		m, err := mdn.LoadFile(filepath.Join(out, "model.mdn"))
		if err != nil {
			t.Fatal(err)
		}
		if cfg := m.Config(); cfg.Skip != c.want || cfg.Members != c.members {
			t.Errorf("-skip %s -ensemble %s: saved config has skip %v, members %d; want %v, %d", c.skip, c.ensemble, cfg.Skip, cfg.Members, c.want, c.members)
		}
		if c.want {
			a := m.Params().Get("mdn.skip.A").Value.Data().([]float64)
			// (inputs 2) × (members 2 · D 1): member 0's column, then member 1's.
			if c.skip == "half" && (a[0] != 0 || a[2] != 0 || a[1] == 0 || a[3] == 0) {
				t.Errorf("-skip half: skip matrix %v, want member 0's column zero and member 1's fitted", a)
			}
			if c.skip == "all" && (a[0] == 0 || a[1] == 0) {
				t.Errorf("-skip all: skip matrix %v, want every member's column fitted", a)
			}
		}
		cj, err := os.ReadFile(filepath.Join(out, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(cj), `"skip": true`) != c.want {
			t.Errorf("-skip %s -ensemble %s: config.json says skip %v, want %v", c.skip, c.ensemble, !c.want, c.want)
		}
		if _, err := m.Predict([][]float64{{1, 0.5}}); err != nil {
			t.Fatal(err)
		}
	}
}
