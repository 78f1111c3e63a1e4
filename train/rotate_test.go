package train

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// RotateValidation's windows: every member validates on round(f·n) rows and trains on
// the rest, the windows start ⌊m·n/M⌋ apart in one shuffled order so that together
// they cover every row as evenly as they can, and member 0 holds out the rows a plain
// Run would.
func TestRotationsWindows(t *testing.T) {
	const n = 103
	x := make([][]float64, n)
	y := make([][]float64, n)
	for i := range x {
		x[i], y[i] = []float64{float64(i)}, []float64{float64(2 * i)}
	}
	for _, c := range []struct {
		members int
		frac    float64
	}{{5, 0.2}, {10, 0.1}, {10, 0.25}, {3, 0.1}, {1, 0.3}} {
		cfg := Config{ValFraction: c.frac, Seed: 11}
		data, norm, err := rotations(Data{X: x, Y: y}, 1, 1, cfg, c.members)
		if err != nil {
			t.Fatal(err)
		}
		if want := models.Fit(flatten(x), 1, flatten(y), 1); !slices.Equal(norm.XMean, want.XMean) || !slices.Equal(norm.YStd, want.YStd) {
			t.Fatalf("normalisation %+v, want the fit to all rows %+v", norm, want)
		}
		nVal := int(math.Round(c.frac * n))
		held := make([]int, n)
		for m := range c.members {
			d := data(m)
			if len(d.ValX) != nVal || len(d.X) != n-nVal {
				t.Fatalf("M=%d f=%g member %d: %d validation and %d training rows, want %d and %d", c.members, c.frac, m, len(d.ValX), len(d.X), nVal, n-nVal)
			}
			seen := make([]bool, n)
			check := func(xs, ys [][]float64, val bool) {
				for i, r := range xs {
					row := int(r[0])
					if seen[row] {
						t.Fatalf("member %d has row %d twice", m, row)
					}
					seen[row] = true
					if val {
						held[row]++
					}
					if ys[i][0] != 2*r[0] {
						t.Fatalf("member %d: row %d's target %g, want %g", m, row, ys[i][0], 2*r[0])
					}
				}
			}
			check(d.ValX, d.ValY, true)
			check(d.X, d.Y, false)
		}
		// Every row is held out ⌊M·v/n⌋ or ⌈M·v/n⌉ times.
		share := float64(c.members*nVal) / n
		for row, h := range held {
			if float64(h) < math.Floor(share)-1e-9 || float64(h) > math.Ceil(share)+1e-9 {
				t.Fatalf("M=%d f=%g: row %d is held out by %d members, want %g on average", c.members, c.frac, row, h, share)
			}
		}
		plain, err := HoldOut(Data{X: x, Y: y}, 1, 1, cfg)
		if err != nil {
			t.Fatal(err)
		}
		d0 := data(0)
		if !slices.EqualFunc(d0.ValX, plain.ValX, slices.Equal) || !slices.EqualFunc(d0.X, plain.X, slices.Equal) {
			t.Fatalf("member 0's rows differ from those a plain Run holds out")
		}
	}
}

func flatten(r [][]float64) []float64 {
	var out []float64
	for _, v := range r {
		out = append(out, v...)
	}
	return out
}

// An ensemble with RotateValidation is the combination of the Runs of its members on
// their own rows, with the normalisation of all rows kept: the same log-likelihoods to
// the last bit. Its CrossValNLL is the members' validation NLLs averaged over their
// rows, its ValNLL NaN and its TrainNLL the combination's over every row.
func TestEnsembleRotateValidation(t *testing.T) {
	x, y := datasets.Bishop(200, 1).Rows()
	tx, ty := datasets.Bishop(200, 2).Rows()
	mcfg := mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{5}, Seed: 4}
	tcfg := Config{Epochs: 4, BatchSize: 40, LearnRate: 0.01, Seed: 9, ValFraction: 0.25, Patience: 2}
	const nm = 4
	comb, res, err := Ensemble(context.Background(), mcfg, Data{X: x, Y: y}, tcfg, nm, RotateValidation())
	if err != nil {
		t.Fatal(err)
	}
	if res.NTrain != 150 || res.NVal != 50 || !math.IsNaN(res.ValNLL) {
		t.Fatalf("%d training and %d validation rows, ValNLL %g; want 150, 50 and NaN", res.NTrain, res.NVal, res.ValNLL)
	}
	sum := 0.0
	for _, r := range res.Members {
		sum += r.ValNLL
	}
	if want := sum / nm; math.Abs(res.CrossValNLL-want) > 1e-12*math.Abs(want) {
		t.Fatalf("CrossValNLL %g, want the members' mean %g", res.CrossValNLL, want)
	}
	if a, b := res.Members[0].ValNLL, res.Members[1].ValNLL; a == b {
		t.Fatalf("members 0 and 1 have the same validation NLL %g: they validate on the same rows", a)
	}

	data, norm, err := rotations(Data{X: x, Y: y}, 1, 1, tcfg, nm)
	if err != nil {
		t.Fatal(err)
	}
	members := make([]*mdn.Model, nm)
	for m := range members {
		mc := mcfg
		mc.Seed = MemberSeed(mcfg.Seed, m)
		mm, err := mdn.New(mc)
		if err != nil {
			t.Fatal(err)
		}
		if err := mm.SetNormalization(norm); err != nil {
			t.Fatal(err)
		}
		tc := tcfg
		tc.Seed, tc.Workers, tc.ValFraction, tc.KeepNormalization = MemberSeed(tcfg.Seed, m), 1, 0, true
		if _, err := Run(context.Background(), mm, data(m), tc); err != nil {
			t.Fatal(err)
		}
		if got := mm.Normalization(); !slices.Equal(got.YMean, norm.YMean) {
			t.Fatalf("member %d: Run with KeepNormalization changed the normalisation to %+v", m, got)
		}
		members[m] = mm
	}
	want, err := mdn.Combine(members)
	if err != nil {
		t.Fatal(err)
	}
	a, err := comb.LogLik(tx, ty)
	if err != nil {
		t.Fatal(err)
	}
	b, err := want.LogLik(tx, ty)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("row %d: Ensemble %.17g, the combined Runs %.17g", i, a[i], b[i])
		}
	}
	if trainNLL, err := comb.NLL(x, y); err != nil || trainNLL != res.TrainNLL {
		t.Fatalf("TrainNLL %g, want the combination's NLL on every row %g (%v)", res.TrainNLL, trainNLL, err)
	}
}

// RotateValidation refuses data with validation rows of their own and a zero
// validation fraction; KeepNormalization goes not with RawUnits.
func TestRotateValidationRefuses(t *testing.T) {
	x, y := datasets.Bishop(50, 1).Rows()
	mcfg := mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{3}}
	for _, c := range []struct {
		name string
		d    Data
		cfg  Config
		want string
	}{
		{"own validation rows", Data{X: x[:40], Y: y[:40], ValX: x[40:], ValY: y[40:]}, Config{ValFraction: 0.2}, "has 10 already"},
		{"no validation", Data{X: x, Y: y}, Config{}, "above 0"},
		{"too few rows", Data{X: x[:2], Y: y[:2]}, Config{ValFraction: 0.1}, "leaves 0 validation"},
		{"raw units and kept normalisation", Data{X: x, Y: y}, Config{ValFraction: 0.2, RawUnits: true, KeepNormalization: true}, "KeepNormalization"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Ensemble(context.Background(), mcfg, c.d, c.cfg, 2, RotateValidation())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
