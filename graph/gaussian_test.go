package graph

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GaussianLogDensity against plain Go, with its gradients through a weighted sum.
func TestGaussianLogDensityValues(t *testing.T) {
	const b, k, d = 4, 3, 2
	rng := NewRand(9)
	mu, ls, y := make([]float64, b*k*d), make([]float64, b*k*d), make([]float64, b*d)
	for i := range mu {
		mu[i], ls[i] = rng.NormFloat64(), 0.5*rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	g := G.NewGraph()
	mn := G.NodeFromAny(g, NewTensor(tensor.Float64, []int{b, k * d}, mu), G.WithName("mu"))
	sn := G.NodeFromAny(g, NewTensor(tensor.Float64, []int{b, k * d}, ls), G.WithName("ls"))
	yn := G.NodeFromAny(g, NewTensor(tensor.Float64, []int{b, d}, y), G.WithName("y"))
	out, err := GaussianLogDensity(mn, sn, yn, k, d)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(g, G.Nodes{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	got, _ := r.Float64s(nil, out)
	for row := range b {
		for c := range k {
			want := 0.0
			for e := range d {
				s := math.Exp(ls[(row*k+c)*d+e])
				z := (y[row*d+e] - mu[(row*k+c)*d+e]) / s
				want += -0.5*z*z - math.Log(s) - 0.5*math.Log(2*math.Pi)
			}
			if diff := math.Abs(got[row*k+c] - want); diff > 1e-14*math.Max(1, math.Abs(want)) {
				t.Errorf("log N[%d,%d] = %v, want %v", row, c, got[row*k+c], want)
			}
		}
	}
	if _, err := GaussianLogDensity(mn, sn, yn, k+1, d); err == nil {
		t.Error("no error for means of the wrong width")
	}
}
