// Package models holds what every mixgraph model shares with the training loop: the
// Trainable interface that package train drives, the Loss a model builds for one batch
// size, and the Normalization that maps data in original units to the standardised units
// a network is trained in.
//
// It also holds the two pieces a model is built from. Base, embedded in a model, gives
// it the Trainable methods that do not depend on the network (Params, InputDim,
// OutputDim, Normalization, SetNormalization). Batcher runs row-major data through
// graphs of a fixed batch size, at most a given number of rows at a time with the last
// chunk zero-padded, and keeps a pool of built graphs per batch size so that concurrent
// callers never share one: Predict and evaluation use it (NewLossBatcher for a model's
// per-row cost).
//
// The models themselves live in subpackages: models/mdn (mixture density networks) and
// models/mlp (a least-squares MLP regressor, the baseline an MDN is compared with).
package models
