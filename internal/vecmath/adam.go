package vecmath

import "math"

// AdamConsts are the constants of one Adam update (see AdamUpdate), in the precision of
// the values they update. Without clipping, Clip is +Inf and NegClip −Inf.
type AdamConsts[T float32 | float64] struct {
	Clip, NegClip, Beta1, Beta2, OmB1, OmB2, Eps, NegEta, CV1, CV2 T
}

// AdamUpdate makes one Adam update of every element i, in this order, each operation
// rounded on its own (no fused multiply-add):
//
//	g ← clamp(g_i, NegClip, Clip)   (NaN passes, ±Inf becomes the bound)
//	m_i ← g·OmB1 + m_i·Beta1,   v_i ← (g·g)·OmB2 + v_i·Beta2
//	w_i ← w_i + (m_i·CV1)·NegEta / (√(v_i·CV2) + Eps),   g_i ← 0
//
// With AVX-512 sixteen float32 or eight float64 elements go at a time, with the same
// operations and so the same bits (TestAdamUpdateKernelMatchesGo). All four slices have
// g's length.
func AdamUpdate[T float32 | float64](k *AdamConsts[T], w, g, m, v []T) {
	w, m, v = w[:len(g)], m[:len(g)], v[:len(g)]
	var n int
	switch k := any(k).(type) {
	case *AdamConsts[float64]:
		n = adamBlocks64(k, any(w).([]float64), any(g).([]float64), any(m).([]float64), any(v).([]float64))
	case *AdamConsts[float32]:
		n = adamBlocks32(k, any(w).([]float32), any(g).([]float32), any(m).([]float32), any(v).([]float32))
	}
	adamGo(k, w[n:], g[n:], m[n:], v[n:])
}

// adamGo is AdamUpdate one element at a time.
func adamGo[T float32 | float64](k *AdamConsts[T], w, g, m, v []T) {
	w, m, v = w[:len(g)], m[:len(g)], v[:len(g)]
	for i, gi := range g {
		if gi < k.NegClip {
			gi = k.NegClip
		} else if gi > k.Clip {
			gi = k.Clip
		}
		t1 := gi * k.OmB1
		g2 := gi * gi
		g2 = g2 * k.OmB2
		t1 += T(m[i] * k.Beta1)
		g2 += T(v[i] * k.Beta2)
		m[i], v[i] = t1, g2
		mh := t1 * k.CV1
		vh := g2 * k.CV2
		vh = T(math.Sqrt(float64(vh)))
		vh = vh + k.Eps
		mh = mh * k.NegEta
		mh = mh / vh
		w[i] = w[i] + mh
		g[i] = 0
	}
}
