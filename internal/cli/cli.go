// Package cli holds what mixgraph's commands share about talking to a user: flag errors
// turned into one line naming the flag and the value, and errors printed as one line.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// FlagError turns an error of fs.Parse into one line naming the flag and the value:
// `-k "abc": not a whole number`, `unknown flag -foo (see -h)`, `-k needs a value`.
func FlagError(err error, fs *flag.FlagSet) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "flag provided but not defined: "):
		return fmt.Errorf("unknown flag %s (see -h)", strings.TrimPrefix(msg, "flag provided but not defined: "))
	case strings.HasPrefix(msg, "flag needs an argument: "):
		return fmt.Errorf("%s needs a value", strings.TrimPrefix(msg, "flag needs an argument: "))
	case strings.HasPrefix(msg, "bad flag syntax: "):
		return fmt.Errorf("bad flag syntax %q (flags are -name value or -name=value; see -h)", strings.TrimPrefix(msg, "bad flag syntax: "))
	case strings.HasPrefix(msg, "invalid value "), strings.HasPrefix(msg, "invalid boolean value "):
		// invalid value "abc" for flag -k: parse error
		rest := strings.TrimPrefix(strings.TrimPrefix(msg, "invalid boolean value "), "invalid value ")
		val, after, ok := cutQuoted(rest)
		after = strings.Replace(after, " for flag -", " for -", 1)
		if ok && strings.HasPrefix(after, " for -") {
			name, reason, _ := strings.Cut(strings.TrimPrefix(after, " for -"), ": ")
			want := "a valid value"
			if f := fs.Lookup(name); f != nil {
				if g, ok := f.Value.(flag.Getter); ok {
					switch g.Get().(type) {
					case int, int64:
						want = "a whole number"
					case uint, uint64:
						want = "a whole number ≥ 0"
					case float64:
						want = "a number"
					case bool:
						want = "true or false"
					}
				}
			}
			if strings.Contains(reason, "out of range") {
				return fmt.Errorf("-%s %q: out of range (want %s)", name, val, want)
			}
			return fmt.Errorf("-%s %q: not %s", name, val, want)
		}
	}
	return errors.New(OneLine(msg))
}

// cutQuoted splits a Go-quoted string off the front of s.
func cutQuoted(s string) (val, rest string, ok bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", s, false
	}
	v, err := strconv.Unquote(q)
	if err != nil {
		return "", s, false
	}
	return v, s[len(q):], true
}

// OneLine returns msg with line breaks replaced by spaces and with every leading
// "<prefix>: " of the command's own name dropped, so that "train: train: x" cannot be
// printed.
func OneLine(msg string, prefixes ...string) string {
	msg = strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(msg))
	for changed := true; changed; {
		changed = false
		for _, p := range prefixes {
			if strings.HasPrefix(msg, p+": ") {
				msg = strings.TrimPrefix(msg, p+": ")
				changed = true
			}
		}
	}
	return msg
}

// Finite returns &v for a finite v and nil for ±Inf and NaN: a figure for a JSON file,
// where encoding/json writes nil as null and refuses ±Inf and NaN.
func Finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}
