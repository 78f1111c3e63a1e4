package mdn

import (
	"math"
	"reflect"
	"runtime"
	"testing"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// Predict spreads its chunks over the processors and carves the mixtures out of shared
// arrays; every row must still come out exactly as when it is predicted on its own, and
// no row's slices may reach into another's.
func TestPredictParallelSameBits(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	for _, dt := range []models.DType{models.Float64, models.Float32} {
		m, err := New(Config{InputDim: 3, OutputDim: 2, K: 4, Hidden: []int{16}, DType: dt, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		rng := graph.NewRand(9)
		x := make([][]float64, 1100) // five chunks of 256 rows, the last padded
		for i := range x {
			x[i] = []float64{rng.NormFloat64(), rng.NormFloat64(), 3 * rng.NormFloat64()}
		}
		all, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(x); i += 37 {
			one, err := m.Predict(x[i : i+1])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(all[i], one[0]) {
				t.Fatalf("%v: row %d predicted with 1100 rows differs from alone:\n%+v\n%+v", dt, i, all[i], one[0])
			}
		}
		flat, err := m.PredictMixtures(x)
		if err != nil {
			t.Fatal(err)
		}
		if flat.N != len(x) || flat.K != 4 || flat.D != 2 || len(flat.Weights) != len(x)*4 || len(flat.StdDevs) != len(x)*8 {
			t.Fatalf("%v: PredictMixtures gave N=%d K=%d D=%d with %d weights and %d standard deviations", dt, flat.N, flat.K, flat.D, len(flat.Weights), len(flat.StdDevs))
		}
		for _, i := range []int{0, 1, 255, 256, 1099} {
			if !reflect.DeepEqual(flat.At(i), all[i]) {
				t.Fatalf("%v: PredictMixtures' row %d differs from Predict's", dt, i)
			}
			if err := flat.At(i).Validate(); err != nil {
				t.Fatal(err)
			}
		}
		// Appending to one row's slices must not write into the next row's.
		next := all[1].Weights[0]
		_ = append(all[0].Weights, math.Pi)
		_ = append(all[0].Means[0], math.Pi)
		_ = append(all[0].LogWeights, math.Pi)
		if all[1].Weights[0] != next || all[0].StdDevs[0][0] == math.Pi || all[1].Means[0][0] == math.Pi {
			t.Fatalf("%v: appending to row 0's slices changed another row", dt)
		}
	}
}
