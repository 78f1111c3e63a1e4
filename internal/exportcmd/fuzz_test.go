package exportcmd

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/models/mdn"
)

// FuzzSafetensorsFormat feeds safetensorsFormat arbitrary bytes: it must never panic,
// and must name the format only of a header that holds one.
func FuzzSafetensorsFormat(f *testing.F) {
	f.Add([]byte(nil))
	f.Add(header(`{"__metadata__":{"format":"` + mdn.SafetensorsFormat + `"}}`))
	f.Add(header(`{"__metadata__":{"format":1}}`))
	f.Add(header(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{'})
	f.Fuzz(func(t *testing.T, b []byte) {
		format, err := safetensorsFormat(bytes.NewReader(b))
		if err == nil && !bytes.Contains(b, []byte("format")) && !bytes.Contains(b, []byte(`\u`)) {
			t.Fatalf("%q: format %q from a header without one", b, format)
		}
	})
}

// FuzzFlags feeds parseFlags arbitrary argument lists (NUL-separated): it must never
// panic, every error must be one line, and what it accepts must be complete.
func FuzzFlags(f *testing.F) {
	for _, s := range []string{
		"", "-model\x00m.mdn\x00-out\x00x.safetensors", "-format\x00onnx", "-h", "-version", "-model", "-out\x00-", "x",
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
		if !o.version && (o.model == "" || o.out == "" || o.out == "-" || o.format != formatSafetensors) {
			t.Fatalf("%q: accepted %+v", args, o)
		}
	})
}
