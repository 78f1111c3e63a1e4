// Package clitest checks mixgraph's commands against bad input, for their catalogue tests:
// a bad input must end with exit status 2, exactly one line on stderr that names the
// culprit, nothing on stdout, no panic, and the working folder byte for byte as it was.
// It does not import testing: it returns what is wrong, and the test reports it.
package clitest

import (
	"bytes"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/mixgraph/mixgraph/internal/snapshot"
)

// BadInput runs one bad input through run (the command, writing to the given stdout and
// stderr and returning its exit status) and returns what is wrong, if anything. command
// is the program's name, which must start the stderr line once; want must appear in it.
// root is the working folder and before its snapshot, updated when the folder changed so
// that a change is reported once.
func BadInput(command, want, root string, before *snapshot.Tree, run func(stdout, stderr io.Writer) int) []string {
	var stdout, stderr bytes.Buffer
	var problems []string
	status := func() (status int) {
		defer func() {
			if r := recover(); r != nil {
				problems = append(problems, fmt.Sprintf("panic: %v\n%s", r, debug.Stack()))
				status = -1
			}
		}()
		return run(&stdout, &stderr)
	}()
	msg := stderr.String()
	if status != 2 {
		problems = append(problems, fmt.Sprintf("exit status %d, want 2 (stderr %q)", status, msg))
	}
	if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") {
		problems = append(problems, fmt.Sprintf("stderr is not one line: %q", msg))
	}
	prefix := command + ": "
	if !strings.HasPrefix(msg, prefix) || strings.HasPrefix(msg, prefix+prefix) || !strings.Contains(msg, want) {
		problems = append(problems, fmt.Sprintf("stderr %q, want one line naming %q", msg, want))
	}
	if stdout.Len() != 0 {
		problems = append(problems, fmt.Sprintf("printed %q on stdout", stdout.String()))
	}
	after, err := snapshot.Take(root)
	if err != nil {
		return append(problems, fmt.Sprintf("snapshot of %s: %v", root, err))
	}
	if d := before.Diff(after); d != "" {
		problems = append(problems, "the working folder changed: "+d)
		*before = after
	}
	return problems
}
