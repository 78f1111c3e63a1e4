// Package models holds what every mixgraph model shares with the training loop: the
// Trainable interface that package train drives, the Loss a model builds for one batch
// size, and the Normalization that maps data in original units to the standardised units
// a network is trained in.
//
// The models themselves live in subpackages: models/mdn (mixture density networks) and
// models/mlp (a least-squares MLP regressor, the baseline an MDN is compared with).
package models
