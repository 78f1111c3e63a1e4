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

// TestFitHugeColumns checks that a column of finite values whose sums of squares
// overflow (beyond about 1e154) still gets a finite mean and standard deviation, those of
// the same column in ordinary units scaled up.
func TestFitHugeColumns(t *testing.T) {
	small := []float64{1, -2, 3.5, 0.25, 7, -4}
	const scale = 1e300
	x := make([]float64, 2*len(small)) // column 0 huge, column 1 ordinary
	for i, v := range small {
		x[2*i], x[2*i+1] = v*scale, v
	}
	n := Fit(x, 2, small, 1)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"mean", n.XMean[0], n.XMean[1] * scale},
		{"std", n.XStd[0], n.XStd[1] * scale},
	} {
		if math.IsInf(c.got, 0) || math.IsNaN(c.got) || math.Abs(c.got-c.want) > 1e-14*math.Abs(c.want) {
			t.Errorf("huge column's %s %g, want %g", c.name, c.got, c.want)
		}
	}
	// The ordinary column's statistics are the plain sums', bit for bit.
	if n.XMean[1] != n.YMean[0] || n.XStd[1] != n.YStd[0] {
		t.Errorf("ordinary column: %g %g, target %g %g", n.XMean[1], n.XStd[1], n.YMean[0], n.YStd[0])
	}
	if err := n.Validate(2, 1); err != nil {
		t.Error(err)
	}
	z := make([]float64, len(x))
	n.X(z, x)
	for i := 0; i < len(z); i += 2 {
		if math.Abs(z[i]-z[i+1]) > 1e-13 {
			t.Errorf("row %d standardised %g (huge) and %g (ordinary)", i/2, z[i], z[i+1])
		}
	}
	// A column in units of 1e-300, whose squared deviations underflow to 0 (it used to
	// look constant and get std 1): its statistics scale down.
	tiny := make([]float64, len(small))
	for i, v := range small {
		tiny[i] = v * 1e-300
	}
	nt := Fit(tiny, 1, small, 1)
	if math.Abs(nt.XStd[0]-n.YStd[0]*1e-300) > 1e-14*nt.XStd[0] || math.Abs(nt.XMean[0]-n.YMean[0]*1e-300) > 1e-14*math.Abs(nt.XMean[0]) {
		t.Errorf("tiny column: mean %g, std %g; want %g, %g", nt.XMean[0], nt.XStd[0], n.YMean[0]*1e-300, n.YStd[0]*1e-300)
	}
	if c := Fit([]float64{3e-300, 3e-300}, 1, []float64{1, 2}, 1); c.XStd[0] != 1 {
		t.Errorf("a constant tiny column's std %g, want 1", c.XStd[0])
	}
	// Even values spread over more than float64's range have finite statistics (the
	// standard deviation is at most half the spread, so at most the largest magnitude),
	// though x − mean then overflows for some (the train command refuses such a column).
	nw := Fit([]float64{-1.7e308, 1.7e308, 1.7e308, 1}, 1, []float64{1, 2, 3, 4}, 1)
	if err := nw.Validate(1, 1); err != nil {
		t.Errorf("values spread beyond float64's range: %v", err)
	}
}
