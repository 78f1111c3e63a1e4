// Package linear is the homoscedastic linear-Gaussian regression that every training run
// is compared with: y = W x + b + ε, ε ~ N(0, diag σ²), fitted in closed form.
//
// Fit solves the least-squares problem min ‖y − W x − b‖² on standardised inputs and
// targets (models.Fit's statistics, right at any scale) with a singular value
// decomposition (columns that are constant or collinear are handled by dropping singular
// values below 1e-10 of the largest, the minimum-norm solution), and takes the
// maximum-likelihood standard deviation σ_d = √((1/N) Σ_i (y_id − ŷ_id)²) of each target
// column (models.ResidualStdDevs). NLL scores rows with models.GaussianNLL, per row in the
// data's own units, so the figure is directly comparable with an MDN's NLL.
package linear

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/mixgraph/mixgraph/models"
)

// rcond is the relative singular-value cut-off of the least-squares solve.
const rcond = 1e-10

// Model is a fitted linear-Gaussian regression. It is read-only after Fit and safe for
// concurrent use.
type Model struct {
	norm models.Normalization
	coef *mat.Dense // (XDim+1)×YDim, the last row the intercept, on standardised x and y
	std  []float64
	rank int // of the design matrix (inputs and intercept) the solve kept
	n    int // training rows
}

// Fit fits the model to N ≥ 1 rows of x (XDim values each) and y (YDim values each).
func Fit(x, y [][]float64) (*Model, error) {
	if len(x) == 0 || len(x) != len(y) {
		return nil, fmt.Errorf("linear: %d input rows and %d target rows (want the same number, at least 1)", len(x), len(y))
	}
	n, p, q := len(x), len(x[0]), len(y[0])
	if p < 1 || q < 1 {
		return nil, fmt.Errorf("linear: %d input and %d target columns (want at least 1 each)", p, q)
	}
	fx, fy := make([]float64, 0, n*p), make([]float64, 0, n*q)
	for i := range x {
		if len(x[i]) != p || len(y[i]) != q {
			return nil, fmt.Errorf("linear: row %d has %d inputs and %d targets (want %d and %d)", i, len(x[i]), len(y[i]), p, q)
		}
		fx, fy = append(fx, x[i]...), append(fy, y[i]...)
	}
	m := &Model{norm: models.Fit(fx, p, fy, q)}
	a := mat.NewDense(n, p+1, nil)
	b := mat.NewDense(n, q, nil)
	ys := make([]float64, q)
	for i := range x {
		a.SetRow(i, m.design(x[i]))
		m.norm.Y(ys, y[i])
		b.SetRow(i, ys)
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, fmt.Errorf("linear: the least-squares solve did not converge")
	}
	m.coef = &mat.Dense{}
	m.rank, m.n = max(1, svd.Rank(rcond)), n
	svd.SolveTo(m.coef, b, m.rank)
	sd, err := models.ResidualStdDevs(m.Predict(x), y)
	if err != nil {
		return nil, err
	}
	m.std = sd
	return m, nil
}

// design returns the standardised row with a trailing 1 for the intercept.
func (m *Model) design(x []float64) []float64 {
	r := make([]float64, len(x)+1)
	m.norm.X(r[:len(x)], x)
	r[len(x)] = 1
	return r
}

// Predict returns the fitted mean W x + b of every row.
func (m *Model) Predict(x [][]float64) [][]float64 {
	_, q := m.coef.Dims()
	out := make([][]float64, len(x))
	for i, row := range x {
		d := mat.NewVecDense(len(row)+1, m.design(row))
		o := mat.NewVecDense(q, nil)
		o.MulVec(m.coef.T(), d)
		out[i] = o.RawVector().Data
		for d, v := range out[i] {
			out[i][d] = v*m.norm.YStd[d] + m.norm.YMean[d]
		}
	}
	return out
}

// Interpolates reports whether the fit passes through every training row: its design
// (the inputs and the intercept) has rank N, as it does with at least N − 1 independent
// inputs, so that the residuals are rounding error and the fitted σ, near 0, says
// nothing about new rows (the test NLL then runs to about 1e28 or beyond).
func (m *Model) Interpolates() bool { return m.rank >= m.n }

// Rank returns the rank of the design matrix (the inputs and the intercept) that the
// least-squares solve kept.
func (m *Model) Rank() int { return m.rank }

// StdDevs returns the fitted noise standard deviations σ_d, one per target column.
func (m *Model) StdDevs() []float64 { return append([]float64(nil), m.std...) }

// Variance returns the fitted noise variances σ²_d, one per target column (which
// overflow or underflow where σ_d is beyond about 1e±154; StdDevs does not).
func (m *Model) Variance() []float64 {
	v := make([]float64, len(m.std))
	for d, s := range m.std {
		v[d] = s * s
	}
	return v
}

// NLL returns the mean negative log-likelihood per row of (x, y) under the fitted model.
func (m *Model) NLL(x, y [][]float64) (float64, error) {
	if len(x) != len(y) {
		return 0, fmt.Errorf("linear: %d input rows but %d target rows", len(x), len(y))
	}
	for i, row := range x {
		if len(row) != len(m.norm.XMean) {
			return 0, fmt.Errorf("linear: row %d has %d inputs, the model takes %d", i, len(row), len(m.norm.XMean))
		}
	}
	return models.GaussianNLL(m.Predict(x), y, m.std)
}
