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

// TestSkipFlag trains an ensemble of two with -skip and checks that the saved model, its
// config.json and its members' combination keep the skip path, and that it predicts.
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
	out := filepath.Join(dir, "run")
	if _, _, err := runTrain(t, "-csv", csvPath, "-skip", "-ensemble", "2", "-k", "2", "-epochs", "5", "-hidden", "4", "-plots=false", "-baseline=false", "-out", out); err != nil {
		t.Fatal(err)
	}
	m, err := mdn.LoadFile(filepath.Join(out, "model.mdn"))
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Config(); !c.Skip || c.Members != 2 || c.K != 4 {
		t.Errorf("saved config: skip %v, members %d, K %d; want true, 2, 4", c.Skip, c.Members, c.K)
	}
	cj, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cj), `"skip": true`) {
		t.Errorf("config.json does not record the skip path:\n%s", cj)
	}
	if _, err := m.Predict([][]float64{{1, 0.5}}); err != nil {
		t.Fatal(err)
	}
}
