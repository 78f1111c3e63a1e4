package traincmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mixgraph/mixgraph/internal/cli"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
)

// maxEnsemble bounds -ensemble: every member is a full training run.
const maxEnsemble = 64

// maxCandidates bounds the candidates of a -select search (it tries at most 13) and so
// the candidate checkpoints a run folder may hold.
const maxCandidates = 64

// The -select search: a coordinate search that tries, one stage after another, the
// number of components, then the hidden widths, then the weight decay, each stage
// keeping the best of the one before by validation NLL. The candidates are fixed, so the
// search costs a known number of training runs (at most len(selectK)+1 +
// len(selectWidthFactors)-1 + len(selectL2), 11), spread over the cores.
var (
	selectK            = []int{1, 2, 5, 10}             // and -k
	selectWidthFactors = []float64{0.5, 1, 2}           // times every -hidden width
	selectL2           = []float64{0, 1e-4, 1e-3, 1e-2} // and -l2
)

// candidate is one model the search tried, as config.json records it.
type candidate struct {
	K         int      `json:"k"`
	Hidden    []int    `json:"hidden"`
	L2        float64  `json:"l2"`
	ValNLL    *float64 `json:"val_nll"`
	TrainNLL  *float64 `json:"train_nll"`
	BestEpoch int      `json:"best_epoch"`
	Epochs    int      `json:"epochs"`
	Seconds   float64  `json:"seconds"`
	Error     string   `json:"error,omitempty"`

	model *mdn.Model
	res   *train.Result
	index int // the order in which the search tried it: its checkpoint's name
}

func (c *candidate) key() string { return fmt.Sprint(c.K, c.Hidden, c.L2) }

func (c *candidate) val() float64 {
	if c.ValNLL == nil {
		return math.Inf(1)
	}
	return *c.ValNLL
}

// selectRecord is what config.json records of a -select search.
type selectRecord struct {
	Candidates []*candidate `json:"candidates"`
	Chosen     int          `json:"chosen"` // index into Candidates
	// Interrupted says the search was interrupted: Candidates are those trained to the
	// end before the interrupt, and the run's model is the best of them.
	Interrupted bool `json:"interrupted,omitempty"`
}

// ensembleRecord is what config.json records of an -ensemble run.
type ensembleRecord struct {
	Members int      `json:"members"`
	Seeds   []uint64 `json:"seeds"` // the members' model seeds
	// Validation is "rotated" when every member held out its own validation rows
	// (train.RotateValidation; n_val is then each member's count), "shared" otherwise.
	Validation string `json:"validation"`
	// CrossValNLL is, for rotated validation, the members' validation NLLs averaged over
	// their rows: one member's NLL on rows it did not train on.
	CrossValNLL *float64 `json:"cross_val_nll,omitempty"`
	// Every member's own validation NLL (restore-best) and training NLL, epochs run and
	// kept epoch, in member order; null and 0 for a member that never started.
	ValNLL []*float64 `json:"val_nll"`
	Train  []*float64 `json:"train_nll"`
	Epochs []int      `json:"epochs"`
	Best   []int      `json:"best_epoch"`
	// Complete lists the members that ran to their end (all of them unless the run was
	// interrupted). After an interrupt, Interrupted lists those stopped part-way (with
	// their best weights so far) and NotStarted those that never took a step: the model
	// is the combination of the complete and interrupted members.
	Complete    []int `json:"complete"`
	Interrupted []int `json:"interrupted,omitempty"`
	NotStarted  []int `json:"not_started,omitempty"`
}

// fitOutcome is what fit returns besides the model and the result.
type fitOutcome struct {
	sel *selectRecord
	ens *ensembleRecord
}

