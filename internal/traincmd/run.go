package traincmd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/internal/cli"
	"github.com/mixgraph/mixgraph/internal/version"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/linear"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/models/mlp"
	"github.com/mixgraph/mixgraph/train"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// runConfig is what config.json records.
type runConfig struct {
	Dataset string       `json:"dataset"`
	CSV     string       `json:"csv,omitempty"`
	TestCSV string       `json:"test_csv,omitempty"`
	XNames  []string     `json:"x_columns"`
	YNames  []string     `json:"y_columns"`
	NTrain  int          `json:"n_train"` // rows trained on
	NVal    int          `json:"n_val"`   // rows validated on (held out of the training set)
	NTest   int          `json:"n_test"`  // rows tested on
	Model   mdn.Config   `json:"model"`
	Train   train.Config `json:"train"`
	// Select and Ensemble record the -select search and the -ensemble members (search.go).
	Select   *selectRecord   `json:"select,omitempty"`
	Ensemble *ensembleRecord `json:"ensemble,omitempty"`
	Result   struct {
		TrainNLL  *float64 `json:"train_nll"`
		ValNLL    *float64 `json:"val_nll,omitempty"`
		TestNLL   *float64 `json:"test_nll,omitempty"`
		BestNLL   *float64 `json:"best_possible_nll,omitempty"`
		Epochs    int      `json:"epochs"`
		Steps     int      `json:"steps"`
		BestEpoch int      `json:"best_epoch"` // the epoch whose weights were kept (0: the last)
		Seconds   float64  `json:"seconds"`
		Stopped   string   `json:"stopped"`
		// Refit: the model was then trained afresh on every training row (n_train +
		// n_val) for best_epoch epochs; train_nll is on those rows, val_nll the first fit's.
		Refit bool `json:"refit,omitempty"`
		// The baselines' test NLL, on the same test rows.
		Baselines *baselines `json:"baselines,omitempty"`
		// The test set's calibration, one entry per target column.
		Calibration []calibration `json:"calibration,omitempty"`
	} `json:"result"`
	// Notes are the cautions printed before training (repeatedValues).
	Notes []string `json:"notes,omitempty"`
}

// baselines are the homoscedastic models every run is compared with.
type baselines struct {
	// LinearGaussian: least squares on the training rows, maximum-likelihood variance.
	// null when the fit passes through every training row (LinearInterpolates).
	LinearGaussian *float64 `json:"linear_gaussian_test_nll"`
	// LinearInterpolates: the inputs and the intercept fit the N training rows exactly
	// (N − 1 or more independent inputs), so the fitted noise is rounding error and the
	// test NLL meaningless (about 1e28 or beyond); linear_gaussian_test_nll is null.
	LinearInterpolates bool `json:"linear_gaussian_interpolates,omitempty"`
	linearRows         int  // the rows the linear model was fitted on
	// MLP: the least-squares MLP (the MDN's hidden layers, trained like the MDN with the
	// same validation rows) with a Gaussian whose variance is fitted on the validation
	// rows (the training rows when there are none). Absent with -baseline=false.
	MLP *float64 `json:"mlp_test_nll,omitempty"`
}

// calibration is mdn.Calibration with the column's name, and its CRPS as null when it
// is beyond float64's range (encoding/json writes no ±Inf), in place of the embedded one.
type calibration struct {
	Column string   `json:"column"`
	CRPS   *float64 `json:"crps"`
	mdn.Calibration
}

// progressHookKey keys a test's view of the training progress in run's context.
type progressHookKey struct{}

