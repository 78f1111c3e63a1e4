package mdn

import (
	"math"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/models"
)

// A network whose outputs make no valid mixture for one row is reported at that row,
// naming what is wrong, by Predict and PredictMixtures alike, for both dtypes and for
// one and two target dimensions: logits that overflow (their softmax is NaN), means
// that overflow, and scales whose exponential overflows or underflows to zero. The
// hidden layer is tanh(x), so rows with x = 0 feed the heads zeros and keep their
// biases' valid mixture.
func TestPredictReportsInvalidRows(t *testing.T) {
	x := [][]float64{{0}, {0}, {2}, {0}}
	for _, dt := range []models.DType{models.Float64, models.Float32} {
		huge := math.MaxFloat64
		if dt == models.Float32 {
			huge = math.MaxFloat32
		}
		for _, d := range []int{1, 2} {
			for _, c := range []struct {
				head string
				w    float64
				want string
			}{
				{"logits", huge, "weight"},
				{"means", huge, "mean"},
				{"scales", huge, "standard deviation"},
				{"scales", -huge, "standard deviation 0 is 0"},
			} {
				m, err := New(Config{InputDim: 1, OutputDim: d, K: 2, Hidden: []int{3}, Seed: 1, DType: dt})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range m.Params().List() {
					v := 0.0
					switch p.Name {
					case "mdn.body.0.W":
						v = 1
					case "mdn." + c.head + ".W":
						v = c.w
					}
					if strings.HasSuffix(p.Name, ".b") {
						continue
					}
					fill(t, p.Value, v)
				}
				for _, predict := range []func() error{
					func() error { _, err := m.Predict(x); return err },
					func() error { _, err := m.PredictMixtures(x); return err },
				} {
					err := predict()
					if err == nil || !strings.Contains(err.Error(), "input row 2: the network's output is not a valid mixture") || !strings.Contains(err.Error(), c.want) {
						t.Errorf("%v, D=%d, %s weights %g: %v; want row 2 named, with %q", dt, d, c.head, c.w, err, c.want)
					}
				}
				// The valid rows alone predict.
				if _, err := m.PredictMixtures(x[:2]); err != nil {
					t.Errorf("%v, D=%d, %s weights %g, the valid rows: %v", dt, d, c.head, c.w, err)
				}
			}
		}
	}
}

// fill sets every element of v to x.
func fill(t *testing.T, v *tensor.Dense, x float64) {
	t.Helper()
	switch d := v.Data().(type) {
	case []float64:
		for i := range d {
			d[i] = x
		}
	case []float32:
		for i := range d {
			d[i] = float32(x)
		}
	default:
		t.Fatalf("parameter data of type %T", d)
	}
}
