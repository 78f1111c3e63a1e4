package graph

import (
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Heads applies several affine layers (identity activation) to one input as one matrix
// product, and returns each layer's output:
//
//	Y = x·[W_1 | … | W_n] + [b_1 | … | b_n],  out_i = Y[:, o_i : o_i+Out_i],
//
// x (B, In), W_i (In, Out_i), b_i (1, Out_i), o_i = Out_1 + … + Out_{i−1}; at most four
// heads. The parameters stay separate: the weights and biases are copied side by side
// into (In, ΣOut) and (1, ΣOut) matrices on every run (a cost of In·ΣOut copies against the
// product's B·In·ΣOut multiply-adds), and each one's gradient is its block of the stacked
// gradient. The backward pass is one product for dx and one for the stacked weights:
//
//	dY = [dout_1 | … | dout_n],  dx = dY·[W_1 | … | W_n]ᵀ,  d[W_1 | … | W_n] = xᵀ·dY,
//	d[b_1 | … | b_n] = Σ_b dY_b,
//
// where separate layers would take n narrow products for dx, summed by n−1 additions of
// (B, In) matrices, and n narrow products for the weights. Every out_i is exactly
// Dense.Forward's value up to the rounding of the wider product.
//
// Gorgonia sums the gradients a node receives from several consumers with one Add per
// extra consumer, of the node's full shape; Y feeds n column blocks, so that sum would
// cost n−1 additions of zero-padded (B, ΣOut) matrices. Instead, the heads' column ops
// record their upstream gradients dout_i when Gorgonia differentiates them (always before
// Y, as Y precedes them) and hand Gorgonia a (1, 1) placeholder, whose sum nothing reads;
// Y's op builds dY from the recorded gradients, as one concatenation. A head whose output
// the cost does not use gets a zero block. The placeholders are never computed by this
// package's runner (it runs only what its outputs need); under another machine they are a
// few (1, 1) operations.
func Heads(x *G.Node, heads ...*Dense) ([]*G.Node, error) {
	if len(heads) == 0 || len(heads) > 4 {
		return nil, fmt.Errorf("graph: %d heads (want 1 to 4)", len(heads))
	}
	if x.Dims() != 2 {
		return nil, fmt.Errorf("graph: heads take (B, In) inputs, got shape %v", x.Shape())
	}
	g := x.Graph()
	widths := make([]int, len(heads))
	ws := make(G.Nodes, len(heads))
	bs := make(G.Nodes, len(heads))
	names := make([]string, len(heads))
	for i, d := range heads {
		if d.Act != "" && d.Act != Identity {
			return nil, fmt.Errorf("graph: head %q has activation %s (heads are affine)", d.W.Name, d.Act)
		}
		if x.Shape()[1] != d.In {
			return nil, fmt.Errorf("graph: layer %q takes (B, %d) inputs, got shape %v", d.W.Name, d.In, x.Shape())
		}
		widths[i], ws[i], bs[i], names[i] = d.Out, d.W.Node(g), d.B.Node(g), d.W.Name
	}
	if len(heads) == 1 {
		y, err := heads[0].Forward(x)
		if err != nil {
			return nil, err
		}
		return []*G.Node{y}, nil
	}
	wcat, err := concatColsOp(widths).apply(ws...)
	if err != nil {
		return nil, fmt.Errorf("graph: heads %s: %w", strings.Join(names, ", "), err)
	}
	bcat, err := concatColsOp(widths).apply(bs...)
	if err != nil {
		return nil, fmt.Errorf("graph: heads %s: %w", strings.Join(names, ", "), err)
	}
	rec := &headGrads{widths: widths, grads: make([]*G.Node, len(heads))}
	y, err := headsOp(rec, strings.Join(names, ",")).apply(x, wcat, bcat)
	if err != nil {
		return nil, fmt.Errorf("graph: heads %s: %w", strings.Join(names, ", "), err)
	}
	outs := make([]*G.Node, len(heads))
	for i := range heads {
		if outs[i], err = headOp(rec, i).apply(y); err != nil {
			return nil, fmt.Errorf("graph: head %q: %w", names[i], err)
		}
	}
	return outs, nil
}

// headGrads is what the ops of one Heads call share: the heads' widths, and the
// gradient nodes of their outputs, recorded during symbolic differentiation.
type headGrads struct {
	widths []int
	grads  []*G.Node
}

func (r *headGrads) offset(i int) int {
	o := 0
	for _, w := range r.widths[:i] {
		o += w
	}
	return o
}

func (r *headGrads) total() int { return r.offset(len(r.widths)) }

func widthsString(ws []int) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = fmt.Sprint(w)
	}
	return strings.Join(s, ",")
}

