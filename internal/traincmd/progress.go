package traincmd

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/mixgraph/mixgraph/train"
)

// progress shows a run's progress: a bar redrawn in place on a terminal, plain lines
// at most every few seconds otherwise, nothing when quiet.
type progress struct {
	w        io.Writer
	quiet    bool
	terminal bool
	last     time.Time
	drawn    bool
}

func newProgress(w io.Writer, quiet, terminal bool) *progress {
	return &progress{w: w, quiet: quiet, terminal: terminal}
}

const (
	barWidth   = 30
	lineEvery  = 3 * time.Second
	frameEvery = 150 * time.Millisecond
)

func (p *progress) update(s train.Progress) {
	if p.quiet {
		return
	}
	now := time.Now()
	every := lineEvery
	if p.terminal {
		every = frameEvery
	}
	if !s.Done && now.Sub(p.last) < every {
		return
	}
	p.last = now
	frac := float64(s.Step) / math.Max(1, float64(s.Steps))
	nll := ""
	if s.Last != nil {
		nll = fmt.Sprintf("  train %.4f", s.Last.TrainNLL)
		if !math.IsNaN(s.Last.ValNLL) {
			nll += fmt.Sprintf("  val %.4f", s.Last.ValNLL)
		}
	}
	status := fmt.Sprintf("epoch %d/%d%s  %.1fs", s.Epoch, s.Epochs, nll, s.Elapsed.Seconds())
	if p.terminal {
		n := int(frac * barWidth)
		fmt.Fprintf(p.w, "\r\033[K[%s%s] %3.0f%% %s", strings.Repeat("=", n), strings.Repeat(" ", barWidth-n), 100*frac, status)
		p.drawn = true
		return
	}
	fmt.Fprintf(p.w, "%3.0f%% %s\n", 100*frac, status)
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
