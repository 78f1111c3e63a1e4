package graph

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// runner is what trainBits needs of a graph's executor.
type runner interface {
	Run() error
	Float64s(dst []float64, n *G.Node) ([]float64, error)
	Grad(i int) (tensor.Tensor, error)
	ZeroGrads() error
}

// tapeRunner is the reference the own machine is tested against: Gorgonia's TapeMachine,
// reset before every run (so that every op allocates its output afresh), with the
// gradients bound to the nodes (BindDualValues), summed over runs until zeroed.
type tapeRunner struct {
	vm   G.VM
	wrt  G.Nodes
	outs map[*G.Node]*G.Value
}

func newTapeRunner(g *G.ExprGraph, outputs G.Nodes, cost *G.Node, wrt G.Nodes) (*tapeRunner, error) {
	r := &tapeRunner{wrt: wrt, outs: map[*G.Node]*G.Value{}}
	var opts []G.VMOpt
	if cost != nil {
		if _, err := G.Grad(cost, wrt...); err != nil {
			return nil, err
		}
		opts = append(opts, G.BindDualValues(wrt...))
	}
	for _, n := range outputs {
		v := new(G.Value)
		G.Read(n, v)
		r.outs[n] = v
	}
	r.vm = G.NewTapeMachine(g, opts...)
	return r, nil
}

func (r *tapeRunner) Run() error {
	r.vm.Reset()
	return r.vm.RunAll()
}

func (r *tapeRunner) Float64s(dst []float64, n *G.Node) ([]float64, error) {
	return AppendFloat64s(dst, *r.outs[n]), nil
}

func (r *tapeRunner) Grad(i int) (tensor.Tensor, error) {
	g, err := r.wrt[i].Grad()
	if err != nil {
		return nil, err
	}
	return g.(tensor.Tensor), nil
}

func (r *tapeRunner) ZeroGrads() error {
	for i := range r.wrt {
		g, err := r.Grad(i)
		if err != nil {
			return err
		}
		g.Zero()
	}
	return nil
}

