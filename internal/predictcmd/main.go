// Package predictcmd is the predict command (cmd/predict, and `mixgraph predict`): it
// loads a model written by the train command and writes the predicted mixture for every
// row of a CSV file of inputs. See cmd/predict for its documentation.
//
// Beside each mixing weight π_k (pi_k, "pi") it writes log π_k (log_pi_k, "log_pi"),
// computed from the logits as a stable log-softmax: a π_k that underflows to 0 (a logit
// about 745 or more below the largest) keeps a finite log π_k, so that scoring the
// exported mixture with log_pi agrees with the model. The standard deviation (std_,
// "std") is exact by the law of total variance, and so a very light but very broad
// component can make it far wider than the quantiles (π = 1.7e−6 with σ = 53843 gives 70
// where the 5–95 % interval is [−3.2, 0.5]); -spread iqr or both writes the
// interquartile range q0.75 − q0.25 of each target's marginal (iqr_, "iqr"), which such a
// component barely moves.
package predictcmd

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/internal/cli"
	"github.com/mixgraph/mixgraph/internal/version"
	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train/datasets"
)

// Main runs the command with the arguments after its name, prints an error as one line
// on stderr and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return mainStatus(args, stdin, stdout, stderr)
}

// mainStatus runs the command, prints an error as one line and returns the exit status:
// 0 on success (and for -h and -version), 2 for any error.
func mainStatus(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := run(context.Background(), args, stdin, stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) || errors.Is(err, cli.ErrVersion) {
		return 0
	}
	fmt.Fprintln(stderr, "predict: "+cli.OneLine(err.Error(), "predict"))
	return 2
}

// Limits on what a run may ask for, checked before anything is allocated.
const (
	// MaxSamples bounds -samples, the draws per row.
	maxSamples = 1 << 20
	// maxSampleValues bounds rows × samples × target dimensions (512 MiB of float64).
	maxSampleValues = 1 << 26
)

type options struct {
	model, in, out, xCols, format, quantiles, spread string
	calibration                                      string
	samples                                          int
	temperature                                      float64
	seed                                             uint64
	mode, version                                    bool
	set                                              map[string]bool
}

func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.model, "model", "", "model file written by cmd/train (required)")
	fs.StringVar(&o.in, "in", "-", "CSV file of inputs with a header row; - for standard input")
	fs.StringVar(&o.out, "out", "-", "output file, written atomically; - for standard output. An existing file is replaced only if predict wrote it")
	fs.StringVar(&o.xCols, "x_cols", "", "comma-separated input columns (by name or 0-based index), in the order of the model's inputs (default: the columns named as the model's inputs; for a model without names, every column)")
	fs.StringVar(&o.format, "format", "csv", "output format: csv or jsonl")
	fs.StringVar(&o.quantiles, "quantiles", "0.05,0.5,0.95", "comma-separated probabilities in (0,1) whose quantiles to write (one-dimensional targets only); empty for none")
	fs.IntVar(&o.samples, "samples", 0, fmt.Sprintf("samples to draw per row (at most %d, and at most %d values in all)", maxSamples, maxSampleValues))
	fs.BoolVar(&o.mode, "mode", true, "write each row's mode, the densest point (mean-shift from every component mean: about 0.6 ms a row on the default Bishop model's 100 components); -mode=false leaves it out")
	fs.StringVar(&o.spread, "spread", "std", "spread written per target: std (the standard deviation, by the law of total variance, so a very light but very broad component can make it far wider than the quantiles), iqr (the interquartile range q0.75 − q0.25 of the target's marginal, which such a component barely moves) or both")
	fs.Float64Var(&o.temperature, "temperature", 1, "sampling temperature τ > 0: component logits are divided by τ and σ scaled by √τ")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the samples")
	fs.StringVar(&o.calibration, "calibration", "", "also read the true targets (the columns named as the model's targets) from the input and write their calibration to this JSON file: per target the PIT histogram and its KS distance from uniform, the CRPS, the coverage of the central 50 % and 90 % intervals, and the NLL")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	return fs
}

