package traincmd

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mixgraph/mixgraph/train"
)

// TestProgressWidth drives a terminal progress line through a run and checks that no
// frame is wider than the terminal, and that the ETA and the best epoch show when
// there is room.
func TestProgressWidth(t *testing.T) {
	for _, width := range []int{40, 60, 120} {
		var buf bytes.Buffer
		p := newProgress(&buf, false, true)
		p.width = width
		const epochs, perEpoch = 1000, 100
		val := []float64{0.9, 0.7, 0.8, 0.65, 0.66}
		var last *train.Epoch
		for e := 1; e <= len(val); e++ {
			for step := (e-1)*perEpoch + 1; step <= e*perEpoch; step += 50 {
				s := train.Progress{Epoch: e, Epochs: epochs, Step: step, Steps: epochs * perEpoch,
					Last: last, Elapsed: time.Duration(step) * 12345 * time.Millisecond}
				p.last = time.Time{} // draw every report
				p.update(s)
			}
			last = &train.Epoch{Epoch: e, TrainNLL: -12345.678901, ValNLL: val[e-1]}
		}
		p.update(train.Progress{Epoch: 5, Epochs: epochs, Step: 5 * perEpoch, Steps: epochs * perEpoch,
			Last: last, Elapsed: time.Hour, Done: true})
		p.finish()
		frames := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\r\033[K")[1:]
		if len(frames) < 10 {
			t.Fatalf("width %d: %d frames, want at least 10:\n%q", width, len(frames), buf.String())
		}
		for _, f := range frames {
			if n := utf8.RuneCountInString(f); n >= width {
				t.Errorf("width %d: frame of %d runes (want < %d): %q", width, n, width, f)
			}
			if !strings.Contains(f, "%") {
				t.Errorf("width %d: frame without the fraction done: %q", width, f)
			}
		}
		before := frames[len(frames)-2]
		if !strings.Contains(before, "ETA ") {
			t.Errorf("width %d: no ETA in %q", width, before)
		}
		if width >= 60 && !strings.Contains(before, "best val @4 0.6500") {
			t.Errorf("width %d: no best epoch (@4 0.6500) in %q", width, before)
		}
		if width >= 120 && !strings.Contains(before, "[") {
			t.Errorf("width %d: no bar in %q", width, before)
		}
	}
}

// TestProgressPlain checks the plain lines written when not on a terminal: one line
// per report, no escape sequences, with the ETA measured from the first report.
func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, false, false)
	// A resumed run: half done before, then 10% more in 10 s leaves 40% for 40 s.
	p.update(train.Progress{Epoch: 50, Epochs: 100, Step: 500, Steps: 1000, Elapsed: time.Hour})
	p.last = time.Time{}
	p.update(train.Progress{Epoch: 60, Epochs: 100, Step: 600, Steps: 1000, Elapsed: time.Hour + 10*time.Second,
		Last: &train.Epoch{Epoch: 59, TrainNLL: 1, ValNLL: math.NaN()}})
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 || strings.Contains(buf.String(), "\r") || strings.Contains(buf.String(), "\033") {
		t.Fatalf("got %q, want two plain lines", buf.String())
	}
	if !strings.Contains(lines[1], "ETA 40s") || strings.Contains(lines[1], "best") {
		t.Errorf("got %q, want ETA 40s and no best epoch (no validation)", lines[1])
	}
}

func TestTerminalWidth(t *testing.T) {
	for _, c := range []struct {
		columns string
		want    int
	}{{"", 80}, {"100", 100}, {" 42 ", 42}, {"0", 80}, {"-3", 80}, {"wide", 80}} {
		if got := terminalWidth(c.columns); got != c.want {
			t.Errorf("COLUMNS=%q: got %d, want %d", c.columns, got, c.want)
		}
	}
}

func TestFmtDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{0, "0s"}, {59 * time.Second, "59s"}, {185 * time.Second, "3m05s"}, {2*time.Hour + 3*time.Minute, "2h03m"}} {
		if got := fmtDuration(c.d); got != c.want {
			t.Errorf("fmtDuration(%v): got %q, want %q", c.d, got, c.want)
		}
	}
}
