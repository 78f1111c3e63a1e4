package train

import (
	"runtime"
	"testing"

	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
)

// recycle takes back exactly the blocks not kept, Alloc hands those out again before it
// allocates, only blocks of the size asked for, and a stopped recycler tracks nothing.
func TestRecyclerReusesOnlyFreedBlocks(t *testing.T) {
	t.Parallel()
	r := &recycler{}
	alloc := func(size int64) *block {
		m, err := r.Alloc(size)
		if err != nil {
			t.Fatal(err)
		}
		b := m.(*block)
		if b.MemSize() != uintptr(size) || len(b.words)*8 < int(size) || b.Uintptr()%8 != 0 {
			t.Fatalf("Alloc(%d): block of %d bytes, %d words at %#x", size, b.MemSize(), len(b.words), b.Uintptr())
		}
		return b
	}
	a, b, c := alloc(800), alloc(800), alloc(800)
	r.recycle([]uintptr{a.Uintptr()})
	if len(r.out) != 1 || r.out[0] != a || len(r.free) != 2 {
		t.Fatalf("after recycle: %d out, %d free; want a kept and 2 free", len(r.out), len(r.free))
	}
	if d := alloc(400); d == b || d == c {
		t.Fatal("a block of 800 bytes handed out for 400")
	}
	for range 2 {
		if d := alloc(800); d != b && d != c {
			t.Fatal("a freed block was not reused")
		}
	}
	if d := alloc(800); d == a || d == b || d == c {
		t.Fatal("a block still in use was handed out again")
	}
	r.stop()
	if e := alloc(800); len(r.out) != 0 || len(r.free) != 0 || e == a {
		t.Fatal("a stopped recycler still tracks blocks")
	}
}

// Once warm, a sharded Adam step allocates far less than one gradient span: the clones
// Gorgonia's Adam makes each step take recycled memory (with the recyclers stopped, four
// spans' worth a step are allocated, which shows that the measure sees them). The weights
// match the per-parameter solver bit for bit (TestSolverSpansMatchPerParameterSolver).
// Not parallel: it counts the process's allocations.
func TestSolverStepRecyclesClones(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, recycle := range []bool{true, false} {
			ps, err := graph.NewParamSet(dt)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ps.Add("w", []int{100000}, make([]float64, 100000)); err != nil {
				t.Fatal(err)
			}
			grad := tensor.New(tensor.Of(dt), tensor.WithShape(ps.Count()))
			s := newSolversN(Config{Solver: Adam, Clip: 1, Workers: 2}.withDefaults(), ps, grad, 2)
			s.adam = nil // Gorgonia's own Adam step, which clones (RMSProp and Momentum take it too)
			if !recycle {
				for _, r := range s.recs {
					r.stop()
				}
			}
			g := make([]float64, ps.Count())
			for i := range g {
				g[i] = float64(i%7) - 3
			}
			step := func() {
				graph.CopyFromFloat64s(grad, g)
				if err := s.step(); err != nil {
					t.Fatal(err)
				}
			}
			for range 3 {
				step()
			}
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			const steps = 10
			for range steps {
				step()
			}
			runtime.ReadMemStats(&m1)
			perStep := float64(m1.TotalAlloc-m0.TotalAlloc) / steps
			spanBytes := float64(ps.Count() * int(dt.Size()))
			t.Logf("%v recycle=%v: %.0f bytes a step (all spans together %.0f)", dt, recycle, perStep, spanBytes)
			if recycle && perStep > spanBytes/10 {
				t.Errorf("%v: a step allocates %.0f bytes, more than a tenth of the spans' %.0f", dt, perStep, spanBytes)
			}
			if !recycle && perStep < 4*spanBytes {
				t.Errorf("%v without recycling: a step allocates %.0f bytes, want the four clones' %.0f (the measure is off)", dt, perStep, 4*spanBytes)
			}
		}
	}
}
