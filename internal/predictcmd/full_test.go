package predictcmd

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
)

// fullModelFile writes an untrained full-covariance model (D = 3, targets a, b, c) whose
// off-diagonal head is set to sizeable values, and returns its path and the model.
func fullModelFile(t *testing.T) (string, *mdn.Model) {
	t.Helper()
	m, err := mdn.New(mdn.Config{InputDim: 1, OutputDim: 3, K: 2, Hidden: []int{4}, Seed: 3, Covariance: mdn.CovarianceFull})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params().List() {
		if strings.HasPrefix(p.Name, "mdn.offdiag.") {
			vals := graph.AppendFloat64s(nil, p.Value)
			for i := range vals {
				vals[i] = 0.5 * math.Cos(float64(i))
			}
			graph.CopyFromFloat64s(p.Value, vals)
		}
	}
	n := models.IdentityNormalization(1, 3)
	n.XMean[0], n.XStd[0] = 0.5, 0.25
	n.YMean[1], n.YStd[1] = 3, 2
	if err := m.SetNormalization(n); err != nil {
		t.Fatal(err)
	}
	if err := m.SetColumns([]string{"x"}, []string{"a", "b", "c"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "full.mdn")
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	return path, m
}

// choleskyLogProb scores y under a mixture given by its log weights, means and Cholesky
// factors alone (forward substitution), as a user of the output would.
func choleskyLogProb(logPi []float64, mu, chol [][]float64, y []float64) float64 {
	d := len(y)
	terms := make([]float64, len(logPi))
	mx := math.Inf(-1)
	for c := range terms {
		z := make([]float64, d)
		terms[c] = logPi[c]
		for i := range d {
			r := y[i] - mu[c][i]
			for j := 0; j < i; j++ {
				r -= chol[c][i*d+j] * z[j]
			}
			z[i] = r / chol[c][i*d+i]
			terms[c] -= 0.5*math.Log(2*math.Pi) + math.Log(chol[c][i*d+i]) + 0.5*z[i]*z[i]
		}
		mx = math.Max(mx, terms[c])
	}
	s := 0.0
	for _, v := range terms {
		s += math.Exp(v - mx)
	}
	return mx + math.Log(s)
}

// TestFullCovarianceOutput: a full model's JSON lines carry the Cholesky factors and the
// covariance, and scoring a target from the output alone agrees with the model's
// LogLik; the CSV has the same numbers in its chol_ and cov_ columns.
func TestFullCovarianceOutput(t *testing.T) {
	path, m := fullModelFile(t)
	out, err := runPredict(t, inputs, "-model", path, "-format", "jsonl", "-quantiles", "")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	xs := []float64{0.1, 0.5, 0.9}
	ys := [][]float64{{0.3, 2, -1}, {-0.5, 4, 0.2}, {1, 3, 0}}
	var preds []prediction
	for i, line := range lines {
		var p prediction
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Chol) != 2 || len(p.Chol[0]) != 9 || len(p.Cov) != 9 {
			t.Fatalf("row %d: chol %v, cov %v: want 2 factors of 9 and 9 values", i, p.Chol, p.Cov)
		}
		ll, err := m.LogLik([][]float64{{xs[i]}}, [][]float64{ys[i]})
		if err != nil {
			t.Fatal(err)
		}
		if got := choleskyLogProb(p.LogPi, p.Mu, p.Chol, ys[i]); math.Abs(got-ll[0]) > 1e-12*math.Max(1, math.Abs(ll[0])) {
			t.Errorf("row %d: log p from the output %.17g, model %.17g", i, got, ll[0])
		}
		for a := range 3 {
			if s := p.Std[a]; math.Abs(p.Cov[a*3+a]-s*s) > 1e-12*s*s {
				t.Errorf("row %d: cov[%d][%d] = %g, std² = %g", i, a, a, p.Cov[a*3+a], s*s)
			}
		}
		preds = append(preds, p)
	}
	out, err = runPredict(t, inputs, "-model", path, "-quantiles", "")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for i, p := range preds {
		get := func(name string) float64 {
			j, ok := col[name]
			if !ok {
				t.Fatalf("no column %s in %v", name, recs[0])
			}
			v, _ := strconv.ParseFloat(recs[i+1][j], 64)
			return v
		}
		if got := get("cov_a_c"); got != p.Cov[0*3+2] {
			t.Errorf("row %d: cov_a_c %g, JSON %g", i, got, p.Cov[2])
		}
		if got := get("chol_1_c_b"); got != p.Chol[1][2*3+1] {
			t.Errorf("row %d: chol_1_c_b %g, JSON %g", i, got, p.Chol[1][7])
		}
		if got := get("chol_0_b_b"); got != p.Chol[0][1*3+1] {
			t.Errorf("row %d: chol_0_b_b %g, JSON %g", i, got, p.Chol[0][4])
		}
	}
	if _, ok := col["chol_0_a_b"]; ok {
		t.Error("the CSV has a column above the diagonal")
	}
}
