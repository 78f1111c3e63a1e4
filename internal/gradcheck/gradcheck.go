// Package gradcheck compares the gradients Gorgonia's automatic differentiation gives
// for a scalar-cost graph with central finite differences computed by
// gonum.org/v1/gonum/diff/fd, and reports the worst mismatch.
//
// For every element θ_i of every node checked, the numerical derivative is
//
//	(C(θ + h e_i) − C(θ − h e_i)) / 2h,
//
// an O(h²) estimate, with the cost C evaluated by running the same graph again. An
// element passes when |analytic − numeric| ≤ Abs + Rel·max(|analytic|, |numeric|).
package gradcheck

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/diff/fd"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
)

// Tolerance bounds the accepted mismatch of one element.
type Tolerance struct {
	Abs, Rel float64
}

// Step sizes and tolerances used by mixgraph's own tests.
var (
	// Float64 suits float64 graphs: with h = 1e-6 the truncation error is O(h²·C''')
	// and the rounding error O(ε|C|/h) ≈ 1e-10.
	Float64 = Options{Step: 1e-6, Tol: Tolerance{Abs: 1e-7, Rel: 1e-6}}
	// Float32 suits float32 graphs: rounding at ε = 6e-8 forces h ≈ 1e-2 and allows
	// about 1e-2 relative.
	Float32 = Options{Step: 1e-2, Tol: Tolerance{Abs: 2e-3, Rel: 2e-2}}
)

// Options sets the finite-difference step and the tolerance.
type Options struct {
	Step float64
	Tol  Tolerance
}

// For returns the default options for a dtype.
func For(dt tensor.Dtype) Options {
	if dt == tensor.Float32 {
		return Float32
	}
	return Float64
}

// Result is the outcome of a check.
type Result struct {
	Checked int // elements compared
	Failed  int // elements outside the tolerance
	MaxAbs  float64
	MaxRel  float64 // |a−n| / max(|a|, |n|), over elements where that is > 0
	// The element with the largest mismatch relative to the tolerance.
	Worst struct {
		Node              string
		Index             int
		Analytic, Numeric float64
	}
}

// OK reports whether every element passed.
func (r Result) OK() bool { return r.Failed == 0 }

func (r Result) String() string {
	return fmt.Sprintf("%d of %d elements off; max abs %.3g, max rel %.3g; worst %s[%d]: autodiff %.10g, finite difference %.10g",
		r.Failed, r.Checked, r.MaxAbs, r.MaxRel, r.Worst.Node, r.Worst.Index, r.Worst.Analytic, r.Worst.Numeric)
}

// Build adds a graph to g and returns its scalar cost and the input nodes (with values)
// to differentiate with respect to.
type Build func(g *G.ExprGraph) (cost *G.Node, wrt G.Nodes, err error)

// Check builds the graph, computes its gradients by automatic differentiation and by
// central finite differences over every element of every wrt node, and compares them.
func Check(build Build, opt Options) (Result, error) {
	var res Result
	g := G.NewGraph()
	cost, wrt, err := build(g)
	if err != nil {
		return res, err
	}
	r, err := graph.NewRunner(g, G.Nodes{cost}, graph.WithGradients(cost, wrt))
	if err != nil {
		return res, err
	}
	if err := r.Run(); err != nil {
		return res, err
	}
	// Copy the analytic gradients and the starting point before any further run.
	var analytic, x0 []float64
	offsets := []int{0}
	for i, n := range wrt {
		gt, err := r.Grad(i)
		if err != nil {
			return res, err
		}
		analytic = graph.AppendFloat64s(analytic, gt)
		x0 = graph.AppendFloat64s(x0, n.Value().(tensor.Tensor))
		offsets = append(offsets, len(x0))
	}
	var runErr error
	set := func(x []float64) {
		for i, n := range wrt {
			graph.CopyFromFloat64s(n.Value().(tensor.Tensor), x[offsets[i]:offsets[i+1]])
		}
	}
	f := func(x []float64) float64 {
		set(x)
		if err := r.Run(); err != nil {
			runErr = err
			return math.NaN()
		}
		c, err := r.Scalar(cost)
		if err != nil {
			runErr = err
		}
		return c
	}
	numeric := fd.Gradient(nil, f, x0, &fd.Settings{Formula: fd.Central, Step: opt.Step})
	set(x0)
	if runErr != nil {
		return res, runErr
	}
	worstScore := -1.0
	for j := range analytic {
		a, n := analytic[j], numeric[j]
		d := math.Abs(a - n)
		scale := math.Max(math.Abs(a), math.Abs(n))
		res.Checked++
		if d > res.MaxAbs || math.IsNaN(d) {
			res.MaxAbs = d
		}
		if scale > 0 && d/scale > res.MaxRel {
			res.MaxRel = d / scale
		}
		bound := opt.Tol.Abs + opt.Tol.Rel*scale
		score := d / bound
		if math.IsNaN(d) {
			score = math.Inf(1)
		}
		if !(d <= bound) {
			res.Failed++
		}
		if score > worstScore {
			worstScore = score
			node := 0
			for node+1 < len(offsets) && j >= offsets[node+1] {
				node++
			}
			res.Worst.Node = wrt[node].Name()
			res.Worst.Index = j - offsets[node]
			res.Worst.Analytic, res.Worst.Numeric = a, n
		}
	}
	return res, nil
}
