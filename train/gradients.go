package train

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/cores"
	"github.com/mixgraph/mixgraph/internal/vecmath"
)

// prepareGrads sets t.grad to the batch's gradient, Σ (rows_i / rows)·g_i over the
// parts' gradients g_i summed in part order (one part: a copy), plus L2·w; measures it
// (global norm before clipping, elements over the clip threshold) and checks it is
// finite; applies global-norm clipping, and for RMSProp clamps it so that the solver's
// squared-gradient average sees clipped values. The parts' gradients are cleared.
func (t *trainer) prepareGrads(s *stepper) (norm float64, clipped, elems int, err error) {
	c := t.cfg
	defer s.zeroGrads()
	if s.srcs == nil {
		s.srcs = make([][]*tensor.Dense, len(s.parts))
		for j := range s.srcs {
			s.srcs[j] = make([]*tensor.Dense, len(t.params))
		}
	}
	for j, p := range s.parts {
		for i := range t.params {
			g, err := p.r.Grad(i)
			if err != nil {
				return 0, 0, 0, err
			}
			d, ok := g.(*tensor.Dense)
			if !ok || d.Shape().TotalSize() != t.params[i].Size() {
				return 0, 0, 0, fmt.Errorf("gradient of %q is a %T of shape %v", t.params[i].Name, g, g.Shape())
			}
			s.srcs[j][i] = d
		}
	}
	var sq float64
	var bad int
	if t.grad.Dtype() == tensor.Float64 {
		sq, clipped, bad = reduceGrads(t, s, t.grad.Float64s(), t.weights.Float64s())
	} else {
		sq, clipped, bad = reduceGrads(t, s, t.grad.Float32s(), t.weights.Float32s())
	}
	if bad >= 0 {
		i := t.paramAt(bad)
		v := graph.AppendFloat64s(nil, t.grad)[bad]
		return 0, 0, 0, fmt.Errorf("gradient of %q element %d is %g: %w", t.params[i].Name, bad-t.ps.Offset(i), v, ErrNonFinite)
	}
	norm = math.Sqrt(sq)
	scale := 1.0
	if c.ClipNorm > 0 && norm > c.ClipNorm {
		scale = c.ClipNorm / norm
	}
	if scale != 1 || (c.Solver == RMSProp && c.Clip > 0) {
		if t.grad.Dtype() == tensor.Float64 {
			gd := t.grad.Float64s()
			for j := range gd {
				gd[j] = clamp(gd[j]*scale, c)
			}
		} else {
			gd := t.grad.Float32s()
			for j := range gd {
				gd[j] = float32(clamp(float64(gd[j])*scale, c))
			}
		}
	}
	return norm, clipped, t.ps.Count(), nil
}

// gradChunk is the most gradient elements in one partial sum of squares. The partial
// sums are added in chunk order, so the norm's bits do not depend on how many goroutines
// computed them.
const gradChunk = 1 << 14

// parallelGrads is the parameter count from which prepareGrads splits its chunks
// between goroutines.
const parallelGrads = 1 << 16

// chunk is elements lo to hi−1 of the parameters' array, all in parameter param.
type chunk struct{ param, lo, hi int }

