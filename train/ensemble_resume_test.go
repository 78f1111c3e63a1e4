package train_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
)

// memberStore keeps the latest checkpoint each member saved, as the train command does.
type memberStore struct {
	mu    sync.Mutex
	saved map[int][]byte
	calls int
}

func (s *memberStore) save(m int, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved == nil {
		s.saved = map[int][]byte{}
	}
	s.saved[m] = b.Bytes()
	s.calls++
	return nil
}

func (s *memberStore) load(m int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saved[m], nil
}

// modelBytes is m's model file.
func modelBytes(t *testing.T, m *mdn.Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := m.Save(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// An interrupted ensemble continues from its members' checkpoints to the very model an
// uninterrupted run trains: the same file, byte for byte, with shared and with rotated
// validation. Interrupted twice (the second time before any member takes a step) it
// loses nothing: the members with checkpoints come back as they were. Members stop
// early (patience 2 of 30 epochs), so the resume must also know a member that stopped
// early is over.
func TestEnsembleResumes(t *testing.T) {
	x, y, _, _ := ensembleData()
	mcfg := mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{6}, Seed: 7}
	tcfg := train.Config{Epochs: 30, Patience: 2, BatchSize: 50, LearnRate: 0.01, Seed: 3, ValFraction: 0.2, CheckpointEvery: 2, ProgressEvery: time.Nanosecond}
	const nm = 4
	d := train.Data{X: x, Y: y}
	for _, rotate := range []bool{false, true} {
		var opts []train.EnsembleOption
		if rotate {
			opts = append(opts, train.RotateValidation())
		}
		var whole memberStore
		want, wres, err := train.Ensemble(context.Background(), mcfg, d, tcfg, nm, append(opts, train.MemberCheckpoints(whole.save))...)
		if err != nil {
			t.Fatal(err)
		}
		early := 0
		for _, r := range wres.Members {
			if r.Stopped == train.EarlyStopping {
				early++
			}
		}
		if early == 0 {
			t.Fatalf("rotate %v: no member stopped early (%+v); the test needs one", rotate, wres.Members[0])
		}
		if len(whole.saved) != nm {
			t.Fatalf("rotate %v: %d members saved checkpoints, want %d", rotate, len(whole.saved), nm)
		}

		// One member at a time; cancelled in the third member's second epoch.
		var store memberStore
		ctx, cancel := context.WithCancel(context.Background())
		var seen []int
		c := tcfg
		c.Progress = func(p train.Progress) {
			if !slices.Contains(seen, p.Member) {
				seen = append(seen, p.Member)
			}
			if len(seen) == 3 && p.Member == seen[2] && p.Step >= 6 && !p.Done {
				cancel()
			}
		}
		old := runtime.GOMAXPROCS(1)
		part, pres, err := train.Ensemble(ctx, mcfg, d, c, nm, append(opts, train.MemberCheckpoints(store.save))...)
		runtime.GOMAXPROCS(old)
		if !errors.Is(err, context.Canceled) || part == nil || len(pres.Interrupted) != 1 || len(pres.NotStarted) != 1 {
			t.Fatalf("rotate %v: the interrupted run: %v, %+v", rotate, err, pres)
		}
		if len(store.saved) != 3 {
			t.Fatalf("rotate %v: %d members saved checkpoints, want 3", rotate, len(store.saved))
		}

		// Resumed with a context cancelled from the start: the three come back, the
		// fourth does not start, and the three checkpoints are saved again (the resume
		// below starts from these).
		calls := store.calls
		dead, kill := context.WithCancel(context.Background())
		kill()
		again, ares, err := train.Ensemble(dead, mcfg, d, tcfg, nm, append(opts, train.MemberCheckpoints(store.save), train.ResumeMembers(store.load))...)
		if !errors.Is(err, context.Canceled) || again == nil {
			t.Fatalf("rotate %v: resumed under a cancelled context: %v", rotate, err)
		}
		if !slices.Equal(ares.Complete, pres.Complete) || !slices.Equal(ares.Interrupted, pres.Interrupted) || !slices.Equal(ares.NotStarted, pres.NotStarted) {
			t.Fatalf("rotate %v: resumed under a cancelled context: complete %v, interrupted %v, not started %v; want %v, %v, %v", rotate,
				ares.Complete, ares.Interrupted, ares.NotStarted, pres.Complete, pres.Interrupted, pres.NotStarted)
		}
		if !bytes.Equal(modelBytes(t, again), modelBytes(t, part)) {
			t.Errorf("rotate %v: resumed under a cancelled context, the partial model differs", rotate)
		}
		if store.calls != calls+3 || len(store.saved) != 3 {
			t.Errorf("rotate %v: resumed under a cancelled context, %d checkpoints saved of %d members; want 3 of 3", rotate, store.calls-calls, len(store.saved))
		}

		// Resumed for real, on two processors: the uninterrupted model.
		got, gres, err := train.Ensemble(context.Background(), mcfg, d, tcfg, nm, append(opts, train.MemberCheckpoints(store.save), train.ResumeMembers(store.load))...)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(modelBytes(t, got), modelBytes(t, want)) {
			t.Errorf("rotate %v: the resumed ensemble differs from the uninterrupted one", rotate)
		}
		for m, r := range gres.Members {
			w := wres.Members[m]
			if r.Stopped != w.Stopped || r.Epochs != w.Epochs || r.Steps != w.Steps || r.BestEpoch != w.BestEpoch || r.ValNLL != w.ValNLL || r.TrainNLL != w.TrainNLL {
				t.Errorf("rotate %v: member %d resumed: %v after %d epochs (best %d, validation %.17g); uninterrupted: %v after %d (best %d, %.17g)",
					rotate, m, r.Stopped, r.Epochs, r.BestEpoch, r.ValNLL, w.Stopped, w.Epochs, w.BestEpoch, w.ValNLL)
			}
		}
		if gres.TrainNLL != wres.TrainNLL || !sameFloat(gres.ValNLL, wres.ValNLL) || !sameFloat(gres.CrossValNLL, wres.CrossValNLL) {
			t.Errorf("rotate %v: resumed NLLs %g, %g, %g; uninterrupted %g, %g, %g", rotate, gres.TrainNLL, gres.ValNLL, gres.CrossValNLL, wres.TrainNLL, wres.ValNLL, wres.CrossValNLL)
		}
	}
}

// sameFloat says whether a and b are the same number, NaN equal to NaN.
func sameFloat(a, b float64) bool { return a == b || a != a && b != b }

// A damaged member checkpoint is refused before anything trains, naming the member; a
// loader's error likewise.
func TestEnsembleResumeRefusesBadCheckpoints(t *testing.T) {
	x, y, _, _ := ensembleData()
	mcfg := mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{6}, Seed: 7}
	tcfg := train.Config{Epochs: 2, BatchSize: 50, LearnRate: 0.01, Seed: 3, ValFraction: 0.2}
	d := train.Data{X: x, Y: y}
	var store memberStore
	if _, _, err := train.Ensemble(context.Background(), mcfg, d, tcfg, 2, train.MemberCheckpoints(store.save)); err != nil {
		t.Fatal(err)
	}
	good := store.saved[1]
	for _, tc := range []struct {
		name string
		load func(int) ([]byte, error)
		want string
	}{
		{"truncated", func(m int) ([]byte, error) {
			if m == 1 {
				return good[:len(good)/2], nil
			}
			return nil, nil
		}, "checkpoint of ensemble member 1"},
		{"foreign", func(m int) ([]byte, error) {
			if m == 1 {
				return []byte("not a checkpoint\n"), nil
			}
			return nil, nil
		}, "checkpoint of ensemble member 1"},
		{"loader error", func(m int) ([]byte, error) {
			if m == 1 {
				return nil, errors.New("disk on fire")
			}
			return nil, nil
		}, "ensemble member 1: reading its checkpoint: disk on fire"},
		{"another model's", func(m int) ([]byte, error) {
			if m == 0 {
				return good, nil
			}
			return nil, nil
		}, ""},
	} {
		started := false
		c := tcfg
		c.Progress = func(train.Progress) { started = true }
		big := mcfg
		if tc.want == "" {
			big.Hidden = []int{7} // member 1's checkpoint fits no member of this config
			tc.want = "checkpoint of ensemble member 0 holds"
		}
		_, _, err := train.Ensemble(context.Background(), big, d, c, 2, train.ResumeMembers(tc.load))
		if !errors.Is(err, train.ErrBadCheckpoint) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want a train.ErrBadCheckpoint containing %q", tc.name, err, tc.want)
		}
		if tc.name != "another model's" && started {
			t.Errorf("%s: a member trained before the checkpoints were checked", tc.name)
		}
	}
}