// fit trains the model the way -select and -ensemble ask: the search first (its winner
// trained as one model, the run's model when there is no ensemble), then, with
// -ensemble M > 1, M members of the chosen config combined into one model. mcfg and
// tcfg are the run's configs (tcfg without checkpoints: ckpts, if set, checkpoints and
// resumes the candidates and the ensemble's members); o.k, o.widths and o.l2 are set
// to the chosen values. The result returned is the run's: the single model's, or for an
// ensemble member 0's run with the combined model's training and validation NLL.
//
// A search interrupted after a candidate trained to the end returns the best such
// candidate (see search), without an ensemble, together with the cancellation error.
// An ensemble interrupted after some member took a step returns its partial combination
// (train.Ensemble), with the ensemble's record and the first member present's run in
// place of member 0's, together with the cancellation error.
func fit(ctx context.Context, o *options, mcfg mdn.Config, d train.Data, tcfg train.Config, xNames, yNames []string, ckpts *runCheckpoints, stdout io.Writer) (*mdn.Model, *train.Result, fitOutcome, error) {
	var out fitOutcome
	var model *mdn.Model
	var res *train.Result
	var stopped error
	if o.selectModel {
		sel, err := search(ctx, o, mcfg, d, tcfg, ckpts, stdout)
		if sel == nil {
			return nil, nil, out, err
		}
		out.sel = sel
		win := sel.Candidates[sel.Chosen]
		o.k, o.widths, o.l2 = autoInt{v: win.K}, win.Hidden, win.L2
		mcfg.K, mcfg.Hidden, tcfg.L2 = win.K, win.Hidden, win.L2
		model, res = win.model, win.res
		if err != nil {
			// Interrupted: the best candidate so far is the run's model, without the
			// ensemble.
			if err := model.SetColumns(xNames, yNames); err != nil {
				return nil, nil, out, err
			}
			return model, res, out, err
		}
	}
	if o.ensemble.v > 1 {
		progress := tcfg.Progress
		tcfg.Progress = nil
		if progress != nil {
			tcfg.Progress = func(p train.Progress) {
				if p.Member == 0 {
					progress(p)
				}
			}
		}
		if !o.quiet {
			fmt.Fprintf(stdout, "ensemble: %d members of K=%d, hidden %v (the bar follows member 0)\n", o.ensemble.v, mcfg.K, mcfg.Hidden)
		}
		// With validation rows, every member holds out its own (train.RotateValidation):
		// the combination then learns from every row.
		var eopts []train.EnsembleOption
		validation := "shared"
		if tcfg.ValFraction > 0 && o.rotateValidation {
			eopts, validation = append(eopts, train.RotateValidation()), "rotated"
		}
		if ckpts != nil {
			eopts = append(eopts, train.MemberCheckpoints(ckpts.saveMember), train.ResumeMembers(ckpts.loadMember))
		}
		m, er, err := train.EnsembleOf(ctx, train.MemberConfigs(mcfg, o.ensemble.v, train.SkipChoice(o.skip)), d, tcfg, eopts...)
		if m == nil {
			return nil, nil, out, err
		}
		// err is nil, or the cancellation of a run whose members so far make m.
		stopped = err
		rec := &ensembleRecord{Members: o.ensemble.v, Seeds: er.Seeds, Validation: validation, CrossValNLL: cli.Finite(er.CrossValNLL),
			Complete: append([]int{}, er.Complete...), Interrupted: er.Interrupted, NotStarted: er.NotStarted}
		var first *train.Result
		anyVal := false
		for _, r := range er.Members {
			if r == nil {
				rec.ValNLL, rec.Train = append(rec.ValNLL, nil), append(rec.Train, nil)
				rec.Epochs, rec.Best = append(rec.Epochs, 0), append(rec.Best, 0)
				continue
			}
			if first == nil {
				first = r
			}
			anyVal = anyVal || !math.IsNaN(r.ValNLL)
			rec.ValNLL = append(rec.ValNLL, cli.Finite(r.ValNLL))
			rec.Train = append(rec.Train, cli.Finite(r.TrainNLL))
			rec.Epochs = append(rec.Epochs, r.Epochs)
			rec.Best = append(rec.Best, r.BestEpoch)
		}
		if !anyVal {
			rec.ValNLL = nil
		}
		out.ens = rec
		model = m
		r0 := *first
		r0.TrainNLL, r0.ValNLL = er.TrainNLL, er.ValNLL
		res = &r0
	}
	if model == nil {
		return nil, nil, out, fmt.Errorf("fit: neither -select nor -ensemble > 1 (a plain run goes through train.Run)")
	}
	if err := model.SetColumns(xNames, yNames); err != nil {
		return nil, nil, out, err
	}
	return model, res, out, stopped
}

