package traincmd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/internal/clitest"
	"github.com/mixgraph/mixgraph/internal/snapshot"
)

// workFolder makes a working folder holding what a user might have around: data, notes,
// an unrelated folder, a symbolic link, a completed run, a run folder with a file of the
// user's in it, and a broken CSV of every kind. It returns the folder.
func workFolder(t *testing.T) string {
	t.Helper()
	work := t.TempDir()
	files := map[string]string{
		"good.csv":                   goodCSV(40),
		"notes.txt":                  "my notes\n",
		"data/train.csv":             goodCSV(40),
		"stuff/readme.txt":           "keep me\n",
		"empty.csv":                  "",
		"header_only.csv":            "x,y\n",
		"quote.csv":                  "x,y\n1,\"2\n3,4\n",
		"nan.csv":                    "x,y\n1,2\n3,NaN\n",
		"inf.csv":                    "x,y\n1,2\n3,-Inf\n",
		"huge.csv":                   "x,y\n1,2\n3,1e999\n",
		"text.csv":                   "x,y\n1,2\n3,four\n",
		"ragged.csv":                 "x,y\n1,2\n3\n",
		"noheader.csv":               "1,2\n3,4\n5,6\n",
		"dup.csv":                    "x,x,y\n1,2,3\n4,5,6\n",
		"onecol.csv":                 "y\n1\n2\n3\n",
		"tworows.csv":                "x,y\n1,2\n3,4\n",
		"spread.csv":                 "x,y\n-1.7e308,1\n1.7e308,2\n1,3\n2,4\n5,5\n",
		"spready.csv":                "x,y\n1,-1e308\n2,1e308\n3,1e308\n4,-1e308\n5,1\n",
		"semicolon.csv":              "x;y\n1;2\n3;4\n",
		"binary.csv":                 "\x00\x01\x02\xff\xfe,\x00\n\x00\x00",
		"emptyname.csv":              "x,,y\n1,2,3\n4,5,6\n",
		"runs/old/model.mdn":         "{\"format\":\"mixgraph.mdn\"}\n",
		"runs/old/notes.md":          "the user's own file\n",
		"runs/stuck/" + markerName:   `{"format":"mixgraph.run","version":1,"status":"running","args":[]}` + "\n",
		"runs/badmark/" + markerName: "not json\n",
	}
	for name, text := range files {
		p := filepath.Join(work, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"emptydir"} {
		os.Mkdir(filepath.Join(work, d), 0o755)
	}
	if err := os.Symlink("stuff", filepath.Join(work, "link")); err != nil {
		t.Fatal(err)
	}
	// A completed run.
	var o, e bytes.Buffer
	if code := mainStatus(append([]string{"-out", filepath.Join(work, "runs", "done")}, quick...), &o, &e); code != 0 {
		t.Fatalf("setting up a completed run: status %d: %s", code, e.String())
	}
	return work
}

func goodCSV(n int) string {
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%g,%g\n", float64(i)/float64(n), float64(i%7)/7)
	}
	return b.String()
}

