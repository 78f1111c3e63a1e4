package mdn

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// ensembleTol bounds the relative difference between the combined model's values and
// the plain-Go combination of its members'.
var ensembleTol = map[models.DType]float64{models.Float64: 1e-12, models.Float32: 2e-5}

// randomMembers returns n models of cfg with seeds 1…n, every weight redrawn from
// N(0, 0.7²) so that the members' mixtures differ clearly, member 1's logits biased far
// (+40 on one component) so that a softmax over all members' logits would starve the
// others, and one shared non-trivial normalisation.
func randomMembers(t *testing.T, cfg Config, n int) []*Model {
	t.Helper()
	norm := models.Normalization{XMean: make([]float64, cfg.InputDim), XStd: make([]float64, cfg.InputDim), YMean: make([]float64, cfg.OutputDim), YStd: make([]float64, cfg.OutputDim)}
	for i := range norm.XMean {
		norm.XMean[i], norm.XStd[i] = 0.3*float64(i)-0.2, 1.5+float64(i)
	}
	for i := range norm.YMean {
		norm.YMean[i], norm.YStd[i] = 2-float64(i), 0.5+0.25*float64(i)
	}
	ms := make([]*Model, n)
	for m := range ms {
		c := cfg
		c.Seed = uint64(m + 1)
		ms[m] = testModel(t, c)
		if err := ms[m].SetNormalization(norm); err != nil {
			t.Fatal(err)
		}
		rng := graph.NewRand(uint64(100 + m))
		for _, p := range ms[m].Params().List() {
			v := graph.AppendFloat64s(nil, p.Value)
			for i := range v {
				v[i] = 0.7 * rng.NormFloat64()
			}
			if m == 1 && p.Name == "mdn.logits.b" {
				v[0] += 40
			}
			graph.CopyFromFloat64s(p.Value, v)
		}
	}
	return ms
}

// The combined model's log-likelihood is log((1/M) Σ_m exp(LogLik_m)) of its members'
// and its predicted mixture is the union of the members' with weights divided by M,
// for both dtypes, one and two target dimensions, one and two hidden layers; it
// survives Save and Load bit for bit.
func TestCombine(t *testing.T) {
	for _, dt := range dtypes {
		for _, shape := range []struct {
			in, out, k int
			hidden     []int
			cov        Covariance
			skip       bool
		}{{1, 1, 3, []int{5}, "", false}, {3, 2, 2, []int{4, 6}, "", false}, {2, 3, 2, []int{4}, CovarianceFull, false},
			{3, 2, 2, []int{4}, "", true}, {2, 3, 2, []int{4}, CovarianceFull, true}} {
			name := fmt.Sprintf("%s/in=%d,out=%d,k=%d,hidden=%v", dt, shape.in, shape.out, shape.k, shape.hidden)
			if shape.cov != "" {
				name += ",covariance=" + string(shape.cov)
			}
			if shape.skip {
				name += ",skip"
			}
			t.Run(name, func(t *testing.T) {
				const nm = 3
				cfg := Config{InputDim: shape.in, OutputDim: shape.out, K: shape.k, Hidden: shape.hidden, DType: dt, VarianceFloor: 0.01, Covariance: shape.cov, Skip: shape.skip}
				members := randomMembers(t, cfg, nm)
				if err := members[0].SetColumns(colNames("x", shape.in), colNames("y", shape.out)); err != nil {
					t.Fatal(err)
				}
				for _, m := range members[1:] {
					x, y := members[0].Columns()
					if err := m.SetColumns(x, y); err != nil {
						t.Fatal(err)
					}
				}
				comb, err := Combine(members)
				if err != nil {
					t.Fatal(err)
				}
				c := comb.Config()
				if c.K != nm*shape.k || c.Members != nm || c.Hidden[0] != nm*shape.hidden[0] || c.Seed != 1 {
					t.Fatalf("combined config %+v", c)
				}
				x := randRows(7, 37, shape.in, 2)
				y := randRows(8, 37, shape.out, 1.5)
				tol := ensembleTol[dt]

				got, err := comb.LogLik(x, y)
				if err != nil {
					t.Fatal(err)
				}
				per := make([][]float64, nm)
				for m, mm := range members {
					if per[m], err = mm.LogLik(x, y); err != nil {
						t.Fatal(err)
					}
				}
				worst := 0.0
				for i := range x {
					terms := make([]float64, nm)
					for m := range members {
						terms[m] = per[m][i]
					}
					want := floats.LogSumExp(terms) - math.Log(nm)
					if d := math.Abs(got[i]-want) / math.Max(1, math.Abs(want)); d > worst {
						worst = d
					}
					if d := math.Abs(got[i]-want) / math.Max(1, math.Abs(want)); !(d <= tol) {
						t.Fatalf("row %d: combined LogLik %.17g, members' log-mean-exp %.17g (members %v)", i, got[i], want, terms)
					}
				}
				t.Logf("worst relative LogLik difference %.3g", worst)

				gotMix, err := comb.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				memMix := make([][]Mixture, nm)
				for m, mm := range members {
					if memMix[m], err = mm.Predict(x); err != nil {
						t.Fatal(err)
					}
				}
				for i := range x {
					g := gotMix[i]
					for m := range members {
						w := memMix[m][i]
						for k := 0; k < shape.k; k++ {
							j := m*shape.k + k
							check := func(what string, a, b float64) {
								if d := math.Abs(a-b) / math.Max(1, math.Abs(b)); !(d <= tol) {
									t.Fatalf("row %d, member %d, component %d: %s %.17g, want %.17g", i, m, k, what, a, b)
								}
							}
							check("weight", g.Weights[j], w.Weights[k]/nm)
							check("log weight", g.LogWeights[j], w.LogWeights[k]-math.Log(nm))
							for d := 0; d < shape.out; d++ {
								check("mean", g.Means[j][d], w.Means[k][d])
								check("sd", g.StdDevs[j][d], w.StdDevs[k][d])
							}
						}
					}
					// LogProb of the combined mixture agrees with the graph's LogLik.
					if lp := g.LogProb(y[i]); math.Abs(lp-got[i]) > tol*math.Max(1, math.Abs(lp)) {
						t.Fatalf("row %d: LogProb %.17g, LogLik %.17g", i, lp, got[i])
					}
				}

				var buf bytes.Buffer
				if err := comb.Save(&buf); err != nil {
					t.Fatal(err)
				}
				back, err := Load(bytes.NewReader(buf.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				if back.Config().Members != nm {
					t.Fatalf("loaded Members %d, want %d", back.Config().Members, nm)
				}
				again, err := back.LogLik(x, y)
				if err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if again[i] != got[i] {
						t.Fatalf("row %d: loaded model's LogLik %.17g, before saving %.17g", i, again[i], got[i])
					}
				}
			})
		}
	}
}

func colNames(prefix string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return s
}

// A combination of one member predicts what the member does.
func TestCombineOne(t *testing.T) {
	members := randomMembers(t, Config{InputDim: 2, OutputDim: 1, K: 3, Hidden: []int{4}}, 1)
	comb, err := Combine(members)
	if err != nil {
		t.Fatal(err)
	}
	if c := comb.Config(); c.Members != 0 || c.K != 3 {
		t.Fatalf("combination of one: config %+v, want K 3 and no members", c)
	}
	x, y := randRows(1, 10, 2, 1), randRows(2, 10, 1, 1)
	a, _ := comb.LogLik(x, y)
	b, _ := members[0].LogLik(x, y)
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12*math.Max(1, math.Abs(b[i])) {
			t.Fatalf("row %d: %g, want %g", i, a[i], b[i])
		}
	}
}

