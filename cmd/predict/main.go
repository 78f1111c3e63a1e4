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
	"os"

	"github.com/mixgraph/mixgraph/internal/predictcmd"
)

func main() {
	os.Exit(predictcmd.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
