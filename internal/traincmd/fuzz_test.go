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
