package traincmd

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/models/mlp"
	"github.com/mixgraph/mixgraph/train"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// Picture size and grid resolution.
const (
	plotWidth  = 16 * vg.Centimeter
	plotHeight = 11 * vg.Centimeter
	plotDPI    = 110
	gridX      = 160
	gridY      = 160
)

// plotFormats are the picture formats -plot_format accepts; the first is the default.
var plotFormats = []string{"png", "svg", "pdf"}

// Density colour scale: log10 p over densityDecades decades below the grid's maximum;
// lower densities take the lightest colour.
const densityDecades = 3

// writePlots writes learning.<format> always, and density.<format> and
// mixing.<format> for one-dimensional inputs and targets. bestEpoch is the epoch
// whose weights were kept (0: the final ones); format is png, svg or pdf.
func writePlots(dir string, m *mdn.Model, h train.History, bestEpoch int, s *datasets.Set, baseline *mlp.Model, format string, cal []mdn.Calibration) error {
	if format == "" {
		format = plotFormats[0]
	}
	file := func(name string) string { return filepath.Join(dir, name+"."+format) }
	if err := savePlot(file("learning"), format, learningPlot(h, bestEpoch)); err != nil {
		return err
	}
	for d, c := range cal {
		name := "calibration"
		if len(cal) > 1 {
			name = fmt.Sprintf("calibration-%d", d+1)
		}
		if err := savePlot(file(name), format, calibrationPlot(c, s.YNames[d])); err != nil {
			return err
		}
	}
	if s.XDim != 1 || s.YDim != 1 {
		return nil
	}
	df, mf, err := densityPlots(m, s, baseline)
	if err != nil {
		return err
	}
	if err := saveFigure(file("density"), format, df.draw); err != nil {
		return err
	}
	return saveFigure(file("mixing"), format, mf.draw)
}

func savePlot(path, format string, p *plot.Plot) error {
	return saveFigure(path, format, p.Draw)
}

// saveFigure draws a picture of plotWidth × plotHeight and writes it as format.
func saveFigure(path, format string, drawFn func(draw.Canvas)) error {
	var c vg.CanvasWriterTo
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI))}
	case "svg":
		c = vgsvg.New(plotWidth, plotHeight)
	case "pdf":
		c = vgpdf.New(plotWidth, plotHeight)
	default:
		panic(fmt.Sprintf("traincmd: plot format %q", format))
	}
	drawFn(draw.New(c))
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := c.WriteTo(w)
		return err
	})
}

// learningPlot draws the training and validation NLL per epoch, framed on the
// informative range (the first epochs' large values may leave the top), with the
// kept epoch marked.
func learningPlot(h train.History, bestEpoch int) *plot.Plot {
	p := plot.New()
	p.Title.Text = "Learning curves"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "NLL per point (nats)"
	var tr, va plotter.XYs
	for _, e := range h {
		if !math.IsNaN(e.TrainNLL) && !math.IsInf(e.TrainNLL, 0) {
			tr = append(tr, plotter.XY{X: float64(e.Epoch), Y: e.TrainNLL})
		}
		if !math.IsNaN(e.ValNLL) && !math.IsInf(e.ValNLL, 0) {
			va = append(va, plotter.XY{X: float64(e.Epoch), Y: e.ValNLL})
		}
	}
	addLine(p, tr, "train (running mean within the epoch)", color.RGBA{R: 31, G: 119, B: 180, A: 255})
	addLine(p, va, "validation (after the epoch)", color.RGBA{R: 255, G: 127, B: 14, A: 255})
	top := math.NaN()
	if lo, hi, ok := learningRange(tr, va); ok {
		// Headroom for the legend above the curves.
		p.Y.Min, p.Y.Max, top = lo, hi+0.3*(hi-lo), hi
	}
	p.Y.Tick.Marker = fixedTicks{}
	if len(h) > 0 {
		p.X.Min, p.X.Max = float64(h[0].Epoch), math.Max(float64(h[len(h)-1].Epoch), float64(h[0].Epoch)+1)
	}
	markKept(p, h, bestEpoch, top)
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	return p
}

// learningRange is the y range of the learning curves without their first
// epochs: from the lowest later value to the 98th percentile of the later values,
// padded by 8% of the span. ok is false when there is nothing to frame.
func learningRange(curves ...plotter.XYs) (lo, hi float64, ok bool) {
	var later []float64
	for _, c := range curves {
		skip := min(max(2, len(c)/10), len(c)/2)
		for _, xy := range c[skip:] {
			later = append(later, xy.Y)
		}
	}
	if len(later) == 0 {
		return 0, 0, false
	}
	sort.Float64s(later)
	lo, hi = later[0], later[int(0.98*float64(len(later)-1)+0.5)]
	pad := 0.08 * (hi - lo)
	if pad == 0 {
		pad = 0.05*math.Abs(hi) + 0.01
	}
	return lo - pad, hi + pad, true
}

