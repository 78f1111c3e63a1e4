package traincmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/cli"
	"github.com/mixgraph/mixgraph/internal/version"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// maxPoints bounds -n, the points generated for each of the training and test sets of
// bishop, sine and arm (2 × 2^24 points of two float64s are 512 MiB; of arm's four,
// 1 GiB).
const maxPoints = 1 << 24

// options are the command's flags.
type options struct {
	dataset, csvPath, testCSV, xCols, yCols string
	n                                       int
	testFraction                            float64
	valFraction                             autoFloat
	k                                       autoInt
	hidden, activation, scale               string
	covariance                              string
	skip                                    string
	rotateValidation                        bool // -rotate_validation (search.go)
	varianceFloor                           float64
	epochs, batch, patience                 autoInt
	lr                                      float64
	solver, schedule                        string
	clip, clipNorm, l2                      float64
	decay                                   autoFloat
	seed                                    uint64
	dtype, out                              string
	plotFormat                              string
	quiet, baseline, plots                  bool
	checkpointEvery, refitBelow             int
	resume                                  string
	version                                 bool
	ensemble                                autoInt // -ensemble: members (search.go); auto: train.ScaledEnsemble
	selectModel                             bool    // -select (search.go)

	set    map[string]bool // the flags given
	widths []int           // parsed -hidden
}

// resumeFlags are the flags -resume may be combined with: they do not change the result.
var resumeFlags = map[string]bool{"resume": true, "quiet": true, "checkpoint_every": true, "plots": true, "baseline": true}

