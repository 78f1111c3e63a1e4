//go:build !purego

package gemm

import "os"

//go:noescape
func kernD(k int, a, b, c *float64, ldc int)

//go:noescape
func kernS(k int, a, b, c *float32, ldc int)

//go:noescape
func kernDSet(k int, a, b, c *float64, ldc int)

//go:noescape
func kernSSet(k int, a, b, c *float32, ldc int)

//go:noescape
func kernD512(k int, a, b, c *float64, ldc int)

//go:noescape
func kernS512(k int, a, b, c *float32, ldc int)

//go:noescape
func kernD512Set(k int, a, b, c *float64, ldc int)

//go:noescape
func kernS512Set(k int, a, b, c *float32, ldc int)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv0() (eax, edx uint32)

// features reports whether the CPU and the operating system support the AVX2 and FMA
// instructions of the 256-bit kernels (the OS must save the YMM state: XCR0 bits 1 and 2)
// and the AVX-512 Foundation instructions of the 512-bit ones (the OS must also save the
// opmask and the upper ZMM state: XCR0 bits 5, 6 and 7).
func features() (avx2fma, avx512 bool) {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false, false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false, false
	}
	xcr0, _ := xgetbv0()
	if xcr0&6 != 6 {
		return false, false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	avx2fma = ebx7&(1<<5) != 0
	avx512 = avx2fma && ebx7&(1<<16) != 0 && xcr0&0xe6 == 0xe6
	return avx2fma, avx512
}

func init() {
	avx2fma, avx512 := features()
	if avx2fma {
		HasAVX2FMA = true
		available = append(available, kernelSet{
			name: "avx2-fma",
			d:    kernels[float64]{nr: 8, add: kernD, set: kernDSet},
			s:    kernels[float32]{nr: 16, add: kernS, set: kernSSet},
		})
	}
	if avx512 {
		HasAVX512 = true
		available = append(available, kernelSet{
			name: "avx512",
			d:    kernels[float64]{nr: 32, add: kernD512, set: kernD512Set},
			s:    kernels[float32]{nr: 64, add: kernS512, set: kernS512Set},
		})
	}
	use(os.Getenv("MIXGRAPH_GEMM_KERNEL"))
}
