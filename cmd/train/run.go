package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/internal/data"
	"github.com/mixgraph/mixgraph/losses"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/models/mlp"
	"github.com/mixgraph/mixgraph/train"
)

// options are the command's flags.
type options struct {
	dataset, csvPath, xCols, yCols string
	n                              int
	testFraction, valFraction      float64
	k                              int
	hidden, activation, scale      string
	varianceFloor                  float64
	epochs, batch                  int
	lr                             float64
	solver, schedule               string
	clip                           float64
	seed                           uint64
	dtype, out                     string
	quiet, baseline, plots         bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dataset, "data", "bishop", "built-in dataset: "+strings.Join(data.BuiltinNames(), ", ")+" (ignored with -csv)")
	fs.StringVar(&o.csvPath, "csv", "", "CSV file with a header row to train on instead of a built-in dataset")
	fs.StringVar(&o.xCols, "x_cols", "", "with -csv: comma-separated input columns, by header name or 0-based index (default: every column but the targets)")
	fs.StringVar(&o.yCols, "y_cols", "", "with -csv: comma-separated target columns, by name or index (default: the last column)")
	fs.IntVar(&o.n, "n", 0, "points to generate for bishop and sine, for each of the training and test sets (0: 1000 for bishop, 3000 for sine)")
	fs.Float64Var(&o.testFraction, "test_fraction", 0.2, "with -csv: fraction of rows held out as the test set")
	fs.Float64Var(&o.valFraction, "val_fraction", 0.1, "fraction of the training rows held out for validation (restore-best); 0 for none")
	fs.IntVar(&o.k, "k", 5, "mixture components K")
	fs.StringVar(&o.hidden, "hidden", "24", "hidden layer widths, comma-separated")
	fs.StringVar(&o.activation, "activation", "tanh", "hidden activation: "+strings.Join(graph.Activations(), ", "))
	fs.StringVar(&o.scale, "scale", "exp", "scale transform from raw outputs to σ: "+strings.Join(losses.Scales(), ", "))
	fs.Float64Var(&o.varianceFloor, "variance_floor", 0, "added to every variance, in standardised target units")
	fs.IntVar(&o.epochs, "epochs", 1500, "passes over the training rows")
	fs.IntVar(&o.batch, "batch", 250, "rows per step (the last batch of an epoch may be shorter)")
	fs.Float64Var(&o.lr, "lr", 0.01, "initial learning rate")
	fs.StringVar(&o.solver, "solver", "adam", "solver: "+strings.Join(train.Solvers(), ", "))
	fs.StringVar(&o.schedule, "schedule", "cosine", "learning-rate schedule: constant, cosine, step")
	fs.Float64Var(&o.clip, "clip", train.DefaultClip, "value-clipping threshold for each gradient element; negative turns clipping off")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the data, the initial weights and the shuffles")
	fs.StringVar(&o.dtype, "dtype", "float64", "float64 or float32")
	fs.StringVar(&o.out, "out", "", "run folder to write (default runs/<dataset>)")
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing but errors")
	fs.BoolVar(&o.baseline, "baseline", true, "also train the least-squares MLP baseline for the density picture")
	fs.BoolVar(&o.plots, "plots", true, "write PNG pictures")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	switch {
	case o.k < 1:
		return nil, fmt.Errorf("-k %d: want at least 1 component", o.k)
	case o.epochs < 1:
		return nil, fmt.Errorf("-epochs %d: want at least 1", o.epochs)
	case o.batch < 1:
		return nil, fmt.Errorf("-batch %d: want at least 1", o.batch)
	case !(o.lr > 0) || math.IsInf(o.lr, 0):
		return nil, fmt.Errorf("-lr %g: want a positive learning rate", o.lr)
	case math.IsNaN(o.clip) || o.clip == 0:
		return nil, fmt.Errorf("-clip %g: want a positive threshold, or a negative value to turn clipping off", o.clip)
	case !(o.valFraction >= 0 && o.valFraction < 1):
		return nil, fmt.Errorf("-val_fraction %g: want 0 ≤ f < 1", o.valFraction)
	case !(o.testFraction > 0 && o.testFraction < 1):
		return nil, fmt.Errorf("-test_fraction %g: want 0 < f < 1", o.testFraction)
	case o.n < 0:
		return nil, fmt.Errorf("-n %d: want 0 (the default) or more", o.n)
	case !(o.varianceFloor >= 0) || math.IsInf(o.varianceFloor, 0):
		return nil, fmt.Errorf("-variance_floor %g: want a finite value ≥ 0", o.varianceFloor)
	}
	return o, nil
}

