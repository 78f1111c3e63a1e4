package benchmarks

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
)

var dtypes = []struct {
	name string
	dt   models.DType
}{{"f64", models.Float64}, {"f32", models.Float32}}

func benchSteps(b *testing.B, w Workload, dt models.DType, clip float64) {
	s, err := NewSetup(w, dt, clip, 1)
	if err != nil {
		b.Fatal(err)
	}
	timeSteps(b, w, s)
}

// timeSteps times training steps of a ready setup, after one untimed step (graphs
// compiled, solver state allocated).
func timeSteps(b *testing.B, w Workload, s *Setup) {
	if _, err := s.Stepper.Step(s.X, s.Y); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Stepper.Step(s.X, s.Y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.Batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkTrainStep times one training step of each workload in each dtype.
func BenchmarkTrainStep(b *testing.B) {
	for _, w := range Workloads {
		for _, d := range dtypes {
			b.Run(fmt.Sprintf("workload=%s/dtype=%s", w.Name, d.name), func(b *testing.B) { benchSteps(b, w, d.dt, 0) })
		}
	}
	// Full covariances for the workloads with D = 2 and 4.
	for _, name := range []string{"small", "medium"} {
		w, _ := Lookup(name)
		w.Covariance = mdn.CovarianceFull
		for _, d := range dtypes {
			b.Run(fmt.Sprintf("workload=%s/cov=full/dtype=%s", w.Name, d.name), func(b *testing.B) { benchSteps(b, w, d.dt, 0) })
		}
	}
}

// BenchmarkFullCovarianceRatio measures the cost of full covariances side by side: each
// iteration takes one training step of the workload with diagonal covariances and one
// with full ones (alternating which goes first), timing each, and reports the medians
// (diag-ms, full-ms) and their ratio (full/diag), which a shared machine's drifting load
// disturbs far less than two separate benchmarks' times. The goal is full/diag ≤ 1.5.
func BenchmarkFullCovarianceRatio(b *testing.B) {
	for _, name := range []string{"small", "medium"} {
		w, _ := Lookup(name)
		for _, d := range dtypes {
			b.Run(fmt.Sprintf("workload=%s/dtype=%s", name, d.name), func(b *testing.B) {
				wf := w
				wf.Covariance = mdn.CovarianceFull
				var setups [2]*Setup
				for i, wl := range []Workload{w, wf} {
					s, err := NewSetup(wl, d.dt, 0, 1)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := s.Stepper.Step(s.X, s.Y); err != nil {
						b.Fatal(err)
					}
					setups[i] = s
				}
				var times [2][]float64
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					first := len(times[0]) % 2
					for j := range 2 {
						i := (first + j) % 2
						s := setups[i]
						start := time.Now()
						if _, err := s.Stepper.Step(s.X, s.Y); err != nil {
							b.Fatal(err)
						}
						times[i] = append(times[i], float64(time.Since(start))/1e6)
					}
				}
				md, mf := median(times[0]), median(times[1])
				b.ReportMetric(md, "diag-ms")
				b.ReportMetric(mf, "full-ms")
				b.ReportMetric(mf/md, "full/diag")
			})
		}
	}
}

// median returns the median of v (which it sorts).
func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// BenchmarkClipping compares the step with value clipping at 10 and with none.
func BenchmarkClipping(b *testing.B) {
	for _, name := range []string{"bishop", "medium"} {
		w, _ := Lookup(name)
		for _, c := range []struct {
			name string
			clip float64
		}{{"on", 10}, {"off", -1}} {
			b.Run(fmt.Sprintf("workload=%s/clip=%s", name, c.name), func(b *testing.B) { benchSteps(b, w, models.Float64, c.clip) })
		}
	}
}

// BenchmarkScaling shows how the small workload's step grows with K and the batch.
func BenchmarkScaling(b *testing.B) {
	base, _ := Lookup("small")
	for _, k := range []int{1, 5, 20, 50} {
		w := base
		w.K = k
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) { benchSteps(b, w, models.Float64, 0) })
	}
	for _, batch := range []int{32, 128, 512, 2048} {
		w := base
		w.Batch = batch
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchSteps(b, w, models.Float64, 0) })
	}
}

