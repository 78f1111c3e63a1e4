package models

import (
	"fmt"
	"runtime"
	"sync"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/cores"
)

// Batch is one graph built for a fixed number of rows B: the runner that runs it, the
// input nodes a Batcher feeds, each of shape (B, width), and the output nodes it reads
// after every run, each holding B rows of values, row-major.
type Batch struct {
	Runner  *graph.Runner
	Inputs  []*G.Node
	Outputs []*G.Node

	in  [][]float64 // the padded inputs
	f64 [][]float64 // the last run's outputs (float64 graphs)
	f32 [][]float32 // the last run's outputs (float32 graphs)
}

// Batcher runs row-major data through a model's graphs, at most maxRows rows a run: n
// rows run on a graph of ChunkRows(n) rows, chunk after chunk, the rows left at the end
// on one or a few smaller graphs (powers of two), the last padded with zero rows whose
// outputs are ignored. It keeps, for every batch size, the graphs it has built that are
// idle; a Run takes one and puts it back after, so that concurrent Runs never share a
// graph, and the set grows to as many graphs per size as have run at once. A Batcher is safe for concurrent use as long as what its build
// function reads (the model's weights) does not change.
type Batcher struct {
	maxRows int
	build   func(rows int) (*Batch, error)

	mu   sync.Mutex
	idle map[int][]*Batch
}

// buildMu serialises the graphs every Batcher builds, in every model. Building two
// graphs on one model at once races on its ParamSet (a parameter's first node marks the
// set bound), and Gorgonia's graph construction is not safe concurrently either (its
// symbolic differentiation races on package-level constants); the lock costs only the
// first Run of each batch size. Running built graphs in parallel is safe.
var buildMu sync.Mutex

// BuildLocked runs build while holding the lock every Batcher builds its graphs under,
// and returns its error. Code that builds graphs of its own on a model (package train's
// training steps) builds them through it, so that graphs built from several goroutines
// (several training runs at once) are built one at a time.
func BuildLocked(build func() error) error {
	buildMu.Lock()
	defer buildMu.Unlock()
	return build()
}

// NewBatcher returns a Batcher that runs at most maxRows rows at a time on graphs made
// by build, which is called (one call at a time, process-wide) with the batch size the
// graph must take. It panics if maxRows < 1 or build is nil.
func NewBatcher(maxRows int, build func(rows int) (*Batch, error)) *Batcher {
	if maxRows < 1 || build == nil {
		panic(fmt.Sprintf("models: NewBatcher(%d, %p): want maxRows ≥ 1 and a build function", maxRows, build))
	}
	return &Batcher{maxRows: maxRows, build: build}
}

// NewLossBatcher returns a Batcher whose graphs are m's loss built without gradients
// for evaluation: inputs Loss.X and Loss.Y (standardised), one output, Loss.PerRow.
// A loss without a per-row cost is an error of the first Run.
func NewLossBatcher(m Trainable, maxRows int) *Batcher {
	return NewBatcher(maxRows, func(rows int) (*Batch, error) {
		g := G.NewGraph()
		loss, err := m.BuildLoss(g, rows)
		if err != nil {
			return nil, err
		}
		if loss.PerRow == nil {
			return nil, fmt.Errorf("models: the model's loss has no per-row cost to evaluate with")
		}
		r, err := graph.NewRunner(g, G.Nodes{loss.PerRow})
		if err != nil {
			return nil, err
		}
		return &Batch{Runner: r, Inputs: G.Nodes{loss.X, loss.Y}, Outputs: G.Nodes{loss.PerRow}}, nil
	})
}

// ChunkRows returns the batch size of the graphs Run uses for n ≥ 1 rows: maxRows when
// n ≥ maxRows, else the least power of two ≥ n, at most maxRows. Powers of two keep the
// number of graphs built small whatever sizes callers ask for.
func (b *Batcher) ChunkRows(n int) int {
	if n >= b.maxRows {
		return b.maxRows
	}
	c := 1
	for c < n {
		c *= 2
	}
	return min(c, b.maxRows)
}

// Outs are one chunk's outputs in the graph's own dtype: F64[j] (a float64 graph) or
// F32[j] (a float32 graph) holds output j's values for the whole chunk, padding rows
// included, row-major; the other field is nil. They are the graph's own memory, valid
// until emit returns, and must not be changed.
type Outs struct {
	F64 [][]float64
	F32 [][]float32
}

