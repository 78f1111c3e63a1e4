package models

import (
	"fmt"
	"strings"

	"github.com/mixgraph/mixgraph/graph"
)

// Base is the part of a Trainable that does not depend on the network: the learnable
// parameters, the widths of x and y and the normalisation. A model embeds it and adds
// BuildLoss and CostInOriginalUnits. Its methods only read, except SetNormalization.
type Base struct {
	params  *graph.ParamSet
	in, out int
	norm    Normalization
	pkg     string // the model's package, which prefixes its errors
}

// NewBase returns the Base of a model of package pkg ("mdn", which prefixes the errors
// SetNormalization returns) with parameters ps, in input and out target columns, and the
// identity normalisation.
func NewBase(pkg string, ps *graph.ParamSet, in, out int) Base {
	return Base{params: ps, in: in, out: out, norm: IdentityNormalization(in, out), pkg: pkg}
}

// Params returns the learnable parameters, shared by every graph the model builds.
func (b *Base) Params() *graph.ParamSet { return b.params }

// InputDim is the width of x.
func (b *Base) InputDim() int { return b.in }

// OutputDim is the width of y.
func (b *Base) OutputDim() int { return b.out }

// Normalization returns a copy of the standardisation applied to x and y.
func (b *Base) Normalization() Normalization { return b.norm.Clone() }

// SetNormalization sets the standardisation applied to x and y, after checking it fits
// the widths (Normalization.Validate).
func (b *Base) SetNormalization(n Normalization) error {
	if err := n.Validate(b.in, b.out); err != nil {
		return fmt.Errorf("%s: %s", b.pkg, strings.TrimPrefix(err.Error(), "models: "))
	}
	b.norm = n.Clone()
	return nil
}
