package cli

import (
	"flag"
	"io"
	"testing"
)

func TestFlagError(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-k", "abc"}, `-k "abc": not a whole number`},
		{[]string{"-k", "99999999999999999999"}, `-k "99999999999999999999": out of range (want a whole number)`},
		{[]string{"-seed", "-1"}, `-seed "-1": not a whole number ≥ 0`},
		{[]string{"-lr", "fast"}, `-lr "fast": not a number`},
		{[]string{"-quiet=maybe"}, `-quiet "maybe": not true or false`},
		{[]string{"-nope"}, `unknown flag -nope (see -h)`},
		{[]string{"-k"}, `-k needs a value`},
		{[]string{"---k"}, `bad flag syntax "---k" (flags are -name value or -name=value; see -h)`},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Int("k", 1, "")
		fs.Uint64("seed", 1, "")
		fs.Float64("lr", 1, "")
		fs.Bool("quiet", false, "")
		err := fs.Parse(c.args)
		if err == nil {
			t.Fatalf("%v: no error", c.args)
		}
		if got := FlagError(err, fs).Error(); got != c.want {
			t.Errorf("%v: %q, want %q", c.args, got, c.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	if got := OneLine("train: train: cancelled\nat step 3", "train"); got != "cancelled at step 3" {
		t.Errorf("OneLine = %q", got)
	}
}

func TestParse(t *testing.T) {
	newFS := func() *flag.FlagSet {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Int("k", 1, "")
		fs.Bool("q", false, "")
		return fs
	}
	set, err := Parse(newFS(), []string{"-k", "3"})
	if err != nil || !set["k"] || set["q"] {
		t.Errorf("Parse -k 3: set %v, err %v", set, err)
	}
	if _, err := Parse(newFS(), []string{"-h"}); err != flag.ErrHelp {
		t.Errorf("-h: err %v, want flag.ErrHelp", err)
	}
	if _, err := Parse(newFS(), []string{"-k", "x"}); err == nil || err.Error() != `-k "x": not a whole number` {
		t.Errorf("-k x: err %v", err)
	}
	if _, err := Parse(newFS(), []string{"-q", "extra"}); err == nil || err.Error() != `unexpected argument "extra" (flags only; see -h)` {
		t.Errorf("positional: err %v", err)
	}
}
