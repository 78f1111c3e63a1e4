// Command train trains a mixture density network on a built-in dataset or a CSV file and
// writes a run folder: the model, the configuration used, the per-epoch history and
// pictures of what was learnt.
//
// With no flags it trains on Bishop's inverse problem:
//
//	go run ./cmd/train
//
// Run with -h for every flag.
//
// Exit status: 0 on success (and for -h and -version), 2 for any error (one line on
// standard error naming the flag, file, row or value at fault), and 128 + the signal's
// number when SIGINT (130) or SIGTERM (143) stopped the run; the run folder then holds
// the best weights so far and a checkpoint that -resume continues from.
package main

import (
	"os"

	"github.com/mixgraph/mixgraph/internal/traincmd"
)

func main() {
	os.Exit(traincmd.Main(os.Args[1:], os.Stdout, os.Stderr))
}
