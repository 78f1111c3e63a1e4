package train

import (
	"math"
	"strings"
	"testing"
)

// TestStepperSchedules: a Stepper's cosine and step schedules run over Config.Steps
// steps. Each SGD step on the linear model moves w by exactly −η_t·2(w − 1), so the
// learning rate of every step can be read off the weights.
func TestStepperSchedules(t *testing.T) {
	const lr, steps = 0.1, 6
	cases := []struct {
		cfg  Config
		want func(step int) float64
	}{
		{Config{Schedule: CosineLR, Steps: steps, MinLearnRate: 0.01}, func(s int) float64 {
			return 0.01 + (lr-0.01)*0.5*(1+math.Cos(math.Pi*math.Min(1, float64(s)/steps)))
		}},
		{Config{Schedule: StepLR, Steps: steps, DecayEvery: 2}, func(s int) float64 { return lr * math.Pow(0.5, float64(s/2)) }},
		{Config{Schedule: StepLR, Steps: steps}, func(s int) float64 { return lr * math.Pow(0.5, float64(s/2)) }}, // a third of 6
		{Config{}, func(int) float64 { return lr }},
	}
	for _, c := range cases {
		m := newLin(t, 3)
		cfg := c.cfg
		cfg.Solver, cfg.LearnRate, cfg.Clip, cfg.Workers = SGD, lr, -1, 1
		st, err := NewStepper(m, 2, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for s := 0; s < steps+2; s++ {
			w := m.w()
			if _, err := st.Step([]float64{-1, 1}, []float64{-1, 1}); err != nil {
				t.Fatal(err)
			}
			got := (w - m.w()) / linGrad(w)
			if want := c.want(s); math.Abs(got-want) > 1e-12*want {
				t.Errorf("%s: step %d took learning rate %g, want %g", c.cfg.Schedule, s, got, want)
			}
		}
	}
	if _, err := NewStepper(newLin(t, 3), 2, Config{Schedule: CosineLR}); err == nil || !strings.Contains(err.Error(), "needs Config.Steps") {
		t.Errorf("a cosine stepper without Steps: %v", err)
	}
}
