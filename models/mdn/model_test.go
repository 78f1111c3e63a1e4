package mdn

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var dtypes = []models.DType{models.Float64, models.Float32}

// logLikTol bounds the relative difference between the graph's log-likelihood and
// Mixture.LogProb of the predicted mixture.
var logLikTol = map[models.DType]float64{models.Float64: 1e-12, models.Float32: 2e-5}

func testModel(t testing.TB, cfg Config) *Model {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return m
}

func randRows(seed uint64, n, d int, scale float64) [][]float64 {
	rng := graph.NewRand(seed)
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = make([]float64, d)
		for j := range rows[i] {
			rows[i][j] = scale * rng.NormFloat64()
		}
	}
	return rows
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{OutputDim: 1}, "input dimension 0"},
		{Config{InputDim: 1}, "output dimension 0"},
		{Config{InputDim: 1, OutputDim: 1, K: -2}, "K = -2"},
		{Config{InputDim: 1, OutputDim: 1, Hidden: []int{}}, "no hidden layers"},
		{Config{InputDim: 1, OutputDim: 1, Hidden: []int{8, 0}}, "hidden layer 1 has width 0"},
		{Config{InputDim: 1, OutputDim: 1, Activation: "swish"}, `"swish"`},
		{Config{InputDim: 1, OutputDim: 1, Scale: "square"}, `"square"`},
		{Config{InputDim: 1, OutputDim: 1, VarianceFloor: -1}, "variance floor -1"},
		{Config{InputDim: 1, OutputDim: 1, VarianceFloor: math.NaN()}, "variance floor NaN"},
		{Config{InputDim: 1, OutputDim: 1, DType: "float16"}, `"float16"`},
	}
	for _, c := range cases {
		_, err := New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
	m := testModel(t, Config{InputDim: 3, OutputDim: 2})
	got := m.Config()
	if got.K != DefaultK || got.Activation != graph.Tanh || got.Scale != losses.ScaleExp || got.DType != models.Float64 || len(got.Hidden) != 2 {
		t.Errorf("defaults not applied: %+v", got)
	}
}

// TestInitialMixture checks the initialisation that avoids collapse: near-uniform
// weights, unit scales in standardised units, means spread over the quantiles.
func TestInitialMixture(t *testing.T) {
	for _, scale := range []losses.Scale{losses.ScaleExp, losses.ScaleSoftplus, losses.ScaleELU} {
		m := testModel(t, Config{InputDim: 2, OutputDim: 1, K: 4, Scale: scale, Seed: 3})
		mix, err := m.Predict(randRows(1, 20, 2, 1))
		if err != nil {
			t.Fatal(err)
		}
		for i, mx := range mix {
			for c := 0; c < 4; c++ {
				if math.Abs(mx.Weights[c]-0.25) > 0.05 {
					t.Errorf("%s row %d: weight %d = %g, want ≈ 0.25", scale, i, c, mx.Weights[c])
				}
				if math.Abs(mx.StdDevs[c][0]-1) > 0.1 {
					t.Errorf("%s row %d: σ %d = %g, want ≈ 1", scale, i, c, mx.StdDevs[c][0])
				}
			}
			for c := 1; c < 4; c++ {
				if !(mx.Means[c][0] > mx.Means[c-1][0]+0.3) {
					t.Errorf("%s row %d: means not spread: %v", scale, i, mx.Means)
				}
			}
		}
	}
}

func TestInitFromData(t *testing.T) {
	m := testModel(t, Config{InputDim: 1, OutputDim: 1, K: 3, Seed: 5})
	// Targets in three tight clusters at −10, 0 and 10.
	var x, y []float64
	for i := 0; i < 300; i++ {
		x = append(x, float64(i))
		y = append(y, float64(i%3-1)*10+0.01*float64(i%7))
	}
	if err := m.SetNormalization(models.Fit(x, 1, y, 1)); err != nil {
		t.Fatal(err)
	}
	if err := m.InitFromData(x, y); err != nil {
		t.Fatal(err)
	}
	mix, err := m.Predict([][]float64{{150}})
	if err != nil {
		t.Fatal(err)
	}
	for c, want := range []float64{-10, 0, 10} {
		if got := mix[0].Means[c][0]; math.Abs(got-want) > 1.5 {
			t.Errorf("component %d mean %g, want ≈ %g", c, got, want)
		}
	}
}

