//go:build openblas

package gorgonia

// With the openblas build tag, Gorgonia's matrix products run on OpenBLAS through gonum's
// netlib cgo binding, except those long enough for a cgo call to cost more than OpenBLAS
// gains over mixgraph's own GEMM (see cgoMaxWork); every other BLAS routine is OpenBLAS's.
// It needs cgo and Debian's libopenblas-dev (apt-get install -y libopenblas-dev):
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

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/internal/gemm"
)

// BLAS names the matrix-multiply backends this build gives Gorgonia: OpenBLAS, and
// mixgraph's GEMM for the long products.
var BLAS = "openblas+mixgraph-gemm/" + gemm.Kernel

// cgoMaxWork is the largest product, in multiply-adds m·n·k, that goes to OpenBLAS; larger
// ones run on mixgraph's GEMM. A cgo call that lasts longer than the Go scheduler's
// monitor tick (20 µs) while every processor is busy, as in a data-parallel training
// step, has its processor handed to another thread, which the caller must win back when
// the call returns: on the 2-core machine of benchmarks/, two goroutines calling C at
// once had twenty times the context switches of the same work in Go, and one of them ran
// 20–25 % slower. There, the products of one data-parallel part of the large workload's
// step, on two goroutines at once, take 22–25 ms on OpenBLAS and 20–22 ms on mixgraph's
// GEMM (BenchmarkConcurrentProducts), so long products come out ahead on the latter;
// 2¹⁸ multiply-adds take about 10 µs on one core.
const cgoMaxWork = 1 << 18

// viaOpenBLAS reports whether an m×n×k product goes to OpenBLAS.
func viaOpenBLAS(m, n, k int) bool { return m*n*k <= cgoMaxWork }

// hybridBLAS is OpenBLAS, with the long matrix products on mixgraph's GEMM.
type hybridBLAS struct{ netlib.Implementation }

func (h hybridBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if viaOpenBLAS(m, n, k) {
		h.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gemmBLAS{}.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (h hybridBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if viaOpenBLAS(m, n, k) {
		h.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gemmBLAS{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Gorgonia's BLAS, and OpenBLAS's threads, are set for the whole process: see the package
// documentation.
func init() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
		C.blas_thread_shutdown_()
	}
	G.Use(hybridBLAS{})
}
