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
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/models/mlp"
	"github.com/mixgraph/mixgraph/train"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// runConfig is what config.json records.
type runConfig struct {
	Dataset string       `json:"dataset"`
	CSV     string       `json:"csv,omitempty"`
	XNames  []string     `json:"x_columns"`
	YNames  []string     `json:"y_columns"`
	NTrain  int          `json:"n_train"`
	NTest   int          `json:"n_test"`
	Model   mdn.Config   `json:"model"`
	Train   train.Config `json:"train"`
	// Select and Ensemble record the -select search and the -ensemble members (search.go).
	Select   *selectRecord   `json:"select,omitempty"`
	Ensemble *ensembleRecord `json:"ensemble,omitempty"`
	Result   struct {
		TrainNLL  *float64 `json:"train_nll"`
		ValNLL    *float64 `json:"val_nll,omitempty"`
		TestNLL   *float64 `json:"test_nll"`
		BestNLL   *float64 `json:"best_possible_nll,omitempty"`
		Epochs    int      `json:"epochs"`
		Steps     int      `json:"steps"`
		BestEpoch int      `json:"best_epoch"`
		Seconds   float64  `json:"seconds"`
		Stopped   string   `json:"stopped"`
	} `json:"result"`
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
	mk := &marker{Format: markerFormat, Version: markerVersion, Args: args}
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
	if err := checkOut(out, []string{o.csvPath}, o.resume); err != nil {
		return err
	}

	// Data.
	var trainSet, testSet *datasets.Set
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
		if trainSet, testSet, err = datasets.Split(all, o.testFraction, graph.NewRand(o.seed)); err != nil {
			return fmt.Errorf("-test_fraction %g: %v", o.testFraction, trimPrefix(err))
		}
	} else if trainSet, testSet, err = datasets.Builtin(o.dataset, o.n, o.seed); err != nil {
		return fmt.Errorf("-data: %w", err)
	}
	if o.valFraction > 0 {
		nVal := int(math.Round(o.valFraction * float64(trainSet.N)))
		if nVal < 1 || nVal >= trainSet.N {
			return fmt.Errorf("-val_fraction %g: of %d training rows that leaves %d for validation and %d for training (want at least 1 each)", o.valFraction, trainSet.N, nVal, trainSet.N-nVal)
		}
	}

	mcfg := mdn.Config{InputDim: trainSet.XDim, OutputDim: trainSet.YDim, K: o.k, Hidden: o.widths, Activation: act, Scale: scale, VarianceFloor: o.varianceFloor, DType: dtype, Seed: o.seed, Covariance: covariance}
	if err := mcfg.Validate(); err != nil {
		// The model validates its own config; name the flags behind what it refused.
		culprit := fmt.Sprintf("-k %d, -hidden %s", o.k, o.hidden)
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
	if o.ensemble > 1 {
		if err := ensembleConfig(mcfg, o.ensemble).Validate(); err != nil {
			return fmt.Errorf("-ensemble %d, -k %d, -hidden %s: the combined model: %s", o.ensemble, o.k, o.hidden, trimPrefix(err))
		}
	}
	model, err := mdn.New(mcfg)
	if err != nil {
		return err
	}
	if err := model.SetColumns(trainSet.XNames, trainSet.YNames); err != nil {
		return err
	}
	tcfg := train.Config{Solver: solver, LearnRate: o.lr, BatchSize: o.batch, Epochs: o.epochs, Schedule: schedule, Clip: o.clip, ClipNorm: o.clipNorm, L2: o.l2, Patience: o.patience, Seed: o.seed, ValFraction: o.valFraction}
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
		kind := ""
		if mcfg.Full() {
			kind = ", full covariance"
		}
		fmt.Fprintf(stdout, "mixgraph: %s an MDN (K=%d, hidden %v, %s%s) on %s: %d training and %d test rows\n", verb, o.k, o.widths, act, kind, name, trainSet.N, testSet.N)
	}
	x, y := trainSet.Rows()
	start := time.Now()
	var res *train.Result
	var fo fitOutcome
	if o.selectModel || o.ensemble > 1 {
		tcfg.SaveCheckpoint = nil // these runs are not resumable (search.go)
		model, res, fo, err = fit(ctx, o, mcfg, train.Data{X: x, Y: y}, tcfg, trainSet.XNames, trainSet.YNames, stdout)
		tcfg.L2 = o.l2
	} else {
		res, err = train.Run(ctx, model, train.Data{X: x, Y: y}, tcfg)
	}
	pr.finish()
	if (o.selectModel || o.ensemble > 1) && err != nil && ctx.Err() != nil {
		ie := &interrupted{out: out, msg: "interrupted; an -ensemble or -select run cannot be resumed, and nothing was written"}
		if sc, ok := context.Cause(ctx).(signalCause); ok {
			ie.sig = sc.sig
		}
		return ie
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
	tx, ty := testSet.Rows()
	testNLL, err := model.NLL(tx, ty)
	if err != nil {
		return err
	}
	seconds := time.Since(start).Seconds()

	var rc runConfig
	rc.Dataset, rc.XNames, rc.YNames, rc.NTrain, rc.NTest = name, trainSet.XNames, trainSet.YNames, trainSet.N, testSet.N
	if o.csvPath != "" {
		rc.CSV = o.csvPath
	}
	rc.Model, rc.Train = model.Config(), tcfg
	rc.Select, rc.Ensemble = fo.sel, fo.ens
	rc.Train.CheckpointEvery = o.checkpointEvery
	rc.Result.TrainNLL, rc.Result.TestNLL = finite(res.TrainNLL), finite(testNLL)
	rc.Result.ValNLL = finite(res.ValNLL)
	rc.Result.Epochs, rc.Result.Steps, rc.Result.BestEpoch, rc.Result.Seconds = res.Epochs, res.Steps, res.BestEpoch, seconds
	rc.Result.Stopped = string(res.Stopped)
	best, haveBest := datasets.BestNLL(o.dataset)
	if haveBest && o.csvPath == "" {
		rc.Result.BestNLL = &best
	}
	mk.Epoch, mk.Step = res.Epochs, res.Steps

	if cancelled {
		mk.Status = statusInterrupted
		rc.Result.Stopped = statusInterrupted
		if err := writeRunDir(out, func(dir string) error {
			return fillRunDir(dir, mk, lastCheckpoint, model, res, &rc, nil, nil, "")
		}); err != nil {
			return fmt.Errorf("interrupted, and writing %s failed: %v", out, err)
		}
		ie := &interrupted{out: out, epoch: res.Epochs, step: res.Steps, checkpoint: true}
		if sc, ok := context.Cause(ctx).(signalCause); ok {
			ie.sig = sc.sig
		}
		return ie
	}

	var baseline *mlp.Model
	if o.baseline && o.plots && trainSet.XDim == 1 && trainSet.YDim == 1 {
		// A signal now only skips the baseline: the run itself is complete.
		if baseline, err = trainBaseline(ctx, trainSet, o.widths, act, o); err != nil {
			if ctx.Err() == nil {
				return fmt.Errorf("baseline: %w", err)
			}
			baseline = nil
		}
	}
	mk.Status = statusCompleted
	var plotSet *datasets.Set
	if o.plots {
		plotSet = trainSet
	}
	if err := writeRunDir(out, func(dir string) error {
		return fillRunDir(dir, mk, nil, model, res, &rc, plotSet, baseline, o.plotFormat)
	}); err != nil {
		return err
	}
	if !o.quiet {
		fmt.Fprintf(stdout, "train NLL %.4f, test NLL %.4f nats per point", res.TrainNLL, testNLL)
		if rc.Result.BestNLL != nil {
			fmt.Fprintf(stdout, " (best possible ≈ %.2f)", best)
		}
		fmt.Fprintf(stdout, "; %d epochs, %d steps in %.1fs\nwrote %s/\n", res.Epochs, res.Steps, seconds, filepath.Clean(out))
	}
	return nil
}

