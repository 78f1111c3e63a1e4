//go:build !openblas

package graph_test

// exactHeads: in the default build every matrix product runs on mixgraph's GEMM, which sums
// each element of C over the same depth blocks wherever it sits in C, so a fused product's
// columns have the bits of the separate products.
const exactHeads = true
