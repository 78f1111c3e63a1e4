package exportcmd

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/mixgraph/mixgraph/internal/clitest"
	"github.com/mixgraph/mixgraph/internal/snapshot"
	"github.com/mixgraph/mixgraph/models/mdn"
)

// TestCatalogue runs export on bad inputs: each must exit with status 2, print exactly
// one line on stderr naming the culprit and nothing on stdout, not panic, and leave the
// working folder byte for byte as it was.
func TestCatalogue(t *testing.T) {
	work := t.TempDir()
	p := func(name string) string { return filepath.Join(work, name) }
	saveModel(t, p("m.mdn"), mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{4}, Seed: 3})
	good, err := os.ReadFile(p("m.mdn"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"notes.txt":          "my notes\n",
		"half.mdn":           string(good[:len(good)/2]),
		"empty.mdn":          "",
		"other.safetensors":  string(header(`{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`)) + "\x00\x00\x80\x3f",
		"nometa.safetensors": string(header(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`)) + "\x00\x00\x80\x3f",
		"short.safetensors":  "\x10\x00",
		"stuff/keep.txt":     "keep\n",
	}
	for name, text := range files {
		os.MkdirAll(filepath.Dir(p(name)), 0o755)
		if err := os.WriteFile(p(name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("notes.txt", p("link.safetensors"))
	t.Chdir(work)

	m := []string{"-model", "m.mdn"}
	with := func(extra ...string) []string { return append(append([]string(nil), m...), extra...) }
	cases := []struct {
		args []string
		want string
	}{
		// Flags.
		{nil, "-model is required"},
		{[]string{"-out", "x.safetensors"}, "-model is required"},
		{m, "-out is required"},
		{[]string{"-model"}, "-model needs a value"},
		{with("-out"), "-out needs a value"},
		{with("-nope"), "unknown flag -nope"},
		{with("-out", "x.safetensors", "extra"), `unexpected argument "extra"`},
		{with("-out", "x.safetensors", "-format", "onnx"), `-format "onnx": want safetensors`},
		{with("-out", "x.safetensors", "-format", ""), `-format ""`},
		{with("-out", "-"), "standard output is not supported"},
		{with("-out", "x.safetensors", "-version=maybe"), `-version "maybe"`},
		// Model files.
		{[]string{"-model", "none.mdn", "-out", "x.safetensors"}, "-model none.mdn"},
		{[]string{"-model", "stuff", "-out", "x.safetensors"}, "-model stuff"},
		{[]string{"-model", "empty.mdn", "-out", "x.safetensors"}, "-model empty.mdn"},
		{[]string{"-model", "half.mdn", "-out", "x.safetensors"}, "truncated"},
		{[]string{"-model", "notes.txt", "-out", "x.safetensors"}, "-model notes.txt"},
		{[]string{"-model", "other.safetensors", "-out", "x.safetensors"}, "-model other.safetensors"},
		// Outputs.
		{with("-out", "notes.txt"), "-out notes.txt: exists and was not written by export"},
		{with("-out", "other.safetensors"), "-out other.safetensors: exists and was not written by export"},
		{with("-out", "nometa.safetensors"), "-out nometa.safetensors: exists and was not written by export"},
		{with("-out", "short.safetensors"), "-out short.safetensors: exists and was not written by export"},
		{with("-out", "half.mdn"), "-out half.mdn: exists and was not written by export"},
		{with("-out", "m.mdn"), "-out m.mdn: is the -model file"},
		{with("-out", "stuff"), "-out stuff: is a folder"},
		{with("-out", "."), "-out .: is a folder"},
		{with("-out", "link.safetensors"), "-out link.safetensors: is a symbolic link"},
		{with("-out", "nowhere/x.safetensors"), "-out nowhere/x.safetensors: no folder nowhere"},
		{with("-out", "notes.txt/x.safetensors"), "notes.txt is a file"},
	}
	before, err := snapshot.Take(work)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		run := func(stdout, stderr io.Writer) int { return Main(c.args, stdout, stderr) }
		for _, problem := range clitest.BadInput("export", c.want, work, &before, run) {
			t.Errorf("%q: %s", c.args, problem)
		}
	}
}
