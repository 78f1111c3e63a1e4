//go:build openblas

package gorgonia

import (
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/internal/cores"
)

// In the openblas build Gorgonia's BLAS is OpenBLAS with the long products on mixgraph's
// GEMM, the cut at cgoMaxWork multiply-adds. (graph's TestBLASProductsExact checks the
// products on both sides of the cut.)
func TestOpenBLASBuildSplitsProducts(t *testing.T) {
	t.Parallel()
	if _, ok := G.WhichBLAS().(hybridBLAS); !ok {
		t.Fatalf("Gorgonia's BLAS is %T, want hybridBLAS", G.WhichBLAS())
	}
	if !viaOpenBLAS(64, 64, 64) || viaOpenBLAS(64, 64, 65) || !viaOpenBLAS(1, 1, 1) || viaOpenBLAS(512, 512, 512) {
		t.Fatalf("products split at the wrong size (cgoMaxWork %d)", cgoMaxWork)
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

// BenchmarkConcurrentProducts runs the matrix products of one data-parallel part of the
// large workload's training step (512 rows, 512-wide layers, K = 20, D = 8; forward and
// backward) on two goroutines at once, as a training step on two processors does, on
// OpenBLAS through cgo and on mixgraph's GEMM. It is the measurement behind cgoMaxWork:
//
//	go test -tags openblas -run XXX -bench ConcurrentProducts ./internal/gorgonia/
func BenchmarkConcurrentProducts(b *testing.B) {
	shapes := [][5]int{ // transA, transB, m, n, k
		{0, 0, 512, 512, 32}, {0, 0, 512, 512, 512}, {0, 0, 512, 20, 512}, {0, 0, 512, 160, 512}, {0, 0, 512, 160, 512},
		{0, 1, 512, 512, 20}, {0, 1, 512, 512, 160}, {0, 1, 512, 512, 160}, {0, 1, 512, 512, 512},
		{1, 0, 512, 20, 512}, {1, 0, 512, 160, 512}, {1, 0, 512, 160, 512}, {1, 0, 512, 512, 512}, {1, 0, 32, 512, 512},
	}
	for _, impl := range []struct {
		name string
		mul  func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	}{{"openblas", hybridBLAS{}.Implementation.Sgemm}, {"mixgraph", gemmBLAS{}.Sgemm}} {
		b.Run("blas="+impl.name, func(b *testing.B) {
			defer cores.Share(2)()
			part := func() func() {
				var a, bb, c [][]float32
				for _, s := range shapes {
					m, n, k := s[2], s[3], s[4]
					a, bb, c = append(a, make([]float32, m*k)), append(bb, make([]float32, k*n)), append(c, make([]float32, m*n))
				}
				return func() {
					for i, s := range shapes {
						m, n, k := s[2], s[3], s[4]
						lda, ldb := k, n
						if s[0] == 1 {
							lda = m
						}
						if s[1] == 1 {
							ldb = k
						}
						impl.mul(trans(s[0] == 1), trans(s[1] == 1), m, n, k, 1, a[i], lda, bb[i], ldb, 0, c[i], n)
					}
				}
			}
			p0, p1 := part(), part()
			for b.Loop() {
				var wg sync.WaitGroup
				wg.Go(p1)
				p0()
				wg.Wait()
			}
		})
	}
}