// headsOp is Y = x·Wcat + bcat for the stacked weights and biases, whose gradient is
// built from the heads' recorded gradients (see Heads). names (the heads' weight
// names) keep the nodes of different head groups on one input apart.
func headsOp(rec *headGrads, names string) *op {
	dense := denseOp(Identity)
	return &op{
		name:  fmt.Sprintf("Heads{%s; %s}", names, widthsString(rec.widths)),
		dims:  dense.dims,
		shape: dense.shape,
		run:   dense.run,
		diff: func(in G.Nodes, _, _ *G.Node) (G.Nodes, error) {
			x, wcat := in[0], in[1]
			parts := make(G.Nodes, len(rec.grads))
			var some *G.Node
			for _, gr := range rec.grads {
				if gr != nil {
					some = gr
					break
				}
			}
			if some == nil {
				return nil, fmt.Errorf("graph: no head's output has a gradient")
			}
			for i, gr := range rec.grads {
				if gr == nil {
					var err error
					if gr, err = zeroColsOp(rec.widths[i]).apply(some); err != nil {
						return nil, err
					}
				}
				parts[i] = gr
			}
			dy, err := concatColsOp(rec.widths).apply(parts...)
			if err != nil {
				return nil, err
			}
			dx, err := matMulOp(false, true).apply(dy, wcat)
			if err != nil {
				return nil, err
			}
			dw, err := matMulOp(true, false).apply(x, dy)
			if err != nil {
				return nil, err
			}
			db, err := colSumOp.apply(dy)
			if err != nil {
				return nil, err
			}
			return G.Nodes{dx, dw, db}, nil
		},
	}
}

// headOp is head i's block of columns of Y. Its gradient records the upstream gradient
// for Y's op and gives Gorgonia a (1, 1) placeholder (see Heads).
func headOp(rec *headGrads, i int) *op {
	off, w, total := rec.offset(i), rec.widths[i], rec.total()
	cols := colsOp(off, w, total)
	return &op{
		name:  fmt.Sprintf("Head{%d of %s}", i, widthsString(rec.widths)),
		dims:  cols.dims,
		shape: cols.shape,
		run:   cols.run,
		diff: func(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
			if rec.grads[i] != nil && rec.grads[i] != grad {
				return nil, fmt.Errorf("graph: head %d differentiated twice", i)
			}
			rec.grads[i] = grad
			t, err := placeholderOp.apply(grad)
			if err != nil {
				return nil, err
			}
			return G.Nodes{t}, nil
		},
	}
}

// placeholderOp is a (1, 1) zero standing in for a head's gradient with respect to Y.
var placeholderOp = &op{
	name:  "HeadGradPlaceholder",
	dims:  []int{2, 2},
	shape: func([]tensor.Shape) (tensor.Shape, error) { return tensor.Shape{1, 1}, nil },
	run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
		out := output(prealloc, in[0].Dtype(), tensor.Shape{1, 1})
		if out.Dtype() == tensor.Float64 {
			clear(out.Float64s())
		} else {
			clear(out.Float32s())
		}
		return out, nil
	},
}

