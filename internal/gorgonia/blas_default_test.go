//go:build !openblas

package gorgonia

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Gorgonia's and tensor's matrix products run on mixgraph's GEMM in the default build, and
// a product through Gorgonia's tensor package matches the plain sum.
func TestDefaultBLASIsMixgraphGemm(t *testing.T) {
	t.Parallel()
	if _, ok := G.WhichBLAS().(gemmBLAS); !ok {
		t.Fatalf("Gorgonia's BLAS is %T, want gemmBLAS", G.WhichBLAS())
	}
	const m, k, n = 13, 300, 21
	a, b := make([]float64, m*k), make([]float64, k*n)
	for i := range a {
		a[i] = float64(i%11) - 5
	}
	for i := range b {
		b[i] = float64(i%7)/4 - 1
	}
	ta := tensor.New(tensor.WithShape(m, k), tensor.WithBacking(a))
	tb := tensor.New(tensor.WithShape(k, n), tensor.WithBacking(b))
	tc, err := tensor.MatMul(ta, tb)
	if err != nil {
		t.Fatal(err)
	}
	got := tc.Data().([]float64)
	for i := range m {
		for j := range n {
			var s float64
			for q := range k {
				s += a[i*k+q] * b[q*n+j]
			}
			// Small integers and quarters: every product and partial sum is exact.
			if got[i*n+j] != s {
				t.Fatalf("C[%d,%d] = %v, want %v", i, j, got[i*n+j], s)
			}
		}
	}
}
