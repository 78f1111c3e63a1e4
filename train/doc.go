// Package train is mixgraph's training loop: minibatch gradient descent on any
// models.Trainable (models/mdn, models/mlp), with value clipping applied through
// Gorgonia's solver, learning-rate schedules, validation with restore-best and early
// stopping, atomic checkpoints that resume bit for bit, and a per-epoch history.
//
// # One step
//
// Each step feeds a batch of standardised rows to the model's loss graph, runs it
// forward and backward (graph.Runner), and hands the gradients to Gorgonia's solver. The
// cost is the batch mean, so the solver's batch size is 1.
//
// A step uses every processor (Config.Workers, default GOMAXPROCS). The batch is split
// into that many parts of at least MinWorkerRows rows, each run in a graph and machine of
// its own on its own goroutine; their gradients are summed, weighted by rows, into the
// gradient of the batch mean before the one solver step, which equals one graph's up to
// float rounding (TestDataParallelStepMatchesOneGraph) and is reproducible for a given
// Workers. The solver is handed the parameters as one tensor (a span over the
// ParamSet's array) and their gradient as another, so that its fixed work per tensor is
// done once rather than once per parameter; for models of 4096 parameters or more the
// update is split too, one Gorgonia solver per contiguous run of the parameter array
// (cut to equal element counts, across parameter boundaries), stepping concurrently.
// Neither changes a bit: the updates are elementwise (TestSolverSpansMatchPerParameterSolver).
// Adam's update is made in one pass over each shard's elements (adam.go), with Gorgonia's
// operations in Gorgonia's order and roundings, so the weights and moments are its solver's
// bit for bit (TestAdamMatchesGorgonia); the moments and the step count stay in the shard's
// Gorgonia solver, where checkpoints read them. The other solvers are Gorgonia's, whose
// steps clone the gradient; a shard's gradient tensor carries an engine that gives those
// clones recycled memory, taken back after each step from whatever the solver no longer
// keeps, so a step allocates no tensor memory (TestSolverStepRecyclesClones).
// Before the solver sees the gradient, the loop
//
//  1. forms g, the gradient of the batch-mean cost (the parts' gradients weighted by
//     rows) plus L2·w (Config.L2), the same way for every solver;
//  2. records ‖g‖₂, the global norm of that g (with the L2 term, before any clipping), and
//     the fraction of its elements with |g_i| > c (history: GradNorm, ClippedFraction),
//     and stops with ErrNonFinite if any element is NaN or ±Inf;
//  3. rescales g to norm ClipNorm when ClipNorm > 0 and ‖g‖₂ > ClipNorm.
//
// The solver then clamps every element (gorgonia.WithClip(c), Config.Clip, default 10):
//
//	g_i ← max(−c, min(c, g_i)),
//
// after the L2 term and element by element — so a gradient element above c moves its
// weight exactly as a gradient of c would — and applies its update. With RMSProp the loop
// clamps g itself before the step as well, since Gorgonia's RMSProp accumulates the
// squared gradient before it clips. Gorgonia's AdaGrad (ignores its options) and AdamW
// (never changes the weights) are not offered; every solver offered is tested against a
// plain-Go update.
//
// Value clipping keeps the first steps of a badly scaled problem from throwing the
// weights far away (TestClippingEvidence). It does not stop the likelihood's own
// degeneracy, a component's σ shrinking onto repeated targets; the model's variance
// floor does (TestVarianceFloorEvidence).
//
// # Epochs and data
//
// Inputs and targets are standardised with the training split's column statistics,
// which are stored in the model (RawUnits turns this off); every NLL reported — history,
// Result, the model's NLL — is per point in the original units of y. A model that is a
// models.DataInitializer (mdn.Model places its component means on the targets' k-means
// centres) is then initialised from the training rows, unless KeepInit. Each epoch visits
// every training row once, in an order drawn from Seed and the epoch number; when the
// batch size does not divide the rows, the last batch is shorter and runs on a graph of
// its own, sharing the parameters and the solver state. The same seed, data and
// configuration give the same weights bit for bit.
//
// Validation rows (Data.ValX/ValY, or ValFraction of the training rows) are evaluated
// after every epoch on a graph without gradients. Unless KeepLast is set, the weights of
// the best validation epoch are restored at the end; Patience stops the run after that
// many epochs without improvement.
//
// # Ensembles
//
// Ensemble trains M models of one mdn.Config from different seeds (MemberSeed) on the
// same rows, concurrently, and combines them with mdn.Combine into one model whose
// density is the mean of the members': its NLL on any rows is at most the members' mean
// NLL there (Jensen's inequality, row by row). EnsembleOf trains members whose configs
// differ in the skip path (mdn.Config.Skip), MemberConfigs placing it by a SkipChoice:
// the train command's default, ScaledSkip, gives it to every second member. HoldOut gives the training and validation
// rows a Run would use, for callers that compare models on the same validation rows.
//
// # Failures, cancellation and checkpoints
//
// A non-finite cost, gradient or parameter stops the run with an error naming the step
// and epoch; the parameters are restored to those before the step, and no checkpoint is
// written from that state. Cancelling the context stops after the current step and
// writes a checkpoint of the last step's state; the model is then left with the best
// validation epoch's weights so far (unless KeepLast), as at the end of a full run. Run's
// documentation lists what the model holds after each kind of error.
//
// Checkpoints (every CheckpointEvery epochs, at the end and on cancellation) are written
// atomically with a checksum and hold the parameters, the normalisation, the solver's
// internal state (Adam's step count and moments, RMSProp's average, the momentum), the
// position within the epoch and the history, so that a run resumed with Config.Resume
// finishes with the same weights, bit for bit, as one never interrupted
// (TestResumeBitExact). Gorgonia keeps the solver's state unexported; internal/gorgonia
// reads and writes it.
//
// # Accuracy
//
// On Bishop's inverse problem (1000 training and 1000 test points) an MDN with K = 5 and
// one hidden layer of 24 tanh units, trained 1500 epochs in batches of 250 with Adam at
// 0.01 on a cosine schedule, reaches a test NLL of about −1.13 nats per point
// (TestAccuracyBishop, which logs its time; one Gaussian per branch scores −1.10, the
// true density −1.28). On the wider sine variant (3000 + 3000 points), K = 10 and hidden [64 64],
// 600 epochs in batches of 256 at 0.005 on a cosine schedule reach about 1.34 (true
// density 1.29; TestAccuracySine).
package train
