package benchmarks

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
)

// naiveStep is the training step as a user would first write it with Gorgonia alone: the
// MDN and its NLL as a graph of Gorgonia's own ops (Mul, BroadcastAdd, Tanh, Exp,
// per-row max and log-sum-exp), gonum's pure-Go BLAS, a TapeMachine reset before every
// run (every op allocates its output afresh), one graph, and Gorgonia's Adam with value
// clipping at 10. It starts from a mixgraph model's weights, so that its cost can be
// checked against mixgraph's.
type naiveStep struct {
	g       *G.ExprGraph
	vm      G.VM
	solver  G.Solver
	x, y    *G.Node
	cost    *G.Node
	params  G.Nodes
	restore func()
}

func newNaiveStep(m *mdn.Model, w Workload, x, y []float64) (*naiveStep, error) {
	blas := G.WhichBLAS()
	G.Use(gonum.Implementation{})
	n := &naiveStep{g: G.NewGraph(), restore: func() { G.Use(blas) }}
	dt := m.Config().DType.Tensor()
	b, k, d := w.Batch, w.K, w.Out
	n.x = G.NewMatrix(n.g, dt, G.WithShape(b, w.In), G.WithName("x"))
	n.y = G.NewMatrix(n.g, dt, G.WithShape(b, k*d), G.WithName("y")) // targets repeated for each component
	list := m.Params().List()
	nodes := make([]*G.Node, len(list))
	for i, p := range list {
		nodes[i] = G.NewMatrix(n.g, dt, G.WithShape(p.Value.Shape()...), G.WithName("p"+fmt.Sprint(i)), G.WithValue(p.Value.Clone().(*tensor.Dense)))
	}
	n.params = nodes
	must := func(v *G.Node, err error) *G.Node {
		if err != nil {
			panic(err)
		}
		return v
	}
	dense := func(in *G.Node, i int) *G.Node {
		return must(G.BroadcastAdd(must(G.Mul(in, nodes[i])), nodes[i+1], nil, []byte{0}))
	}
	var out *G.Node
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("naive graph: %v", r)
			}
		}()
		h := n.x
		body := len(nodes) - 6
		for i := 0; i < body; i += 2 {
			h = must(G.Tanh(dense(h, i)))
		}
		logits := dense(h, body)   // (B, K)
		means := dense(h, body+2)  // (B, K·D)
		scales := dense(h, body+4) // (B, K·D): log σ
		half := G.NewConstant(0.5)
		if dt == tensor.Float32 {
			half = G.NewConstant(float32(0.5))
		}
		z := must(G.HadamardDiv(must(G.Sub(n.y, means)), must(G.Exp(scales))))
		perDim := must(G.Add(must(G.HadamardProd(must(G.Square(z)), half)), scales)) // ½z² + log σ
		perComp := must(G.Sum(must(G.Reshape(perDim, tensor.Shape{b, k, d})), 2))    // (B, K)
		lse := func(a *G.Node) *G.Node {                                             // per row: max + log Σ exp(a − max)
			mx := must(G.Max(a, 1))
			return must(G.Add(mx, must(G.Log(must(G.Sum(must(G.Exp(must(G.BroadcastSub(a, mx, nil, []byte{1})))), 1))))))
		}
		logPi := must(G.BroadcastSub(logits, lse(logits), nil, []byte{1}))
		logLik := lse(must(G.Sub(logPi, perComp))) // (B): log Σ π N, without the constant
		c := float64(d) * 0.5 * math.Log(2*math.Pi)
		constant := G.NewConstant(c)
		if dt == tensor.Float32 {
			constant = G.NewConstant(float32(c))
		}
		out = must(G.Sub(constant, must(G.Mean(logLik))))
		_, err = G.Grad(out, nodes...)
		return err
	}()
	if err != nil {
		n.restore()
		return nil, err
	}
	n.cost = out
	n.vm = G.NewTapeMachine(n.g, G.BindDualValues(nodes...))
	n.solver = G.NewAdamSolver(G.WithLearnRate(1e-3), G.WithClip(10))
	tile := make([]float64, b*k*d)
	for r := 0; r < b; r++ {
		for c := 0; c < k; c++ {
			copy(tile[(r*k+c)*d:(r*k+c+1)*d], y[r*d:(r+1)*d])
		}
	}
	for _, in := range []struct {
		node *G.Node
		v    []float64
	}{{n.x, x}, {n.y, tile}} {
		t := tensor.New(tensor.Of(dt), tensor.WithShape(in.node.Shape()...))
		if dt == tensor.Float32 {
			for i, v := range in.v {
				t.Float32s()[i] = float32(v)
			}
		} else {
			copy(t.Float64s(), in.v)
		}
		if err := G.Let(in.node, t); err != nil {
			n.restore()
			return nil, err
		}
	}
	return n, nil
}

// step runs the graph and the solver once and returns the cost before the update.
func (n *naiveStep) step() (float64, error) {
	n.vm.Reset()
	if err := n.vm.RunAll(); err != nil {
		return 0, err
	}
	c := graph.AppendFloat64s(nil, n.cost.Value())[0]
	return c, n.solver.Step(G.NodesToValueGrads(n.params))
}

func (n *naiveStep) close() {
	n.vm.Close()
	n.restore()
}

func newNaiveSetup(t testing.TB, w Workload, dt models.DType) (*naiveStep, *Setup) {
	t.Helper()
	s, err := NewSetup(w, dt, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	n, err := newNaiveStep(s.Model, w, s.X, s.Y)
	if err != nil {
		t.Fatal(err)
	}
	return n, s
}

// TestNaiveStepSameCost: the naive graph computes mixgraph's cost on the same weights and
// batch, so that timing it against mixgraph's step compares the same work.
func TestNaiveStepSameCost(t *testing.T) {
	for _, name := range []string{"bishop", "small"} {
		w, _ := Lookup(name)
		n, s := newNaiveSetup(t, w, models.Float64)
		got, err := n.step()
		n.close()
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.Stepper.Step(s.X, s.Y)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-10*math.Abs(want) {
			t.Errorf("%s: naive cost %.17g, mixgraph %.17g", name, got, want)
		} else {
			t.Logf("%s: naive cost %.17g, mixgraph %.17g", name, got, want)
		}
	}
}

// BenchmarkNaiveStep times the naive Gorgonia step (see naiveStep), the baseline of the
// README's table of what makes the step fast.
//
//	go test -run XXX -bench NaiveStep ./benchmarks/
func BenchmarkNaiveStep(b *testing.B) {
	for _, w := range Workloads {
		for _, d := range dtypes {
			b.Run(fmt.Sprintf("workload=%s/dtype=%s", w.Name, d.name), func(b *testing.B) {
				n, _ := newNaiveSetup(b, w, d.dt)
				defer n.close()
				if _, err := n.step(); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := n.step(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(w.Batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
}