func usage(w io.Writer) {
	cli.PrintUsage(w, newFlagSet(&options{}), "Usage: predict -model MODEL [flags]", "Writes the predicted mixture p(y | x) for every row of a CSV file of inputs.", version.String())
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := newFlagSet(o)
	set, err := cli.Parse(fs, args)
	if err != nil {
		return nil, err
	}
	o.set = set
	if o.version {
		return o, nil
	}
	switch {
	case o.model == "":
		return nil, errors.New("-model is required")
	case o.format != "csv" && o.format != "jsonl":
		return nil, fmt.Errorf("-format %q: want csv or jsonl", o.format)
	case o.spread != "std" && o.spread != "iqr" && o.spread != "both":
		return nil, fmt.Errorf("-spread %q: want std, iqr or both", o.spread)
	case o.samples < 0:
		return nil, fmt.Errorf("-samples %d: want 0 or more", o.samples)
	case o.samples > maxSamples:
		return nil, fmt.Errorf("-samples %d: at most %d per row", o.samples, maxSamples)
	case !(o.temperature > 0) || math.IsInf(o.temperature, 0):
		return nil, fmt.Errorf("-temperature %g: want a finite value > 0", o.temperature)
	case o.set["in"] && o.in == "":
		return nil, errors.New("-in: empty file name (use - for standard input)")
	case o.set["out"] && o.out == "":
		return nil, errors.New("-out: empty file name (use - for standard output)")
	case o.set["x_cols"] && strings.TrimSpace(o.xCols) == "":
		return nil, errors.New("-x_cols: empty column list")
	case o.set["calibration"] && strings.TrimSpace(o.calibration) == "":
		return nil, errors.New("-calibration: empty file name")
	case o.calibration == "-":
		return nil, errors.New("-calibration -: name a file (standard output holds the predictions)")
	case o.calibration != "" && o.calibration == o.out:
		return nil, fmt.Errorf("-calibration %s: is also -out; name another file", o.calibration)
	}
	if o.set["temperature"] && o.samples == 0 {
		return nil, fmt.Errorf("-temperature %g: only with -samples", o.temperature)
	}
	return o, nil
}

