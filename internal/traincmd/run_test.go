package traincmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// quick are flags that keep a test run to a second or so.
var quick = []string{"-epochs", "30", "-batch", "100", "-n", "300", "-hidden", "8", "-quiet"}

func runTrain(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = run(context.Background(), args, &o, &e)
	return o.String(), e.String(), err
}

// checkPNG decodes a picture and checks its size and that it is not blank.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	dpi := float64(plotDPI)
	wantW, wantH := int(float64(plotWidth/vg.Inch)*dpi+0.5), int(float64(plotHeight/vg.Inch)*dpi+0.5)
	if d := b.Dx() - wantW; d < -1 || d > 1 || b.Dy()-wantH < -1 || b.Dy()-wantH > 1 {
		t.Errorf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), wantW, wantH)
	}
	colours := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	if len(colours) < 10 {
		t.Errorf("%s looks blank: %d distinct colours", path, len(colours))
	}

}

func TestDefaultRunWritesFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	stdout, _, err := runTrain(t, append([]string{"-out", out}, quick[:len(quick)-1]...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"training an MDN", "test NLL", "best possible ≈ -1.28", "wrote " + out,
		"linear-Gaussian", "least-squares MLP", "of 30 (", "300 training rows, each member validating on its own 30 of them and training on the other 270; 300 test rows",
		"cross-validated NLL", "calibration of t"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"model.mdn", "config.json", "history.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	for _, f := range []string{"density.png", "learning.png", "mixing.png", "calibration.png"} {
		checkPNG(t, filepath.Join(out, f))
	}
	m, err := mdn.LoadFile(filepath.Join(out, "model.mdn"))
	if err != nil {
		t.Fatal(err)
	}
	var rc runConfig
	b, _ := os.ReadFile(filepath.Join(out, "config.json"))
	if err := json.Unmarshal(b, &rc); err != nil {
		t.Fatal(err)
	}
	// 300 rows: K is 3, a tenth of the rows validate (train.Scaled) and ten members of
	// K = 3 make one model of 30 components (train.ScaledEnsemble).
	// Every member holds out its own 30 rows (train.RotateValidation).
	if rc.Ensemble == nil || rc.Ensemble.Members != 10 || rc.Ensemble.Validation != "rotated" || rc.Ensemble.CrossValNLL == nil || rc.Result.ValNLL != nil {
		t.Errorf("config.json's ensemble record: %+v", rc.Ensemble)
	}
	if rc.Dataset != "bishop" || rc.Model.K != 30 || rc.NTrain != 270 || rc.NVal != 30 || rc.NTest != 300 || rc.Result.Epochs != 30 {
		t.Errorf("config.json: %+v", rc)
	}
	if bl := rc.Result.Baselines; bl == nil || bl.LinearGaussian == nil || bl.MLP == nil {
		t.Errorf("config.json lacks the baselines: %+v", bl)
	}
	if c := rc.Result.Calibration; len(c) != 1 || c[0].Column != "t" || c[0].N != 300 || !(c[0].KS > 0 && c[0].KS < 1) || c[0].CRPS == nil || !(*c[0].CRPS > 0) {
		t.Errorf("config.json's calibration: %+v", c)
	}
	if m.Config().K != 30 {
		t.Errorf("model K = %d, want 30", m.Config().K)
	}
	hist, _ := os.ReadFile(filepath.Join(out, "history.csv"))
	if lines := strings.Count(string(hist), "\n"); lines != 31 {
		t.Errorf("history.csv has %d lines, want 31", lines)
	}
	// A second run replaces the folder whole.
	if _, _, err := runTrain(t, append([]string{"-out", out, "-k", "2", "-ensemble", "1"}, quick...)...); err != nil {
		t.Fatal(err)
	}
	if m, _ := mdn.LoadFile(filepath.Join(out, "model.mdn")); m == nil || m.Config().K != 2 {
		t.Errorf("second run did not replace the model")
	}
	ents, _ := os.ReadDir(filepath.Dir(out))
	if len(ents) != 1 {
		t.Errorf("%d entries beside the run folder, want none left over", len(ents)-1)
	}
}