// search runs the -select search and prints one line per candidate. Interrupted (ctx
// cancelled), it returns the record of the candidates trained to the end so far, marked
// Interrupted, with the best of them chosen, together with ctx's error; or a nil record
// when none was.
func search(ctx context.Context, o *options, mcfg mdn.Config, d train.Data, tcfg train.Config, ckpts *runCheckpoints, stdout io.Writer) (*selectRecord, error) {
	if !o.quiet {
		fmt.Fprintf(stdout, "select: searching K, then hidden widths, then l2 by validation NLL (%d validation rows)\n", int(math.Round(tcfg.ValFraction*float64(len(d.X)))))
	}
	tcfg.Progress = nil
	sel := &selectRecord{}
	tried := map[string]*candidate{}
	best := &candidate{K: mcfg.K, Hidden: mcfg.Hidden, L2: tcfg.L2}

	stage := func(cands []*candidate) error {
		var todo []*candidate
		for _, c := range cands {
			if _, ok := tried[c.key()]; ok {
				continue
			}
			cfg := mcfg
			cfg.K, cfg.Hidden = c.K, c.Hidden
			if err := cfg.Validate(); err != nil {
				continue // beyond the model's limits: not a candidate
			}
			if o.ensemble.v > 1 && !ensembleFits(cfg, o.ensemble.v, train.SkipChoice(o.skip)) {
				continue
			}
			c.index = len(tried)
			tried[c.key()] = c
			todo = append(todo, c)
		}
		err := runCandidates(ctx, mcfg, d, tcfg, todo, ckpts)
		if err != nil && !isCancel(err) {
			return err
		}
		for _, c := range todo {
			if err != nil && c.model == nil {
				continue // cut short or never started by the interrupt: no result
			}
			sel.Candidates = append(sel.Candidates, c)
			if !o.quiet {
				fmt.Fprintln(stdout, c.line())
			}
		}
		for _, c := range sel.Candidates {
			if c.val() < best.val() {
				best = c
			}
		}
		return err
	}
	// interrupted ends a search cut short by a cancellation (err): with the best candidate
	// trained so far, if any, as the winner; or by a checkpoint that cannot be resumed.
	interrupted := func(err error) (*selectRecord, error) {
		if best.model == nil || !isCancel(err) {
			return nil, err
		}
		sel.Chosen, sel.Interrupted = slices.Index(sel.Candidates, best), true
		return sel, err
	}

	var ks []int
	for _, k := range append(slices.Clone(selectK), mcfg.K) {
		if !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	var cands []*candidate
	for _, k := range ks {
		cands = append(cands, &candidate{K: k, Hidden: mcfg.Hidden, L2: tcfg.L2})
	}
	if err := stage(cands); err != nil {
		return interrupted(err)
	}
	cands = nil
	for _, f := range selectWidthFactors {
		w := make([]int, len(best.Hidden))
		for i, h := range best.Hidden {
			w[i] = max(1, int(math.Round(f*float64(h))))
		}
		cands = append(cands, &candidate{K: best.K, Hidden: w, L2: best.L2})
	}
	if err := stage(cands); err != nil {
		return interrupted(err)
	}
	cands = nil
	l2s := slices.Clone(selectL2)
	if !slices.Contains(l2s, tcfg.L2) {
		l2s = append(l2s, tcfg.L2)
	}
	slices.Sort(l2s)
	for _, l2 := range l2s {
		cands = append(cands, &candidate{K: best.K, Hidden: best.Hidden, L2: l2})
	}
	if err := stage(cands); err != nil {
		return interrupted(err)
	}
	if best.model == nil {
		return nil, fmt.Errorf("-select: no candidate trained (the first failed with: %s)", firstError(sel.Candidates))
	}
	sel.Chosen = slices.Index(sel.Candidates, best)
	if !o.quiet {
		fmt.Fprintf(stdout, "select: chose K=%d, hidden %s, l2 %g (validation NLL %.4f)\n", best.K, widthsString(best.Hidden), best.L2, best.val())
	}
	return sel, nil
}

// runCandidates trains the candidates, as many at once as there are processors, each
// in one graph (so that the results do not depend on the number of processors). A
// candidate whose run fails records its error; a cancellation is returned. With ckpts,
// every candidate saves its checkpoints there and continues from the one stored (a
// candidate with one is resumed even after a cancellation, so that one that had
// finished counts); a stored checkpoint that cannot be resumed is returned as the error.
func runCandidates(ctx context.Context, mcfg mdn.Config, d train.Data, tcfg train.Config, cands []*candidate, ckpts *runCheckpoints) error {
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var resumeErr error
	for _, c := range cands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			name := candidateCheckpointName(c.index)
			var saved []byte
			if ckpts != nil {
				saved = ckpts.load(name)
			}
			if ctx.Err() != nil && saved == nil {
				return
			}
			cfg := mcfg
			cfg.K, cfg.Hidden = c.K, c.Hidden
			tc := tcfg
			tc.L2, tc.Workers = c.L2, 1
			if ckpts != nil {
				tc.SaveCheckpoint = func(write func(io.Writer) error) error { return ckpts.save(name, write) }
				tc.ResumeData = saved
			}
			if hook, ok := ctx.Value(progressHookKey{}).(func(train.Progress)); ok {
				// A test's hook sees every step of every candidate.
				tc.ProgressEvery = 1
				tc.Progress = func(p train.Progress) {
					p.Member = c.index
					hook(p)
				}
			}
			start := time.Now()
			m, err := mdn.New(cfg)
			var res *train.Result
			if err == nil {
				res, err = train.Run(ctx, m, d, tc)
			}
			c.Seconds = time.Since(start).Seconds()
			if errors.Is(err, train.ErrBadCheckpoint) {
				// The stored checkpoint does not fit this candidate or is damaged.
				mu.Lock()
				if resumeErr == nil {
					msg := strings.TrimPrefix(err.Error(), "train: ")
					msg = strings.TrimPrefix(msg, "checkpoint (Config.ResumeData): ")
					resumeErr = candidateError{fmt.Sprintf("checkpoint of %s: %s", name, msg), err}
				}
				mu.Unlock()
			}
			if err != nil {
				c.Error = err.Error()
				return
			}
			c.model, c.res = m, res
			c.ValNLL, c.TrainNLL = cli.Finite(res.ValNLL), cli.Finite(res.TrainNLL)
			c.BestEpoch, c.Epochs = res.BestEpoch, res.Epochs
		}()
	}
	wg.Wait()
	if resumeErr != nil {
		return resumeErr
	}
	return ctx.Err()
}

