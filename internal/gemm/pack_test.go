package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The assembly packing of float32 A (pack_amd64.s) writes the bits the Go loops write:
// both cases (A plain and transposed), whole and partial strips, depths that are and are
// not multiples of eight, offsets into a, α of 1, 0.5, −3 and NaN, and special values in a.
func TestPackAsmMatchesGo(t *testing.T) {
	if !asmPack {
		t.Skip("packing runs in Go with this kernel set (" + Kernel + ")")
	}
	defer func() { asmPack = true }()
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN()), 1e-40, 3e38}
	for _, tA := range []bool{false, true} {
		for _, c := range []struct{ ic, mcb, pc, kcb int }{
			{0, 72, 0, 256}, {6, 66, 3, 13}, {1, 5, 0, 9}, {0, 12, 8, 8}, {5, 71, 17, 7}, {2, 30, 1, 40}, {0, 6, 0, 1},
		} {
			for _, alpha := range []float32{1, 0.5, -3, float32(math.NaN())} {
				rows, cols := c.ic+c.mcb, c.pc+c.kcb
				if tA {
					rows, cols = cols, rows
				}
				lda := cols + 3 // rows longer than the block
				a := make([]float32, rows*lda)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
					if rng.IntN(9) == 0 {
						a[i] = special[rng.IntN(len(special))]
					}
				}
				p := problem[float32]{alpha: alpha, a: a, lda: lda, tA: tA, k: c.pc + c.kcb}
				size := c.kcb * ((c.mcb + mr - 1) / mr * mr)
				got, want := make([]float32, size), make([]float32, size)
				asmPack = true
				p.packA(got, c.ic, c.mcb, c.pc, c.kcb)
				asmPack = false
				p.packA(want, c.ic, c.mcb, c.pc, c.kcb)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("tA=%v %+v α=%v: element %d: assembly %v, Go %v", tA, c, alpha, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// BenchmarkPackA measures packing one 72×256 float32 block of A, plain and transposed.
func BenchmarkPackA(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := to32(randSlice(rng, 512*512))
	dst := make([]float32, 72*256)
	for _, tA := range []bool{false, true} {
		p := problem[float32]{alpha: 1, a: a, lda: 512, tA: tA, k: 512}
		b.Run(fmt.Sprintf("tA=%v", tA), func(b *testing.B) {
			for b.Loop() {
				p.packA(dst, 72, 72, 0, 256)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*72*256), "ns/elem")
		})
	}
}

// BenchmarkPackB measures packing one 256×256 float32 block of B, plain and transposed,
// for the kernel set in use.
func BenchmarkPackB(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	bm := to32(randSlice(rng, 512*512))
	dst := make([]float32, 256*256)
	for _, tB := range []bool{false, true} {
		p := problem[float32]{alpha: 1, b: bm, ldb: 512, tB: tB, k: 512, nr: kernelS.nr}
		b.Run(fmt.Sprintf("kernel=%s/tB=%v", Kernel, tB), func(b *testing.B) {
			for b.Loop() {
				p.packB(dst, 0, 256, 0, 256)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*256*256), "ns/elem")
		})
	}
}

// The assembly transpose for a transposed float32 B (packT8) writes the bits of the Go
// loops: strips of the AVX2 and AVX-512 widths, whole and partial, depths that are and are
// not multiples of eight, offsets into b, special values.
func TestPackBAsmMatchesGo(t *testing.T) {
	if !asmPack {
		t.Skip("packing runs in Go with this kernel set (" + Kernel + ")")
	}
	defer func() { asmPack = true }()
	rng := rand.New(rand.NewPCG(9, 10))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40}
	for _, nr := range []int{16, 64} {
		for _, c := range []struct{ pc, kcb, jc, ncb int }{
			{0, 256, 0, 256}, {3, 13, 5, 70}, {0, 7, 0, 64}, {8, 8, 1, 16}, {1, 41, 64, 130}, {0, 1, 0, 3},
		} {
			ldb := c.pc + c.kcb + 5
			bm := make([]float32, (c.jc+c.ncb)*ldb)
			for i := range bm {
				bm[i] = float32(rng.NormFloat64())
				if rng.IntN(9) == 0 {
					bm[i] = special[rng.IntN(len(special))]
				}
			}
			p := problem[float32]{alpha: 1, b: bm, ldb: ldb, tB: true, k: c.pc + c.kcb, nr: nr}
			size := c.kcb * ((c.ncb + nr - 1) / nr * nr)
			got, want := make([]float32, size), make([]float32, size)
			asmPack = true
			p.packB(got, c.pc, c.kcb, c.jc, c.ncb)
			asmPack = false
			p.packB(want, c.pc, c.kcb, c.jc, c.ncb)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("nr=%d %+v: element %d: assembly %v, Go %v", nr, c, i, got[i], want[i])
				}
			}
		}
	}
}
