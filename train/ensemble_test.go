package train_test

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

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
	sameAsCombination(t, "Ensemble", lls[0], members, tx, ty)
}

// sameAsCombination checks that got, a model's log-likelihoods of (tx, ty), are those of
// mdn.Combine(members) to the last bit, and returns the combination; what names got's
// model in a failure.
func sameAsCombination(t *testing.T, what string, got []float64, members []*mdn.Model, tx, ty [][]float64) *mdn.Model {
	t.Helper()
	comb, err := mdn.Combine(members)
	if err != nil {
		t.Fatal(err)
	}
	want, err := comb.LogLik(tx, ty)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d: %s %.17g, the combined Runs %.17g", i, what, got[i], want[i])
		}
	}
	return comb
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
		{"checkpoints", mcfg, train.Config{CheckpointPath: "x"}, 2, "MemberCheckpoints"},
		{"resume", mcfg, train.Config{Resume: "x"}, 2, "ResumeMembers"},
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

// A context cancelled before any step stops every member: no model, an error that
// wraps the cancellation, and every member not started.
func TestEnsembleCancelled(t *testing.T) {
	x, y, _, _ := ensembleData()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m, res, err := train.Ensemble(ctx, mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{4}}, train.Data{X: x, Y: y}, train.Config{Epochs: 5}, 3)
	if m != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("got model %v, error %v; want no model and a cancellation", m, err)
	}
	if res == nil || len(res.NotStarted) != 3 || len(res.Complete)+len(res.Interrupted) != 0 {
		t.Fatalf("result %+v, want 3 members not started", res)
	}
	for i, r := range res.Members {
		if r != nil {
			t.Errorf("member %d, never started, has a result %+v", i, r)
		}
	}
}

// An ensemble cancelled part-way keeps the work done: one member at a time
// (GOMAXPROCS 1), cancelled from the third member to start at its step 7 (in its
// second epoch), it returns with the cancellation the combination of the two members
// that completed and the interrupted one (its best validation epoch's weights, as a Run
// cancelled at the same step leaves them), the same log-likelihoods to the last bit;
// the other two never started. Its NLLs are those of the members present.
func TestEnsembleInterruptedKeepsMembers(t *testing.T) {
	x, y, tx, ty := ensembleData()
	mcfg := mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{6}, Seed: 7}
	tcfg := train.Config{Epochs: 3, BatchSize: 50, LearnRate: 0.01, Seed: 3, ValFraction: 0.2, ProgressEvery: time.Nanosecond}
	const nm, stopStep = 5, 7
	for _, rotate := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		var seen []int
		c := tcfg
		c.Progress = func(p train.Progress) {
			if !slices.Contains(seen, p.Member) {
				seen = append(seen, p.Member)
			}
			if len(seen) == 3 && p.Member == seen[2] && p.Step >= stopStep && !p.Done {
				cancel()
			}
		}
		var opts []train.EnsembleOption
		if rotate {
			opts = append(opts, train.RotateValidation())
		}
		old := runtime.GOMAXPROCS(1)
		m, res, err := train.Ensemble(ctx, mcfg, train.Data{X: x, Y: y}, c, nm, opts...)
		runtime.GOMAXPROCS(old)
		cancel()
		if !errors.Is(err, context.Canceled) || m == nil {
			t.Fatalf("rotate %v: got model %v, error %v; want a model and a cancellation", rotate, m, err)
		}
		if len(res.Complete) != 2 || len(res.Interrupted) != 1 || len(res.NotStarted) != 2 || res.Interrupted[0] != seen[2] {
			t.Fatalf("rotate %v: complete %v, interrupted %v, not started %v (members in order of start %v)", rotate, res.Complete, res.Interrupted, res.NotStarted, seen)
		}
		if c := m.Config(); c.Members != 3 || c.K != 6 {
			t.Fatalf("rotate %v: combined config %+v, want 3 members", rotate, c)
		}
		in := append(slices.Clone(res.Complete), res.Interrupted...)
		slices.Sort(in)
		for _, i := range res.NotStarted {
			if res.Members[i] != nil {
				t.Errorf("rotate %v: member %d never started but has a result", rotate, i)
			}
		}
		ir := res.Members[res.Interrupted[0]]
		if ir.Stopped != train.Cancelled || ir.Steps != stopStep || ir.BestEpoch != 1 {
			t.Fatalf("rotate %v: the interrupted member's result %+v, want cancelled after %d steps with epoch 1 kept", rotate, ir, stopStep)
		}
		if rotate {
			sum, rows := 0.0, 0
			for _, i := range in {
				sum += res.Members[i].ValNLL * float64(res.Members[i].ValRows)
				rows += res.Members[i].ValRows
			}
			if want := sum / float64(rows); res.CrossValNLL != want {
				t.Errorf("cross-validated NLL %.17g, want %.17g over the members present", res.CrossValNLL, want)
			}
			continue // the rotated windows are Ensemble's own; the rest is checked without
		}

		// The same members by hand, the interrupted one cancelled at the same step.
		var members []*mdn.Model
		for _, i := range in {
			mc := mcfg
			mc.Seed = train.MemberSeed(mcfg.Seed, i)
			mm, err := mdn.New(mc)
			if err != nil {
				t.Fatal(err)
			}
			tc := tcfg
			tc.Seed, tc.Workers, tc.ValFraction = train.MemberSeed(tcfg.Seed, i), 1, 0
			rctx, rcancel := context.WithCancel(context.Background())
			if i == res.Interrupted[0] {
				tc.Progress = func(p train.Progress) {
					if p.Step >= stopStep && !p.Done {
						rcancel()
					}
				}
			}
			_, err = train.Run(rctx, mm, heldOut(t, x, y, tcfg), tc)
			rcancel()
			if (i == res.Interrupted[0]) != errors.Is(err, context.Canceled) {
				t.Fatalf("member %d by hand: %v", i, err)
			}
			members = append(members, mm)
		}
		got, err := m.LogLik(tx, ty)
		if err != nil {
			t.Fatal(err)
		}
		comb := sameAsCombination(t, "the interrupted ensemble", got, members, tx, ty)
		d := heldOut(t, x, y, tcfg)
		trainNLL, _ := comb.NLL(d.X, d.Y)
		valNLL, _ := comb.NLL(d.ValX, d.ValY)
		if res.TrainNLL != trainNLL || res.ValNLL != valNLL {
			t.Errorf("NLLs train %g, validation %g; the members present give %g, %g", res.TrainNLL, res.ValNLL, trainNLL, valNLL)
		}
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
	got, err := m.LogLik(tx, ty)
	if err != nil {
		t.Fatal(err)
	}
	sameAsCombination(t, "EnsembleOf", got, members, tx, ty)
}
