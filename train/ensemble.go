package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
)

// EnsembleResult is what Ensemble returns besides the combined model.
type EnsembleResult struct {
	// Members holds every member's own run, in member order; nil for a member whose run
	// never started, and after a cancellation for every NotStarted member.
	Members []*Result
	// Complete, Interrupted and NotStarted partition the member indices (ascending) by
	// how far each member got: Complete ran to its end (Result.Stopped Completed or
	// EarlyStopping), Interrupted was stopped by the context's cancellation after at
	// least one step (Result.Stopped Cancelled; its weights are the best validation
	// epoch's so far, as Run leaves them) and NotStarted was cancelled before its first
	// step. The model holds the Complete and Interrupted members; without a cancellation
	// every member is Complete.
	Complete, Interrupted, NotStarted []int
	// Seeds are the members' seeds (MemberSeed): member m's model is built with
	// Seeds[m] and trained with MemberSeed(Config.Seed, m).
	Seeds []uint64
	// TrainNLL and ValNLL are the combined model's mean NLL per point on the training
	// and validation rows, in original units; ValNLL is NaN without validation rows.
	// After a cancellation they, and CrossValNLL, are those of the members in the model.
	TrainNLL, ValNLL float64
	// NTrain and NVal are the numbers of training and validation rows every member saw.
	NTrain, NVal int
	// CrossValNLL is, with RotateValidation, the members' validation NLLs (each on its
	// own held-out rows, with its kept weights) averaged over all their validation rows:
	// an estimate of one member's NLL per point on rows it did not train on. ValNLL is
	// then NaN, since no row is held out from every member. NaN without RotateValidation.
	CrossValNLL float64
}

// An EnsembleOption changes how Ensemble trains its members.
type EnsembleOption func(*ensembleOptions)

type ensembleOptions struct {
	rotate bool
	save   func(member int, write func(io.Writer) error) error
	load   func(member int) ([]byte, error)
}

// MemberCheckpoints makes the members write checkpoints as a Run does with
// Config.SaveCheckpoint (every Config.CheckpointEvery epochs, at the end of the run and
// when it is cancelled): member m's run calls save(m, write), where write writes the
// checkpoint's encoding. Members train concurrently, so save is called from several
// goroutines at once, for different members. An error from save stops the member with
// that error, and so the ensemble. Keeping every member's latest checkpoint is enough
// to continue the ensemble later (ResumeMembers).
func MemberCheckpoints(save func(member int, write func(io.Writer) error) error) EnsembleOption {
	return func(o *ensembleOptions) { o.save = save }
}

// ResumeMembers continues an ensemble from its members' checkpoints (MemberCheckpoints):
// load(m) returns the encoding of member m's latest checkpoint, or nil for a member that
// saved none, which starts afresh. Every checkpoint is read and checked before any
// member trains. A member whose checkpoint is its run's final one (it ran its epochs or
// stopped early) is not trained further; the others continue from where they stopped.
// Given the same configs, data and options as the interrupted ensemble, the result is
// bit for bit the model an uninterrupted run gives (the members' checkpoints fix their
// splits, normalisation, weights and solver state; their seeds fix the rest).
//
// A member with a checkpoint is resumed even when ctx is cancelled before it starts,
// so that it takes its place in the partial model and saves its checkpoint again.
func ResumeMembers(load func(member int) ([]byte, error)) EnsembleOption {
	return func(o *ensembleOptions) { o.load = load }
}

// RotateValidation makes every member hold out its own validation rows instead of the
// ones all members share. With n rows, M members and v = round(ValFraction·n)
// validation rows, the rows are shuffled once (from Config.Seed) and member m holds out
// the v rows from position ⌊m·n/M⌋ of that order on, wrapping round: the windows are
// spread evenly, so every row trains about M·(1 − ValFraction) of the members and the
// combination has learnt from every row, while each member still stops early on rows it
// never trained on. The normalisation is fitted once, on all n rows, and shared
// (Config.KeepNormalization). The data must have no validation rows of their own and
// ValFraction must be positive.
func RotateValidation() EnsembleOption {
	return func(o *ensembleOptions) { o.rotate = true }
}

