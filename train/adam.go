package train

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/internal/gorgonia"
	"github.com/mixgraph/mixgraph/internal/vecmath"
)

// adam is Adam's update made in one pass over a shard's elements, where Gorgonia's
// AdamSolver makes about fifteen (clamp, two scalings, a square, two scaled adds, four
// clones, the bias corrections, a square root, a division, an add and a zeroing) and
// allocates four vectors of the shard's size. Per element, with g the gradient, m and v
// the moment estimates, w the weight and t the step count:
//
//	g ← clamp(g, −c, c)    (when clipping)
//	m ← (1−β₁)·g + β₁·m,   v ← (1−β₂)·g² + β₂·v
//	w ← w + (−η·(m·(1/(1−β₁ᵗ)))) / (√(v·(1/(1−β₂ᵗ))) + ε),   g ← 0
//
// Every operation is the one Gorgonia's solver makes, in its order and with its roundings
// (its constants computed as it computes them, in the dtype's precision), so the weights
// and moments are Gorgonia's bit for bit (TestSolverSpansMatchPerParameterSolver,
// TestAdamMatchesGorgonia). The pass is vecmath.AdamUpdate, vectorised with AVX-512. The step count and the moments stay in the shard's Gorgonia
// solver, where checkpoints read and restore them.
type adam struct {
	eta, beta1, beta2, eps, clip float64
	useClip                      bool
}

// newAdam returns the fused update for cfg (defaults applied), whose solver is Adam.
func newAdam(cfg Config) *adam {
	return &adam{eta: cfg.LearnRate, beta1: cfg.Beta1, beta2: cfg.Beta2, eps: cfg.Epsilon, clip: cfg.Clip, useClip: cfg.Clip > 0}
}

// step applies one update to w from g with the moments kept in s (made, zero, on the
// first step), advancing s's step count.
func (a *adam) step(s *G.AdamSolver, w, g *tensor.Dense) error {
	iter, err := gorgonia.AdamIter(s)
	if err != nil {
		return err
	}
	iter++
	if err := gorgonia.SetAdamIter(s, iter); err != nil {
		return err
	}
	var m, v *tensor.Dense
	entries := 0
	err = gorgonia.EachCached(s, func(val, d G.Value) {
		entries++
		m, _ = val.(*tensor.Dense)
		v, _ = d.(*tensor.Dense)
	})
	switch {
	case err != nil:
		return err
	case entries > 1:
		return fmt.Errorf("train: Adam keeps %d cache entries for one span", entries)
	case m == nil || v == nil:
		m = tensor.New(tensor.Of(w.Dtype()), tensor.WithShape(w.Shape().Clone()...))
		v = tensor.New(tensor.Of(w.Dtype()), tensor.WithShape(w.Shape().Clone()...))
		if err := gorgonia.SetCache(s, []gorgonia.Cached{{Value: m, Deriv: v}}); err != nil {
			return err
		}
	}
	if m.Len() != w.Len() || v.Len() != w.Len() || g.Len() != w.Len() || m.Dtype() != w.Dtype() || v.Dtype() != w.Dtype() || g.Dtype() != w.Dtype() {
		return fmt.Errorf("train: Adam's moments (%v %v, %v %v) do not fit the weights (%v %v)", m.Dtype(), m.Shape(), v.Dtype(), v.Shape(), w.Dtype(), w.Shape())
	}
	c1 := 1 - math.Pow(a.beta1, float64(iter))
	c2 := 1 - math.Pow(a.beta2, float64(iter))
	clip := math.Inf(1)
	if a.useClip {
		clip = a.clip
	}
	if w.Dtype() == tensor.Float64 {
		k := vecmath.AdamConsts[float64]{
			Clip: clip, NegClip: -clip, Beta1: a.beta1, Beta2: a.beta2,
			OmB1: 1 - a.beta1, OmB2: 1 - a.beta2, Eps: a.eps, NegEta: -a.eta,
			CV1: 1 / c1, CV2: 1 / c2,
		}
		vecmath.AdamUpdate(&k, w.Float64s(), g.Float64s(), m.Float64s(), v.Float64s())
		return nil
	}
	k := vecmath.AdamConsts[float32]{
		Clip: float32(clip), NegClip: -float32(clip), Beta1: float32(a.beta1), Beta2: float32(a.beta2),
		OmB1: 1 - float32(a.beta1), OmB2: 1 - float32(a.beta2), Eps: float32(a.eps), NegEta: -float32(a.eta),
		CV1: 1 / float32(c1), CV2: 1 / float32(c2),
	}
	vecmath.AdamUpdate(&k, w.Float32s(), g.Float32s(), m.Float32s(), v.Float32s())
	return nil
}
