package models_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

// squares builds graphs with inputs x (B, 2) and y (B, 1) and outputs x² and x + y,
// counting the graphs built.
func squares(built *int) func(rows int) (*models.Batch, error) {
	return func(rows int) (*models.Batch, error) {
		*built++
		g := G.NewGraph()
		x := graph.NewInput(g, tensor.Float64, "x", rows, 2)
		y := graph.NewInput(g, tensor.Float64, "y", rows, 1)
		sq, err := G.Square(x)
		if err != nil {
			return nil, err
		}
		sum, err := G.BroadcastAdd(x, y, nil, []byte{1})
		if err != nil {
			return nil, err
		}
		r, err := graph.NewRunner(g, G.Nodes{sq, sum})
		if err != nil {
			return nil, err
		}
		return &models.Batch{Runner: r, Inputs: G.Nodes{x, y}, Outputs: G.Nodes{sq, sum}}, nil
	}
}

func TestChunkRows(t *testing.T) {
	b := models.NewBatcher(256, squares(new(int)))
	odd := models.NewBatcher(100, squares(new(int)))
	for _, c := range []struct{ n, want, wantOdd int }{
		{1, 1, 1}, {2, 2, 2}, {3, 4, 4}, {64, 64, 64}, {65, 128, 100}, {100, 128, 100},
		{200, 256, 100}, {256, 256, 100}, {257, 256, 100}, {10000, 256, 100},
	} {
		if got := b.ChunkRows(c.n); got != c.want {
			t.Errorf("ChunkRows(%d) = %d, want %d", c.n, got, c.want)
		}
		if got := odd.ChunkRows(c.n); got != c.wantOdd {
			t.Errorf("maxRows 100: ChunkRows(%d) = %d, want %d", c.n, got, c.wantOdd)
		}
	}
}

// TestBatcherRun checks every row's outputs against plain Go across chunk sizes and
// padding, that graphs are kept per size, and that emit's error comes back unchanged.
func TestBatcherRun(t *testing.T) {
	built := 0
	b := models.NewBatcher(8, squares(&built))
	rng := graph.NewRand(1)
	for _, n := range []int{0, 1, 3, 8, 9, 20, 3} {
		x, y := make([]float64, 2*n), make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		for i := range y {
			y[i] = rng.NormFloat64()
		}
		next := 0
		err := b.Run(n, [][]float64{x, y}, func(start, rows int, outs [][]float64) error {
			if start != next || rows < 1 || rows > b.ChunkRows(n) {
				return fmt.Errorf("chunk at %d of %d rows, want one at %d", start, rows, next)
			}
			next += rows
			for i := 0; i < rows; i++ {
				for j := 0; j < 2; j++ {
					v := x[(start+i)*2+j]
					if outs[0][i*2+j] != v*v || outs[1][i*2+j] != v+y[start+i] {
						return fmt.Errorf("row %d column %d: got %g and %g, want %g and %g", start+i, j, outs[0][i*2+j], outs[1][i*2+j], v*v, v+y[start+i])
					}
				}
			}
			return nil
		})
		if err == nil && next != n {
			err = fmt.Errorf("emitted %d rows", next)
		}
		if err != nil {
			t.Fatalf("n = %d: %v", n, err)
		}
	}
	if want := map[int]int{1: 1, 4: 1, 8: 1}; fmt.Sprint(b.Idle()) != fmt.Sprint(want) || built != 3 {
		t.Errorf("idle graphs %v after building %d, want %v after 3", b.Idle(), built, want)
	}
	stop := errors.New("stop")
	if err := b.Run(20, [][]float64{make([]float64, 40), make([]float64, 20)}, func(int, int, [][]float64) error { return stop }); err != stop {
		t.Errorf("emit's error came back as %v", err)
	}
	if err := b.Run(3, [][]float64{make([]float64, 7), make([]float64, 3)}, nil); err == nil {
		t.Error("7 values for 3 rows accepted")
	}
	if b.Idle()[8] != 1 || built != 3 {
		t.Errorf("idle graphs %v after building %d: a graph was lost or rebuilt", b.Idle(), built)
	}
}

