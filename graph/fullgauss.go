package graph

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// OffDiagonals is the number M = D(D−1)/2 of free entries below the diagonal of a D×D
// lower-triangular matrix.
func OffDiagonals(d int) int { return d * (d - 1) / 2 }

// FullGaussianLogDensity returns log N(y_b | μ_bk, L_bk L_bkᵀ) for every row b and
// component k as a (B, K) matrix, for Gaussians with full covariance Σ = L Lᵀ given by
// their lower-triangular Cholesky factors L:
//
//	log N_bk = −½ ‖z_bk‖² − Σ_d log L_bkdd − (D/2) log 2π,  z_bk = L_bk⁻¹ (y_b − μ_bk),
//
// with z found by forward substitution, z_i = (r_i − Σ_{j<i} L_ij z_j) / L_ii, r = y − μ.
// The inputs are the means (B, K·D) and the log-diagonals log L_dd (B, K·D), laid out
// component by component as for GaussianLogDensity, the entries below the diagonal
// (B, K·M), M = D(D−1)/2, component by component and within a component row by row
// (L_10, L_20, L_21, L_30, …: L_ij at i(i−1)/2 + j), and the targets y (B, D). The
// determinant enters as Σ log L_dd, so nothing leaves log space; with every entry below
// the diagonal zero it is GaussianLogDensity, to the bit.
//
// It is one Gorgonia op with its own derivatives. With u = L⁻ᵀ z (back substitution)
// and g the upstream gradient,
//
//	∂/∂μ_i = g u_i,  ∂/∂log L_ii = g (u_i z_i L_ii − 1),  ∂/∂L_ij = g u_i z_j (i > j),
//	∂/∂y_i = −Σ_k ∂/∂μ_ki,
//
// from d(−½ zᵀz) = uᵀ dL z + uᵀ dr for z = L⁻¹ r.
func FullGaussianLogDensity(means, logDiag, offDiag, y *G.Node, k, d int) (*G.Node, error) {
	if y == nil || y.Dims() != 2 {
		return nil, fmt.Errorf("graph: full Gaussian log-density: targets must be a (B, %d) matrix", d)
	}
	m := OffDiagonals(d)
	for _, c := range []struct {
		name string
		n    *G.Node
		cols int
	}{{"means", means, k * d}, {"log-diagonals", logDiag, k * d}, {"off-diagonals", offDiag, k * m}, {"targets", y, d}} {
		if c.n == nil || c.n.Dims() != 2 || c.n.Shape()[1] != c.cols || c.n.Shape()[0] != y.Shape()[0] {
			return nil, fmt.Errorf("graph: full Gaussian log-density: %s must be (%d, %d)", c.name, y.Shape()[0], c.cols)
		}
	}
	if m == 0 {
		return nil, fmt.Errorf("graph: full Gaussian log-density needs D ≥ 2 (D = %d has no off-diagonals; use GaussianLogDensity)", d)
	}
	return fullGaussOp(k, d).apply(means, logDiag, offDiag, y)
}

// fullGaussOp is the log-density of K full-covariance components in D dimensions.
func fullGaussOp(k, d int) *op {
	return &op{
		name:  fmt.Sprintf("FullGaussianLogDensity{K=%d,D=%d}", k, d),
		dims:  []int{2, 2, 2, 2, 2},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{in[0][0], k}, nil },
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			out := output(prealloc, in[0].Dtype(), tensor.Shape{in[3].Shape()[0], k})
			if out.Dtype() == tensor.Float64 {
				fullGaussLogDensity(out.Float64s(), in[0].Float64s(), in[1].Float64s(), in[2].Float64s(), in[3].Float64s(), k, d)
			} else {
				fullGaussLogDensity(out.Float32s(), in[0].Float32s(), in[1].Float32s(), in[2].Float32s(), in[3].Float32s(), k, d)
			}
			return out, nil
		},
		diff: func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
			var grads G.Nodes
			for wrt := range 3 {
				gn, err := fullGaussGradOp(k, d, wrt).apply(in[0], in[1], in[2], in[3], grad)
				if err != nil {
					return nil, err
				}
				grads = append(grads, gn)
			}
			dy, err := gaussTargetGradOp(k, d).apply(grads[0])
			if err != nil {
				return nil, err
			}
			return append(grads, dy), nil
		},
	}
}

