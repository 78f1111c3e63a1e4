package train_test

import (
	"context"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// ensembleData is a small Bishop problem: 300 training and 300 test rows.
func ensembleData() (x, y, tx, ty [][]float64) {
	x, y = datasets.Bishop(300, 1).Rows()
	tx, ty = datasets.Bishop(300, 2).Rows()
	return x, y, tx, ty
}

// Ensemble's model is the combination of the members a plain Run trains from the
// member seeds on the same rows: the same log-likelihoods to the last bit. Its members
// differ, its result does not depend on the number of processors, and it holds out
// the validation rows a plain Run would.
func TestEnsembleIsTheCombinationOfRuns(t *testing.T) {
	x, y, tx, ty := ensembleData()
	mcfg := mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{6}, Seed: 7}
	tcfg := train.Config{Epochs: 3, BatchSize: 50, LearnRate: 0.01, Seed: 3, ValFraction: 0.2}
	const nm = 3

	var lls [][]float64
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		m, res, err := train.Ensemble(context.Background(), mcfg, train.Data{X: x, Y: y}, tcfg, nm)
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		if res.NTrain != 240 || res.NVal != 60 || len(res.Members) != nm {
			t.Fatalf("GOMAXPROCS %d: %d training, %d validation rows, %d members; want 240, 60, %d", procs, res.NTrain, res.NVal, len(res.Members), nm)
		}
		if c := m.Config(); c.K != 2*nm || c.Members != nm || c.Hidden[0] != 6*nm {
			t.Fatalf("combined config %+v", c)
		}
		ll, err := m.LogLik(tx, ty)
		if err != nil {
			t.Fatal(err)
		}
		lls = append(lls, ll)
		if res.Seeds[0] != 7 || res.Seeds[1] == res.Seeds[0] || res.Seeds[2] == res.Seeds[1] {
			t.Fatalf("member seeds %v", res.Seeds)
		}
		if a, b := res.Members[0].TrainNLL, res.Members[1].TrainNLL; a == b {
			t.Fatalf("members 0 and 1 have the same training NLL %g: they do not differ", a)
		}
	}
	for i := range lls[0] {
		if lls[0][i] != lls[1][i] {
			t.Fatalf("row %d: GOMAXPROCS 1 gives %.17g, 2 gives %.17g", i, lls[0][i], lls[1][i])
		}
	}

	// The same members by hand: the validation rows Run holds out, then Runs.
	members := make([]*mdn.Model, nm)
	for m := range members {
		mc := mcfg
		mc.Seed = train.MemberSeed(mcfg.Seed, m)
		mm, err := mdn.New(mc)
		if err != nil {
			t.Fatal(err)
		}
		tc := tcfg
		tc.Seed = train.MemberSeed(tcfg.Seed, m)
		tc.Workers = 1
		// A Run holds out its validation rows with its own seed; give it the ensemble's.
		tc.ValFraction = 0
		d := heldOut(t, x, y, tcfg)
		if _, err := train.Run(context.Background(), mm, d, tc); err != nil {
			t.Fatal(err)
		}
		members[m] = mm
	}
	comb, err := mdn.Combine(members)
	if err != nil {
		t.Fatal(err)
	}
	ll, err := comb.LogLik(tx, ty)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ll {
		if ll[i] != lls[0][i] {
			t.Fatalf("row %d: Ensemble %.17g, the combined Runs %.17g", i, lls[0][i], ll[i])
		}
	}
}