// markKept draws a dashed vertical line at the epoch whose weights were kept, up
// to top (NaN: the top of the plot), and a dot on its validation NLL.
func markKept(p *plot.Plot, h train.History, bestEpoch int, top float64) {
	if len(h) == 0 {
		return
	}
	e := h[len(h)-1]
	label := fmt.Sprintf("kept: final epoch %d", e.Epoch)
	if bestEpoch > 0 {
		for _, x := range h {
			if x.Epoch == bestEpoch {
				e = x
			}
		}
		label = fmt.Sprintf("kept: epoch %d (best validation NLL %.4g)", e.Epoch, e.ValNLL)
	}
	if math.IsNaN(top) {
		top = p.Y.Max
	}
	l, err := plotter.NewLine(plotter.XYs{{X: float64(e.Epoch), Y: p.Y.Min}, {X: float64(e.Epoch), Y: top}})
	if err != nil {
		return
	}
	l.Color = color.RGBA{R: 60, G: 60, B: 60, A: 255}
	l.Width = vg.Points(1)
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
	p.Legend.Add(label, l)
	if bestEpoch > 0 && !math.IsNaN(e.ValNLL) {
		if sc, err := plotter.NewScatter(plotter.XYs{{X: float64(e.Epoch), Y: e.ValNLL}}); err == nil {
			sc.GlyphStyle = draw.GlyphStyle{Color: l.Color, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
			p.Add(sc)
		}
	}
}

// fixedTicks are gonum's default ticks labelled with as many decimals as their
// spacing needs, so that neighbouring labels always differ.
type fixedTicks struct{}

func (fixedTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	step := math.Inf(1)
	var prev float64
	n := 0
	for _, t := range ts {
		if t.Label == "" {
			continue
		}
		if n > 0 {
			step = math.Min(step, t.Value-prev)
		}
		prev = t.Value
		n++
	}
	if n < 2 || !(step > 0) {
		return ts
	}
	dec := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	for i, t := range ts {
		if t.Label != "" {
			ts[i].Label = strconv.FormatFloat(t.Value, 'f', dec, 64)
		}
	}
	return ts
}

func addLine(p *plot.Plot, xy plotter.XYs, name string, c color.Color) {
	if l := newLine(xy, c); l != nil {
		p.Add(l)
		p.Legend.Add(name, l)
	}
}

// newLine is a 1.5 pt line through xy, or nil when there is nothing to draw.
func newLine(xy plotter.XYs, c color.Color) *plotter.Line {
	if len(xy) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	return l
}

// grid is a heat map of v[i][j] = f(p(ys[j] | xs[i])).
type grid struct {
	xs, ys []float64
	z      [][]float64
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

// componentColors tell the mixture's components apart on a light-to-dark-blue
// density: warm and green hues first, no light colours.
var componentColors = []color.RGBA{
	{228, 26, 28, 255}, {255, 127, 0, 255}, {77, 175, 74, 255}, {152, 78, 163, 255},
	{166, 86, 40, 255}, {247, 129, 191, 255}, {0, 160, 160, 255}, {110, 110, 110, 255},
}

func componentColor(k int) color.RGBA { return componentColors[k%len(componentColors)] }

// densityColors is a sequential colour map from white (low) to dark blue (high),
// its luminance linear in the value.
func densityColors() palette.ColorMap {
	cm, err := moreland.NewLuminance([]color.Color{
		color.NRGBA{R: 34, G: 94, B: 168, A: 255},
		color.NRGBA{R: 65, G: 182, B: 196, A: 255},
		color.NRGBA{R: 199, G: 233, B: 180, A: 255},
		color.NRGBA{R: 255, G: 255, B: 255, A: 255},
	})
	if err != nil {
		panic("traincmd: " + err.Error())
	}
	return palette.Reverse(cm)
}

// densityPalette samples densityColors at n evenly spaced values.
func densityPalette(n int) palette.Palette {
	cm := densityColors()
	cm.SetMin(0)
	cm.SetMax(1)
	cols := make([]color.Color, n)
	for i := range cols {
		c, err := cm.At(math.Min(1, float64(i)/float64(n-1)))
		if err != nil {
			panic("traincmd: " + err.Error())
		}
		cols[i] = c
	}
	return colorList(cols)
}

// colorList is a palette.Palette of given colours.
type colorList []color.Color

func (l colorList) Colors() []color.Color { return l }

// figure is a plot with its legend, and optionally a colour bar below the legend, in
// a strip on its right, so that no legend hides the data.
type figure struct {
	main   *plot.Plot
	legend plot.Legend
	bar    *plot.Plot // nil: none
	strip  vg.Length  // width of the right strip
}

// colorBarWidth is the width of a colour bar with its axis and label.
const colorBarWidth = 2.1 * vg.Centimeter

// layout returns the canvases of the plot and of the strip on its right. The strip is
// at least as wide as the legend's longest entry (an ensemble's "components 1, 11, …"
// labels are longer than one model's), and at most half the picture.
func (f *figure) layout(dc draw.Canvas) (left, right draw.Canvas) {
	f.legend.Top, f.legend.Left = true, true
	r := f.legend.Rectangle(dc)
	strip := min(max(f.strip, r.Max.X-r.Min.X+vg.Points(14)), (dc.Max.X-dc.Min.X)/2)
	left = draw.Crop(dc, 0, -strip, 0, 0)
	data := f.main.DataCanvas(left)
	right = dc
	right.Min.X = dc.Max.X - strip + vg.Points(10)
	right.Max.X = dc.Max.X - vg.Points(4)
	right.Min.Y, right.Max.Y = data.Min.Y, data.Max.Y
	return left, right
}

func (f figure) draw(dc draw.Canvas) {
	left, right := f.layout(dc)
	f.main.Draw(left)
	f.legend.Draw(right)
	if f.bar == nil {
		return
	}
	bc := right
	bc.Max.Y = f.legend.Rectangle(right).Min.Y - vg.Points(14)
	bc.Max.X = bc.Min.X + colorBarWidth
	// Widen the canvas by the bar plot's own margins so that the bar's bottom meets
	// the heat map's.
	in := f.bar.DataCanvas(bc)
	bc.Min.Y -= in.Min.Y - bc.Min.Y
	bc.Max.Y += bc.Max.Y - in.Max.Y
	if bc.Max.Y-bc.Min.Y > vg.Points(40) {
		f.bar.Draw(bc)
	}
}

// decades are ticks for a log10 axis: each power of ten labelled with its value,
// and unlabelled ticks at 2..9 times it.
type decades struct{}

func (decades) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for k := math.Floor(lo); k <= math.Ceil(hi); k++ {
		if k >= lo && k <= hi {
			ts = append(ts, plot.Tick{Value: k, Label: strconv.FormatFloat(math.Pow(10, k), 'g', -1, 64)})
		}
		for m := 2.0; m < 10; m++ {
			if v := k + math.Log10(m); v >= lo && v <= hi {
				ts = append(ts, plot.Tick{Value: v})
			}
		}
	}
	return ts
}

// Components beyond len(componentColors) share their colours; the legend says so.
func componentLabel(c, k int) string {
	n := len(componentColors)
	if k <= n {
		return fmt.Sprintf("component %d", c+1)
	}
	return fmt.Sprintf("components %d, %d, …", c+1, c+1+n)
}

// legendGlyph is a legend entry's thumbnail: a dot of the given colour.
func legendGlyph(col color.Color, radius vg.Length) plot.Thumbnailer {
	sc, err := plotter.NewScatter(plotter.XYs{{}})
	if err != nil {
		panic("traincmd: " + err.Error())
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: radius, Shape: draw.CircleGlyph{}}
	return sc
}

func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font.Size = vg.Points(10)
	l.ThumbnailWidth = vg.Points(14)
	return l
}

