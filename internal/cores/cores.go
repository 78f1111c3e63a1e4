// Package cores tells mixgraph's kernels how many processors a call may spread over. A
// matrix product or a long elementwise pass splits its work between goroutines when it
// runs alone; when training already runs its graphs on every processor at once (data
// parallelism), each call should stay on its own goroutine: splitting again only adds
// goroutines, synchronisation and garbage to processors that are busy anyway.
package cores

import (
	"runtime"
	"sync/atomic"
)

var shared atomic.Int64

// Share declares that n goroutines are about to run kernels concurrently, until release
// is called. Shares from several callers add up.
func Share(n int) (release func()) {
	shared.Add(int64(n))
	return func() { shared.Add(-int64(n)) }
}

// Free is the number of goroutines one kernel call may use: the processors divided
// between the goroutines that declared a share (all of them when none did), at least 1.
func Free() int {
	return max(1, runtime.GOMAXPROCS(0)/max(1, int(shared.Load())))
}