func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.dataset, "data", "bishop", "built-in dataset: "+strings.Join(datasets.BuiltinNames(), ", ")+" (ignored with -csv)")
	fs.StringVar(&o.csvPath, "csv", "", "CSV file with a header row to train on instead of a built-in dataset")
	fs.StringVar(&o.xCols, "x_cols", "", "with -csv: comma-separated input columns, by header name or 0-based index (default: every column but the targets)")
	fs.StringVar(&o.yCols, "y_cols", "", "with -csv: comma-separated target columns, by name or index (default: the last column)")
	fs.IntVar(&o.n, "n", 0, fmt.Sprintf("points to generate for bishop, sine and arm, for each of the training and test sets (0: 1000 for bishop, 3000 for sine, 2000 for arm; at most %d)", maxPoints))
	fs.StringVar(&o.testCSV, "test_csv", "", "with -csv: a CSV file of test rows (same columns, by name) instead of holding out -test_fraction")
	fs.Float64Var(&o.testFraction, "test_fraction", 0.2, "with -csv: fraction of rows held out as the test set (0: none, every row trains or validates)")
	o.valFraction.auto, o.epochs.auto, o.batch.auto, o.patience.auto, o.decay.auto = true, true, true, true, true
	fs.Var(&o.valFraction, "val_fraction", "fraction of the training rows held out for validation (early stopping, the best epoch kept); 0 for none (auto: a tenth, at least 20 rows but at most a quarter, and at most 10000 rows)")
	o.k.auto = true
	fs.Var(&o.k, "k", fmt.Sprintf("mixture components K, at most %d (auto: 3 below 500 rows, 5 below 1000, 10 from 1000)", mdn.MaxK))
	fs.StringVar(&o.hidden, "hidden", widthsString(train.ScaledHidden()), fmt.Sprintf("hidden layer widths, comma-separated (each at most %d; at most %d parameters in all)", mdn.MaxWidth, mdn.MaxParams))
	fs.StringVar(&o.activation, "activation", "tanh", "hidden activation: "+strings.Join(graph.Activations(), ", "))
	fs.StringVar(&o.scale, "scale", "exp", "scale transform from raw outputs to σ: "+strings.Join(losses.Scales(), ", "))
	fs.StringVar(&o.covariance, "covariance", "diagonal", "components' covariance: diagonal, or full (Cholesky factors; needs 2 or more target columns)")
	fs.BoolVar(&o.rotateValidation, "rotate_validation", true, "with an ensemble: every member holds out its own validation rows, so that together they train on every row (false: all members share one validation set)")
	fs.StringVar(&o.skip, "skip", string(train.ScaledSkip), "which models get a linear path from the inputs to the component means, started at the least-squares fit: none, half (every second ensemble member; none of a single model) or all")
	fs.Float64Var(&o.varianceFloor, "variance_floor", 0, "added to every variance, in standardised target units")
	fs.Var(&o.epochs, "epochs", "most passes over the training rows (auto: 20000 steps' worth, at most 5000)")
	fs.Var(&o.batch, "batch", "rows per step, the last batch of an epoch may be shorter (auto: 250, more above 25000 rows)")
	fs.Float64Var(&o.lr, "lr", train.ScaledLearnRate, "initial learning rate")
	fs.StringVar(&o.solver, "solver", "adam", "solver: "+strings.Join(train.Solvers(), ", "))
	fs.StringVar(&o.schedule, "schedule", "cosine", "learning-rate schedule: constant, cosine, step")
	fs.Float64Var(&o.clip, "clip", train.DefaultClip, "value-clipping threshold for each gradient element; negative turns clipping off")
	fs.Float64Var(&o.clipNorm, "clip_norm", 0, "also rescale the whole gradient to this global L2 norm at most, before value clipping (0: off)")
	fs.Var(&o.decay, "weight_decay", fmt.Sprintf("weight decay scaled to the data: adds (λ/N)·w to every weight's gradient, N the training rows (0: none; auto: %g up to %d rows, then %g·(%d/N)²)", train.ScaledWeightDecay, train.ScaledDecayRows, train.ScaledWeightDecay, train.ScaledDecayRows))
	fs.Float64Var(&o.l2, "l2", 0, "unscaled weight decay: also adds l2·w to every weight's gradient (0: none)")
	fs.Var(&o.patience, "patience", "stop when the validation NLL has not improved for this many epochs (0: never; auto: a fifth of -epochs, at least 20)")
	fs.IntVar(&o.refitBelow, "refit_below", 0, "with fewer training rows than this, train a fresh model on all of them (validation rows too) for the epochs validation chose (0: never)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the data, the initial weights and the shuffles")
	fs.StringVar(&o.dtype, "dtype", "float64", "float64 or float32")
	fs.StringVar(&o.out, "out", "", "run folder to write (default runs/<dataset>); an existing one is replaced only if train wrote it")
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing but errors")
	fs.BoolVar(&o.baseline, "baseline", true, "also train the least-squares MLP baseline for the density picture")
	fs.BoolVar(&o.plots, "plots", true, "write pictures (see -plot_format)")
	fs.StringVar(&o.plotFormat, "plot_format", "png", "format of the pictures: png, svg or pdf (density.<format> etc.)")
	fs.IntVar(&o.checkpointEvery, "checkpoint_every", 0, "write the run folder with a checkpoint every N epochs (0: only when interrupted)")
	fs.StringVar(&o.resume, "resume", "", "continue the interrupted run in this run folder, with its own flags (only -quiet, -checkpoint_every, -plots and -baseline may be given too)")
	o.ensemble.auto = true
	fs.Var(&o.ensemble, "ensemble", fmt.Sprintf("train this many models from different seeds and combine them into one model of K·M components with weights π/M (at most %d; interrupted, it writes the members trained so far and their checkpoints, and -resume continues it; auto: %d below %d rows, %d below %d, else 1, and 1 with -refit_below or -select)", maxEnsemble, train.ScaledMembers, train.ScaledEnsembleBelow, train.ScaledPairMembers, train.ScaledPairBelow))
	fs.BoolVar(&o.selectModel, "select", false, "first choose K, the hidden widths and -l2 by validation NLL (about 11 training runs, spread over the cores; prints the table; needs -val_fraction > 0; interrupted, -resume continues the search)")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	return fs
}

// usage writes the command's usage.
func usage(w io.Writer) {
	cli.PrintUsage(w, newFlagSet(&options{}), "Usage: train [flags]", "Trains a mixture density network and writes a run folder (model, configuration,\nhistory, pictures).", version.String())
}

// parseFlags parses and checks the flags; every error is one line naming the flag.
func parseFlags(args []string) (*options, error) { return parseRecorded(nil, args) }

// unpinned are the flags whose defaults a marker does not record (pinnedDefaults): where
// output goes, how it is shown, and the data's files and columns, whose defaults mean
// "none".
var unpinned = map[string]bool{"out": true, "resume": true, "version": true, "quiet": true, "plots": true, "plot_format": true, "baseline": true, "checkpoint_every": true, "csv": true, "test_csv": true, "x_cols": true, "y_cols": true}

// pinnedDefaults returns, as name=value, the defaults of the flags not in set that shape
// the model and its training: what a marker records so that a resume keeps them.
func pinnedDefaults(set map[string]bool) []string {
	var out []string
	newFlagSet(&options{}).VisitAll(func(f *flag.Flag) {
		if !set[f.Name] && !unpinned[f.Name] {
			out = append(out, f.Name+"="+f.DefValue)
		}
	})
	return out
}

