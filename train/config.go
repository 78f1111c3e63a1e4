package train

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"time"
)

// Solver names an optimiser. The zero value is Adam.
type Solver string

// The solvers offered. Each is Gorgonia's own, given value clipping with WithClip.
// Gorgonia's AdaGrad (ignores every option) and AdamW (never changes the weights) are
// not offered.
const (
	Adam     Solver = "adam"
	RMSProp  Solver = "rmsprop"
	SGD      Solver = "sgd"
	Momentum Solver = "momentum"
)

// Solvers lists the solver names.
func Solvers() []string {
	return []string{string(Adam), string(RMSProp), string(SGD), string(Momentum)}
}

// ParseSolver returns the solver of that name ("" is Adam).
func ParseSolver(s string) (Solver, error) {
	switch v := Solver(strings.ToLower(strings.TrimSpace(s))); v {
	case "":
		return Adam, nil
	case Adam, RMSProp, SGD, Momentum:
		return v, nil
	}
	return "", fmt.Errorf("train: unknown solver %q (want one of %s)", s, strings.Join(Solvers(), ", "))
}

// Defaults for zero Config fields.
const (
	DefaultLearnRate = 1e-3
	DefaultBatchSize = 64
	DefaultEpochs    = 100
	// DefaultClip is the value-clipping threshold: every element of the gradient of the
	// batch-mean cost is clamped to [−10, 10] before the solver uses it.
	DefaultClip          = 10.0
	DefaultBeta1         = 0.9
	DefaultBeta2         = 0.999
	DefaultEpsilon       = 1e-8
	DefaultRho           = 0.9
	DefaultMomentum      = 0.9
	DefaultDecayFactor   = 0.5
	DefaultProgressEvery = time.Second
	// MinWorkerRows is the fewest rows a worker of a data-parallel step takes: a batch
	// of fewer than 2·MinWorkerRows rows is run in one graph.
	MinWorkerRows = 64
)

