package traincmd

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/internal/data"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/models/mlp"
	"github.com/mixgraph/mixgraph/train"
)

// Picture size and grid resolution.
const (
	plotWidth  = 16 * vg.Centimeter
	plotHeight = 11 * vg.Centimeter
	plotDPI    = 110
	gridX      = 160
	gridY      = 160
)

// writePlots writes learning.png always, and density.png and mixing.png for
// one-dimensional inputs and targets.
func writePlots(dir string, m *mdn.Model, h train.History, s *data.Set, baseline *mlp.Model) error {
	if err := savePlot(filepath.Join(dir, "learning.png"), learningPlot(h)); err != nil {
		return err
	}
	if s.XDim != 1 || s.YDim != 1 {
		return nil
	}
	dp, mp, err := densityPlots(m, s, baseline)
	if err != nil {
		return err
	}
	if err := savePlot(filepath.Join(dir, "density.png"), dp); err != nil {
		return err
	}
	return savePlot(filepath.Join(dir, "mixing.png"), mp)
}

func savePlot(path string, p *plot.Plot) error {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI))}
	p.Draw(draw.New(c))
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := c.WriteTo(w)
		return err
	})
}

func learningPlot(h train.History) *plot.Plot {
	p := plot.New()
	p.Title.Text = "Learning curves"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "NLL per point (nats)"
	var tr, va plotter.XYs
	for _, e := range h {
		if !math.IsNaN(e.TrainNLL) {
			tr = append(tr, plotter.XY{X: float64(e.Epoch), Y: e.TrainNLL})
		}
		if !math.IsNaN(e.ValNLL) {
			va = append(va, plotter.XY{X: float64(e.Epoch), Y: e.ValNLL})
		}
	}
	addLine(p, tr, "train", color.RGBA{R: 31, G: 119, B: 180, A: 255})
	addLine(p, va, "validation", color.RGBA{R: 255, G: 127, B: 14, A: 255})
	p.Legend.Top = true
	return p
}

func addLine(p *plot.Plot, xy plotter.XYs, name string, c color.Color) {
	if len(xy) == 0 {
		return
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(name, l)
}

// grid is a p(y|x) grid for a heat map.
type grid struct {
	xs, ys []float64
	z      [][]float64 // z[i][j] = p(ys[j] | xs[i])
}

func (g grid) Dims() (c, r int)   { return len(g.xs), len(g.ys) }
func (g grid) Z(c, r int) float64 { return g.z[c][r] }
func (g grid) X(c int) float64    { return g.xs[c] }
func (g grid) Y(r int) float64    { return g.ys[r] }

func span(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	pad := 0.05 * (hi - lo)
	if pad == 0 {
		pad = 1
	}
	return lo - pad, hi + pad
}

func linspace(lo, hi float64, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return v
}

var componentColors = []color.RGBA{
	{228, 26, 28, 255}, {55, 126, 184, 255}, {77, 175, 74, 255}, {152, 78, 163, 255},
	{255, 127, 0, 255}, {166, 86, 40, 255}, {247, 129, 191, 255}, {153, 153, 153, 255},
}

func densityPlots(m *mdn.Model, s *data.Set, baseline *mlp.Model) (*plot.Plot, *plot.Plot, error) {
	xlo, xhi := span(s.X)
	ylo, yhi := span(s.Y)
	g := grid{xs: linspace(xlo, xhi, gridX), ys: linspace(ylo, yhi, gridY)}
	rows := make([][]float64, gridX)
	for i, x := range g.xs {
		rows[i] = []float64{x}
	}
	mix, err := m.Predict(rows)
	if err != nil {
		return nil, nil, err
	}
	g.z = make([][]float64, gridX)
	for i := range g.xs {
		g.z[i] = make([]float64, gridY)
		for j, y := range g.ys {
			g.z[i][j] = math.Exp(mix[i].LogProb([]float64{y}))
		}
	}
	dp := plot.New()
	dp.Title.Text = "Predicted density p(y | x), data, component means and the least-squares fit"
	dp.Title.TextStyle.Font.Size = vg.Points(10)
	dp.X.Label.Text, dp.Y.Label.Text = name(s.XNames, "x"), name(s.YNames, "y")
	pal := moreland.SmoothBlueRed().Palette(64)
	hm := plotter.NewHeatMap(g, pal)
	// Cap the colour scale at the 98th percentile so that the narrow, tall ends of a
	// branch do not wash out the wide middle; denser cells take the top colour.
	hm.Min, hm.Max = 0, percentile(g.z, 0.98)
	hm.Overflow = pal.Colors()[len(pal.Colors())-1]
	hm.Rasterized = true
	dp.Add(hm)

	pts := make(plotter.XYs, s.N)
	for i := range pts {
		pts[i] = plotter.XY{X: s.X[i], Y: s.Y[i]}
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, nil, err
	}
	sc.GlyphStyle.Radius = vg.Points(1)
	sc.GlyphStyle.Color = color.RGBA{0, 0, 0, 110}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	dp.Add(sc)
	dp.Legend.Add("data", sc)

	mp := plot.New()
	mp.Title.Text = "Mixing proportions π_k(x)"
	mp.X.Label.Text, mp.Y.Label.Text = name(s.XNames, "x"), "π_k"
	mp.Y.Min, mp.Y.Max = 0, 1
	k := m.Config().K
	for c := 0; c < k; c++ {
		var means, pis plotter.XYs
		for i, x := range g.xs {
			pis = append(pis, plotter.XY{X: x, Y: mix[i].Weights[c]})
			if mix[i].Weights[c] > 0.05 { // draw a mean only where its component matters
				means = append(means, plotter.XY{X: x, Y: mix[i].Means[c][0]})
			}
		}
		col := componentColors[c%len(componentColors)]
		if len(means) > 1 {
			sm, err := plotter.NewScatter(means)
			if err == nil {
				sm.GlyphStyle.Radius = vg.Points(0.9)
				sm.GlyphStyle.Color = col
				sm.GlyphStyle.Shape = draw.CircleGlyph{}
				dp.Add(sm)
				if c == 0 {
					dp.Legend.Add("component means (π > 0.05)", sm)
				}
			}
		}
		addLine(mp, pis, fmt.Sprintf("k = %d", c), col)
	}
	if baseline != nil {
		yhat, err := baseline.Predict(rows)
		if err != nil {
			return nil, nil, err
		}
		var fit plotter.XYs
		for i, x := range g.xs {
			fit = append(fit, plotter.XY{X: x, Y: yhat[i][0]})
		}
		addLine(dp, fit, "least-squares MLP", color.RGBA{255, 255, 255, 255})
	}
	dp.X.Min, dp.X.Max, dp.Y.Min, dp.Y.Max = xlo, xhi, ylo, yhi
	// Bottom right: below the upper branch of an increasing relation, usually empty.
	dp.Legend.Top = false
	dp.Legend.XOffs, dp.Legend.YOffs = -vg.Points(6), vg.Points(6)
	dp.Legend.TextStyle.Color = color.White
	return dp, mp, nil
}

func percentile(z [][]float64, q float64) float64 {
	var all []float64
	for _, col := range z {
		all = append(all, col...)
	}
	sort.Float64s(all)
	return all[int(q*float64(len(all)-1))]
}

func name(names []string, def string) string {
	if len(names) > 0 {
		return names[0]
	}
	return def
}
