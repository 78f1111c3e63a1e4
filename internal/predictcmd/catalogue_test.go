package predictcmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/internal/clitest"
	"github.com/mixgraph/mixgraph/internal/framed"
	"github.com/mixgraph/mixgraph/internal/snapshot"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
)

// namedModel saves a small untrained model with column names to path.
func namedModel(t *testing.T, path string, x, y []string) {
	t.Helper()
	m, err := mdn.New(mdn.Config{InputDim: len(x), OutputDim: len(y), K: 2, Hidden: []int{4}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetNormalization(models.IdentityNormalization(len(x), len(y))); err != nil {
		t.Fatal(err)
	}
	if err := m.SetColumns(x, y); err != nil {
		t.Fatal(err)
	}
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
}

// crafted rewrites a model file's body with edit and frames it again with a valid
// header and checksum, so that what the edit did reaches the loader's checks.
func crafted(t *testing.T, src, dst string, edit func(body map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := framed.Read(b, mdn.FileFormat, mdn.FileVersion, "model file")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	edit(body)
	raw, err = json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := framed.Write(&out, mdn.FileFormat, mdn.FileVersion, raw); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func cfgOf(body map[string]any) map[string]any { return body["config"].(map[string]any) }

func predictWork(t *testing.T) string {
	t.Helper()
	work := t.TempDir()
	p := func(name string) string { return filepath.Join(work, name) }
	namedModel(t, p("m.mdn"), []string{"x"}, []string{"t"})
	namedModel(t, p("m2.mdn"), []string{"x"}, []string{"a", "b"})
	namedModel(t, p("faithful.mdn"), []string{"waiting"}, []string{"eruptions"})
	edits := map[string]func(map[string]any){
		"k1e9.mdn":      func(b map[string]any) { cfgOf(b)["k"] = 1e9 },
		"in4e9.mdn":     func(b map[string]any) { cfgOf(b)["input_dim"] = 4e9 },
		"hidden.mdn":    func(b map[string]any) { cfgOf(b)["hidden"] = []any{1e9, 1e9} },
		"negk.mdn":      func(b map[string]any) { cfgOf(b)["k"] = -2 },
		"noparams.mdn":  func(b map[string]any) { b["params"] = []any{} },
		"shape.mdn":     func(b map[string]any) { b["params"].([]any)[0].(map[string]any)["shape"] = []any{1e9, 1e9} },
		"values.mdn":    func(b map[string]any) { b["params"].([]any)[0].(map[string]any)["values"] = []any{1.0} },
		"name.mdn":      func(b map[string]any) { b["params"].([]any)[0].(map[string]any)["name"] = "other" },
		"norm.mdn":      func(b map[string]any) { b["normalization"].(map[string]any)["x_std"] = []any{0.0} },
		"normlen.mdn":   func(b map[string]any) { b["normalization"].(map[string]any)["x_mean"] = []any{1.0, 2.0} },
		"cols.mdn":      func(b map[string]any) { b["columns"].(map[string]any)["x"] = []any{"a", "b"} },
		"scale.mdn":     func(b map[string]any) { cfgOf(b)["scale"] = "cubic" },
		"activ.mdn":     func(b map[string]any) { cfgOf(b)["activation"] = "swish" },
		"dtype.mdn":     func(b map[string]any) { cfgOf(b)["dtype"] = "float16" },
		"unknown.mdn":   func(b map[string]any) { b["extra"] = 1 },
		"floor.mdn":     func(b map[string]any) { cfgOf(b)["variance_floor"] = -1 },
		"hiddenneg.mdn": func(b map[string]any) { cfgOf(b)["hidden"] = []any{-4} },
		"params1e9.mdn": func(b map[string]any) { cfgOf(b)["hidden"] = []any{60000, 60000} },
	}
	for name, edit := range edits {
		crafted(t, p("m.mdn"), p(name), edit)
	}
	good, _ := os.ReadFile(p("m.mdn"))
	files := map[string]string{
		"in.csv":         "x\n0.1\n0.5\n",
		"in2.csv":        "a,x\n1,0.1\n2,0.5\n",
		"wrong.csv":      "eruptions\n3.6\n1.8\n",
		"notes.txt":      "my notes\n",
		"empty.mdn":      "",
		"half.mdn":       string(good[:len(good)/2]),
		"flipped.mdn":    strings.Replace(string(good), "0.", "1.", 1),
		"notmodel.mdn":   "x,y\n1,2\n",
		"checkpoint.mdn": `{"format":"mixgraph.checkpoint","version":1,"body_bytes":2,"sha256":"x"}` + "\n{}\n",
		"v2.mdn":         strings.Replace(string(good), `"version":1`, `"version":2`, 1),
		"empty.csv":      "",
		"header.csv":     "x\n",
		"nan.csv":        "x\n1\nNaN\n",
		"inf.csv":        "x\n+Inf\n",
		"huge.csv":       "x\n1e999\n",
		"big.csv":        "x\n1e308\n",
		"text.csv":       "x\nabc\n",
		"ragged.csv":     "x,y\n1,2\n3\n",
		"quote.csv":      "x\n\"1\n",
		"noheader.csv":   "0.1\n0.2\n",
		"dup.csv":        "x,x\n1,2\n",
		"stuff/keep.txt": "keep\n",
		"xt.csv":         "x,t\n0.1,1\n0.5,2\n",
		"xtnan.csv":      "x,t\n0.1,1\n0.5,NaN\n",
		"xtonly.csv":     "x,t\n",
	}
	for name, text := range files {
		path := p(name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var rows strings.Builder
	rows.WriteString("x\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&rows, "%d\n", i)
	}
	os.WriteFile(p("rows.csv"), []byte(rows.String()), 0o644)
	os.Symlink("notes.txt", p("link.csv"))
	return work
}

// TestCatalogue runs predict on bad inputs: each must exit with status 2, print exactly
// one line on stderr naming the culprit and nothing on stdout, not panic, and leave the
// working folder byte for byte as it was.
func TestCatalogue(t *testing.T) {
	work := predictWork(t)
	t.Chdir(work)
	m := []string{"-model", "m.mdn", "-in", "in.csv"}
	with := func(extra ...string) []string { return append(append([]string(nil), m...), extra...) }
	cases := []struct {
		stdin string
		args  []string
		want  string
	}{
		// Flags.
		{"", nil, "-model is required"},
		{"", []string{"-model"}, "-model needs a value"},
		{"", []string{"-nope"}, "unknown flag -nope"},
		{"", with("extra"), `unexpected argument "extra"`},
		{"", with("-samples", "abc"), `-samples "abc": not a whole number`},
		{"", with("-samples", "1.5"), `-samples "1.5"`},
		{"", with("-samples", "-1"), "-samples -1"},
		{"", with("-samples", "1000000000"), "-samples 1000000000: at most"},
		{"", with("-samples", "99999999999999999999"), "out of range"},
		{"", []string{"-model", "m.mdn", "-in", "rows.csv", "-samples", "100000"}, "over the limit"},
		{"", with("-seed", "-3"), `-seed "-3"`},
		{"", with("-calibration", ""), "-calibration: empty file name"},
		{"", with("-calibration", "-"), "-calibration -: name a file"},
		{"", with("-calibration", "c.json", "-out", "c.json"), "-calibration c.json: is also -out"},
		{"", with("-calibration", "cal.json"), `"t"`},
		{"", with("-calibration", "notes.txt"), "-calibration notes.txt: exists and was not written by predict"},
		{"", with("-calibration", "stuff"), "-calibration stuff: is a folder"},
		{"", with("-calibration", "nofolder/cal.json"), "-calibration nofolder/cal.json: no folder"},
		{"", with("-calibration", "in.csv"), "-calibration in.csv: is the -in file"},
		{"", []string{"-model", "m.mdn", "-in", "xtnan.csv", "-calibration", "cal.json"}, "xtnan.csv"},
		{"", []string{"-model", "m.mdn", "-in", "xtonly.csv", "-calibration", "cal.json"}, "xtonly.csv"},
		{"", with("-temperature", "0", "-samples", "1"), "-temperature 0"},
		{"", with("-temperature", "-1", "-samples", "1"), "-temperature -1"},
		{"", with("-temperature", "NaN", "-samples", "1"), "-temperature NaN"},
		{"", with("-temperature", "Inf", "-samples", "1"), "-temperature +Inf"},
		{"", with("-temperature", "hot"), `-temperature "hot"`},
		{"", with("-temperature", "0.5"), "only with -samples"},
		{"", with("-format", "xml"), `-format "xml"`},
		{"", with("-format", ""), `-format ""`},
		{"", with("-spread", "mad"), `-spread "mad": want std, iqr or both`},
		{"", with("-spread", ""), `-spread "": want std, iqr or both`},
		{"", with("-spread", "IQR"), `-spread "IQR": want std, iqr or both`},
		{"", with("-spread"), "-spread needs a value"},
		{"", with("-quantiles", "0.5,1.5"), `"1.5" is not a probability`},
		{"", with("-quantiles", "0"), `"0" is not a probability`},
		{"", with("-quantiles", "1"), `"1" is not a probability`},
		{"", with("-quantiles", "abc"), `"abc" is not a probability`},
		{"", with("-quantiles", "0.5,,0.6"), `"" is not a probability`},
		{"", with("-quantiles", "NaN"), `"NaN" is not a probability`},
		{"", []string{"-model", "m2.mdn", "-in", "in.csv", "-quantiles", "0.5"}, "quantiles need one"},
		{"", with("-x_cols", ""), "-x_cols: empty"},
		{"", with("-in", ""), "-in: empty"},
		{"", with("-out", ""), "-out: empty"},
		{"", with("-version=maybe"), `-version "maybe"`},
		// Model files.
		{"", []string{"-model", "none.mdn", "-in", "in.csv"}, "-model none.mdn"},
		{"", []string{"-model", "stuff", "-in", "in.csv"}, "-model stuff"},
		{"", []string{"-model", "empty.mdn", "-in", "in.csv"}, "-model empty.mdn"},
		{"", []string{"-model", "half.mdn", "-in", "in.csv"}, "truncated"},
		{"", []string{"-model", "flipped.mdn", "-in", "in.csv"}, "-model flipped.mdn"},
		{"", []string{"-model", "notmodel.mdn", "-in", "in.csv"}, "not a model file"},
		{"", []string{"-model", "checkpoint.mdn", "-in", "in.csv"}, "not a model file"},
		{"", []string{"-model", "v2.mdn", "-in", "in.csv"}, "version 2"},
		{"", []string{"-model", "in.csv", "-in", "in.csv"}, "-model in.csv"},
		{"", []string{"-model", "k1e9.mdn", "-in", "in.csv"}, "-model k1e9.mdn"},
		{"", []string{"-model", "in4e9.mdn", "-in", "in.csv"}, "-model in4e9.mdn"},
		{"", []string{"-model", "hidden.mdn", "-in", "in.csv"}, "-model hidden.mdn"},
		{"", []string{"-model", "negk.mdn", "-in", "in.csv"}, "-model negk.mdn"},
		{"", []string{"-model", "noparams.mdn", "-in", "in.csv"}, "-model noparams.mdn"},
		{"", []string{"-model", "shape.mdn", "-in", "in.csv"}, "-model shape.mdn"},
		{"", []string{"-model", "values.mdn", "-in", "in.csv"}, "-model values.mdn"},
		{"", []string{"-model", "name.mdn", "-in", "in.csv"}, "-model name.mdn"},
		{"", []string{"-model", "norm.mdn", "-in", "in.csv"}, "-model norm.mdn"},
		{"", []string{"-model", "normlen.mdn", "-in", "in.csv"}, "-model normlen.mdn"},
		{"", []string{"-model", "cols.mdn", "-in", "in.csv"}, "-model cols.mdn"},
		{"", []string{"-model", "scale.mdn", "-in", "in.csv"}, "-model scale.mdn"},
		{"", []string{"-model", "activ.mdn", "-in", "in.csv"}, "-model activ.mdn"},
		{"", []string{"-model", "dtype.mdn", "-in", "in.csv"}, "-model dtype.mdn"},
		{"", []string{"-model", "unknown.mdn", "-in", "in.csv"}, "-model unknown.mdn"},
		{"", []string{"-model", "floor.mdn", "-in", "in.csv"}, "-model floor.mdn"},
		{"", []string{"-model", "hiddenneg.mdn", "-in", "in.csv"}, "-model hiddenneg.mdn"},
		{"", []string{"-model", "params1e9.mdn", "-in", "in.csv"}, "-model params1e9.mdn"},
		// Inputs.
		{"", []string{"-model", "m.mdn", "-in", "missing.csv"}, "-in missing.csv"},
		{"", []string{"-model", "m.mdn", "-in", "stuff"}, "-in stuff: is a folder"},
		{"", []string{"-model", "m.mdn", "-in", "empty.csv"}, "empty"},
		{"", []string{"-model", "m.mdn"}, "standard input"},
		{"x\n", []string{"-model", "m.mdn"}, "no data rows"},
		{"", []string{"-model", "m.mdn", "-in", "header.csv"}, "no data rows"},
		{"", []string{"-model", "m.mdn", "-in", "nan.csv"}, `line 3, column "x"`},
		{"", []string{"-model", "m.mdn", "-in", "inf.csv"}, "not a finite number"},
		{"", []string{"-model", "m.mdn", "-in", "huge.csv"}, "out of range"},
		{"", []string{"-model", "m.mdn", "-in", "in2.csv", "-x_cols", "x,x"}, `-x_cols "x,x": 2 columns`},
		{"", []string{"-model", "m.mdn", "-in", "text.csv"}, `"abc" is not a number`},
		{"", []string{"-model", "m.mdn", "-in", "ragged.csv"}, "line 3"},
		{"", []string{"-model", "m.mdn", "-in", "quote.csv"}, "line 2"},
		{"", []string{"-model", "m.mdn", "-in", "noheader.csv"}, "header row"},
		{"", []string{"-model", "m.mdn", "-in", "dup.csv"}, `"x"`},
		{"", []string{"-model", "faithful.mdn", "-in", "wrong.csv"}, `no column "waiting"`},
		{"", []string{"-model", "m.mdn", "-in", "in2.csv", "-x_cols", "a,x"}, `-x_cols "a,x": 2 columns, the model takes 1`},
		{"", []string{"-model", "m.mdn", "-in", "in.csv", "-x_cols", "z"}, `no column "z"`},
		{"", []string{"-model", "m.mdn", "-in", "in.csv", "-x_cols", "5"}, "column index 5"},
		{"y\n1\n", []string{"-model", "m.mdn"}, `no column "x"`},
		{"x\n1\nabc\n", []string{"-model", "m.mdn"}, `line 3, column "x": "abc" is not a number`},
		// -out.
		{"", with("-out", "stuff"), "-out stuff: is a folder"},
		{"", with("-out", "m.mdn"), "-out m.mdn"},
		{"", with("-out", "in.csv"), "-out in.csv"},
		{"", with("-out", "notes.txt"), "-out notes.txt: exists and was not written by predict"},
		{"", with("-out", "link.csv"), "-out link.csv: is a symbolic link"},
		{"", with("-out", "nowhere/p.csv"), "-out nowhere/p.csv: no folder nowhere"},
		{"", with("-out", "notes.txt/p.csv"), "notes.txt is a file"},
		{"", with("-out", "."), "-out .: is a folder"},
	}
	if len(cases) < 80 {
		t.Fatalf("%d cases; the catalogue wants at least 80", len(cases))
	}
	before, err := snapshot.Take(work)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		run := func(stdout, stderr io.Writer) int {
			return mainStatus(c.args, strings.NewReader(c.stdin), stdout, stderr)
		}
		for _, problem := range clitest.BadInput("predict", c.want, work, &before, run) {
			t.Errorf("%q: %s", c.args, problem)
		}
	}
}

// TestColumns: a model with column names takes them from the input file's header in
// any order, -x_cols maps differently named columns, and the outputs are named after the
// targets.
func TestColumns(t *testing.T) {
	work := predictWork(t)
	t.Chdir(work)
	run := func(stdin string, args ...string) string {
		t.Helper()
		var o, e bytes.Buffer
		if code := mainStatus(args, strings.NewReader(stdin), &o, &e); code != 0 {
			t.Fatalf("%q: status %d: %s", args, code, e.String())
		}
		return o.String()
	}
	a := run("", "-model", "faithful.mdn", "-in", "in.csv", "-x_cols", "x")
	b := run("other,waiting\n9,0.1\n9,0.5\n", "-model", "faithful.mdn")
	head := strings.SplitN(b, "\n", 2)[0]
	if !strings.HasPrefix(head, "waiting,mean_eruptions,std_eruptions,mode_eruptions,q0.05,q0.5,q0.95,pi_0,log_pi_0,mu_0_eruptions,sigma_0_eruptions") {
		t.Errorf("header %q", head)
	}
	if strings.SplitN(a, "\n", 2)[1] != strings.SplitN(b, "\n", 2)[1] {
		t.Errorf("-x_cols x and the named column gave different predictions:\n%s\n%s", a, b)
	}
	two := run("", "-model", "m2.mdn", "-in", "in.csv", "-samples", "1")
	if head := strings.SplitN(two, "\n", 2)[0]; !strings.Contains(head, "mean_a,std_a,mode_a,mean_b") || !strings.HasSuffix(head, "sample_0_a,sample_0_b") {
		t.Errorf("two targets: header %q", head)
	}
	// Replacing an earlier output of predict is allowed.
	run("", "-model", "m.mdn", "-in", "in.csv", "-out", "p.csv")
	run("", "-model", "m.mdn", "-in", "in.csv", "-out", "p.csv", "-quantiles", "")
	run("", "-model", "m.mdn", "-in", "in.csv", "-out", "p.jsonl", "-format", "jsonl")
	run("", "-model", "m.mdn", "-in", "in.csv", "-out", "p.jsonl", "-format", "jsonl", "-samples", "3")
	if v := run("", "-version"); !strings.HasPrefix(v, "predict: mixgraph ") {
		t.Errorf("-version printed %q", v)
	}
	if h := run("", "-h"); !strings.Contains(h, "Usage: predict") || !strings.Contains(h, "-samples") {
		t.Errorf("-h printed %q", h)
	}
}
