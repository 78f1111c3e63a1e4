// Command correlated draws the picture of the full-covariance demonstration: on the
// robot arm (train/datasets.RobotArm: joint angles in, the arm's end point out, with
// joint noise that reaches the end point correlated), it trains a full-covariance and a
// diagonal MDN with the same K and, at a few inputs, draws each model's components as
// ellipses over points drawn from the true conditional density p(y | x).
//
//	go run ./benchmarks/correlated -out docs/arm-ellipses.png
//
// The ellipses are the components' contours at Mahalanobis distance 2 (about 86 % of a
// component's mass in two dimensions), drawn darker for heavier components; components
// with π < 0.02 are left out. The test NLLs over five seeds are what
// TestCorrelatedTargets in benchmarks measures.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
	"github.com/mixgraph/mixgraph/train/datasets"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "correlated:", err)
		os.Exit(2)
	}
}

// inputs are the joint angles (θ₁, θ₂) drawn.
var inputs = [][]float64{{0.4, 2.0}, {0.75, 3.1}, {1.1, 4.3}, {0.5, 4.0}, {1.0, 2.2}}

func run(args []string) error {
	fs := flag.NewFlagSet("correlated", flag.ContinueOnError)
	out := fs.String("out", "arm-ellipses.png", "PNG file to write (an existing file is replaced only if it is a PNG)")
	k := fs.Int("k", 3, "components of both models")
	seed := fs.Uint64("seed", 1, "seed of the data and the weights")
	epochs := fs.Int("epochs", 300, "training epochs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *k < 1 || *k > mdn.MaxK || *epochs < 1 {
		return fmt.Errorf("-k %d, -epochs %d: want 1 ≤ k ≤ %d and at least one epoch", *k, *epochs, mdn.MaxK)
	}
	if b, err := os.ReadFile(*out); err == nil && !bytes.HasPrefix(b, []byte("\x89PNG")) {
		return fmt.Errorf("-out %s: exists and is not a PNG; refusing to replace it", *out)
	}
	trainSet, testSet := datasets.RobotArm(2000, 2**seed), datasets.RobotArm(2000, 2**seed+1)
	var plots []*plot.Plot
	for _, cov := range []mdn.Covariance{mdn.CovarianceFull, mdn.CovarianceDiagonal} {
		m, err := mdn.New(mdn.Config{InputDim: 2, OutputDim: 2, K: *k, Hidden: []int{32, 32}, Seed: *seed, Covariance: cov})
		if err != nil {
			return err
		}
		x, y := trainSet.Rows()
		cfg := train.Config{BatchSize: 200, Epochs: *epochs, LearnRate: 0.01, Schedule: train.CosineLR, ValFraction: 0.1, Seed: *seed}
		if _, err := train.Run(context.Background(), m, train.Data{X: x, Y: y}, cfg); err != nil {
			return err
		}
		tx, ty := testSet.Rows()
		nll, err := m.NLL(tx, ty)
		if err != nil {
			return err
		}
		p, err := ellipsePlot(m, fmt.Sprintf("%s covariance, K = %d: test NLL %.2f (seed %d)", cov, *k, nll, *seed), *seed)
		if err != nil {
			return err
		}
		plots = append(plots, p)
	}
	const w, h = 12 * vg.Inch, 5.6 * vg.Inch
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2}
	for i, p := range plots {
		p.Draw(tiles.At(dc, i, 0))
	}
	return atomicfile.Write(*out, func(wr io.Writer) error {
		_, err := c.WriteTo(wr)
		return err
	})
}

// ellipsePlot draws, at every input, 300 points from the true conditional density and
// the model's components as ellipses at Mahalanobis distance 2.
func ellipsePlot(m *mdn.Model, title string, seed uint64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "y₁ (end point)"
	p.Y.Label.Text = "y₂"
	mixes, err := m.Predict(inputs)
	if err != nil {
		return nil, err
	}
	rng := graph.NewRand(seed ^ 0xa11)
	for i, x := range inputs {
		pts := make(plotter.XYs, 300)
		for j := range pts {
			pts[j].X, pts[j].Y = datasets.RobotArmEndPoint(x[0], x[1], rng.NormFloat64(), rng.NormFloat64())
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Radius = vg.Points(1.2)
		sc.GlyphStyle.Color = color.RGBA{150, 150, 150, 255}
		p.Add(sc)
		mix := mixes[i]
		for c, wgt := range mix.Weights {
			if wgt < 0.02 {
				continue
			}
			l := mix.Cholesky // nil for the diagonal model
			var l00, l10, l11 float64
			if l != nil {
				l00, l10, l11 = l[c][0], l[c][2], l[c][3]
			} else {
				l00, l11 = mix.StdDevs[c][0], mix.StdDevs[c][1]
			}
			ring := make(plotter.XYs, 101)
			for t := range ring {
				a := 2 * math.Pi * float64(t) / 100
				u, v := 2*math.Cos(a), 2*math.Sin(a)
				ring[t].X = mix.Means[c][0] + l00*u
				ring[t].Y = mix.Means[c][1] + l10*u + l11*v
			}
			line, err := plotter.NewLine(ring)
			if err != nil {
				return nil, err
			}
			shade := uint8(255 - 200*math.Min(1, wgt+0.2))
			if l != nil {
				line.Color = color.RGBA{shade / 3, shade / 2, 255, 255}
			} else {
				line.Color = color.RGBA{255, shade / 2, shade / 3, 255}
			}
			line.Width = vg.Points(0.6 + 1.6*wgt)
			p.Add(line)
		}
	}
	p.X.Min, p.X.Max = 0.05, 1.0
	p.Y.Min, p.Y.Max = 0.0, 0.95
	return p, nil
}