// legacyDefaults are the defaults, among those changed since, of the version that wrote
// markers without Defaults.
var legacyDefaults = []string{"hidden=24", "lr=0.01", "weight_decay=2"}

// parseRecorded parses args as parseFlags does, with defaults (name=value, see
// pinnedDefaults) in place of the flags' own defaults where args leave them; o.set holds
// the flags args give.
func parseRecorded(defaults, args []string) (*options, error) {
	o := &options{}
	fs := newFlagSet(o)
	set, err := cli.Parse(fs, args)
	if err != nil {
		return nil, err
	}
	for _, d := range defaults {
		name, value, _ := strings.Cut(d, "=")
		if fs.Lookup(name) == nil || unpinned[name] {
			return nil, fmt.Errorf("recorded default %.60q: not a flag this version records", d)
		}
		if set[name] {
			continue
		}
		if err := fs.Set(name, value); err != nil {
			return nil, fmt.Errorf("recorded default %.60q: %v", d, err)
		}
	}
	o.set = set
	if o.version {
		return o, nil
	}
	if o.resume != "" {
		for name := range o.set {
			if !resumeFlags[name] {
				return nil, fmt.Errorf("-resume: -%s cannot be changed when resuming (the run keeps its own flags; only -quiet, -checkpoint_every, -plots and -baseline may be given)", name)
			}
		}
	}
	return o, o.check()
}