// Run runs n rows through the graphs. inputs[j] holds the n rows of the graphs' j-th
// input, row-major (n times its width values). Chunk by chunk, in order, Run feeds the
// rows start to start+rows−1 and calls emit with outs[j] holding the j-th output's
// values for the whole chunk, padding rows included: the first rows rows are the
// chunk's. Chunks are ChunkRows(n) rows, except that the rows left after the last whole
// chunk may run as a few smaller chunks (each on a graph of a power of two rows), so
// that little padding is computed. outs belong to the graph: emit must copy what it
// keeps before it returns. An error from emit stops Run and is returned as it is; n = 0
// runs nothing.
func (b *Batcher) Run(n int, inputs [][]float64, emit func(start, rows int, outs [][]float64) error) error {
	return b.RunOuts(n, inputs, float64Outs(emit))
}

// RunOuts is Run with emit given the outputs in the graphs' own dtype, without
// converting float32 values to float64.
func (b *Batcher) RunOuts(n int, inputs [][]float64, emit func(start, rows int, o Outs) error) error {
	if n == 0 {
		return nil
	}
	if err := checkInputs(n, inputs); err != nil {
		return err
	}
	return b.runSpan(n, 0, n, inputs, emit)
}

// float64Outs adapts an emit function taking float64 outputs, converting float32 ones
// into buffers of its own (one set per concurrent caller: the adapter is made per call
// and per span).
func float64Outs(emit func(start, rows int, outs [][]float64) error) func(start, rows int, o Outs) error {
	var buf [][]float64
	return func(start, rows int, o Outs) error {
		if o.F32 == nil {
			return emit(start, rows, o.F64)
		}
		if len(buf) != len(o.F32) {
			buf = make([][]float64, len(o.F32))
		}
		for j, v := range o.F32 {
			buf[j] = buf[j][:0]
			for _, x := range v {
				buf[j] = append(buf[j], float64(x))
			}
		}
		return emit(start, rows, buf)
	}
}

// RunParallel is Run with the rows split into contiguous spans of about equal length,
// one span per processor (fewer when there are fewer chunks), each run on graphs of its
// own in a goroutine of its own. emit is called concurrently, with disjoint row ranges,
// and must be safe for that; the order of its calls is not fixed. Every row's outputs are
// the same as Run's, bit for bit: the graphs compute each row on its own. The first error
// in row order is returned; spans after a failed chunk may still have run.
func (b *Batcher) RunParallel(n int, inputs [][]float64, emit func(start, rows int, outs [][]float64) error) error {
	return b.runParallel(n, inputs, func() func(int, int, Outs) error { return float64Outs(emit) })
}

// RunParallelOuts is RunParallel with emit given the outputs in the graphs' own dtype,
// without converting float32 values to float64.
func (b *Batcher) RunParallelOuts(n int, inputs [][]float64, emit func(start, rows int, o Outs) error) error {
	return b.runParallel(n, inputs, func() func(int, int, Outs) error { return emit })
}

// runParallel is RunParallel calling, per span, the emit function newEmit returns.
func (b *Batcher) runParallel(n int, inputs [][]float64, newEmit func() func(start, rows int, o Outs) error) error {
	if n == 0 {
		return nil
	}
	size := b.ChunkRows(n)
	chunks := (n + size - 1) / size
	workers := min(chunks, runtime.GOMAXPROCS(0))
	if err := checkInputs(n, inputs); err != nil {
		return err
	}
	if workers < 2 {
		return b.runSpan(n, 0, n, inputs, newEmit())
	}
	release := cores.Share(workers)
	defer release()
	// Span w is rows [w·n/workers, (w+1)·n/workers).
	spanRun := func(w int) error {
		start, end := w*n/workers, (w+1)*n/workers
		return b.runSpan(n, start, end-start, inputs, newEmit())
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { errs[w] = spanRun(w) })
	}
	errs[0] = spanRun(0)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkInputs checks that every input holds whole rows for n rows.
func checkInputs(n int, inputs [][]float64) error {
	for j, in := range inputs {
		if len(in)%n != 0 {
			return fmt.Errorf("models: input %d has %d values, not a multiple of %d rows", j, len(in), n)
		}
	}
	return nil
}

