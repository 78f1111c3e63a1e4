package traincmd

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mixgraph/mixgraph/train"
)

// progress shows a run's progress: a line redrawn in place on a terminal, never
// wider than the terminal so that it never wraps, and plain lines at most every few
// seconds otherwise; nothing when quiet. Both give the ETA and the best validation
// epoch so far.
type progress struct {
	w        io.Writer
	quiet    bool
	terminal bool
	width    int // of the terminal, in runes
	last     time.Time
	drawn    bool

	// The first report seen: the ETA is measured from it, so that a resumed run's
	// earlier steps do not count as this session's speed.
	started   bool
	step0     int
	elapsed0  time.Duration
	bestEpoch int // 0: no validation NLL seen yet
	bestNLL   float64
	lastEpoch int // of the last epoch tracked
}

func newProgress(w io.Writer, quiet, terminal bool) *progress {
	return &progress{w: w, quiet: quiet, terminal: terminal, width: terminalWidth(os.Getenv("COLUMNS"))}
}

// terminalWidth is the width the COLUMNS environment variable gives, or 80.
func terminalWidth(columns string) int {
	if n, err := strconv.Atoi(strings.TrimSpace(columns)); err == nil && n > 0 {
		return n
	}
	return 80
}

const (
	maxBarWidth = 30
	minBarWidth = 10
	lineEvery   = 3 * time.Second
	frameEvery  = 150 * time.Millisecond
)

func (p *progress) update(s train.Progress) {
	if p.quiet {
		return
	}
	p.track(s)
	now := time.Now()
	every := lineEvery
	if p.terminal {
		every = frameEvery
	}
	if !s.Done && now.Sub(p.last) < every {
		return
	}
	p.last = now
	if p.terminal {
		// One column spare: some terminals wrap when the last column is written.
		fmt.Fprintf(p.w, "\r\033[K%s", p.line(s, p.width-1))
		p.drawn = true
		return
	}
	fmt.Fprintln(p.w, p.line(s, 0))
}

// track notes the first report and the best validation NLL so far.
func (p *progress) track(s train.Progress) {
	if !p.started {
		p.started, p.step0, p.elapsed0 = true, s.Step, s.Elapsed
	}
	if e := s.Last; e != nil && e.Epoch != p.lastEpoch {
		p.lastEpoch = e.Epoch
		if !math.IsNaN(e.ValNLL) && (p.bestEpoch == 0 || e.ValNLL < p.bestNLL) {
			p.bestEpoch, p.bestNLL = e.Epoch, e.ValNLL
		}
	}
	// The run's own record of the best epoch covers the epochs between reports too.
	if s.BestEpoch > 0 {
		p.bestEpoch, p.bestNLL = s.BestEpoch, s.BestValNLL
	}
}

// eta is the time left at this session's speed; ok is false before it can be told.
func (p *progress) eta(s train.Progress) (time.Duration, bool) {
	done, took := s.Step-p.step0, s.Elapsed-p.elapsed0
	if done <= 0 || took <= 0 || s.Steps <= 0 {
		return 0, false
	}
	left := max(0, s.Steps-s.Step)
	return time.Duration(float64(took) * float64(left) / float64(done)), true
}

// line is the status line, at most width runes long (0: no limit). Fields are
// dropped from the least useful until it fits, and a bar takes what room is left
// on a terminal.
func (p *progress) line(s train.Progress, width int) string {
	frac := math.Min(1, float64(s.Step)/math.Max(1, float64(s.Steps)))
	type field struct {
		text string
		rank int // lower: kept longer
	}
	fields := []field{
		{fmt.Sprintf("%3.0f%%", 100*frac), 0},
		{fmt.Sprintf("epoch %d/%d", s.Epoch, s.Epochs), 1},
	}
	if s.Last != nil {
		fields = append(fields, field{"train " + fmtNLL(s.Last.TrainNLL), 5})
		if !math.IsNaN(s.Last.ValNLL) {
			fields = append(fields, field{"val " + fmtNLL(s.Last.ValNLL), 4})
		}
	}
	if p.bestEpoch > 0 {
		fields = append(fields, field{fmt.Sprintf("best val @%d %s", p.bestEpoch, fmtNLL(p.bestNLL)), 3})
	}
	if s.Done {
		fields = append(fields, field{"took " + fmtDuration(s.Elapsed), 2})
	} else if d, ok := p.eta(s); ok {
		fields = append(fields, field{"ETA " + fmtDuration(d), 2})
	} else {
		fields = append(fields, field{"ETA ?", 2})
	}
	join := func() string {
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = f.text
		}
		return strings.Join(parts, "  ")
	}
	text := join()
	for width > 0 && utf8.RuneCountInString(text) > width && len(fields) > 1 {
		worst := 0
		for i, f := range fields {
			if f.rank > fields[worst].rank {
				worst = i
			}
		}
		fields = append(fields[:worst], fields[worst+1:]...)
		text = join()
	}
	if width > 0 && p.terminal {
		// "[" + bar + "] " before the text.
		if room := width - utf8.RuneCountInString(text) - 3; room >= minBarWidth {
			n := min(room, maxBarWidth)
			full := int(frac * float64(n))
			text = "[" + strings.Repeat("=", full) + strings.Repeat(" ", n-full) + "] " + text
		}
	}
	return truncate(text, width)
}

// truncate cuts s to at most width runes (0: no limit).
func truncate(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:max(0, width)])
}

func fmtNLL(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

// fmtDuration writes d as 42s, 3m05s or 2h03m.
func fmtDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, s/60%60)
	}
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
