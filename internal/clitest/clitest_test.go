package clitest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/internal/snapshot"
)

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	before, err := snapshot.Take(dir)
	if err != nil {
		t.Fatal(err)
	}
	good := func(_, stderr io.Writer) int { fmt.Fprintln(stderr, "cmd: -k \"x\": not a whole number"); return 2 }
	if p := BadInput("cmd", `-k "x"`, dir, &before, good); len(p) != 0 {
		t.Errorf("a well-behaved command: %v", p)
	}
	cases := []struct {
		run  func(stdout, stderr io.Writer) int
		want string
	}{
		{func(_, stderr io.Writer) int { fmt.Fprintln(stderr, "cmd: bad"); return 1 }, "exit status 1"},
		{func(_, stderr io.Writer) int { fmt.Fprint(stderr, "cmd: bad\nmore\n"); return 2 }, "not one line"},
		{func(_, stderr io.Writer) int { fmt.Fprintln(stderr, "cmd: cmd: bad"); return 2 }, "want one line naming"},
		{func(stdout, stderr io.Writer) int {
			fmt.Fprintln(stdout, "x")
			fmt.Fprintln(stderr, "cmd: bad")
			return 2
		}, "on stdout"},
		{func(_, _ io.Writer) int { panic("boom") }, "panic: boom"},
		{func(_, stderr io.Writer) int {
			os.WriteFile(filepath.Join(dir, "left"), nil, 0o644)
			fmt.Fprintln(stderr, "cmd: bad")
			return 2
		}, "the working folder changed: added left"},
	}
	for i, c := range cases {
		p := BadInput("cmd", "bad", dir, &before, c.run)
		if !strings.Contains(strings.Join(p, "; "), c.want) {
			t.Errorf("case %d: problems %q, want one containing %q", i, p, c.want)
		}
	}
}
