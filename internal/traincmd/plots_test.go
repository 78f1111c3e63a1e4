package traincmd

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// TestPlotFormats writes the pictures as SVG and as PDF, and replaces a run folder
// holding SVG pictures with one holding PNG pictures.
func TestPlotFormats(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	for _, c := range []struct {
		format, magic string
	}{{"svg", "<?xml"}, {"pdf", "%PDF-"}} {
		if _, _, err := runTrain(t, append([]string{"-out", out, "-plot_format", c.format}, quick...)...); err != nil {
			t.Fatalf("-plot_format %s: %v", c.format, err)
		}
		for _, name := range []string{"density", "learning", "mixing"} {
			b, err := os.ReadFile(filepath.Join(out, name+"."+c.format))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte(c.magic)) || len(b) < 1000 {
				t.Errorf("%s.%s: %d bytes starting %q, want %q…", name, c.format, len(b), b[:min(len(b), 8)], c.magic)
			}
			if _, err := os.Stat(filepath.Join(out, name+".png")); err == nil {
				t.Errorf("-plot_format %s also wrote %s.png", c.format, name)
			}
		}
	}
	if _, _, err := runTrain(t, append([]string{"-out", out}, quick...)...); err != nil {
		t.Fatalf("replacing a run folder with PDF pictures: %v", err)
	}
	for _, name := range []string{"density", "learning", "mixing"} {
		checkPNG(t, filepath.Join(out, name+".png"))
		if _, err := os.Stat(filepath.Join(out, name+".pdf")); err == nil {
			t.Errorf("%s.pdf left over from the replaced run", name)
		}
	}
}

func TestPlotFormatFlag(t *testing.T) {
	_, err := parseFlags([]string{"-plot_format", "gif"})
	if want := `-plot_format "gif": want png, svg or pdf`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	for _, f := range plotFormats {
		if o, err := parseFlags([]string{"-plot_format", f}); err != nil || o.plotFormat != f {
			t.Errorf("-plot_format %s: %v", f, err)
		}
	}
	if o, err := parseFlags(nil); err != nil || o.plotFormat != "png" {
		t.Errorf("default -plot_format: %v", err)
	}
}

// TestLearningRange checks that the first epochs' large values do not set the range.
func TestLearningRange(t *testing.T) {
	var tr, va plotter.XYs
	for e := 1; e <= 100; e++ {
		v := 1 + 1/float64(e*e) // 2 at epoch 1, near 1 later
		tr = append(tr, plotter.XY{X: float64(e), Y: v})
		va = append(va, plotter.XY{X: float64(e), Y: v + 0.01})
	}
	lo, hi, ok := learningRange(tr, va)
	if !ok || lo > 1.0001 || hi > 1.1 || hi < 1.01 {
		t.Errorf("got [%g, %g] (ok %v), want about [1, 1.02]", lo, hi, ok)
	}
	if _, _, ok := learningRange(nil, nil); ok {
		t.Errorf("no curves: ok")
	}
	lo, hi, ok = learningRange(plotter.XYs{{X: 1, Y: 3}})
	if !ok || !(lo < 3 && hi > 3) {
		t.Errorf("one point at 3: got [%g, %g], ok %v", lo, hi, ok)
	}
}

// TestTickLabels checks that neighbouring learning-curve labels differ, and that the
// colour bar's decades are labelled with densities.
func TestTickLabels(t *testing.T) {
	for _, r := range [][2]float64{{1.49, 1.66}, {-1.12, -0.92}, {0.2, 0.37}, {1000, 1001}, {-3, 40}} {
		seen := map[string]bool{}
		for _, tk := range (fixedTicks{}).Ticks(r[0], r[1]) {
			if tk.Label == "" {
				continue
			}
			if seen[tk.Label] {
				t.Errorf("range %v: label %q twice", r, tk.Label)
			}
			seen[tk.Label] = true
		}
		if len(seen) < 2 {
			t.Errorf("range %v: %d labels", r, len(seen))
		}
	}
	var labels []string
	for _, tk := range (decades{}).Ticks(-2.5, 0.5) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
		if tk.Value < -2.5 || tk.Value > 0.5 || math.IsNaN(tk.Value) {
			t.Errorf("tick at %g outside [-2.5, 0.5]", tk.Value)
		}
	}
	if got := strings.Join(labels, " "); got != "0.01 0.1 1" {
		t.Errorf("decade labels: got %q, want %q", got, "0.01 0.1 1")
	}
}

// The legends of an ensemble's pictures ("components 1, 9, …", longer than one model's
// "component 1") lie inside the picture, in the strip right of the plot.
func TestLegendsFit(t *testing.T) {
	for _, k := range []int{3, 40} {
		m, err := mdn.New(mdn.Config{InputDim: 1, OutputDim: 1, K: k, Hidden: []int{4}, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		s := datasets.Bishop(50, 1)
		density, mixing, err := densityPlots(m, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		dc := draw.New(vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI)))
		for name, f := range map[string]figure{"density": density, "mixing": mixing} {
			left, right := f.layout(dc)
			r := f.legend.Rectangle(right)
			if r.Max.X > dc.Max.X || r.Min.X < left.Max.X {
				t.Errorf("K=%d, %s: the legend spans x %.1f to %.1f; the plot ends at %.1f, the picture at %.1f", k, name, r.Min.X, r.Max.X, left.Max.X, dc.Max.X)
			}
		}
	}
}