// run is the command: parse and check everything the user gave, train, and write the
// run folder. Nothing is written before the flags, the -out policy, the data and the
// model's size have all been checked.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout)
		return err
	}
	if err != nil {
		return err
	}
	if o.version {
		fmt.Fprintln(stdout, "train:", version.String())
		return cli.ErrVersion
	}
	mk := &marker{Format: markerFormat, Version: markerVersion, Args: args, Defaults: pinnedDefaults(o.set)}
	if o.resume != "" {
		if o, mk, err = resumeOptions(o); err != nil {
			return err
		}
	}
	act, _ := graph.ParseActivation(o.activation)
	scale, _ := losses.ParseScale(o.scale)
	dtype, _ := models.ParseDType(o.dtype)
	covariance, _ := mdn.ParseCovariance(o.covariance)
	solver, _ := train.ParseSolver(o.solver)
	schedule, _ := train.ParseSchedule(o.schedule)

	name := o.dataset
	if o.csvPath != "" {
		name = strings.TrimSuffix(filepath.Base(o.csvPath), filepath.Ext(o.csvPath))
		if name == "" || name == "." || name == string(filepath.Separator) {
			name = "csv"
		}
	}
	out := o.out
	if out == "" {
		out = filepath.Join("runs", name)
	}
	if err := checkOut(out, []string{o.csvPath, o.testCSV}, o.resume); err != nil {
		return err
	}

	// Data.
	var trainSet, testSet *datasets.Set
	var notes []string
	if o.csvPath != "" {
		sum, err := fileSHA256(o.csvPath)
		if err != nil {
			return fmt.Errorf("-csv %s: %v", o.csvPath, cli.UnwrapPath(err))
		}
		if o.resume != "" && mk.CSVHash != "" && sum != mk.CSVHash {
			return fmt.Errorf("-resume %s: the training CSV %s has changed since the run started", o.resume, o.csvPath)
		}
		if abs, err := filepath.Abs(o.csvPath); err == nil {
			mk.CSV = abs
		}
		mk.CSVHash = sum
		all, err := datasets.ReadCSVFile(o.csvPath, splitCols(o.xCols), splitCols(o.yCols))
		if err != nil {
			// "good.csv: datasets: line 7, …" reads better without the package's name.
			return errors.New(strings.Replace(err.Error(), ": datasets: ", ": ", 1))
		}
		if err := checkSpread(all); err != nil {
			return fmt.Errorf("%s: %v", o.csvPath, err)
		}
		if o.varianceFloor == 0 {
			notes = repeatedValues(all)
		}
		switch {
		case o.testCSV != "":
			tsum, err := fileSHA256(o.testCSV)
			if err != nil {
				return fmt.Errorf("-test_csv %s: %v", o.testCSV, cli.UnwrapPath(err))
			}
			if o.resume != "" && mk.TestCSVHash != "" && tsum != mk.TestCSVHash {
				return fmt.Errorf("-resume %s: the test CSV %s has changed since the run started", o.resume, o.testCSV)
			}
			if abs, err := filepath.Abs(o.testCSV); err == nil {
				mk.TestCSV = abs
			}
			mk.TestCSVHash = tsum
			// The test file's columns are found by the training file's names.
			if testSet, err = datasets.ReadCSVFile(o.testCSV, all.XNames, all.YNames); err != nil {
				return fmt.Errorf("-test_csv %s", strings.Replace(err.Error(), ": datasets: ", ": ", 1))
			}
			trainSet = all
		case o.testFraction == 0:
			trainSet = all
		default:
			if trainSet, testSet, err = datasets.Split(all, o.testFraction, graph.NewRand(o.seed)); err != nil {
				return fmt.Errorf("-test_fraction %g: %v", o.testFraction, trimPrefix(err))
			}
		}
	} else if trainSet, testSet, err = datasets.Builtin(o.dataset, o.n, o.seed); err != nil {
		return fmt.Errorf("-data: %w", err)
	}
	valFraction, batch, epochs, patience := o.scaled(trainSet.N)
	if valFraction > 0 {
		nVal := int(math.Round(valFraction * float64(trainSet.N)))
		if nVal < 1 || nVal >= trainSet.N {
			return fmt.Errorf("-val_fraction %g: of %d training rows that leaves %d for validation and %d for training (want at least 1 each)", valFraction, trainSet.N, nVal, trainSet.N-nVal)
		}
	} else if patience > 0 {
		return fmt.Errorf("-patience %d: needs validation rows, and %d training rows are too few to hold any out", patience, trainSet.N)
	}

	k := o.k.v
	if o.k.auto {
		k = train.ScaledK(trainSet.N)
	}
	decay := o.decay.v
	if o.decay.auto {
		decay = train.ScaledDecay(trainSet.N)
	}
	mcfg := mdn.Config{InputDim: trainSet.XDim, OutputDim: trainSet.YDim, K: k, Hidden: o.widths, Activation: act, Scale: scale, VarianceFloor: o.varianceFloor, DType: dtype, Seed: o.seed, Covariance: covariance, Skip: train.SkipChoice(o.skip) == train.SkipAll}
	if err := mcfg.Validate(); err != nil {
		// The model validates its own config; name the flags behind what it refused.
		culprit := fmt.Sprintf("-k %d, -hidden %s", k, o.hidden)
		switch msg := err.Error(); {
		case strings.Contains(msg, "covariance"):
			culprit = fmt.Sprintf("-covariance %s", o.covariance)
		case strings.Contains(msg, "variance floor"):
			culprit = fmt.Sprintf("-variance_floor %g", o.varianceFloor)
		case strings.Contains(msg, "dimension"):
			culprit = "-x_cols, -y_cols"
		}
		return fmt.Errorf("%s: %s", culprit, trimPrefix(err))
	}
	if o.ensemble.auto {
		// One model where the user asked for what an ensemble cannot give (a refit, a
		// search for one model) or where K·M components would not fit in one model.
		o.ensemble.v = train.ScaledEnsemble(trainSet.N)
		if o.refitBelow > 0 || o.selectModel || !ensembleFits(mcfg, o.ensemble.v, train.SkipChoice(o.skip)) {
			o.ensemble.v = 1
		}
	}
	if o.ensemble.v > 1 {
		if err := ensembleConfig(mcfg, o.ensemble.v, train.SkipChoice(o.skip)).Validate(); err != nil {
			return fmt.Errorf("-ensemble %d, -k %d, -hidden %s: the combined model: %s", o.ensemble.v, k, o.hidden, trimPrefix(err))
		}
	}
	model, err := mdn.New(mcfg)
	if err != nil {
		return err
	}
	if err := model.SetColumns(trainSet.XNames, trainSet.YNames); err != nil {
		return err
	}
	tcfg := train.Config{Solver: solver, LearnRate: o.lr, BatchSize: batch, Epochs: epochs, Schedule: schedule, Clip: o.clip, ClipNorm: o.clipNorm, L2: o.l2, WeightDecay: decay, Patience: patience, Seed: o.seed, ValFraction: valFraction}
	if err := tcfg.Validate(); err != nil {
		return err
	}
	pr := newProgress(stdout, o.quiet, isTerminal(stdout))
	tcfg.Progress = pr.update
	if hook, ok := ctx.Value(progressHookKey{}).(func(train.Progress)); ok {
		tcfg.ProgressEvery = 1 // every step
		tcfg.Progress = func(p train.Progress) { pr.update(p); hook(p) }
	}

	// Checkpoints: every -checkpoint_every epochs the run folder is replaced by one
	// holding the checkpoint (status running); on an interrupt the checkpoint goes into
	// the folder written below. The latest is kept in memory for that.
	tcfg.CheckpointEvery = math.MaxInt32
	if o.checkpointEvery > 0 {
		tcfg.CheckpointEvery = o.checkpointEvery
	}
	var lastCheckpoint []byte
	tcfg.SaveCheckpoint = func(write func(io.Writer) error) error {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return err
		}
		lastCheckpoint = b.Bytes()
		if o.checkpointEvery == 0 || ctx.Err() != nil {
			return nil
		}
		running := *mk
		running.Status = statusRunning
		return writeRunDir(out, func(dir string) error {
			if err := writeJSON(filepath.Join(dir, markerName), &running); err != nil {
				return err
			}
			return writeBytes(filepath.Join(dir, checkpointName), lastCheckpoint)
		})
	}
	if o.resume != "" {
		tcfg.Resume = filepath.Join(o.resume, checkpointName)
	}

	if !o.quiet {
		verb := "training"
		if o.resume != "" {
			verb = "resuming"
		}
		nTest := 0
		if testSet != nil {
			nTest = testSet.N
		}
		kind := ""
		if mcfg.Full() {
			kind = ", full covariance"
		}
		fmt.Fprintf(stdout, "mixgraph: %s an MDN (K=%d, hidden %v, %s%s) on %s: %d training rows (%d of them for validation) and %d test rows\n", verb, k, o.widths, act, kind, name, trainSet.N, int(math.Round(tcfg.ValFraction*float64(trainSet.N))), nTest)
		for _, n := range notes {
			fmt.Fprintln(stdout, "note:", n)
		}
	}
	x, y := trainSet.Rows()
	start := time.Now()
	var res *train.Result
	var fo fitOutcome
	// An ensemble and a -select search checkpoint every run they train (runcheckpoints.go):
	// every -checkpoint_every epochs of a run the run folder is replaced by one holding
	// all of their latest, and on an interrupt they go into the folder written below.
	var ckpts *runCheckpoints
	if o.ensemble.v > 1 || o.selectModel {
		ckpts = &runCheckpoints{saved: map[string][]byte{}, dir: out}
		if o.resume != "" {
			if ckpts.saved, err = readRunCheckpoints(o.resume, o.ensemble.v); err != nil {
				return fmt.Errorf("-resume %s: %v", o.resume, err)
			}
			ckpts.done() // the folder holds what was read from it
			if !o.quiet {
				fmt.Fprint(stdout, ckpts.summary())
			}
		}
		if o.checkpointEvery > 0 {
			ckpts.flush = func(mc *runCheckpoints) error {
				if ctx.Err() != nil {
					return nil // the interrupted run's folder is written below
				}
				return mc.writeFolder(mk, statusRunning)
			}
		}
	}
	if o.selectModel || o.ensemble.v > 1 {
		tcfg.SaveCheckpoint, tcfg.Resume = nil, ""
		model, res, fo, err = fit(ctx, o, mcfg, train.Data{X: x, Y: y}, tcfg, trainSet.XNames, trainSet.YNames, ckpts, stdout)
		if o.resume != "" && errors.Is(err, train.ErrBadCheckpoint) {
			// A checkpoint in the folder is damaged or not this run's.
			err = fmt.Errorf("-resume %s: %s", o.resume, trimPrefix(err))
		}
		tcfg.L2 = o.l2
	} else {
		res, err = train.Run(ctx, model, train.Data{X: x, Y: y}, tcfg)
	}
	pr.finish()
	// partial: an interrupted ensemble whose members trained so far make the model, or an
	// interrupted -select search whose best candidate so far is the model; its run folder
	// is written as a completed one's, marked interrupted, with the checkpoints of the
	// runs begun.
	partial := false
	if (o.selectModel || o.ensemble.v > 1) && err != nil && ctx.Err() != nil {
		if model == nil || fo.ens == nil && (fo.sel == nil || !fo.sel.Interrupted) {
			// Nothing finished that makes a model: the checkpoints alone, if any.
			msg := "interrupted before any ensemble member took a step; nothing was written"
			if o.selectModel {
				msg = "interrupted before any -select candidate took a step; nothing was written"
			}
			if ckpts.learnt() {
				// Some run took a step: its checkpoint is worth a folder (one that took
				// none is not worth more than an existing run folder).
				ckpts.mu.Lock()
				err := ckpts.writeFolder(mk, statusInterrupted)
				ckpts.mu.Unlock()
				if err != nil {
					return fmt.Errorf("interrupted, and writing %s failed: %v", out, err)
				}
				msg = fmt.Sprintf("interrupted before any run finished: wrote %s/ with the checkpoints of the %d begun (no model yet); continue it with -resume %s", filepath.Clean(out), ckpts.count(), filepath.Clean(out))
			}
			ie := &interrupted{out: out, msg: msg}
			if sc, ok := context.Cause(ctx).(signalCause); ok {
				ie.sig = sc.sig
			}
			return ie
		}
		partial, err = true, nil
	}
	cancelled := err != nil && errors.Is(err, context.Canceled) && res != nil && lastCheckpoint != nil
	if cancelled && res.Steps == 0 && o.resume == "" {
		// Nothing was learnt: an existing run folder is worth more than an empty one.
		ie := &interrupted{out: out}
		if sc, ok := context.Cause(ctx).(signalCause); ok {
			ie.sig = sc.sig
		}
		return ie
	}
	if err != nil && !cancelled {
		return err
	}
	refit := false
	if !cancelled && !partial && res.BestEpoch > 0 && trainSet.N < o.refitBelow {
		// Few rows: the validation rows are too many to leave out of the final fit. Train
		// a fresh model on every training row for the epochs validation chose.
		m2, err := refitModel(ctx, mcfg, trainSet, x, y, tcfg, res.BestEpoch)
		switch {
		case err == nil:
			model, refit = m2, true
			if res.TrainNLL, err = model.NLL(x, y); err != nil {
				return err
			}
		case ctx.Err() == nil:
			return fmt.Errorf("refit: %w", err)
		}
	}
	testNLL := math.NaN()
	var tx, ty [][]float64
	if testSet != nil {
		tx, ty = testSet.Rows()
		if testNLL, err = model.NLL(tx, ty); err != nil {
			return err
		}
	}
	seconds := time.Since(start).Seconds()

	var rc runConfig
	rc.Dataset, rc.XNames, rc.YNames, rc.NTrain, rc.NVal = name, trainSet.XNames, trainSet.YNames, res.TrainRows, res.ValRows
	if testSet != nil {
		rc.NTest = testSet.N
	}
	if o.csvPath != "" {
		rc.CSV, rc.TestCSV = o.csvPath, o.testCSV
	}
	rc.Model, rc.Train = model.Config(), tcfg
	rc.Select, rc.Ensemble = fo.sel, fo.ens
	rc.Notes = notes
	rc.Train.CheckpointEvery = o.checkpointEvery
	rc.Result.TrainNLL, rc.Result.TestNLL = cli.Finite(res.TrainNLL), cli.Finite(testNLL)
	rc.Result.ValNLL = cli.Finite(res.ValNLL)
	rc.Result.Epochs, rc.Result.Steps, rc.Result.BestEpoch, rc.Result.Seconds = res.Epochs, res.Steps, res.BestEpoch, seconds
	rc.Result.Stopped = string(res.Stopped)
	rc.Result.Refit = refit
	best, haveBest := datasets.BestNLL(o.dataset)
	if haveBest && o.csvPath == "" {
		rc.Result.BestNLL = &best
	}
	mk.Epoch, mk.Step = res.Epochs, res.Steps

	if cancelled {
		mk.Status = statusInterrupted
		rc.Result.Stopped = statusInterrupted
		if err := writeRunDir(out, func(dir string) error {
			return fillRunDir(dir, mk, lastCheckpoint, model, res, &rc, nil, nil, "", nil)
		}); err != nil {
			return fmt.Errorf("interrupted, and writing %s failed: %v", out, err)
		}
		ie := &interrupted{out: out, epoch: res.Epochs, step: res.Steps, checkpoint: true}
		if sc, ok := context.Cause(ctx).(signalCause); ok {
			ie.sig = sc.sig
		}
		return ie
	}

	// Baselines, on the same test rows. A signal now only skips the MLP baseline: the
	// run itself is complete.
	var baseline *mlp.Model
	var cal []mdn.Calibration
	if testSet != nil {
		lin, err := linear.Fit(x, y)
		if err != nil {
			return fmt.Errorf("linear baseline: %w", err)
		}
		rc.Result.Baselines = &baselines{}
		if lin.Interpolates() {
			// Its σ is rounding error: no figure to compare with.
			rc.Result.Baselines.LinearInterpolates, rc.Result.Baselines.linearRows = true, len(x)
		} else {
			linNLL, err := lin.NLL(tx, ty)
			if err != nil {
				return fmt.Errorf("linear baseline: %w", err)
			}
			rc.Result.Baselines.LinearGaussian = cli.Finite(linNLL)
		}
		mix, err := model.Predict(tx)
		if err != nil {
			return err
		}
		if cal, err = mdn.CalibrateColumns(mix, ty); err != nil {
			return err
		}
		for d, c := range cal {
			rc.Result.Calibration = append(rc.Result.Calibration, calibration{Column: trainSet.YNames[d], CRPS: cli.Finite(c.CRPS), Calibration: c})
		}
	}
	// The MLP baseline is a training run of its own: not after an interrupt.
	if o.baseline && !partial && (testSet != nil || o.plots && trainSet.XDim == 1 && trainSet.YDim == 1) {
		var mlpNLL float64
		if baseline, mlpNLL, err = trainBaseline(ctx, x, y, tx, ty, o.widths, act, tcfg); err != nil {
			if ctx.Err() == nil {
				return fmt.Errorf("baseline: %w", err)
			}
			baseline = nil
		} else if rc.Result.Baselines != nil {
			rc.Result.Baselines.MLP = cli.Finite(mlpNLL)
		}
	}
	mk.Status = statusCompleted
	if partial {
		mk.Status, rc.Result.Stopped = statusInterrupted, statusInterrupted
	}
	var plotSet *datasets.Set
	if o.plots {
		plotSet = trainSet
	}
	if err := writeRunDir(out, func(dir string) error {
		if partial {
			if err := ckpts.fillLocked(dir); err != nil {
				return err
			}
		}
		return fillRunDir(dir, mk, nil, model, res, &rc, plotSet, baseline, o.plotFormat, cal)
	}); err != nil {
		if partial {
			return fmt.Errorf("interrupted, and writing %s failed: %v", out, err)
		}
		return err
	}
	if !o.quiet {
		fmt.Fprint(stdout, summary(&rc))
		if !partial {
			fmt.Fprintf(stdout, "wrote %s/\n", filepath.Clean(out))
		}
	}
	if partial {
		var msg string
		if e := rc.Ensemble; e != nil {
			n := len(e.Complete) + len(e.Interrupted)
			msg = fmt.Sprintf("interrupted: wrote %s/ with the ensemble of the %d of %d members trained so far", filepath.Clean(out), n, e.Members)
			if len(e.Interrupted) > 0 {
				msg += fmt.Sprintf(" (%d of them stopped part-way, with their best weights so far)", len(e.Interrupted))
			}
			msg += fmt.Sprintf("; continue it with -resume %s", filepath.Clean(out))
		} else {
			sel := rc.Select
			win := sel.Candidates[sel.Chosen]
			msg = fmt.Sprintf("interrupted during the -select search: wrote %s/ with the best of the %d candidates trained so far (K=%d, hidden %s, l2 %g)", filepath.Clean(out), len(sel.Candidates), win.K, widthsString(win.Hidden), win.L2)
			if o.ensemble.v > 1 {
				msg += fmt.Sprintf(", one model instead of the ensemble of %d", o.ensemble.v)
			}
			msg += fmt.Sprintf("; continue it with -resume %s", filepath.Clean(out))
		}
		ie := &interrupted{out: out, msg: msg}
		if sc, ok := context.Cause(ctx).(signalCause); ok {
			ie.sig = sc.sig
		}
		return ie
	}
	return nil
}

