package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// naive is C = alpha·op(A)·op(B) + beta·C summed in float64, one element at a time.
func naive(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) []float64 {
	out := append([]float64(nil), c...)
	for i := range m {
		for j := range n {
			var s float64
			for q := range k {
				var av, bv float64
				if tA {
					av = a[q*lda+i]
				} else {
					av = a[i*lda+q]
				}
				if tB {
					bv = b[j*ldb+q]
				} else {
					bv = b[q*ldb+j]
				}
				s += av * bv
			}
			out[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
		}
	}
	return out
}

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}

type shape struct{ m, n, k int }

var shapes = []shape{
	{1, 1, 1}, {1, 7, 3}, {6, 8, 1}, {6, 16, 5}, {7, 9, 2}, {5, 17, 300}, {13, 31, 257},
	{72, 64, 256}, {73, 65, 513}, {100, 3, 40}, {3, 100, 40}, {128, 128, 128},
	{200, 340, 64}, {1000, 20, 1}, {20, 20, 1000}, {150, 4100, 3},
	{6, 32, 7}, {6, 64, 9}, {12, 65, 33}, {7, 97, 260}, {30, 130, 2},
}

// eachKernel runs f once with every kernel set this CPU can run in use, and restores the
// default afterwards.
func eachKernel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	defer restoreKernel()
	for _, name := range Kernels() {
		if !use(name) {
			t.Fatalf("kernel %q listed but not usable", name)
		}
		t.Run(name, f)
	}
}

func TestGemmAgainstNaive(t *testing.T) {
	t.Logf("kernels on this CPU: %v; default %s", Kernels(), Kernel)
	eachKernel(t, testGemmAgainstNaive)
}

func testGemmAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range shapes {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, ab := range [][2]float64{{1, 0}, {1, 1}, {-0.5, 2}, {0, 0.5}} {
					name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/alpha=%v/beta=%v", sh.m, sh.n, sh.k, tA, tB, ab[0], ab[1])
					t.Run(name, func(t *testing.T) { checkShape(t, rng, sh, tA, tB, ab[0], ab[1]) })
				}
			}
		}
	}
}

func checkShape(t *testing.T, rng *rand.Rand, sh shape, tA, tB bool, alpha, beta float64) {
	m, n, k := sh.m, sh.n, sh.k
	// Strides wider than the matrices, to catch a stride mix-up.
	lda, ldb, ldc := k+3, n+1, n+2
	ar, br := m, k
	if tA {
		lda, ar = m+3, k
	}
	if tB {
		ldb, br = k+1, n
	}
	a := randSlice(rng, ar*lda)
	b := randSlice(rng, br*ldb)
	c := randSlice(rng, m*ldc)
	want := naive(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

	got := append([]float64(nil), c...)
	Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
	// Each element is a sum of k products of N(0,1) values: its rounding error is a few
	// ulps of k·max|a·b|, so the tolerance scales with k.
	tol64 := 1e-14 * float64(k+2) * 4
	compare(t, "f64", want, got, m, n, ldc, tol64)

	a32, b32, c32 := to32(a), to32(b), to32(c)
	want32 := naive(tA, tB, m, n, k, alpha, to64(a32), lda, to64(b32), ldb, beta, to64(c32), ldc)
	Sgemm(tA, tB, m, n, k, float32(alpha), a32, lda, b32, ldb, float32(beta), c32, ldc)
	compare(t, "f32", want32, to64(c32), m, n, ldc, 1e-6*float64(k+2)*4)
}

func compare(t *testing.T, dt string, want, got []float64, m, n, ldc int, tol float64) {
	t.Helper()
	for i := range want {
		inside := i/ldc < m && i%ldc < n
		if !inside {
			if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
				t.Fatalf("%s: element %d outside C's %d×%d block changed: %v -> %v", dt, i, m, n, want[i], got[i])
			}
			continue
		}
		// Written so that a NaN result fails too.
		if d := math.Abs(got[i] - want[i]); !(d <= tol*math.Max(1, math.Abs(want[i]))) {
			t.Fatalf("%s: C[%d,%d] = %v, want %v (|diff| %.3g > %.3g)", dt, i/ldc, i%ldc, got[i], want[i], d, tol)
		}
	}
}

