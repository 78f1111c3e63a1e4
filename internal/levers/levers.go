// Package levers holds the switches of mixgraph's speed levers, so that tests can compare
// each fast path with the plain one it replaces and benchmarks can measure what each one
// gives, one at a time. Every lever is on by default. They are read when graphs are
// built (the fusions) or run (buffer reuse): change them only between builds, never
// while another goroutine builds or runs a graph.
package levers

var (
	// SolverSpans hands each solver shard its parameters as one value-gradient pair
	// over the ParamSet's array instead of one pair per parameter. Read when training
	// builds its solvers.
	SolverSpans = true
	// RecycleClones gives each solver shard's gradient span an engine that recycles the
	// memory of the clones Gorgonia's Adam makes every step (train/recycle.go) instead of
	// allocating it afresh. Read when training builds its solvers; only with SolverSpans.
	RecycleClones = true
	// OwnMachine runs graphs on mixgraph's own machine (graph/machine.go) instead of a
	// Gorgonia TapeMachine. Read when a graph.Runner is built.
	OwnMachine = true
	// ReuseBuffers makes graph.Runner rewind its tape machine between runs instead of
	// resetting it, so that ops write into their previous outputs (the own machine
	// always does).
	ReuseBuffers = true
	// FuseDense builds dense layers as one fused op (with its gradient ops) instead of
	// Gorgonia's Mul, BroadcastAdd and activation nodes.
	FuseDense = true
	// FuseRows builds LogSumExp and LogSoftmax along rows as single ops.
	FuseRows = true
	// FuseGaussian builds the mixture's per-component Gaussian log-density as one op
	// instead of a graph of elementwise ops.
	FuseGaussian = true
)
