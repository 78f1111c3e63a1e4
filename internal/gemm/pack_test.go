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