func to32(s []float64) []float32 {
	o := make([]float32, len(s))
	for i, v := range s {
		o[i] = float32(v)
	}
	return o
}

func to64(s []float32) []float64 {
	o := make([]float64, len(s))
	for i, v := range s {
		o[i] = float64(v)
	}
	return o
}

// Every assembly kernel agrees with the Go kernel of its tile size: both sum each
// element's products in the same order, so only FMA's single rounding separates them.
func TestKernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, ks := range available[1:] {
		t.Run(ks.name, func(t *testing.T) {
			k := 37
			nr, ldc := ks.d.nr, ks.d.nr+2
			a, b := randSlice(rng, k*mr), randSlice(rng, k*nr)
			c1, c2 := randSlice(rng, mr*ldc), make([]float64, mr*ldc)
			copy(c2, c1)
			ks.d.add(k, &a[0], &b[0], &c1[0], ldc)
			refKernel(k, nr, a, b, c2, ldc, false)
			compare(t, "kernel f64", c2, c1, mr, nr, ldc, 1e-13)
			ks.d.set(k, &a[0], &b[0], &c1[0], ldc)
			refKernel(k, nr, a, b, c2, ldc, true)
			compare(t, "set kernel f64", c2, c1, mr, nr, ldc, 1e-13)

			nr, ldc = ks.s.nr, ks.s.nr+3
			a32, b32 := to32(randSlice(rng, k*mr)), to32(randSlice(rng, k*nr))
			s1 := to32(randSlice(rng, mr*ldc))
			s2 := to64(s1)
			ks.s.add(k, &a32[0], &b32[0], &s1[0], ldc)
			refKernel(k, nr, to64(a32), to64(b32), s2, ldc, false)
			compare(t, "kernel f32", s2, to64(s1), mr, nr, ldc, 1e-5)
			ks.s.set(k, &a32[0], &b32[0], &s1[0], ldc)
			refKernel(k, nr, to64(a32), to64(b32), s2, ldc, true)
			compare(t, "set kernel f32", s2, to64(s1), mr, nr, ldc, 1e-5)
		})
	}
}

// refKernel is the micro-kernel's contract in plain Go: C[0:mr, 0:nr] (+)= Ap·Bp.
func refKernel(k, nr int, a, b, c []float64, ldc int, set bool) {
	for r := range mr {
		for j := range nr {
			var s float64
			for q := range k {
				s += a[q*mr+r] * b[q*nr+j]
			}
			if set {
				c[r*ldc+j] = s
			} else {
				c[r*ldc+j] += s
			}
		}
	}
}

// The AVX-512 and AVX2 kernels give the same bits for every product: the same sums in
// the same order with the same fused multiply-adds, only wider.
func TestWideKernelSameBits(t *testing.T) {
	if len(available) < 3 {
		t.Skipf("this CPU runs %v: no AVX-512 kernel to compare", Kernels())
	}
	defer restoreKernel()
	rng := rand.New(rand.NewPCG(9, 10))
	for _, sh := range append(shapes, shape{301, 517, 263}, shape{1024, 340, 512}) {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, beta := range []float64{0, 1} {
					m, n, k := sh.m, sh.n, sh.k
					lda, ldb := k, n
					if tA {
						lda = m
					}
					if tB {
						ldb = k
					}
					a, b, c := randSlice(rng, m*k), randSlice(rng, k*n), randSlice(rng, m*n)
					results := map[string][]float64{}
					results32 := map[string][]float32{}
					for _, name := range []string{"avx2-fma", "avx512"} {
						use(name)
						got := append([]float64(nil), c...)
						Dgemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, beta, got, n)
						results[name] = got
						got32 := to32(c)
						Sgemm(tA, tB, m, n, k, 1.5, to32(a), lda, to32(b), ldb, float32(beta), got32, n)
						results32[name] = got32
					}
					for i := range results["avx2-fma"] {
						if math.Float64bits(results["avx2-fma"][i]) != math.Float64bits(results["avx512"][i]) {
							t.Fatalf("%dx%dx%d tA=%v tB=%v β=%v f64: element %d: avx2 %v, avx512 %v", m, n, k, tA, tB, beta, i, results["avx2-fma"][i], results["avx512"][i])
						}
						if math.Float32bits(results32["avx2-fma"][i]) != math.Float32bits(results32["avx512"][i]) {
							t.Fatalf("%dx%dx%d tA=%v tB=%v β=%v f32: element %d: avx2 %v, avx512 %v", m, n, k, tA, tB, beta, i, results32["avx2-fma"][i], results32["avx512"][i])
						}
					}
				}
			}
		}
	}
}