// heldOut returns the rows a Run with cfg trains and validates on.
func heldOut(t *testing.T, x, y [][]float64, cfg train.Config) train.Data {
	t.Helper()
	d, err := train.HoldOut(train.Data{X: x, Y: y}, 1, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The combined model trains like any other: a few epochs of Run on it stay finite and
// lower its training NLL.
func TestEnsembleTrainsFurther(t *testing.T) {
	x, y, _, _ := ensembleData()
	m, res, err := train.Ensemble(context.Background(), mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{5}, Seed: 1}, train.Data{X: x, Y: y}, train.Config{Epochs: 2, BatchSize: 50, LearnRate: 0.01}, 2)
	if err != nil {
		t.Fatal(err)
	}
	more, err := train.Run(context.Background(), m, train.Data{X: x, Y: y}, train.Config{Epochs: 20, BatchSize: 50, LearnRate: 0.01, KeepInit: true})
	if err != nil {
		t.Fatal(err)
	}
	if !(more.TrainNLL < res.TrainNLL) {
		t.Fatalf("training the combination further: NLL %g, before %g", more.TrainNLL, res.TrainNLL)
	}
}

// Ensemble refuses what it cannot do before training anything.
func TestEnsembleRefuses(t *testing.T) {
	x, y, _, _ := ensembleData()
	d := train.Data{X: x, Y: y}
	mcfg := mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{4}}
	for _, c := range []struct {
		name    string
		mcfg    mdn.Config
		cfg     train.Config
		members int
		want    string
	}{
		{"no members", mcfg, train.Config{}, 0, "0 members"},
		{"checkpoints", mcfg, train.Config{CheckpointPath: "x"}, 2, "no checkpoints"},
		{"resume", mcfg, train.Config{Resume: "x"}, 2, "does not resume"},
		{"too many components", mdn.Config{InputDim: 1, OutputDim: 1, K: 600, Hidden: []int{4}}, train.Config{}, 2, "MaxK"},
		{"too wide", mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{mdn.MaxWidth / 2}}, train.Config{}, 3, "MaxWidth"},
		{"bad config", mdn.Config{InputDim: 0, OutputDim: 1}, train.Config{}, 2, "input dimension"},
		{"bad training config", mcfg, train.Config{LearnRate: -1}, 2, "learning rate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := train.Ensemble(context.Background(), c.mcfg, d, c.cfg, c.members)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// A cancelled context stops every member; the error names a member and wraps the
// cancellation.
func TestEnsembleCancelled(t *testing.T) {
	x, y, _, _ := ensembleData()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m, _, err := train.Ensemble(ctx, mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{4}}, train.Data{X: x, Y: y}, train.Config{Epochs: 5}, 3)
	if m != nil || err == nil || !strings.Contains(err.Error(), "ensemble member 0") || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("got model %v, error %v; want no model and member 0's cancellation", m, err)
	}
}

// A real run: on Bishop's inverse problem an ensemble of 5 has a held-out NLL no worse
// than its members' mean (which Jensen's inequality guarantees row by row: −log of a
// mean of densities is at most the mean of their −logs), and the members differ.
func TestEnsembleBishop(t *testing.T) {
	if testing.Short() {
		t.Skip("a real training run")
	}
	x, y := datasets.Bishop(1000, 1).Rows()
	tx, ty := datasets.Bishop(1000, 2).Rows()
	mcfg := mdn.Config{InputDim: 1, OutputDim: 1, K: 5, Hidden: []int{24}, Seed: 1}
	tcfg := train.Config{Epochs: 300, BatchSize: 250, LearnRate: 0.01, Schedule: train.CosineLR, Seed: 1, ValFraction: 0.1}
	const nm = 5
	comb, res, err := train.Ensemble(context.Background(), mcfg, train.Data{X: x, Y: y}, tcfg, nm)
	if err != nil {
		t.Fatal(err)
	}
	ens, err := comb.NLL(tx, ty)
	if err != nil {
		t.Fatal(err)
	}
	// The members' own test NLLs: train them again, as Ensemble did.
	d, err := train.HoldOut(train.Data{X: x, Y: y}, 1, 1, tcfg)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	nlls := make([]float64, nm)
	for m := range nm {
		mc := mcfg
		mc.Seed = train.MemberSeed(mcfg.Seed, m)
		mm, err := mdn.New(mc)
		if err != nil {
			t.Fatal(err)
		}
		tc := tcfg
		tc.Seed, tc.Workers, tc.ValFraction = train.MemberSeed(tcfg.Seed, m), 1, 0
		if _, err := train.Run(context.Background(), mm, d, tc); err != nil {
			t.Fatal(err)
		}
		if nlls[m], err = mm.NLL(tx, ty); err != nil {
			t.Fatal(err)
		}
		if math.Abs(mm.CostInOriginalUnits(0)-comb.CostInOriginalUnits(0)) != 0 {
			t.Fatalf("member %d's normalisation differs from the combination's", m)
		}
		sum += nlls[m]
	}
	mean := sum / nm
	t.Logf("test NLL: ensemble of %d %.4f, members %.4f (mean %.4f); validation NLL %.4f", nm, ens, nlls, mean, res.ValNLL)
	if !(ens <= mean) {
		t.Fatalf("ensemble test NLL %.6f above the members' mean %.6f", ens, mean)
	}
	for m := 1; m < nm; m++ {
		if nlls[m] == nlls[0] {
			t.Fatalf("members 0 and %d have the same test NLL %g", m, nlls[m])
		}
	}
}

