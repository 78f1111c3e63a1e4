package train_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"math/rand/v2"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
)

// Train a small MDN on Bishop's inverse problem (t uniform on [0, 1], x = t + 0.3 sin 2πt
// plus noise; predict t from x, which has up to three branches), holding a fifth of the
// rows out for validation. 160 training rows in batches of 50 take 4 steps an epoch, the
// last of 10 rows. Only counts and comparisons are printed: the NLLs' last digits depend
// on the CPU's float kernels.
func ExampleRun() {
	rng := rand.New(rand.NewPCG(1, 2))
	var d train.Data
	for range 200 {
		t := rng.Float64()
		x := t + 0.3*math.Sin(2*math.Pi*t) + 0.2*rng.Float64() - 0.1
		d.X = append(d.X, []float64{x})
		d.Y = append(d.Y, []float64{t})
	}
	m, err := mdn.New(mdn.Config{InputDim: 1, OutputDim: 1, K: 3, Hidden: []int{16}, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	cfg := train.Config{BatchSize: 50, Epochs: 30, LearnRate: 0.01, ValFraction: 0.2, Seed: 1}
	res, err := train.Run(context.Background(), m, d, cfg)
	if err != nil {
		log.Fatal(err)
	}
	first, last := res.History[0], res.History[len(res.History)-1]
	fmt.Printf("%d epochs, %d steps: %s\n", res.Epochs, res.Steps, res.Stopped)
	fmt.Println("training NLL fell:", last.TrainNLL < first.TrainNLL)
	fmt.Println("validation NLL fell:", res.ValNLL < first.ValNLL)
	// Output:
	// 30 epochs, 120 steps: completed
	// training NLL fell: true
	// validation NLL fell: true
}