// reduceGrads fills g (the step's gradient) chunk by chunk from the parts' gradients and
// returns Σg², the count of elements over the clip threshold and the first non-finite
// element (−1 when all are finite).
func reduceGrads[T float32 | float64](t *trainer, s *stepper, g, w []T) (sq float64, clipped, bad int) {
	if t.chunks == nil {
		for i := range t.params {
			for lo := t.ps.Offset(i); lo < t.ps.Offset(i+1); lo += gradChunk {
				t.chunks = append(t.chunks, chunk{i, lo, min(lo+gradChunk, t.ps.Offset(i+1))})
			}
		}
		t.chunkSq = make([]float64, len(t.chunks))
		t.chunkClipped = make([]int, len(t.chunks))
	}
	clip := math.Inf(1)
	if t.cfg.Clip > 0 {
		clip = t.cfg.Clip
	}
	do := func(k int) {
		ch := t.chunks[k]
		dst := g[ch.lo:ch.hi]
		off := t.ps.Offset(ch.param)
		for j, p := range s.parts {
			src := dataOf[T](s.srcs[j][ch.param])[ch.lo-off : ch.hi-off]
			scaleInto(dst, src, T(float64(p.rows)/float64(s.rows)), j > 0)
		}
		if l2 := T(t.l2At(ch.param)); l2 != 0 {
			for k, x := range w[ch.lo:ch.hi] {
				dst[k] += l2 * x
			}
		}
		t.chunkSq[k], t.chunkClipped[k] = sumSquares(dst, clip)
	}
	if workers := cores.Free(); workers > 1 && len(g) >= parallelGrads {
		var wg sync.WaitGroup
		for w := 1; w < workers; w++ {
			wg.Go(func() {
				for k := w; k < len(t.chunks); k += workers {
					do(k)
				}
			})
		}
		for k := 0; k < len(t.chunks); k += workers {
			do(k)
		}
		wg.Wait()
	} else {
		for k := range t.chunks {
			do(k)
		}
	}
	for k := range t.chunks {
		sq += t.chunkSq[k]
		clipped += t.chunkClipped[k]
	}
	if math.IsNaN(sq) || math.IsInf(sq, 0) {
		// Some element is not finite, or the squares overflowed.
		if j, _, found := firstNonFiniteIn(g); found {
			return 0, 0, j
		}
	}
	return sq, clipped, -1
}

// scaleInto sets dst = w·src, or adds w·src into dst when add is set; dst and src may
// be the same slice (vecmath.Scale: a register at a time, the bits of the plain loop).
func scaleInto[T float32 | float64](dst, src []T, w T, add bool) { vecmath.Scale(dst, src, w, add) }

// dataOf is d's values as a []T (T its dtype).
func dataOf[T float32 | float64](d *tensor.Dense) []T {
	var zero T
	if unsafe.Sizeof(zero) == 8 {
		f := d.Float64s()
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(f))), len(f))
	}
	f := d.Float32s()
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(f))), len(f))
}

// sumSquares returns Σx² (in float64, summed in four interleaved chains) and the count
// of elements with |x| > clip (vecmath.SumSquares: the chains as the lanes of a register,
// the bits of the plain loop).
func sumSquares[T float32 | float64](g []T, clip float64) (sq float64, clipped int) {
	return vecmath.SumSquares(g, clip)
}

// paramAt is the index of the parameter holding element j of the parameters' array.
func (t *trainer) paramAt(j int) int {
	return sort.Search(len(t.params), func(i int) bool { return t.ps.Offset(i+1) > j })
}

func clamp(v float64, c Config) float64 {
	if c.Solver == RMSProp && c.Clip > 0 {
		return math.Max(-c.Clip, math.Min(c.Clip, v))
	}
	return v
}

// firstNonFinite finds the first NaN or infinite element of v.
func firstNonFinite(v *tensor.Dense) (int, float64, bool) {
	if v.Dtype() == tensor.Float64 {
		return firstNonFiniteIn(v.Float64s())
	}
	return firstNonFiniteIn(v.Float32s())
}

func firstNonFiniteIn[T float32 | float64](d []T) (int, float64, bool) {
	if allFinite(d) {
		return 0, 0, false
	}
	for i, v := range d {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return i, f, true
		}
	}
	return 0, 0, false
}

// allFinite reports whether no element of d is NaN or infinite (vecmath.AllFinite).
func allFinite[T float32 | float64](d []T) bool { return vecmath.AllFinite(d) }

// l2At is the decay coefficient of parameter i: Config.L2, plus Config.WeightDecay/N for a
// weight matrix (a parameter named "….W"; biases are not decayed by WeightDecay).
func (t *trainer) l2At(i int) float64 {
	if t.decay != 0 && strings.HasSuffix(t.params[i].Name, ".W") {
		return t.l2 + t.decay
	}
	return t.l2
}
