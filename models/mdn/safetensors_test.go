package mdn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
)

// stEntry is one tensor of a parsed safetensors header.
type stEntry struct {
	Name        string
	DType       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets []int  `json:"data_offsets"`
}

// parseSafetensors reads a safetensors file independently of WriteSafetensors: the
// length prefix, the header's keys in order, and the data section.
func parseSafetensors(t *testing.T, b []byte) (meta map[string]string, entries []stEntry, data []byte) {
	t.Helper()
	if len(b) < 8 {
		t.Fatalf("file of %d bytes has no length prefix", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	if uint64(len(b)-8) < n {
		t.Fatalf("header length %d beyond the file's %d bytes", n, len(b))
	}
	header := b[8 : 8+n]
	if trimmed := bytes.TrimRight(header, " "); !bytes.HasSuffix(trimmed, []byte("}")) {
		t.Fatalf("header does not end in } before its padding: %q", header[max(0, len(header)-20):])
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("header does not open with {: %v %v", tok, err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key := tok.(string)
		if key == "__metadata__" {
			if meta != nil {
				t.Fatal("two __metadata__ entries")
			}
			if err := dec.Decode(&meta); err != nil {
				t.Fatalf("__metadata__ is not a map of strings: %v", err)
			}
			continue
		}
		e := stEntry{Name: key}
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("tensor %q: %v", key, err)
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	return meta, entries, b[8+n:]
}

func TestWriteSafetensors(t *testing.T) {
	for _, dt := range []models.DType{models.Float64, models.Float32} {
		t.Run(string(dt), func(t *testing.T) {
			t.Parallel()
			cfg := Config{InputDim: 2, OutputDim: 2, K: 3, Hidden: []int{5, 4}, Activation: graph.ReLU,
				Scale: losses.ScaleSoftplus, VarianceFloor: 1e-3, DType: dt, Seed: 7}
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			norm := models.Normalization{XMean: []float64{1.5, -2}, XStd: []float64{0.25, 3}, YMean: []float64{10, 0.1}, YStd: []float64{2, 1.0 / 3}}
			if err := m.SetNormalization(norm); err != nil {
				t.Fatal(err)
			}
			if err := m.SetColumns([]string{"a", `b "quoted"`}, []string{"ü", "t"}); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := m.WriteSafetensors(&buf); err != nil {
				t.Fatal(err)
			}
			meta, entries, data := parseSafetensors(t, buf.Bytes())

			if meta["format"] != SafetensorsFormat || meta["format_version"] != "1" {
				t.Errorf("metadata format %q version %q", meta["format"], meta["format_version"])
			}
			var got Config
			if err := json.Unmarshal([]byte(meta["config"]), &got); err != nil {
				t.Fatalf("config %q: %v", meta["config"], err)
			}
			if !reflect.DeepEqual(got, m.Config()) {
				t.Errorf("config %+v, want %+v", got, m.Config())
			}
			var cols struct{ X, Y []string }
			if err := json.Unmarshal([]byte(meta["columns"]), &cols); err != nil {
				t.Fatalf("columns %q: %v", meta["columns"], err)
			}
			if x, y := m.Columns(); !reflect.DeepEqual(cols.X, x) || !reflect.DeepEqual(cols.Y, y) {
				t.Errorf("columns %q %q, want %q %q", cols.X, cols.Y, x, y)
			}

			// The tensors: every parameter then the normalisation, contiguous, in order.
			type want struct {
				name  string
				dtype string
				shape []int
				vals  []float64
			}
			var wants []want
			pdt := "F64"
			if dt == models.Float32 {
				pdt = "F32"
			}
			for _, p := range m.Params().List() {
				wants = append(wants, want{p.Name, pdt, []int(p.Value.Shape()), graph.AppendFloat64s(nil, p.Value)})
			}
			wants = append(wants, want{"x_mean", "F64", []int{2}, norm.XMean}, want{"x_std", "F64", []int{2}, norm.XStd},
				want{"y_mean", "F64", []int{2}, norm.YMean}, want{"y_std", "F64", []int{2}, norm.YStd})
			if len(entries) != len(wants) {
				t.Fatalf("%d tensors, want %d", len(entries), len(wants))
			}
			off := 0
			for i, e := range entries {
				w := wants[i]
				if e.Name != w.name || e.DType != w.dtype || !reflect.DeepEqual(e.Shape, w.shape) {
					t.Errorf("tensor %d is %q %s %v, want %q %s %v", i, e.Name, e.DType, e.Shape, w.name, w.dtype, w.shape)
					continue
				}
				size := 8
				if e.DType == "F32" {
					size = 4
				}
				if len(e.DataOffsets) != 2 || e.DataOffsets[0] != off || e.DataOffsets[1] != off+size*len(w.vals) {
					t.Errorf("tensor %q offsets %v, want [%d %d]", e.Name, e.DataOffsets, off, off+size*len(w.vals))
					continue
				}
				raw := data[e.DataOffsets[0]:e.DataOffsets[1]]
				for j, v := range w.vals {
					var gotBits, wantBits uint64
					if size == 4 {
						gotBits, wantBits = uint64(binary.LittleEndian.Uint32(raw[4*j:])), uint64(math.Float32bits(float32(v)))
					} else {
						gotBits, wantBits = binary.LittleEndian.Uint64(raw[8*j:]), math.Float64bits(v)
					}
					if gotBits != wantBits {
						t.Errorf("tensor %q value %d: bits %#x, want %#x (%g)", e.Name, j, gotBits, wantBits, v)
					}
				}
				off = e.DataOffsets[1]
			}
			if off != len(data) {
				t.Errorf("data section of %d bytes, tensors cover %d", len(data), off)
			}
		})
	}
}

func TestWriteSafetensorsNoColumns(t *testing.T) {
	m, err := New(Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{3}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.WriteSafetensors(&buf); err != nil {
		t.Fatal(err)
	}
	meta, _, _ := parseSafetensors(t, buf.Bytes())
	if _, ok := meta["columns"]; ok {
		t.Errorf("a model without column names exported columns %q", meta["columns"])
	}
}

func TestWriteSafetensorsRefusesNonFinite(t *testing.T) {
	for _, dt := range []models.DType{models.Float64, models.Float32} {
		m, err := New(Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{3}, DType: dt, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		p := m.Params().List()[2]
		vals := graph.AppendFloat64s(nil, p.Value)
		vals[1] = math.Inf(-1)
		graph.CopyFromFloat64s(p.Value, vals)
		var buf bytes.Buffer
		err = m.WriteSafetensors(&buf)
		if err == nil || !strings.Contains(err.Error(), p.Name) {
			t.Errorf("%s: error %v, want one naming %q", dt, err, p.Name)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written for a refused model", dt, buf.Len())
		}
	}
}

func TestSaveSafetensors(t *testing.T) {
	m, err := New(Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{3}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.SaveSafetensors(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := m.WriteSafetensors(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("SaveSafetensors wrote %d bytes, WriteSafetensors %d", len(got), want.Len())
	}
	if err := m.SaveSafetensors(filepath.Dir(path)); err == nil || !strings.HasPrefix(err.Error(), "mdn: ") {
		t.Errorf("saving over a folder: %v, want an mdn: error", err)
	}
}