// TestBatcherConcurrent runs one Batcher from many goroutines (run it with -race): every
// call gets its own graph, and no more graphs are kept than ran at once.
func TestBatcherConcurrent(t *testing.T) {
	const goroutines = 8
	built := 0
	b := models.NewBatcher(4, squares(&built))
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := 0; c < 20; c++ {
				v := float64(g*100 + c)
				err := b.Run(1, [][]float64{{v, -v}, {1}}, func(_, _ int, outs [][]float64) error {
					if outs[0][0] != v*v || outs[1][1] != 1-v {
						return fmt.Errorf("goroutine %d call %d: got %v, want %g and %g", g, c, outs, v*v, 1-v)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := b.Idle()[1]; n != built || n < 1 || n > goroutines {
		t.Errorf("%d idle graphs of 1 row, %d built, for %d goroutines", n, built, goroutines)
	}
}

// TestBatcherRunParallel checks RunParallel against plain Go for every row across chunk
// counts that do and do not divide between the processors, that every row is emitted
// exactly once, and that the error of the first failing row comes back.
func TestBatcherRunParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	built := 0
	b := models.NewBatcher(8, squares(&built))
	rng := graph.NewRand(2)
	for _, n := range []int{0, 1, 8, 9, 17, 33, 64, 101} {
		x, y := make([]float64, 2*n), make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		for i := range y {
			y[i] = rng.NormFloat64()
		}
		var mu sync.Mutex
		seen := make([]int, n)
		// For 17 rows (three spans of one chunk each) the spans' emits wait for each
		// other (up to a time limit) while holding their graphs, so that the spans are
		// seen running at once however the goroutines happen to be scheduled.
		var arrived atomic.Int32
		together := make(chan struct{})
		err := b.RunParallel(n, [][]float64{x, y}, func(start, rows int, outs [][]float64) error {
			if n == 17 {
				if arrived.Add(1) == 2 {
					close(together)
				}
				select {
				case <-together:
				case <-time.After(10 * time.Second):
				}
			}
			for i := 0; i < rows; i++ {
				mu.Lock()
				seen[start+i]++
				mu.Unlock()
				for j := 0; j < 2; j++ {
					v := x[(start+i)*2+j]
					if outs[0][i*2+j] != v*v || outs[1][i*2+j] != v+y[start+i] {
						return fmt.Errorf("row %d column %d: got %g and %g, want %g and %g", start+i, j, outs[0][i*2+j], outs[1][i*2+j], v*v, v+y[start+i])
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("n = %d: %v", n, err)
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n = %d: row %d emitted %d times", n, i, c)
			}
		}
	}
	// Two spans of 8 rows, each holding its graph until the other has started too (a span
	// that finished before the other began would hand its graph on, which the loop above
	// allows on a busy machine): they must run at once, on graphs of their own.
	var started sync.WaitGroup
	started.Add(2)
	allIn := make(chan struct{})
	go func() { started.Wait(); close(allIn) }()
	err := b.RunParallel(16, [][]float64{make([]float64, 32), make([]float64, 16)}, func(start, rows int, _ [][]float64) error {
		started.Done()
		select {
		case <-allIn:
			return nil
		case <-time.After(10 * time.Second):
			return fmt.Errorf("span at row %d: the other span did not start within 10 s", start)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if b.Idle()[8] < 2 {
		t.Errorf("idle graphs %v: the spans did not run on graphs of their own", b.Idle())
	}
	// Rows 40 and 90 fail; the error of row 40 comes back whatever finished first.
	err = b.RunParallel(101, [][]float64{make([]float64, 202), make([]float64, 101)}, func(start, rows int, _ [][]float64) error {
		for _, bad := range []int{40, 90} {
			if start <= bad && bad < start+rows {
				return fmt.Errorf("row %d", bad)
			}
		}
		return nil
	})
	if err == nil || err.Error() != "row 40" {
		t.Errorf("RunParallel's error: %v, want row 40", err)
	}
	if err := b.RunParallel(3, [][]float64{make([]float64, 7), make([]float64, 3)}, nil); err == nil {
		t.Error("7 values for 3 rows accepted")
	}
}

// TestBatcherOuts checks that RunOuts and RunParallelOuts hand a float32 graph's outputs
// over as float32 (and a float64 graph's as float64), with the same values Run converts,
// for row counts whose tails run on smaller graphs.
func TestBatcherOuts(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b := models.NewBatcher(256, func(rows int) (*models.Batch, error) {
			g := G.NewGraph()
			x := graph.NewInput(g, dt, "x", rows, 3)
			sq, err := G.Square(x)
			if err != nil {
				return nil, err
			}
			r, err := graph.NewRunner(g, G.Nodes{sq})
			if err != nil {
				return nil, err
			}
			return &models.Batch{Runner: r, Inputs: G.Nodes{x}, Outputs: G.Nodes{sq}}, nil
		})
		rng := graph.NewRand(3)
		for _, n := range []int{1, 100, 700, 1000} {
			x := make([]float64, 3*n)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			var mu sync.Mutex
			seen := 0
			check := func(start, rows int, o models.Outs) error {
				if (o.F32 != nil) != (dt == tensor.Float32) || (o.F64 != nil) != (dt == tensor.Float64) || len(o.F32)+len(o.F64) != 1 {
					return fmt.Errorf("%v graph: %d float32 and %d float64 outputs", dt, len(o.F32), len(o.F64))
				}
				for i := 0; i < 3*rows; i++ {
					v := x[3*start+i]
					var got float64
					if o.F32 != nil {
						got, v = float64(o.F32[0][i]), float64(float32(v)*float32(v))
					} else {
						got, v = o.F64[0][i], v*v
					}
					if got != v {
						return fmt.Errorf("%v: value %d of row %d: got %g, want %g", dt, i%3, start+i/3, got, v)
					}
				}
				mu.Lock()
				seen += rows
				mu.Unlock()
				return nil
			}
			if err := b.RunOuts(n, [][]float64{x}, check); err != nil {
				t.Fatal(err)
			}
			if err := b.RunParallelOuts(n, [][]float64{x}, check); err != nil {
				t.Fatal(err)
			}
			if seen != 2*n {
				t.Fatalf("%v, %d rows: %d rows emitted, want %d", dt, n, seen, 2*n)
			}
		}
	}
}