func TestCSVAndFaithful(t *testing.T) {
	dir := t.TempDir()
	for i, c := range [][]string{
		{"-data", "faithful"},
		{"-data", "faithful-inverse"},
		{"-csv", filepath.Join("..", "..", "testdata", "faithful.csv"), "-x_cols", "waiting", "-y_cols", "eruptions"},
		{"-data", "sine", "-dtype", "float32"},
	} {
		out := filepath.Join(dir, fmt.Sprintf("run%d", i))
		if _, _, err := runTrain(t, append(append([]string{"-out", out}, c...), quick...)...); err != nil {
			t.Errorf("%v: %v", c, err)
			continue
		}
		checkPNG(t, filepath.Join(out, "density.png"))
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-k", "0"}, "-k 0"},
		{[]string{"-lr", "-0.1"}, "-lr -0.1"},
		{[]string{"-epochs", "0"}, "-epochs 0"},
		{[]string{"-data", "mnist"}, `-data "mnist": unknown dataset`},
		{[]string{"-hidden", "8,x"}, `"x" is not a positive width`},
		{[]string{"-activation", "swish"}, `"swish"`},
		{[]string{"-solver", "adagrad"}, `"adagrad"`},
		{[]string{"-csv", filepath.Join(dir, "missing.csv")}, "no such file"},
		{[]string{"-csv", write("empty.csv", "")}, "empty"},
		{[]string{"-csv", write("nan.csv", "a,b\n1,2\n3,NaN\n")}, `line 3, column "b": "NaN" is not a finite number`},
		{[]string{"-csv", write("text.csv", "a,b\n1,2\n3,four\n")}, `line 3, column "b": "four" is not a number`},
		{[]string{"-csv", write("ragged.csv", "a,b\n1,2\n3\n")}, "line 3: 1 fields, header has 2"},
		{[]string{"-csv", write("ok.csv", "a,b\n1,2\n3,4\n"), "-y_cols", "c"}, `no column "c"`},
		{[]string{"-csv", write("ok2.csv", "a,b\n1,2\n3,4\n"), "-x_cols", "a", "-y_cols", "a"}, `column "a" is both an input and a target`},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		out := filepath.Join(dir, "out")
		_, _, err := runTrain(t, append(c.args, "-out", out, "-quiet")...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
		if _, statErr := os.Stat(out); statErr == nil {
			t.Errorf("%v: a run folder was left behind", c.args)
		}
	}
}

// TestTrainingFlags: -patience stops early (and config.json says so), -l2 and -clip_norm
// reach the training configuration and change the model.
func TestTrainingFlags(t *testing.T) {
	dir := t.TempDir()
	base := []string{"-epochs", "400", "-batch", "100", "-n", "300", "-hidden", "8", "-quiet", "-plots=false", "-lr", "0.05"}
	read := func(out string) runConfig {
		var rc runConfig
		b, err := os.ReadFile(filepath.Join(out, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &rc); err != nil {
			t.Fatal(err)
		}
		return rc
	}
	early := filepath.Join(dir, "early")
	if _, _, err := runTrain(t, append([]string{"-out", early, "-patience", "3"}, base...)...); err != nil {
		t.Fatal(err)
	}
	if rc := read(early); rc.Result.Stopped != "early stopping" || rc.Result.Epochs >= 400 || rc.Train.Patience != 3 {
		t.Errorf("-patience 3: stopped %q after %d epochs (patience %d recorded)", rc.Result.Stopped, rc.Result.Epochs, rc.Train.Patience)
	}
	plain, decayed := filepath.Join(dir, "plain"), filepath.Join(dir, "decayed")
	short := append([]string{"-epochs", "20"}, base[2:]...)
	if _, _, err := runTrain(t, append([]string{"-out", plain}, short...)...); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runTrain(t, append([]string{"-out", decayed, "-l2", "0.1", "-clip_norm", "1"}, short...)...); err != nil {
		t.Fatal(err)
	}
	if rc := read(decayed); rc.Train.L2 != 0.1 || rc.Train.ClipNorm != 1 {
		t.Errorf("config.json records l2 %g and clip_norm %g", rc.Train.L2, rc.Train.ClipNorm)
	}
	if bytes.Equal(modelBytes(t, plain), modelBytes(t, decayed)) {
		t.Error("-l2 and -clip_norm did not change the model")
	}
}

// TestTestCSVAndNoTestSet: -test_csv scores on the given file's rows (its columns found by
// name), -test_fraction 0 trains and validates on every row and reports no test figures,
// and config.json gives the exact counts.
func TestTestCSVAndNoTestSet(t *testing.T) {
	dir := t.TempDir()
	trainCSV, testCSV := filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv")
	os.WriteFile(trainCSV, []byte(goodCSV(50)), 0o644)
	// The test file's columns in another order.
	var b strings.Builder
	b.WriteString("y,x\n")
	for i := 0; i < 17; i++ {
		fmt.Fprintf(&b, "%g,%g\n", float64(i%5)/5, float64(i)/17)
	}
	os.WriteFile(testCSV, []byte(b.String()), 0o644)
	read := func(out string) runConfig {
		var rc runConfig
		buf, err := os.ReadFile(filepath.Join(out, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(buf, &rc); err != nil {
			t.Fatal(err)
		}
		return rc
	}
	out := filepath.Join(dir, "a")
	if _, _, err := runTrain(t, "-csv", trainCSV, "-test_csv", testCSV, "-out", out, "-epochs", "20", "-hidden", "4", "-quiet", "-plots=false"); err != nil {
		t.Fatal(err)
	}
	rc := read(out)
	// 50 rows: a validation share of 20/50 is capped at a quarter (12.5, rounded to 13).
	if rc.NTrain != 37 || rc.NVal != 13 || rc.NTest != 17 || rc.Result.TestNLL == nil || rc.Result.Baselines == nil || len(rc.Result.Calibration) != 1 {
		t.Errorf("-test_csv: config.json %+v", rc)
	}
	out = filepath.Join(dir, "b")
	stdout, _, err := runTrain(t, "-csv", trainCSV, "-test_fraction", "0", "-out", out, "-epochs", "20", "-hidden", "4", "-plots=false")
	if err != nil {
		t.Fatal(err)
	}
	rc = read(out)
	if rc.NTrain+rc.NVal != 50 || rc.NTest != 0 || rc.Result.TestNLL != nil || rc.Result.Baselines != nil || rc.Result.Calibration != nil {
		t.Errorf("-test_fraction 0: config.json %+v", rc)
	}
	if strings.Contains(stdout, "test NLL") || !strings.Contains(stdout, "and 0 test rows") {
		t.Errorf("-test_fraction 0: output\n%s", stdout)
	}
}

// TestWideCSVLinearBaseline: with more inputs than training rows the linear-Gaussian
// regression passes through every training row, its σ is rounding error and its test NLL
// about 1e28: config.json records null and linear_gaussian_interpolates, the summary says
// why, and the MLP baseline is still there.
func TestWideCSVLinearBaseline(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(8, 9))
	const inputs = 60
	var b strings.Builder
	head := make([]string, inputs+1)
	for j := range inputs {
		head[j] = fmt.Sprintf("x%d", j)
	}
	head[inputs] = "y"
	b.WriteString(strings.Join(head, ",") + "\n")
	for range 50 {
		row := make([]string, inputs+1)
		for j := range row {
			row[j] = fmt.Sprintf("%.5f", rng.NormFloat64())
		}
		b.WriteString(strings.Join(row, ",") + "\n")
	}
	csv := filepath.Join(dir, "wide.csv")
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	stdout, _, err := runTrain(t, "-csv", csv, "-out", out, "-epochs", "10", "-ensemble", "1", "-hidden", "4", "-plots=false")
	if err != nil {
		t.Fatal(err)
	}
	if want := "linear-Gaussian n/a (it fits all 40 training rows exactly"; !strings.Contains(stdout, want) {
		t.Errorf("output lacks %q:\n%s", want, stdout)
	}
	buf, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(buf), `"linear_gaussian_test_nll": null`) || !strings.Contains(string(buf), `"linear_gaussian_interpolates": true`) {
		t.Errorf("config.json's baselines:\n%s", buf)
	}
	var rc runConfig
	if err := json.Unmarshal(buf, &rc); err != nil {
		t.Fatal(err)
	}
	if bl := rc.Result.Baselines; bl == nil || bl.LinearGaussian != nil || !bl.LinearInterpolates || bl.MLP == nil {
		t.Errorf("config.json's baselines: %+v", bl)
	}
}

// TestHugeScaleCSV trains on columns in units where the values are near 1e300 or
// 1e-300, whose squares overflow or underflow float64: the run must complete and write a
// config.json whose figures are those of the same data in ordinary units shifted by
// log(scale) per point, the baselines' too (before, at 1e300 the normalisation's standard
// deviation overflowed and the run failed, and with that fixed the CRPS came out NaN and
// writing config.json failed after training, losing the run; at 1e-300 the columns looked
// constant and the model predicted in the wrong units).
func TestHugeScaleCSV(t *testing.T) {
	for _, scale := range []float64{1e300, 1e-300} {
		dir := t.TempDir()
		var b strings.Builder
		b.WriteString("x,y\n")
		for i := range 80 {
			x := float64(i%17)/17 - 0.5
			fmt.Fprintf(&b, "%g,%g\n", x*3*scale, (2*x+0.1*math.Sin(float64(i)))*scale)
		}
		csv := filepath.Join(dir, "huge.csv")
		if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "run")
		if _, stderr, err := runTrain(t, "-csv", csv, "-out", out, "-epochs", "30", "-hidden", "8", "-quiet", "-plots=false"); err != nil {
			t.Fatalf("units × %g: %v: %s", scale, err, stderr)
		}
		raw, err := os.ReadFile(filepath.Join(out, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rc runConfig
		if err := json.Unmarshal(raw, &rc); err != nil {
			t.Fatal(err)
		}
		// In ordinary units every NLL here is within ±5 nats of 0.
		shift := math.Log(scale)
		near := func(v *float64) bool { return v != nil && math.Abs(*v-shift) < 5 }
		r := rc.Result
		if !near(r.TestNLL) || r.Baselines == nil || !near(r.Baselines.LinearGaussian) || !near(r.Baselines.MLP) ||
			len(r.Calibration) != 1 || r.Calibration[0].CRPS == nil || !(*r.Calibration[0].CRPS > scale/100 && *r.Calibration[0].CRPS < scale) {
			t.Errorf("units × %g: config.json's result: %s", scale, raw)
		}
	}
}

// TestRepeatedValues: a target of few distinct values or with a point mass is noted, on
// the command's output and in config.json, and a continuous one or one with a variance
// floor is not.
func TestRepeatedValues(t *testing.T) {
	set := func(y ...float64) *datasets.Set {
		x := make([]float64, len(y))
		return &datasets.Set{N: len(y), XDim: 1, YDim: 1, X: x, Y: y, XNames: []string{"x"}, YNames: []string{"y"}}
	}
	var cont, mass, few []float64
	for i := range 200 {
		cont = append(cont, math.Sin(float64(i)))
		v := math.Cos(float64(i))
		if i%8 == 0 { // 25 of 200 rows, 12.5 %
			v = 0
		}
		mass = append(mass, v)
		few = append(few, float64(i%20))
	}
	if n := repeatedValues(set(cont...)); n != nil {
		t.Errorf("continuous target noted: %q", n)
	}
	if n := repeatedValues(set(mass...)); len(n) != 1 || !strings.Contains(n[0], `target "y" is 0 in 25 of 200 rows`) {
		t.Errorf("point mass: %q", n)
	}
	if n := repeatedValues(set(few...)); len(n) != 1 || !strings.Contains(n[0], "only 20 distinct values in 200 rows") {
		t.Errorf("20 distinct values: %q", n)
	}
	few[0] = 0.5 // 21 distinct, none in 10 % of the rows
	if n := repeatedValues(set(few...)); n != nil {
		t.Errorf("21 distinct values noted: %q", n)
	}

	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := range 100 {
		fmt.Fprintf(&b, "%g,%d\n", math.Sin(float64(i)), i%2)
	}
	csv := filepath.Join(dir, "binary.csv")
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, floor := range []string{"0", "0.001"} {
		out := filepath.Join(dir, "run"+floor)
		stdout, _, err := runTrain(t, "-csv", csv, "-out", out, "-epochs", "5", "-ensemble", "1", "-hidden", "4", "-plots=false", "-baseline=false", "-variance_floor", floor)
		if err != nil {
			t.Fatal(err)
		}
		buf, err := os.ReadFile(filepath.Join(out, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rc runConfig
		if err := json.Unmarshal(buf, &rc); err != nil {
			t.Fatal(err)
		}
		noted := strings.Contains(stdout, `note: target "y" takes only 2 distinct values in 100 rows`)
		if want := floor == "0"; noted != want || (len(rc.Notes) == 1) != want {
			t.Errorf("-variance_floor %s: noted %v on the output, config.json notes %q; want noted %v\n%s", floor, noted, rc.Notes, want, stdout)
		}
	}
}
