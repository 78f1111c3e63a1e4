package mdn

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/models"
)

// The model file format. A file is two parts:
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

type fileHeader struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	BodyBytes int64  `json:"body_bytes"`
	SHA256    string `json:"sha256"`
}

type fileBody struct {
	Config        Config          `json:"config"`
	Normalization fileNorm        `json:"normalization"`
	Params        []fileParam     `json:"params"`
	Extra         json.RawMessage `json:"extra,omitempty"`
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
	return m.save(w, nil)
}

// save writes the model with optional extra JSON (used by checkpoints).
func (m *Model) save(w io.Writer, extra json.RawMessage) error {
	body := fileBody{
		Config: m.Config(),
		Normalization: fileNorm{
			XMean: m.norm.XMean, XStd: m.norm.XStd, YMean: m.norm.YMean, YStd: m.norm.YStd,
		},
		Extra: extra,
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
	sum := sha256.Sum256(b)
	h, err := json.Marshal(fileHeader{Format: FileFormat, Version: FileVersion, BodyBytes: int64(len(b)), SHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.Write(h)
	bw.WriteByte('\n')
	bw.Write(b)
	bw.WriteByte('\n')
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
	m, _, err := load(r)
	return m, err
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

func load(r io.Reader) (*Model, json.RawMessage, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("mdn: reading the model: %w", err)
	}
	if len(data) > maxFileBytes {
		return nil, nil, fmt.Errorf("mdn: model file larger than %d bytes", maxFileBytes)
	}
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return nil, nil, errors.New("mdn: not a model file (no header line)")
	}
	var h fileHeader
	if err := json.Unmarshal(data[:nl], &h); err != nil || h.Format != FileFormat {
		return nil, nil, fmt.Errorf("mdn: not a model file (header is not a %s header)", FileFormat)
	}
	if h.Version != FileVersion {
		return nil, nil, fmt.Errorf("mdn: model file version %d, this build reads version %d", h.Version, FileVersion)
	}
	body := bytes.TrimSuffix(data[nl+1:], []byte("\n"))
	if int64(len(body)) != h.BodyBytes {
		return nil, nil, fmt.Errorf("mdn: model file truncated or padded: body has %d bytes, header says %d", len(body), h.BodyBytes)
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != h.SHA256 {
		return nil, nil, errors.New("mdn: model file is corrupted (checksum mismatch)")
	}
	var fb fileBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fb); err != nil {
		return nil, nil, fmt.Errorf("mdn: model file body: %w", err)
	}
	m, err := New(fb.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("mdn: model file config: %w", err)
	}
	if err := m.SetNormalization(models.Normalization{XMean: fb.Normalization.XMean, XStd: fb.Normalization.XStd, YMean: fb.Normalization.YMean, YStd: fb.Normalization.YStd}); err != nil {
		return nil, nil, err
	}
	list := m.params.List()
	if len(fb.Params) != len(list) {
		return nil, nil, fmt.Errorf("mdn: model file has %d parameters, its config needs %d", len(fb.Params), len(list))
	}
	var flat []float64
	for i, p := range list {
		fp := fb.Params[i]
		if fp.Name != p.Name {
			return nil, nil, fmt.Errorf("mdn: model file parameter %d is %q, want %q", i, fp.Name, p.Name)
		}
		if !p.Value.Shape().Eq(fp.Shape) || len(fp.Values) != p.Size() {
			return nil, nil, fmt.Errorf("mdn: model file parameter %q has shape %v and %d values, its config needs shape %v", fp.Name, fp.Shape, len(fp.Values), p.Value.Shape())
		}
		flat = append(flat, fp.Values...)
	}
	if err := m.params.SetFlat(flat); err != nil {
		return nil, nil, err
	}
	return m, fb.Extra, nil
}
