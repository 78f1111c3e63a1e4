package mdn

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/internal/framed"
	"github.com/mixgraph/mixgraph/models"
)

// saveBody returns the JSON body m.Save writes.
func saveBody(t testing.TB, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	body, err := framed.Read(buf.Bytes(), FileFormat, FileVersion, "model file")
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// frame wraps body in a valid model file header.
func frame(t testing.TB, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := framed.Write(&buf, FileFormat, FileVersion, body); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeBody decodes a model file body.
func decodeBody(t testing.TB, body []byte) fileBody {
	t.Helper()
	var fb fileBody
	if err := json.Unmarshal(body, &fb); err != nil {
		t.Fatal(err)
	}
	return fb
}

func encodeBody(t testing.TB, fb fileBody) []byte {
	t.Helper()
	b, err := json.Marshal(fb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLoadChecksBody checks that Load refuses bodies whose config, normalisation, column
// names or parameters are wrong, with a one-line "mdn: " message saying what.
func TestLoadChecksBody(t *testing.T) {
	m := testModel(t, Config{InputDim: 2, OutputDim: 1, K: 2, Hidden: []int{3}, Seed: 1})
	good := saveBody(t, m)
	m32 := testModel(t, Config{InputDim: 2, OutputDim: 1, K: 2, Hidden: []int{3}, Seed: 1, DType: models.Float32})
	good32 := saveBody(t, m32)
	edit := func(src []byte, f func(*fileBody)) []byte {
		fb := decodeBody(t, src)
		f(&fb)
		return encodeBody(t, fb)
	}
	replace := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("the body holds no %s", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"huge K", edit(good, func(b *fileBody) { b.Config.K = 1000000000 }), "mdn: model file config: K = 1000000000 components (at most MaxK = 1024)"},
		{"negative K", edit(good, func(b *fileBody) { b.Config.K = -3 }), "mdn: model file config: K = -3 components (want at least 1)"},
		{"huge input", replace(`"input_dim":2`, `"input_dim":4000000000`), "mdn: model file config: input dimension 4000000000 (at most MaxDim = 16384)"},
		{"huge hidden", replace(`"hidden":[3]`, `"hidden":[1000000000]`), "mdn: model file config: hidden layer 0 has width 1000000000 (at most MaxWidth = 65536)"},
		// 2·65536+65536 + 65536·65536+65536 + 65536·2+2 + 2·(65536·2+2) parameters.
		{"too many params", replace(`"hidden":[3]`, `"hidden":[65536,65536]`), "mdn: model file config: the model would have 4295622662 parameters (at most MaxParams = 33554432)"},
		{"activation", replace(`"activation":"tanh"`, `"activation":"swish"`), `mdn: model file config: unknown activation "swish"`},
		{"short x mean", edit(good, func(b *fileBody) { b.Normalization.XMean = b.Normalization.XMean[:1] }), "mdn: model file normalisation has 1/2 input statistics, model has 2 inputs"},
		{"zero y std", edit(good, func(b *fileBody) { b.Normalization.YStd[0] = 0 }), "mdn: model file normalisation target std 0 is 0"},
		{"missing param", edit(good, func(b *fileBody) { b.Params = b.Params[:7] }), "mdn: model file has 7 parameters, its config needs 8"},
		{"extra param", edit(good, func(b *fileBody) { b.Params = append(b.Params, b.Params[7]) }), "mdn: model file has 9 parameters, its config needs 8"},
		{"renamed param", edit(good, func(b *fileBody) { b.Params[2].Name = "mdn.other.W" }), `mdn: model file parameter 2 is "mdn.other.W", want "mdn.logits.W"`},
		{"swapped params", edit(good, func(b *fileBody) { b.Params[0], b.Params[1] = b.Params[1], b.Params[0] }), `mdn: model file parameter 0 is "mdn.body.0.b", want "mdn.body.0.W"`},
		{"transposed shape", edit(good, func(b *fileBody) { b.Params[0].Shape = []int{3, 2} }), `mdn: model file parameter "mdn.body.0.W" has shape [3 2], its config needs [2 3]`},
		{"huge shape", edit(good, func(b *fileBody) { b.Params[0].Shape = []int{1 << 40, 1 << 40, 1 << 40, 1 << 40, 1 << 40} }), `has shape [1099511627776 1099511627776 1099511627776 1099511627776]… (5 dimensions), its config needs [2 3]`},
		{"few values", edit(good, func(b *fileBody) { b.Params[0].Values = b.Params[0].Values[:5] }), `mdn: model file parameter "mdn.body.0.W" has 5 values, its shape [2 3] needs 6`},
		{"beyond float32", edit(good32, func(b *fileBody) { b.Params[3].Values[1] = 1e39 }), `mdn: model file parameter "mdn.logits.b" value 1 is 1e+39, beyond float32`},
		{"NaN", replace(`"values":[0,0,0]`, `"values":[0,NaN,0]`), "mdn: model file body: invalid character 'N'"},
		{"infinite", replace(`"values":[0,0,0]`, `"values":[0,1e999,0]`), "mdn: model file body: json: cannot unmarshal number 1e999"},
		{"short columns", edit(good, func(b *fileBody) { b.Columns = &fileColumns{X: []string{"a"}, Y: []string{"y"}} }), "mdn: model file columns: 1 input column names for 2 input columns"},
		{"long columns", edit(good, func(b *fileBody) { b.Columns = &fileColumns{X: []string{"a", "b"}, Y: []string{"y", "z"}} }), "mdn: model file columns: 2 target column names for 1 target columns"},
		{"empty columns", replace(`"params"`, `"columns":{},"params"`), "mdn: model file columns: 0 input column names for 2 input columns"},
		{"repeated column", edit(good, func(b *fileBody) { b.Columns = &fileColumns{X: []string{"a", "a"}, Y: []string{"y"}} }), `mdn: model file columns: input column 1 name "a" repeats column 0`},
		{"unknown field", replace(`"params"`, `"columnz":{},"params"`), `mdn: model file body: json: unknown field "columnz"`},
		{"trailing data", append(append([]byte(nil), good...), " {}"...), "mdn: model file body has more after its JSON object"},
		{"long name", edit(good, func(b *fileBody) { b.Params[0].Name = strings.Repeat("x", 1e6) }), `mdn: model file parameter 0 is "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", want "mdn.body.0.W"`},
	}
	for _, c := range cases {
		_, err := Load(bytes.NewReader(frame(t, c.body)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Load = %v, want an error containing %q", c.name, err, c.want)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "mdn: ") || strings.Contains(msg, "\n") || len(msg) > maxErrorBytes+len("…") {
			t.Errorf("%s: error %q is not one short line prefixed mdn:", c.name, msg)
		}
	}
	// The unedited bodies load.
	for _, b := range [][]byte{good, edit(good, func(*fileBody) {}), good32} {
		if _, err := Load(bytes.NewReader(frame(t, b))); err != nil {
			t.Errorf("a good body: %v", err)
		}
	}
}

// TestLoadAllocatesLittle checks that a small file whose config asks for a large model
// (within the limits) but whose parameters do not fit it is refused before the model is
// built: Load must not allocate the ~260 MB the config implies.
func TestLoadAllocatesLittle(t *testing.T) {
	m := testModel(t, Config{InputDim: 2, OutputDim: 1, K: 2, Hidden: []int{3}, Seed: 1})
	fb := decodeBody(t, saveBody(t, m))
	fb.Config.InputDim, fb.Config.Hidden = MaxDim, []int{2000}
	fb.Normalization = fileNorm{XMean: make([]float64, MaxDim), XStd: slices.Repeat([]float64{1}, MaxDim), YMean: []float64{0}, YStd: []float64{1}}
	if n, err := fb.Config.ParamCount(); err != nil || n < 30_000_000 || n > MaxParams {
		t.Fatalf("test config has %d parameters (%v), want a valid large model", n, err)
	}
	file := frame(t, encodeBody(t, fb))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Load(bytes.NewReader(file))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), `parameter "mdn.body.0.W" has shape [2 3], its config needs [16384 2000]`) {
		t.Fatalf("Load = %v, want a shape error", err)
	}
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(16*len(file)+1<<20); got > limit {
		t.Errorf("Load of a %d-byte file allocated %d bytes before refusing it, want at most %d", len(file), got, limit)
	}
}

func TestColumns(t *testing.T) {
	m := testModel(t, Config{InputDim: 2, OutputDim: 1, K: 2, Hidden: []int{3}, Seed: 1})
	if x, y := m.Columns(); x != nil || y != nil {
		t.Fatalf("a new model has columns %q, %q", x, y)
	}
	cases := []struct {
		x, y []string
		want string
	}{
		{[]string{"a"}, []string{"y"}, "mdn: 1 input column names for 2 input columns"},
		{nil, []string{"y"}, "mdn: 0 input column names for 2 input columns"},
		{[]string{"a", "b"}, nil, "mdn: 0 target column names for 1 target columns"},
		{[]string{"a", "b"}, []string{"y", "z"}, "mdn: 2 target column names for 1 target columns"},
		{[]string{"a", ""}, []string{"y"}, "mdn: input column 1 has an empty name"},
		{[]string{"a", "a"}, []string{"y"}, `mdn: input column 1 name "a" repeats column 0`},
		{[]string{"a", "\xff"}, []string{"y"}, `mdn: input column 1 name "\xff" is not valid UTF-8`},
		{[]string{"a", "b"}, []string{""}, "mdn: target column 0 has an empty name"},
	}
	for _, c := range cases {
		if err := m.SetColumns(c.x, c.y); err == nil || err.Error() != c.want {
			t.Errorf("SetColumns(%q, %q) = %v, want %q", c.x, c.y, err, c.want)
		}
	}
	if x, y := m.Columns(); x != nil || y != nil {
		t.Fatalf("failed SetColumns left columns %q, %q", x, y)
	}
	// A name may repeat between x and y; the model keeps its own copies.
	x, y := []string{"eruptions", "wait ing"}, []string{"eruptions"}
	if err := m.SetColumns(x, y); err != nil {
		t.Fatal(err)
	}
	x[0] = "changed"
	gx, gy := m.Columns()
	gx[1], gy[0] = "changed", "changed"
	if gx, gy = m.Columns(); !slices.Equal(gx, []string{"eruptions", "wait ing"}) || !slices.Equal(gy, []string{"eruptions"}) {
		t.Errorf("Columns = %q, %q after changing the caller's slices", gx, gy)
	}
	if err := m.SetColumns(nil, nil); err != nil {
		t.Fatal(err)
	}
	if gx, gy := m.Columns(); gx != nil || gy != nil {
		t.Errorf("SetColumns(nil, nil) left %q, %q", gx, gy)
	}
}

// TestColumnsRoundTrip checks Save stores the column names (and only when set) and
// Load restores them.
func TestColumnsRoundTrip(t *testing.T) {
	m := testModel(t, Config{InputDim: 2, OutputDim: 2, K: 2, Hidden: []int{3}, Seed: 1})
	if bytes.Contains(saveBody(t, m), []byte(`"columns"`)) {
		t.Error("a model without columns saved a columns field")
	}
	x, y := []string{"temp °C", `a "quoted" name`}, []string{"y1", "temp °C"}
	if err := m.SetColumns(x, y); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.mdn")
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`"columns":{"x":["temp °C","a \"quoted\" name"],"y":["y1","temp °C"]}`)) {
		t.Errorf("saved body does not hold the columns:\n%s", raw)
	}
	l, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if gx, gy := l.Columns(); !slices.Equal(gx, x) || !slices.Equal(gy, y) {
		t.Errorf("loaded columns %q, %q, want %q, %q", gx, gy, x, y)
	}
	// A file written before columns existed loads without them.
	g, err := LoadFile(filepath.Join("testdata", "golden.mdn"))
	if err != nil {
		t.Fatal(err)
	}
	if gx, gy := g.Columns(); gx != nil || gy != nil {
		t.Errorf("golden model has columns %q, %q", gx, gy)
	}
	// And a loaded model without columns saves none.
	if err := l.SetColumns(nil, nil); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(saveBody(t, l), []byte(`"columns"`)) {
		t.Error("a model whose columns were cleared saved a columns field")
	}
}

// TestLoadNormalizationKept checks that a loaded model keeps the file's normalisation.
func TestLoadNormalizationKept(t *testing.T) {
	m := testModel(t, Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{3}, Seed: 1})
	n := models.Normalization{XMean: []float64{3}, XStd: []float64{0.5}, YMean: []float64{-2}, YStd: []float64{7}}
	if err := m.SetNormalization(n); err != nil {
		t.Fatal(err)
	}
	l, err := Load(bytes.NewReader(frame(t, saveBody(t, m))))
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Normalization(); got.XMean[0] != 3 || got.XStd[0] != 0.5 || got.YMean[0] != -2 || got.YStd[0] != 7 {
		t.Errorf("loaded normalisation %+v, want %+v", got, n)
	}
}
