// Package mlp is a least-squares MLP regressor: the baseline that shows what a mixture
// density network adds. Trained on the mean squared error, it predicts the conditional
// mean E[y | x], which on multimodal data falls between the branches where no data lies.
//
// The network maps a standardised input x′ = (x − m_x)/s_x through the hidden layers
// (Config.Hidden, [32 32] by default, tanh) and a linear output layer to ŷ′ (B, D). The
// cost, in standardised units y′ = (y − m_y)/s_y, is
//
//	MSE = (1/B) Σ_b (1/D) Σ_d (ŷ′_bd − y′_bd)²,
//
// the mean over the batch of each row's mean over the D columns (see Model.BuildLoss for
// why it is not losses.MSE), and it is reported in standardised units, where the
// dimensions are comparable. Predict returns ŷ = ŷ′·s_y + m_y in original units.
//
// It shares graph's layers with models/mdn and trains with package train like any
// models.Trainable. Predict and the accessors are safe for concurrent use (each call runs
// on a graph of its own, as in models/mdn); SetNormalization and training are not.
package mlp