// tailRows returns the size of the graph the next chunk of a span runs on when r rows
// are left: maxRows while at least that many are left, then the least power of two ≥ r
// when that pads by at most an eighth (or r is small), else the greatest power of two
// below r, leaving the rest to later chunks.
func (b *Batcher) tailRows(r int) int {
	size := b.ChunkRows(r)
	if size <= r || size <= 64 || 8*r >= 7*size {
		return size
	}
	return size / 2
}

// runSpan runs rows start to start+rows−1 of inputs (n rows), chunk by chunk in order,
// each chunk on an idle graph of its size.
func (b *Batcher) runSpan(n, start, rows int, inputs [][]float64, emit func(start, rows int, o Outs) error) error {
	var bt *Batch
	size := 0
	defer func() {
		if bt != nil {
			b.put(size, bt)
		}
	}()
	for done := 0; done < rows; {
		s := b.tailRows(rows - done)
		if s != size {
			if bt != nil {
				b.put(size, bt)
				bt = nil
			}
			var err error
			if bt, err = b.get(s); err != nil {
				return err
			}
			size = s
		}
		r := min(s, rows-done)
		healthy, err := bt.run(n, start+done, r, s, inputs, emit)
		if !healthy {
			bt = nil // dropped: a failed run may have left it half-done
		}
		if err != nil {
			return err
		}
		done += r
	}
	return nil
}

// run runs rows start to start+rows−1 of inputs (which hold n rows) on bt, a graph of
// size ≥ rows rows, padding with zero rows, and calls emit with the outputs in the graph's
// dtype. It reports whether the graph can run again.
func (bt *Batch) run(n, start, rows, size int, inputs [][]float64, emit func(start, rows int, o Outs) error) (healthy bool, err error) {
	if len(bt.Inputs) != len(inputs) {
		return true, fmt.Errorf("models: %d inputs given to a graph of %d", len(inputs), len(bt.Inputs))
	}
	for j, in := range inputs {
		w := len(in) / n
		feed := in[start*w : (start+rows)*w]
		if rows < size { // pad with zero rows
			if len(bt.in[j]) != size*w {
				bt.in[j] = make([]float64, size*w)
			}
			clear(bt.in[j][copy(bt.in[j], feed):])
			feed = bt.in[j]
		}
		if err := bt.Runner.Feed(bt.Inputs[j], feed); err != nil {
			return true, err
		}
	}
	if err := bt.Runner.Run(); err != nil {
		return false, err
	}
	f64s, f32s := bt.f64[:0], bt.f32[:0]
	for _, node := range bt.Outputs {
		f64, f32, err := bt.Runner.Floats(node)
		if err != nil {
			return false, err
		}
		if f32 != nil {
			f32s = append(f32s, f32)
		} else {
			f64s = append(f64s, f64)
		}
	}
	bt.f64, bt.f32 = f64s, f32s
	var o Outs
	switch {
	case len(f32s) == 0:
		o.F64 = f64s
	case len(f64s) == 0:
		o.F32 = f32s
	default:
		return true, fmt.Errorf("models: a graph with outputs of both float32 and float64")
	}
	return true, emit(start, rows, o)
}

// get takes an idle graph of the given batch size, or builds one (under buildMu) if none
// is idle.
func (b *Batcher) get(size int) (*Batch, error) {
	b.mu.Lock()
	if free := b.idle[size]; len(free) > 0 {
		bt := free[len(free)-1]
		b.idle[size] = free[:len(free)-1]
		b.mu.Unlock()
		return bt, nil
	}
	b.mu.Unlock()
	buildMu.Lock()
	defer buildMu.Unlock()
	bt, err := b.build(size)
	if err != nil {
		return nil, err
	}
	bt.in = make([][]float64, len(bt.Inputs))
	return bt, nil
}

// put returns a graph taken with get.
func (b *Batcher) put(size int, bt *Batch) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.idle == nil {
		b.idle = map[int][]*Batch{}
	}
	b.idle[size] = append(b.idle[size], bt)
}

// Idle returns the number of idle graphs the Batcher keeps, by batch size.
func (b *Batcher) Idle() map[int]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := make(map[int]int, len(b.idle))
	for size, free := range b.idle {
		m[size] = len(free)
	}
	return m
}
