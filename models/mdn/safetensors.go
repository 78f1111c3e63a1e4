package mdn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/models"
)

// The safetensors export (https://github.com/huggingface/safetensors), for rebuilding a
// model outside Go (benchmarks/reference/load_mixgraph.py rebuilds it in PyTorch):
//
//	bytes 0–7:   N, the header's length, a little-endian uint64
//	bytes 8–8+N: the header, a JSON object padded with spaces so that N is a multiple of 8:
//	             {"__metadata__":{string: string},
//	              "<name>":{"dtype":"F64"|"F32","shape":[…],"data_offsets":[begin,end]}, …}
//	then:        the data section: every tensor's values, little-endian, row-major, one
//	             after another in header order; data_offsets count bytes from the start
//	             of the data section.
//
// The tensors are every parameter by its name in Params().List() order ("mdn.body.0.W"
// of shape (in, out), "mdn.body.0.b" of shape (1, out), …, then the heads "mdn.logits",
// "mdn.means" and "mdn.scales", for a config with "covariance":"full" "mdn.offdiag", and
// for one with "skip":true the skip matrix "mdn.skip.A" of shape (InputDim, G·D)),
// in the model's dtype (F64, or F32 holding the float32
// weights exactly), then the normalisation "x_mean", "x_std" (InputDim) and "y_mean",
// "y_std" (OutputDim) as F64 vectors. The metadata holds
//
//	"format":         SafetensorsFormat
//	"format_version": SafetensorsVersion, in decimal
//	"config":         the JSON of Config() (defaults filled in)
//	"columns":        the JSON {"x":[…],"y":[…]} of the column names; absent without names
//
// What the tensors compute, for a row x in original units:
//
//	x' = (x − x_mean) / x_std
//	h  = act(… act(x'·W₀ + b₀) …·W_L + b_L)            act on every hidden layer
//	z  = h·W_logits + b_logits                          (K)
//	m  = h·W_means + b_means,  s = h·W_scales + b_scales (K·D, component-major: [k·D + d])
//	m_kd = m_kd + (x′·A_g)_d    when "skip" is true: A_g the columns [g·D, (g+1)·D) of
//	                            "mdn.skip.A", g = ⌊k/(K/G)⌋ the member of component k,
//	                            G = max(1, M), in the network's dtype
//	z_g = z_g − log Σ exp(z_g)  for each group g of K/M logits, when "members" M > 1
//	π  = softmax(z),  μ_kd = m_kd·y_std_d + y_mean_d,  σ_kd = √(t(s_kd)² + floor)·y_std_d
//
// and for "covariance":"full" the components' lower-triangular Cholesky factors L_k of
// Σ_k = L_k L_kᵀ, in place of σ (which is then L_k's diagonal):
//
//	o  = h·W_offdiag + b_offdiag   (K·M, M = D(D−1)/2; entry (i, j), i > j, at k·M + i(i−1)/2 + j)
//	L_kii = √(t(s_ki)² + floor)·y_std_i,  L_kij = o_kij·y_std_i (i > j),  0 above
//
// with act and t, the scale transform, named by the config's "activation" and "scale"
// (see graph.Activation and losses.Scale.Sigma) and floor its "variance_floor". For a
// float32 model the network runs in float32 on x' rounded to float32, and the last line
// in float64, as Predict does.
//
// The z_g line applies to an ensemble (Config.Members = M > 1, see Combine) only: its K
// logits are M consecutive groups, each replaced by its own log-softmax in the
// network's dtype, so that the softmax gives every member's weights divided by M.
const (
	SafetensorsFormat  = "mixgraph.mdn.safetensors"
	SafetensorsVersion = 1
)

