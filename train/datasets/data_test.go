package datasets

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/mixgraph/mixgraph/graph"
)

func TestReadCSV(t *testing.T) {
	const text = "a, b ,c\n1,2,3\n\n4,5,6\n"
	cases := []struct {
		x, y         []string
		xDim, yDim   int
		wantX, wantY []float64
	}{
		{nil, nil, 2, 1, []float64{1, 2, 4, 5}, []float64{3, 6}},
		{[]string{"c"}, []string{"a"}, 1, 1, []float64{3, 6}, []float64{1, 4}},
		{[]string{"0", "2"}, []string{"b"}, 2, 1, []float64{1, 3, 4, 6}, []float64{2, 5}},
		{nil, []string{"a", "b"}, 1, 2, []float64{3, 6}, []float64{1, 2, 4, 5}},
	}
	for _, c := range cases {
		s, err := ReadCSV(strings.NewReader(text), c.x, c.y)
		if err != nil {
			t.Fatalf("%v/%v: %v", c.x, c.y, err)
		}
		if s.N != 2 || s.XDim != c.xDim || s.YDim != c.yDim || !equal(s.X, c.wantX) || !equal(s.Y, c.wantY) {
			t.Errorf("%v/%v: got %+v", c.x, c.y, s)
		}
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadCSVErrors(t *testing.T) {
	cases := []struct {
		text string
		x, y []string
		want string
	}{
		{"", nil, nil, "empty"},
		{"a,b\n", nil, nil, "no data rows"},
		{"a,b\n1,2\n3\n", nil, nil, "line 3: 1 fields, header has 2"},
		{"a,b\n1,2\n3,x\n", nil, nil, `line 3, column "b": "x" is not a number`},
		{"a,b\n1,NaN\n", nil, nil, `line 2, column "b": "NaN" is not a finite number`},
		{"a,b\n1,2\n-Inf,2\n", nil, nil, `line 3, column "a": "-Inf" is not a finite number`},
		{"a,b\n1,2\n", nil, []string{"z"}, `no column "z" (columns are "a", "b")`},
		{"a,b\n1,2\n", nil, []string{"5"}, "column index 5 out of range"},
		{"a,b\n1,2\n", []string{"a"}, []string{"a"}, `column "a" is both an input and a target`},
		{"a,b\n1,2\n", []string{"a", "a"}, []string{"b"}, `column "a" selected twice`},
		{"a\n1\n", nil, nil, "no input columns left (the header has one column, the target)"},
		{"a;b\n1;2\n", nil, nil, `the header "a;b" is one column: the file must be comma-separated, not ";"-separated`},
		{"a\tb\n1\t2\n", nil, nil, `the header "a\tb" is one column: the file must be comma-separated, not "\t"-separated`},
		{"a,b\n1,\"2\n", nil, nil, "datasets:"},
	}
	for _, c := range cases {
		_, err := ReadCSV(strings.NewReader(c.text), c.x, c.y)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q x=%v y=%v: %v, want %q", c.text, c.x, c.y, err, c.want)
		}
	}
	if _, err := ReadCSVFile("/nonexistent/file.csv", nil, nil); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	names, rows, err := ReadColumnsCSV(strings.NewReader("p,q\n1,2\n3,4\n"), []string{"q"})
	if err != nil || len(names) != 1 || !equal(rows, []float64{2, 4}) {
		t.Errorf("ReadColumnsCSV: %v %v %v", names, rows, err)
	}
}

func TestFaithful(t *testing.T) {
	s := Faithful(false)
	if s.N != 272 || s.X[0] != 3.6 || s.Y[0] != 79 || s.XNames[0] != "eruptions" {
		t.Errorf("faithful: N=%d first row (%g, %g) names %v", s.N, s.X[0], s.Y[0], s.XNames)
	}
	inv := Faithful(true)
	if inv.X[0] != 79 || inv.Y[0] != 3.6 {
		t.Errorf("faithful inverse first row (%g, %g)", inv.X[0], inv.Y[0])
	}
	tr, te, err := Builtin("faithful", 0, 1)
	if err != nil || tr.N+te.N != 272 || te.N != 54 {
		t.Errorf("faithful split %d + %d: %v", tr.N, te.N, err)
	}
}

func TestGeneratorsDeterministic(t *testing.T) {
	for name, gen := range map[string]func(int, uint64) *Set{"bishop": Bishop, "sine": Sine} {
		a, b, c := gen(500, 3), gen(500, 3), gen(500, 4)
		if !equal(a.X, b.X) || !equal(a.Y, b.Y) {
			t.Errorf("%s: same seed differs", name)
		}
		if equal(a.X, c.X) {
			t.Errorf("%s: seeds 3 and 4 agree", name)
		}
		if err := a.Validate(); err != nil {
			t.Error(err)
		}
	}
	for i := 0; i < 500; i++ {
		b := Bishop(500, 1)
		x, y := b.Row(i)
		if y[0] < 0 || y[0] > 1 || math.Abs(x[0]-y[0]-0.3*math.Sin(2*math.Pi*y[0])) > 0.1 {
			t.Fatalf("bishop row %d = (%g, %g) off the curve", i, x[0], y[0])
		}
	}
	if _, _, err := Builtin("mnist", 0, 1); err == nil || !strings.Contains(err.Error(), `unknown dataset "mnist"`) {
		t.Errorf("unknown dataset: %v", err)
	}
}

func TestSplit(t *testing.T) {
	s := Bishop(100, 1)
	tr, va, err := Split(s, 0.25, graph.NewRand(1))
	if err != nil || tr.N != 75 || va.N != 25 {
		t.Fatalf("split %v %v %v", tr, va, err)
	}
	seen := map[float64]bool{}
	for _, v := range append(append([]float64(nil), tr.Y...), va.Y...) {
		if seen[v] {
			t.Fatalf("row with target %g on both sides", v)
		}
		seen[v] = true
	}
	tr2, _, _ := Split(s, 0.25, graph.NewRand(1))
	if !equal(tr.X, tr2.X) {
		t.Error("split not deterministic")
	}
	if _, _, err := Split(s, 1, graph.NewRand(1)); err == nil {
		t.Error("fraction 1: no error")
	}
	if _, _, err := Split(Bishop(1, 1), 0.5, graph.NewRand(1)); err == nil {
		t.Error("splitting one row: no error")
	}
	s.X[7] = math.NaN()
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), `row 7, input column "x" is NaN`) {
		t.Errorf("Validate: %v", err)
	}
}

