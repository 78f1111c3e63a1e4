package models

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func TestGaussianNLLAndResidualStdDevs(t *testing.T) {
	pred := [][]float64{{0, 1}, {2, 1}, {1, -1}}
	y := [][]float64{{0.5, 1}, {1, 3}, {1.5, -2}}
	sd, err := ResidualStdDevs(pred, y)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{math.Sqrt((0.25 + 1 + 0.25) / 3), math.Sqrt((0 + 4 + 1) / 3.0)}
	for d := range sd {
		if math.Abs(sd[d]-want[d]) > 1e-15 {
			t.Errorf("standard deviation %d: %g, want %g", d, sd[d], want[d])
		}
	}
	nll, err := GaussianNLL(pred, y, sd)
	if err != nil {
		t.Fatal(err)
	}
	ref := 0.0
	for i := range y {
		for d := range y[i] {
			ref -= distuv.Normal{Mu: pred[i][d], Sigma: sd[d]}.LogProb(y[i][d]) / 3
		}
	}
	if math.Abs(nll-ref) > 1e-13*math.Abs(ref) {
		t.Errorf("NLL %g, want %g", nll, ref)
	}
	// The same data in units of 1e±300, where the squares overflow or underflow: the
	// standard deviations scale, and the NLL shifts by 2·log(scale) per row (one per
	// column).
	for _, scale := range []float64{1e300, 1e-300} {
		sp, sy := make([][]float64, len(y)), make([][]float64, len(y))
		for i := range y {
			sp[i] = []float64{pred[i][0] * scale, pred[i][1] * scale}
			sy[i] = []float64{y[i][0] * scale, y[i][1] * scale}
		}
		ssd, err := ResidualStdDevs(sp, sy)
		if err != nil {
			t.Fatal(err)
		}
		for d := range ssd {
			if math.Abs(ssd[d]-want[d]*scale) > 1e-14*want[d]*scale {
				t.Errorf("units × %g: standard deviation %d: %g, want %g", scale, d, ssd[d], want[d]*scale)
			}
		}
		got, err := GaussianNLL(sp, sy, ssd)
		if err != nil {
			t.Fatal(err)
		}
		if w := ref + 2*math.Log(scale); math.Abs(got-w) > 1e-12*math.Abs(w) {
			t.Errorf("units × %g: NLL %g, want %g", scale, got, w)
		}
	}
	if sd, _ := ResidualStdDevs([][]float64{{1}}, [][]float64{{1}}); !(sd[0] > 0) {
		t.Errorf("a perfect fit's standard deviation %g, want a positive floor", sd[0])
	}
	for _, bad := range [][2][][]float64{{nil, nil}, {{{1}}, {{1}, {2}}}, {{{1, 2}}, {{1}}}} {
		if _, err := ResidualStdDevs(bad[0], bad[1]); err == nil {
			t.Errorf("%v, %v: no error", bad[0], bad[1])
		}
	}
	if _, err := GaussianNLL(pred, y, []float64{1}); err == nil {
		t.Error("one standard deviation for two columns: no error")
	}
}
