package benchmarks

import (
	"flag"
	"fmt"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/internal/levers"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
)

// lever is one step from a naive Gorgonia graph to mixgraph's default: each switches one
// more speed lever on, so that consecutive rows of BenchmarkLevers show what each gives.
type lever struct {
	name                                     string
	gemm, reuse, fuseDense, fuseRows, fuseGs bool
	workers                                  int
	spans, own, recycle                      bool
}

var leverSteps = []lever{
	{name: "0-naive", workers: 1},
	{name: "1-gemm", gemm: true, workers: 1},
	{name: "2-reuse", gemm: true, reuse: true, workers: 1},
	{name: "3-fuse-dense", gemm: true, reuse: true, fuseDense: true, workers: 1},
	{name: "4-fuse-loss", gemm: true, reuse: true, fuseDense: true, fuseRows: true, fuseGs: true, workers: 1},
	{name: "5-parallel", gemm: true, reuse: true, fuseDense: true, fuseRows: true, fuseGs: true},
	{name: "6-solver-spans", gemm: true, reuse: true, fuseDense: true, fuseRows: true, fuseGs: true, spans: true},
	{name: "7-own-machine", gemm: true, reuse: true, fuseDense: true, fuseRows: true, fuseGs: true, spans: true, own: true},
	{name: "8-recycle-clones", gemm: true, reuse: true, fuseDense: true, fuseRows: true, fuseGs: true, spans: true, own: true, recycle: true},
}

// set switches the levers as l says and returns a function that restores the defaults.
func (l lever) set() (restore func()) {
	blas := G.WhichBLAS()
	if !l.gemm {
		G.Use(gonum.Implementation{})
	}
	levers.ReuseBuffers, levers.FuseDense, levers.FuseRows, levers.FuseGaussian = l.reuse, l.fuseDense, l.fuseRows, l.fuseGs
	levers.SolverSpans, levers.OwnMachine, levers.RecycleClones = l.spans, l.own, l.recycle
	return func() {
		G.Use(blas)
		levers.ReuseBuffers, levers.FuseDense, levers.FuseRows, levers.FuseGaussian = true, true, true, true
		levers.SolverSpans, levers.OwnMachine, levers.RecycleClones = true, true, true
	}
}

// BenchmarkLevers times the training step of each workload with the speed levers
// switched on one at a time: 0-naive is a plain Gorgonia graph (gonum's pure-Go BLAS,
// every op allocating its output on every run, no fused ops, one graph); 1-gemm adds
// mixgraph's matrix multiply; 2-reuse rewinds the tape machine so ops reuse their
// buffers; 3-fuse-dense builds dense layers as fused ops; 4-fuse-loss fuses the row
// log-sum-exp, log-softmax and Gaussian log-density; 5-parallel splits the batch over
// one graph per processor; 6-solver-spans hands each solver shard its parameters as one
// tensor; 7-own-machine runs the graphs on mixgraph's machine instead of Gorgonia's
// TapeMachine; 8-recycle-clones gives the solver's clones of the gradient recycled memory
// (the default). allocs/op and B/op show the allocations.
//
//	go test -run XXX -bench Levers -benchtime 3s ./benchmarks/
func BenchmarkLevers(b *testing.B) {
	for _, w := range Workloads {
		for _, d := range dtypes {
			for _, l := range leverSteps {
				b.Run(fmt.Sprintf("workload=%s/dtype=%s/lever=%s", w.Name, d.name, l.name), func(b *testing.B) {
					restore := l.set()
					defer restore()
					s, err := NewSetupConfig(w, d.dt, train.Config{LearnRate: 1e-3, Workers: l.workers}, 1)
					if err != nil {
						b.Fatal(err)
					}
					timeSteps(b, w, s)
				})
			}
		}
	}
}

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
// fewer heap objects than the naive graph's (lever 0-naive) on the bishop, small and
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
			perStep := func(l lever) float64 {
				restore := l.set()
				defer restore()
				s, err := NewSetupConfig(w, d.dt, train.Config{LearnRate: 1e-3, Workers: l.workers}, 1)
				if err != nil {
					t.Fatal(err)
				}
				step := func() {
					if _, err := s.Stepper.Step(s.X, s.Y); err != nil {
						t.Fatal(err)
					}
				}
				step() // the first step allocates every buffer
				return testing.AllocsPerRun(10, step)
			}
			naive, now := perStep(leverSteps[0]), perStep(leverSteps[len(leverSteps)-1])
			t.Logf("%s %s: %.0f allocations per step, naive %.0f (%.1f× fewer)", name, d.name, now, naive, naive/now)
			if now*10 > naive {
				t.Errorf("%s %s: %.0f allocations per step, naive %.0f: fewer than 10× fewer", name, d.name, now, naive)
			}
		}
	}
}
