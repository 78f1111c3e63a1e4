package benchmarks

import (
	"context"
	"flag"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
	"github.com/mixgraph/mixgraph/train/datasets"
)

var correlatedSeeds = flag.Int("correlated_seeds", 5, "seeds of TestCorrelatedTargets")

// correlatedRun is one model of the correlated-targets comparison.
type correlatedRun struct {
	name string
	k    int
	cov  mdn.Covariance
}

// correlatedTestNLL trains one model on the robot arm (datasets.RobotArm: 2000 training
// rows from seed 2s, 2000 test rows from 2s+1) and returns its test NLL per point in
// original units.
func correlatedTestNLL(t *testing.T, r correlatedRun, seed uint64) float64 {
	t.Helper()
	trainSet, testSet := datasets.RobotArm(2000, 2*seed), datasets.RobotArm(2000, 2*seed+1)
	m, err := mdn.New(mdn.Config{InputDim: 2, OutputDim: 2, K: r.k, Hidden: []int{32, 32}, Seed: seed, Covariance: r.cov})
	if err != nil {
		t.Fatal(err)
	}
	x, y := trainSet.Rows()
	cfg := train.Config{BatchSize: 200, Epochs: 300, LearnRate: 0.01, Schedule: train.CosineLR, ValFraction: 0.1, Seed: seed}
	if _, err := train.Run(context.Background(), m, train.Data{X: x, Y: y}, cfg); err != nil {
		t.Fatalf("%s seed %d: %v", r.name, seed, err)
	}
	tx, ty := testSet.Rows()
	nll, err := m.NLL(tx, ty)
	if err != nil {
		t.Fatal(err)
	}
	return nll
}

// TestCorrelatedTargets is the demonstration of full covariances: on the robot arm,
// whose 2-D target has noise correlated through the arm's Jacobian, it trains full and
// diagonal models at equal K (3), diagonal ones with 2K, 4K and 8K components and a full
// one with a single component, over
// -correlated_seeds seeds, prints mean ± sd of the test NLL, and checks that the full
// model beats the diagonal one at equal K on the mean. Run it with
//
//	go test ./benchmarks/ -run TestCorrelatedTargets -v
func TestCorrelatedTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 30 models; skipped under -short")
	}
	const k = 3
	runs := []correlatedRun{
		{fmt.Sprintf("full K=%d", k), k, mdn.CovarianceFull},
		{fmt.Sprintf("diagonal K=%d", k), k, ""},
		{fmt.Sprintf("diagonal K=%d", 2*k), 2 * k, ""},
		{fmt.Sprintf("diagonal K=%d", 4*k), 4 * k, ""},
		{fmt.Sprintf("diagonal K=%d", 8*k), 8 * k, ""},
		{"full K=1", 1, mdn.CovarianceFull},
	}
	means := make([]float64, len(runs))
	for i, r := range runs {
		var nlls []float64
		for s := 1; s <= *correlatedSeeds; s++ {
			nlls = append(nlls, correlatedTestNLL(t, r, uint64(s)))
		}
		mean, sd := stat.MeanStdDev(nlls, nil)
		if len(nlls) == 1 {
			sd = math.NaN()
		}
		means[i] = mean
		t.Logf("%-16s test NLL %.3f ± %.3f over %d seeds %.3f", r.name, mean, sd, len(nlls), nlls)
	}
	if !(means[0] < means[1]) {
		t.Errorf("full K=%d test NLL %.3f does not beat diagonal K=%d's %.3f", k, means[0], k, means[1])
	}
}
