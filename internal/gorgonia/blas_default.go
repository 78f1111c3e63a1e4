//go:build !openblas

package gorgonia

import (
	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/internal/gemm"
)

// BLAS names the matrix-multiply backend this build gives Gorgonia. The default build
// multiplies matrices with mixgraph's own GEMM (internal/gemm: AVX2/FMA assembly kernels
// where the CPU has them, Go elsewhere) and leaves every other BLAS routine to gonum's
// pure-Go implementation; the openblas build tag swaps in OpenBLAS, but for the long
// matrix products (see blas_openblas.go).
var BLAS = "mixgraph-gemm/" + gemm.Kernel

// Gorgonia's BLAS is set for the whole process: see the package documentation.
func init() { G.Use(gemmBLAS{}) }