// With β = 0, C's old contents are never read: NaN and ±Inf there do not reach the result
// (a kernel that added into C, or a missed edge tile, would leave NaN), in every shape,
// transposition and dtype, serial and split between goroutines.
func TestBetaZeroIgnoresC(t *testing.T) { eachKernel(t, testBetaZeroIgnoresC) }

func testBetaZeroIgnoresC(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sh := range append(shapes, shape{301, 517, 263}) {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				m, n, k := sh.m, sh.n, sh.k
				lda, ldb, ldc := k, n, n+1
				if tA {
					lda = m
				}
				if tB {
					ldb = k
				}
				a, b := randSlice(rng, m*k), randSlice(rng, k*n)
				c := make([]float64, m*ldc)
				for i := range c {
					c[i] = [3]float64{math.NaN(), math.Inf(1), math.Inf(-1)}[i%3]
				}
				zero := make([]float64, m*ldc)
				want := naive(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, zero, ldc)
				for i := range want {
					if i%ldc >= n {
						want[i] = c[i] // outside C's block: untouched
					}
				}
				got := append([]float64(nil), c...)
				Dgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, got, ldc)
				name := fmt.Sprintf("%dx%dx%d tA=%v tB=%v", m, n, k, tA, tB)
				compare(t, name+" f64", want, got, m, n, ldc, 1e-14*float64(k+2)*4)
				got32 := to32(c)
				Sgemm(tA, tB, m, n, k, 1, to32(a), lda, to32(b), ldb, 0, got32, ldc)
				compare(t, name+" f32", want, to64(got32), m, n, ldc, 1e-5*float64(k+2)*4)
			}
		}
	}
}

// The result does not depend on how many goroutines share the product.
func TestDeterministicAcrossSplits(t *testing.T) { eachKernel(t, testDeterministicAcrossSplits) }

func testDeterministicAcrossSplits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, n, k := 301, 517, 263
	a, b := randSlice(rng, m*k), randSlice(rng, k*n)
	c1 := make([]float64, m*n)
	Dgemm(false, false, m, n, k, 1, a, k, b, n, 0, c1, n)
	p := &problem[float64]{kern: kernelD, nr: kernelD.nr, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, c: make([]float64, m*n), ldc: n}
	p.serial(0, m, 0, n)
	for i := range c1 {
		if c1[i] != p.c[i] {
			t.Fatalf("element %d: parallel %v, serial %v", i, c1[i], p.c[i])
		}
	}
}

func TestBadArgumentsPanic(t *testing.T) {
	for _, f := range []func(){
		func() {
			Dgemm(false, false, 2, 2, 2, 1, make([]float64, 3), 2, make([]float64, 4), 2, 0, make([]float64, 4), 2)
		},
		func() {
			Dgemm(false, false, 2, 2, 2, 1, make([]float64, 4), 1, make([]float64, 4), 2, 0, make([]float64, 4), 2)
		},
		func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic on invalid arguments")
				}
			}()
			f()
		}()
	}
}

// BenchmarkGemm measures the kernel set the dispatch chose (named in the benchmark's
// name); BenchmarkGemmKernels every set this CPU can run.
func BenchmarkGemm(b *testing.B) { b.Run("kernel="+Kernel, benchGemm) }

func BenchmarkGemmKernels(b *testing.B) {
	defer restoreKernel()
	for _, name := range Kernels() {
		use(name)
		b.Run("kernel="+name, benchGemm)
	}
}

