package models

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
)

// Loss is a model's training cost built for one batch size in one graph.
type Loss struct {
	X, Y *G.Node // inputs, (B, InputDim) and (B, OutputDim), in standardised units
	Cost *G.Node // scalar: the mean cost over the batch, in standardised units
	// PerRow is the per-row cost (B) whose mean is Cost; nil if the model has none.
	PerRow *G.Node
}

// Trainable is what package train trains.
type Trainable interface {
	// Params are the learnable tensors, shared by every graph the model builds.
	Params() *graph.ParamSet
	// InputDim and OutputDim are the widths of x and y.
	InputDim() int
	OutputDim() int
	// BuildLoss adds the model and its cost for batches of the given size to g.
	BuildLoss(g *G.ExprGraph, batch int) (*Loss, error)
	// Normalization is the standardisation the model's inputs and targets go through.
	Normalization() Normalization
	SetNormalization(Normalization) error
	// CostInOriginalUnits converts a mean cost in standardised units to the units the
	// model reports it in: mdn's negative log-likelihood per point becomes
	// NLL + Σ_d log s_d, in original units; mlp's mean squared error is returned
	// unchanged, in standardised units, where the target dimensions are comparable.
	CostInOriginalUnits(cost float64) float64
}

// DataInitializer is a Trainable that sets some of its initial weights from the training
// data: mdn.Model places its mixture means on the targets' k-means centres. train.Run
// calls InitFromData once, after setting the normalisation, with the training rows in
// original units (row-major x and y),
// before the first step of a run that does not resume; train.Config.KeepInit skips it and
// keeps the weights the model was built with.
type DataInitializer interface {
	InitFromData(x, y []float64) error
}

// Normalization standardises data column by column: x' = (x − XMean)/XStd and
// y' = (y − YMean)/YStd. A zero-length Normalization is the identity.
type Normalization struct {
	XMean, XStd []float64
	YMean, YStd []float64
}

// IdentityNormalization returns the normalisation that changes nothing, for the given widths.
func IdentityNormalization(xDim, yDim int) Normalization {
	n := Normalization{XMean: make([]float64, xDim), XStd: make([]float64, xDim), YMean: make([]float64, yDim), YStd: make([]float64, yDim)}
	for i := range n.XStd {
		n.XStd[i] = 1
	}
	for i := range n.YStd {
		n.YStd[i] = 1
	}
	return n
}

// Fit returns the normalisation of row-major x (n×xDim) and y (n×yDim): column means
// and population standard deviations; a column with zero spread gets standard deviation
// 1, so that it is only centred.
func Fit(x []float64, xDim int, y []float64, yDim int) Normalization {
	xm, xs := meanStd(x, xDim)
	ym, ys := meanStd(y, yDim)
	return Normalization{XMean: xm, XStd: xs, YMean: ym, YStd: ys}
}

func meanStd(v []float64, dim int) (mean, std []float64) {
	mean, std = make([]float64, dim), make([]float64, dim)
	n := len(v) / dim
	if n == 0 {
		for i := range std {
			std[i] = 1
		}
		return mean, std
	}
	for i := 0; i < n; i++ {
		for d := 0; d < dim; d++ {
			mean[d] += v[i*dim+d]
		}
	}
	for d := range mean {
		mean[d] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for d := 0; d < dim; d++ {
			e := v[i*dim+d] - mean[d]
			std[d] += e * e
		}
	}
	for d := range std {
		std[d] = math.Sqrt(std[d] / float64(n))
		if math.IsInf(mean[d], 0) || math.IsNaN(mean[d]) || math.IsInf(std[d], 0) || std[d] < tinyStd {
			mean[d], std[d] = scaledMeanStd(v, dim, d, n)
		}
		if !(std[d] > 0) {
			std[d] = 1
		}
	}
	return mean, std
}

// tinyStd is the standard deviation below which meanStd computes it again on rescaled
// values: the squared deviations of such a column may have underflowed (to 0 below
// about 1e-162, which would make it look constant).
const tinyStd = 1e-140