// MemberSeed returns ensemble member m's seed given the ensemble's seed: the seed
// itself for member 0 (so that member 0 is the model a plain run with that seed
// trains), and for m ≥ 1 a SplitMix64 hash of seed and m, so that ensembles of nearby
// seeds share no other member.
func MemberSeed(seed uint64, m int) uint64 {
	if m == 0 {
		return seed
	}
	z := seed + uint64(m)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Ensemble trains members models of config mcfg on d, each as Run would with cfg but
// from its own seeds (model mcfg.Seed and training cfg.Seed, both through MemberSeed),
// and returns their equal-weight combination (mdn.Combine): one model of K·members
// components whose density is the mean of the members' densities.
//
// The members share everything but their seeds: the validation rows are held out once
// (Config.ValFraction, drawn from cfg.Seed, the rows a plain Run with cfg would hold
// out), so every member trains on the same rows and fits the same normalisation; with
// RotateValidation every member holds out its own rows instead.
//
// Members train concurrently, as many at once as there are processors
// (runtime.GOMAXPROCS) and each in one graph (Workers 1), so that the result depends on
// the seeds alone, not on the number of processors. With Config.Workers set, each
// member's step is split over that many graphs and GOMAXPROCS/Workers members (at least
// one) train at once; the result then depends on Workers, as a Run's does.
//
// cfg.Progress, if set, is called from one member at a time, with Progress.Member set.
// A run's own checkpoints (CheckpointPath, SaveCheckpoint, Resume, ResumeData) are refused: an
// ensemble checkpoints and resumes its members (MemberCheckpoints, ResumeMembers). The
// first member error cancels the other members and is returned, naming the member, with
// a nil model.
//
// When ctx is cancelled (or its deadline passes), the members stop at their next step
// and those that have not started do not start. Ensemble then returns, with an error
// that wraps ctx's error, the combination of the members that took at least one step
// (EnsembleResult.Complete and Interrupted, in member order; an interrupted member with
// the weights Run leaves on a cancellation, its best validation epoch's so far), or a
// nil model when none did: the work done so far is kept. The result says which members
// the model holds.
func Ensemble(ctx context.Context, mcfg mdn.Config, d Data, cfg Config, members int, opts ...EnsembleOption) (*mdn.Model, *EnsembleResult, error) {
	if members < 1 {
		return nil, nil, fmt.Errorf("train: an ensemble of %d members (want at least 1)", members)
	}
	mcfgs := make([]mdn.Config, members)
	for m := range mcfgs {
		mcfgs[m] = mcfg
	}
	return EnsembleOf(ctx, mcfgs, d, cfg, opts...)
}

// EnsembleOf is Ensemble with member m built from mcfgs[m], whose Seed is replaced by
// MemberSeed(mcfgs[0].Seed, m): the configs may differ in what mdn.Combine lets members
// differ in (the seed and the skip path, mdn.Config.Skip) and must be alike in the rest.
func EnsembleOf(ctx context.Context, mcfgs []mdn.Config, d Data, cfg Config, opts ...EnsembleOption) (*mdn.Model, *EnsembleResult, error) {
	var o ensembleOptions
	for _, opt := range opts {
		opt(&o)
	}
	members := len(mcfgs)
	if members < 1 {
		return nil, nil, fmt.Errorf("train: an ensemble of %d members (want at least 1)", members)
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if cfg.CheckpointPath != "" || cfg.SaveCheckpoint != nil || cfg.Resume != "" || cfg.ResumeData != nil {
		return nil, nil, fmt.Errorf("train: an ensemble checkpoints and resumes its members with MemberCheckpoints and ResumeMembers (CheckpointPath, SaveCheckpoint, Resume and ResumeData must be unset)")
	}
	mcfg := mcfgs[0]
	for m, c := range mcfgs {
		if err := c.Validate(); err != nil {
			if m == 0 {
				return nil, nil, err
			}
			return nil, nil, fmt.Errorf("train: ensemble member %d: %w", m, err)
		}
		mcfg.Skip = mcfg.Skip || c.Skip
	}
	// The combination's size limits, before anything is trained.
	comb := mcfg
	comb.Members = members
	if comb.K == 0 {
		comb.K = mdn.DefaultK
	}
	if comb.Hidden == nil {
		comb.Hidden = mdn.DefaultHidden
	}
	if comb.K > mdn.MaxK/members {
		return nil, nil, fmt.Errorf("train: %d members of K = %d make %d components (at most mdn.MaxK = %d)", members, comb.K, comb.K*members, mdn.MaxK)
	}
	comb.K *= members
	comb.Hidden = append([]int(nil), comb.Hidden...)
	for i, w := range comb.Hidden {
		if w > mdn.MaxWidth/members {
			return nil, nil, fmt.Errorf("train: %d members of hidden width %d make a layer of %d units (at most mdn.MaxWidth = %d)", members, w, w*members, mdn.MaxWidth)
		}
		comb.Hidden[i] = w * members
	}
	if err := comb.Validate(); err != nil {
		return nil, nil, fmt.Errorf("train: the combination of %d members: %w", members, err)
	}

	// The validation rows: held out once, or one window per member.
	var memberData func(m int) Data
	var norm models.Normalization
	if o.rotate {
		var err error
		if memberData, norm, err = rotations(d, mcfg.InputDim, mcfg.OutputDim, cfg, members); err != nil {
			return nil, nil, err
		}
		if cfg.RawUnits {
			norm = models.IdentityNormalization(mcfg.InputDim, mcfg.OutputDim)
		}
	} else {
		held, err := HoldOut(d, mcfg.InputDim, mcfg.OutputDim, cfg)
		if err != nil {
			return nil, nil, err
		}
		memberData = func(int) Data { return held }
	}
	// The members' checkpoints, read and checked before anything trains.
	resumed := make([]*checkpoint, members)
	if o.load != nil {
		for m := range members {
			b, err := o.load(m)
			if err != nil {
				return nil, nil, badCheckpoint{fmt.Errorf("train: ensemble member %d: reading its checkpoint: %w", m, err)}
			}
			if b == nil {
				continue
			}
			if resumed[m], err = decodeCheckpoint(b, memberName(m)); err != nil {
				return nil, nil, badCheckpoint{err}
			}
		}
	}
	mcfg2 := cfg
	mcfg2.ValFraction = 0
	parallel := runtime.GOMAXPROCS(0)
	if cfg.Workers == 0 {
		mcfg2.Workers = 1
	} else {
		parallel = max(1, parallel/cfg.Workers)
	}
	var progressMu sync.Mutex

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d0 := memberData(0)
	res := &EnsembleResult{Members: make([]*Result, members), Seeds: make([]uint64, members), NTrain: len(d0.X), NVal: len(d0.ValX), CrossValNLL: math.NaN()}
	if o.rotate {
		mcfg2.KeepNormalization, mcfg2.RawUnits = true, false
	}
	trained := make([]*mdn.Model, members)
	errs := make([]error, members)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for m := range members {
		res.Seeds[m] = MemberSeed(mcfg.Seed, m)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil && resumed[m] == nil {
				errs[m] = ctx.Err()
				return
			}
			mc := mcfgs[m]
			mc.Seed = res.Seeds[m]
			tc := mcfg2
			tc.Seed = MemberSeed(cfg.Seed, m)
			if o.save != nil {
				tc.SaveCheckpoint = func(write func(io.Writer) error) error { return o.save(m, write) }
			}
			if resumed[m] != nil {
				tc.resume, tc.resumeName = resumed[m], memberName(m)
			}
			if cfg.Progress != nil {
				tc.Progress = func(p Progress) {
					p.Member = m
					progressMu.Lock()
					defer progressMu.Unlock()
					cfg.Progress(p)
				}
			}
			model, err := mdn.New(mc)
			if err == nil && o.rotate {
				err = model.SetNormalization(norm)
			}
			if err == nil {
				res.Members[m], err = Run(ctx, model, memberData(m), tc)
			}
			if r := res.Members[m]; err == nil || r != nil && r.Stopped == Cancelled && r.Steps > 0 {
				// Trained, or cancelled with its best weights so far.
				trained[m] = model
			}
			if err != nil {
				errs[m] = err
				if !isCancel(err) {
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	// A member's own error rather than the cancellations it caused; the lowest member
	// first, so that the error does not depend on timing when several failed.
	var first error
	for m, err := range errs {
		if err != nil && (first == nil || isCancel(first) && !isCancel(err)) {
			first = fmt.Errorf("train: ensemble member %d (seed %d): %w", m, res.Seeds[m], err)
		}
	}
	// A cancellation that did not come from a member's own error is the caller's: keep
	// the members that trained.
	var stop error
	if first != nil {
		if !isCancel(first) || parent.Err() == nil {
			return nil, res, first
		}
		stop = parent.Err()
	}
	var present []*mdn.Model
	for m, model := range trained {
		switch {
		case model == nil:
			res.Members[m] = nil
			res.NotStarted = append(res.NotStarted, m)
		case res.Members[m].Stopped == Cancelled:
			res.Interrupted = append(res.Interrupted, m)
			present = append(present, model)
		default:
			res.Complete = append(res.Complete, m)
			present = append(present, model)
		}
	}
	if stop != nil && len(present) == 0 {
		return nil, res, fmt.Errorf("train: ensemble cancelled before any of its %d members took a step: %w", members, stop)
	}
	out, err := mdn.Combine(present)
	if err != nil {
		return nil, res, err
	}
	if err := res.measure(out, d, d0, o.rotate); err != nil {
		return nil, res, err
	}
	if stop != nil {
		return out, res, fmt.Errorf("train: ensemble cancelled with %d of %d members trained (%d complete, %d interrupted): %w", len(present), members, len(res.Complete), len(res.Interrupted), stop)
	}
	return out, res, nil
}

// measure sets the result's NLLs of the combined model out, over the members present:
// with rotated validation, d is all the rows; otherwise d0 holds the shared split.
func (res *EnsembleResult) measure(out *mdn.Model, d, d0 Data, rotate bool) error {
	var err error
	res.ValNLL = math.NaN()
	if rotate {
		// Every row trained some member: the training NLL is over all of them.
		if res.TrainNLL, err = out.NLL(d.X, d.Y); err != nil {
			return err
		}
		sum, rows := 0.0, 0
		for _, r := range res.Members {
			if r != nil {
				sum += r.ValNLL * float64(r.ValRows)
				rows += r.ValRows
			}
		}
		res.CrossValNLL = sum / float64(rows)
		return nil
	}
	if res.TrainNLL, err = out.NLL(d0.X, d0.Y); err != nil {
		return err
	}
	if len(d0.ValX) > 0 {
		res.ValNLL, err = out.NLL(d0.ValX, d0.ValY)
	}
	return err
}

// rotations returns member m's training and validation rows for RotateValidation, and
// the normalisation fitted to all of d's rows.
func rotations(d Data, xDim, yDim int, cfg Config, members int) (func(m int) Data, models.Normalization, error) {
	if len(d.ValX) > 0 || len(d.ValY) > 0 {
		return nil, models.Normalization{}, fmt.Errorf("train: RotateValidation holds out its own validation rows, but the data has %d already", len(d.ValX))
	}
	if cfg.ValFraction == 0 {
		return nil, models.Normalization{}, fmt.Errorf("train: RotateValidation needs a validation fraction above 0")
	}
	if len(d.X) != len(d.Y) {
		return nil, models.Normalization{}, fmt.Errorf("train: %d input rows but %d target rows", len(d.X), len(d.Y))
	}
	x, err := models.CheckRows("train: input", d.X, xDim)
	if err != nil {
		return nil, models.Normalization{}, err
	}
	y, err := models.CheckRows("train: target", d.Y, yDim)
	if err != nil {
		return nil, models.Normalization{}, err
	}
	n := len(d.X)
	nVal := int(math.Round(cfg.ValFraction * float64(n)))
	if nVal < 1 || nVal >= n {
		return nil, models.Normalization{}, fmt.Errorf("train: a validation fraction of %g of %d rows leaves %d validation and %d training rows (both must be at least 1)", cfg.ValFraction, n, nVal, n-nVal)
	}
	perm := graph.NewRand(cfg.Seed ^ 0x76616c).Perm(n)
	memberData := func(m int) Data {
		start := m * n / members
		var out Data
		for i := range n {
			r := perm[(start+i)%n]
			if i < nVal {
				out.ValX, out.ValY = append(out.ValX, d.X[r]), append(out.ValY, d.Y[r])
			} else {
				out.X, out.Y = append(out.X, d.X[r]), append(out.Y, d.Y[r])
			}
		}
		return out
	}
	return memberData, models.Fit(x, xDim, y, yDim), nil
}

// memberName names member m's checkpoint in errors ("train: checkpoint of ensemble
// member 3: …").
func memberName(m int) string { return fmt.Sprintf("of ensemble member %d", m) }

// isCancel reports whether err is a context's cancellation.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// HoldOut returns d split as Run with cfg splits it: d itself when it has validation
// rows or cfg.ValFraction is 0, else d's rows less the cfg.ValFraction of them Run would
// hold out for validation (drawn from cfg.Seed), and those as the validation rows. xDim
// and yDim are the widths of x and y. Training on the result with ValFraction 0 trains
// on the same rows as training on d with cfg.
func HoldOut(d Data, xDim, yDim int, cfg Config) (Data, error) {
	if len(d.ValX) > 0 || cfg.ValFraction == 0 {
		return d, nil
	}
	if len(d.X) != len(d.Y) {
		return d, fmt.Errorf("train: %d input rows but %d target rows", len(d.X), len(d.Y))
	}
	x, err := models.CheckRows("train: input", d.X, xDim)
	if err != nil {
		return d, err
	}
	y, err := models.CheckRows("train: target", d.Y, yDim)
	if err != nil {
		return d, err
	}
	tx, ty, vx, vy, err := holdOut(x, y, xDim, yDim, cfg.ValFraction, cfg.Seed)
	if err != nil {
		return d, err
	}
	return Data{X: rows(tx, xDim), Y: rows(ty, yDim), ValX: rows(vx, xDim), ValY: rows(vy, yDim)}, nil
}

// rows cuts row-major v into rows of width w.
func rows(v []float64, w int) [][]float64 {
	out := make([][]float64, len(v)/w)
	for i := range out {
		out[i] = v[i*w : (i+1)*w : (i+1)*w]
	}
	return out
}

// SkipChoice says which members of an ensemble get the skip path (mdn.Config.Skip): a
// linear map of the inputs added to the means, started at the least-squares fit.
type SkipChoice string

// The skip choices.
const (
	SkipNone SkipChoice = "none" // no member
	// SkipHalf: every second member, 1, 3, 5, … (none of a single model). The
	// ensemble then mixes networks that start from the linear-Gaussian regression with
	// networks that start from a constant: ScaledSkip.
	SkipHalf SkipChoice = "half"
	SkipAll  SkipChoice = "all" // every member
)

// ScaledSkip is the skip choice of mixgraph's train command by default (chosen on
// held-out rows of real data sets; see the README's accuracy section).
const ScaledSkip = SkipHalf

// SkipChoices lists the names ParseSkipChoice accepts.
func SkipChoices() []string { return []string{string(SkipNone), string(SkipHalf), string(SkipAll)} }

// ParseSkipChoice returns the skip choice of the given name.
func ParseSkipChoice(name string) (SkipChoice, error) {
	switch c := SkipChoice(name); c {
	case SkipNone, SkipHalf, SkipAll:
		return c, nil
	}
	return "", fmt.Errorf("train: unknown skip choice %.40q (want one of none, half, all)", name)
}

// Has reports whether member m of an ensemble gets the skip path.
func (c SkipChoice) Has(m int) bool {
	return c == SkipAll || c == SkipHalf && m%2 == 1
}

// MemberConfigs returns the configs of an ensemble of members models of mcfg for
// EnsembleOf, member m with the skip path when skip.Has(m) and without it otherwise.
func MemberConfigs(mcfg mdn.Config, members int, skip SkipChoice) []mdn.Config {
	out := make([]mdn.Config, members)
	for m := range out {
		out[m] = mcfg
		out[m].Skip = skip.Has(m)
	}
	return out
}
