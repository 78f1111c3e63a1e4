package train

import (
	"fmt"
	"math"
	"strings"
)

// Schedule names a learning-rate schedule. The zero value is Constant.
type Schedule string

// The learning-rate schedules, with η₀ = LearnRate, t the step (from 0) and T the total
// number of steps.
const (
	ConstantLR Schedule = "constant" // η = η₀
	CosineLR   Schedule = "cosine"   // η = η_min + (η₀ − η_min)(1 + cos(πt/T))/2
	StepLR     Schedule = "step"     // η = η₀ · DecayFactor^⌊epoch/DecayEvery⌋
)

// ParseSchedule returns the schedule of that name ("" is Constant).
func ParseSchedule(s string) (Schedule, error) {
	switch v := Schedule(strings.ToLower(strings.TrimSpace(s))); v {
	case "":
		return ConstantLR, nil
	case ConstantLR, CosineLR, StepLR:
		return v, nil
	}
	return "", fmt.Errorf("train: unknown schedule %q (want constant, cosine or step)", s)
}

// learnRate is the schedule's rate η at step (from 0, of t.totalSteps) in epoch (from 0,
// of t.epochs).
func (t *trainer) learnRate(step, epoch int) float64 {
	c := t.cfg
	switch c.Schedule {
	case CosineLR:
		frac := math.Min(1, float64(step)/float64(max(1, t.totalSteps)))
		return c.MinLearnRate + (c.LearnRate-c.MinLearnRate)*0.5*(1+math.Cos(math.Pi*frac))
	case StepLR:
		every := c.DecayEvery
		if every == 0 {
			every = max(1, t.epochs/3)
		}
		return c.LearnRate * math.Pow(c.DecayFactor, float64(epoch/every))
	}
	return c.LearnRate
}