func densityPlots(m *mdn.Model, s *datasets.Set, baseline *mlp.Model) (density, mixing figure, err error) {
	xName, yName := name(s.XNames, "x"), name(s.YNames, "y")
	cond := fmt.Sprintf("p(%s | %s)", yName, xName)
	xlo, xhi := span(s.X)
	ylo, yhi := span(s.Y)
	g := grid{xs: linspace(xlo, xhi, gridX), ys: linspace(ylo, yhi, gridY)}
	rows := make([][]float64, gridX)
	for i, x := range g.xs {
		rows[i] = []float64{x}
	}
	mix, err := m.Predict(rows)
	if err != nil {
		return figure{}, figure{}, err
	}
	// Colour by log10 p over densityDecades decades below the maximum, so that the
	// narrow, tall ends of a branch and its wide middle both show.
	g.z = make([][]float64, gridX)
	top := math.Inf(-1)
	for i := range g.xs {
		g.z[i] = make([]float64, gridY)
		for j, y := range g.ys {
			v := mix[i].LogProb([]float64{y}) / math.Ln10
			g.z[i][j] = v
			if !math.IsNaN(v) {
				top = math.Max(top, v)
			}
		}
	}
	if math.IsInf(top, 0) {
		top = 0
	}
	bottom := top - densityDecades
	for i := range g.z {
		for j, v := range g.z[i] {
			if math.IsNaN(v) || v < bottom {
				g.z[i][j] = bottom
			}
		}
	}

	dp := plot.New()
	dp.Title.Text = fmt.Sprintf("Predicted density %s with the data", cond)
	dp.X.Label.Text, dp.Y.Label.Text = xName, yName
	hm := plotter.NewHeatMap(g, densityPalette(128))
	hm.Min, hm.Max = bottom, top
	hm.Rasterized = true
	dp.Add(hm)
	dl := newLegend()

	pts := make(plotter.XYs, s.N)
	for i := range pts {
		pts[i] = plotter.XY{X: s.X[i], Y: s.Y[i]}
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return figure{}, figure{}, err
	}
	sc.GlyphStyle.Radius = vg.Points(0.9)
	sc.GlyphStyle.Color = color.RGBA{0, 0, 0, 110}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	dp.Add(sc)
	dl.Add("data", legendGlyph(color.Black, vg.Points(1.5)))

	mp := plot.New()
	mp.Title.Text = fmt.Sprintf("Mixing proportions π(%s) per component", xName)
	mp.X.Label.Text, mp.Y.Label.Text = xName, "mixing proportion π"
	mp.Y.Min, mp.Y.Max = 0, 1
	ml := newLegend()
	k := m.Config().K
	for c := 0; c < k; c++ {
		var means, pis plotter.XYs
		for i, x := range g.xs {
			pis = append(pis, plotter.XY{X: x, Y: mix[i].Weights[c]})
			if mix[i].Weights[c] > 0.05 { // draw a mean only where its component matters
				means = append(means, plotter.XY{X: x, Y: mix[i].Means[c][0]})
			}
		}
		col := componentColor(c)
		if len(means) > 0 {
			if sm, err := plotter.NewScatter(means); err == nil {
				sm.GlyphStyle.Radius = vg.Points(1.2)
				sm.GlyphStyle.Color = col
				sm.GlyphStyle.Shape = draw.CircleGlyph{}
				dp.Add(sm)
			}
		}
		if c < len(componentColors) {
			dl.Add("mean of "+componentLabel(c, k), legendGlyph(col, vg.Points(3)))
		}
		if l := newLine(pis, col); l != nil {
			mp.Add(l)
			if c < len(componentColors) {
				ml.Add(componentLabel(c, k), l)
			}
		}
	}
	dl.Add("(where π > 0.05)")
	if baseline != nil {
		yhat, err := baseline.Predict(rows)
		if err != nil {
			return figure{}, figure{}, err
		}
		var fit plotter.XYs
		for i, x := range g.xs {
			fit = append(fit, plotter.XY{X: x, Y: yhat[i][0]})
		}
		if l := newLine(fit, color.Black); l != nil {
			dp.Add(l)
			dl.Add("least-squares MLP", l)
		}
	}
	dp.X.Min, dp.X.Max, dp.Y.Min, dp.Y.Max = xlo, xhi, ylo, yhi

	cm := densityColors()
	cm.SetMin(bottom)
	cm.SetMax(top)
	bar := plot.New()
	bar.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	bar.HideX()
	bar.Y.Label.Text = "density " + cond + ", log scale"
	bar.Y.Label.TextStyle.Font.Size = vg.Points(10)
	bar.Y.Tick.Label.Font.Size = vg.Points(9)
	bar.Y.Tick.Marker = decades{}
	bar.Y.Padding = 0
	density = figure{main: dp, legend: dl, bar: bar, strip: 4.2 * vg.Centimeter}
	mixing = figure{main: mp, legend: ml, strip: 3.2 * vg.Centimeter}
	return density, mixing, nil
}