// WriteSafetensors writes the model's weights, normalisation, config and column names
// to w in the safetensors format described above. A model holding a NaN or infinite
// weight is refused: nothing is written. Like Save, it only reads the model and is safe
// for concurrent use with Predict and the other read-only methods.
func (m *Model) WriteSafetensors(w io.Writer) error {
	type tensor struct {
		name  string
		dtype string
		shape []int
		data  []byte
	}
	var ts []tensor
	for _, p := range m.Params().List() {
		t := tensor{name: p.Name, shape: []int(p.Value.Shape().Clone())}
		switch m.cfg.DType {
		case models.Float32: // the tensor's own values: no rounding on the way
			vals := p.Value.Float32s()
			t.dtype, t.data = "F32", make([]byte, 0, 4*len(vals))
			for i, v := range vals {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return fmt.Errorf("mdn: parameter %q value %d is %g; refusing to export", p.Name, i, v)
				}
				t.data = binary.LittleEndian.AppendUint32(t.data, math.Float32bits(v))
			}
		default:
			vals := graph.AppendFloat64s(nil, p.Value)
			t.dtype, t.data = "F64", f64Bytes(vals)
			for i, v := range vals {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("mdn: parameter %q value %d is %g; refusing to export", p.Name, i, v)
				}
			}
		}
		ts = append(ts, t)
	}
	n := m.Normalization()
	for _, v := range []struct {
		name string
		vals []float64
	}{{"x_mean", n.XMean}, {"x_std", n.XStd}, {"y_mean", n.YMean}, {"y_std", n.YStd}} {
		ts = append(ts, tensor{name: v.name, dtype: "F64", shape: []int{len(v.vals)}, data: f64Bytes(v.vals)})
	}

	cfg, err := json.Marshal(m.Config())
	if err != nil {
		return fmt.Errorf("mdn: encoding the config: %w", err)
	}
	meta := [][2]string{
		{"format", SafetensorsFormat},
		{"format_version", fmt.Sprint(SafetensorsVersion)},
		{"config", string(cfg)},
	}
	if m.xCols != nil {
		cols, err := json.Marshal(fileColumns{X: m.xCols, Y: m.yCols})
		if err != nil {
			return fmt.Errorf("mdn: encoding the column names: %w", err)
		}
		meta = append(meta, [2]string{"columns", string(cols)})
	}

	// The header is written by hand so that its keys keep their order: encoding/json
	// sorts a map's keys, and the tensors' order is the data's.
	var h bytes.Buffer
	h.WriteString(`{"__metadata__":{`)
	for i, kv := range meta {
		if i > 0 {
			h.WriteByte(',')
		}
		writeJSONString(&h, kv[0])
		h.WriteByte(':')
		writeJSONString(&h, kv[1])
	}
	h.WriteByte('}')
	off := 0
	for _, t := range ts {
		h.WriteByte(',')
		writeJSONString(&h, t.name)
		shape, err := json.Marshal(t.shape)
		if err != nil {
			return fmt.Errorf("mdn: encoding a shape: %w", err)
		}
		fmt.Fprintf(&h, `:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, t.dtype, shape, off, off+len(t.data))
		off += len(t.data)
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}

	bw := bufio.NewWriter(w)
	var size [8]byte
	binary.LittleEndian.PutUint64(size[:], uint64(h.Len()))
	bw.Write(size[:])
	bw.Write(h.Bytes())
	for _, t := range ts {
		bw.Write(t.data)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mdn: writing the safetensors file: %w", err)
	}
	return nil
}

// SaveSafetensors writes the model to path in the safetensors format, atomically: the
// file is either the complete export or whatever was there before.
func (m *Model) SaveSafetensors(path string) error {
	return prefixed(atomicfile.Write(path, m.WriteSafetensors))
}

// f64Bytes returns vals as little-endian IEEE 754 binary64.
func f64Bytes(vals []float64) []byte {
	b := make([]byte, 0, 8*len(vals))
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// writeJSONString writes s as a JSON string (encoding/json's escaping, without its
// trailing newline).
func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // a string always encodes
	b.Write(q)
}
