// Command mixgraph is mixgraph's tools as one installed program with subcommands:
//
//	mixgraph train [flags]     train an MDN and write a run folder (as cmd/train)
//	mixgraph predict [flags]   predict mixtures from a model file (as cmd/predict)
//	mixgraph export [flags]    write a model file as safetensors for PyTorch (as cmd/export)
//	mixgraph version           print the version
//
// Install it with
//
//	go install github.com/mixgraph/mixgraph/cmd/mixgraph@latest
//
// In a checkout, `go run ./cmd/train` and `go run ./cmd/predict` run the same commands;
// `mixgraph SUBCOMMAND -h` prints a subcommand's flags. Exit status as the subcommand's:
// 0 on success, 2 for any error (one line on stderr), 130 or 143 when train is
// interrupted.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mixgraph/mixgraph/internal/exportcmd"
	"github.com/mixgraph/mixgraph/internal/predictcmd"
	"github.com/mixgraph/mixgraph/internal/traincmd"
	"github.com/mixgraph/mixgraph/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `Usage: mixgraph SUBCOMMAND [flags]

Subcommands:
  train     train a mixture density network and write a run folder
  predict   predict the mixture p(y | x) for every row of a CSV file
  export    write a model's weights as safetensors (load_mixgraph.py rebuilds it in PyTorch)
  version   print the version

mixgraph SUBCOMMAND -h prints a subcommand's flags.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "train":
		return traincmd.Main(args[1:], stdout, stderr)
	case "predict":
		return predictcmd.Main(args[1:], stdin, stdout, stderr)
	case "export":
		return exportcmd.Main(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, version.String())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "mixgraph: unknown subcommand %q (want train, predict, export or version; see mixgraph help)\n", args[0])
	return 2
}
