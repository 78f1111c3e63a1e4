package mdn

import (
	"math"
	"reflect"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
)

// TestPredictMatchesForward checks PredictMixtures, whose graphs compute the heads as one
// product and whose mixtures are read from the network's own dtype, against the
// mixtures built from Forward's separate outputs read as float64 (how Predict computed
// them before), bit for bit, for diagonal and full covariances, both dtypes, another
// scale transform with a variance floor, and several members.
func TestPredictMatchesForward(t *testing.T) {
	for _, cfg := range []Config{
		{InputDim: 3, OutputDim: 2, K: 4, Hidden: []int{16}},
		{InputDim: 3, OutputDim: 2, K: 4, Hidden: []int{16}, DType: models.Float32},
		{InputDim: 2, OutputDim: 3, K: 5, Hidden: []int{24, 8}, Scale: losses.ScaleSoftplus, VarianceFloor: 0.01, DType: models.Float32},
		{InputDim: 2, OutputDim: 3, K: 3, Hidden: []int{20}, Covariance: CovarianceFull},
		{InputDim: 2, OutputDim: 3, K: 3, Hidden: []int{20}, Covariance: CovarianceFull, DType: models.Float32},
		{InputDim: 1, OutputDim: 1, K: 6, Hidden: []int{12}, Members: 3},
	} {
		cfg.Seed = 3
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		norm := m.Normalization()
		for j := range norm.YStd {
			norm.YMean[j], norm.YStd[j] = 0.5*float64(j)-1, 2+float64(j)
		}
		for j := range norm.XStd {
			norm.XMean[j], norm.XStd[j] = 0.25, 1.5
		}
		if err := m.SetNormalization(norm); err != nil {
			t.Fatal(err)
		}
		const n = 300
		rng := graph.NewRand(11)
		x := make([][]float64, n)
		for i := range x {
			x[i] = make([]float64, cfg.InputDim)
			for j := range x[i] {
				x[i][j] = 2 * rng.NormFloat64()
			}
		}
		got, err := m.PredictMixtures(x)
		if err != nil {
			t.Fatal(err)
		}

		// The reference: one graph of n rows built by Forward, its outputs as float64.
		flat, err := models.CheckRows("x", x, cfg.InputDim)
		if err != nil {
			t.Fatal(err)
		}
		norm.X(flat, flat)
		g := G.NewGraph()
		xn := graph.NewInput(g, cfg.DType.Tensor(), "mdn.x", n, cfg.InputDim)
		out, err := m.Forward(xn)
		if err != nil {
			t.Fatal(err)
		}
		nodes := G.Nodes{out.Logits, out.Means, out.Scales}
		if out.OffDiag != nil {
			nodes = append(nodes, out.OffDiag)
		}
		r, err := graph.NewRunner(g, nodes)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Feed(xn, flat); err != nil {
			t.Fatal(err)
		}
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
		outs := make([][]float64, len(nodes))
		for j, node := range nodes {
			if outs[j], err = r.Float64s(nil, node); err != nil {
				t.Fatal(err)
			}
		}
		k, d := m.cfg.K, m.cfg.OutputDim
		want := &Mixtures{N: n, K: k, D: d, Weights: make([]float64, n*k), LogWeights: make([]float64, n*k), Means: make([]float64, n*k*d), StdDevs: make([]float64, n*k*d)}
		if out.OffDiag != nil {
			want.Cholesky = make([]float64, n*k*d*d)
		}
		if _, err := mixtures(m, want, 0, n, norm, newNetOuts(m, outs)); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			for i := range n {
				if !reflect.DeepEqual(got.At(i), want.At(i)) {
					t.Fatalf("%+v: row %d:\ngot  %+v\nwant %+v", cfg, i, got.At(i), want.At(i))
				}
			}
			t.Fatalf("%+v: the mixtures differ", cfg)
		}
	}
}

// TestPredictMixturesInto checks that a reused Mixtures gets PredictMixtures' values,
// bit for bit, as it grows, shrinks and changes between diagonal and full models, and
// that its arrays are reused when they have room.
func TestPredictMixturesInto(t *testing.T) {
	diag, err := New(Config{InputDim: 2, OutputDim: 3, K: 3, Hidden: []int{8}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	full, err := New(Config{InputDim: 2, OutputDim: 3, K: 3, Hidden: []int{8}, Seed: 1, Covariance: CovarianceFull})
	if err != nil {
		t.Fatal(err)
	}
	rng := graph.NewRand(4)
	var p Mixtures
	for _, c := range []struct {
		m *Model
		n int
	}{{diag, 10}, {diag, 700}, {diag, 3}, {full, 5}, {full, 600}, {diag, 0}, {diag, 20}, {full, 1}} {
		x := make([][]float64, c.n)
		for i := range x {
			x[i] = []float64{rng.NormFloat64(), rng.NormFloat64()}
		}
		before := p.Means
		if err := c.m.PredictMixturesInto(&p, x); err != nil {
			t.Fatal(err)
		}
		want, err := c.m.PredictMixtures(x)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&p, want) {
			t.Fatalf("%d rows (full %v): PredictMixturesInto differs from PredictMixtures", c.n, c.m.cfg.Full())
		}
		if c.n > 0 && cap(before) >= len(p.Means) && &before[:1][0] != &p.Means[0] {
			t.Errorf("%d rows: the means' array was reallocated though it had room", c.n)
		}
	}
	if err := diag.PredictMixturesInto(&p, [][]float64{{1, math.NaN()}}); err == nil {
		t.Error("NaN input accepted")
	}
}
