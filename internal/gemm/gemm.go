// Package gemm is mixgraph's general matrix multiply, C = α·op(A)·op(B) + β·C on
// row-major matrices in float64 and float32, where op is the identity or the transpose.
//
// It is the blocked algorithm of the BLIS family: B is packed into strips NR columns wide
// and A into strips of MR = 6 rows, so that a register-resident micro-kernel streams both
// from contiguous memory and updates a 6×NR tile of C. On amd64 the micro-kernels are in
// assembly, chosen when the process starts from what the CPU supports: AVX-512 (6×32 for
// float64, 6×64 for float32), else AVX2 with FMA (6×8 and 6×16); elsewhere a Go kernel
// computes the same thing. Every kernel sums each element of C in the same order, over
// the same blocks of depth, with one fused multiply-add per product, so the AVX-512 and
// AVX2 kernels give the same bits (the Go kernel rounds each product separately). With
// either assembly set, float32 blocks of A (plain or transposed) and of a transposed B
// are packed with AVX too (pack_amd64.s), each value scaled by α or moved exactly as the
// Go loops do, so packing never changes a bit.
//
// The environment variable MIXGRAPH_GEMM_KERNEL, read once at start-up, forces a slower
// kernel ("avx2-fma" or "go") for comparisons; a name this CPU cannot run is ignored. Large products are split between goroutines by rows or columns
// of C; every element of C is still summed by one goroutine in one fixed order, so the
// result does not depend on the number of goroutines.
package gemm

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/mixgraph/mixgraph/internal/cores"
)

// Kernel names the micro-kernels this process uses: "avx512", "avx2-fma" or "go".
var Kernel = "go"

// HasAVX2FMA reports whether the CPU and the operating system support AVX2 and FMA;
// HasAVX512 whether they support AVX-512 Foundation as well.
var HasAVX2FMA, HasAVX512 bool

// kernels is a pair of micro-kernels for tiles mr×nr: add computes C[0:mr, 0:nr] += Ap·Bp
// over k steps, set computes C[0:mr, 0:nr] = Ap·Bp without reading C (the first block of
// depth when β is 0, so that C need not be cleared first). Both sum each element in the
// same order.
type kernels[T float] struct {
	nr       int
	add, set func(k int, a, b, c *T, ldc int)
}

// kernelSet is the float64 and float32 kernels of one instruction set.
type kernelSet struct {
	name string
	d    kernels[float64]
	s    kernels[float32]
}

// available lists the kernel sets this CPU can run, slowest first.
var available = []kernelSet{{
	name: "go",
	d:    kernels[float64]{nr: 8, add: goKernel[float64], set: goKernelSet[float64]},
	s:    kernels[float32]{nr: 16, add: goKernel[float32], set: goKernelSet[float32]},
}}

var (
	kernelD = available[0].d
	kernelS = available[0].s
	// narrowD and narrowS are the kernels for products at most half as wide as
	// kernelD's (kernelS's) tile: the AVX2 ones when the AVX-512 ones are in use, which
	// would compute mostly padding there. The same as kernelD and kernelS otherwise.
	narrowD = kernelD
	narrowS = kernelS

	// asmPack says whether packA packs whole float32 strips with the assembly of
	// pack_amd64.s (with the AVX2 and AVX-512 kernels; never with the portable one).
	asmPack = false
)

// use makes the kernel set called name the one in use, or the fastest available when
// name is empty or not available; it reports whether name was honoured.
func use(name string) bool {
	ks := available[len(available)-1]
	found := false
	for _, k := range available {
		if k.name == name {
			ks, found = k, true
		}
	}
	kernelD, kernelS, Kernel = ks.d, ks.s, ks.name
	asmPack = ks.name != "go"
	narrowD, narrowS = ks.d, ks.s
	if ks.name == "avx512" { // the AVX2 kernels are there too, and give the same bits
		for _, k := range available {
			if k.name == "avx2-fma" {
				narrowD, narrowS = k.d, k.s
			}
		}
	}
	return found
}

// Kernels lists the names of the kernel sets this CPU can run, slowest first.
func Kernels() []string {
	names := make([]string, len(available))
	for i, k := range available {
		names[i] = k.name
	}
	return names
}

const (
	mr = 6    // rows of the micro-tile
	kc = 256  // depth of a packed block
	mc = 72   // rows of a packed block of A (a multiple of mr)
	nc = 4096 // columns of a packed block of B (a multiple of both NRs)

	// parallelWork is the m·n·k above which a product is split between goroutines
	// (about 50 µs of work: waking a goroutine costs a few µs, and in a data-parallel
	// training step the other processors are usually busy already).
	parallelWork = 1 << 21
)

