package train

import (
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/internal/gorgonia"
)

// recycler is the tensor engine of a solver shard's gradient span. Gorgonia's Adam clones
// the gradient four times a step (the new moments and two temporaries), and a clone takes
// its memory from the tensor's engine; with tensor's standard engine that is a fresh Go
// allocation of the span's size every time: 7 MB a step for the large float32 model,
// zeroed by the runtime, faulted in from the OS and later collected. The recycler hands
// out its own blocks instead and, after each solver step, takes back every block the
// solver no longer keeps in its cache; in the steady state a shard owns six blocks and a
// step allocates none. Everything else is tensor's standard engine.
//
// A recycler belongs to one shard and is used by one goroutine at a time: the shard's
// Step, then afterStep.
type recycler struct {
	tensor.StdEng
	out     []*block // handed out and not taken back
	free    []*block
	keep    []uintptr // afterStep's scratch: the memory the solver keeps
	stopped bool      // allocate afresh, keep no track
	last    *block    // stopped: the block just handed out, alive until its tensor holds it
}

// block is a recycler's memory: a tensor.Memory over a Go-allocated array.
type block struct {
	words []uint64 // keeps the memory alive and 8-byte aligned
	size  uintptr
}

func (b *block) Uintptr() uintptr { return uintptr(unsafe.Pointer(&b.words[0])) }
func (b *block) MemSize() uintptr { return b.size }

// NonStdAlloc makes tensor take a clone's memory from Alloc rather than from the Go heap
// directly (tensor's marker for engines that allocate their own memory).
func (*recycler) NonStdAlloc() {}

func newBlock(size int64) *block {
	return &block{words: make([]uint64, max(1, (size+7)/8)), size: uintptr(size)}
}

// Alloc returns a free block of exactly size bytes, or a new one. Tensor turns the block
// into a slice by its address, so every block handed out stays referenced here at least
// until the next Alloc.
func (r *recycler) Alloc(size int64) (tensor.Memory, error) {
	if r.stopped {
		r.last = newBlock(size)
		return r.last, nil
	}
	for i, b := range r.free {
		if b.size == uintptr(size) {
			last := len(r.free) - 1
			r.free[i] = r.free[last]
			r.free[last] = nil
			r.free = r.free[:last]
			r.out = append(r.out, b)
			return b, nil
		}
	}
	b := newBlock(size)
	r.out = append(r.out, b)
	return b, nil
}

// afterStep takes back, after a step of solver s, every block its cache no longer holds.
// If the cache cannot be read (a Gorgonia version with other fields) no block can be known
// to be free, and none is reused from then on.
func (r *recycler) afterStep(s G.Solver) {
	if r.stopped {
		return
	}
	keep, err := cachedMemory(r.keep[:0], s)
	r.keep = keep
	if err != nil {
		r.stop()
		return
	}
	r.recycle(keep)
}

// recycle takes back every block handed out that is not the memory of a tensor in keep
// (the solver's state after its step).
func (r *recycler) recycle(keep []uintptr) {
	n := 0
	for _, b := range r.out {
		kept := false
		for _, p := range keep {
			if p == b.Uintptr() {
				kept = true
				break
			}
		}
		if kept {
			r.out[n] = b
			n++
			continue
		}
		r.free = append(r.free, b)
	}
	clear(r.out[n:])
	r.out = r.out[:n]
}

// stop forgets every block (the garbage collector frees them once no tensor uses them)
// and makes Alloc allocate afresh from now on.
func (r *recycler) stop() {
	r.stopped = true
	r.out, r.free = nil, nil
}

// cachedMemory appends the memory addresses of the tensors a Gorgonia solver keeps between
// steps (its cache's values and derivatives) to dst. A solver without a cache keeps none.
func cachedMemory(dst []uintptr, s G.Solver) ([]uintptr, error) {
	err := gorgonia.EachCached(s, func(val, d G.Value) {
		for _, v := range [2]G.Value{val, d} {
			if t, ok := v.(*tensor.Dense); ok && t.Len() > 0 {
				dst = append(dst, t.Uintptr())
			}
		}
	})
	return dst, err
}
