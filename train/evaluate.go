package train

import "github.com/mixgraph/mixgraph/models"

// evalRows is the most rows an evaluation graph takes at once.
const evalRows = 1024

// evaluate returns the mean per-row cost, in original units, of standardised rows, run
// through the model's loss without gradients (models.NewLossBatcher).
func (t *trainer) evaluate(xs, ys []float64, n int) (float64, error) {
	if t.evals == nil {
		t.evals = models.NewLossBatcher(t.m, evalRows)
	}
	sum := 0.0
	err := t.evals.Run(n, [][]float64{xs, ys}, func(_, rows int, outs [][]float64) error {
		for _, v := range outs[0][:rows] {
			sum += v
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return t.m.CostInOriginalUnits(sum / float64(n)), nil
}
