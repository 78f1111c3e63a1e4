package graph_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/gradcheck"
)

func softplusRef(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }

func sigmoidRef(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

var activationRefs = map[graph.Activation]func(float64) float64{
	graph.Identity: func(x float64) float64 { return x },
	graph.Tanh:     math.Tanh,
	graph.ReLU:     func(x float64) float64 { return math.Max(x, 0) },
	graph.Sigmoid:  sigmoidRef,
	graph.Softplus: softplusRef,
}

func TestActivationValues(t *testing.T) {
	xs := []float64{-30, -3.5, -1, -0.25, 0.3, 1, 2.5, 30}
	for _, dt := range dtypes {
		for a, ref := range activationRefs {
			v := round(dt, xs)
			got := evalPrim(t, dt, 2, 4, v, a.Apply)
			want := make([]float64, len(v))
			for i, x := range v {
				want[i] = ref(x)
			}
			checkCloseTol(t, fmt.Sprintf("%s %v", a, dt), 4*relTol[dt], got, want)
		}
	}
}

// TestSoftplusExact: SoftplusOf matches log(1+eˣ) to the last bits where Gorgonia's
// Softplus returns x itself (above 16) or 0 (below −708).
func TestSoftplusExact(t *testing.T) {
	xs := []float64{-800, -50, -1, 0, 1, 20, 40, 800}
	got := evalPrim(t, tensor.Float64, 1, len(xs), xs, graph.SoftplusOf)
	for i, x := range xs {
		want := softplusRef(x)
		if x == -800 {
			want = 0 // e^−800 underflows float64
		}
		if math.Abs(got[i]-want) > 1e-15*math.Abs(want) {
			t.Errorf("SoftplusOf(%g) = %.17g, want %.17g", x, got[i], want)
		}
	}
	// −50: e^−50 ≈ 1.9e−22 must survive, not be rounded to 0.
	if got[1] == 0 {
		t.Errorf("SoftplusOf(-50) = 0, want e^-50")
	}
}

func TestELUPlusOne(t *testing.T) {
	xs := []float64{-20, -2, -0.5, 0.5, 2, 20}
	for _, dt := range dtypes {
		v := round(dt, xs)
		got := evalPrim(t, dt, 1, len(v), v, graph.ELUPlusOne)
		want := make([]float64, len(v))
		for i, x := range v {
			if x > 0 {
				want[i] = x + 1
			} else {
				want[i] = math.Exp(x)
			}
		}
		checkClose(t, fmt.Sprintf("ELUPlusOne %v", dt), dt, got, want)
	}
}

// activationInputs avoid the kinks of ReLU and |x| at 0, where finite differences and
// the one-sided derivative disagree.
var activationInputs = []float64{-2.5, -0.7, -0.1, 0.2, 0.9, 3}

func TestActivationGradients(t *testing.T) {
	type op struct {
		name string
		f    func(*G.Node) (*G.Node, error)
	}
	ops := []op{{"elu+1", graph.ELUPlusOne}}
	for a := range activationRefs {
		ops = append(ops, op{string(a), a.Apply})
	}
	for _, dt := range dtypes {
		for _, o := range ops {
			res, err := gradcheck.Check(func(g *G.ExprGraph) (*G.Node, G.Nodes, error) {
				x := G.NodeFromAny(g, graph.NewTensor(dt, []int{2, 3}, activationInputs), G.WithName("x"))
				y, err := o.f(x)
				if err != nil {
					return nil, nil, err
				}
				c, err := weightedCost(g, dt, y, 5)
				return c, G.Nodes{x}, err
			}, gradcheck.For(dt))
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() {
				t.Errorf("%s %v: %v", o.name, dt, res)
			}
		}
	}
}

func TestParseActivation(t *testing.T) {
	t.Parallel()
	if a, err := graph.ParseActivation(" TANH "); err != nil || a != graph.Tanh {
		t.Errorf("ParseActivation(TANH) = %q, %v", a, err)
	}
	if a, err := graph.ParseActivation(""); err != nil || a != graph.Identity {
		t.Errorf("ParseActivation(\"\") = %q, %v", a, err)
	}
	_, err := graph.ParseActivation("swish")
	if err == nil || !strings.Contains(err.Error(), `"swish"`) || !strings.Contains(err.Error(), "tanh") {
		t.Errorf("ParseActivation(swish): %v", err)
	}
}

func TestInitDeterministic(t *testing.T) {
	t.Parallel()
	inits := map[string]graph.Init{"GlorotUniform": graph.GlorotUniform, "GlorotNormal": graph.GlorotNormal, "HeUniform": graph.HeUniform, "HeNormal": graph.HeNormal}
	for name, init := range inits {
		a, b, c := make([]float64, 50), make([]float64, 50), make([]float64, 50)
		init(graph.NewRand(9), 10, 5, a)
		init(graph.NewRand(9), 10, 5, b)
		init(graph.NewRand(10), 10, 5, c)
		same := true
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				t.Fatalf("%s: seed 9 twice differs at %d", name, i)
			}
			same = same && a[i] == c[i]
		}
		if same {
			t.Errorf("%s: seeds 9 and 10 agree", name)
		}
	}
}

