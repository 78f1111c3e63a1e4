package traincmd

import (
	"errors"
	"flag"
	"strings"
	"testing"
)

// FuzzFlags feeds parseFlags arbitrary argument lists (NUL-separated): it must never
// panic, and every error must be one line naming a flag or an argument.
func FuzzFlags(f *testing.F) {
	for _, s := range []string{
		"", "-k\x00abc", "-k\x001000000000", "-hidden\x0060000,60000", "-hidden\x00", "-hidden\x008,,8",
		"-lr\x00NaN", "-clip\x00-Inf", "-resume\x00runs/x\x00-k\x003", "-resume\x00runs/x\x00-quiet",
		"-h", "-help", "-version", "--k=3", "---k", "-k", "-n\x0099999999999999999999", "-x_cols\x00a",
		"-csv\x00a.csv\x00-test_fraction\x001", "-out\x00", "-data\x00mnist", "-seed=-1", "-quiet=maybe", "x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		if s == "" {
			args = nil
		}
		o, err := parseFlags(args)
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return
			}
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") && !strings.ContainsAny(s, "\n\r") {
				t.Fatalf("%q: error %q is not one line", args, msg)
			}
			return
		}
		if o.version {
			return
		}
		if !o.k.auto && o.k.v < 1 || !o.epochs.auto && o.epochs.v < 1 || !o.batch.auto && o.batch.v < 1 || len(o.widths) == 0 || o.n < 0 || o.checkpointEvery < 0 {
			t.Fatalf("%q: accepted %+v", args, o)
		}
	})
}

// FuzzRecordedDefaults feeds parseRecorded a marker's recorded defaults and arguments
// (NUL-separated, the two lists split at the first \x01), as a hand-edited or damaged
// marker might hold them: it must never panic, every error must be one line, and what
// it accepts must be valid options.
func FuzzRecordedDefaults(f *testing.F) {
	for _, s := range []string{
		"hidden=24\x00lr=0.01\x00weight_decay=2\x01-n\x00300", "hidden=\x01", "k=0\x01", "lr=NaN\x01",
		"out=x\x01", "nosuchflag=1\x01", "hidden\x01", "=\x01-k\x003", "weight_decay=auto\x00k=auto\x01-k\x005",
		"ensemble=auto\x00rotate_validation=maybe\x01", "\x01-resume\x00x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, a, _ := strings.Cut(s, "\x01")
		split := func(s string) []string {
			if s == "" {
				return nil
			}
			return strings.Split(s, "\x00")
		}
		defaults, args := split(d), split(a)
		o, err := parseRecorded(defaults, args)
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return
			}
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") && !strings.ContainsAny(s, "\n\r") {
				t.Fatalf("%q, %q: error %q is not one line", defaults, args, msg)
			}
			return
		}
		if o.version {
			return
		}
		if !o.k.auto && o.k.v < 1 || !o.epochs.auto && o.epochs.v < 1 || !o.batch.auto && o.batch.v < 1 || len(o.widths) == 0 || o.n < 0 || o.checkpointEvery < 0 || !o.decay.auto && !(o.decay.v >= 0) {
			t.Fatalf("%q, %q: accepted %+v", defaults, args, o)
		}
	})
}
