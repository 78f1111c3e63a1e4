package gorgonia

import G "gorgonia.org/gorgonia"

// Inputs returns the nodes n's op takes, in the order it takes them (the same node twice
// if the op takes it twice), or none for an input node. Gorgonia v0.9.18 keeps them in an
// unexported field; its graph's edges from n list them in that order (TestInputsOrder).
func Inputs(n *G.Node) G.Nodes {
	var in G.Nodes
	for it := n.Graph().From(n.ID()); it.Next(); {
		in = append(in, it.Node().(*G.Node))
	}
	return in
}