func benchGemm(b *testing.B) {
	for _, sh := range []shape{{1024, 512, 512}, {512, 512, 1024}, {512, 256, 256}, {512, 512, 20}, {1000, 20, 20}} {
		for _, dt := range []string{"f64", "f32"} {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", sh.m, sh.n, sh.k, dt), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 1))
				a, bb, c := randSlice(rng, sh.m*sh.k), randSlice(rng, sh.k*sh.n), make([]float64, sh.m*sh.n)
				a32, b32, c32 := to32(a), to32(bb), to32(c)
				for b.Loop() {
					if dt == "f64" {
						Dgemm(false, false, sh.m, sh.n, sh.k, 1, a, sh.k, bb, sh.n, 0, c, sh.n)
					} else {
						Sgemm(false, false, sh.m, sh.n, sh.k, 1, a32, sh.k, b32, sh.n, 0, c32, sh.n)
					}
				}
				b.ReportMetric(2*float64(sh.m*sh.n*sh.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// The dispatch takes the fastest kernel set, or the one MIXGRAPH_GEMM_KERNEL names when
// this CPU can run it; a name it cannot run leaves the fastest.
func TestDispatch(t *testing.T) {
	names := Kernels()
	if env := os.Getenv("MIXGRAPH_GEMM_KERNEL"); env != "" && slices.Contains(names, env) {
		if Kernel != env {
			t.Errorf("MIXGRAPH_GEMM_KERNEL=%s but the kernel in use is %s", env, Kernel)
		}
	} else if Kernel != names[len(names)-1] {
		t.Errorf("kernel in use %s, want the fastest of %v", Kernel, names)
	}
	defer restoreKernel()
	if use("no-such-kernel") || Kernel != names[len(names)-1] {
		t.Errorf("an unknown kernel name was honoured or did not leave the fastest (%s)", Kernel)
	}
	if !use("go") || Kernel != "go" || kernelD.nr != 8 || narrowD.nr != 8 {
		t.Errorf("forcing the Go kernel: %s, nr %d/%d", Kernel, kernelD.nr, narrowD.nr)
	}
	if slices.Contains(names, "avx512") {
		use("avx512")
		if kernelD.nr != 32 || kernelS.nr != 64 || narrowD.nr != 8 || narrowS.nr != 16 {
			t.Errorf("avx512: tiles %d/%d wide, narrow %d/%d", kernelD.nr, kernelS.nr, narrowD.nr, narrowS.nr)
		}
	}
}

// restoreKernel puts back the kernel set the process started with.
func restoreKernel() { use(os.Getenv("MIXGRAPH_GEMM_KERNEL")) }

// BenchmarkGemmLayer measures the three float32 products of a training step's 256-wide
// dense layer at batch 512 (the medium workload) as the step makes them: forward x·W,
// dx = dz·Wᵀ (B transposed) and dW = xᵀ·dz (A transposed), where packing a transposed
// operand is a larger share of the time than in the plain product.
func BenchmarkGemmLayer(b *testing.B) {
	const batch, in, out = 512, 256, 256
	rng := rand.New(rand.NewPCG(1, 1))
	x, w, dz := to32(randSlice(rng, batch*in)), to32(randSlice(rng, in*out)), to32(randSlice(rng, batch*out))
	y, dx, dw := make([]float32, batch*out), make([]float32, batch*in), make([]float32, in*out)
	for _, p := range []struct {
		name string
		f    func()
	}{
		{"forward", func() { Sgemm(false, false, batch, out, in, 1, x, in, w, out, 0, y, out) }},
		{"dx=dz·Wᵀ", func() { Sgemm(false, true, batch, in, out, 1, dz, out, w, out, 0, dx, in) }},
		{"dW=xᵀ·dz", func() { Sgemm(true, false, in, out, batch, 1, x, in, dz, out, 0, dw, out) }},
	} {
		b.Run(fmt.Sprintf("kernel=%s/%s", Kernel, p.name), func(b *testing.B) {
			for b.Loop() {
				p.f()
			}
			b.ReportMetric(2*float64(batch*in*out)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