// Combine refuses members that are not alike, naming what differs.
func TestCombineRefuses(t *testing.T) {
	cfg := Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{3}}
	mk := func(c Config) *Model { return testModel(t, c) }
	other := cfg
	other.K = 3
	renormed := mk(cfg)
	n := renormed.Normalization()
	n.YStd[0] = 2
	if err := renormed.SetNormalization(n); err != nil {
		t.Fatal(err)
	}
	named := mk(cfg)
	if err := named.SetColumns([]string{"a"}, []string{"b"}); err != nil {
		t.Fatal(err)
	}
	comb, err := Combine([]*Model{mk(cfg), mk(cfg)})
	if err != nil {
		t.Fatal(err)
	}
	wide := cfg
	wide.Hidden = []int{MaxWidth/2 + 1}
	wide.InputDim = 1
	for _, c := range []struct {
		name    string
		members []*Model
		want    string
	}{
		{"none", nil, "no members"},
		{"config", []*Model{mk(cfg), mk(other)}, "member 1's config"},
		{"normalisation", []*Model{mk(cfg), renormed}, "member 1's normalisation"},
		{"columns", []*Model{mk(cfg), named}, "member 1's column names"},
		{"nested", []*Model{comb, comb}, "member 0 is itself a combination"},
		{"too many components", func() []*Model {
			big := cfg
			big.K = MaxK/2 + 1
			return []*Model{mk(big), mk(big)}
		}(), "MaxK"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Combine(c.members)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// Config.Members is checked: not negative, and K a multiple of it; 1 is written as 0.
func TestConfigMembers(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{InputDim: 1, OutputDim: 1, K: 4, Members: -1}, "-1 members"},
		{Config{InputDim: 1, OutputDim: 1, K: 5, Members: 2}, "do not split into 2 members"},
	} {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v): got %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
	m := testModel(t, Config{InputDim: 1, OutputDim: 1, K: 4, Members: 1})
	if got := m.Config().Members; got != 0 {
		t.Fatalf("Members 1 is kept as %d, want 0", got)
	}
	if body := string(saveBody(t, m)); strings.Contains(body, "members") {
		t.Fatalf("a model of one group writes members: %s", body[:200])
	}
}

// The loss of a model with Members > 1 (the per-group log-softmax) has the gradient
// central finite differences give, with respect to every weight and the inputs, for
// both dtypes.
func TestMembersGradient(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(string(dt), func(t *testing.T) {
			m := testModel(t, Config{InputDim: 2, OutputDim: 2, K: 6, Members: 3, Hidden: []int{4}, DType: dt, Seed: 3})
			randomise(t, m, 9, 0.5)
			checkLossGradient(t, m, dt)
		})
	}
}
