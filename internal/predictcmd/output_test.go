package predictcmd

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/models/mdn"
)

// tinyComponentModel writes a model whose mixture is the same for every input: logits
// (0, −1000), so that π_1 = e^−1000 underflows to 0, means (0, 100) and standard
// deviations (1, 10). At y = 100 the density is all in component 1.
func tinyComponentModel(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.mdn"), filepath.Join(dir, "tiny.mdn")
	namedModel(t, src, []string{"x"}, []string{"y"})
	heads := map[string][]float64{
		"mdn.logits.b": {0, -1000},
		"mdn.means.b":  {0, 100},
		"mdn.scales.b": {0, math.Log(10)}, // σ = e^s (the default scale, no floor)
	}
	crafted(t, src, dst, func(body map[string]any) {
		for _, p := range body["params"].([]any) {
			p := p.(map[string]any)
			name := p["name"].(string)
			vals := p["values"].([]any)
			switch {
			case heads[name] != nil:
				for i, v := range heads[name] {
					vals[i] = v
				}
			case strings.HasPrefix(name, "mdn.logits.") || strings.HasPrefix(name, "mdn.means.") || strings.HasPrefix(name, "mdn.scales."):
				for i := range vals {
					vals[i] = 0.0
				}
			}
		}
	})
	return dst
}

// exportLogProb scores y under the mixture one CSV row describes, from its log_pi_k,
// mu_k_y and sigma_k_y columns alone: log Σ_k exp(log π_k + log N(y | μ_k, σ_k²)).
func exportLogProb(t *testing.T, head, rec []string, k int, y float64, logPi bool) float64 {
	t.Helper()
	col := map[string]float64{}
	for i, h := range head {
		v, err := strconv.ParseFloat(rec[i], 64)
		if err != nil {
			t.Fatalf("column %s: %v", h, err)
		}
		col[h] = v
	}
	terms := make([]float64, k)
	mx := math.Inf(-1)
	for c := range terms {
		lw := math.Log(col["pi_"+strconv.Itoa(c)])
		if logPi {
			lw = col["log_pi_"+strconv.Itoa(c)]
		}
		mu, sd := col["mu_"+strconv.Itoa(c)+"_y"], col["sigma_"+strconv.Itoa(c)+"_y"]
		z := (y - mu) / sd
		terms[c] = lw - 0.5*math.Log(2*math.Pi) - math.Log(sd) - 0.5*z*z
		mx = math.Max(mx, terms[c])
	}
	s := 0.0
	for _, v := range terms {
		s += math.Exp(v - mx)
	}
	return mx + math.Log(s)
}

