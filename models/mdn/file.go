package mdn

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"unicode/utf8"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/internal/framed"
	"github.com/mixgraph/mixgraph/models"
)

// The model file format (framed by internal/framed):
//
//	line 1: a JSON header {"format":"mixgraph.mdn","version":1,"body_bytes":N,"sha256":"…"}
//	then:   a JSON body of exactly N bytes whose SHA-256 is the header's sha256:
//	        {"config":{…},"normalization":{…},"columns":{"x":[…],"y":[…]},
//	         "params":[{"name","shape","values"},…]}
//
// "columns" holds the input and target column names and is left out when the model has
// none (files written before it existed load unchanged). Values are written in Go's
// shortest round-trip decimal form, so float64 and float32 weights load back bit for
// bit. The header is read first, so a file of another kind or version is refused before
// its body is parsed; a truncated or altered body fails the length or checksum test.
const (
	FileFormat  = "mixgraph.mdn"
	FileVersion = 1
	// maxFileBytes bounds what Load reads. Every config within the size limits fits:
	// MaxParams values of at most 26 bytes each (see MaxParams).
	maxFileBytes = 1 << 30
	// maxErrorBytes bounds the length of Load's error messages, which may quote names
	// and values taken from the file.
	maxErrorBytes = 400
)

type fileBody struct {
	Config        Config       `json:"config"`
	Normalization fileNorm     `json:"normalization"`
	Columns       *fileColumns `json:"columns,omitempty"`
	Params        []fileParam  `json:"params"`
}

type fileNorm struct {
	XMean []float64 `json:"x_mean"`
	XStd  []float64 `json:"x_std"`
	YMean []float64 `json:"y_mean"`
	YStd  []float64 `json:"y_std"`
}

type fileColumns struct {
	X []string `json:"x"`
	Y []string `json:"y"`
}

type fileParam struct {
	Name   string    `json:"name"`
	Shape  []int     `json:"shape"`
	Values []float64 `json:"values"`
}

// Save writes the model (config, normalisation, column names and weights) to w in the
// model file format. A model holding a NaN or infinite weight is refused: nothing is
// written.
func (m *Model) Save(w io.Writer) error {
	n := m.Normalization()
	body := fileBody{
		Config:        m.Config(),
		Normalization: fileNorm{XMean: n.XMean, XStd: n.XStd, YMean: n.YMean, YStd: n.YStd},
	}
	if m.xCols != nil {
		body.Columns = &fileColumns{X: m.xCols, Y: m.yCols}
	}
	for _, p := range m.Params().List() {
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
		return fmt.Errorf("mdn: writing the model: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mdn: writing the model: %w", err)
	}
	return nil
}

// SaveFile writes the model to path atomically: the file is either the complete new
// model or whatever was there before.
func (m *Model) SaveFile(path string) error {
	return prefixed(atomicfile.Write(path, m.Save))
}

// Load reads a model written by Save. A file that is not a model file, of another
// version, truncated or altered is an error; so is a body whose config is invalid or
// beyond the size limits (MaxK, MaxWidth, MaxDim, MaxLayers, MaxParams), whose
// normalisation or column names do not fit the config, or whose parameters are not
// exactly those the config makes (names, order, shapes) with finite values that fit the
// dtype. All of it is checked before the model is built, so what Load allocates stays
// in proportion to the file's size (a few tens of bytes per value the file holds),
// whatever sizes the file's config claims.
func Load(r io.Reader) (*Model, error) {
	m, err := load(r)
	if err != nil {
		return nil, clipError(err)
	}
	return m, nil
}

