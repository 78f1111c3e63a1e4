package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSubcommands(t *testing.T) {
	cases := []struct {
		args   []string
		status int
		out    string // in stdout, or stderr when the status is not 0
	}{
		{nil, 2, "Usage: mixgraph SUBCOMMAND"},
		{[]string{"help"}, 0, "Subcommands:"},
		{[]string{"version"}, 0, "mixgraph "},
		{[]string{"fit"}, 2, `unknown subcommand "fit"`},
		{[]string{"train", "-h"}, 0, "Usage: train"},
		{[]string{"train", "-k", "abc"}, 2, `train: -k "abc": not a whole number`},
		{[]string{"predict", "-h"}, 0, "Usage: predict"},
		{[]string{"predict"}, 2, "predict: -model is required"},
		{[]string{"export", "-h"}, 0, "Usage: export"},
		{[]string{"export"}, 2, "export: -model is required"},
	}
	for _, c := range cases {
		var o, e bytes.Buffer
		status := run(c.args, strings.NewReader(""), &o, &e)
		got := o.String()
		if c.status != 0 {
			got = e.String()
		}
		if status != c.status || !strings.Contains(got, c.out) {
			t.Errorf("%q: status %d, output %q; want %d and %q", c.args, status, got, c.status, c.out)
		}
	}
}
