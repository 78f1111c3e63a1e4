package models

import (
	"math"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
)

func TestFitAndTransform(t *testing.T) {
	x := []float64{1, 10, 3, 10, 5, 10} // column 1 constant
	y := []float64{2, 4, 6}
	n := Fit(x, 2, y, 1)
	if n.XMean[0] != 3 || n.XStd[0] != math.Sqrt(8.0/3) || n.XMean[1] != 10 || n.XStd[1] != 1 {
		t.Errorf("x statistics %v %v", n.XMean, n.XStd)
	}
	z := make([]float64, 6)
	n.X(z, x)
	if z[1] != 0 || math.Abs(z[0]+z[4]) > 1e-15 {
		t.Errorf("standardised %v", z)
	}
	if got, want := n.LogDetY(), math.Log(math.Sqrt(8.0/3)); math.Abs(got-want) > 1e-15 {
		t.Errorf("LogDetY %g, want %g", got, want)
	}
	if err := n.Validate(2, 1); err != nil {
		t.Error(err)
	}
	if err := n.Validate(3, 1); err == nil {
		t.Error("width mismatch accepted")
	}
	bad := n.Clone()
	bad.YStd[0] = 0
	if err := bad.Validate(2, 1); err == nil || !strings.Contains(err.Error(), "target std 0 is 0") {
		t.Errorf("zero std: %v", err)
	}
	if n.YStd[0] == 0 {
		t.Error("Clone shares storage")
	}
}

func TestCheckRows(t *testing.T) {
	if _, err := CheckRows("input", [][]float64{{1, 2}, {3}}, 2); err == nil || !strings.Contains(err.Error(), "input row 1 has 1 columns, model expects 2") {
		t.Errorf("ragged: %v", err)
	}
	if _, err := CheckRows("input", [][]float64{{1, math.Inf(1)}}, 2); err == nil || !strings.Contains(err.Error(), "row 0, column 1 is +Inf") {
		t.Errorf("Inf: %v", err)
	}
	f, err := CheckRows("input", [][]float64{{1, 2}, {3, 4}}, 2)
	if err != nil || len(f) != 4 || f[2] != 3 {
		t.Errorf("flatten: %v %v", f, err)
	}
}

func TestBase(t *testing.T) {
	ps, err := graph.NewParamSet(tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBase("toy", ps, 2, 1)
	if b.Params() != ps || b.InputDim() != 2 || b.OutputDim() != 1 {
		t.Errorf("Base holds %p, %d, %d", b.Params(), b.InputDim(), b.OutputDim())
	}
	if n := b.Normalization(); n.XStd[1] != 1 || n.YMean[0] != 0 {
		t.Errorf("initial normalisation %v, want the identity", n)
	}
	err = b.SetNormalization(IdentityNormalization(3, 1))
	if err == nil || err.Error() != "toy: normalisation has 3/3 input statistics, model has 2 inputs" {
		t.Errorf("wrong widths: %v", err)
	}
	n := Fit([]float64{1, 2, 3, 5}, 2, []float64{4, 8}, 1)
	if err := b.SetNormalization(n); err != nil {
		t.Fatal(err)
	}
	n.YStd[0] = 7
	if got := b.Normalization(); got.YStd[0] != 2 {
		t.Errorf("YStd %g, want 2: SetNormalization keeps the caller's slices", got.YStd[0])
	}
	got := b.Normalization()
	got.YStd[0] = 9
	if b.Normalization().YStd[0] != 2 {
		t.Error("Normalization returns the Base's own slices")
	}
}
