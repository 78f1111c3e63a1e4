package mdn

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/internal/framed"
	"github.com/mixgraph/mixgraph/models"
)

// Fuzz modes: the fuzzed bytes are the whole file, or the body that the test frames
// with a valid header (length and checksum), so that mutations reach the JSON and the
// checks of the config, normalisation, columns and parameters.
const (
	fuzzRaw  = 0
	fuzzBody = 1
)

// fuzzSeedBodies returns model file bodies: three real ones (one an ensemble's) and
// crafted ones that must be refused.
func fuzzSeedBodies(f *testing.F) [][]byte {
	m := testModel(f, Config{InputDim: 2, OutputDim: 1, K: 2, Hidden: []int{3}, Seed: 1})
	if err := m.SetNormalization(models.Normalization{XMean: []float64{1, 2}, XStd: []float64{0.5, 3}, YMean: []float64{-1}, YStd: []float64{2}}); err != nil {
		f.Fatal(err)
	}
	if err := m.SetColumns([]string{"a", "b"}, []string{"y"}); err != nil {
		f.Fatal(err)
	}
	good := saveBody(f, m)
	m32 := testModel(f, Config{InputDim: 1, OutputDim: 2, K: 1, Hidden: []int{2, 2}, Seed: 2, DType: models.Float32, Scale: "softplus", Activation: "relu"})
	good32 := saveBody(f, m32)
	ens := testModel(f, Config{InputDim: 1, OutputDim: 1, K: 4, Members: 2, Hidden: []int{2}, Seed: 3})
	bodies := [][]byte{good, good32, saveBody(f, ens)}
	replace := func(old, new string) {
		if !bytes.Contains(good, []byte(old)) {
			f.Fatalf("the seed body holds no %s", old)
		}
		bodies = append(bodies, bytes.Replace(good, []byte(old), []byte(new), 1))
	}
	edit := func(fn func(*fileBody)) {
		fb := decodeBody(f, good)
		fn(&fb)
		bodies = append(bodies, encodeBody(f, fb))
	}
	replace(`"k":2`, `"k":1000000000`)
	replace(`"k":2`, `"k":-1`)
	replace(`"k":2`, `"k":0`)
	replace(`"seed":1`, `"seed":1,"members":-1`)
	replace(`"seed":1`, `"seed":1,"members":3`)
	replace(`"seed":1`, `"seed":1,"members":2000000000`)
	replace(`"input_dim":2`, `"input_dim":4000000000`)
	replace(`"input_dim":2`, `"input_dim":-4000000000`)
	replace(`"output_dim":1`, `"output_dim":16385`)
	replace(`"hidden":[3]`, `"hidden":[1000000000]`)
	replace(`"hidden":[3]`, `"hidden":[-3]`)
	replace(`"hidden":[3]`, `"hidden":[65536,65536]`)
	replace(`"hidden":[3]`, `"hidden":null`)
	replace(`"hidden":[3]`, `"hidden":[`+strings.Repeat("1,", 100)+`1]`)
	replace(`"activation":"tanh"`, `"activation":"TANH"`)
	replace(`"scale":"exp"`, `"scale":" Softplus "`)
	replace(`"dtype":"float64"`, `"dtype":"f32"`)
	replace(`"variance_floor":0`, `"variance_floor":-1e308`)
	replace(`"shape":[2,3]`, `"shape":[3,2]`)
	replace(`"shape":[2,3]`, `"shape":[9223372036854775807,9223372036854775807]`)
	replace(`"shape":[2,3]`, `"shape":[2,3,1,1,1,1]`)
	replace(`"values":[0,0,0]`, `"values":[0,NaN,0]`)
	replace(`"values":[0,0,0]`, `"values":[0,1e999,0]`)
	replace(`"values":[0,0,0]`, `"values":[0,"Infinity",0]`)
	replace(`"values":[0,0,0]`, `"values":[-0,1e308,-1e-320]`)
	replace(`"x_std":[0.5,3]`, `"x_std":[0.5,0]`)
	replace(`"x_std":[0.5,3]`, `"x_std":[0.5]`)
	replace(`"columns":{"x":["a","b"]`, `"columns":{"x":["a"]`)
	replace(`"columns":{"x":["a","b"]`, `"columns":{"x":["a","a"]`)
	replace(`"columns":{"x":["a","b"],"y":["y"]}`, `"columns":{}`)
	replace(`"columns":{"x":["a","b"],"y":["y"]}`, `"columns":null`)
	replace(`"name":"mdn.logits.W"`, `"name":"mdn.logits.w"`)
	replace(`"config"`, `"CONFIG"`)
	edit(func(b *fileBody) { b.Params = b.Params[:3] })
	edit(func(b *fileBody) { b.Params = append(b.Params, b.Params[0]) })
	edit(func(b *fileBody) { b.Columns = nil })
	full := testModel(f, Config{InputDim: 1, OutputDim: 3, K: 2, Hidden: []int{2}, Seed: 3, Covariance: CovarianceFull})
	goodFull := saveBody(f, full)
	bodies = append(bodies, goodFull,
		bytes.Replace(goodFull, []byte(`"covariance":"full"`), []byte(`"covariance":"banana"`), 1),
		bytes.Replace(goodFull, []byte(`"covariance":"full"`), []byte(`"covariance":"diagonal"`), 1),
		bytes.Replace(good, []byte(`"seed":1`), []byte(`"seed":1,"covariance":"full"`), 1))
	bodies = append(bodies, append(append([]byte(nil), good...), "{}"...))
	bodies = append(bodies, []byte(""), []byte("{}"), []byte("null"), []byte(`{"config":{"input_dim":1,"output_dim":1,"hidden":[1],"k":1},"normalization":{"x_mean":[0],"x_std":[1],"y_mean":[0],"y_std":[1]},"params":[]}`))
	return bodies
}

