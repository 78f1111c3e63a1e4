package mdn

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/vecmath"
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
		{InputDim: 1, OutputDim: 1, K: 5, Hidden: []int{20}},
		{InputDim: 2, OutputDim: 2, K: 4, Hidden: []int{10}, Skip: true},
		{InputDim: 3, OutputDim: 1, K: 3, Hidden: []int{10}, Skip: true, DType: models.Float32},
		{InputDim: 2, OutputDim: 2, K: 2, Hidden: []int{10}, Skip: true, Covariance: CovarianceFull, DType: models.Float32},
		{InputDim: 2, OutputDim: 2, K: 4, Hidden: []int{10}, Skip: true, Members: 2, DType: models.Float32},
		{InputDim: 1, OutputDim: 1, K: 5, Hidden: []int{20}, DType: models.Float32, VarianceFloor: 0.001},
	} {
		cfg.Seed = 3
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if m.skip != nil { // a skip path that changes the means
			a := graph.AppendFloat64s(nil, m.skip.Value)
			for i := range a {
				a[i] = 0.5 - 0.3*float64(i%4)
			}
			graph.CopyFromFloat64s(m.skip.Value, a)
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
		var off []float64
		if len(outs) > 3 {
			off = outs[3]
		}
		if _, err := refMixtures(m, want, 0, n, norm, outs[0], outs[1], outs[2], off); err != nil {
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

// refMixtures is Predict's computation of the mixtures from the network's separate
// outputs as float64 before the heads were fused (kept verbatim as the reference).
func refMixtures(m *Model, p *Mixtures, start, rows int, norm models.Normalization, logits, means, scales, off []float64) (int, error) {
	k, d := p.K, p.D
	w, lw := p.Weights[start*k:(start+rows)*k], p.LogWeights[start*k:(start+rows)*k]
	mu, sd := p.Means[start*k*d:(start+rows)*k*d], p.StdDevs[start*k*d:(start+rows)*k*d]
	for i := range rows {
		z, shifted := logits[i*k:(i+1)*k], lw[i*k:(i+1)*k]
		mx := math.Inf(-1)
		for _, v := range z {
			mx = math.Max(mx, v)
		}
		for c, v := range z {
			shifted[c] = v - mx
		}
	}
	vecmath.Exp64(w, lw)
	bad := false
	for i := range rows {
		wi, lwi := w[i*k:(i+1)*k], lw[i*k:(i+1)*k]
		sum := 0.0
		for _, v := range wi {
			sum += v
		}
		logSum := math.Log(sum)
		for c := range wi {
			wi[c] /= sum
			lwi[c] -= logSum
		}
		bad = bad || math.IsNaN(sum) || math.IsInf(sum, 0)
	}
	raw := scales[:rows*k*d]
	if m.cfg.Scale == losses.ScaleExp {
		vecmath.Exp64(sd, raw)
	} else {
		for i, r := range raw {
			sd[i] = m.cfg.Scale.Sigma(r, 0)
		}
	}
	floor := m.cfg.VarianceFloor
	for o := 0; o < rows*k*d; o += d {
		for j := range d {
			mu[o+j] = means[o+j]*norm.YStd[j] + norm.YMean[j]
			t := sd[o+j]
			if floor > 0 {
				t = math.Sqrt(t*t + floor)
			}
			sd[o+j] = t * norm.YStd[j]
			bad = bad || math.IsNaN(mu[o+j]) || math.IsInf(mu[o+j], 0) || !(sd[o+j] > 0) || math.IsInf(sd[o+j], 1)
		}
	}
	if off != nil {
		om, dd := m.cfg.offDiagonals(), d*d
		chol := p.Cholesky[start*k*dd : (start+rows)*k*dd]
		for c := 0; c < rows*k; c++ {
			l, s, lo := chol[c*dd:(c+1)*dd], sd[c*d:(c+1)*d], off[c*om:(c+1)*om]
			for j := range d {
				l[j*d+j] = s[j]
				for e := 0; e < j; e++ {
					v := lo[j*(j-1)/2+e] * norm.YStd[j]
					l[j*d+e] = v
					bad = bad || math.IsNaN(v) || math.IsInf(v, 0)
				}
			}
			copy(s, choleskyStdDevs(l, d))
			for _, v := range s {
				bad = bad || math.IsInf(v, 1)
			}
		}
	}
	if bad {
		// Only a broken chunk pays for the full check, which names what is wrong.
		for i := start; i < start+rows; i++ {
			if err := p.At(i).Validate(); err != nil {
				return i, fmt.Errorf("the network's output is not a valid mixture: %s", unprefixed(err))
			}
		}
	}
	return start, nil
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
