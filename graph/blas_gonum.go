//go:build !openblas

package graph

// BLAS names the matrix-multiply backend this build uses: gonum's pure-Go BLAS, unless
// the module is built with the openblas tag (see blas_openblas.go).
const BLAS = "gonum"
