package benchmarks

import (
	"flag"
	"runtime"
	"testing"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
)

var soakSteps = flag.Int("soak_steps", 3000, "training steps TestMemoryFlat takes (100000 for the full soak)")

// TestMemoryFlat takes many training steps of the bishop workload and checks that the
// live heap after a collection does not grow: every buffer a step needs is allocated in
// its first steps and reused after. The full soak is
//
//	go test -run MemoryFlat -soak_steps 100000 -v ./benchmarks/
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds; skipped under -short")
	}
	w, _ := Lookup("bishop")
	for _, d := range dtypes {
		s, err := NewSetup(w, d.dt, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		// A variance floor bounds the likelihood: on one fixed batch of random targets,
		// a component would otherwise shrink onto single points over many thousand steps
		// until float32 overflows (and the step reports a non-finite gradient).
		m, err := mdn.New(mdn.Config{InputDim: w.In, OutputDim: w.Out, K: w.K, Hidden: w.Hidden, DType: d.dt, Seed: 1, VarianceFloor: 1e-3})
		if err != nil {
			t.Fatal(err)
		}
		if s.Stepper, err = train.NewStepper(m, w.Batch, train.Config{LearnRate: 1e-3}); err != nil {
			t.Fatal(err)
		}
		step := func(n int) {
			for range n {
				if _, err := s.Stepper.Step(s.X, s.Y); err != nil {
					t.Fatal(err)
				}
			}
		}
		live := func() uint64 {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			return ms.HeapAlloc
		}
		step(200)
		start := live()
		peak := start
		const checks = 10
		for i := range checks {
			step(*soakSteps / checks)
			h := live()
			peak = max(peak, h)
			t.Logf("%s: after %d steps the live heap is %d KiB", d.name, 200+(i+1)*(*soakSteps/checks), h>>10)
		}
		if growth := int64(peak) - int64(start); growth > 512<<10 {
			t.Errorf("%s: the live heap grew by %d KiB over %d steps (from %d KiB)", d.name, growth>>10, *soakSteps, start>>10)
		}
		runtime.KeepAlive(s)
	}
}

// TestAllocationsTenTimesFewer: a default training step allocates at least ten times
// fewer heap objects than the naive Gorgonia step (naiveStep) on the bishop, small and
// medium workloads, in both dtypes. The counts are deterministic, not timings.
func TestAllocationsTenTimesFewer(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds of naive training steps; skipped under -short")
	}
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	for _, name := range []string{"bishop", "small", "medium"} {
		w, _ := Lookup(name)
		for _, d := range dtypes {
			n, s := newNaiveSetup(t, w, d.dt)
			count := func(step func() (float64, error)) float64 {
				if _, err := step(); err != nil { // the first step allocates every buffer
					t.Fatal(err)
				}
				return testing.AllocsPerRun(10, func() {
					if _, err := step(); err != nil {
						t.Fatal(err)
					}
				})
			}
			naive := count(n.step)
			n.close()
			now := count(func() (float64, error) { return s.Stepper.Step(s.X, s.Y) })
			t.Logf("%s %s: %.0f allocations per step, naive %.0f (%.1f× fewer)", name, d.name, now, naive, naive/now)
			if now*10 > naive {
				t.Errorf("%s %s: %.0f allocations per step, naive %.0f: fewer than 10× fewer", name, d.name, now, naive)
			}
		}
	}
}