// scaledMeanStd is meanStd's column d for a column of finite values whose sums overflow
// (values beyond about 1e154 in magnitude) or whose squared deviations underflow
// (deviations below about 1e-154): the same statistics computed on the values divided by
// the largest magnitude and scaled back. Both are finite: the standard deviation is at
// most half the spread, so at most the largest magnitude.
func scaledMeanStd(v []float64, dim, d, n int) (mean, std float64) {
	s := 0.0
	for i := range n {
		s = max(s, math.Abs(v[i*dim+d]))
	}
	if s == 0 {
		return 0, 0
	}
	for i := range n {
		mean += v[i*dim+d] / s
	}
	mean /= float64(n)
	return mean * s, scaledRMS(n, func(i int) float64 { return v[i*dim+d]/s - mean }) * s
}

// scaledRMS returns √((1/n) Σ_i r(i)²) for n ≥ 1 finite values r(i), summed on the values
// divided by their largest magnitude and scaled back, so that neither the squares nor
// their sum overflow or underflow; 0 when every value is 0.
func scaledRMS(n int, r func(int) float64) float64 {
	big := 0.0
	for i := range n {
		big = max(big, math.Abs(r(i)))
	}
	if big == 0 {
		return 0
	}
	ss := 0.0
	for i := range n {
		q := r(i) / big
		ss += q * q
	}
	return math.Sqrt(ss/float64(n)) * big
}

// Validate checks the widths and that every statistic is finite and every standard
// deviation positive.
func (n Normalization) Validate(xDim, yDim int) error {
	if len(n.XMean) != xDim || len(n.XStd) != xDim {
		return fmt.Errorf("models: normalisation has %d/%d input statistics, model has %d inputs", len(n.XMean), len(n.XStd), xDim)
	}
	if len(n.YMean) != yDim || len(n.YStd) != yDim {
		return fmt.Errorf("models: normalisation has %d/%d target statistics, model has %d outputs", len(n.YMean), len(n.YStd), yDim)
	}
	for _, c := range []struct {
		name      string
		v         []float64
		mustBePos bool
	}{{"input mean", n.XMean, false}, {"input std", n.XStd, true}, {"target mean", n.YMean, false}, {"target std", n.YStd, true}} {
		for i, x := range c.v {
			if math.IsNaN(x) || math.IsInf(x, 0) || (c.mustBePos && x <= 0) {
				return fmt.Errorf("models: normalisation %s %d is %g", c.name, i, x)
			}
		}
	}
	return nil
}

// X standardises the row-major inputs src into dst (same length).
func (n Normalization) X(dst, src []float64) { standardise(dst, src, n.XMean, n.XStd) }

// Y standardises the row-major targets src into dst (same length).
func (n Normalization) Y(dst, src []float64) { standardise(dst, src, n.YMean, n.YStd) }

// LogDetY is Σ_d log YStd_d: a negative log-likelihood per point in standardised units
// plus LogDetY is the same in original units.
func (n Normalization) LogDetY() float64 {
	s := 0.0
	for _, v := range n.YStd {
		s += math.Log(v)
	}
	return s
}

func standardise(dst, src, mean, std []float64) {
	dim := len(mean)
	for i, v := range src {
		d := i % dim
		dst[i] = (v - mean[d]) / std[d]
	}
}

// Clone returns a deep copy.
func (n Normalization) Clone() Normalization {
	c := func(v []float64) []float64 { return append([]float64(nil), v...) }
	return Normalization{XMean: c(n.XMean), XStd: c(n.XStd), YMean: c(n.YMean), YStd: c(n.YStd)}
}

// CheckRows checks that every row has width values, all finite, and returns them flattened
// row-major. what names the data in errors ("input", "target").
func CheckRows(what string, rows [][]float64, width int) ([]float64, error) {
	return AppendRows(make([]float64, 0, len(rows)*width), what, rows, width)
}

// AppendRows is CheckRows appending the rows to flat (grown as append grows it), so that
// a caller can reuse a buffer.
func AppendRows(flat []float64, what string, rows [][]float64, width int) ([]float64, error) {
	for i, r := range rows {
		if len(r) != width {
			return nil, fmt.Errorf("%s row %d has %d columns, model expects %d", what, i, len(r), width)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s row %d, column %d is %g", what, i, j, v)
			}
		}
		flat = append(flat, r...)
	}
	return flat, nil
}