// EnsembleOf with MemberConfigs(…, SkipHalf) is the combination of Runs of the members
// with the skip path on members 1, 3, … only, to the last bit; SkipChoice parses and
// places the skip path as documented.
func TestEnsembleOfSkipHalf(t *testing.T) {
	for _, c := range []struct {
		skip train.SkipChoice
		has  []bool
	}{{train.SkipNone, []bool{false, false, false}}, {train.SkipHalf, []bool{false, true, false}}, {train.SkipAll, []bool{true, true, true}}} {
		for m, want := range c.has {
			if c.skip.Has(m) != want {
				t.Errorf("%s.Has(%d) = %v, want %v", c.skip, m, !want, want)
			}
		}
		if got, err := train.ParseSkipChoice(string(c.skip)); err != nil || got != c.skip {
			t.Errorf("ParseSkipChoice(%q) = %q, %v", c.skip, got, err)
		}
	}
	if _, err := train.ParseSkipChoice("some"); err == nil {
		t.Error("ParseSkipChoice(\"some\") gave no error")
	}

	x, y, tx, ty := ensembleData()
	mcfg := mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{6}, Seed: 7}
	tcfg := train.Config{Epochs: 3, BatchSize: 50, LearnRate: 0.01, Seed: 3, ValFraction: 0.2}
	const nm = 3
	cfgs := train.MemberConfigs(mcfg, nm, train.SkipHalf)
	m, _, err := train.EnsembleOf(context.Background(), cfgs, train.Data{X: x, Y: y}, tcfg)
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Config(); !c.Skip || c.Members != nm {
		t.Fatalf("combined config %+v, want skip and %d members", c, nm)
	}
	members := make([]*mdn.Model, nm)
	for i := range members {
		mc := cfgs[i]
		mc.Seed = train.MemberSeed(mcfg.Seed, i)
		mm, err := mdn.New(mc)
		if err != nil {
			t.Fatal(err)
		}
		tc := tcfg
		tc.Seed = train.MemberSeed(tcfg.Seed, i)
		tc.Workers = 1
		tc.ValFraction = 0
		if _, err := train.Run(context.Background(), mm, heldOut(t, x, y, tcfg), tc); err != nil {
			t.Fatal(err)
		}
		members[i] = mm
	}
	if members[0].Config().Skip || !members[1].Config().Skip {
		t.Fatalf("members' skip paths %v, %v; want false, true", members[0].Config().Skip, members[1].Config().Skip)
	}
	comb, err := mdn.Combine(members)
	if err != nil {
		t.Fatal(err)
	}
	want, err := comb.LogLik(tx, ty)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.LogLik(tx, ty)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("row %d: EnsembleOf %.17g, the combined Runs %.17g", i, got[i], want[i])
		}
	}
}
