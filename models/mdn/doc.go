// Package mdn is a mixture density network (Bishop 1994): a neural network whose outputs,
// for every input row x, are the parameters of a mixture of K Gaussians over the target y,
// so that it predicts the whole conditional density p(y | x), several branches and a
// spread that varies with x included, where a least-squares regressor (models/mlp) gives
// only the conditional mean.
//
// # The model
//
// An MLP body (Config.Hidden, tanh by default) maps a standardised input x′ to h; three
// dense heads map h to, per row, K mixing logits z_k, K·D means μ′_kd and K·D raw scales
// s_kd. With D the width of y,
//
//	π_k = softmax_k(z) = exp(z_k − max z) / Σ_j exp(z_j − max z),
//	σ′_kd = √(t(s_kd)² + f),
//	p(y′ | x) = Σ_k π_k Π_d N(y′_d | μ′_kd, σ′²_kd),
//
// where t is the scale transform (Config.Scale: exp, softplus or elu+1; see losses.Scale)
// and f ≥ 0 the variance floor (Config.VarianceFloor, in standardised target units; with
// f = 0, σ′ = t(s)). The cost trained on is the mean negative log-likelihood of a batch
// of B rows,
//
//	NLL = −(1/B) Σ_b log Σ_k exp(log π_bk + log N_bk),
//	log N_bk = −(D/2) log 2π − Σ_d log σ′_bkd − ½ Σ_d ((y′_bd − μ′_bkd)/σ′_bkd)²,
//
// computed as a log-sum-exp shifted by each row's maximum, with log π a log-softmax, so
// that no probability or density is formed and then logged (losses.MixtureNLL builds it;
// its documentation gives the gradients).
//
// # Full covariances
//
// With Config.Covariance = full (D ≥ 2), a fourth head gives per component the
// M = D(D−1)/2 entries below the diagonal of a lower-triangular L′_k whose diagonal is
// σ′_k above (same transform, same floor), and each component is N(μ′_k, L′_k L′_kᵀ):
//
//	log N_bk = −(D/2) log 2π − Σ_d log L′_bkdd − ½ ‖L′_bk⁻¹ (y′_b − μ′_bk)‖²,
//
// the triangular solve done by forward substitution inside one graph op
// (graph.FullGaussianLogDensity, with its own gradient ops; losses.FullMixtureNLL),
// combined with log π by the same log-sum-exp. Zero off-diagonals give the diagonal
// model exactly. Predict's Mixture then carries the factors in original units,
// L = diag(s_y) L′ (Mixture.Cholesky), and Covariance, Sample and Mode use them.
//
// # Skip path
//
// With Config.Skip, a linear map of the standardised input is added to every
// component's mean, μ′_k(x) = head_k(h(x)) + x′·A_g, one A_g (InputDim × D) shared by
// the components of member g (one member unless Config.Members > 1; Combine keeps each
// member's own). InitFromData starts A at the least-squares fit of the training rows, the
// means' biases on the k-means centres of the residuals and the scales at the residuals'
// standard deviation, so that the network starts from the linear-Gaussian regression;
// weight decay (train.Config.WeightDecay) pulls the heads, not A, towards zero, that is
// the means towards the linear fit.
//
// # Units
//
// The network works in standardised units: x′ = (x − m_x)/s_x and y′ = (y − m_y)/s_y
// column by column (models.Normalization; train.Run fits it on the training rows and
// sets it). Everything the package reports is in original units: Predict's Mixture has
// weights π, means μ = μ′·s_y + m_y and standard deviations σ = σ′·s_y, and LogLik
// returns log p(y | x) = log p(y′ | x) − Σ_d log s_y,d, so a mean NLL in original units
// is the standardised one plus Σ_d log s_y,d (CostInOriginalUnits). The variance floor
// stays a floor on σ′² (√f·s_y,d on σ in original units).
//
// # Shapes and defaults
//
// In a graph (BuildGraph, Forward) x is (B, InputDim), y is (B, D), the logits are
// (B, K) and the means and raw scales (B, K·D), component-major: column k·D + d belongs
// to component k and target dimension d. Zero Config fields take the defaults K = 5
// (DefaultK), hidden widths [32 32] (DefaultHidden), tanh, the exp scale, no variance
// floor and float64; InputDim and OutputDim are required, and sizes are bounded (MaxK,
// MaxWidth, MaxDim, MaxLayers, MaxParams). New's documentation says how the weights
// start.
//
// # Ensembles
//
// Combine turns M trained models of one config (and one normalisation) into one model
// whose density is the mean of theirs: K·M components, member m's weights divided by M,
// the members' networks side by side in block-diagonal layers. Config.Members = M makes
// the logits every member's own log-softmax, which is what keeps the weights π/M
// exactly. The result is an ordinary model (Predict, LogLik, Save, Load, the safetensors
// export); train.Ensemble trains the members and combines them.
//
// # Files
//
// Save and SaveFile write the config, normalisation, column names and weights in the
// model file format (FileFormat "mixgraph.mdn", FileVersion 1: a JSON header line, then
// a JSON body with its length and SHA-256 in the header; see file.go); Load and LoadFile
// read it back bit for bit, checking everything before they allocate.
// testdata/golden.mdn pins the format.
//
// # Concurrency
//
// Predict, LogLik, NLL, Save, SaveFile and the accessors only read a model and are safe
// for concurrent use: each call runs on a graph of its own, taken from a pool the model
// keeps per batch size (models.Batcher; at most 256 rows a run, fewer rows padded to a
// power of two). Training, SetNormalization, SetColumns and InitFromData change the model
// and must not overlap any other call. See Model.
//
// Reference: C. M. Bishop, "Mixture density networks", Technical Report NCRG/94/004,
// Aston University, 1994.
package mdn
