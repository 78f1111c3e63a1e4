package graph_test

import (
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
)

// TestBLASProductsExact: the BLAS that importing graph hands Gorgonia (graph.BLAS, in
// this build) is not gonum's, and its products, small and long (on both sides of the
// openblas build's cut), in every transposition, float64 and float32, are exactly
// gonum's reference BLAS's (small integers and quarters: every product and partial sum is
// exact, so the order of summation cannot matter), β·C included.
func TestBLASProductsExact(t *testing.T) {
	t.Parallel()
	impl, ref := G.WhichBLAS(), gonum.Implementation{}
	if _, ok := impl.(gonum.Implementation); ok {
		t.Fatalf("Gorgonia's BLAS is gonum's, want %s", graph.BLAS)
	}
	for _, sh := range [][3]int{{5, 7, 3}, {64, 64, 64}, {64, 64, 65}, {100, 90, 80}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, b, c0 := make([]float64, m*k), make([]float64, k*n), make([]float64, m*n)
		for i := range a {
			a[i] = float64(i%11) - 5
		}
		for i := range b {
			b[i] = float64(i%7)/4 - 1
		}
		for i := range c0 {
			c0[i] = float64(i % 3)
		}
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				lda, ldb := k, n
				if tA {
					lda = m
				}
				if tB {
					ldb = k
				}
				want := append([]float64(nil), c0...)
				ref.Dgemm(trans(tA), trans(tB), m, n, k, 1, a, lda, b, ldb, 2, want, n)
				c := append([]float64(nil), c0...)
				impl.Dgemm(trans(tA), trans(tB), m, n, k, 1, a, lda, b, ldb, 2, c, n)
				c32 := f32s(c0)
				impl.Sgemm(trans(tA), trans(tB), m, n, k, 1, f32s(a), lda, f32s(b), ldb, 2, c32, n)
				for i := range want {
					if c[i] != want[i] || float64(c32[i]) != want[i] {
						t.Fatalf("%s: %d×%d×%d transA=%v transB=%v: C[%d] = %v (f64), %v (f32), want %v", graph.BLAS, m, n, k, tA, tB, i, c[i], c32[i], want[i])
					}
				}
			}
		}
	}
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func f32s(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}
