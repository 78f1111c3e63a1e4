package exportcmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
)

// Tolerances of the PyTorch loader against Predict, relative (see mismatch). float64
// differs only in the order of the matrix products' sums and the last bits of tanh;
// float32 also in float32 rounding of those sums.
const (
	pythonTol64 = 1e-12
	pythonTol32 = 1e-5
)

const (
	python       = "/usr/bin/python3"
	loaderScript = "../../benchmarks/reference/load_mixgraph.py"
)

// TestPythonLoader exports models of every kind, rebuilds them in PyTorch with
// benchmarks/reference/load_mixgraph.py and compares the mixtures it predicts with
// Predict's. It is skipped under -short (each loader run imports torch, a few seconds)
// and where PyTorch or numpy is missing.
func TestPythonLoader(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the PyTorch comparison under -short")
	}
	if out, err := exec.Command(python, "-c", "import torch, numpy").CombinedOutput(); err != nil {
		t.Skipf("skipping: %s -c 'import torch, numpy' failed (%v: %.200s); install python3-torch to run it", python, err, out)
	}
	script, err := filepath.Abs(loaderScript)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  mdn.Config
	}{
		{"f64-tanh-exp", mdn.Config{InputDim: 1, OutputDim: 1, K: 5, Hidden: []int{20}, Activation: graph.Tanh, Scale: losses.ScaleExp}},
		{"f64-relu-softplus-floor", mdn.Config{InputDim: 3, OutputDim: 1, K: 4, Hidden: []int{16, 8}, Activation: graph.ReLU, Scale: losses.ScaleSoftplus, VarianceFloor: 0.01}},
		{"f64-D2-K3", mdn.Config{InputDim: 2, OutputDim: 2, K: 3, Hidden: []int{12, 12}, Activation: graph.Sigmoid, Scale: losses.ScaleELU}},
		{"f64-softplus-elu-floor", mdn.Config{InputDim: 2, OutputDim: 3, K: 2, Hidden: []int{10}, Activation: graph.Softplus, Scale: losses.ScaleELU, VarianceFloor: 0.5}},
		{"f64-ensemble", mdn.Config{InputDim: 2, OutputDim: 2, K: 6, Members: 3, Hidden: []int{15}, Activation: graph.Tanh, VarianceFloor: 0.01}},
		{"f32-ensemble", mdn.Config{InputDim: 1, OutputDim: 1, K: 10, Members: 5, Hidden: []int{20}, Activation: graph.Tanh, DType: models.Float32}},
		{"f32-tanh-exp", mdn.Config{InputDim: 1, OutputDim: 1, K: 5, Hidden: []int{32, 32}, Activation: graph.Tanh, DType: models.Float32}},
		{"f32-D2-K3-relu-softplus-floor", mdn.Config{InputDim: 2, OutputDim: 2, K: 3, Hidden: []int{16}, Activation: graph.ReLU, Scale: losses.ScaleSoftplus, VarianceFloor: 1e-3, DType: models.Float32}},
		{"f64-full-D3-K2-softplus-floor", mdn.Config{InputDim: 2, OutputDim: 3, K: 2, Hidden: []int{10}, Scale: losses.ScaleSoftplus, VarianceFloor: 0.05, Covariance: mdn.CovarianceFull}},
		{"f32-full-D2-K3", mdn.Config{InputDim: 1, OutputDim: 2, K: 3, Hidden: []int{12}, DType: models.Float32, Covariance: mdn.CovarianceFull}},
		{"f64-skip-D2-K3", mdn.Config{InputDim: 3, OutputDim: 2, K: 3, Hidden: []int{10}, Skip: true}},
		{"f32-skip-ensemble", mdn.Config{InputDim: 2, OutputDim: 2, K: 6, Members: 3, Hidden: []int{12}, DType: models.Float32, Skip: true}},
		{"f64-skip-full-D3-K2", mdn.Config{InputDim: 2, OutputDim: 3, K: 2, Hidden: []int{8}, Covariance: mdn.CovarianceFull, Skip: true}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			seed := uint64(100 + i)
			c.cfg.Seed = seed
			dir := t.TempDir()
			model := filepath.Join(dir, "m.mdn")
			randomModel(t, model, c.cfg, seed)
			export := filepath.Join(dir, "m.safetensors")
			if code, _, stderr := runMain("-model", model, "-out", export); code != 0 {
				t.Fatalf("export: exit %d: %s", code, stderr)
			}
			m, err := mdn.LoadFile(model)
			if err != nil {
				t.Fatal(err)
			}
			x := inputs(c.cfg.InputDim)
			want, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			got := runLoader(t, script, export, x)

			tol := pythonTol64
			if c.cfg.DType == models.Float32 {
				tol = pythonTol32
			}
			yStd := m.Normalization().YStd
			var worst worstMismatch
			for r, w := range want {
				for k := range w.Weights {
					worst.note("pi", r, k, -1, got.Pi[r][k], w.Weights[k], w.Weights[k])
					worst.note("log_pi", r, k, -1, got.LogPi[r][k], math.Log(w.Weights[k]), math.Max(1, math.Abs(math.Log(w.Weights[k]))))
					for d := range w.Means[k] {
						worst.note("mu", r, k, d, got.Mu[r][k][d], w.Means[k][d], math.Max(math.Abs(w.Means[k][d]), yStd[d]))
						worst.note("sigma", r, k, d, got.Sigma[r][k][d], w.StdDevs[k][d], w.StdDevs[k][d])
						if w.Cholesky != nil {
							dim := len(w.Means[k])
							for e := range dim {
								// Relative to the row's scale, σ_kd = ‖row d of L_k‖.
								worst.note("chol", r, k, d, got.Chol[r][k][d][e], w.Cholesky[k][d*dim+e], w.StdDevs[k][d])
							}
						}
					}
					if (w.Cholesky != nil) != (got.Chol != nil) {
						t.Fatalf("row %d: Predict's Cholesky factors %v, the loader's %v", r, w.Cholesky != nil, got.Chol != nil)
					}
				}
			}
			t.Logf("seed %d, %d rows: worst relative mismatch %.3g (%s), tolerance %g", seed, len(x), worst.rel, worst.where, tol)
			if !(worst.rel <= tol) {
				t.Errorf("seed %d: worst relative mismatch %.3g at %s above %g", seed, worst.rel, worst.where, tol)
			}
		})
	}
}