// check validates the flag values, sizes before anything is allocated.
func (o *options) check() error {
	switch {
	case !slices.Contains(plotFormats, o.plotFormat):
		return fmt.Errorf("-plot_format %q: want png, svg or pdf", o.plotFormat)
	case !o.k.auto && o.k.v < 1:
		return fmt.Errorf("-k %d: want at least 1 component", o.k.v)
	case !o.k.auto && o.k.v > mdn.MaxK:
		return fmt.Errorf("-k %d: at most %d components (mdn.MaxK)", o.k.v, mdn.MaxK)
	case !o.epochs.auto && o.epochs.v < 1:
		return fmt.Errorf("-epochs %d: want at least 1", o.epochs.v)
	case !o.batch.auto && o.batch.v < 1:
		return fmt.Errorf("-batch %d: want at least 1", o.batch.v)
	case !(o.lr > 0) || math.IsInf(o.lr, 0):
		return fmt.Errorf("-lr %g: want a finite learning rate > 0", o.lr)
	case math.IsNaN(o.clip) || o.clip == 0 || math.IsInf(o.clip, 0):
		return fmt.Errorf("-clip %g: want a finite threshold > 0, or a negative value to turn clipping off", o.clip)
	case !o.valFraction.auto && !(o.valFraction.v >= 0 && o.valFraction.v < 1):
		return fmt.Errorf("-val_fraction %g: want 0 ≤ f < 1", o.valFraction.v)
	case !(o.testFraction >= 0 && o.testFraction < 1):
		return fmt.Errorf("-test_fraction %g: want 0 ≤ f < 1 (0: no test set)", o.testFraction)
	case o.csvPath == "" && o.set["test_csv"]:
		return fmt.Errorf("-test_csv %q: only with -csv", o.testCSV)
	case o.set["test_csv"] && o.set["test_fraction"]:
		return fmt.Errorf("-test_csv %q: give either -test_csv or -test_fraction, not both", o.testCSV)
	case o.n < 0:
		return fmt.Errorf("-n %d: want 0 (the default) or more", o.n)
	case o.n > maxPoints:
		return fmt.Errorf("-n %d: at most %d points", o.n, maxPoints)
	case !(o.clipNorm >= 0) || math.IsInf(o.clipNorm, 0):
		return fmt.Errorf("-clip_norm %g: want a finite norm ≥ 0 (0: off)", o.clipNorm)
	case !(o.l2 >= 0) || math.IsInf(o.l2, 0):
		return fmt.Errorf("-l2 %g: want a finite value ≥ 0", o.l2)
	case !o.decay.auto && (!(o.decay.v >= 0) || math.IsInf(o.decay.v, 0)):
		return fmt.Errorf("-weight_decay %g: want a finite value ≥ 0", o.decay.v)
	case !o.patience.auto && o.patience.v < 0:
		return fmt.Errorf("-patience %d: want 0 (never stop early), a number of epochs or auto", o.patience.v)
	case !o.patience.auto && o.patience.v > 0 && !o.valFraction.auto && o.valFraction.v == 0:
		return fmt.Errorf("-patience %d: needs validation rows (-val_fraction > 0)", o.patience.v)
	case o.refitBelow < 0:
		return fmt.Errorf("-refit_below %d: want 0 (never refit) or a number of rows", o.refitBelow)
	case o.refitBelow > 0 && (o.ensemble.v > 1 || o.selectModel):
		return fmt.Errorf("-refit_below %d: not with -ensemble or -select (it refits one model)", o.refitBelow)
	case o.checkpointEvery < 0:
		return fmt.Errorf("-checkpoint_every %d: want 0 (only when interrupted) or a number of epochs", o.checkpointEvery)
	case !o.ensemble.auto && o.ensemble.v < 1:
		return fmt.Errorf("-ensemble %d: want at least 1 member (1: a single model)", o.ensemble.v)
	case o.ensemble.v > maxEnsemble:
		return fmt.Errorf("-ensemble %d: at most %d members", o.ensemble.v, maxEnsemble)
	case o.ensemble.v > 1 && !o.k.auto && o.k.v > mdn.MaxK/o.ensemble.v:
		return fmt.Errorf("-ensemble %d: with -k %d that makes %d components, at most %d (mdn.MaxK)", o.ensemble.v, o.k.v, o.ensemble.v*o.k.v, mdn.MaxK)
	case o.selectModel && !o.valFraction.auto && o.valFraction.v == 0:
		return errors.New("-select: needs validation rows to compare the candidates (-val_fraction > 0)")
	case o.csvPath == "" && o.set["x_cols"]:
		return fmt.Errorf("-x_cols %q: only with -csv", o.xCols)
	case o.csvPath == "" && o.set["y_cols"]:
		return fmt.Errorf("-y_cols %q: only with -csv", o.yCols)
	}
	if o.set["csv"] && strings.TrimSpace(o.csvPath) == "" {
		return errors.New("-csv: empty file name")
	}
	if o.set["test_csv"] && strings.TrimSpace(o.testCSV) == "" {
		return errors.New("-test_csv: empty file name")
	}
	if o.set["out"] && strings.TrimSpace(o.out) == "" {
		return errors.New("-out: empty folder name")
	}
	w, err := parseWidths(o.hidden)
	if err != nil {
		return err
	}
	o.widths = w
	if _, err := graph.ParseActivation(o.activation); err != nil {
		return fmt.Errorf("-activation %q: want one of %s", o.activation, strings.Join(graph.Activations(), ", "))
	}
	if _, err := losses.ParseScale(o.scale); err != nil {
		return fmt.Errorf("-scale %q: want one of %s", o.scale, strings.Join(losses.Scales(), ", "))
	}
	if _, err := mdn.ParseCovariance(o.covariance); err != nil {
		return fmt.Errorf("-covariance %q: want one of %s", o.covariance, strings.Join(mdn.Covariances(), ", "))
	}
	if _, err := train.ParseSkipChoice(o.skip); err != nil {
		return fmt.Errorf("-skip %q: want one of %s", o.skip, strings.Join(train.SkipChoices(), ", "))
	}
	if _, err := models.ParseDType(o.dtype); err != nil {
		return fmt.Errorf("-dtype %q: want float64 or float32", o.dtype)
	}
	if _, err := train.ParseSolver(o.solver); err != nil {
		return fmt.Errorf("-solver %q: want one of %s", o.solver, strings.Join(train.Solvers(), ", "))
	}
	if _, err := train.ParseSchedule(o.schedule); err != nil {
		return fmt.Errorf("-schedule %q: want constant, cosine or step", o.schedule)
	}
	if o.csvPath == "" && !contains(datasets.BuiltinNames(), o.dataset) {
		return fmt.Errorf("-data %q: unknown dataset (want one of %s)", o.dataset, strings.Join(datasets.BuiltinNames(), ", "))
	}
	return nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// parseWidths parses -hidden, checking each width and the number of layers against the
// model's limits.
func parseWidths(s string) ([]int, error) {
	fields := strings.Split(s, ",")
	if len(fields) > mdn.MaxLayers {
		return nil, fmt.Errorf("-hidden %q: %d layers, at most %d (mdn.MaxLayers)", s, len(fields), mdn.MaxLayers)
	}
	var w []int
	for _, f := range fields {
		f = strings.TrimSpace(f)
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("-hidden %q: %q is not a positive width", s, f)
		}
		if v > mdn.MaxWidth {
			return nil, fmt.Errorf("-hidden %q: width %d is over the limit of %d (mdn.MaxWidth)", s, v, mdn.MaxWidth)
		}
		w = append(w, v)
	}
	return w, nil
}

func splitCols(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ",")
}
