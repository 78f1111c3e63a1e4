package graph

import "gorgonia.org/tensor"

// Gorgonia's tensor package recycles tensor structs through a buffered channel, and
// tensor.ReturnTensor puts one back with a check-then-send: when the pool is one short of
// full, two goroutines returning tensors at once both pass the check and the second
// blocks forever. Gorgonia's AdamSolver returns more tensors than it borrows, so the pool
// does fill up, and mixgraph runs graphs and solvers on several goroutines at once (see
// train.Config.Workers): a training step deadlocked after a few hundred steps. The pool
// is therefore switched off for every program that uses mixgraph; tensors are then
// simply left to the garbage collector.
func init() { tensor.DontUsePool() }