// summary is the run's closing lines: the NLLs (test, the baselines', the best possible),
// the kept epoch, the time and the exact row counts.
func summary(rc *runConfig) string {
	var b strings.Builder
	r := &rc.Result
	num := func(v *float64) string {
		if v == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.4f", *v)
	}
	fmt.Fprintf(&b, "train NLL %s", num(r.TrainNLL))
	if r.ValNLL != nil {
		fmt.Fprintf(&b, ", validation NLL %s", num(r.ValNLL))
	}
	rotated := rc.Ensemble != nil && rc.Ensemble.Validation == "rotated"
	if rotated && rc.Ensemble.CrossValNLL != nil {
		fmt.Fprintf(&b, ", cross-validated NLL %s", num(rc.Ensemble.CrossValNLL))
	}
	if rc.NTest > 0 {
		fmt.Fprintf(&b, ", test NLL %s", num(r.TestNLL))
	}
	b.WriteString(" nats per point")
	if r.BestNLL != nil {
		fmt.Fprintf(&b, " (best possible ≈ %.2f)", *r.BestNLL)
	}
	if bl := r.Baselines; bl != nil {
		lin := num(bl.LinearGaussian)
		if bl.LinearInterpolates {
			lin = fmt.Sprintf("n/a (it fits all %d training rows exactly: too many inputs for the rows)", bl.linearRows)
		}
		fmt.Fprintf(&b, "; baselines' test NLL: linear-Gaussian %s", lin)
		if bl.MLP != nil {
			fmt.Fprintf(&b, ", least-squares MLP %s", num(bl.MLP))
		}
	}
	b.WriteString("\n")
	kept := "the last epoch's weights"
	if r.BestEpoch > 0 {
		kept = fmt.Sprintf("kept epoch %d", r.BestEpoch)
	}
	if r.Refit {
		kept = fmt.Sprintf("refit on all %d training rows for the %d epochs validation chose", rc.NTrain+rc.NVal, r.BestEpoch)
	}
	rows := fmt.Sprintf("%d training, %d validation and %d test rows", rc.NTrain, rc.NVal, rc.NTest)
	if rotated {
		rows = fmt.Sprintf("%d training rows, each member validating on its own %d of them and training on the other %d; %d test rows", rc.NTrain+rc.NVal, rc.NVal, rc.NTrain, rc.NTest)
	}
	fmt.Fprintf(&b, "%s of %d (%s), %d steps in %.1fs; %s\n", kept, r.Epochs, r.Stopped, r.Steps, r.Seconds, rows)
	for _, c := range r.Calibration {
		crps := "n/a"
		if c.CRPS != nil {
			crps = fmt.Sprintf("%.4g", *c.CRPS)
		}
		fmt.Fprintf(&b, "calibration of %s on the test rows: CRPS %s, PIT KS distance %.3f, coverage %.2f of the central 50%% and %.2f of the 90%% intervals\n", c.Column, crps, c.KS, c.Coverage50, c.Coverage90)
	}
	return b.String()
}