// Config controls a training run. Every zero value is a documented default.
type Config struct {
	// Solver is the optimiser: adam (default), rmsprop, sgd or momentum.
	Solver Solver `json:"solver"`
	// LearnRate is the initial learning rate η₀; 0 means 1e-3.
	LearnRate float64 `json:"learn_rate"`
	// Beta1 and Beta2 are Adam's moment decay rates; 0 means 0.9 and 0.999. Only Adam
	// takes them.
	Beta1 float64 `json:"beta1,omitempty"`
	Beta2 float64 `json:"beta2,omitempty"`
	// Epsilon is Adam's and RMSProp's smoothing term; 0 means 1e-8.
	Epsilon float64 `json:"epsilon,omitempty"`
	// Rho is RMSProp's decay rate of the squared-gradient average; 0 means 0.9.
	Rho float64 `json:"rho,omitempty"`
	// Momentum is the momentum solver's coefficient; 0 means 0.9.
	Momentum float64 `json:"momentum,omitempty"`
	// L2 adds L2·w to every weight's gradient before clipping (weight decay folded into
	// the gradient, the same for every solver); 0 means none.
	L2 float64 `json:"l2,omitempty"`
	// WeightDecay λ is weight decay scaled to the data: it adds (λ/N)·w to the gradient of
	// every weight matrix (the parameters named "….W", not the biases), N the number of
	// training rows (after the validation hold-out), on top of L2. That is the MAP
	// estimate under a Gaussian prior N(0, 1/λ) on each weight, the batch-mean cost being
	// the negative log-likelihood divided by N, so its pull fades as data grow. Biases are
	// left free so that the output heads can still place the mixture's scale and location
	// (a decayed log σ bias would pull σ towards the targets' standard deviation). 0 means
	// none.
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// BatchSize is the number of rows per step; 0 means 64. An epoch covers every
	// training row: the last batch is shorter when BatchSize does not divide N.
	BatchSize int `json:"batch_size"`
	// Epochs is the number of passes over the training rows; 0 means 100. Ignored when
	// Steps is set.
	Epochs int `json:"epochs"`
	// Steps, if positive, is the number of solver steps to take instead of Epochs.
	Steps int `json:"steps,omitempty"`
	// Schedule is the learning-rate schedule: constant (default), cosine or step.
	Schedule Schedule `json:"schedule"`
	// MinLearnRate is the cosine schedule's final learning rate; 0 means 0.
	MinLearnRate float64 `json:"min_learn_rate,omitempty"`
	// DecayFactor and DecayEvery drive the step schedule: multiply by DecayFactor
	// (0 means 0.5) every DecayEvery epochs (0 means a third of the run).
	DecayFactor float64 `json:"decay_factor,omitempty"`
	DecayEvery  int     `json:"decay_every,omitempty"`
	// Clip is the value-clipping threshold c passed to the solver (gorgonia.WithClip):
	// each element of the gradient of the batch-mean cost is clamped to [−c, c]. 0 means
	// DefaultClip (10); a negative value turns clipping off.
	Clip float64 `json:"clip"`
	// ClipNorm, if positive, additionally rescales the whole gradient to global L2 norm
	// at most ClipNorm before value clipping.
	ClipNorm float64 `json:"clip_norm,omitempty"`
	// RawUnits trains on the data as given. By default inputs and targets are
	// standardised with the training split's column means and standard deviations,
	// which are stored in the model (every NLL reported is still in original units).
	RawUnits bool `json:"raw_units,omitempty"`
	// KeepNormalization keeps the normalisation the model has (models.Trainable's
	// SetNormalization) instead of fitting one to the training rows, as Ensemble does
	// when its members hold out different rows (RotateValidation) but must share one.
	// Not with RawUnits.
	KeepNormalization bool `json:"keep_normalization,omitempty"`
	// KeepInit keeps the weights the model was built with: Run does not call
	// InitFromData (see models.DataInitializer) before the first step.
	KeepInit bool `json:"keep_init,omitempty"`
	// Seed seeds the shuffles and the validation split.
	Seed uint64 `json:"seed"`
	// ValFraction is the fraction of the training rows held out for validation when
	// Data has no validation rows; 0 means none.
	ValFraction float64 `json:"val_fraction,omitempty"`
	// Patience, if positive, stops training when the validation NLL has not improved
	// for that many epochs. Needs validation rows.
	Patience int `json:"patience,omitempty"`
	// KeepLast keeps the final weights; by default, when there are validation rows, the
	// weights of the epoch with the best validation NLL are restored at the end.
	KeepLast bool `json:"keep_last,omitempty"`
	// CheckpointPath, if set, is where checkpoints are written (atomically) every
	// CheckpointEvery epochs (0 means 10), at the end, and when the run is cancelled.
	CheckpointPath  string `json:"-"`
	CheckpointEvery int    `json:"checkpoint_every,omitempty"`
	// SaveCheckpoint, if set, takes the place of CheckpointPath: at the same moments it
	// is given a function that writes the checkpoint's encoding (the same bytes a
	// CheckpointPath file holds), and must store them durably, for example in a folder
	// it swaps in atomically. An error from it stops the run. At most one of
	// CheckpointPath and SaveCheckpoint may be set.
	SaveCheckpoint func(write func(io.Writer) error) error `json:"-"`
	// Resume, if set, is a checkpoint file to continue from.
	Resume string `json:"-"`
	// ResumeData, if set, takes the place of Resume: a checkpoint's encoding (what
	// SaveCheckpoint was given to store) to continue from. At most one of Resume and
	// ResumeData may be set.
	ResumeData []byte `json:"-"`
	// resume, if set, is a checkpoint already read (from the source resumeName names)
	// to continue from, in place of Resume: an ensemble member's (ResumeMembers).
	resume     *checkpoint
	resumeName string
	// Workers is how many goroutines share a training step (data parallelism): the
	// batch is split into that many parts of at least MinWorkerRows rows, each run
	// through its own copy of the graph, and their gradients are summed, weighted by
	// rows, before the one solver step. 0 means one per processor (GOMAXPROCS); 1 runs
	// the step in one graph. Results differ from one graph's only by float rounding and
	// are the same from run to run for a given Workers.
	Workers int `json:"-"`
	// Progress, if set, is called with the run's state at most once per ProgressEvery
	// (0 means one second; negative means after every epoch) and once at the end.
	Progress      func(Progress) `json:"-"`
	ProgressEvery time.Duration  `json:"-"`
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.Solver == "" {
		c.Solver = Adam
	}
	if c.LearnRate == 0 {
		c.LearnRate = DefaultLearnRate
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Epochs == 0 {
		c.Epochs = DefaultEpochs
	}
	if c.Schedule == "" {
		c.Schedule = ConstantLR
	}
	if c.Clip == 0 {
		c.Clip = DefaultClip
	}
	if c.DecayFactor == 0 {
		c.DecayFactor = DefaultDecayFactor
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = 10
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = DefaultProgressEvery
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	switch c.Solver {
	case Adam:
		if c.Beta1 == 0 {
			c.Beta1 = DefaultBeta1
		}
		if c.Beta2 == 0 {
			c.Beta2 = DefaultBeta2
		}
		if c.Epsilon == 0 {
			c.Epsilon = DefaultEpsilon
		}
	case RMSProp:
		if c.Rho == 0 {
			c.Rho = DefaultRho
		}
		if c.Epsilon == 0 {
			c.Epsilon = DefaultEpsilon
		}
	case Momentum:
		if c.Momentum == 0 {
			c.Momentum = DefaultMomentum
		}
	}
	return c
}

// Validate reports the first thing wrong with c, naming the field and value. A setting
// the chosen solver does not take is an error, not silently ignored.
func (c Config) Validate() error {
	if _, err := ParseSolver(string(c.Solver)); err != nil {
		return err
	}
	if _, err := ParseSchedule(string(c.Schedule)); err != nil {
		return err
	}
	s := c.withDefaults().Solver
	if c.Beta1 != 0 && s != Adam || c.Beta2 != 0 && s != Adam {
		return fmt.Errorf("train: solver %s does not take Beta1/Beta2 (Adam only)", s)
	}
	if c.Epsilon != 0 && s != Adam && s != RMSProp {
		return fmt.Errorf("train: solver %s does not take Epsilon (Adam and RMSProp only)", s)
	}
	if c.Rho != 0 && s != RMSProp {
		return fmt.Errorf("train: solver %s does not take Rho (RMSProp only)", s)
	}
	if c.Momentum != 0 && s != Momentum {
		return fmt.Errorf("train: solver %s does not take Momentum (momentum only)", s)
	}
	checks := []struct {
		name string
		v    float64
		ok   bool
		want string
	}{
		{"learning rate", c.LearnRate, c.LearnRate >= 0, "> 0"},
		{"Beta1", c.Beta1, c.Beta1 >= 0 && c.Beta1 < 1, "in [0, 1)"},
		{"Beta2", c.Beta2, c.Beta2 >= 0 && c.Beta2 < 1, "in [0, 1)"},
		{"Epsilon", c.Epsilon, c.Epsilon >= 0, "≥ 0"},
		{"Rho", c.Rho, c.Rho >= 0 && c.Rho < 1, "in [0, 1)"},
		{"Momentum", c.Momentum, c.Momentum >= 0 && c.Momentum < 1, "in [0, 1)"},
		{"L2", c.L2, c.L2 >= 0, "≥ 0"},
		{"weight decay", c.WeightDecay, c.WeightDecay >= 0, "≥ 0"},
		{"minimum learning rate", c.MinLearnRate, c.MinLearnRate >= 0, "≥ 0"},
		{"decay factor", c.DecayFactor, c.DecayFactor >= 0 && c.DecayFactor <= 1, "in (0, 1]"},
		{"clip", c.Clip, !math.IsNaN(c.Clip), "a number"},
		{"clip norm", c.ClipNorm, c.ClipNorm >= 0, "≥ 0"},
		{"validation fraction", c.ValFraction, c.ValFraction >= 0 && c.ValFraction < 1, "in [0, 1)"},
	}
	for _, ch := range checks {
		if !ch.ok || math.IsInf(ch.v, 0) {
			return fmt.Errorf("train: %s %g (want %s)", ch.name, ch.v, ch.want)
		}
	}
	ints := []struct {
		name string
		v    int
	}{{"workers", c.Workers}, {"batch size", c.BatchSize}, {"epochs", c.Epochs}, {"steps", c.Steps}, {"patience", c.Patience}, {"decay interval", c.DecayEvery}, {"checkpoint interval", c.CheckpointEvery}}
	for _, ch := range ints {
		if ch.v < 0 {
			return fmt.Errorf("train: %s %d (want ≥ 0)", ch.name, ch.v)
		}
	}
	if c.CheckpointPath != "" && c.SaveCheckpoint != nil {
		return fmt.Errorf("train: both CheckpointPath and SaveCheckpoint are set (want at most one)")
	}
	if c.Resume != "" && c.ResumeData != nil {
		return fmt.Errorf("train: both Resume and ResumeData are set (want at most one)")
	}
	if c.RawUnits && c.KeepNormalization {
		return fmt.Errorf("train: both RawUnits and KeepNormalization are set (want at most one)")
	}
	return nil
}
