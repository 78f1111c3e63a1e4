// Package gorgonia holds every place where mixgraph relies on more of Gorgonia
// (gorgonia.org/gorgonia v0.9.18) and its tensor package (gorgonia.org/tensor v0.9.24)
// than their documented API promises, and the process-wide settings of theirs that
// mixgraph changes. Nothing else in mixgraph reaches into them; the tests here fail
// loudly when the pinned versions change in a way mixgraph depends on.
//
// # Process-wide switches
//
// Importing this package (every mixgraph package that builds or runs a graph does, through
// package graph) changes two settings that belong to the whole process, for every user of
// Gorgonia and tensor in it, mixgraph or not:
//
//   - tensor's pool of tensor structs is switched off (tensor.DontUsePool). The pool's
//     ReturnTensor checks that the pool has room and then sends to it; two goroutines can
//     both pass the check when one place is left, and the second then blocks forever.
//     Gorgonia's Adam returns more tensors than it borrows, so the pool fills, and mixgraph
//     runs graphs and solvers on several goroutines at once: training deadlocked within a
//     few hundred steps. Without the pool, tensors are left to the garbage collector.
//   - Gorgonia's BLAS (gorgonia.Use) becomes gonum's pure-Go BLAS with mixgraph's matrix
//     multiply (internal/gemm) in the default build, or OpenBLAS with the long products on
//     mixgraph's multiply in the openblas build (see blas_openblas.go), where OpenBLAS
//     also runs on one thread unless OPENBLAS_NUM_THREADS is set. Every matrix product
//     Gorgonia or tensor computes in the process runs on it; BLAS names it.
//
// # Reliance on Gorgonia's internals
//
// Gorgonia does not export a node's inputs. Inputs reads them through the graph's edges
// (ExprGraph.From), whose order in v0.9.18 is the order of the op's arguments; mixgraph's
// own machine (package graph) calls every op with its inputs in that order.
// TestInputsOrder builds a small graph of the ops mixgraph uses and checks the order.
//
// Gorgonia's solvers keep their state between steps in unexported fields, which
// training reads and writes by reflection through solver.go; TestSolverLayout checks
// their layout.
package gorgonia