// fillRunDir writes a run folder's files into dir: the marker, the checkpoint (when
// given), the model, config.json, history.csv and, when s is given, the pictures.
func fillRunDir(dir string, mk *marker, checkpoint []byte, m *mdn.Model, res *train.Result, rc *runConfig, s *datasets.Set, baseline *mlp.Model, plotFormat string, cal []mdn.Calibration) error {
	if err := m.SaveFile(filepath.Join(dir, modelName)); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "config.json"), rc); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, "history.csv"), res.History.WriteCSV); err != nil {
		return err
	}
	if checkpoint != nil {
		if err := writeBytes(filepath.Join(dir, checkpointName), checkpoint); err != nil {
			return err
		}
	}
	if s != nil {
		if err := writePlots(dir, m, res.History, res.BestEpoch, s, baseline, plotFormat, cal); err != nil {
			return err
		}
	}
	// The marker last: a folder is a run folder once everything else is in it.
	return writeJSON(filepath.Join(dir, markerName), mk)
}

// resumeOptions reads the run folder's marker and returns the options the run was
// started with, the flags given with -resume applied on top.
func resumeOptions(given *options) (*options, *marker, error) {
	dir := filepath.Clean(given.resume)
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("-resume %s: %v", given.resume, cli.UnwrapPath(err))
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("-resume %s: is a file; name a run folder", given.resume)
	}
	mk, err := readMarker(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("-resume %s: not a run folder written by train (no %s)", given.resume, markerName)
		}
		return nil, nil, fmt.Errorf("-resume %s: %v", given.resume, cli.UnwrapPath(err))
	}
	if mk.Status == statusCompleted {
		return nil, nil, fmt.Errorf("-resume %s: the run completed; there is nothing to resume", given.resume)
	}
	_, err = os.Stat(filepath.Join(dir, checkpointName))
	single := err == nil
	if !single && !hasRunCheckpoints(dir) {
		if mk.Status == statusInterrupted {
			// An interrupted ensemble or -select search of an earlier version, written
			// without checkpoints.
			return nil, nil, fmt.Errorf("-resume %s: holds no checkpoint to resume from: an ensemble or -select run interrupted under an earlier version of train (its model.mdn holds what was trained before the interrupt)", given.resume)
		}
		return nil, nil, fmt.Errorf("-resume %s: holds no checkpoint to resume from", given.resume)
	}
	defaults := mk.Defaults
	if defaults == nil {
		defaults = legacyDefaults
	}
	o, err := parseRecorded(defaults, mk.Args)
	if err != nil {
		return nil, nil, fmt.Errorf("-resume %s: the run's recorded flags: %v", given.resume, err)
	}
	if o.resume != "" || o.version {
		return nil, nil, fmt.Errorf("-resume %s: the run's recorded flags are not a training run's", given.resume)
	}
	if mk.CSV != "" {
		o.csvPath = mk.CSV
	}
	if mk.TestCSV != "" {
		o.testCSV = mk.TestCSV
	}
	for name := range given.set {
		switch name {
		case "quiet":
			o.quiet = given.quiet
		case "checkpoint_every":
			o.checkpointEvery = given.checkpointEvery
		case "plots":
			o.plots = given.plots
		case "baseline":
			o.baseline = given.baseline
		}
	}
	if single && o.ensemble.auto {
		// One model's checkpoint: a run of a version that trained one model where this
		// one trains an ensemble by default (with -checkpoint_every).
		o.ensemble = autoInt{v: 1}
	}
	o.resume, o.out = dir, dir
	return o, mk, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeBytes(path, append(b, '\n'))
}

