package models

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func TestGaussianNLLAndResidualVariance(t *testing.T) {
	pred := [][]float64{{0, 1}, {2, 1}, {1, -1}}
	y := [][]float64{{0.5, 1}, {1, 3}, {1.5, -2}}
	v, err := ResidualVariance(pred, y)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{(0.25 + 1 + 0.25) / 3, (0 + 4 + 1) / 3.0}
	for d := range v {
		if math.Abs(v[d]-want[d]) > 1e-15 {
			t.Errorf("variance %d: %g, want %g", d, v[d], want[d])
		}
	}
	nll, err := GaussianNLL(pred, y, v)
	if err != nil {
		t.Fatal(err)
	}
	ref := 0.0
	for i := range y {
		for d := range y[i] {
			ref -= distuv.Normal{Mu: pred[i][d], Sigma: math.Sqrt(v[d])}.LogProb(y[i][d]) / 3
		}
	}
	if math.Abs(nll-ref) > 1e-13*math.Abs(ref) {
		t.Errorf("NLL %g, want %g", nll, ref)
	}
	if v, _ := ResidualVariance([][]float64{{1}}, [][]float64{{1}}); !(v[0] > 0) {
		t.Errorf("a perfect fit's variance %g, want a positive floor", v[0])
	}
	for _, bad := range [][2][][]float64{{nil, nil}, {{{1}}, {{1}, {2}}}, {{{1, 2}}, {{1}}}} {
		if _, err := ResidualVariance(bad[0], bad[1]); err == nil {
			t.Errorf("%v, %v: no error", bad[0], bad[1])
		}
	}
	if _, err := GaussianNLL(pred, y, []float64{1}); err == nil {
		t.Error("one variance for two columns: no error")
	}
}