func parseProbs(s string) ([]float64, error) {
	var ps []float64
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(s, ",") {
		p, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(p > 0 && p < 1) {
			return nil, fmt.Errorf("-quantiles %q: %q is not a probability in (0, 1)", s, f)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// prediction is one output row; its JSON form is the jsonl format.
type prediction struct {
	Row       int                `json:"row"`
	X         []float64          `json:"x"`
	Pi        []float64          `json:"pi"`
	LogPi     []float64          `json:"log_pi"`
	Mu        [][]float64        `json:"mu"`
	Sigma     [][]float64        `json:"sigma"`
	Mean      []float64          `json:"mean"`
	Std       []float64          `json:"std,omitempty"`
	IQR       []float64          `json:"iqr,omitempty"`
	Mode      []float64          `json:"mode,omitempty"`
	Quantiles map[string]float64 `json:"quantiles,omitempty"`
	Samples   [][]float64        `json:"samples,omitempty"`
	// Full-covariance models only: every component's Cholesky factor L_k (D·D,
	// row-major, Σ_k = L_k L_kᵀ) and the mixture's covariance matrix (D·D, row-major).
	Chol [][]float64 `json:"chol,omitempty"`
	Cov  []float64   `json:"cov,omitempty"`
}

func run(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout)
		return err
	}
	if err != nil {
		return err
	}
	if o.version {
		fmt.Fprintln(stdout, "predict:", version.String())
		return cli.ErrVersion
	}
	probs, err := parseProbs(o.quantiles)
	if err != nil {
		return err
	}
	if err := checkOut(o); err != nil {
		return err
	}
	m, err := mdn.LoadFile(o.model)
	if err != nil {
		return fmt.Errorf("-model %s: %s", o.model, cli.OneLine(err.Error(), "mdn"))
	}
	cfg := m.Config()
	if cfg.OutputDim != 1 {
		if o.set["quantiles"] && len(probs) > 0 {
			return fmt.Errorf("-quantiles: the model's targets have %d dimensions; quantiles need one", cfg.OutputDim)
		}
		probs = nil
	}
	xNames, yNames := m.Columns()
	in := stdin
	inName := "standard input"
	if o.in != "-" {
		inName = o.in
		if fi, err := os.Stat(o.in); err == nil && fi.IsDir() {
			return fmt.Errorf("-in %s: is a folder, not a CSV file", o.in)
		}
		f, err := os.Open(o.in)
		if err != nil {
			return fmt.Errorf("-in %s: %v", o.in, cli.UnwrapPath(err))
		}
		defer f.Close()
		in = f
	}
	var cols []string
	switch {
	case o.xCols != "":
		cols = strings.Split(o.xCols, ",")
		if len(cols) != cfg.InputDim {
			return fmt.Errorf("-x_cols %q: %d columns, the model takes %d (%s)", o.xCols, len(cols), cfg.InputDim, describeInputs(xNames, cfg.InputDim))
		}
	case xNames != nil:
		cols = xNames
	}
	nTargets := 0
	if o.calibration != "" {
		if yNames == nil {
			return fmt.Errorf("-calibration %s: the model's targets have no column names to find the true values by", o.calibration)
		}
		if cols == nil {
			return fmt.Errorf("-calibration %s: name the input columns with -x_cols (the model's inputs have no names)", o.calibration)
		}
		cols = append(append([]string(nil), cols...), yNames...)
		nTargets = len(yNames)
	}
	names, flat, err := datasets.ReadColumnsCSV(in, cols)
	if err != nil {
		msg := cli.OneLine(err.Error(), "datasets")
		if o.xCols == "" && xNames != nil && strings.HasPrefix(msg, "no column ") {
			return fmt.Errorf("%s: %s; the model takes %s (name the file's columns in that order with -x_cols)", inName, msg, describeInputs(xNames, cfg.InputDim))
		}
		return fmt.Errorf("%s: %s", inName, msg)
	}
	if len(names) != cfg.InputDim+nTargets {
		return fmt.Errorf("%s: %d input columns (%s), the model takes %d", inName, len(names), strings.Join(names, ", "), cfg.InputDim)
	}
	width := cfg.InputDim + nTargets
	n := len(flat) / width
	var truth [][]float64
	if nTargets > 0 {
		truth = make([][]float64, n)
		xs := make([]float64, 0, n*cfg.InputDim)
		for i := range truth {
			truth[i] = flat[i*width+cfg.InputDim : (i+1)*width]
			xs = append(xs, flat[i*width:i*width+cfg.InputDim]...)
		}
		flat, names = xs, names[:cfg.InputDim]
	}
	if o.samples > 0 && float64(n)*float64(o.samples)*float64(cfg.OutputDim) > maxSampleValues {
		return fmt.Errorf("-samples %d: %d rows × %d samples × %d targets is over the limit of %d values; draw fewer samples or split the input", o.samples, n, o.samples, cfg.OutputDim, maxSampleValues)
	}
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = flat[i*cfg.InputDim : (i+1)*cfg.InputDim]
	}
	mix, err := m.Predict(rows)
	if err != nil {
		return err
	}
	// Each row's summaries (the mode and the quantiles cost milliseconds on an ensemble's
	// hundred components) in parallel over contiguous runs of rows; then, in row order,
	// the samples from the one seeded stream and the check, so that the output and the
	// first row refused do not depend on the number of processors.
	want := columns{spread: o.spread, mode: o.mode, probs: probs}
	preds := make([]prediction, n)
	workers := max(1, min(runtime.GOMAXPROCS(0), n))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				preds[i] = summarise(i, rows[i], mix[i], want)
			}
		})
	}
	wg.Wait()
	rng := graph.NewRand(o.seed)
	for i := range preds {
		p := &preds[i]
		if o.samples > 0 {
			p.Samples = mix[i].Sample(rng, o.samples, o.temperature)
		}
		if err := p.check(); err != nil {
			return fmt.Errorf("row %d: %v", i, err)
		}
	}
	targets := yNames
	if targets == nil {
		for j := 0; j < cfg.OutputDim; j++ {
			targets = append(targets, strconv.Itoa(j))
		}
	}
	write := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		var err error
		if o.format == "jsonl" {
			err = writeJSONL(bw, preds)
		} else {
			err = writeCSV(bw, preds, names, targets, cfg.K, want, o.samples, cfg.Full())
		}
		if err != nil {
			return err
		}
		return bw.Flush()
	}
	if truth != nil {
		if n == 0 {
			return fmt.Errorf("-calibration %s: %s has no rows to score", o.calibration, inName)
		}
		cal, err := mdn.CalibrateColumns(mix, truth)
		if err != nil {
			return fmt.Errorf("-calibration %s: %v", o.calibration, err)
		}
		nll, err := m.NLL(rows, truth)
		if err != nil {
			return err
		}
		rep := calibrationReport{Format: calibrationFormat, N: n, NLL: cli.Finite(nll)}
		for d, c := range cal {
			rep.Columns = append(rep.Columns, columnCalibration{Column: yNames[d], CRPS: cli.Finite(c.CRPS), Calibration: c})
		}
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.Write(o.calibration, func(w io.Writer) error {
			_, err := w.Write(append(b, '\n'))
			return err
		}); err != nil {
			return err
		}
	}
	if o.out == "-" {
		return write(stdout)
	}
	return atomicfile.Write(o.out, write)
}

