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

// TestGaussLoopsSameBits checks the blocked loops of gaussLogDensity and gaussGrad against
// the element-by-element loops they replaced, bit for bit, in both dtypes, for D = 1 (its
// own path) and D > 1.
func TestGaussLoopsSameBits(t *testing.T) {
	t.Run("float64", func(t *testing.T) { gaussSameBits[float64](t) })
	t.Run("float32", func(t *testing.T) { gaussSameBits[float32](t) })
}

func gaussSameBits[T float32 | float64](t *testing.T) {
	rng := NewRand(21)
	for _, s := range []struct{ b, k, d int }{{7, 3, 1}, {5, 4, 8}, {3, 20, 2}, {2, 1, 3}} {
		n := s.b * s.k * s.d
		mu, ls, y, g := make([]T, n), make([]T, n), make([]T, s.b*s.d), make([]T, s.b*s.k)
		for i := range mu {
			mu[i], ls[i] = T(rng.NormFloat64()), T(0.7*rng.NormFloat64())
		}
		for i := range y {
			y[i] = T(rng.NormFloat64())
		}
		for i := range g {
			g[i] = T(rng.NormFloat64())
		}
		got, want := make([]T, s.b*s.k), make([]T, s.b*s.k)
		gaussLogDensity(got, mu, ls, y, s.k, s.d)
		c := T(-0.5 * float64(s.d) * math.Log(2*math.Pi))
		// The loops compared on the op's own inverse scales (vecmath's exponential).
		inv, held := invScales(ls)
		for b := range s.b {
			for j := range s.k {
				var acc T
				for e := range s.d {
					o := (b*s.k+j)*s.d + e
					z := (y[b*s.d+e] - mu[o]) * inv[o]
					acc += z*z*0.5 + ls[o]
				}
				want[b*s.k+j] = -acc + c
			}
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%+v: log-density %d: %v, element-by-element %v", s, i, got[i], want[i])
			}
		}
		for wrt := range 2 {
			got, want := make([]T, n), make([]T, n)
			gaussGrad(wrt, got, mu, ls, y, g, s.k, s.d)
			for b := range s.b {
				for j := range s.k {
					for e := range s.d {
						o := (b*s.k+j)*s.d + e
						z := (y[b*s.d+e] - mu[o]) * inv[o]
						if wrt == 0 {
							want[o] = g[b*s.k+j] * (z * inv[o])
						} else {
							want[o] = g[b*s.k+j] * (z*z - 1)
						}
					}
				}
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%+v: gradient %d, element %d: %v, element-by-element %v", s, wrt, i, got[i], want[i])
				}
			}
		}
		held.release()
	}
}
