package losses_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/losses"
)

// The NLL of two targets under a two-component mixture in one dimension: equal weights,
// means ±1, unit scales (raw scale 0 under exp).
func ExampleMixtureNLL() {
	g := G.NewGraph()
	n := func(name string, r, c int, v ...float64) *G.Node {
		return G.NodeFromAny(g, graph.NewTensor(tensor.Float64, []int{r, c}, v), G.WithName(name))
	}
	logits := n("logits", 2, 2, 0, 0, 0, 0)
	means := n("means", 2, 2, -1, 1, -1, 1)
	scales := n("scales", 2, 2, 0, 0, 0, 0)
	y := n("y", 2, 1, 1, 0)
	m, _ := losses.MixtureNLL(logits, means, scales, y, losses.MixtureConfig{K: 2, D: 1})
	r, _ := graph.NewRunner(g, G.Nodes{m.Cost, m.LogLik})
	r.Run()
	cost, _ := r.Scalar(m.Cost)
	ll, _ := r.Float64s(nil, m.LogLik)
	fmt.Printf("NLL %.4g; log p(y) per row %.4g\n", cost, ll)
	// Output: NLL 1.452; log p(y) per row [-1.485 -1.419]
}
