package benchmarks

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// peerTol bounds the relative difference between mixgraph's and PyTorch's float64 loss
// and gradients on the same weights and batch.
const peerTol = 1e-10

// TestSameLossAsPeer checks that the PyTorch reference computes the same loss and
// gradients as mixgraph for the same weights and data, so that the side-by-side
// comparison times the same work. It needs /usr/bin/python3 with torch and is skipped
// without it.
func TestSameLossAsPeer(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import torch").Run(); err != nil {
		t.Skip("PyTorch not installed (apt-get install -y python3-torch); skipping the cross-check")
	}
	w, _ := Lookup("small")
	w.Batch = 16
	s, err := NewSetup(w, models.Float64, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	m := s.Model
	ps := m.Params().List()
	// mixgraph's parameters: body layers (W, b) in order, then the logits, means and
	// scales heads; the peer's head is the three side by side.
	type layer struct {
		W [][]float64 `json:"w"`
		B []float64   `json:"b"`
	}
	mat := func(p *graph.Param) [][]float64 {
		r, c := p.Value.Shape()[0], p.Value.Shape()[1]
		v := graph.AppendFloat64s(nil, p.Value)
		out := make([][]float64, r)
		for i := range out {
			out[i] = v[i*c : (i+1)*c]
		}
		return out
	}
	var layers []layer
	nBody := len(ps) - 6
	for i := 0; i < nBody; i += 2 {
		layers = append(layers, layer{W: mat(ps[i]), B: mat(ps[i+1])[0]})
	}
	head := layer{}
	for i := range mat(ps[nBody]) {
		var row []float64
		for h := 0; h < 3; h++ {
			row = append(row, mat(ps[nBody+2*h])[i]...)
		}
		head.W = append(head.W, row)
	}
	for h := 0; h < 3; h++ {
		head.B = append(head.B, mat(ps[nBody+2*h+1])[0]...)
	}
	layers = append(layers, head)
	x, y := rows(s.X, w.In), rows(s.Y, w.Out)
	c := map[string]any{"dtype": "f64", "K": w.K, "D": w.Out, "layers": layers, "x": x, "y": y}
	b, _ := json.Marshal(c)
	path := filepath.Join(t.TempDir(), "case.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", filepath.Join("reference", "mdn_bench.py"), "--check", path).Output()
	if err != nil {
		t.Fatalf("peer: %v", err)
	}
	var peer struct {
		Loss  float64 `json:"loss"`
		Grads []layer `json:"grads"`
	}
	if err := json.Unmarshal(out, &peer); err != nil {
		t.Fatal(err)
	}

	// mixgraph's loss and gradients on the raw batch (the stepper's model has the
	// identity normalisation).
	g := G.NewGraph()
	loss, err := m.BuildLoss(g, w.Batch)
	if err != nil {
		t.Fatal(err)
	}
	r, err := graph.NewRunner(g, G.Nodes{loss.Cost}, graph.WithGradients(loss.Cost, m.Params().Nodes(g)))
	if err != nil {
		t.Fatal(err)
	}
	r.Feed(loss.X, s.X)
	r.Feed(loss.Y, s.Y)
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	cost, _ := r.Scalar(loss.Cost)
	if math.Abs(cost-peer.Loss) > peerTol*math.Abs(cost) {
		t.Errorf("loss: mixgraph %.17g, PyTorch %.17g", cost, peer.Loss)
	}
	grad := func(i int) []float64 {
		gt, err := r.Grad(i)
		if err != nil {
			t.Fatal(err)
		}
		return graph.AppendFloat64s(nil, gt)
	}
	compare := func(what string, ours []float64, theirs []float64) {
		for i := range ours {
			if math.Abs(ours[i]-theirs[i]) > peerTol*math.Max(1e-3, math.Abs(theirs[i])) {
				t.Errorf("%s[%d]: mixgraph %.17g, PyTorch %.17g", what, i, ours[i], theirs[i])
				return
			}
		}
	}
	flat := func(m [][]float64) (v []float64) {
		for _, r := range m {
			v = append(v, r...)
		}
		return v
	}
	for l := 0; l < nBody/2; l++ {
		compare(ps[2*l].Name, grad(2*l), flat(peer.Grads[l].W))
		compare(ps[2*l+1].Name, grad(2*l+1), peer.Grads[l].B)
	}
	// Split the peer's head gradient back into the three heads.
	hg := peer.Grads[len(peer.Grads)-1]
	widths := []int{w.K, w.K * w.Out, w.K * w.Out}
	off := 0
	for h := 0; h < 3; h++ {
		var gw []float64
		for _, row := range hg.W {
			gw = append(gw, row[off:off+widths[h]]...)
		}
		compare(ps[nBody+2*h].Name, grad(nBody+2*h), gw)
		compare(ps[nBody+2*h+1].Name, grad(nBody+2*h+1), hg.B[off:off+widths[h]])
		off += widths[h]
	}
}
