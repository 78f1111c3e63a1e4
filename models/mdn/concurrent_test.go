package mdn

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/mixgraph/mixgraph/models"
)

// sameMixtures reports the first difference between two predictions, bit for bit.
func sameMixtures(a, b []Mixture) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d mixtures, want %d", len(a), len(b))
	}
	same := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }
	for i := range a {
		for c := range a[i].Weights {
			if !same(a[i].Weights[c], b[i].Weights[c]) {
				return fmt.Errorf("row %d weight %d: %.17g, want %.17g", i, c, a[i].Weights[c], b[i].Weights[c])
			}
			if (a[i].Cholesky == nil) != (b[i].Cholesky == nil) {
				return fmt.Errorf("row %d: Cholesky factors present %v, want %v", i, a[i].Cholesky != nil, b[i].Cholesky != nil)
			}
			if a[i].Cholesky != nil {
				for e, v := range a[i].Cholesky[c] {
					if !same(v, b[i].Cholesky[c][e]) {
						return fmt.Errorf("row %d component %d Cholesky entry %d: %.17g, want %.17g", i, c, e, v, b[i].Cholesky[c][e])
					}
				}
			}
			for j := range a[i].Means[c] {
				if !same(a[i].Means[c][j], b[i].Means[c][j]) || !same(a[i].StdDevs[c][j], b[i].StdDevs[c][j]) {
					return fmt.Errorf("row %d component %d dimension %d: μ %.17g σ %.17g, want μ %.17g σ %.17g", i, c, j, a[i].Means[c][j], a[i].StdDevs[c][j], b[i].Means[c][j], b[i].StdDevs[c][j])
				}
			}
		}
	}
	return nil
}

// TestConcurrentUse runs Predict, LogLik, NLL and the other read-only methods from many
// goroutines at once, on three models (float64, float32 and float64 with full
// covariances) with batches of 1, 3, 200 and 300 rows (so several graph sizes and
// chunking), and checks every result bit for bit against the same call made alone. Run it with -race.
func TestConcurrentUse(t *testing.T) {
	const goroutines = 16
	calls := 24
	if testing.Short() {
		calls = 8
	}
	sizes := []int{1, 3, 200, 300}
	type want struct {
		x, y [][]float64
		mix  []Mixture
		ll   []float64
		nll  float64
	}
	var ms []*Model
	wants := map[*Model][]want{}
	var cfgs []Config
	for i, dt := range dtypes {
		cfgs = append(cfgs, Config{InputDim: 3, OutputDim: 2, K: 4, Hidden: []int{16, 8}, DType: dt, Seed: uint64(7 + i)})
	}
	// An ensemble's combination (Members) is used concurrently as safely.
	cfgs = append(cfgs, Config{InputDim: 3, OutputDim: 2, K: 6, Members: 3, Hidden: []int{12}, Seed: 9})
	// Full covariances too.
	cfgs = append(cfgs, Config{InputDim: 3, OutputDim: 2, K: 4, Hidden: []int{16, 8}, Seed: 10, Covariance: CovarianceFull})
	for _, cfg := range cfgs {
		m := testModel(t, cfg)
		if err := m.SetNormalization(models.Normalization{XMean: []float64{1, -2, 0.5}, XStd: []float64{2, 0.5, 3}, YMean: []float64{10, -4}, YStd: []float64{5, 0.25}}); err != nil {
			t.Fatal(err)
		}
		if err := m.SetColumns([]string{"a", "b", "c"}, []string{"u", "v"}); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
		for j, n := range sizes {
			var w want
			w.x, w.y = randRows(uint64(10*j+1), n, 3, 2), randRows(uint64(10*j+2), n, 2, 3)
			var err error
			if w.mix, err = m.Predict(w.x); err != nil {
				t.Fatal(err)
			}
			if w.ll, err = m.LogLik(w.x, w.y); err != nil {
				t.Fatal(err)
			}
			if w.nll, err = m.NLL(w.x, w.y); err != nil {
				t.Fatal(err)
			}
			wants[m] = append(wants[m], w)
		}
	}
	// Fresh models too, so that graphs are built while others run.
	for _, m := range slices.Clone(ms) {
		fresh, err := New(m.Config())
		if err != nil {
			t.Fatal(err)
		}
		if err := fresh.SetNormalization(m.Normalization()); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, fresh)
		wants[fresh] = wants[m]
	}

	var wg sync.WaitGroup
	errs := make(chan error, goroutines*calls)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine Mixtures // this goroutine's, reused by PredictMixturesInto across models and sizes
			for c := 0; c < calls; c++ {
				m := ms[(g+c)%len(ms)]
				w := wants[m][(g*7+c)%len(sizes)]
				switch (g + c) % 3 {
				case 0:
					mix, err := m.Predict(w.x)
					if err == nil {
						err = sameMixtures(mix, w.mix)
					}
					if err != nil {
						errs <- fmt.Errorf("goroutine %d call %d Predict(%d rows): %v", g, c, len(w.x), err)
					}
					err = m.PredictMixturesInto(&mine, w.x)
					if err == nil {
						err = sameMixtures(mine.All(), w.mix)
					}
					if err != nil {
						errs <- fmt.Errorf("goroutine %d call %d PredictMixturesInto(%d rows): %v", g, c, len(w.x), err)
					}
				case 1:
					ll, err := m.LogLik(w.x, w.y)
					if err == nil {
						for i := range ll {
							if math.Float64bits(ll[i]) != math.Float64bits(w.ll[i]) {
								err = fmt.Errorf("row %d: %.17g, want %.17g", i, ll[i], w.ll[i])
								break
							}
						}
					}
					if err != nil {
						errs <- fmt.Errorf("goroutine %d call %d LogLik(%d rows): %v", g, c, len(w.x), err)
					}
				case 2:
					nll, err := m.NLL(w.x, w.y)
					if err == nil && math.Float64bits(nll) != math.Float64bits(w.nll) {
						err = fmt.Errorf("%.17g, want %.17g", nll, w.nll)
					}
					if err != nil {
						errs <- fmt.Errorf("goroutine %d call %d NLL(%d rows): %v", g, c, len(w.x), err)
					}
				}
				// The other read-only methods, for the race detector.
				_ = m.Config()
				_ = m.Normalization()
				_, _ = m.Columns()
				_ = m.CostInOriginalUnits(1)
				if c%8 == 0 {
					if err := m.Save(discard{}); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 10 {
			t.Error(err)
		}
	}
	// The model keeps at most one graph per size for each span that ran at once: a
	// Predict of 300 rows runs two spans of 150 rows in parallel (RunParallel, up to
	// GOMAXPROCS of them), each on graphs of its own.
	perCall := runtime.GOMAXPROCS(0)
	for _, m := range ms {
		for what, b := range map[string]*models.Batcher{"Predict": m.predict, "LogLik": m.eval} {
			for size, idle := range b.Idle() {
				if idle > goroutines*perCall {
					t.Errorf("%d idle %s graphs of size %d after %d goroutines of up to %d chunks at once", idle, what, size, goroutines, perCall)
				}
			}
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