// fullGaussGradOp is the gradient of fullGaussOp with respect to input wrt (0 means,
// 1 log-diagonals, 2 off-diagonals), from the four inputs and the upstream gradient (B, K).
func fullGaussGradOp(k, d, wrt int) *op {
	return &op{
		name:  fmt.Sprintf("FullGaussianLogDensityGrad{K=%d,D=%d,wrt=%d}", k, d, wrt),
		dims:  []int{2, 2, 2, 2, 2, 2},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return in[wrt].Clone(), nil },
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			out := output(prealloc, in[0].Dtype(), in[wrt].Shape())
			if out.Dtype() == tensor.Float64 {
				fullGaussGrad(wrt, out.Float64s(), in[0].Float64s(), in[1].Float64s(), in[2].Float64s(), in[3].Float64s(), in[4].Float64s(), k, d)
			} else {
				fullGaussGrad(wrt, out.Float32s(), in[0].Float32s(), in[1].Float32s(), in[2].Float32s(), in[3].Float32s(), in[4].Float32s(), k, d)
			}
			return out, nil
		},
	}
}

// forwardSolve sets z = L⁻¹ (y − μ) for one component: inv are 1/L_ii, off the entries
// below the diagonal row by row. The first term of each z_i is computed as in
// gaussLogDensity, so that zero off-diagonals give its values to the bit.
func forwardSolve[T float32 | float64](z, y, mu, inv, off []T) {
	for i := range z {
		r := y[i] - mu[i]
		row := off[i*(i-1)/2:]
		for j := 0; j < i; j++ {
			r -= row[j] * z[j]
		}
		z[i] = r * inv[i]
	}
}

func fullGaussLogDensity[T float32 | float64](out, mu, ls, off, y []T, k, d int) {
	c := T(-0.5 * float64(d) * math.Log(2*math.Pi))
	m := OffDiagonals(d)
	invs, held := invScales(ls)
	defer held.release()
	z, zheld := scratch[T](d)
	defer zheld.release()
	for b := range len(out) / k {
		yb := y[b*d : (b+1)*d]
		for j := range k {
			at := (b*k + j) * d
			forwardSolve(z, yb, mu[at:at+d], invs[at:at+d], off[(b*k+j)*m:(b*k+j+1)*m])
			var acc T
			for e, ze := range z {
				acc += ze*ze*0.5 + ls[at+e]
			}
			out[b*k+j] = -acc + c
		}
	}
}

func fullGaussGrad[T float32 | float64](wrt int, out, mu, ls, off, y, g []T, k, d int) {
	m := OffDiagonals(d)
	invs, held := invScales(ls)
	defer held.release()
	buf, bheld := scratch[T](2 * d)
	defer bheld.release()
	z, u := buf[:d], buf[d:]
	for b := range len(y) / d {
		yb := y[b*d : (b+1)*d]
		for j := range k {
			gbk := g[b*k+j]
			at := (b*k + j) * d
			lo := off[(b*k+j)*m : (b*k+j+1)*m]
			inv := invs[at : at+d]
			forwardSolve(z, yb, mu[at:at+d], inv, lo)
			// Back substitution Lᵀ u = z: s_i = z_i − Σ_{l>i} L_li u_l = L_ii u_i.
			for i := d - 1; i >= 0; i-- {
				s := z[i]
				for l := i + 1; l < d; l++ {
					s -= lo[l*(l-1)/2+i] * u[l]
				}
				u[i] = s * inv[i]
				if wrt == 1 {
					out[at+i] = gbk * (z[i]*s - 1)
				}
			}
			switch wrt {
			case 0:
				for i := range d {
					out[at+i] = gbk * u[i]
				}
			case 2:
				o := out[(b*k+j)*m : (b*k+j+1)*m]
				for i := 1; i < d; i++ {
					for l := 0; l < i; l++ {
						o[i*(i-1)/2+l] = gbk * u[i] * z[l]
					}
				}
			}
		}
	}
}
