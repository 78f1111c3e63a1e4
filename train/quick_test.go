package train

import (
	"context"
	"testing"
	"time"

	"github.com/mixgraph/mixgraph/internal/data"
	"github.com/mixgraph/mixgraph/models/mdn"
)

func TestQuickBishop(t *testing.T) {
	tr, te := data.Bishop(1000, 1), data.Bishop(1000, 2)
	x, y := tr.Rows()
	m, err := mdn.New(mdn.Config{InputDim: 1, OutputDim: 1, K: 5, Hidden: []int{20}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := Run(context.Background(), m, Data{X: x, Y: y}, Config{BatchSize: 1000, Epochs: 5000, LearnRate: 0.01, Schedule: Cosine})
	if err != nil {
		t.Fatal(err)
	}
	tx, ty := te.Rows()
	nll, _ := m.NLL(tx, ty)
	t.Logf("train %.4f test %.4f in %v; last %+v", res.TrainNLL, nll, time.Since(start), res.History[len(res.History)-1])
}