// TestCatalogue runs the command on bad inputs: each must exit with status 2, print
// exactly one line on stderr naming the culprit and nothing on stdout, not panic, and
// leave the working folder byte for byte as it was.
func TestCatalogue(t *testing.T) {
	work := workFolder(t)
	t.Chdir(work)
	layers := strings.TrimSuffix(strings.Repeat("2,", 100), ",")
	many := strings.Repeat("c,", 20) + "y"
	cases := []struct {
		args []string
		want string
	}{
		// Flags that do not parse.
		{[]string{"-k", "abc"}, `-k "abc": not a whole number`},
		{[]string{"-k", "1.5"}, `-k "1.5": not a whole number`},
		{[]string{"-k="}, `-k "": not a whole number`},
		{[]string{"-k", "99999999999999999999"}, `-k "99999999999999999999": out of range`},
		{[]string{"-epochs", "ten"}, `-epochs "ten"`},
		{[]string{"-batch", "1e3"}, `-batch "1e3"`},
		{[]string{"-lr", "fast"}, `-lr "fast": not a number`},
		{[]string{"-seed", "-1"}, `-seed "-1"`},
		{[]string{"-seed", "x"}, `-seed "x"`},
		{[]string{"-quiet=maybe"}, `-quiet "maybe"`},
		{[]string{"-plots=2"}, `-plots "2"`},
		{[]string{"-skip", "sometimes"}, `-skip "sometimes": want one of none, half, all`},
		{[]string{"-nope"}, "unknown flag -nope"},
		{[]string{"-k"}, "-k needs a value"},
		{[]string{"---k", "3"}, `bad flag syntax "---k"`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-k", "3", "extra"}, `unexpected argument "extra"`},
		{[]string{"-n", "1e9"}, `-n "1e9"`},
		{[]string{"-checkpoint_every", "often"}, `-checkpoint_every "often"`},
		// Values out of their range.
		{[]string{"-k", "0"}, "-k 0"},
		{[]string{"-refit_below", "-1"}, "-refit_below -1"},
		{[]string{"-refit_below", "100", "-ensemble", "2"}, "-refit_below 100: not with -ensemble"},
		{[]string{"-k", "-3"}, "-k -3"},
		{[]string{"-k", "1000000000"}, "-k 1000000000: at most"},
		{[]string{"-hidden", "0"}, `-hidden "0"`},
		{[]string{"-hidden", "8,x"}, `"x" is not a positive width`},
		{[]string{"-hidden", ""}, `-hidden ""`},
		{[]string{"-hidden", "8,,8"}, `-hidden "8,,8"`},
		{[]string{"-hidden", "-4"}, `-hidden "-4"`},
		{[]string{"-hidden", "1000000000"}, "width 1000000000 is over the limit"},
		{[]string{"-hidden", "60000,60000"}, "-hidden 60000,60000"},
		{[]string{"-hidden", layers}, "100 layers, at most"},
		{[]string{"-epochs", "0"}, "-epochs 0"},
		{[]string{"-epochs", "-5"}, "-epochs -5"},
		{[]string{"-batch", "0"}, "-batch 0"},
		{[]string{"-lr", "0"}, "-lr 0"},
		{[]string{"-lr", "-0.1"}, "-lr -0.1"},
		{[]string{"-lr", "NaN"}, "-lr NaN"},
		{[]string{"-lr", "Inf"}, "-lr +Inf"},
		{[]string{"-clip", "0"}, "-clip 0"},
		{[]string{"-clip", "NaN"}, "-clip NaN"},
		{[]string{"-val_fraction", "1"}, "-val_fraction 1"},
		{[]string{"-val_fraction", "-0.1"}, "-val_fraction -0.1"},
		{[]string{"-val_fraction", "NaN"}, "-val_fraction NaN"},
		{[]string{"-csv", "good.csv", "-test_fraction", "-0.1"}, "-test_fraction -0.1"},
		{[]string{"-csv", "good.csv", "-test_fraction", "NaN"}, "-test_fraction NaN"},
		{[]string{"-test_csv", "good.csv"}, `-test_csv "good.csv": only with -csv`},
		{[]string{"-csv", "good.csv", "-test_csv", "good.csv", "-test_fraction", "0.3"}, "not both"},
		{[]string{"-csv", "good.csv", "-test_csv", ""}, "-test_csv: empty file name"},
		{[]string{"-csv", "good.csv", "-test_csv", "missing.csv"}, "-test_csv missing.csv"},
		{[]string{"-csv", "good.csv", "-test_csv", "text.csv"}, `-test_csv text.csv: line 3`},
		{[]string{"-csv", "good.csv", "-test_csv", "onecol.csv"}, `-test_csv onecol.csv`},
		{[]string{"-csv", "good.csv", "-test_csv", "nan.csv"}, `-test_csv nan.csv`},
		{[]string{"-csv", "good.csv", "-test_csv", "binary.csv"}, `-test_csv binary.csv`},
		{[]string{"-csv", "good.csv", "-test_csv", "emptydir"}, `-test_csv emptydir`},
		{[]string{"-weight_decay", "-1"}, "-weight_decay -1"},
		{[]string{"-weight_decay", "NaN"}, "-weight_decay NaN"},
		{[]string{"-weight_decay", "Inf"}, "-weight_decay +Inf"},
		{[]string{"-weight_decay", "heavy"}, `-weight_decay "heavy": not a number`},
		{[]string{"-val_fraction", "some"}, `-val_fraction "some": not a number`},
		{[]string{"-patience", "-1"}, "-patience -1"},
		{[]string{"-patience", "long"}, `-patience "long": not a whole number`},
		{[]string{"-patience", "5", "-val_fraction", "0"}, "-patience 5: needs validation rows"},
		{[]string{"-patience", "5", "-n", "3"}, "-patience 5: needs validation rows"},
		{[]string{"-k", "0"}, "-k 0"},
		{[]string{"-refit_below", "-1"}, "-refit_below -1"},
		{[]string{"-refit_below", "100", "-ensemble", "2"}, "-refit_below 100: not with -ensemble"},
		{[]string{"-epochs", "AUTO"}, `-epochs "AUTO"`},
		{[]string{"-csv", "good.csv", "-test_fraction", "1"}, "-test_fraction 1"},
		{[]string{"-n", "-1"}, "-n -1"},
		{[]string{"-n", "1000000000"}, "-n 1000000000: at most"},
		{[]string{"-n", "1", "-val_fraction", "0.5"}, "-val_fraction 0.5"},
		{[]string{"-variance_floor", "-1"}, "-variance_floor -1"},
		{[]string{"-variance_floor", "Inf"}, "-variance_floor +Inf"},
		{[]string{"-activation", "swish"}, `-activation "swish"`},
		{[]string{"-scale", "cubic"}, `-scale "cubic"`},
		{[]string{"-covariance", "banana"}, `-covariance "banana"`},
		{[]string{"-covariance", "full"}, "-covariance full: covariance full needs an output dimension of at least 2"},
		{[]string{"-dtype", "float16"}, `-dtype "float16"`},
		{[]string{"-solver", "adagrad"}, `-solver "adagrad"`},
		{[]string{"-schedule", "linear"}, `-schedule "linear"`},
		{[]string{"-data", "mnist"}, `-data "mnist"`},
		{[]string{"-checkpoint_every", "-1"}, "-checkpoint_every -1"},
		{[]string{"-clip_norm", "-1"}, "-clip_norm -1"},
		{[]string{"-clip_norm", "Inf"}, "-clip_norm +Inf"},
		{[]string{"-l2", "-0.5"}, "-l2 -0.5"},
		{[]string{"-l2", "NaN"}, "-l2 NaN"},
		{[]string{"-patience", "-2"}, "-patience -2"},
		{[]string{"-patience", "5", "-val_fraction", "0"}, "-patience 5: needs validation rows"},
		{[]string{"-x_cols", "x"}, `-x_cols "x": only with -csv`},
		{[]string{"-y_cols", "y"}, `-y_cols "y": only with -csv`},
		// Bad data files.
		{[]string{"-csv", "missing.csv"}, "missing.csv"},
		{[]string{"-csv", ""}, "-csv: empty file name"},
		{[]string{"-csv", "stuff"}, "stuff"},
		{[]string{"-csv", "empty.csv"}, "empty"},
		{[]string{"-csv", "header_only.csv"}, "no data rows"},
		{[]string{"-csv", "quote.csv"}, "line 2"},
		{[]string{"-csv", "nan.csv"}, `line 3, column "y"`},
		{[]string{"-csv", "inf.csv"}, `line 3, column "y"`},
		{[]string{"-csv", "huge.csv"}, "out of range"},
		{[]string{"-csv", "text.csv"}, `"four" is not a number`},
		{[]string{"-csv", "ragged.csv"}, "line 3"},
		{[]string{"-csv", "noheader.csv"}, "header row"},
		{[]string{"-csv", "dup.csv"}, `"x"`},
		{[]string{"-csv", "emptyname.csv"}, "empty name"},
		{[]string{"-csv", "onecol.csv"}, "no input columns"},
		{[]string{"-csv", "spread.csv"}, `spread.csv: column "x": its values run from -1.7e+308 to 1.7e+308`},
		{[]string{"-csv", "spready.csv"}, `spready.csv: column "y": its values run from -1e+308 to 1e+308`},
		{[]string{"-csv", "semicolon.csv"}, `must be comma-separated, not ";"-separated`},
		{[]string{"-csv", "tworows.csv"}, "-test_fraction 0.2: holding out 0.2 of 2 rows leaves 0 held out and 2 to train on"},
		{[]string{"-csv", "good.csv", "-y_cols", "z"}, `no column "z"`},
		{[]string{"-csv", "good.csv", "-x_cols", "x", "-y_cols", "x"}, `"x" is both an input and a target`},
		{[]string{"-csv", "good.csv", "-y_cols", "7"}, "column index 7"},
		{[]string{"-csv", "good.csv", "-x_cols", "x,x"}, `"x" selected twice`},
		{[]string{"-csv", "tworows.csv", "-test_fraction", "0.9"}, "-test_fraction 0.9"},
		{[]string{"-csv", "binary.csv"}, "binary.csv"},
		// -out policy.
		{[]string{"-out", "notes.txt"}, "-out notes.txt: is an existing file"},
		{[]string{"-csv", "data/train.csv", "-out", "data"}, "-out data: holds the input data/train.csv"},
		{[]string{"-csv", "good.csv", "-test_csv", "data/train.csv", "-out", "data"}, "-out data: holds the input data/train.csv"},
		{[]string{"-csv", "data/train.csv", "-out", "data/"}, "holds the input"},
		{[]string{"-out", "stuff"}, "-out stuff: is an existing folder that train did not write"},
		{[]string{"-out", "stuff/"}, "is an existing folder that train did not write"},
		{[]string{"-out", "."}, "-out .: is the current folder"},
		{[]string{"-out", "./"}, "is the current folder"},
		{[]string{"-out", ".."}, "-out ..: is the current folder or holds it"},
		{[]string{"-out", work}, "is the current folder"},
		{[]string{"-out", "/"}, "-out /:"},
		{[]string{"-out", "emptydir"}, "-out emptydir: is an existing folder"},
		{[]string{"-out", "link"}, "-out link: is a symbolic link"},
		{[]string{"-out", "notes.txt/run"}, "notes.txt is a file"},
		{[]string{"-out", "runs/old"}, `also holds "notes.md"`},
		{[]string{"-out", "runs/badmark"}, "not a run marker"},
		{[]string{"-out", ""}, "-out: empty folder name"},
		{[]string{"-out", "/proc/mixgraph-run"}, "-out /proc/mixgraph-run: cannot write"},
		{[]string{"-out", "runs"}, "-out runs: is an existing folder that train did not write"},
		// -resume.
		{[]string{"-resume", "nowhere"}, "-resume nowhere"},
		{[]string{"-resume", "notes.txt"}, "-resume notes.txt: is a file"},
		{[]string{"-resume", "stuff"}, "-resume stuff: not a run folder"},
		{[]string{"-resume", "runs/done"}, "the run completed"},
		{[]string{"-resume", "runs/stuck"}, "holds no checkpoint"},
		{[]string{"-resume", "runs/done", "-k", "3"}, "-resume: -k cannot be changed"},
		{[]string{"-resume", "runs/badmark"}, "not a run marker"},
		{[]string{"-csv", many + ".csv"}, many},
		// Training that diverges (which member and which value fails first depends on
		// timing; the hint follows whichever it is: see TestDivergedHint).
		{[]string{"-lr", "1e10", "-epochs", "3", "-n", "100", "-hidden", "4", "-quiet"}, "non-finite value"},
	}
	if len(cases) < 80 {
		t.Fatalf("%d cases; the catalogue wants at least 80", len(cases))
	}
	before, err := snapshot.Take(work)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		run := func(stdout, stderr io.Writer) int { return mainStatus(c.args, stdout, stderr) }
		for _, problem := range clitest.BadInput("train", c.want, work, &before, run) {
			t.Errorf("%q: %s", c.args, problem)
		}
	}
}

// TestDivergedHint: a run that stops on a non-finite value says the training diverged
// and names the flags that help.
func TestDivergedHint(t *testing.T) {
	var o, e bytes.Buffer
	code := mainStatus([]string{"-lr", "1e10", "-epochs", "3", "-n", "100", "-hidden", "4", "-quiet", "-ensemble", "1", "-out", filepath.Join(t.TempDir(), "r")}, &o, &e)
	if line := strings.TrimSuffix(e.String(), "\n"); code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, "non-finite value") || !strings.HasSuffix(line, " (the training diverged: try a lower -lr, or -clip_norm)") {
		t.Errorf("status %d, stderr %q", code, e.String())
	}
}