// TestInitLaws checks each initialiser's sample mean and variance against its law
// within 5 standard errors.
func TestInitLaws(t *testing.T) {
	t.Parallel()
	const n, fanIn, fanOut = 200000, 30, 20
	cases := []struct {
		name string
		init graph.Init
		vari float64
	}{
		{"GlorotUniform", graph.GlorotUniform, 2.0 / (fanIn + fanOut)},
		{"GlorotNormal", graph.GlorotNormal, 2.0 / (fanIn + fanOut)},
		{"HeUniform", graph.HeUniform, 2.0 / fanIn},
		{"HeNormal", graph.HeNormal, 2.0 / fanIn},
		{"NormalStd(0.3)", graph.NormalStd(0.3), 0.09},
	}
	for _, c := range cases {
		v := make([]float64, n)
		c.init(graph.NewRand(3), fanIn, fanOut, v)
		mean, m2 := 0.0, 0.0
		for _, x := range v {
			mean += x
		}
		mean /= n
		for _, x := range v {
			m2 += (x - mean) * (x - mean)
		}
		m2 /= n
		if se := math.Sqrt(c.vari / n); math.Abs(mean) > 5*se {
			t.Errorf("%s: mean %g, want 0 ± %g", c.name, mean, 5*se)
		}
		// The variance of a sample variance is at most 2σ⁴/n for these laws (uniform: less).
		if se := math.Sqrt(2/float64(n)) * c.vari; math.Abs(m2-c.vari) > 5*se {
			t.Errorf("%s: variance %g, want %g ± %g", c.name, m2, c.vari, 5*se)
		}
	}
	z := []float64{1, 2}
	graph.Zeros(nil, 1, 2, z)
	k := make([]float64, 3)
	graph.Constant(0.5)(nil, 1, 3, k)
	if z[0] != 0 || z[1] != 0 || k[2] != 0.5 {
		t.Errorf("Zeros %v, Constant(0.5) %v", z, k)
	}
}

func TestParamSet(t *testing.T) {
	t.Parallel()
	for _, dt := range dtypes {
		ps, err := graph.NewParamSet(dt)
		if err != nil {
			t.Fatal(err)
		}
		vals := []float64{0.1, 1.0 / 3, -2, 1e-30, 7}
		if _, err := ps.Add("a", []int{1, 2}, vals[:2]); err != nil {
			t.Fatal(err)
		}
		if _, err := ps.Add("b", []int{3}, vals[2:]); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			shape []int
			n     int
			want  string
		}{{"a", []int{1}, 1, `"a" already exists`}, {"c", []int{0, 2}, 0, "every dimension must be positive"}, {"d", []int{2}, 3, "needs 2 values, got 3"}, {"", []int{1}, 1, "needs a name"}} {
			if _, err := ps.Add(c.name, c.shape, make([]float64, c.n)); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Add(%q, %v): %v, want %q", c.name, c.shape, err, c.want)
			}
		}
		if ps.Count() != 5 || ps.Get("b").Size() != 3 || ps.Get("zz") != nil {
			t.Errorf("Count %d, b size %d", ps.Count(), ps.Get("b").Size())
		}
		flat := ps.Flatten(nil)
		want := round(dt, vals)
		for i := range want {
			if math.Float64bits(flat[i]) != math.Float64bits(want[i]) {
				t.Errorf("%v Flatten[%d] = %g, want %g", dt, i, flat[i], want[i])
			}
		}
		if err := ps.SetFlat(flat); err != nil {
			t.Fatal(err)
		}
		again := ps.Flatten(nil)
		for i := range flat {
			if math.Float64bits(flat[i]) != math.Float64bits(again[i]) {
				t.Errorf("%v SetFlat/Flatten round trip changed value %d", dt, i)
			}
		}
		if err := ps.SetFlat(flat[:4]); err == nil {
			t.Error("SetFlat with too few values: no error")
		}
		// Nodes in one graph are found again; nodes in two graphs share the tensor.
		g1, g2 := G.NewGraph(), G.NewGraph()
		n1, n1b, n2 := ps.Nodes(g1), ps.Nodes(g1), ps.Nodes(g2)
		for i := range n1 {
			if n1[i] != n1b[i] {
				t.Errorf("Nodes(g) twice gave two nodes for %q", ps.List()[i].Name)
			}
		}
		if n2[0] == n1[0] || n2[0].Value() != n1[0].Value() {
			t.Errorf("nodes of two graphs should differ but share one tensor")
		}
	}
}

func TestSharedAcrossGraphs(t *testing.T) {
	t.Parallel()
	ps, _ := graph.NewParamSet(tensor.Float64)
	p, _ := ps.Add("w", []int{2, 1}, []float64{1, 2})
	g1, g2 := G.NewGraph(), G.NewGraph()
	a, b := p.Node(g1), p.Node(g2)
	p.Value.Data().([]float64)[1] = 5
	if a.Value().Data().([]float64)[1] != 5 || b.Value().Data().([]float64)[1] != 5 {
		t.Errorf("an in-place update is not seen by both graphs' nodes")
	}
}
