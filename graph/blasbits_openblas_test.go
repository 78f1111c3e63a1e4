//go:build openblas

package graph_test

// exactHeads: the openblas build runs short products on OpenBLAS, whose kernels sum an
// element in an order that depends on the product's width, so a fused product's columns
// match the separate products to rounding only.
const exactHeads = false
