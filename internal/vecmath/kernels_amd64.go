//go:build !purego

package vecmath

import "github.com/mixgraph/mixgraph/internal/gemm"

//go:noescape
func tanh64(dst, src *float64, n int)

//go:noescape
func tanh32(dst, src *float32, n int)

//go:noescape
func exp64(dst, src *float64, n int)

//go:noescape
func exp32(dst, src *float32, n int)

func init() {
	if gemm.HasAVX2FMA {
		tanhBlock64, tanhBlock32, Kernel = tanh64, tanh32, "avx2-fma"
		expBlock64, expBlock32 = exp64, exp32
	}
}