func FuzzLoad(f *testing.F) {
	for i, body := range fuzzSeedBodies(f) {
		f.Add(byte(fuzzBody), body)
		if i < 2 || i%5 == 0 {
			f.Add(byte(fuzzRaw), frame(f, body))
		}
	}
	f.Add(byte(fuzzRaw), []byte(`{"format":"mixgraph.mdn","version":1,"body_bytes":2,"sha256":"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}`+"\n{}\n"))
	f.Add(byte(fuzzRaw), []byte("not a model\n"))

	f.Fuzz(func(t *testing.T, mode byte, data []byte) {
		file := data
		if mode%2 == fuzzBody {
			file = frame(t, data)
		}
		// What Load must refuse, judged independently: a file that does not frame, or a
		// body whose config does not decode or does not validate (limits included).
		mustFail := false
		if body, err := framed.Read(file, FileFormat, FileVersion, "model file"); err != nil {
			mustFail = true
		} else {
			var cfgOnly struct {
				Config Config `json:"config"`
			}
			if json.Unmarshal(body, &cfgOnly) != nil || cfgOnly.Config.Validate() != nil {
				mustFail = true
			}
		}

		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := Load(bytes.NewReader(file))
		runtime.ReadMemStats(&after)
		if alloc, limit := after.TotalAlloc-before.TotalAlloc, uint64(64*len(file)+8<<20); alloc > limit {
			t.Fatalf("Load of %d bytes allocated %d bytes (limit %d); error %v", len(file), alloc, limit, err)
		}
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "mdn: ") || strings.ContainsAny(msg, "\n\r") || len(msg) > maxErrorBytes+len("…") {
				t.Fatalf("error %q is not one short line prefixed mdn:", msg)
			}
			return
		}
		if mustFail {
			t.Fatalf("Load accepted a file it must refuse")
		}
		cfg := m.Config()
		n, err := cfg.ParamCount()
		if err != nil || cfg.Validate() != nil || n > MaxParams || n != m.Params().Count() {
			t.Fatalf("loaded config %+v: ParamCount %d (%v), %d parameters, Validate %v", cfg, n, err, m.Params().Count(), cfg.Validate())
		}
		// What loads saves, and loads back to the same file.
		var a, b bytes.Buffer
		if err := m.Save(&a); err != nil {
			t.Fatalf("saving a loaded model: %v", err)
		}
		l, err := Load(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("loading a saved loaded model: %v", err)
		}
		if err := l.Save(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("save, load, save changed the file:\n%s\n%s", a.Bytes(), b.Bytes())
		}
		// The model builds and runs: a network whose outputs overflow gives no valid
		// mixture, but nothing else may fail.
		x := [][]float64{make([]float64, cfg.InputDim)}
		y := [][]float64{make([]float64, cfg.OutputDim)}
		if _, err := m.Predict(x); err != nil && !strings.HasPrefix(err.Error(), "mdn: input row 0: the network's output is not a valid mixture") {
			t.Fatalf("Predict: %v", err)
		}
		if _, err := m.LogLik(x, y); err != nil {
			t.Fatalf("LogLik: %v", err)
		}
	})
}
