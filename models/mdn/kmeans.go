package mdn

import (
	"math/rand/v2"
)

// kmeans returns k centres for pts: k-means++ seeding (each next centre drawn with
// probability proportional to its squared distance from the nearest chosen one), then
// ten Lloyd iterations. With fewer distinct points than k, centres repeat.
func kmeans(pts [][]float64, k int, rng *rand.Rand) [][]float64 {
	d := len(pts[0])
	centres := make([][]float64, 0, k)
	centres = append(centres, append([]float64(nil), pts[rng.IntN(len(pts))]...))
	dist := make([]float64, len(pts))
	for len(centres) < k {
		total := 0.0
		for i, p := range pts {
			dist[i] = nearest(p, centres)
			total += dist[i]
		}
		next := pts[rng.IntN(len(pts))]
		if total > 0 {
			u := rng.Float64() * total
			for i, w := range dist {
				if u < w {
					next = pts[i]
					break
				}
				u -= w
			}
		}
		centres = append(centres, append([]float64(nil), next...))
	}
	sums := make([][]float64, k)
	counts := make([]int, k)
	for i := range sums {
		sums[i] = make([]float64, d)
	}
	for iter := 0; iter < 10; iter++ {
		for c := range sums {
			clear(sums[c])
			counts[c] = 0
		}
		for _, p := range pts {
			c := argNearest(p, centres)
			counts[c]++
			for j, v := range p {
				sums[c][j] += v
			}
		}
		for c := range centres {
			if counts[c] == 0 {
				continue
			}
			for j := range centres[c] {
				centres[c][j] = sums[c][j] / float64(counts[c])
			}
		}
	}
	return centres
}

func sqDist(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		e := a[i] - b[i]
		s += e * e
	}
	return s
}

func nearest(p []float64, centres [][]float64) float64 {
	return sqDist(p, centres[argNearest(p, centres)])
}

func argNearest(p []float64, centres [][]float64) int {
	best, bi := sqDist(p, centres[0]), 0
	for i := 1; i < len(centres); i++ {
		if s := sqDist(p, centres[i]); s < best {
			best, bi = s, i
		}
	}
	return bi
}
