package datasets_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// Generate Bishop's inverse problem: the target t is uniform on [0, 1] and the input
// x = t + 0.3 sin 2πt + ε; the same seed gives the same rows.
func ExampleBishop() {
	s := datasets.Bishop(500, 1)
	fmt.Printf("%d rows, %d input (%s), %d target (%s)\n", s.N, s.XDim, s.XNames[0], s.YDim, s.YNames[0])
	fmt.Println("targets in [0, 1]:", slices.Min(s.Y) >= 0 && slices.Max(s.Y) <= 1)
	fmt.Println("inputs in [-0.2, 1.2]:", slices.Min(s.X) >= -0.2 && slices.Max(s.X) <= 1.2)
	fmt.Println("same seed, same rows:", slices.Equal(s.X, datasets.Bishop(500, 1).X))
	fmt.Println("valid:", s.Validate() == nil)
	// Output:
	// 500 rows, 1 input (x), 1 target (t)
	// targets in [0, 1]: true
	// inputs in [-0.2, 1.2]: true
	// same seed, same rows: true
	// valid: true
}

// Read a CSV, choosing the input columns by name and the target by 0-based index;
// columns chosen by neither are not read. A bad cell is an error naming its line and
// column.
func ExampleReadCSV() {
	const text = `id,speed,load,power
1,1.5,20,3.25
2,2.0,35,5.5
3,2.5,10,2.75
`
	s, err := datasets.ReadCSV(strings.NewReader(text), []string{"speed", "load"}, []string{"3"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.N, "rows; inputs", s.XNames, "target", s.YNames)
	x, y := s.Row(1)
	fmt.Println("row 1:", x, y)

	_, err = datasets.ReadCSV(strings.NewReader("speed,power\n1.5,3.25\n2.0,fast\n"), nil, nil)
	fmt.Println(err)
	// Output:
	// 3 rows; inputs [speed load] target [power]
	// row 1: [2 35] [5.5]
	// datasets: line 3, column "power": "fast" is not a number
}

// Hold out a fifth of a set, in a seeded random order, as the test set.
func ExampleSplit() {
	s := datasets.Faithful(false)
	tr, te, err := datasets.Split(s, 0.2, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d rows: %d to train on, %d to test (%s given %s)\n", s.N, tr.N, te.N, tr.YNames[0], tr.XNames[0])
	// Output:
	// 272 rows: 218 to train on, 54 to test (waiting given eruptions)
}

// Standardise a training set, and a test set with the training set's statistics. A
// caller of train.Run need not: Run standardises the rows it trains on itself. A loop of
// one's own (train.Stepper) takes standardised rows.
func ExampleSet_Normalization() {
	tr, te, err := datasets.Builtin(datasets.NameSine, 2000, 1)
	if err != nil {
		log.Fatal(err)
	}
	n := tr.Normalization()
	fmt.Printf("target mean %.2f, standard deviation %.2f\n", n.YMean[0], n.YStd[0])

	xs, ys := make([]float64, len(tr.X)), make([]float64, len(tr.Y))
	n.X(xs, tr.X)
	n.Y(ys, tr.Y)
	z := (&datasets.Set{X: xs, Y: ys, N: tr.N, XDim: tr.XDim, YDim: tr.YDim}).Normalization()
	fmt.Println("standardised: mean 0, standard deviation 1:",
		math.Abs(z.XMean[0]) < 1e-9 && math.Abs(z.YMean[0]) < 1e-9 && math.Abs(z.XStd[0]-1) < 1e-9 && math.Abs(z.YStd[0]-1) < 1e-9)

	tys := make([]float64, len(te.Y))
	n.Y(tys, te.Y) // the test rows in the units the model was trained in
	fmt.Println("test rows:", len(tys))
	// Output:
	// target mean -0.14, standard deviation 6.13
	// standardised: mean 0, standard deviation 1: true
	// test rows: 2000
}

// Train a mixture density network on Bishop's inverse problem and measure it on the
// test set. train.Run standardises the training rows itself; NLL is per point, in the
// data's own units. Only facts that do not depend on the CPU's float kernels are
// printed.
func Example_mdn() {
	tr, te, err := datasets.Builtin(datasets.NameBishop, 400, 1)
	if err != nil {
		log.Fatal(err)
	}
	m, err := mdn.New(mdn.Config{InputDim: tr.XDim, OutputDim: tr.YDim, K: 3, Hidden: []int{16}, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	x, y := tr.Rows()
	cfg := train.Config{BatchSize: 100, Epochs: 40, LearnRate: 0.01, Seed: 1}
	res, err := train.Run(context.Background(), m, train.Data{X: x, Y: y}, cfg)
	if err != nil {
		log.Fatal(err)
	}
	tx, ty := te.Rows()
	nll, err := m.NLL(tx, ty)
	if err != nil {
		log.Fatal(err)
	}
	best, _ := datasets.BestNLL(datasets.NameBishop)
	fmt.Printf("%d epochs, %d steps: %s\n", res.Epochs, res.Steps, res.Stopped)
	fmt.Println("training NLL fell:", res.History[len(res.History)-1].TrainNLL < res.History[0].TrainNLL)
	fmt.Println("test NLL below 0:", nll < 0)
	fmt.Println("test NLL above the best possible:", nll > best)
	// Output:
	// 40 epochs, 160 steps: completed
	// training NLL fell: true
	// test NLL below 0: true
	// test NLL above the best possible: true
}
