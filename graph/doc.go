// Package graph holds the building blocks every mixgraph model is made of: numerically
// stable primitives on Gorgonia expression graphs, dense layers and MLPs, seeded
// initialisers, named parameter sets, and a runner that executes Gorgonia graphs.
//
// # Stable primitives
//
// Gorgonia v0.9.18's own LogSumExp, SoftMax and LogSoftMax are wrong in ways that matter
// for mixture models (a wrong LogSumExp formula, softmax kernels that start every row's
// maximum from the first element of the whole tensor, SoftMax and LogSoftMax nodes merged
// into one). LogSumExp, LogSoftmax and Softmax here take the maximum along the reduced
// axis, so that no row's result depends on another row. They are single ops along rows,
// and along columns the same ops on the transpose; they compute:
//
//	LogSumExp(x)_b = m_b + log Σ_k exp(x_bk − m_b),   m_b = max_k x_bk
//	LogSoftmax(x)_bk = x_bk − LogSumExp(x)_b
//	Softmax(x) = exp(LogSoftmax(x))
//
// Every exponent is ≤ 0 and at least one equals 0, so the sum lies in [1, K]: nothing
// overflows and the logarithm is never taken of zero. The gradient of LogSumExp is the
// row softmax; the path through m_b contributes 1 − Σ_k softmax_bk = 0.
//
// # Parameters shared between graphs
//
// A Gorgonia graph has fixed shapes, so a model needs one graph per batch size (the
// training batch, the last short batch of an epoch, prediction). Learnable tensors
// therefore live in a ParamSet, outside any graph; ParamSet.Nodes(g) makes (or finds)
// the nodes that stand for them in graph g, all bound to the same tensors. A solver that
// updates the tensors in place updates every graph at once. The values of all the set's
// parameters lie one after another in one array, and ParamSet.Span gives a vector over a
// run of them, so that a solver can step many parameters as one tensor.
//
// # Fused ops
//
// Dense layers, the row LogSumExp and LogSoftmax and the mixture's Gaussian
// log-densities (GaussianLogDensity, and FullGaussianLogDensity for full covariances) are
// Gorgonia ops of their own (op.go), each with gradient ops returned by its SymDiff, so
// that graphs built from them are still differentiated by Gorgonia. They write into the buffers they are handed, take their tanh and exp four
// lanes at a time (internal/vecmath) and multiply matrices with the BLAS handed to
// Gorgonia (in the default build mixgraph's own GEMM, internal/gemm). Each is tested
// against the graph of Gorgonia's ops it replaces and by finite differences.
//
// Heads applies several affine layers to one input as one product, x·[W_1 | … | W_n] +
// [b_1 | … | b_n], and cuts the result into each layer's columns; its gradient is one
// product for dx and one for the stacked weights, where separate layers take n narrow
// products each and Gorgonia sums the n contributions to dx with n−1 Adds. The layers'
// parameters stay separate. (Its column ops hand Gorgonia (1, 1) placeholders for their
// gradients and record the real ones for the product's op; see Heads.)
//
// # Running graphs
//
// Runner copies inputs into the input nodes' tensors, runs the graph and reads named
// outputs. It runs the graph on mixgraph's own machine: the nodes the outputs (and the
// gradients) need, in dependency order, each op called as Gorgonia defines it (Do, or
// UsePreallocDo into the node's output of the previous run). It keeps one value per node
// and binds nothing to the graph, so a run allocates only what the ops do. The graph, its
// ops and its symbolic gradient (gorgonia.Grad) are Gorgonia's throughout, and
// TestMachinesMatch checks that the machine gives the same bits as Gorgonia's
// TapeMachine. A runner built with gradients (WithGradients) sums them over its runs
// until ZeroGrads, as Gorgonia's BindDualValues does; evaluation must use a runner of its
// own without gradients.
//
// # Process-wide settings
//
// Importing graph (and so any mixgraph package that builds graphs) changes two settings
// of Gorgonia and its tensor package for the whole process, for every user of them in
// it: tensor's pool of tensor structs is switched off (its ReturnTensor can deadlock
// goroutines that return tensors at once, as mixgraph's parallel training does), and
// Gorgonia's BLAS (gorgonia.Use) becomes gonum's with mixgraph's matrix multiply, or,
// with the openblas build tag, OpenBLAS on one thread with the long products on
// mixgraph's multiply; BLAS names the one in use. A program that sets either itself after
// importing graph changes what mixgraph runs on. Both live in internal/gorgonia, the one
// place where mixgraph relies on more of Gorgonia and tensor than their documented API.
package graph
