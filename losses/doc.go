// Package losses holds mixgraph's costs as symbolic Gorgonia expressions, so that
// Gorgonia's automatic differentiation gives their gradients: the negative
// log-likelihood of a mixture of diagonal Gaussians (MixtureNLL), its one-component
// heteroscedastic special case (GaussianNLL) and the mean squared error (MSE).
//
// # The mixture negative log-likelihood
//
// For a batch of B targets y_b ∈ R^D and network outputs per row — K logits z_bk,
// K·D means μ_bkd and K·D scale parameters s_bkd — the mixture is
//
//	p(y_b) = Σ_k π_bk Π_d N(y_bd | μ_bkd, σ²_bkd),  π_bk = softmax_k(z_b),
//
// with σ_bkd = t(s_bkd) for a positive scale transform t (exp, softplus or elu+1) and,
// optionally, a variance floor f: σ² = t(s)² + f. The cost is the mean negative
// log-likelihood
//
//	NLL = −(1/B) Σ_b log Σ_k exp(log π_bk + log N_bk),
//	log N_bk = −(D/2) log 2π − Σ_d log σ_bkd − ½ Σ_d ((y_bd − μ_bkd)/σ_bkd)²,
//
// computed in log space throughout: log π is a log-softmax (max-shifted per row), log σ
// is taken directly (for t = exp with no floor it is s itself), and the sum over k is a
// per-row max-shifted log-sum-exp. No probability or density is formed and then logged,
// so a target 10³ σ from every mean, σ of 10⁻⁴ or logits 10³ apart give finite, exact
// values. The graph primitives come from package graph, not Gorgonia's LogSumExp or
// SoftMax (see graph's documentation for why).
//
// Means and scales are laid out component-major: column k·D + d of the (B, K·D)
// matrices belongs to component k and target dimension d.
//
// The gradients, which Gorgonia derives from the expression, have the closed forms
// (Bishop 1994, "Mixture density networks", eqs. 35-39, for one row and without the 1/B)
//
//	∂E/∂z_k = π_k − γ_k,
//	∂E/∂μ_kd = γ_k (μ_kd − y_d) / σ²_kd,
//	∂E/∂log σ_kd = γ_k (1 − ((y_d − μ_kd)/σ_kd)²),
//
// where γ_k = π_k N_k / Σ_j π_j N_j is the posterior responsibility of component k; the
// tests check the expression against them.
//
// # Full covariances
//
// FullMixtureNLL takes in addition, per row, K·M entries (M = D(D−1)/2) below the
// diagonals of lower-triangular factors L_bk, whose diagonals are the σ_bkd above, and
// uses Σ_bk = L_bk L_bkᵀ:
//
//	log N_bk = −(D/2) log 2π − Σ_d log L_bkdd − ½ ‖L_bk⁻¹ (y_b − μ_bk)‖²,
//
// with the triangular solve done by forward substitution inside one op
// (graph.FullGaussianLogDensity, whose gradient ops are given there), log L_dd = log σ
// taken as above, and the same log-softmax and log-sum-exp. Zero off-diagonals give
// MixtureNLL's values to the bit.
package losses
