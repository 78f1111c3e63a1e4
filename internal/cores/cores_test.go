package cores

import (
	"runtime"
	"testing"
)

func TestShareDividesProcessors(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	if got := Free(); got != procs {
		t.Fatalf("no shares: Free() = %d, want GOMAXPROCS %d", got, procs)
	}
	release := Share(2)
	if got, want := Free(), max(1, procs/2); got != want {
		t.Errorf("two goroutines sharing: Free() = %d, want %d", got, want)
	}
	inner := Share(procs + 1)
	if got := Free(); got != 1 {
		t.Errorf("more goroutines than processors: Free() = %d, want 1", got)
	}
	inner()
	release()
	if got := Free(); got != procs {
		t.Errorf("after release: Free() = %d, want %d", got, procs)
	}
}
