package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// ErrVersion is what a command's run returns after printing its version: exit status 0.
var ErrVersion = errors.New("version printed")

// Parse parses args with fs (which must use flag.ContinueOnError) and returns the names
// of the flags given. flag.ErrHelp comes back as it is, for -h; every other error is one
// line naming the flag (FlagError), and a positional argument is an error.
func Parse(fs *flag.FlagSet, args []string) (set map[string]bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, FlagError(err, fs)
	}
	set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	return set, nil
}

// PrintUsage writes a command's usage to w: the synopsis line ("Usage: predict -model
// MODEL [flags]"), a paragraph saying what it does, the version, and fs's flags.
func PrintUsage(w io.Writer, fs *flag.FlagSet, synopsis, about, version string) {
	fmt.Fprintf(w, "%s\n\n%s %s\n\nFlags:\n", synopsis, about, version)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
