package train

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
)

// allFinite and firstNonFiniteIn find a NaN or an infinity wherever it lies (the
// four-chain loop and the tail), and sumSquares agrees with a plain loop.
func TestFiniteChecksAndSumSquares(t *testing.T) {
	t.Parallel()
	for n := 0; n <= 11; n++ {
		g := make([]float64, n)
		for i := range g {
			g[i] = float64(i%5) - 2.5
		}
		if !allFinite(g) {
			t.Fatalf("n=%d: finite values reported non-finite", n)
		}
		sq, clipped := sumSquares(g, 1)
		wantSq, wantClipped := 0.0, 0
		for _, v := range g {
			wantSq += v * v
			if math.Abs(v) > 1 {
				wantClipped++
			}
		}
		if clipped != wantClipped || math.Abs(sq-wantSq) > 1e-12*wantSq {
			t.Errorf("n=%d: sumSquares = %g, %d; want %g, %d", n, sq, clipped, wantSq, wantClipped)
		}
		for k := range n {
			for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				h := append([]float64(nil), g...)
				h[k] = x
				if allFinite(h) {
					t.Errorf("n=%d: %g at %d not found", n, x, k)
				}
				if sq, _ := sumSquares(h, 1); !math.IsNaN(sq) && !math.IsInf(sq, 1) {
					t.Errorf("n=%d: %g at %d gives a finite sum of squares %g", n, x, k, sq)
				}
				h32 := make([]float32, n)
				for i, v := range h {
					h32[i] = float32(v)
				}
				if i, _, found := firstNonFiniteIn(h32); !found || i != k {
					t.Errorf("n=%d float32: first non-finite at %d (%v), want %d", n, i, found, k)
				}
			}
		}
	}
	// Finite values whose squares overflow: the sum is +Inf, yet every value is finite.
	if sq, _ := sumSquares([]float64{1e200, 1}, 1); !math.IsInf(sq, 1) || !allFinite([]float64{1e200, 1}) {
		t.Errorf("overflowing squares: sq %g", sq)
	}
}

// paramAt maps an element of the parameters' array to the parameter holding it.
func TestParamAt(t *testing.T) {
	t.Parallel()
	ps, err := graph.NewParamSet(tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{3, 1, 4} {
		if _, err := ps.Add(fmt.Sprintf("p%d", i), []int{n}, make([]float64, n)); err != nil {
			t.Fatal(err)
		}
	}
	tr := &trainer{ps: ps, params: ps.List()}
	want := []int{0, 0, 0, 1, 2, 2, 2, 2}
	for j, w := range want {
		if got := tr.paramAt(j); got != w {
			t.Errorf("element %d: parameter %d, want %d", j, got, w)
		}
	}
}