func writeBytes(path string, b []byte) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// checkSpread refuses a column whose values, though finite, cannot be standardised:
// they spread over more than float64's range, so that some value's distance from the
// mean overflows. (Values of any magnitude within that range train: models.Fit rescales
// a column whose sums of squares overflow or underflow.)
func checkSpread(s *datasets.Set) error {
	check := func(v []float64, dim, j int, name string) error {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := j; i < len(v); i += dim {
			lo, hi = min(lo, v[i]), max(hi, v[i])
		}
		if math.IsInf(hi-lo, 0) {
			return fmt.Errorf("column %q: its values run from %g to %g, a spread beyond float64's range that cannot be standardised (rescale the column)", name, lo, hi)
		}
		return nil
	}
	for j, name := range s.XNames {
		if err := check(s.X, s.XDim, j, name); err != nil {
			return err
		}
	}
	for j, name := range s.YNames {
		if err := check(s.Y, s.YDim, j, name); err != nil {
			return err
		}
	}
	return nil
}

// Repeated target values: a column with at most fewDistinct distinct values, or with one
// value in at least max(minRepeats, repeatedShare of the rows), is noted.
const (
	fewDistinct   = 20
	minRepeats    = 5
	repeatedShare = 0.10
)

// repeatedValues returns a note for every target column of s whose values repeat so much
// that a mixture can put a spike on them (a component of vanishing σ on a repeated
// value): its likelihood is then unbounded, and its NLL can fall far below anything a
// smooth density reaches (the baselines' included) without predicting better. A variance
// floor bounds it.
func repeatedValues(s *datasets.Set) []string {
	var notes []string
	for j, name := range s.YNames {
		count := map[float64]int{}
		top, topN := 0.0, 0
		for i := j; i < len(s.Y); i += s.YDim {
			v := s.Y[i]
			count[v]++
			if c := count[v]; c > topN || c == topN && v < top {
				top, topN = v, c
			}
		}
		const fix = "a mixture can put a spike of vanishing σ on a repeated value, and its NLL then falls without bound (a smooth density's, the baselines', cannot); -variance_floor 0.001 keeps every σ above a floor"
		switch {
		case len(count) <= fewDistinct:
			notes = append(notes, fmt.Sprintf("target %q takes only %d distinct values in %d rows: %s", name, len(count), s.N, fix))
		case float64(topN) >= max(minRepeats, repeatedShare*float64(s.N)):
			notes = append(notes, fmt.Sprintf("target %q is %g in %d of %d rows: %s", name, top, topN, s.N, fix))
		}
	}
	return notes
}

