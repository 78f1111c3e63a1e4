package mdn

import (
	"math"
	"testing"
)

func TestLeadQuickRoundTrip(t *testing.T) {
	for _, dt := range []DType{Float64, Float32} {
		m, err := New(Config{InputDim: 2, OutputDim: 2, K: 3, DType: dt, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		x := [][]float64{{0.1, 0.2}, {1, -1}, {3, 4}}
		y := [][]float64{{0, 1}, {1, 1}, {-2, 0.5}}
		mix, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		ll, err := m.LogLik(x, y)
		if err != nil {
			t.Fatal(err)
		}
		for i := range x {
			lp := mix[i].LogProb(y[i])
			if math.Abs(lp-ll[i]) > 1e-5*math.Abs(lp) {
				t.Errorf("%s row %d: LogProb %g vs graph %g", dt, i, lp, ll[i])
			}
		}
		t.Logf("%s: %v %v", dt, ll, mix[0])
	}
}
