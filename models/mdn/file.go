package mdn

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/internal/framed"
	"github.com/mixgraph/mixgraph/models"
)

// The model file format (framed by internal/framed):
//
//	line 1: a JSON header {"format":"mixgraph.mdn","version":1,"body_bytes":N,"sha256":"…"}
//	then:   a JSON body of exactly N bytes whose SHA-256 is the header's sha256:
//	        {"config":{…},"normalization":{…},"params":[{"name","shape","values"},…]}
//
// Values are written in Go's shortest round-trip decimal form, so float64 and float32
// weights load back bit for bit. The header is read first, so a file of another kind or
// version is refused before its body is parsed; a truncated or altered body fails the
// length or checksum test.
const (
	FileFormat  = "mixgraph.mdn"
	FileVersion = 1
	// maxFileBytes bounds what Load reads.
	maxFileBytes = 1 << 30
)

type fileBody struct {
	Config        Config      `json:"config"`
	Normalization fileNorm    `json:"normalization"`
	Params        []fileParam `json:"params"`
}

type fileNorm struct {
	XMean []float64 `json:"x_mean"`
	XStd  []float64 `json:"x_std"`
	YMean []float64 `json:"y_mean"`
	YStd  []float64 `json:"y_std"`
}

type fileParam struct {
	Name   string    `json:"name"`
	Shape  []int     `json:"shape"`
	Values []float64 `json:"values"`
}

// Save writes the model (config, normalisation and weights) to w in the model file
// format. A model holding a NaN or infinite weight is refused: nothing is written.
func (m *Model) Save(w io.Writer) error {
	body := fileBody{
		Config: m.Config(),
		Normalization: fileNorm{
			XMean: m.norm.XMean, XStd: m.norm.XStd, YMean: m.norm.YMean, YStd: m.norm.YStd,
		},
	}
	for _, p := range m.params.List() {
		vals := p.Value.Shape().Clone()
		fp := fileParam{Name: p.Name, Shape: []int(vals)}
		fp.Values = graphValues(p)
		for i, v := range fp.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("mdn: parameter %q value %d is %g; refusing to save", p.Name, i, v)
			}
		}
		body.Params = append(body.Params, fp)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("mdn: encoding the model: %w", err)
	}
	bw := bufio.NewWriter(w)
	if err := framed.Write(bw, FileFormat, FileVersion, b); err != nil {
		return err
	}
	return bw.Flush()
}

// SaveFile writes the model to path atomically: the file is either the complete new
// model or whatever was there before.
func (m *Model) SaveFile(path string) error {
	return atomicfile.Write(path, m.Save)
}

// Load reads a model written by Save. A file that is not a model file, of another
// version, truncated, altered, or whose weights do not fit its config is an error.
func Load(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("mdn: reading the model: %w", err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("mdn: model file larger than %d bytes", maxFileBytes)
	}
	body, err := framed.Read(data, FileFormat, FileVersion, "model file")
	if err != nil {
		return nil, fmt.Errorf("mdn: %w", err)
	}
	var fb fileBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fb); err != nil {
		return nil, fmt.Errorf("mdn: model file body: %w", err)
	}
	m, err := New(fb.Config)
	if err != nil {
		return nil, fmt.Errorf("mdn: model file config: %w", err)
	}
	if err := m.SetNormalization(models.Normalization{XMean: fb.Normalization.XMean, XStd: fb.Normalization.XStd, YMean: fb.Normalization.YMean, YStd: fb.Normalization.YStd}); err != nil {
		return nil, err
	}
	list := m.params.List()
	if len(fb.Params) != len(list) {
		return nil, fmt.Errorf("mdn: model file has %d parameters, its config needs %d", len(fb.Params), len(list))
	}
	var flat []float64
	for i, p := range list {
		fp := fb.Params[i]
		if fp.Name != p.Name {
			return nil, fmt.Errorf("mdn: model file parameter %d is %q, want %q", i, fp.Name, p.Name)
		}
		if !p.Value.Shape().Eq(fp.Shape) || len(fp.Values) != p.Size() {
			return nil, fmt.Errorf("mdn: model file parameter %q has shape %v and %d values, its config needs shape %v", fp.Name, fp.Shape, len(fp.Values), p.Value.Shape())
		}
		flat = append(flat, fp.Values...)
	}
	if err := m.params.SetFlat(flat); err != nil {
		return nil, err
	}
	return m, nil
}

// LoadFile reads a model file.
func LoadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mdn: %w", err)
	}
	defer f.Close()
	m, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}