// trimPrefix drops a package prefix ("datasets: ") from an error's text.
func trimPrefix(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i > 0 && !strings.Contains(msg[:i], " ") {
		return msg[i+2:]
	}
	return msg
}

// trainBaseline trains the least-squares MLP with the MDN's hidden layers on the training
// rows, with the MDN's training settings and validation rows (the best validation epoch
// kept), and returns it with its test NLL under a Gaussian whose variance is fitted on the
// validation rows (on the training rows when there are none; NaN without test rows).
func trainBaseline(ctx context.Context, x, y, tx, ty [][]float64, hidden []int, act graph.Activation, tcfg train.Config) (*mlp.Model, float64, error) {
	m, err := mlp.New(mlp.Config{InputDim: len(x[0]), OutputDim: len(y[0]), Hidden: hidden, Activation: act, Seed: tcfg.Seed})
	if err != nil {
		return nil, 0, err
	}
	cfg := train.Config{Solver: tcfg.Solver, LearnRate: tcfg.LearnRate, BatchSize: tcfg.BatchSize, Epochs: tcfg.Epochs, Steps: tcfg.Steps, Schedule: tcfg.Schedule,
		Clip: tcfg.Clip, ClipNorm: tcfg.ClipNorm, L2: tcfg.L2, Seed: tcfg.Seed, ValFraction: tcfg.ValFraction, Patience: tcfg.Patience}
	if _, err = train.Run(ctx, m, train.Data{X: x, Y: y}, cfg); err != nil {
		return nil, 0, err
	}
	if tx == nil {
		return m, math.NaN(), nil
	}
	vx, vy := x, y
	if cfg.ValFraction > 0 {
		d, err := train.HoldOut(train.Data{X: x, Y: y}, len(x[0]), len(y[0]), cfg)
		if err != nil {
			return nil, 0, err
		}
		vx, vy = d.ValX, d.ValY
	}
	pv, err := m.Predict(vx)
	if err != nil {
		return nil, 0, err
	}
	sd, err := models.ResidualStdDevs(pv, vy)
	if err != nil {
		return nil, 0, err
	}
	pt, err := m.Predict(tx)
	if err != nil {
		return nil, 0, err
	}
	nll, err := models.GaussianNLL(pt, ty, sd)
	return m, nll, err
}

