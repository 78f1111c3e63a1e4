// Command predict loads a model written by cmd/train, reads inputs from a CSV file and
// writes, for every row, the predicted mixture p(y | x): its weights, means and standard
// deviations, its mean, standard deviation and mode, chosen quantiles (one-dimensional y)
// and samples, as CSV or as JSON lines.
//
//	go run ./cmd/predict -model runs/bishop/model.mdn -in inputs.csv -format jsonl
//
// Run with -h for every flag.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/internal/data"
	"github.com/mixgraph/mixgraph/models/mdn"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "predict:", err)
		os.Exit(2)
	}
}

type options struct {
	model, in, out, xCols, format, quantiles string
	samples                                  int
	temperature                              float64
	seed                                     uint64
	quantilesSet                             bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.model, "model", "", "model file written by cmd/train (required)")
	fs.StringVar(&o.in, "in", "-", "CSV file of inputs with a header row; - for standard input")
	fs.StringVar(&o.out, "out", "-", "output file, written atomically; - for standard output")
	fs.StringVar(&o.xCols, "x_cols", "", "comma-separated input columns by name or 0-based index (default: every column)")
	fs.StringVar(&o.format, "format", "csv", "output format: csv or jsonl")
	fs.StringVar(&o.quantiles, "quantiles", "0.05,0.5,0.95", "comma-separated probabilities in (0,1) whose quantiles to write (one-dimensional targets only); empty for none")
	fs.IntVar(&o.samples, "samples", 0, "samples to draw per row")
	fs.Float64Var(&o.temperature, "temperature", 1, "sampling temperature τ > 0: component logits are divided by τ and σ scaled by √τ")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the samples")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "quantiles" {
			o.quantilesSet = true
		}
	})
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	switch {
	case o.model == "":
		return nil, errors.New("-model is required")
	case o.format != "csv" && o.format != "jsonl":
		return nil, fmt.Errorf("-format %q: want csv or jsonl", o.format)
	case o.samples < 0:
		return nil, fmt.Errorf("-samples %d: want 0 or more", o.samples)
	case !(o.temperature > 0) || math.IsInf(o.temperature, 0):
		return nil, fmt.Errorf("-temperature %g: want a finite value > 0", o.temperature)
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
	Mu        [][]float64        `json:"mu"`
	Sigma     [][]float64        `json:"sigma"`
	Mean      []float64          `json:"mean"`
	Std       []float64          `json:"std"`
	Mode      []float64          `json:"mode"`
	Quantiles map[string]float64 `json:"quantiles,omitempty"`
	Samples   [][]float64        `json:"samples,omitempty"`
}

func run(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	probs, err := parseProbs(o.quantiles)
	if err != nil {
		return err
	}
	m, err := mdn.LoadFile(o.model)
	if err != nil {
		return err
	}
	cfg := m.Config()
	if cfg.OutputDim != 1 {
		if o.quantilesSet && len(probs) > 0 {
			return fmt.Errorf("-quantiles: the model's targets have %d dimensions; quantiles need one", cfg.OutputDim)
		}
		probs = nil
	}
	in := stdin
	if o.in != "-" {
		f, err := os.Open(o.in)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	var cols []string
	if o.xCols != "" {
		cols = strings.Split(o.xCols, ",")
	}
	names, flat, err := data.ReadColumnsCSV(in, cols)
	if err != nil {
		return fmt.Errorf("%s: %w", o.in, err)
	}
	if len(names) != cfg.InputDim {
		return fmt.Errorf("%s: %d input columns (%s), the model takes %d", o.in, len(names), strings.Join(names, ", "), cfg.InputDim)
	}
	n := len(flat) / cfg.InputDim
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = flat[i*cfg.InputDim : (i+1)*cfg.InputDim]
	}
	mix, err := m.Predict(rows)
	if err != nil {
		return err
	}
	rng := graph.NewRand(o.seed)
	preds := make([]prediction, n)
	for i, mx := range mix {
		p := prediction{Row: i, X: rows[i], Pi: mx.Weights, Mu: mx.Means, Sigma: mx.StdDevs, Mean: mx.Mean(), Mode: mx.Mode()}
		for _, v := range mx.Variance() {
			p.Std = append(p.Std, math.Sqrt(v))
		}
		if len(probs) > 0 {
			p.Quantiles = map[string]float64{}
			for _, q := range probs {
				p.Quantiles[strconv.FormatFloat(q, 'g', -1, 64)] = mx.Quantile(q)
			}
		}
		if o.samples > 0 {
			p.Samples = mx.Sample(rng, o.samples, o.temperature)
		}
		preds[i] = p
	}
	write := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		var err error
		if o.format == "jsonl" {
			err = writeJSONL(bw, preds)
		} else {
			err = writeCSV(bw, preds, names, cfg.K, cfg.OutputDim, probs, o.samples)
		}
		if err != nil {
			return err
		}
		return bw.Flush()
	}
	if o.out == "-" {
		return write(stdout)
	}
	return atomicfile.Write(o.out, write)
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

func writeCSV(w io.Writer, preds []prediction, xNames []string, k, d int, probs []float64, samples int) error {
	var head []string
	head = append(head, xNames...)
	for j := 0; j < d; j++ {
		head = append(head, fmt.Sprintf("mean_%d", j), fmt.Sprintf("std_%d", j), fmt.Sprintf("mode_%d", j))
	}
	for _, q := range probs {
		head = append(head, "q"+strconv.FormatFloat(q, 'g', -1, 64))
	}
	for c := 0; c < k; c++ {
		head = append(head, fmt.Sprintf("pi_%d", c))
		for j := 0; j < d; j++ {
			head = append(head, fmt.Sprintf("mu_%d_%d", c, j), fmt.Sprintf("sigma_%d_%d", c, j))
		}
	}
	for s := 0; s < samples; s++ {
		for j := 0; j < d; j++ {
			head = append(head, fmt.Sprintf("sample_%d_%d", s, j))
		}
	}
	if _, err := io.WriteString(w, strings.Join(head, ",")+"\n"); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, p := range preds {
		var rec []string
		for _, v := range p.X {
			rec = append(rec, f(v))
		}
		for j := 0; j < d; j++ {
			rec = append(rec, f(p.Mean[j]), f(p.Std[j]), f(p.Mode[j]))
		}
		for _, q := range probs {
			rec = append(rec, f(p.Quantiles[strconv.FormatFloat(q, 'g', -1, 64)]))
		}
		for c := 0; c < k; c++ {
			rec = append(rec, f(p.Pi[c]))
			for j := 0; j < d; j++ {
				rec = append(rec, f(p.Mu[c][j]), f(p.Sigma[c][j]))
			}
		}
		for _, s := range p.Samples {
			for _, v := range s {
				rec = append(rec, f(v))
			}
		}
		if _, err := io.WriteString(w, strings.Join(rec, ",")+"\n"); err != nil {
			return err
		}
	}
	return nil
}