// BenchmarkNLL times the forward pass and the NLL alone (Model.LogLik) on each
// workload's batch.
func BenchmarkNLL(b *testing.B) {
	for _, w := range Workloads {
		for _, d := range dtypes {
			b.Run(fmt.Sprintf("workload=%s/dtype=%s", w.Name, d.name), func(b *testing.B) {
				s, err := NewSetup(w, d.dt, 0, 1)
				if err != nil {
					b.Fatal(err)
				}
				x, y := rows(s.X, w.In), rows(s.Y, w.Out)
				if _, err := s.Model.LogLik(x, y); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := s.Model.LogLik(x, y); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(w.Batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
}

// BenchmarkPredict times prediction on PredictRows rows of x ~ N(0,1): the network, then
// every row's mixture (weights, log weights, means, standard deviations) in original
// units, for each workload's network in each dtype; api=mixtures is PredictMixtures (flat
// arrays, what the side-by-side command compares with PyTorch's tensors), api=into is
// PredictMixturesInto reusing one Mixtures (no arrays allocated per call), api=predict is
// Predict (one Mixture value per row on top).
func BenchmarkPredict(b *testing.B) {
	for _, api := range []string{"mixtures", "into", "predict"} {
		for _, w := range Workloads {
			for _, d := range dtypes {
				b.Run(fmt.Sprintf("api=%s/workload=%s/dtype=%s", api, w.Name, d.name), func(b *testing.B) { benchPredict(b, api, w, d.dt) })
			}
		}
	}
}

func benchPredict(b *testing.B, api string, w Workload, dt models.DType) {
	m, x, err := PredictSetup(w, dt, PredictRows, 1)
	if err != nil {
		b.Fatal(err)
	}
	predict := func() error { _, err := m.PredictMixtures(x); return err }
	switch api {
	case "into":
		var p mdn.Mixtures
		predict = func() error { return m.PredictMixturesInto(&p, x) }
	case "predict":
		predict = func() error { _, err := m.Predict(x); return err }
	}
	if err := predict(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := predict(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSample times drawing 1000 samples from one predicted mixture, at temperature
// 1, for each workload's network (K components in D dimensions).
func BenchmarkSample(b *testing.B) {
	for _, w := range Workloads {
		b.Run("workload="+w.Name, func(b *testing.B) {
			m, x, err := PredictSetup(w, models.Float64, 1, 1)
			if err != nil {
				b.Fatal(err)
			}
			mix, err := m.Predict(x)
			if err != nil {
				b.Fatal(err)
			}
			rng := graph.NewRand(1)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				mix[0].Sample(rng, 1000, 1)
			}
			b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

func rows(flat []float64, d int) [][]float64 {
	r := make([][]float64, len(flat)/d)
	for i := range r {
		r[i] = flat[i*d : (i+1)*d]
	}
	return r
}

// BenchmarkBLAS names the matrix-multiply backend of the build, so that runs with and
// without the openblas tag compare under benchstat:
//
//	go test -bench BLAS ./benchmarks > gonum.txt
//	go test -tags openblas -bench BLAS ./benchmarks > openblas.txt
func BenchmarkBLAS(b *testing.B) {
	for _, name := range []string{"small", "medium", "large"} {
		w, _ := Lookup(name)
		for _, d := range dtypes {
			b.Run(fmt.Sprintf("blas=%s/workload=%s/dtype=%s", graph.BLAS, name, d.name), func(b *testing.B) { benchSteps(b, w, d.dt, 0) })
		}
	}
}

// TestWorkloadsStep takes one step of every workload in both dtypes: the benchmarks'
// set-up works and its cost is finite.
func TestWorkloadsStep(t *testing.T) {
	for _, w := range Workloads {
		if testing.Short() && w.Name == "large" {
			continue
		}
		for _, d := range dtypes {
			s, err := NewSetup(w, d.dt, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.Stepper.Step(s.X, s.Y)
			if err != nil || math.IsNaN(c) || math.IsInf(c, 0) {
				t.Errorf("%s %s: cost %g, %v", w.Name, d.name, c, err)
			}
			c2, _ := s.Stepper.Step(s.X, s.Y)
			if !(c2 < c) {
				t.Errorf("%s %s: a step of Adam on a fixed batch did not lower the cost: %g → %g", w.Name, d.name, c, c2)
			}
		}
	}
}
