package mdn

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
)

// skipName is the skip matrix's parameter name (see Config.Skip). It does not end in
// ".W", so train.Config.WeightDecay leaves it alone.
const skipName = "mdn.skip.A"

// The least-squares fit InitFromData gives the skip matrix.
const (
	// skipFitRows bounds the rows of the fit: a random subset of at most this many
	// training rows (the model's seed draws it).
	skipFitRows = 1 << 16
	// skipFitMaxDim bounds the input width for which the skip matrix is fitted: the fit
	// costs O(rows·InputDim²); wider inputs leave A at zero (training still learns it).
	skipFitMaxDim = 1024
	// skipRcond is the relative singular-value cut-off of the fit (constant or collinear
	// input columns get the minimum-norm solution).
	skipRcond = 1e-10
	// skipMinSD is the least residual standard deviation (standardised units) the
	// scales start at, so that an exactly linear training set does not start at σ = 0.
	skipMinSD = 1e-3
)

// addSkip returns means + x·A·E for a model with a skip path, means unchanged without:
// x (B, InputDim) standardised inputs, A the skip matrix (InputDim, G·D) and E the
// constant (G·D, K·D) 0/1 matrix that copies member g's D columns to each of its K/G
// components (E = I when every member has one component).
func (m *Model) addSkip(x, means *G.Node) (*G.Node, error) {
	if m.skip == nil {
		return means, nil
	}
	s, err := m.skipTerm(x)
	if err != nil {
		return nil, err
	}
	return G.Add(means, s)
}

// skipTerm returns x·A·E (B, K·D), the skip path's term of the means (see addSkip), for a
// model with a skip path.
func (m *Model) skipTerm(x *G.Node) (*G.Node, error) {
	s, err := G.Mul(x, m.skip.Node(x.Graph()))
	if err != nil {
		return nil, err
	}
	groups, k, d := m.cfg.groups(), m.cfg.K, m.cfg.OutputDim
	if k != groups {
		e := graph.NewTensor(m.cfg.DType.Tensor(), []int{groups * d, k * d}, skipExpansion(groups, k, d))
		if s, err = G.Mul(s, G.NewConstant(e, G.WithName("mdn.skip.E"))); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// skipExpansion returns E (groups·d × k·d, row-major): E[g·d + j][c·d + j] = 1 for every
// component c of member g (c in [g·k/groups, (g+1)·k/groups)), 0 elsewhere.
func skipExpansion(groups, k, d int) []float64 {
	e := make([]float64, groups*d*k*d)
	per := k / groups
	for c := range k {
		g := c / per
		for j := range d {
			e[(g*d+j)*k*d+c*d+j] = 1
		}
	}
	return e
}

// fitSkip fits the skip path to the training rows (x n×InputDim, y n×D, row-major, original
// units) by least squares in standardised units, y′ ≈ x′·A + c over the rows perm[:r]
// (r = min(n, skipFitRows)), and sets every member's block of the skip matrix to A. It
// returns the intercept c and the residuals' maximum-likelihood standard deviations
// (at least skipMinSD), D values each; with InputDim above skipFitMaxDim it leaves A at
// zero and fits c and the standard deviations alone.
func (m *Model) fitSkip(x, y []float64, perm []int) (c, sd []float64, err error) {
	p, d, groups := m.cfg.InputDim, m.cfg.OutputDim, m.cfg.groups()
	if len(x) != len(y)/d*p {
		return nil, nil, fmt.Errorf("mdn: %d input values for %d target rows of %d inputs", len(x), len(y)/d, p)
	}
	rows := perm[:min(len(perm), skipFitRows)]
	r := len(rows)
	cols := 1
	if p <= skipFitMaxDim {
		cols += p
	}
	norm := m.Normalization()
	a := mat.NewDense(r, cols, nil)
	b := mat.NewDense(r, d, nil)
	xs, ys := make([]float64, p), make([]float64, d)
	for i, row := range rows {
		norm.X(xs, x[row*p:(row+1)*p])
		norm.Y(ys, y[row*d:(row+1)*d])
		if cols > 1 {
			a.SetRow(i, append(xs[:p:p], 1))
		} else {
			a.Set(i, 0, 1)
		}
		b.SetRow(i, ys)
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, nil, fmt.Errorf("mdn: the skip path's least-squares fit did not converge")
	}
	var coef mat.Dense
	svd.SolveTo(&coef, b, max(1, svd.Rank(skipRcond)))
	var res mat.Dense
	res.Mul(a, &coef)
	res.Sub(b, &res)
	c, sd = make([]float64, d), make([]float64, d)
	for j := range d {
		c[j] = coef.At(cols-1, j)
		col := mat.Col(nil, j, &res)
		sd[j] = math.Max(skipMinSD, math.Sqrt(mat.Dot(mat.NewVecDense(r, col), mat.NewVecDense(r, col))/float64(r)))
	}
	vals := make([]float64, p*groups*d)
	if cols > 1 {
		for i := range p {
			for g := range groups {
				for j := range d {
					vals[(i*groups+g)*d+j] = coef.At(i, j)
				}
			}
		}
	}
	graph.CopyFromFloat64s(m.skip.Value, vals)
	return c, sd, nil
}

// initSkip starts a model with a skip path from the linear-Gaussian fit of the training
// rows (see fitSkip): it sets the skip matrix, turns the standardised targets pts of the
// rows idx into their residuals y′ − x′·A (so that k-means then places the components'
// means about the fitted line, intercept included), and sets the scales head's bias so
// that every component starts at the residuals' standard deviation.
func (m *Model) initSkip(x, y []float64, perm, idx []int, pts [][]float64) error {
	_, sd, err := m.fitSkip(x, y, perm)
	if err != nil {
		return err
	}
	p, d, gd := m.cfg.InputDim, m.cfg.OutputDim, m.cfg.groups()*m.cfg.OutputDim
	a := graphValues(m.skip)
	xs := make([]float64, p)
	norm := m.Normalization()
	for i, row := range idx {
		norm.X(xs, x[row*p:(row+1)*p])
		for q, v := range xs {
			for j := range d {
				pts[i][j] -= v * a[q*gd+j]
			}
		}
	}
	raw := make([]float64, d)
	for j, s := range sd {
		raw[j] = rawScale(m.cfg.Scale, m.cfg.VarianceFloor, s)
	}
	bias := graph.AppendFloat64s(nil, m.scales.B.Value)
	for c := range m.cfg.K {
		copy(bias[c*d:(c+1)*d], raw)
	}
	graph.CopyFromFloat64s(m.scales.B.Value, bias)
	return nil
}
