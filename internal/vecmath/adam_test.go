package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// AdamUpdate (with the AVX-512 kernel where the CPU has one) gives adamGo's bits on every
// element, special values included, for lengths that leave every remainder, with clipping
// on and off, in both dtypes, over several steps.
func TestAdamUpdateKernelMatchesGo(t *testing.T) {
	t.Logf("kernel %s", Kernel)
	testAdam[float64](t)
	testAdam[float32](t)
}

func testAdam[T float32 | float64](t *testing.T) {
	special := []float64{0, 1e-30, -1e-30, 1e30, -1e30, 11, -11, math.Inf(1), math.Inf(-1), math.NaN(), 3e-8, -2.5, 10, -10}
	for _, clip := range []float64{10, math.Inf(1)} {
		for _, n := range []int{1, 7, 8, 15, 16, 17, 33, 203} {
			rng := rand.New(rand.NewPCG(7, uint64(n)))
			k := &AdamConsts[T]{Clip: T(clip), NegClip: T(-clip), Beta1: 0.9, Beta2: 0.999, OmB1: 1 - T(0.9), OmB2: 1 - T(0.999), Eps: 1e-8}
			var w, m, v [2][]T
			for s := range 2 {
				w[s], m[s], v[s] = make([]T, n), make([]T, n), make([]T, n)
			}
			for i := range n {
				x := T(rng.NormFloat64())
				w[0][i], w[1][i] = x, x
			}
			for step := 1; step <= 4; step++ {
				k.NegEta = -T(0.01 * float64(step))
				k.CV1, k.CV2 = 1/T(1-math.Pow(0.9, float64(step))), 1/T(1-math.Pow(0.999, float64(step)))
				g0 := make([]T, n)
				for i := range g0 {
					g0[i] = T(5 * rng.NormFloat64())
				}
				for i, x := range special {
					if j := (i + step*3) % n; i < n {
						g0[j] = T(x)
					}
				}
				ga, gb := append([]T(nil), g0...), append([]T(nil), g0...)
				AdamUpdate(k, w[0], ga, m[0], v[0])
				adamGo(k, w[1], gb, m[1], v[1])
				for i := range n {
					for _, c := range []struct {
						what      string
						got, want T
					}{{"weight", w[0][i], w[1][i]}, {"first moment", m[0][i], m[1][i]}, {"second moment", v[0][i], v[1][i]}, {"gradient", ga[i], gb[i]}} {
						if !sameBits(c.got, c.want) {
							t.Fatalf("%T clip %g, n %d, step %d, element %d (gradient %g): %s %g, want %g", c.got, clip, n, step, i, g0[i], c.what, c.got, c.want)
						}
					}
				}
			}
		}
	}
}

func sameBits[T float32 | float64](a, b T) bool {
	if a != a && b != b {
		return true
	}
	switch a := any(a).(type) {
	case float64:
		return math.Float64bits(a) == math.Float64bits(any(b).(float64))
	default:
		return math.Float32bits(a.(float32)) == math.Float32bits(any(b).(float32))
	}
}
