package mdn

import (
	"fmt"
	"math"
	"testing"

	"github.com/mixgraph/mixgraph/graph"
)

// BenchmarkPredict measures one caller's Predict on a model of the size cmd/train
// builds by default, for one row, a padded batch and a batch over one chunk.
func BenchmarkPredict(b *testing.B) {
	m, err := New(Config{InputDim: 4, OutputDim: 2, K: 5, Hidden: []int{64, 64}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, rows := range []int{1, 200, 300} {
		x := randRows(1, rows, 4, 1)
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			if _, err := m.Predict(x); err != nil { // builds the graphs outside the timed loop
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Predict(x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkLogLik measures one caller's LogLik, as BenchmarkPredict.
func BenchmarkLogLik(b *testing.B) {
	m, err := New(Config{InputDim: 4, OutputDim: 2, K: 5, Hidden: []int{64, 64}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, rows := range []int{1, 200, 300} {
		x, y := randRows(1, rows, 4, 1), randRows(2, rows, 2, 1)
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			if _, err := m.LogLik(x, y); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.LogLik(x, y); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkPredictParallel measures Predict called from GOMAXPROCS goroutines at once
// on one model (a server's use), 200 rows a call.
func BenchmarkPredictParallel(b *testing.B) {
	m, err := New(Config{InputDim: 4, OutputDim: 2, K: 5, Hidden: []int{64, 64}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	const rows = 200
	x := randRows(1, rows, 4, 1)
	if _, err := m.Predict(x); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Predict(x); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSummaries measures one row's Mode and three quantiles on a mixture like the
// default Bishop ensemble's: 100 components (ten members of ten), means on three branches
// with σ from 0.005 to 0.1 and weights from 10⁻⁸ to 0.1, as cmd/predict summarises every
// row.
func BenchmarkSummaries(b *testing.B) {
	rng := graph.NewRand(7)
	var m Mixture
	sum := 0.0
	for c := range 100 {
		w := math.Exp(-18 * rng.Float64())
		mu := []float64{0.1 + 0.4*float64(c%3) + 0.02*rng.NormFloat64()}
		sd := []float64{0.005 * math.Exp(3*rng.Float64())}
		m.Weights, m.Means, m.StdDevs = append(m.Weights, w), append(m.Means, mu), append(m.StdDevs, sd)
		sum += w
	}
	for c := range m.Weights {
		m.Weights[c] /= sum
	}
	b.Run("mode", func(b *testing.B) {
		for b.Loop() {
			m.Mode()
		}
	})
	b.Run("quantiles", func(b *testing.B) {
		for b.Loop() {
			m.Quantile(0.05)
			m.Quantile(0.5)
			m.Quantile(0.95)
		}
	})
}