// TestPredictMatchesLogLik checks Predict's mixtures against the training graph's
// log-likelihood, with a normalisation in place, across chunk boundaries.
func TestPredictMatchesLogLik(t *testing.T) {
	for _, dt := range dtypes {
		for _, floor := range []float64{0, 0.01} {
			m := testModel(t, Config{InputDim: 3, OutputDim: 2, K: 4, Hidden: []int{7}, DType: dt, Seed: 11, VarianceFloor: floor, Scale: losses.ScaleSoftplus})
			n := models.Normalization{XMean: []float64{1, -2, 0.5}, XStd: []float64{2, 0.5, 3}, YMean: []float64{10, -4}, YStd: []float64{5, 0.25}}
			if err := m.SetNormalization(n); err != nil {
				t.Fatal(err)
			}
			x := randRows(2, 300, 3, 2)
			y := randRows(3, 300, 2, 3)
			mix, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			ll, err := m.LogLik(x, y)
			if err != nil {
				t.Fatal(err)
			}
			if len(mix) != 300 || len(ll) != 300 {
				t.Fatalf("got %d mixtures and %d log-likelihoods for 300 rows", len(mix), len(ll))
			}
			for i := range x {
				if err := mix[i].Validate(); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				want := mix[i].LogProb(y[i])
				if math.Abs(ll[i]-want) > logLikTol[dt]*math.Max(1, math.Abs(want)) {
					t.Errorf("%s floor %g row %d: graph log-likelihood %.15g, Mixture.LogProb %.15g", dt, floor, i, ll[i], want)
				}
			}
			// One row alone predicts what it did in the batch.
			one, err := m.Predict(x[299:])
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(one[0].LogProb(y[299])-mix[299].LogProb(y[299])) > logLikTol[dt] {
				t.Errorf("%s: row 299 alone differs from row 299 in a batch", dt)
			}
		}
	}
}

func TestPredictBadInput(t *testing.T) {
	m := testModel(t, Config{InputDim: 2, OutputDim: 1})
	cases := []struct {
		x    [][]float64
		want string
	}{
		{[][]float64{{1, 2}, {1}}, "row 1 has 1 columns, model expects 2"},
		{[][]float64{{1, math.NaN()}}, "row 0, column 1 is NaN"},
		{[][]float64{{1, 2}, {3, 4}, {math.Inf(-1), 0}}, "row 2, column 0 is -Inf"},
	}
	for _, c := range cases {
		_, err := m.Predict(c.x)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Predict(%v) = %v, want error containing %q", c.x, err, c.want)
		}
	}
	if _, err := m.LogLik([][]float64{{1, 2}}, [][]float64{{1, 2}}); err == nil || !strings.Contains(err.Error(), "target row 0 has 2 columns") {
		t.Errorf("LogLik with a wide target: %v", err)
	}
}

func TestDeterministicInit(t *testing.T) {
	for _, dt := range dtypes {
		a := testModel(t, Config{InputDim: 2, OutputDim: 3, K: 4, DType: dt, Seed: 42})
		b := testModel(t, Config{InputDim: 2, OutputDim: 3, K: 4, DType: dt, Seed: 42})
		c := testModel(t, Config{InputDim: 2, OutputDim: 3, K: 4, DType: dt, Seed: 43})
		fa, fb, fc := a.Params().Flatten(nil), b.Params().Flatten(nil), c.Params().Flatten(nil)
		same := true
		for i := range fa {
			if math.Float64bits(fa[i]) != math.Float64bits(fb[i]) {
				t.Fatalf("%s: seed 42 twice differs at %d: %g vs %g", dt, i, fa[i], fb[i])
			}
			same = same && fa[i] == fc[i]
		}
		if same {
			t.Errorf("%s: seeds 42 and 43 give the same weights", dt)
		}
	}
}

