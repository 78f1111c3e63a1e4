package graph

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GaussianLogDensity returns log N(y_b | μ_bk, diag σ²_bk) for every row b and component
// k as a (B, K) matrix, from means (B, K·D) and log standard deviations (B, K·D), both laid
// out component by component (columns k·D … k·D+D−1 are component k), and targets y (B, D):
//
//	log N_bk = −(D/2) log 2π − Σ_d (½ z²_bkd + log σ_bkd),  z_bkd = (y_bd − μ_bkd)·e^(−log σ_bkd).
//
// It is one Gorgonia op with its own derivatives (∂/∂μ = z/σ, ∂/∂log σ = z² − 1,
// ∂/∂y = −Σ_k z/σ, each times the upstream gradient), so the loss built on it is still
// differentiated by Gorgonia.
func GaussianLogDensity(means, logSigma, y *G.Node, k, d int) (*G.Node, error) {
	for _, c := range []struct {
		name string
		n    *G.Node
		cols int
	}{{"means", means, k * d}, {"log σ", logSigma, k * d}, {"targets", y, d}} {
		if c.n == nil || c.n.Dims() != 2 || c.n.Shape()[1] != c.cols || c.n.Shape()[0] != y.Shape()[0] {
			return nil, fmt.Errorf("graph: Gaussian log-density: %s must be (%d, %d)", c.name, y.Shape()[0], c.cols)
		}
	}
	return gaussOp(k, d).apply(means, logSigma, y)
}

// gaussOp is the log-density of K components in D dimensions, from the means, the log
// standard deviations and the targets.
func gaussOp(k, d int) *op {
	return &op{
		name:  fmt.Sprintf("GaussianLogDensity{K=%d,D=%d}", k, d),
		dims:  []int{2, 2, 2, 2},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{in[0][0], k}, nil },
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			out := output(prealloc, in[0].Dtype(), tensor.Shape{in[2].Shape()[0], k})
			if out.Dtype() == tensor.Float64 {
				gaussLogDensity(out.Float64s(), in[0].Float64s(), in[1].Float64s(), in[2].Float64s(), k, d)
			} else {
				gaussLogDensity(out.Float32s(), in[0].Float32s(), in[1].Float32s(), in[2].Float32s(), k, d)
			}
			return out, nil
		},
		diff: func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
			dmu, err := gaussGradOp(k, d, 0).apply(in[0], in[1], in[2], grad)
			if err != nil {
				return nil, err
			}
			dls, err := gaussGradOp(k, d, 1).apply(in[0], in[1], in[2], grad)
			if err != nil {
				return nil, err
			}
			// ∂/∂y_d = −Σ_k ∂/∂μ_kd: a sum over the means' gradient, without recomputing it.
			dy, err := gaussTargetGradOp(k, d).apply(dmu)
			if err != nil {
				return nil, err
			}
			return G.Nodes{dmu, dls, dy}, nil
		},
	}
}

// gaussGradOp is the gradient of gaussOp with respect to input wrt (0 means, 1 log σ),
// from the three inputs and the upstream gradient (B, K).
func gaussGradOp(k, d, wrt int) *op {
	return &op{
		name:  fmt.Sprintf("GaussianLogDensityGrad{K=%d,D=%d,wrt=%d}", k, d, wrt),
		dims:  []int{2, 2, 2, 2, 2},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return in[wrt].Clone(), nil },
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			out := output(prealloc, in[0].Dtype(), in[wrt].Shape())
			if out.Dtype() == tensor.Float64 {
				gaussGrad(wrt, out.Float64s(), in[0].Float64s(), in[1].Float64s(), in[2].Float64s(), in[3].Float64s(), k, d)
			} else {
				gaussGrad(wrt, out.Float32s(), in[0].Float32s(), in[1].Float32s(), in[2].Float32s(), in[3].Float32s(), k, d)
			}
			return out, nil
		},
	}
}

// gaussTargetGradOp is the gradient with respect to the targets, −Σ_k of the gradient
// with respect to the means (B, K·D), giving (B, D).
func gaussTargetGradOp(k, d int) *op {
	return &op{
		name:  fmt.Sprintf("GaussianLogDensityTargetGrad{K=%d,D=%d}", k, d),
		dims:  []int{2, 2},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{in[0][0], d}, nil },
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			out := output(prealloc, in[0].Dtype(), tensor.Shape{in[0].Shape()[0], d})
			if out.Dtype() == tensor.Float64 {
				negComponentSum(out.Float64s(), in[0].Float64s(), k, d)
			} else {
				negComponentSum(out.Float32s(), in[0].Float32s(), k, d)
			}
			return out, nil
		},
	}
}

// negComponentSum sets out[b,d] = −Σ_k dmu[b, k·D+d], summed over k in order.
func negComponentSum[T float32 | float64](out, dmu []T, k, d int) {
	for b := range len(out) / d {
		row := out[b*d : (b+1)*d]
		clear(row)
		for j := range k {
			for e, v := range dmu[(b*k+j)*d : (b*k+j+1)*d] {
				row[e] -= v
			}
		}
	}
}

// invScales returns exp(−log σ) for every element, in pooled scratch.
func invScales[T float32 | float64](ls []T) ([]T, pooled[T]) {
	inv, held := scratch[T](len(ls))
	for i, v := range ls {
		inv[i] = -v
	}
	vexp(inv, inv)
	return inv, held
}

func gaussLogDensity[T float32 | float64](out, mu, ls, y []T, k, d int) {
	c := T(-0.5 * float64(d) * math.Log(2*math.Pi))
	invs, held := invScales(ls)
	defer held.release()
	if d == 1 { // one loop over the row's components, the target in a register
		for b, yv := range y {
			ob := out[b*k : b*k+k]
			m, l, iv := mu[b*k:][:len(ob)], ls[b*k:][:len(ob)], invs[b*k:][:len(ob)]
			for j := range ob {
				z := (yv - m[j]) * iv[j]
				ob[j] = -(z*z*0.5 + l[j]) + c
			}
		}
		return
	}
	// The blocks resliced to the row's D targets, so that the inner loop runs without
	// bounds checks; the sums are in the same order as an element-by-element loop's.
	for b := range len(out) / k {
		yb := y[b*d : b*d+d]
		for j := range k {
			off := (b*k + j) * d
			m, l, iv := mu[off:][:len(yb)], ls[off:][:len(yb)], invs[off:][:len(yb)]
			var acc T
			for e, yv := range yb {
				z := (yv - m[e]) * iv[e]
				acc += z*z*0.5 + l[e]
			}
			out[b*k+j] = -acc + c
		}
	}
}

func gaussGrad[T float32 | float64](wrt int, out, mu, ls, y, g []T, k, d int) {
	invs, held := invScales(ls)
	defer held.release()
	// As gaussLogDensity: blocks resliced to D, and the choice of gradient made once.
	for b := range len(y) / d {
		yb := y[b*d : b*d+d]
		gb := g[b*k : b*k+k]
		for j, gbk := range gb {
			off := (b*k + j) * d
			m, iv, o := mu[off:][:len(yb)], invs[off:][:len(yb)], out[off:][:len(yb)]
			if wrt == 0 {
				for e, yv := range yb {
					inv := iv[e]
					z := (yv - m[e]) * inv
					o[e] = gbk * (z * inv)
				}
				continue
			}
			for e, yv := range yb {
				z := (yv - m[e]) * iv[e]
				o[e] = gbk * (z*z - 1)
			}
		}
	}
}