// trainBits runs 20 plain gradient steps of a small tanh MLP with a log-softmax cost on a
// fixed batch, reading the cost and the gradients every step (every other step twice
// before clearing them, so that they sum) and evaluating on a second graph, and returns
// every value it saw. The MLP's layers are the dense op (fused) or plain graphs, and the
// graphs run on the Runner or on the reference tapeRunner (tape).
func trainBits(t *testing.T, dt tensor.Dtype, fused, tape bool) []float64 {
	t.Helper()
	ps, _ := NewParamSet(dt)
	m, err := NewMLP(ps, MLPConfig{Name: "n", Widths: []int{3, 16, 16, 4}, Hidden: Tanh}, NewRand(1))
	if err != nil {
		t.Fatal(err)
	}
	build := func(batch int) (*G.ExprGraph, *G.Node, *G.Node, *G.Node) {
		g := G.NewGraph()
		x := NewInput(g, dt, "x", batch, 3)
		forward := m.Forward
		if !fused {
			forward = func(x *G.Node) (*G.Node, error) { return plainMLP(m, x) }
		}
		y, err := forward(x)
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
	ge, xe, ye, _ := build(8)
	var r, re runner
	if tape {
		r, err = newTapeRunner(g, G.Nodes{c}, c, ps.Nodes(g))
		if err == nil {
			re, err = newTapeRunner(ge, G.Nodes{ye}, nil, nil)
		}
	} else {
		r, err = NewRunner(g, G.Nodes{c}, WithGradients(c, ps.Nodes(g)))
		if err == nil {
			re, err = NewRunner(ge, G.Nodes{ye})
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	feed := func(n *G.Node, v []float64) { CopyFromFloat64s(n.Value().(tensor.Tensor), v) }
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
		feed(x, xv)
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
		if step%2 == 1 { // a second run before ZeroGrads adds its gradients
			if err := r.Run(); err != nil {
				t.Fatal(err)
			}
		}
		if seen, err = r.Float64s(seen, c); err != nil {
			t.Fatal(err)
		}
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
		feed(xe, xv[:8*3])
		if err := re.Run(); err != nil {
			t.Fatal(err)
		}
		seen, _ = re.Float64s(seen, ye)
	}
	return append(seen, ps.Flatten(nil)...)
}

// The tests that differentiate graphs do not run in parallel: Gorgonia's Grad adds
// package-level constant nodes to the graph it differentiates, so two graphs
// differentiated at once race (models/mdn serialises its graph building for the same
// reason).

// TestMachinesMatch: the Runner's machine gives the same bits as Gorgonia's TapeMachine
// reset on every run, over training steps with gradients (summed over two runs on every
// other step) and an evaluation graph on the same parameters, with the dense op and with
// Gorgonia's ops (plain graphs of the layers).
func TestMachinesMatch(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, fused := range []bool{false, true} {
			ref := trainBits(t, dt, fused, true)
			got := trainBits(t, dt, fused, false)
			if len(got) != len(ref) {
				t.Fatalf("%v, fused %v: %d values, the tape machine gave %d", dt, fused, len(got), len(ref))
			}
			for i := range ref {
				if math.Float64bits(got[i]) != math.Float64bits(ref[i]) {
					t.Fatalf("%v, fused %v: value %d differs: tape machine %.17g, runner %.17g", dt, fused, i, ref[i], got[i])
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

// TestHeadsOnTapeMachine: a graph of Heads, whose gradient leaves a sum of (1, 1)
// placeholders that the Runner never computes, gives the same bits on Gorgonia's
// TapeMachine, which computes them.
func TestHeadsOnTapeMachine(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		run := func(tape bool) []float64 {
			ps, _ := NewParamSet(dt)
			rng := NewRand(3)
			var hs []*Dense
			for i, w := range []int{4, 6, 6} {
				d, err := NewDense(ps, DenseConfig{Name: "h" + string(rune('a'+i)), In: 5, Out: w, BiasInit: Constant(0.1 * float64(i))}, rng)
				if err != nil {
					t.Fatal(err)
				}
				hs = append(hs, d)
			}
			g := G.NewGraph()
			x := NewInput(g, dt, "x", 7, 5)
			xv := make([]float64, 7*5)
			for i := range xv {
				xv[i] = rng.NormFloat64()
			}
			CopyFromFloat64s(x.Value().(tensor.Tensor), xv)
			outs, err := Heads(x, hs...)
			if err != nil {
				t.Fatal(err)
			}
			var cost *G.Node
			for i, o := range outs {
				ls, err := LogSoftmax(o, 1)
				if err != nil {
					t.Fatal(err)
				}
				s, _ := G.Sum(ls)
				if i == 0 {
					cost = s
				} else {
					cost, _ = G.Add(cost, s)
				}
			}
			var r runner
			if tape {
				r, err = newTapeRunner(g, G.Nodes{cost}, cost, ps.Nodes(g))
			} else {
				r, err = NewRunner(g, G.Nodes{cost}, WithGradients(cost, ps.Nodes(g)))
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Run(); err != nil {
				t.Fatal(err)
			}
			seen, _ := r.Float64s(nil, cost)
			for i := range ps.List() {
				gt, err := r.Grad(i)
				if err != nil {
					t.Fatal(err)
				}
				seen = AppendFloat64s(seen, gt)
			}
			return seen
		}
		ref, got := run(true), run(false)
		if len(got) != len(ref) {
			t.Fatalf("%v: %d values, the tape machine gave %d", dt, len(got), len(ref))
		}
		for i := range ref {
			if math.Float64bits(got[i]) != math.Float64bits(ref[i]) {
				t.Fatalf("%v: value %d differs: tape machine %.17g, runner %.17g", dt, i, ref[i], got[i])
			}
		}
	}
}