// TestExportedLogPi: a row scored from the exported log_pi, mu and sigma agrees with the
// model's LogLik to rounding, where π alone (0 for the component holding the density)
// is off by thousands; the JSON lines carry the same log_pi.
func TestExportedLogPi(t *testing.T) {
	model := tinyComponentModel(t)
	m, err := mdn.LoadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	xs := []float64{0.3, -2}
	const y = 100.0
	out, err := runPredict(t, "x\n0.3\n-2\n", "-model", model, "-quantiles", "")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := recs[0]
	for i, x := range xs {
		ll, err := m.LogLik([][]float64{{x}}, [][]float64{{y}})
		if err != nil {
			t.Fatal(err)
		}
		got := exportLogProb(t, head, recs[i+1], 2, y, true)
		if math.Abs(got-ll[0]) > 1e-12*math.Abs(ll[0]) {
			t.Errorf("row %d: log p(%g) from the exported log_pi %.17g, LogLik %.17g", i, y, got, ll[0])
		}
		if fromPi := exportLogProb(t, head, recs[i+1], 2, y, false); math.Abs(fromPi-ll[0]) < 100 {
			t.Errorf("row %d: π alone gives %g, near LogLik %g: the test does not test", i, fromPi, ll[0])
		}
	}
	out, err = runPredict(t, "x\n0.3\n", "-model", model, "-format", "jsonl", "-quantiles", "")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Pi    []float64 `json:"pi"`
		LogPi []float64 `json:"log_pi"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.LogPi) != 2 || p.LogPi[0] != 0 || math.Abs(p.LogPi[1]+1000) > 1e-9 || p.Pi[1] != 0 {
		t.Errorf("jsonl: pi %v, log_pi %v; want pi (1, 0), log_pi (0, -1000)", p.Pi, p.LogPi)
	}
}

// TestSpread: -spread std (the default) writes std_ columns only, iqr writes iqr_ in
// their place, both writes both; the IQR is the library's, per target dimension.
func TestSpread(t *testing.T) {
	header := func(out string) string { return strings.SplitN(out, "\n", 2)[0] }
	model := testModelFile(t, 1)
	def, err := runPredict(t, inputs, "-model", model)
	if err != nil {
		t.Fatal(err)
	}
	std, err := runPredict(t, inputs, "-model", model, "-spread", "std")
	if err != nil {
		t.Fatal(err)
	}
	if def != std {
		t.Errorf("-spread std differs from the default")
	}
	if h := header(def); !strings.HasPrefix(h, "x,mean_0,std_0,mode_0,q0.05,q0.5,q0.95,pi_0,log_pi_0,mu_0_0,sigma_0_0,pi_1,log_pi_1,") || strings.Contains(h, "iqr") {
		t.Errorf("default header %q", h)
	}
	iqr, err := runPredict(t, inputs, "-model", model, "-spread", "iqr")
	if err != nil {
		t.Fatal(err)
	}
	if h := header(iqr); !strings.HasPrefix(h, "x,mean_0,iqr_0,mode_0,q0.05,") {
		t.Errorf("-spread iqr header %q", h)
	}
	m, err := mdn.LoadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	mix, err := m.Predict([][]float64{{0.1}, {0.5}, {0.9}})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(iqr)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, mx := range mix {
		want := mx.IQR()[0]
		if got, _ := strconv.ParseFloat(recs[i+1][2], 64); got != want {
			t.Errorf("row %d: iqr_0 %s, want %v", i, recs[i+1][2], want)
		}
	}
	model2 := testModelFile(t, 2)
	both, err := runPredict(t, inputs, "-model", model2, "-spread", "both")
	if err != nil {
		t.Fatal(err)
	}
	if h := header(both); !strings.HasPrefix(h, "x,mean_0,std_0,iqr_0,mode_0,mean_1,std_1,iqr_1,mode_1,pi_0,log_pi_0,") {
		t.Errorf("-spread both header %q", h)
	}
	js, err := runPredict(t, inputs, "-model", model2, "-spread", "iqr", "-format", "jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(js, "\n", 2)[0]), &p); err != nil {
		t.Fatal(err)
	}
	if iq, ok := p["iqr"].([]any); !ok || len(iq) != 2 || p["std"] != nil {
		t.Errorf("-spread iqr jsonl: iqr %v, std %v; want two iqr values and no std", p["iqr"], p["std"])
	}
}

// TestNoMode: -mode=false leaves out the mode_ columns (CSV) and the mode field (JSON
// lines) and nothing else: every other column is the default's, value for value.
func TestNoMode(t *testing.T) {
	model := testModelFile(t, 2)
	def, err := runPredict(t, inputs, "-model", model, "-spread", "both")
	if err != nil {
		t.Fatal(err)
	}
	no, err := runPredict(t, inputs, "-model", model, "-spread", "both", "-mode=false")
	if err != nil {
		t.Fatal(err)
	}
	withMode, err := csv.NewReader(strings.NewReader(def)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	without, err := csv.NewReader(strings.NewReader(no)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(without) != len(withMode) || len(without) < 2 {
		t.Fatalf("-mode=false: %d records, the default %d", len(without), len(withMode))
	}
	for r := range withMode {
		var keep []string
		for c, v := range withMode[r] {
			if !strings.HasPrefix(withMode[0][c], "mode_") {
				keep = append(keep, v)
			}
		}
		if len(keep) == len(withMode[r]) || strings.Join(keep, ",") != strings.Join(without[r], ",") {
			t.Fatalf("record %d: -mode=false gives\n%v\nthe default without its mode_ columns\n%v", r, without[r], keep)
		}
	}
	js, err := runPredict(t, inputs, "-model", model, "-mode=false", "-format", "jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(js, "\n", 2)[0]), &p); err != nil {
		t.Fatal(err)
	}
	if _, ok := p["mode"]; ok || p["mean"] == nil {
		t.Errorf("-mode=false jsonl: mode %v, mean %v; want no mode and a mean", p["mode"], p["mean"])
	}
}
