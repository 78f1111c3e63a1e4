//go:build openblas

package graph

// With the openblas build tag, every Gorgonia matrix product runs on OpenBLAS through
// gonum's netlib cgo binding instead of mixgraph's own GEMM. It needs cgo and Debian's
// libopenblas-dev (apt-get install -y libopenblas-dev):
//
//	go test -tags openblas ./...
//	go run -tags openblas ./benchmarks/sidebyside
//
// OpenBLAS is limited to one thread: mixgraph already spreads a training step over the
// processors (one graph per processor, see train.Config.Workers), and OpenBLAS's own
// threads, which spin while they wait, would compete with those for the same cores. The
// threads OpenBLAS started when it loaded are shut down too: told to use one thread, they
// still took a tenth of the processors' time in the large workload's training step (about
// what OPENBLAS_NUM_THREADS=1 in the environment saves). Set OPENBLAS_NUM_THREADS to
// override both.

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
// int blas_thread_shutdown_(void);
import "C"

import (
	"os"

	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// BLAS names the matrix-multiply backend this build uses.
var BLAS = "openblas"

func init() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
		C.blas_thread_shutdown_()
	}
	G.Use(netlib.Implementation{})
}