func name(names []string, def string) string {
	if len(names) > 0 {
		return names[0]
	}
	return def
}

// calibrationPlot draws the histogram of the test rows' PIT values u = F(y | x) as
// densities (a calibrated model gives the dashed line at 1), with the KS distance, CRPS
// and interval coverage in the title.
func calibrationPlot(c mdn.Calibration, column string) *plot.Plot {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Calibration of %s on %d test rows\nKS %.3f, CRPS %.4g, coverage %.2f (50%%) and %.2f (90%%)", column, c.N, c.KS, c.CRPS, c.Coverage50, c.Coverage90)
	p.X.Label.Text = "PIT value F(y | x)"
	p.Y.Label.Text = "density"
	bins := make([]plotter.HistogramBin, len(c.Histogram))
	w := 1 / float64(len(c.Histogram))
	top := 1.0
	for i, n := range c.Histogram {
		bins[i] = plotter.HistogramBin{Min: float64(i) * w, Max: float64(i+1) * w, Weight: float64(n) / (float64(max(1, c.N)) * w)}
		top = math.Max(top, bins[i].Weight)
	}
	h := &plotter.Histogram{Bins: bins, Width: w, FillColor: color.RGBA{R: 31, G: 119, B: 180, A: 160}, LineStyle: draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}}
	p.Add(h)
	if l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 1}}); err == nil {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		l.Width = vg.Points(1)
		p.Add(l)
		p.Legend.Add("uniform (calibrated)", l)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1.25*top
	p.Legend.Top = true
	return p
}
