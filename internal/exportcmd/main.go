// Package exportcmd is the export command (cmd/export, and `mixgraph export`): it loads
// a model written by the train command and writes it in a format other programs read.
// The only format so far is safetensors (see mdn.Model.WriteSafetensors), which
// benchmarks/reference/load_mixgraph.py rebuilds in PyTorch:
//
//	go run ./cmd/export -model runs/bishop/model.mdn -out model.safetensors
//
// The output is written atomically. An existing -out is replaced only when it is an
// export this command wrote (a safetensors file whose metadata names the format
// mdn.SafetensorsFormat); anything else there, or a folder, is refused. Errors are one
// line on stderr with exit status 2; -h prints the flags and exits with 0.
package exportcmd

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mixgraph/mixgraph/internal/cli"
	"github.com/mixgraph/mixgraph/internal/version"
	"github.com/mixgraph/mixgraph/models/mdn"
)

// Main runs the command with the arguments after its name, prints an error as one line
// on stderr and returns the exit status: 0 on success (and for -h and -version), 2 for
// any error.
func Main(args []string, stdout, stderr io.Writer) int {
	err := run(args, stdout)
	if err == nil || errors.Is(err, flag.ErrHelp) || errors.Is(err, cli.ErrVersion) {
		return 0
	}
	fmt.Fprintln(stderr, "export: "+cli.OneLine(err.Error(), "export"))
	return 2
}

// formatSafetensors is the one -format so far.
const formatSafetensors = "safetensors"

type options struct {
	model, out, format string
	version            bool
}

func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.model, "model", "", "model file written by cmd/train (required)")
	fs.StringVar(&o.out, "out", "", "output file, written atomically (required). An existing file is replaced only if export wrote it")
	fs.StringVar(&o.format, "format", formatSafetensors, "output format: safetensors (read by benchmarks/reference/load_mixgraph.py)")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	return fs
}

func usage(w io.Writer) {
	cli.PrintUsage(w, newFlagSet(&options{}), "Usage: export -model MODEL -out FILE [flags]", "Writes a model's weights, normalisation and config for other programs.", version.String())
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := newFlagSet(o)
	if _, err := cli.Parse(fs, args); err != nil {
		return nil, err
	}
	if o.version {
		return o, nil
	}
	switch {
	case o.model == "":
		return nil, errors.New("-model is required")
	case o.out == "":
		return nil, errors.New("-out is required (name the file to write)")
	case o.out == "-":
		return nil, errors.New("-out -: standard output is not supported; name a file")
	case o.format != formatSafetensors:
		return nil, fmt.Errorf("-format %q: want safetensors", o.format)
	}
	return o, nil
}

func run(args []string, stdout io.Writer) error {
	o, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout)
		return err
	}
	if err != nil {
		return err
	}
	if o.version {
		fmt.Fprintln(stdout, "export:", version.String())
		return cli.ErrVersion
	}
	if err := checkOut(o); err != nil {
		return err
	}
	m, err := mdn.LoadFile(o.model)
	if err != nil {
		return fmt.Errorf("-model %s: %s", o.model, cli.OneLine(err.Error(), "mdn"))
	}
	if err := m.SaveSafetensors(o.out); err != nil {
		return fmt.Errorf("-out %s: %s", o.out, cli.OneLine(err.Error(), "mdn", "atomicfile"))
	}
	return nil
}

// checkOut applies the -out policy before the model is read: a new file in an existing
// folder, or a file export wrote earlier (replaced atomically).
func checkOut(o *options) error {
	return cli.CheckOutFile(o.out, "export", []cli.Input{{Flag: "-model", Path: o.model}}, isExport)
}

// isExport reports whether path is a safetensors file export wrote.
func isExport(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	format, err := safetensorsFormat(f)
	return err == nil && format == mdn.SafetensorsFormat
}

// maxHeaderBytes bounds the safetensors header safetensorsFormat reads.
const maxHeaderBytes = 1 << 24

// safetensorsFormat reads the start of a safetensors file, the 8-byte little-endian
// header length N and the N-byte JSON header, and returns its __metadata__'s "format".
func safetensorsFormat(r io.Reader) (string, error) {
	var size [8]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return "", errors.New("no safetensors header length")
	}
	n := binary.LittleEndian.Uint64(size[:])
	if n < 2 || n > maxHeaderBytes {
		return "", fmt.Errorf("safetensors header length %d out of range", n)
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(r, header); err != nil {
		return "", errors.New("safetensors header truncated")
	}
	var h struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if err := json.Unmarshal(header, &h); err != nil {
		return "", fmt.Errorf("safetensors header: %v", err)
	}
	format, ok := h.Meta["format"]
	if !ok {
		return "", errors.New("safetensors header has no format in its metadata")
	}
	return format, nil
}