// line is the candidate's row of the printed table.
func (c *candidate) line() string {
	if c.Error != "" {
		return fmt.Sprintf("select  K=%-3d hidden %-12s l2 %-6g failed: %s", c.K, widthsString(c.Hidden), c.L2, c.Error)
	}
	nll := func(p *float64) string {
		if p == nil {
			return "   n/a "
		}
		return fmt.Sprintf("%7.4f", *p)
	}
	return fmt.Sprintf("select  K=%-3d hidden %-12s l2 %-6g  validation NLL %s  train NLL %s  kept epoch %d of %d  %.1fs", c.K, widthsString(c.Hidden), c.L2, nll(c.ValNLL), nll(c.TrainNLL), c.BestEpoch, c.Epochs, c.Seconds)
}

func widthsString(w []int) string {
	s := make([]string, len(w))
	for i, v := range w {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ",")
}

func firstError(cs []*candidate) string {
	for _, c := range cs {
		if c.Error != "" {
			return c.Error
		}
	}
	return "none ran"
}

// ensembleFits reports whether members copies of cfg (with the skip path as skip says)
// combine within the model's limits.
func ensembleFits(cfg mdn.Config, members int, skip train.SkipChoice) bool {
	return ensembleConfig(cfg, members, skip).Validate() == nil && cfg.K <= mdn.MaxK/members
}

// ensembleConfig is the config of the combination of members models of cfg (defaults
// applied, the skip path on the members skip says), for checking its size before
// anything is trained; a width beyond MaxWidth is left beyond it, so that Validate
// refuses it.
func ensembleConfig(cfg mdn.Config, members int, skip train.SkipChoice) mdn.Config {
	c := cfg
	for m := range members {
		c.Skip = c.Skip || skip.Has(m)
	}
	if c.K == 0 {
		c.K = mdn.DefaultK
	}
	if c.Hidden == nil {
		c.Hidden = mdn.DefaultHidden
	}
	c.Members = members
	c.K *= members
	c.Hidden = slices.Clone(c.Hidden)
	for i := range c.Hidden {
		c.Hidden[i] = min(c.Hidden[i]*members, mdn.MaxWidth+1)
	}
	return c
}

// candidateError is a candidate checkpoint's refusal: its own message, naming the file,
// and train's error (train.ErrBadCheckpoint) beneath.
type candidateError struct {
	msg string
	err error
}

func (e candidateError) Error() string { return e.msg }
func (e candidateError) Unwrap() error { return e.err }

// isCancel reports whether err is a context's cancellation.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
