package mdn

import (
	"fmt"
	"math"
	"slices"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// Combine returns one model whose mixture, for every input, is the equal-weight
// ensemble of the members' mixtures:
//
//	p(y | x) = (1/M) Σ_m p_m(y | x),   M = len(members),
//
// a mixture of K·M components, member m's components k at index m·K + k with weights
// π_mk / M. The members must be alike in everything but their weights: the same
// config (input and output widths, K, hidden widths, activation, scale, variance floor,
// dtype, covariance; only Seed and Skip may differ, and none may itself be a
// combination), the same normalisation and the same column names. When any member has
// the skip path (Config.Skip), the combination has it, with a zero block for every
// member without one (which adds nothing to that member's means: the same density).
// Training them on the same rows with train.Run gives them the same normalisation;
// train.Ensemble does all of it.
//
// The combined network is the members' networks side by side: every hidden layer holds
// the members' units in member order (width·M units), with the members' weights on the
// block diagonal and zeros across members, and every head maps member m's last hidden
// units to member m's components. Its Config has K·M components, widths·M and
// Members = M, which makes the mixing weights every member's own softmax divided by M
// (see Config.Members). The result is an ordinary model: Predict, LogLik, Save, Load and
// training take it as any other (training makes the zero blocks nonzero: the members
// then stop being separate networks).
//
// The combined model's seed is the first member's. Combine only reads the members.
func Combine(members []*Model) (*Model, error) {
	if len(members) == 0 {
		return nil, fmt.Errorf("mdn: Combine of no members")
	}
	first := members[0]
	base := first.Config()
	if base.Members > 1 {
		return nil, fmt.Errorf("mdn: member 0 is itself a combination of %d members", base.Members)
	}
	norm := first.Normalization()
	for i, mm := range members[1:] {
		c := mm.Config()
		if c.Members > 1 {
			return nil, fmt.Errorf("mdn: member %d is itself a combination of %d members", i+1, c.Members)
		}
		c.Seed, c.Skip = base.Seed, base.Skip
		if !sameConfig(c, base) {
			return nil, fmt.Errorf("mdn: member %d's config %+v differs from member 0's %+v (only the seed and the skip path may differ)", i+1, mm.Config(), first.Config())
		}
		if !sameNorm(mm.Normalization(), norm) {
			return nil, fmt.Errorf("mdn: member %d's normalisation differs from member 0's (train the members on the same rows)", i+1)
		}
		x, y := mm.Columns()
		x0, y0 := first.Columns()
		if !slices.Equal(x, x0) || !slices.Equal(y, y0) || (x == nil) != (x0 == nil) {
			return nil, fmt.Errorf("mdn: member %d's column names differ from member 0's", i+1)
		}
	}
	nm := len(members)
	cfg := base
	for _, mm := range members {
		cfg.Skip = cfg.Skip || mm.cfg.Skip
	}
	cfg.Members = nm
	cfg.K = base.K * nm
	cfg.Hidden = make([]int, len(base.Hidden))
	for i, w := range base.Hidden {
		if w > MaxWidth/nm {
			return nil, fmt.Errorf("mdn: %d members of hidden width %d make a layer of %d units (at most MaxWidth = %d)", nm, w, w*nm, MaxWidth)
		}
		cfg.Hidden[i] = w * nm
	}
	if base.K > MaxK/nm {
		return nil, fmt.Errorf("mdn: %d members of K = %d make %d components (at most MaxK = %d)", nm, base.K, base.K*nm, MaxK)
	}
	out, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := out.SetNormalization(norm); err != nil {
		return nil, err
	}
	x0, y0 := first.Columns()
	if err := out.SetColumns(x0, y0); err != nil {
		return nil, err
	}

	// Every parameter is a (in, out) weight or a (1, out) bias. The combined one is
	// made of M blocks: member m's block sits at rows [m·in, (m+1)·in) (rows [0, in)
	// for the first layer, whose input x is shared) and columns [m·out, (m+1)·out).
	dst := out.Params().List()
	src := make([][]*graph.Param, nm)
	for m, mm := range members {
		src[m] = mm.Params().List()
		if cfg.Skip && !mm.cfg.Skip {
			src[m] = append(src[m], nil) // no skip matrix: its block stays zero
		}
		if len(src[m]) != len(dst) {
			return nil, fmt.Errorf("mdn: member %d has %d parameters, the combination %d", m, len(src[m]), len(dst))
		}
	}
	for i, p := range dst {
		rows, cols := p.Value.Shape()[0], p.Value.Shape()[1]
		vals := make([]float64, rows*cols)
		for m := range members {
			sp := src[m][i]
			if sp == nil {
				continue
			}
			in, o := sp.Value.Shape()[0], sp.Value.Shape()[1]
			rowOff := m * in
			if in == rows { // the first layer's weights and every bias: rows shared
				rowOff = 0
			}
			if o*nm != cols || (rowOff != 0 && in*nm != rows) {
				return nil, fmt.Errorf("mdn: member %d's parameter %q of shape %v does not fit the combination's %v", m, sp.Name, sp.Value.Shape(), p.Value.Shape())
			}
			sv := graphValues(sp)
			for r := 0; r < in; r++ {
				copy(vals[(rowOff+r)*cols+m*o:(rowOff+r)*cols+(m+1)*o], sv[r*o:(r+1)*o])
			}
		}
		graph.CopyFromFloat64s(p.Value, vals)
	}
	return out, nil
}

// sameConfig reports whether a and b (defaults applied) are the same config.
func sameConfig(a, b Config) bool {
	return a.InputDim == b.InputDim && a.OutputDim == b.OutputDim && a.K == b.K &&
		slices.Equal(a.Hidden, b.Hidden) && a.Activation == b.Activation && a.Scale == b.Scale &&
		a.VarianceFloor == b.VarianceFloor && a.DType == b.DType && a.Seed == b.Seed && a.Members == b.Members &&
		a.Covariance == b.Covariance && a.Skip == b.Skip
}

// sameNorm reports whether a and b hold the same statistics, bit for bit.
func sameNorm(a, b models.Normalization) bool {
	eq := func(u, v []float64) bool {
		return slices.EqualFunc(u, v, func(p, q float64) bool { return math.Float64bits(p) == math.Float64bits(q) })
	}
	return eq(a.XMean, b.XMean) && eq(a.XStd, b.XStd) && eq(a.YMean, b.YMean) && eq(a.YStd, b.YStd)
}
