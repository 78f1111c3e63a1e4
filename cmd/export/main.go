// Command export loads a model written by cmd/train and writes it for other programs:
// its weights, normalisation and config as a safetensors file, which
// benchmarks/reference/load_mixgraph.py rebuilds in PyTorch.
//
//	go run ./cmd/export -model runs/bishop/model.mdn -out model.safetensors
//
// An existing -out is replaced only when export wrote it. Run with -h for every flag.
package main

import (
	"os"

	"github.com/mixgraph/mixgraph/internal/exportcmd"
)

func main() {
	os.Exit(exportcmd.Main(os.Args[1:], os.Stdout, os.Stderr))
}
