package predictcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testModelFile writes a small untrained model with a fixed seed and normalisation: its
// predictions are fixed, which is what the golden files pin.
func testModelFile(t *testing.T, outDim int) string {
	t.Helper()
	n := models.IdentityNormalization(1, outDim)
	n.XMean[0], n.XStd[0] = 0.5, 0.25
	return saveModel(t, mdn.Config{InputDim: 1, OutputDim: outDim, K: 2, Hidden: []int{4}, Seed: 3}, n)
}

func runPredict(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), err
}

const inputs = "x\n0.1\n0.5\n0.9\n"

func TestGolden(t *testing.T) {
	cases := []struct {
		golden string
		outDim int
		args   []string
	}{
		{"predict.csv", 1, []string{"-samples", "2", "-seed", "7"}},
		{"predict.jsonl", 1, []string{"-format", "jsonl", "-samples", "2", "-seed", "7", "-temperature", "0.5"}},
		{"predict_2d.csv", 2, []string{"-samples", "1"}},
	}
	for _, c := range cases {
		model := testModelFile(t, c.outDim)
		got, err := runPredict(t, inputs, append([]string{"-model", model}, c.args...)...)
		if err != nil {
			t.Fatalf("%s: %v", c.golden, err)
		}
		path := filepath.Join("testdata", c.golden)
		if *update {
			os.MkdirAll("testdata", 0o755)
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if msg := sameOutput(got, string(want)); msg != "" {
			t.Errorf("%s differs from the golden file (%s):\n%s\nwant:\n%s", c.golden, msg, got, want)
		}
	}
}

var number = regexp.MustCompile(`-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?`)

// sameOutput compares an output with its golden file: the text around the numbers must
// be identical (the format is pinned) and each number must agree to 1e-9, relative or
// absolute, since the last bits of a prediction may differ with the CPU's kernels
// (fused multiply-add, vectorised tanh). It returns what differs, or "".
func sameOutput(got, want string) string {
	if g, w := number.ReplaceAllString(got, "#"), number.ReplaceAllString(want, "#"); g != w {
		return "the text around the numbers differs"
	}
	gn, wn := number.FindAllString(got, -1), number.FindAllString(want, -1)
	for i := range gn {
		a, err1 := strconv.ParseFloat(gn[i], 64)
		b, err2 := strconv.ParseFloat(wn[i], 64)
		if err1 != nil || err2 != nil {
			return fmt.Sprintf("number %d: %q vs %q", i, gn[i], wn[i])
		}
		if math.Abs(a-b) > 1e-9*math.Max(1, math.Abs(b)) {
			return fmt.Sprintf("number %d: %v, want %v", i, a, b)
		}
	}
	return ""
}

func TestOutFileAtomic(t *testing.T) {
	model := testModelFile(t, 1)
	dir := t.TempDir()
	out := filepath.Join(dir, "p.csv")
	if _, err := runPredict(t, inputs, "-model", model, "-out", out); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); strings.Count(string(b), "\n") != 4 {
		t.Errorf("output file:\n%s", b)
	}
	// A failing run leaves the previous output alone.
	if _, err := runPredict(t, "x\n1\nNaN\n", "-model", model, "-out", out); err == nil {
		t.Fatal("NaN input accepted")
	}
	if b, _ := os.ReadFile(out); strings.Count(string(b), "\n") != 4 {
		t.Errorf("a failing run changed the output file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the output folder, want 1", len(ents))
	}
}

