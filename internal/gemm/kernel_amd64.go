//go:build !purego

package gemm

//go:noescape
func kernD(k int, a, b, c *float64, ldc int)

//go:noescape
func kernS(k int, a, b, c *float32, ldc int)

//go:noescape
func kernDSet(k int, a, b, c *float64, ldc int)

//go:noescape
func kernSSet(k int, a, b, c *float32, ldc int)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv0() (eax, edx uint32)

// hasAVX2FMA reports whether the CPU and the operating system support the AVX2 and FMA
// instructions the kernels use (the OS must save the YMM state: XCR0 bits 1 and 2).
func hasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

func init() {
	if hasAVX2FMA() {
		kernelD, kernelS, Kernel = kernels[float64]{kernD, kernDSet}, kernels[float32]{kernS, kernSSet}, "avx2-fma"
	}
}