func TestSaveLoadBitExact(t *testing.T) {
	for _, dt := range dtypes {
		m := testModel(t, Config{InputDim: 2, OutputDim: 2, K: 3, Hidden: []int{5, 4}, DType: dt, Seed: 9, Scale: losses.ScaleELU, VarianceFloor: 1e-3})
		if err := m.SetNormalization(models.Normalization{XMean: []float64{1, 2}, XStd: []float64{0.1, 3}, YMean: []float64{-1, 0}, YStd: []float64{2, 1.0 / 3}}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "model.mdn")
		if err := m.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		l, err := LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		x := randRows(4, 40, 2, 3)
		y := randRows(5, 40, 2, 3)
		a, _ := m.LogLik(x, y)
		b, err := l.LogLik(x, y)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				t.Fatalf("%s row %d: loaded model gives %.17g, saved one %.17g", dt, i, b[i], a[i])
			}
		}
		pa, _ := m.Predict(x)
		pb, _ := l.Predict(x)
		for i := range pa {
			if pa[i].Mode()[0] != pb[i].Mode()[0] || pa[i].StdDevs[2][1] != pb[i].StdDevs[2][1] {
				t.Fatalf("%s row %d: predictions differ after load", dt, i)
			}
		}
	}
}

func TestSaveRefusesNonFinite(t *testing.T) {
	m := testModel(t, Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{3}})
	vals := m.Params().Flatten(nil)
	vals[4] = math.NaN()
	if err := m.Params().SetFlat(vals); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.mdn")
	if err := os.WriteFile(path, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := m.SaveFile(path)
	if err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("saving a NaN weight: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "previous" {
		t.Errorf("failed save changed the file to %q", b)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("failed save left %d files behind", len(ents))
	}
}

func TestLoadBadFiles(t *testing.T) {
	m := testModel(t, Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{3}, Seed: 1})
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	nl := bytes.IndexByte(good, '\n')
	flip := append([]byte(nil), good...)
	flip[nl+40] ^= 0x01
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a model file"},
		{"text", []byte("hello\nworld\n"), "not a model file"},
		{"truncated", good[:len(good)/2], "truncated"},
		{"header only", good[:nl+1], "truncated"},
		{"corrupted", flip, "checksum"},
		{"version", bytes.Replace(good, []byte(`"version":1`), []byte(`"version":7`), 1), "version 7"},
	}
	for _, c := range cases {
		_, err := Load(bytes.NewReader(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Load = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestGoldenFile pins the model file format: testdata/golden.mdn must load and predict
// what the model it was written from predicts, and saving that model again must
// reproduce it byte for byte. Run with -update to rewrite it after a deliberate change.
func TestGoldenFile(t *testing.T) {
	m := testModel(t, Config{InputDim: 2, OutputDim: 1, K: 2, Hidden: []int{3}, Seed: 2024, DType: models.Float32})
	if err := m.SetNormalization(models.Normalization{XMean: []float64{0.5, -1}, XStd: []float64{2, 4}, YMean: []float64{3}, YStd: []float64{0.5}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden.mdn")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenFile -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("saved model differs from %s: the format changed (rerun with -update if deliberate)", path)
	}
	l, err := Load(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := m.LogLik([][]float64{{1, 2}}, [][]float64{{3.5}})
	b, _ := l.LogLik([][]float64{{1, 2}}, [][]float64{{3.5}})
	if a[0] != b[0] {
		t.Errorf("golden model log-likelihood %.17g, want %.17g", b[0], a[0])
	}
}