// zeroColsOp is a (B, w) zero matrix for a (B, ·) input.
func zeroColsOp(w int) *op {
	return &op{
		name:  fmt.Sprintf("ZeroCols{%d}", w),
		dims:  []int{2, 2},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{in[0][0], w}, nil },
		run: func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
			out := output(prealloc, in[0].Dtype(), tensor.Shape{in[0].Shape()[0], w})
			if out.Dtype() == tensor.Float64 {
				clear(out.Float64s())
			} else {
				clear(out.Float32s())
			}
			return out, nil
		},
	}
}

// concatColsOp places matrices of one number of rows and the given numbers of columns
// side by side. Its gradient with respect to input i is the gradient's block of columns
// (colsOp).
func concatColsOp(widths []int) *op {
	total := 0
	for _, w := range widths {
		total += w
	}
	dims := make([]int, len(widths)+1)
	for i := range dims {
		dims[i] = 2
	}
	o := &op{name: fmt.Sprintf("ConcatCols{%s}", widthsString(widths)), dims: dims}
	o.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		for i, s := range in {
			if s[0] != in[0][0] || s[1] != widths[i] {
				return nil, fmt.Errorf("%v: input %d has shape %v, want (%d, %d)", o, i, s, in[0][0], widths[i])
			}
		}
		return tensor.Shape{in[0][0], total}, nil
	}
	o.run = func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
		rows := in[0].Shape()[0]
		for i, w := range widths {
			if s := in[i].Shape(); s[0] != rows || s[1] != w {
				return nil, fmt.Errorf("%v: input %d has shape %v, want (%d, %d)", o, i, s, rows, w)
			}
		}
		out := output(prealloc, in[0].Dtype(), tensor.Shape{rows, total})
		if out.Dtype() == tensor.Float64 {
			concatCols(out.Float64s(), in[:len(widths)], widths, total, (*tensor.Dense).Float64s)
		} else {
			concatCols(out.Float32s(), in[:len(widths)], widths, total, (*tensor.Dense).Float32s)
		}
		return out, nil
	}
	o.diff = func(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		gs := make(G.Nodes, len(widths))
		off := 0
		for i, w := range widths {
			var err error
			if gs[i], err = colsOp(off, w, total).apply(grad); err != nil {
				return nil, err
			}
			off += w
		}
		return gs, nil
	}
	return o
}

func concatCols[T float32 | float64](dst []T, in []*tensor.Dense, widths []int, total int, data func(*tensor.Dense) []T) {
	off := 0
	for i, w := range widths {
		src := data(in[i])
		for r := range len(dst) / total {
			copy(dst[r*total+off:r*total+off+w], src[r*w:(r+1)*w])
		}
		off += w
	}
}

// colsOp is the block of columns [off, off+w) of a (B, total) matrix, copied.
func colsOp(off, w, total int) *op {
	o := &op{name: fmt.Sprintf("Cols{%d:%d of %d}", off, off+w, total), dims: []int{2, 2}}
	o.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		if in[0][1] != total {
			return nil, fmt.Errorf("%v: input has shape %v", o, in[0])
		}
		return tensor.Shape{in[0][0], w}, nil
	}
	o.run = func(prealloc G.Value, in [5]*tensor.Dense) (*tensor.Dense, error) {
		a := in[0]
		if a.Shape()[1] != total {
			return nil, fmt.Errorf("%v: input has shape %v", o, a.Shape())
		}
		out := output(prealloc, a.Dtype(), tensor.Shape{a.Shape()[0], w})
		if a.Dtype() == tensor.Float64 {
			cols(out.Float64s(), a.Float64s(), off, w, total)
		} else {
			cols(out.Float32s(), a.Float32s(), off, w, total)
		}
		return out, nil
	}
	return o
}

func cols[T float32 | float64](dst, src []T, off, w, total int) {
	for r := range len(dst) / w {
		copy(dst[r*w:(r+1)*w], src[r*total+off:r*total+off+w])
	}
}
