package graph

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/internal/levers"
)

// machineMode picks the machine a Runner uses and whether dense layers are fused.
type machineMode struct {
	name              string
	own, reuse, fused bool
}

// trainBits runs 20 plain gradient steps of a small tanh MLP with a log-softmax cost on a
// fixed batch, reading the cost and the gradients every step (every other step twice
// before clearing them, so that they sum) and evaluating on a second graph, and returns
// every value it saw.
func trainBits(t *testing.T, dt tensor.Dtype, mode machineMode) []float64 {
	t.Helper()
	own, reuse, fuse := levers.OwnMachine, levers.ReuseBuffers, levers.FuseDense
	levers.OwnMachine, levers.ReuseBuffers, levers.FuseDense = mode.own, mode.reuse, mode.fused
	defer func() { levers.OwnMachine, levers.ReuseBuffers, levers.FuseDense = own, reuse, fuse }()

	ps, _ := NewParamSet(dt)
	m, err := NewMLP(ps, MLPConfig{Name: "n", Widths: []int{3, 16, 16, 4}, Hidden: Tanh}, NewRand(1))
	if err != nil {
		t.Fatal(err)
	}
	build := func(batch int) (*G.ExprGraph, *G.Node, *G.Node, *G.Node) {
		g := G.NewGraph()
		x := NewInput(g, dt, "x", batch, 3)
		y, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		ls, err := LogSoftmax(y, 1)
		if err != nil {
			t.Fatal(err)
		}
		// The ops the mixture NLL uses: square, product, negation, exp, scalar
		// constants, sums and means along an axis.
		sq, _ := G.Square(ls)
		yy, _ := G.HadamardProd(y, y)
		ny, _ := G.Neg(yy)
		e, _ := G.Exp(ny)
		half, _ := G.Mul(e, G.NewConstant(castTo(dt, 0.5)))
		s, _ := G.Add(sq, half)
		rows, _ := G.Sum(s, 1)
		c, _ := G.Mean(rows)
		return g, x, y, c
	}
	g, x, _, c := build(32)
	r, err := NewRunner(g, G.Nodes{c}, WithGradients(c, ps.Nodes(g)))
	if err != nil {
		t.Fatal(err)
	}
	ge, xe, ye, _ := build(8)
	re, err := NewRunner(ge, G.Nodes{ye})
	if err != nil {
		t.Fatal(err)
	}
	rng := NewRand(2)
	xv := make([]float64, 32*3)
	for i := range xv {
		xv[i] = rng.NormFloat64()
	}
	var seen []float64
	for step := 0; step < 20; step++ {
		for i := range xv {
			xv[i] += 0.01 * float64(step%3)
		}
		r.Feed(x, xv)
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
		if step%2 == 1 { // a second run before ZeroGrads adds its gradients
			if err := r.Run(); err != nil {
				t.Fatal(err)
			}
		}
		cost, _ := r.Scalar(c)
		seen = append(seen, cost)
		flat := ps.Flatten(nil)
		off := 0
		for i, p := range ps.List() {
			gt, _ := r.Grad(i)
			gv := AppendFloat64s(nil, gt)
			seen = append(seen, gv...)
			for j, v := range gv {
				flat[off+j] -= 0.1 * v
			}
			off += p.Size()
		}
		ps.SetFlat(flat)
		r.ZeroGrads()
		gz, err := r.Grad(len(ps.List()) - 1) // cleared: zeros
		if err != nil {
			t.Fatal(err)
		}
		seen = AppendFloat64s(seen, gz)
		re.Feed(xe, xv[:8*3])
		if err := re.Run(); err != nil {
			t.Fatal(err)
		}
		seen, _ = re.Float64s(seen, ye)
	}
	return append(seen, ps.Flatten(nil)...)
}

// TestMachinesMatch: the own machine, and the tape machine rewound to reuse its buffers,
// give the same bits as a tape machine reset on every run, over training steps with
// gradients (summed over two runs on every other step) and an evaluation graph on the
// same parameters, with Gorgonia's unfused ops and with the fused dense layers.
func TestMachinesMatch(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, fused := range []bool{false, true} {
			ref := trainBits(t, dt, machineMode{"tape, reset", false, false, fused})
			for _, mode := range []machineMode{{"tape, rewound", false, true, fused}, {"own", true, true, fused}} {
				got := trainBits(t, dt, mode)
				if len(got) != len(ref) {
					t.Fatalf("%v, fused %v, %s: %d values, reset gave %d", dt, fused, mode.name, len(got), len(ref))
				}
				for i := range ref {
					if math.Float64bits(got[i]) != math.Float64bits(ref[i]) {
						t.Fatalf("%v, fused %v: value %d differs: reset %.17g, %s %.17g", dt, fused, i, ref[i], mode.name, got[i])
					}
				}
			}
		}
	}
}

func castTo(dt tensor.Dtype, v float64) any {
	if dt == tensor.Float32 {
		return float32(v)
	}
	return v
}
