package mdn

import (
	"fmt"
	"testing"
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
