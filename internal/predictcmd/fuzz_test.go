package predictcmd

import (
	"errors"
	"flag"
	"strings"
	"testing"
)

// FuzzFlags feeds parseFlags arbitrary argument lists (NUL-separated): it must never
// panic, and every error must be one line.
func FuzzFlags(f *testing.F) {
	for _, s := range []string{
		"", "-model\x00m.mdn", "-model\x00m.mdn\x00-samples\x00abc", "-samples\x001000000000", "-temperature\x00NaN",
		"-format\x00xml", "-spread\x00mad", "-h", "-version", "-model", "-quantiles\x000.5,,1", "-x_cols\x00", "x",
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
		if o.model == "" || o.samples < 0 || o.samples > maxSamples || !(o.temperature > 0) || (o.spread != "std" && o.spread != "iqr" && o.spread != "both") {
			t.Fatalf("%q: accepted %+v", args, o)
		}
		if _, err := parseProbs(o.quantiles); err == nil {
			return
		}
	})
}