// calibrationFormat marks the files -calibration writes.
const calibrationFormat = "mixgraph.calibration"

// calibrationReport is what -calibration writes: the NLL of the true targets and, per
// target column, mdn.Calibration. The NLL and every column's CRPS are null when beyond
// float64's range (a true target so far from its mixture that its density underflows to
// 0), since encoding/json writes no ±Inf.
type calibrationReport struct {
	Format  string              `json:"format"`
	N       int                 `json:"n"`
	NLL     *float64            `json:"nll"`
	Columns []columnCalibration `json:"columns"`
}

// columnCalibration is one column's mdn.Calibration with its name; its CRPS (nullable)
// takes the place of the embedded one.
type columnCalibration struct {
	Column string   `json:"column"`
	CRPS   *float64 `json:"crps"`
	mdn.Calibration
}

// columns is which summaries a row gets beyond the mixture and its mean: the spread
// (-spread: std, iqr or both), the mode (-mode) and the quantiles at probs.
type columns struct {
	spread string
	mode   bool
	probs  []float64
}

func (c columns) std() bool { return c.spread != "iqr" }
func (c columns) iqr() bool { return c.spread != "std" }

// summarise returns row i's prediction from its mixture mx: everything but the samples.
func summarise(i int, x []float64, mx mdn.Mixture, cols columns) prediction {
	p := prediction{Row: i, X: x, Pi: mx.Weights, LogPi: mx.LogWeights, Mu: mx.Means, Sigma: mx.StdDevs, Mean: mx.Mean()}
	if cols.mode {
		p.Mode = mx.Mode()
	}
	if cols.std() {
		p.Std = mx.StdDev()
	}
	if cols.iqr() {
		p.IQR = mx.IQR()
	}
	if len(cols.probs) > 0 {
		p.Quantiles = map[string]float64{}
		for _, q := range cols.probs {
			p.Quantiles[strconv.FormatFloat(q, 'g', -1, 64)] = mx.Quantile(q)
		}
	}
	if mx.Cholesky != nil {
		p.Chol = mx.Cholesky
		for _, r := range mx.Covariance() {
			p.Cov = append(p.Cov, r...)
		}
	}
	return p
}

// isCalibrationOutput reports whether path is a file -calibration wrote.
func isCalibrationOutput(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head struct {
		Format string `json:"format"`
	}
	return json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(&head) == nil && head.Format == calibrationFormat
}

// describeInputs names a model's inputs: `"waiting"` or `2 unnamed columns`.
func describeInputs(names []string, dim int) string {
	if names == nil {
		return fmt.Sprintf("%d unnamed columns", dim)
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return "columns " + strings.Join(q, ", ")
}

// check makes sure a prediction holds only finite numbers: no NaN reaches a file.
func (p *prediction) check() error {
	fields := []struct {
		name string
		vals [][]float64
	}{
		{"pi", [][]float64{p.Pi}}, {"log_pi", [][]float64{p.LogPi}}, {"mean", [][]float64{p.Mean}},
		{"std", [][]float64{p.Std}}, {"iqr", [][]float64{p.IQR}}, {"mode", [][]float64{p.Mode}},
		{"mu", p.Mu}, {"sigma", p.Sigma}, {"samples", p.Samples}, {"chol", p.Chol},
		{"cov", [][]float64{p.Cov}},
	}
	for _, f := range fields {
		for _, v := range f.vals {
			for _, x := range v {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					why := "the model's output overflowed for this input"
					if f.name == "cov" {
						why = "the covariance of a mixture this wide is beyond float64's range"
					}
					return fmt.Errorf("the prediction's %s holds %g (%s)", f.name, x, why)
				}
			}
		}
	}
	for q, v := range p.Quantiles {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("quantile %s is %g", q, v)
		}
	}
	return nil
}

// checkOut applies the -out policy before anything is computed: standard output, a new
// file in an existing folder, or a file predict wrote earlier (replaced atomically); a
// folder, a symbolic link, the input or model file, and any other existing file are
// refused.
func checkOut(o *options) error {
	inputs := []cli.Input{{Flag: "-model", Path: o.model}, {Flag: "-in", Path: o.in}}
	if o.calibration != "" {
		if err := cli.CheckOutFile(o.calibration, "predict", inputs, isCalibrationOutput); err != nil {
			return errors.New(strings.Replace(err.Error(), "-out ", "-calibration ", 1))
		}
	}
	if o.out == "-" {
		return nil
	}
	return cli.CheckOutFile(o.out, "predict", inputs, isPredictOutput)
}