// TestBestNLL recomputes the conditional entropies by numerical integration.
func TestBestNLL(t *testing.T) {
	// Bishop: t ~ U(0,1), x | t ~ U(g(t) − 0.1, g(t) + 0.1), g(t) = t + 0.3 sin 2πt, so
	// p(x, t) = 5 on the band and p(t | x) = 5 / p(x) there, p(x) = 5·|{t : |x − g(t)| < 0.1}|.
	// H(t|x) = −E[log p(t|x)] = E[log p(x)] − log 5.
	g := func(t float64) float64 { return t + 0.3*math.Sin(2*math.Pi*t) }
	const nt = 20000
	px := func(x float64) float64 {
		c := 0
		for i := 0; i < nt; i++ {
			tt := (float64(i) + 0.5) / nt
			if math.Abs(x-g(tt)) < 0.1 {
				c++
			}
		}
		return 5 * float64(c) / nt
	}
	h := quad.Fixed(func(x float64) float64 {
		p := px(x)
		if p == 0 {
			return 0
		}
		return p * math.Log(p)
	}, -0.2, 1.2, 1400, nil, 0) - math.Log(5)
	if want, _ := BestNLL(NameBishop); math.Abs(h-want) > 0.01 {
		t.Errorf("bishop H(t|x) = %.4f by integration, BestNLL says %.4f", h, want)
	}
	// Sine: y ~ U(−10.5, 10.5), x | y ~ N(f(y), 1). H(y|x) = H(x|y) + H(y) − H(x),
	// H(x|y) = ½ log 2πe, H(y) = log 21, H(x) by integrating p(x) = (1/21) ∫ φ(x − f(y)) dy.
	f := func(y float64) float64 { return 7*math.Sin(0.75*y) + 0.5*y }
	pxs := func(x float64) float64 {
		return quad.Fixed(func(y float64) float64 {
			d := x - f(y)
			return math.Exp(-0.5*d*d) / math.Sqrt(2*math.Pi) / 21
		}, -10.5, 10.5, 2000, nil, 0)
	}
	hx := -quad.Fixed(func(x float64) float64 {
		p := pxs(x)
		if p <= 0 {
			return 0
		}
		return p * math.Log(p)
	}, -20, 20, 800, nil, 0)
	hs := 0.5*math.Log(2*math.Pi*math.E) + math.Log(21) - hx
	if want, _ := BestNLL(NameSine); math.Abs(hs-want) > 0.01 {
		t.Errorf("sine H(y|x) = %.4f by integration, BestNLL says %.4f", hs, want)
	}
	if _, ok := BestNLL("faithful"); ok {
		t.Error("BestNLL(faithful) should be unknown")
	}
}