type float interface{ ~float32 | ~float64 }

// Dgemm computes C = alpha·op(A)·op(B) + beta·C in float64, op(A) m×k and op(B) k×n.
// A is m×k (k×m when transA) with row stride lda; likewise B and C. Arguments that do not
// describe valid matrices panic, as in any BLAS.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	kern := kernelD
	if 2*n <= kern.nr {
		kern = narrowD
	}
	run(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Sgemm is Dgemm in float32.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kern := kernelS
	if 2*n <= kern.nr {
		kern = narrowS
	}
	run(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func check(name string, trans bool, rows, cols int, s int, ld int) {
	r, cl := rows, cols
	if trans {
		r, cl = cols, rows
	}
	if ld < max(1, cl) {
		panic(fmt.Sprintf("gemm: ld%s = %d, want at least %d", name, ld, max(1, cl)))
	}
	if r > 0 && cl > 0 && s < (r-1)*ld+cl {
		panic(fmt.Sprintf("gemm: %s has %d elements, want at least %d", name, s, (r-1)*ld+cl))
	}
}

func run[T float](kern kernels[T], tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	check("a", tA, m, k, len(a), lda)
	check("b", tB, k, n, len(b), ldb)
	check("c", false, m, n, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	// With β = 0 and a product to add, the first block of depth stores into C instead of
	// adding to it (C's old values, even NaN, are never read); otherwise C is scaled first.
	overwrite := beta == 0 && k > 0 && alpha != 0
	if beta != 1 && !overwrite {
		for i := range m {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
			} else {
				for j := range row {
					row[j] *= beta
				}
			}
		}
	}
	if k == 0 || alpha == 0 {
		return
	}
	p := problem[T]{kern: kern, overwrite: overwrite, nr: kern.nr, tA: tA, tB: tB, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	workers := cores.Free()
	if workers < 2 || m*n*k < parallelWork {
		p.serial(0, m, 0, n)
		return
	}
	parallel(p, m, n, workers)
}

// parallel splits the longer side of C into whole micro-tiles, one share per worker; the
// calling goroutine takes the first share.
func parallel[T float](p problem[T], m, n, workers int) {
	nr := p.nr
	var wg sync.WaitGroup
	if m/mr >= n/nr {
		step := (m/mr + workers - 1) / workers * mr
		for i0 := step; i0 < m; i0 += step {
			wg.Go(func() { p.serial(i0, min(i0+step, m), 0, n) })
		}
		p.serial(0, min(step, m), 0, n)
	} else {
		step := (n/nr + workers - 1) / workers * nr
		for j0 := step; j0 < n; j0 += step {
			wg.Go(func() { p.serial(0, m, j0, min(j0+step, n)) })
		}
		p.serial(0, m, 0, min(step, n))
	}
	wg.Wait()
}

type problem[T float] struct {
	kern      kernels[T]
	overwrite bool // the first block of depth stores into C (β = 0)
	nr        int
	tA, tB    bool
	k         int
	alpha     T
	a, b, c   []T
	lda, ldb  int
	ldc       int
}

type scratch[T float] struct{ ap, bp, tile []T }

var pools sync.Map // reflect-free: one *sync.Pool per element size

func getScratch[T float]() *scratch[T] {
	var zero T
	key := unsafe.Sizeof(zero)
	pl, ok := pools.Load(key)
	if !ok {
		pl, _ = pools.LoadOrStore(key, &sync.Pool{New: func() any { return new(scratch[T]) }})
	}
	return pl.(*sync.Pool).Get().(*scratch[T])
}

func putScratch[T float](s *scratch[T]) {
	var zero T
	pl, _ := pools.Load(unsafe.Sizeof(zero))
	pl.(*sync.Pool).Put(s)
}

func grow[T float](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// serial computes rows [i0, i1) and columns [j0, j1) of C += α·op(A)·op(B).
func (p *problem[T]) serial(i0, i1, j0, j1 int) {
	nr := p.nr
	s := getScratch[T]()
	defer putScratch(s)
	s.tile = grow(s.tile, mr*nr)
	for jc := j0; jc < j1; jc += nc {
		ncb := min(nc, j1-jc)
		for pc := 0; pc < p.k; pc += kc {
			kcb := min(kc, p.k-pc)
			set := p.overwrite && pc == 0
			kern := p.kern.add
			if set {
				kern = p.kern.set
			}
			s.bp = grow(s.bp, kcb*((ncb+nr-1)/nr*nr))
			p.packB(s.bp, pc, kcb, jc, ncb)
			for ic := i0; ic < i1; ic += mc {
				mcb := min(mc, i1-ic)
				s.ap = grow(s.ap, kcb*((mcb+mr-1)/mr*mr))
				p.packA(s.ap, ic, mcb, pc, kcb)
				for jr := 0; jr < ncb; jr += nr {
					bs := &s.bp[jr*kcb]
					for ir := 0; ir < mcb; ir += mr {
						as := &s.ap[ir*kcb]
						ci := (ic+ir)*p.ldc + jc + jr
						if ir+mr <= mcb && jr+nr <= ncb {
							kern(kcb, as, bs, &p.c[ci], p.ldc)
							continue
						}
						p.kern.set(kcb, as, bs, &s.tile[0], nr)
						rows, cols := min(mr, mcb-ir), min(nr, ncb-jr)
						for r := range rows {
							dst := p.c[ci+r*p.ldc : ci+r*p.ldc+cols]
							src := s.tile[r*nr : r*nr+cols]
							if set {
								copy(dst, src)
								continue
							}
							for j, v := range src {
								dst[j] += v
							}
						}
					}
				}
			}
		}
	}
}

// packA writes α·op(A)[ic:ic+mcb, pc:pc+kcb] as strips of mr rows: strip s holds, for
// each step q, the mr values of column pc+q; rows past mcb are zero.
func (p *problem[T]) packA(dst []T, ic, mcb, pc, kcb int) {
	alpha := p.alpha
	if p.tA {
		// op(A)[i, q] = a[q, i]: a's row pc+q holds step q of every strip, so read it
		// once, in order, and deal its values out to the strips.
		s0 := 0
		if d, ok := any(dst).([]float32); ok && asmPack && mcb >= mr {
			// The whole strips in assembly (the same products, the same bits), after
			// checking that the last step's row is within a and the last strip within dst.
			strips := mcb / mr
			last := (pc+kcb-1)*p.lda + ic
			_ = p.a[last+strips*mr-1]
			_ = d[(strips-1)*kcb*mr+kcb*mr-1]
			packS6T(&d[0], &any(p.a).([]float32)[pc*p.lda+ic], p.lda, kcb, strips, kcb*mr, any(alpha).(float32))
			s0 = strips * mr
		}
		for q := range kcb {
			off := (pc+q)*p.lda + ic
			row := p.a[off : off+mcb : off+mcb]
			s := s0
			for ; s+mr <= mcb; s += mr {
				x := row[s : s+mr : s+mr]
				o := dst[s*kcb+q*mr : s*kcb+q*mr+mr : s*kcb+q*mr+mr]
				o[0], o[1], o[2] = alpha*x[0], alpha*x[1], alpha*x[2]
				o[3], o[4], o[5] = alpha*x[3], alpha*x[4], alpha*x[5]
			}
			if s < mcb {
				o := dst[s*kcb+q*mr : s*kcb+q*mr+mr]
				for r := range mr {
					if s+r < mcb {
						o[r] = alpha * row[s+r]
					} else {
						o[r] = 0
					}
				}
			}
		}
		return
	}
	for s := 0; s < mcb; s += mr {
		rows := min(mr, mcb-s)
		strip := dst[s*kcb : (s+mr)*kcb]
		if rows == mr {
			// Six rows at once: sequential writes, six sequential reads.
			at := func(r int) []T { i := (ic+s+r)*p.lda + pc; return p.a[i : i+kcb] }
			a0, a1, a2, a3, a4, a5 := at(0), at(1), at(2), at(3), at(4), at(5)
			q0 := 0
			if d, ok := any(strip).([]float32); ok && asmPack && kcb >= 8 {
				// Eight steps at a time in assembly (the same products, the same bits);
				// a0..a5 above check that the six rows are within a.
				q0 = kcb &^ 7
				packS6(&d[0], &any(a0).([]float32)[0], p.lda, q0, any(alpha).(float32))
			}
			for q := q0; q < kcb; q++ {
				o := strip[q*mr : q*mr+mr : q*mr+mr]
				o[0], o[1], o[2] = alpha*a0[q], alpha*a1[q], alpha*a2[q]
				o[3], o[4], o[5] = alpha*a3[q], alpha*a4[q], alpha*a5[q]
			}
			continue
		}
		for r := range mr {
			if r >= rows {
				for q := range kcb {
					strip[q*mr+r] = 0
				}
				continue
			}
			i := ic + s + r
			src := p.a[i*p.lda+pc : i*p.lda+pc+kcb]
			for q, v := range src {
				strip[q*mr+r] = alpha * v
			}
		}
	}
}

// packB writes op(B)[pc:pc+kcb, jc:jc+ncb] as strips of nr columns: strip t holds, for
// each step q, the nr values of row pc+q; columns past ncb are zero.
func (p *problem[T]) packB(dst []T, pc, kcb, jc, ncb int) {
	nr := p.nr
	for t := 0; t < ncb; t += nr {
		cols := min(nr, ncb-t)
		strip := dst[t*kcb : (t+nr)*kcb]
		if p.tB {
			// op(B)[q, j] = b[j, q]: the strip's columns of op(B) are contiguous rows
			// of b; read them side by side so that the strip is written in order.
			var src [64][]T
			for j := range cols {
				off := (jc+t+j)*p.ldb + pc
				src[j] = p.b[off : off+kcb : off+kcb]
			}
			if cols == nr {
				q0 := 0
				if d, ok := any(strip).([]float32); ok && asmPack && kcb >= 8 {
					// Eight rows of b by eight steps at a time in assembly (a transpose;
					// values only move). src above checks that the rows are within b.
					q0 = kcb &^ 7
					for j := 0; j < nr; j += 8 {
						packT8(&d[j], nr, &any(src[j]).([]float32)[0], p.ldb, q0)
					}
				}
				for q := q0; q < kcb; q++ {
					o := strip[q*nr : q*nr+nr : q*nr+nr]
					for j := range o {
						o[j] = src[j][q]
					}
				}
				continue
			}
			for q := range kcb {
				o := strip[q*nr : q*nr+nr : q*nr+nr]
				for j := range o {
					if j < cols {
						o[j] = src[j][q]
					} else {
						o[j] = 0
					}
				}
			}
			continue
		}
		if cols == nr {
			// Whole strips: nr values are 64 bytes (256 for the AVX-512 kernels) in
			// both precisions, copied as one block per row (no memmove call, no
			// element loop).
			off := pc*p.ldb + jc + t
			var zero T
			if uintptr(nr)*unsafe.Sizeof(zero) == 256 {
				for q := range kcb {
					src := p.b[off+q*p.ldb : off+q*p.ldb+nr]
					*(*[256]byte)(unsafe.Pointer(&strip[q*nr])) = *(*[256]byte)(unsafe.Pointer(&src[0]))
				}
				continue
			}
			for q := range kcb {
				src := p.b[off+q*p.ldb : off+q*p.ldb+nr]
				*(*[64]byte)(unsafe.Pointer(&strip[q*nr])) = *(*[64]byte)(unsafe.Pointer(&src[0]))
			}
			continue
		}
		for q := range kcb {
			row := strip[q*nr : q*nr+nr]
			off := (pc+q)*p.ldb + jc + t
			copy(row[:cols], p.b[off:off+cols])
			clear(row[cols:])
		}
	}
}

// goKernel is the portable micro-kernel: C[0:mr, 0:nr] += Ap·Bp over k steps, with nr
// taken from the element size (8 for float64, 16 for float32) as the assembly kernels do.
func goKernel[T float](k int, a, b, c *T, ldc int) { goKernelInto(k, a, b, c, ldc, false) }

// goKernelSet is goKernel storing C[0:mr, 0:nr] = Ap·Bp.
func goKernelSet[T float](k int, a, b, c *T, ldc int) { goKernelInto(k, a, b, c, ldc, true) }

func goKernelInto[T float](k int, a, b, c *T, ldc int, set bool) {
	var zero T
	nr := 8
	if unsafe.Sizeof(zero) == 4 {
		nr = 16
	}
	as := unsafe.Slice(a, k*mr)
	bs := unsafe.Slice(b, k*nr)
	var acc [mr * 16]T
	for q := range k {
		brow := bs[q*nr : q*nr+nr]
		for r := range mr {
			ar := as[q*mr+r]
			row := acc[r*nr : r*nr+nr]
			for j, bv := range brow {
				row[j] += ar * bv
			}
		}
	}
	cs := unsafe.Slice(c, (mr-1)*ldc+nr)
	for r := range mr {
		dst := cs[r*ldc : r*ldc+nr]
		if set {
			copy(dst, acc[r*nr:r*nr+nr])
			continue
		}
		for j, v := range acc[r*nr : r*nr+nr] {
			dst[j] += v
		}
	}
}