// isPredictOutput reports whether path's first line is one predict writes: a CSV header
// with its mean_ and pi_0 columns, or a JSON line starting with its row field.
func isPredictOutput(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 1<<16)).ReadString('\n')
	if strings.HasPrefix(line, `{"row":`) {
		return true
	}
	h := strings.Split(strings.TrimRight(line, "\r\n"), ",")
	hasMean, hasPi := false, false
	for _, c := range h {
		hasMean = hasMean || strings.HasPrefix(c, "mean_")
		hasPi = hasPi || c == "pi_0"
	}
	return hasMean && hasPi
}

func writeJSONL(w io.Writer, preds []prediction) error {
	enc := json.NewEncoder(w)
	for _, p := range preds {
		if err := enc.Encode(p); err != nil {
			return err
		}
	}
	return nil
}

// writeCSV writes one row per prediction: the inputs; per target mean_, std_ and/or iqr_
// (as spread asks) and mode_; for a full-covariance model the covariance cov_<a>_<b> of
// every pair of targets a before b; the quantiles; per component pi_k, log_pi_k and per
// target mu_k_ and sigma_k_, and for a full model the Cholesky factor's lower triangle
// chol_k_<a>_<b> (row a, column b ≤ a); the samples.
func writeCSV(w io.Writer, preds []prediction, xNames, yNames []string, k int, cols columns, samples int, full bool) error {
	hasStd, hasIQR, probs := cols.std(), cols.iqr(), cols.probs
	var head []string
	head = append(head, xNames...)
	for _, y := range yNames {
		head = append(head, "mean_"+y)
		if hasStd {
			head = append(head, "std_"+y)
		}
		if hasIQR {
			head = append(head, "iqr_"+y)
		}
		if cols.mode {
			head = append(head, "mode_"+y)
		}
	}
	if full {
		for a := range yNames {
			for b := a + 1; b < len(yNames); b++ {
				head = append(head, "cov_"+yNames[a]+"_"+yNames[b])
			}
		}
	}
	for _, q := range probs {
		head = append(head, "q"+strconv.FormatFloat(q, 'g', -1, 64))
	}
	for c := 0; c < k; c++ {
		head = append(head, fmt.Sprintf("pi_%d", c), fmt.Sprintf("log_pi_%d", c))
		for _, y := range yNames {
			head = append(head, fmt.Sprintf("mu_%d_%s", c, y), fmt.Sprintf("sigma_%d_%s", c, y))
		}
		if full {
			for a := range yNames {
				for b := 0; b <= a; b++ {
					head = append(head, fmt.Sprintf("chol_%d_%s_%s", c, yNames[a], yNames[b]))
				}
			}
		}
	}
	for s := 0; s < samples; s++ {
		for _, y := range yNames {
			head = append(head, fmt.Sprintf("sample_%d_%s", s, y))
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	d := len(yNames)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var rec []string
	for _, p := range preds {
		rec = rec[:0]
		for _, v := range p.X {
			rec = append(rec, f(v))
		}
		for j := 0; j < d; j++ {
			rec = append(rec, f(p.Mean[j]))
			if hasStd {
				rec = append(rec, f(p.Std[j]))
			}
			if hasIQR {
				rec = append(rec, f(p.IQR[j]))
			}
			if cols.mode {
				rec = append(rec, f(p.Mode[j]))
			}
		}
		if full {
			for a := 0; a < d; a++ {
				for b := a + 1; b < d; b++ {
					rec = append(rec, f(p.Cov[a*d+b]))
				}
			}
		}
		for _, q := range probs {
			rec = append(rec, f(p.Quantiles[strconv.FormatFloat(q, 'g', -1, 64)]))
		}
		for c := 0; c < k; c++ {
			rec = append(rec, f(p.Pi[c]), f(p.LogPi[c]))
			for j := 0; j < d; j++ {
				rec = append(rec, f(p.Mu[c][j]), f(p.Sigma[c][j]))
			}
			if full {
				for a := 0; a < d; a++ {
					for b := 0; b <= a; b++ {
						rec = append(rec, f(p.Chol[c][a*d+b]))
					}
				}
			}
		}
		for _, s := range p.Samples {
			for _, v := range s {
				rec = append(rec, f(v))
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