// scaled resolves the flags left at auto for n rows before the validation hold-out, with
// train.Scaled's rules applied around the values given.
func (o *options) scaled(n int) (valFraction float64, batch, epochs, patience int) {
	valFraction, batch, epochs, patience = o.valFraction.v, o.batch.v, o.epochs.v, o.patience.v
	if o.valFraction.auto {
		valFraction = train.ScaledValFraction(n)
	}
	fit := n - int(math.Round(valFraction*float64(n)))
	if o.batch.auto {
		batch = train.ScaledBatch(fit)
	}
	if o.epochs.auto {
		epochs = train.ScaledEpochs(fit, batch)
	}
	if o.patience.auto {
		patience = 0
		if valFraction > 0 {
			patience = train.ScaledPatience(epochs)
		}
	}
	return valFraction, batch, epochs, patience
}

// refitModel trains a fresh model of cfg on every training row (no validation) for epochs
// epochs, the other settings as tcfg's, without progress or checkpoints.
func refitModel(ctx context.Context, cfg mdn.Config, s *datasets.Set, x, y [][]float64, tcfg train.Config, epochs int) (*mdn.Model, error) {
	m, err := mdn.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := m.SetColumns(s.XNames, s.YNames); err != nil {
		return nil, err
	}
	c := tcfg
	c.ValFraction, c.Patience, c.Epochs, c.Steps = 0, 0, epochs, 0
	c.Progress, c.SaveCheckpoint, c.CheckpointPath, c.Resume, c.CheckpointEvery = nil, nil, "", "", 0
	if _, err := train.Run(ctx, m, train.Data{X: x, Y: y}, c); err != nil {
		return nil, err
	}
	return m, nil
}
