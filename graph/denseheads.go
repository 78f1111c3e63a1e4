package graph

import (
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"
)

// DenseHeads adds y = x·[W₁ | … | W_h] + [b₁ | … | b_h] to x's graph: several linear
// layers (no activation) reading one input x (B, In), computed as one matrix product
// whose output holds the layers' outputs side by side, layer i's Out_i columns after
// those of the layers before it: y has shape (B, Σ Out_i); at most four layers. It is the
// forward half of Heads without the cut into columns: the weights and biases are laid side
// by side on every run (so the node always reads the layers' current weights) and go
// through the dense layer's own op. Every value is the one the layer's own Forward gives,
// bit for bit on mixgraph's GEMM: each element is its bias plus the same sum of products in
// the same order (the matrix product sums every element of C over the same blocks of depth
// wherever the element sits in C); in the openblas build, whose short products run on
// OpenBLAS, to rounding only. It is meant for prediction graphs (its gradient is that of
// a plain concatenation, without Heads' single product for dx).
func DenseHeads(x *G.Node, layers ...*Dense) (*G.Node, error) {
	if len(layers) == 0 || len(layers) > 4 {
		return nil, fmt.Errorf("graph: DenseHeads of %d layers (want 1 to 4)", len(layers))
	}
	if x.Dims() != 2 {
		return nil, fmt.Errorf("graph: DenseHeads takes a (B, In) input, got shape %v", x.Shape())
	}
	g := x.Graph()
	widths := make([]int, len(layers))
	ws := make(G.Nodes, len(layers))
	bs := make(G.Nodes, len(layers))
	names := make([]string, len(layers))
	for i, d := range layers {
		if act := d.Act; act != "" && act != Identity {
			return nil, fmt.Errorf("graph: DenseHeads: layer %q has activation %s, want none", d.W.Name, act)
		}
		if x.Shape()[1] != d.In {
			return nil, fmt.Errorf("graph: layer %q takes (B, %d) inputs, got shape %v", d.W.Name, d.In, x.Shape())
		}
		widths[i], ws[i], bs[i], names[i] = d.Out, d.W.Node(g), d.B.Node(g), d.W.Name
	}
	wcat, err := concatColsOp(widths).apply(ws...)
	if err != nil {
		return nil, fmt.Errorf("graph: DenseHeads %s: %w", strings.Join(names, ", "), err)
	}
	bcat, err := concatColsOp(widths).apply(bs...)
	if err != nil {
		return nil, fmt.Errorf("graph: DenseHeads %s: %w", strings.Join(names, ", "), err)
	}
	y, err := denseOp(Identity).apply(x, wcat, bcat)
	if err != nil {
		return nil, fmt.Errorf("graph: DenseHeads %s: %w", strings.Join(names, ", "), err)
	}
	return y, nil
}