func TestBadInput(t *testing.T) {
	model := testModelFile(t, 1)
	model2 := testModelFile(t, 2)
	corrupt := filepath.Join(t.TempDir(), "bad.mdn")
	b, _ := os.ReadFile(model)
	os.WriteFile(corrupt, b[:len(b)/2], 0o644)
	cases := []struct {
		stdin string
		args  []string
		want  string
	}{
		{inputs, nil, "-model is required"},
		{inputs, []string{"-model", filepath.Join(t.TempDir(), "none.mdn")}, "no such file"},
		{inputs, []string{"-model", corrupt}, "truncated"},
		{inputs, []string{"-model", model, "-format", "xml"}, `-format "xml"`},
		{inputs, []string{"-model", model, "-temperature", "0"}, "-temperature 0"},
		{inputs, []string{"-model", model, "-quantiles", "0.5,1.5"}, `"1.5" is not a probability`},
		{inputs, []string{"-model", model2, "-quantiles", "0.5"}, "quantiles need one"},
		{"a,b\n1,2\n", []string{"-model", model}, "2 input columns (a, b), the model takes 1"},
		{"x\n1\nabc\n", []string{"-model", model}, `line 3, column "x": "abc" is not a number`},
		{"x\n1\n+Inf\n", []string{"-model", model}, "not a finite number"},
		{"", []string{"-model", model}, "empty"},
		{inputs, []string{"-model", model, "-x_cols", "y"}, `no column "y"`},
	}
	for _, c := range cases {
		out, err := runPredict(t, c.stdin, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
		if out != "" {
			t.Errorf("%v: partial output %q", c.args, out)
		}
	}
}

// TestCalibrationFile: -calibration scores the true targets read beside the inputs (in
// any column order) and writes mdn.CalibrateColumns' figures and the model's NLL; the
// predictions are unchanged by it.
func TestCalibrationFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.mdn")
	m, err := mdn.New(mdn.Config{InputDim: 1, OutputDim: 2, K: 2, Hidden: []int{4}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	m.SetNormalization(models.IdentityNormalization(1, 2))
	m.SetColumns([]string{"x"}, []string{"a", "b"})
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	x := [][]float64{{0.1}, {0.5}, {0.9}, {-1}}
	y := [][]float64{{0.3, -1}, {1, 0}, {-0.2, 2}, {0, 0.5}}
	var b strings.Builder
	b.WriteString("b,x,a\n")
	for i := range x {
		fmt.Fprintf(&b, "%g,%g,%g\n", y[i][1], x[i][0], y[i][0])
	}
	cal := filepath.Join(dir, "cal.json")
	withCal, err := runPredict(t, b.String(), "-model", path, "-calibration", cal)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := runPredict(t, "x\n0.1\n0.5\n0.9\n-1\n", "-model", path)
	if err != nil {
		t.Fatal(err)
	}
	if withCal != plain {
		t.Errorf("predictions with -calibration:\n%s\nwithout:\n%s", withCal, plain)
	}
	var rep calibrationReport
	raw, _ := os.ReadFile(cal)
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	mix, _ := m.Predict(x)
	want, _ := mdn.CalibrateColumns(mix, y)
	nll, _ := m.NLL(x, y)
	if rep.Format != calibrationFormat || rep.N != 4 || rep.NLL == nil || math.Abs(*rep.NLL-nll) > 1e-12 || len(rep.Columns) != 2 {
		t.Fatalf("report %+v, want n 4, NLL %g", rep, nll)
	}
	for d, c := range rep.Columns {
		w := want[d]
		if c.Column != []string{"a", "b"}[d] || c.CRPS == nil || math.Abs(*c.CRPS-w.CRPS) > 1e-12 || math.Abs(c.KS-w.KS) > 1e-12 || c.Coverage50 != w.Coverage50 || c.Coverage90 != w.Coverage90 {
			t.Errorf("column %d: %+v, want %+v", d, c, w)
		}
	}
	// A second run replaces the file it wrote.
	if _, err := runPredict(t, b.String(), "-model", path, "-calibration", cal); err != nil {
		t.Errorf("replacing its own calibration file: %v", err)
	}
	// A true target so far out that its density underflows to 0 (NLL +Inf) and the
	// CRPS overflows: both are written as null, where encoding/json would fail on ±Inf.
	far := filepath.Join(dir, "far.json")
	if _, err := runPredict(t, "b,x,a\n-1,0.1,1.7e308\n0,0.5,-1.7e308\n", "-model", path, "-calibration", far); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(far)
	var farRep calibrationReport
	if err := json.Unmarshal(raw, &farRep); err != nil {
		t.Fatal(err)
	}
	if farRep.NLL != nil || len(farRep.Columns) != 2 || farRep.Columns[0].CRPS != nil || farRep.Columns[1].CRPS == nil {
		t.Errorf("far targets' report: %s", raw)
	}
}

// TestHugeUnits predicts with a model whose targets are in units near 1e300 (a model
// trained on such a CSV): the std, mode and quantile columns must be finite numbers of
// that size (before, the std overflowed through the variance and the row was refused,
// and the mode came out 0).
func TestHugeUnits(t *testing.T) {
	path := saveModel(t, mdn.Config{InputDim: 1, OutputDim: 1, K: 3, Hidden: []int{4}, Seed: 3},
		models.Normalization{XMean: []float64{0}, XStd: []float64{1}, YMean: []float64{0}, YStd: []float64{1e300}})
	out, err := runPredict(t, "x\n0.5\n-2\n", "-model", path, "-quantiles", "0.5", "-spread", "both")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	head := strings.Split(lines[0], ",")
	for _, line := range lines[1:] {
		for i, f := range strings.Split(line, ",") {
			v, err := strconv.ParseFloat(f, 64)
			switch head[i] {
			case "std_0", "iqr_0":
				if err != nil || !(v >= 1e299 && v < 1e301) {
					t.Errorf("%s = %q, want a finite spread near 1e300 in %s", head[i], f, line)
				}
			case "mode_0":
				if err != nil || v == 0 || !(math.Abs(v) < 1e301) {
					t.Errorf("%s = %q, want a finite mode within 1e301 (not 0) in %s", head[i], f, line)
				}
			}
		}
	}
}

// TestHugeUnitsFullCovariance: a full-covariance model in units near 1e300 has marginal
// standard deviations near 1e300 but a covariance beyond float64's range; predict refuses
// the row naming the cov column, rather than blaming the model's output.
func TestHugeUnitsFullCovariance(t *testing.T) {
	path := saveModel(t, mdn.Config{InputDim: 1, OutputDim: 2, K: 2, Hidden: []int{4}, Seed: 3, Covariance: mdn.CovarianceFull},
		models.Normalization{XMean: []float64{0}, XStd: []float64{1}, YMean: []float64{0, 0}, YStd: []float64{1e300, 1e300}})
	_, err := runPredict(t, "x\n0.5\n", "-model", path)
	if err == nil || !strings.Contains(err.Error(), "row 0: the prediction's cov holds +Inf (the covariance of a mixture this wide is beyond float64's range)") {
		t.Errorf("got %v", err)
	}
}

// TestSameOutputOnAnyProcessors: predict summarises rows in parallel; its output,
// samples included, must be the same on one processor as on several.
func TestSameOutputOnAnyProcessors(t *testing.T) {
	path := saveModel(t, mdn.Config{InputDim: 1, OutputDim: 1, K: 4, Hidden: []int{6}, Seed: 7}, models.IdentityNormalization(1, 1))
	var in strings.Builder
	in.WriteString("x\n")
	for i := range 37 {
		fmt.Fprintf(&in, "%g\n", float64(i)/10-1.5)
	}
	var outs []string
	for _, procs := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(procs)
		out, err := runPredict(t, in.String(), "-model", path, "-samples", "4", "-seed", "9", "-spread", "both")
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	if outs[0] != outs[1] || outs[0] != outs[2] {
		t.Errorf("output differs with the number of processors:\n%s\nvs\n%s", outs[0], outs[1])
	}
}

// saveModel writes a model of config cfg (untrained, from its seed) with normalisation
// norm to a file in a temporary folder and returns its path.
func saveModel(t *testing.T, cfg mdn.Config, norm models.Normalization) string {
	t.Helper()
	m, err := mdn.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetNormalization(norm); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.mdn")
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}