func load(r io.Reader) (*Model, error) {
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
		if err == io.EOF {
			return nil, fmt.Errorf("mdn: model file body is empty")
		}
		return nil, fmt.Errorf("mdn: model file body: %s", unprefixed(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("mdn: model file body has more after its JSON object")
	}
	if err := fb.Config.Validate(); err != nil {
		return nil, fmt.Errorf("mdn: model file config: %s", unprefixed(err))
	}
	cfg := fb.Config.withDefaults()
	norm := models.Normalization{XMean: fb.Normalization.XMean, XStd: fb.Normalization.XStd, YMean: fb.Normalization.YMean, YStd: fb.Normalization.YStd}
	if err := norm.Validate(cfg.InputDim, cfg.OutputDim); err != nil {
		return nil, fmt.Errorf("mdn: model file %s", unprefixed(err))
	}
	if fb.Columns != nil {
		if err := checkColumns(fb.Columns.X, fb.Columns.Y, cfg.InputDim, cfg.OutputDim); err != nil {
			return nil, fmt.Errorf("mdn: model file columns: %s", unprefixed(err))
		}
	}
	if err := checkParams(fb.Params, cfg); err != nil {
		return nil, err
	}

	// Everything fits: build the model and fill it in.
	m, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("mdn: model file config: %s", unprefixed(err))
	}
	if err := m.SetNormalization(norm); err != nil {
		return nil, err
	}
	if fb.Columns != nil {
		m.xCols, m.yCols = fb.Columns.X, fb.Columns.Y
	}
	list := m.Params().List()
	if len(list) != len(fb.Params) {
		return nil, fmt.Errorf("mdn: the model has %d parameters, the file %d (checkParams missed it)", len(list), len(fb.Params))
	}
	for i, p := range list {
		fp := fb.Params[i]
		if p.Name != fp.Name || p.Size() != len(fp.Values) {
			return nil, fmt.Errorf("mdn: the model's parameter %d is %q of %d values, the file's %.40q of %d (checkParams missed it)", i, p.Name, p.Size(), fp.Name, len(fp.Values))
		}
		graph.CopyFromFloat64s(p.Value, fp.Values)
	}
	return m, nil
}

// paramShape is the name and shape of one parameter New makes.
type paramShape struct {
	name  string
	shape [2]int
}

// paramShapes lists the parameters New(c) makes, in order, for c valid and with
// defaults: every dense layer's weight (in, out) and bias (1, out), the body's layers
// first, then the logits, means and scales heads, for full covariances the
// off-diagonal head, and with Skip the skip matrix.
func (c Config) paramShapes() []paramShape {
	var ps []paramShape
	dense := func(name string, in, out int) {
		ps = append(ps, paramShape{name + ".W", [2]int{in, out}}, paramShape{name + ".b", [2]int{1, out}})
	}
	prev := c.InputDim
	for i, w := range c.Hidden {
		dense(fmt.Sprintf("mdn.body.%d", i), prev, w)
		prev = w
	}
	dense("mdn.logits", prev, c.K)
	dense("mdn.means", prev, c.K*c.OutputDim)
	dense("mdn.scales", prev, c.K*c.OutputDim)
	if m := c.offDiagonals(); m > 0 {
		dense("mdn.offdiag", prev, c.K*m)
	}
	if c.Skip {
		ps = append(ps, paramShape{skipName, [2]int{c.InputDim, c.groups() * c.OutputDim}})
	}
	return ps
}

// checkParams checks that the file's parameters are exactly those cfg (valid, with
// defaults) makes, with finite values that fit cfg's dtype.
func checkParams(params []fileParam, cfg Config) error {
	want := cfg.paramShapes()
	if len(params) != len(want) {
		return fmt.Errorf("mdn: model file has %d parameters, its config needs %d", len(params), len(want))
	}
	f32 := cfg.DType == models.Float32
	for i, w := range want {
		fp := params[i]
		if fp.Name != w.name {
			return fmt.Errorf("mdn: model file parameter %d is %.40q, want %q", i, fp.Name, w.name)
		}
		if len(fp.Shape) != 2 || fp.Shape[0] != w.shape[0] || fp.Shape[1] != w.shape[1] {
			return fmt.Errorf("mdn: model file parameter %q has shape %s, its config needs %v", w.name, shapeString(fp.Shape), w.shape)
		}
		if n := w.shape[0] * w.shape[1]; len(fp.Values) != n {
			return fmt.Errorf("mdn: model file parameter %q has %d values, its shape %v needs %d", w.name, len(fp.Values), w.shape, n)
		}
		for j, v := range fp.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("mdn: model file parameter %q value %d is %g", w.name, j, v)
			}
			if f32 && math.IsInf(float64(float32(v)), 0) {
				return fmt.Errorf("mdn: model file parameter %q value %d is %g, beyond float32", w.name, j, v)
			}
		}
	}
	return nil
}

// shapeString formats a shape read from a file, eliding all but its first dimensions.
func shapeString(s []int) string {
	if len(s) <= 4 {
		return fmt.Sprint(s)
	}
	return fmt.Sprintf("%v… (%d dimensions)", s[:4], len(s))
}

// clipError shortens an error message longer than maxErrorBytes (at a rune boundary):
// Load's errors may quote names and values from the file.
func clipError(err error) error {
	msg := err.Error()
	if len(msg) <= maxErrorBytes {
		return err
	}
	cut := maxErrorBytes
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return errors.New(msg[:cut] + "…")
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
