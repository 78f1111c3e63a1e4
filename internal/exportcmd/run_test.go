package exportcmd

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
)

// saveModel saves a small model built from cfg, with a normalisation that is not the
// identity, to path and returns it.
func saveModel(t *testing.T, path string, cfg mdn.Config) *mdn.Model {
	t.Helper()
	m, err := mdn.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := models.IdentityNormalization(cfg.InputDim, cfg.OutputDim)
	for i := range n.XMean {
		n.XMean[i], n.XStd[i] = 0.5+float64(i), 0.25*float64(i+1)
	}
	for j := range n.YMean {
		n.YMean[j], n.YStd[j] = -3+float64(j), 2/float64(j+1)
	}
	if err := m.SetNormalization(n); err != nil {
		t.Fatal(err)
	}
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	return m
}

func runMain(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExport(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.mdn")
	m := saveModel(t, model, mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{4}, Seed: 3})
	out := filepath.Join(dir, "m.safetensors")
	code, stdout, stderr := runMain("-model", model, "-out", out)
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := m.WriteSafetensors(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("export wrote %d bytes, not what WriteSafetensors writes (%d bytes)", len(got), want.Len())
	}
	format, err := safetensorsFormat(bytes.NewReader(got))
	if err != nil || format != mdn.SafetensorsFormat {
		t.Errorf("safetensorsFormat of an export: %q, %v", format, err)
	}

	// An export it wrote is replaced, by another model's.
	model2 := filepath.Join(dir, "m2.mdn")
	m2 := saveModel(t, model2, mdn.Config{InputDim: 2, OutputDim: 1, K: 3, Hidden: []int{5}, Seed: 4})
	if code, _, stderr := runMain("-model", model2, "-out", out, "-format", "safetensors"); code != 0 {
		t.Fatalf("replacing its own export: exit %d, stderr %q", code, stderr)
	}
	got, _ = os.ReadFile(out)
	want.Reset()
	if err := m2.WriteSafetensors(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Error("the replaced export is not the second model's")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Errorf("temporaries left behind: %q", left)
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"--help"}} {
		code, stdout, stderr := runMain(args...)
		if code != 0 || !strings.Contains(stdout, "Usage: export") || !strings.Contains(stdout, "-out") || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	code, stdout, stderr := runMain("-version")
	if code != 0 || !strings.HasPrefix(stdout, "export: ") || stderr != "" {
		t.Errorf("-version: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// header returns a safetensors prefix whose JSON header is h.
func header(h string) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(b, h...)
}

func TestSafetensorsFormat(t *testing.T) {
	meta := func(m map[string]string) string {
		b, _ := json.Marshal(map[string]any{"__metadata__": m})
		return string(b)
	}
	cases := []struct {
		in      []byte
		want    string
		wantErr bool
	}{
		{header(meta(map[string]string{"format": mdn.SafetensorsFormat})), mdn.SafetensorsFormat, false},
		{header(meta(map[string]string{"format": "pt"})), "pt", false},
		{header(meta(map[string]string{"other": "x"})), "", true},
		{header(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`), "", true},
		{header(`{"__metadata__":{"format":1}}`), "", true},
		{header(`not json`), "", true},
		{header(`{}`)[:9], "", true},
		{[]byte{1, 2, 3}, "", true},
		{nil, "", true},
		{binary.LittleEndian.AppendUint64(nil, 1<<40), "", true},
		{binary.LittleEndian.AppendUint64(nil, 1<<63), "", true},
	}
	for i, c := range cases {
		got, err := safetensorsFormat(bytes.NewReader(c.in))
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("case %d: %q, %v; want %q (error: %t)", i, got, err, c.want, c.wantErr)
		}
	}
}