// fillRunDir writes a run folder's files into dir: the marker, the checkpoint (when
// given), the model, config.json, history.csv and, when s is given, the pictures.
func fillRunDir(dir string, mk *marker, checkpoint []byte, m *mdn.Model, res *train.Result, rc *runConfig, s *datasets.Set, baseline *mlp.Model, plotFormat string) error {
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
		if err := writePlots(dir, m, res.History, res.BestEpoch, s, baseline, plotFormat); err != nil {
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
	if _, err := os.Stat(filepath.Join(dir, checkpointName)); err != nil {
		return nil, nil, fmt.Errorf("-resume %s: holds no checkpoint to resume from", given.resume)
	}
	o, err := parseFlags(mk.Args)
	if err != nil {
		return nil, nil, fmt.Errorf("-resume %s: the run's recorded flags: %v", given.resume, err)
	}
	if o.resume != "" || o.version {
		return nil, nil, fmt.Errorf("-resume %s: the run's recorded flags are not a training run's", given.resume)
	}
	if mk.CSV != "" {
		o.csvPath = mk.CSV
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

// finite returns &v, or nil for NaN and ±Inf (which JSON cannot hold).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// trimPrefix drops a package prefix ("datasets: ") from an error's text.
func trimPrefix(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i > 0 && !strings.Contains(msg[:i], " ") {
		return msg[i+2:]
	}
	return msg
}

func trainBaseline(ctx context.Context, s *datasets.Set, hidden []int, act graph.Activation, o *options) (*mlp.Model, error) {
	m, err := mlp.New(mlp.Config{InputDim: s.XDim, OutputDim: s.YDim, Hidden: hidden, Activation: act, Seed: o.seed})
	if err != nil {
		return nil, err
	}
	x, y := s.Rows()
	_, err = train.Run(ctx, m, train.Data{X: x, Y: y}, train.Config{LearnRate: o.lr, BatchSize: o.batch, Epochs: max(1, o.epochs/3), Schedule: train.CosineLR, Seed: o.seed})
	return m, err
}