// randomModel saves a model of cfg to path whose weights are all drawn from N(0, 0.7²)
// (so that the output depends strongly on x, unlike a new model's small heads) and whose
// normalisation is not the identity.
func randomModel(t *testing.T, path string, cfg mdn.Config, seed uint64) {
	t.Helper()
	m, err := mdn.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := graph.NewRand(seed)
	vals := make([]float64, m.Params().Count())
	for i := range vals {
		vals[i] = 0.7 * rng.NormFloat64()
	}
	if err := m.Params().SetFlat(vals); err != nil {
		t.Fatal(err)
	}
	n := models.IdentityNormalization(cfg.InputDim, cfg.OutputDim)
	for i := range n.XMean {
		n.XMean[i], n.XStd[i] = 1.5*rng.NormFloat64(), math.Exp(rng.NormFloat64())
	}
	for j := range n.YMean {
		n.YMean[j], n.YStd[j] = 10*rng.NormFloat64(), math.Exp(2*rng.NormFloat64())
	}
	if err := m.SetNormalization(n); err != nil {
		t.Fatal(err)
	}
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
}

// inputs are fixed rows in original units, from near the centre to far out.
func inputs(dim int) [][]float64 {
	vals := []float64{0, 0.1, -0.7, 1.3, -2.9, 4.2, 12.5, -30, 1e-3, 7.77}
	x := make([][]float64, len(vals))
	for r := range x {
		x[r] = make([]float64, dim)
		for j := range x[r] {
			x[r][j] = vals[(r+3*j)%len(vals)] * (1 + 0.5*float64(j))
		}
	}
	return x
}

// loaderOutput is what load_mixgraph.py prints.
type loaderOutput struct {
	DType string          `json:"dtype"`
	Pi    [][]float64     `json:"pi"`
	LogPi [][]float64     `json:"log_pi"`
	Mu    [][][]float64   `json:"mu"`
	Sigma [][][]float64   `json:"sigma"`
	Chol  [][][][]float64 `json:"chol"`
}

func runLoader(t *testing.T, script, export string, x [][]float64) loaderOutput {
	t.Helper()
	in, err := json.Marshal(map[string]any{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, script, export)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v: %s", python, script, err, stderr.String())
	}
	var out loaderOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("loader output %.300q: %v", stdout.String(), err)
	}
	if len(out.Pi) != len(x) || len(out.LogPi) != len(x) || len(out.Mu) != len(x) || len(out.Sigma) != len(x) {
		t.Fatalf("loader gave %d/%d/%d/%d rows for %d inputs", len(out.Pi), len(out.LogPi), len(out.Mu), len(out.Sigma), len(x))
	}
	return out
}

// worstMismatch keeps the largest relative mismatch |got − want| / scale seen.
type worstMismatch struct {
	rel   float64
	where string
}

func (w *worstMismatch) note(what string, row, k, d int, got, want, scale float64) {
	rel := math.Abs(got-want) / scale
	if math.IsNaN(rel) {
		rel = math.Inf(1)
	}
	if rel > w.rel || w.where == "" {
		w.rel = rel
		w.where = fmt.Sprintf("%s row %d component %d", what, row, k)
		if d >= 0 {
			w.where += fmt.Sprintf(" dim %d", d)
		}
		w.where += fmt.Sprintf(": got %g, want %g", got, want)
	}
}