func parseWidths(s string) ([]int, error) {
	var w []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("-hidden %q: %q is not a positive width", s, f)
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
	Result  struct {
		TrainNLL  float64  `json:"train_nll"`
		ValNLL    *float64 `json:"val_nll,omitempty"`
		TestNLL   float64  `json:"test_nll"`
		BestNLL   *float64 `json:"best_possible_nll,omitempty"`
		Epochs    int      `json:"epochs"`
		Steps     int      `json:"steps"`
		BestEpoch int      `json:"best_epoch"`
		Seconds   float64  `json:"seconds"`
	} `json:"result"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	hidden, err := parseWidths(o.hidden)
	if err != nil {
		return err
	}
	act, err := graph.ParseActivation(o.activation)
	if err != nil {
		return fmt.Errorf("-activation: %w", err)
	}
	scale, err := losses.ParseScale(o.scale)
	if err != nil {
		return fmt.Errorf("-scale: %w", err)
	}
	dtype, err := mdn.ParseDType(o.dtype)
	if err != nil {
		return fmt.Errorf("-dtype: %w", err)
	}
	solver, err := train.ParseSolver(o.solver)
	if err != nil {
		return fmt.Errorf("-solver: %w", err)
	}
	schedule, err := train.ParseSchedule(o.schedule)
	if err != nil {
		return fmt.Errorf("-schedule: %w", err)
	}

	// Data.
	var trainSet, testSet *data.Set
	name := o.dataset
	if o.csvPath != "" {
		all, err := data.ReadCSVFile(o.csvPath, splitCols(o.xCols), splitCols(o.yCols))
		if err != nil {
			return err
		}
		if trainSet, testSet, err = data.Split(all, o.testFraction, graph.NewRand(o.seed)); err != nil {
			return fmt.Errorf("-test_fraction: %w", err)
		}
		name = strings.TrimSuffix(filepath.Base(o.csvPath), filepath.Ext(o.csvPath))
	} else if trainSet, testSet, err = data.Builtin(o.dataset, o.n, o.seed); err != nil {
		return fmt.Errorf("-data: %w", err)
	}
	out := o.out
	if out == "" {
		out = filepath.Join("runs", name)
	}

	mcfg := mdn.Config{InputDim: trainSet.XDim, OutputDim: trainSet.YDim, K: o.k, Hidden: hidden, Activation: act, Scale: scale, VarianceFloor: o.varianceFloor, DType: dtype, Seed: o.seed}
	model, err := mdn.New(mcfg)
	if err != nil {
		return err
	}
	tcfg := train.Config{Solver: solver, LearnRate: o.lr, BatchSize: o.batch, Epochs: o.epochs, Schedule: schedule, Clip: o.clip, Seed: o.seed, ValFraction: o.valFraction}
	pr := newProgress(stdout, o.quiet, isTerminal(stdout))
	tcfg.Progress = pr.update
	if !o.quiet {
		fmt.Fprintf(stdout, "mixgraph: training an MDN (K=%d, hidden %v, %s) on %s: %d training and %d test rows\n", o.k, hidden, act, name, trainSet.N, testSet.N)
	}
	x, y := trainSet.Rows()
	start := time.Now()
	res, err := train.Run(ctx, model, train.Data{X: x, Y: y}, tcfg)
	pr.finish()
	if err != nil {
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
	rc.Result.TrainNLL, rc.Result.TestNLL, rc.Result.Epochs, rc.Result.Steps, rc.Result.BestEpoch, rc.Result.Seconds = res.TrainNLL, testNLL, res.Epochs, res.Steps, res.BestEpoch, seconds
	if !math.IsNaN(res.ValNLL) {
		v := res.ValNLL
		rc.Result.ValNLL = &v
	}
	best, haveBest := data.BestNLL(o.dataset)
	if haveBest && o.csvPath == "" {
		rc.Result.BestNLL = &best
	}

	var baseline *mlp.Model
	if o.baseline && o.plots && trainSet.XDim == 1 && trainSet.YDim == 1 {
		if baseline, err = trainBaseline(ctx, trainSet, hidden, act, o); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
	}
	if err := writeRun(out, model, res, &rc, trainSet, baseline, o.plots); err != nil {
		return err
	}
	if !o.quiet {
		fmt.Fprintf(stdout, "train NLL %.4f, test NLL %.4f nats per point", res.TrainNLL, testNLL)
		if rc.Result.BestNLL != nil {
			fmt.Fprintf(stdout, " (best possible ≈ %.2f)", best)
		}
		fmt.Fprintf(stdout, "; %d epochs, %d steps in %.1fs\nwrote %s/\n", res.Epochs, res.Steps, seconds, out)
	}
	return nil
}

func trainBaseline(ctx context.Context, s *data.Set, hidden []int, act graph.Activation, o *options) (*mlp.Model, error) {
	m, err := mlp.New(mlp.Config{InputDim: s.XDim, OutputDim: s.YDim, Hidden: hidden, Activation: act, Seed: o.seed})
	if err != nil {
		return nil, err
	}
	x, y := s.Rows()
	_, err = train.Run(ctx, m, train.Data{X: x, Y: y}, train.Config{LearnRate: o.lr, BatchSize: o.batch, Epochs: max(1, o.epochs/3), Schedule: train.Cosine, Seed: o.seed})
	return m, err
}

// writeRun writes the run folder: everything goes to a fresh temporary folder beside
// out, which replaces out only when complete, so that a failure leaves no partial run.
func writeRun(out string, m *mdn.Model, res *train.Result, rc *runConfig, s *data.Set, baseline *mlp.Model, plots bool) (err error) {
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = m.SaveFile(filepath.Join(tmp, "model.mdn")); err != nil {
		return err
	}
	if err = atomicfile.Write(filepath.Join(tmp, "config.json"), func(w io.Writer) error {
		b, err := json.MarshalIndent(rc, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}); err != nil {
		return err
	}
	if err = atomicfile.Write(filepath.Join(tmp, "history.csv"), res.History.WriteCSV); err != nil {
		return err
	}
	if plots {
		if err = writePlots(tmp, m, res.History, s, baseline); err != nil {
			return err
		}
	}
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	// Swap the new folder in.
	old := ""
	if _, statErr := os.Stat(out); statErr == nil {
		old = out + ".old-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		if err = os.Rename(out, old); err != nil {
			return err
		}
	} else if !errors.Is(statErr, os.ErrNotExist) {
		return statErr
	}
	if err = os.Rename(tmp, out); err != nil {
		if old != "" {
			os.Rename(old, out)
		}
		return err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}
