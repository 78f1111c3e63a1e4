//go:build openblas

package graph

// With the openblas build tag, every Gorgonia matrix product runs on OpenBLAS through
// gonum's netlib cgo binding instead of gonum's pure-Go BLAS. It needs cgo and
// Debian's libopenblas-dev (apt-get install -y libopenblas-dev):
//
//	go test -tags openblas ./...
//	go run -tags openblas ./benchmarks/sidebyside

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// BLAS names the matrix-multiply backend this build uses.
var BLAS = "openblas"

func init() { G.Use(netlib.Implementation{}) }
