// Package traincmd is the train command (cmd/train, and `mixgraph train`): it trains a
// mixture density network on a built-in dataset or a CSV file and writes a run folder.
// See cmd/train for its documentation.
package traincmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mixgraph/mixgraph/internal/cli"
	"github.com/mixgraph/mixgraph/train"
)

// Main runs the command with the arguments after its name, SIGINT and SIGTERM turned
// into a cancellation, prints an error as one line on stderr and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int { return mainStatus(args, stdout, stderr) }

// signalCause is the cancellation cause of a run stopped by a signal.
type signalCause struct{ sig os.Signal }

func (s signalCause) Error() string { return "stopped by " + s.sig.String() }

// mainStatus runs the command with SIGINT and SIGTERM turned into a cancellation, prints
// an error as one line and returns the exit status.
func mainStatus(args []string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case s := <-sigs:
			// A second signal ends the process at once: every write is atomic.
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			cancel(signalCause{s})
		case <-ctx.Done():
		}
	}()
	return status(run(ctx, args, stdout, stderr), stderr)
}

// interrupted is run's error when a signal stopped the run and the run folder was
// written.
type interrupted struct {
	sig        os.Signal // nil: cancelled otherwise
	out        string
	epoch      int
	step       int
	checkpoint bool
	msg        string // when set, the whole message (an -ensemble or -select run)
}

func (e *interrupted) Error() string {
	if e.msg != "" {
		return e.msg
	}
	if e.step == 0 && !e.checkpoint {
		return "interrupted before the first step; nothing was written"
	}
	s := fmt.Sprintf("interrupted at epoch %d, step %d; wrote %s with the best weights so far", e.epoch, e.step, e.out)
	if e.checkpoint {
		s += fmt.Sprintf("; resume with: train -resume %s", e.out)
	}
	return s
}

// status prints err (if any) as one line on stderr and returns the exit status.
func status(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) || errors.Is(err, cli.ErrVersion) {
		return 0
	}
	msg := err.Error()
	if errors.Is(err, train.ErrNonFinite) {
		msg += " (the training diverged: try a lower -lr, or -clip_norm)"
	}
	fmt.Fprintln(stderr, "train: "+cli.OneLine(msg, "train"))
	var ie *interrupted
	if errors.As(err, &ie) {
		if s, ok := ie.sig.(syscall.Signal); ok {
			return 128 + int(s)
		}
		return 130
	}
	return 2
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
