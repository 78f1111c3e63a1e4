package train

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
)

// lin is a one-weight model ŷ = w·x with cost mean((ŷ − y)²): small enough to compute
// every solver's update by hand.
type lin struct {
	ps   *graph.ParamSet
	norm models.Normalization
}

func newLin(t *testing.T, w float64) *lin {
	ps, err := graph.NewParamSet(G.Float64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Add("w", []int{1, 1}, []float64{w}); err != nil {
		t.Fatal(err)
	}
	return &lin{ps: ps, norm: models.IdentityNormalization(1, 1)}
}

func (l *lin) Params() *graph.ParamSet                       { return l.ps }
func (l *lin) InputDim() int                                 { return 1 }
func (l *lin) OutputDim() int                                { return 1 }
func (l *lin) Normalization() models.Normalization           { return l.norm }
func (l *lin) SetNormalization(n models.Normalization) error { l.norm = n; return nil }
func (l *lin) CostInOriginalUnits(c float64) float64         { return c }
func (l *lin) w() float64                                    { return l.ps.Flatten(nil)[0] }

func (l *lin) BuildLoss(g *G.ExprGraph, batch int) (*models.Loss, error) {
	x := graph.NewInput(g, G.Float64, "x", batch, 1)
	y := graph.NewInput(g, G.Float64, "y", batch, 1)
	p, err := G.Mul(x, l.ps.List()[0].Node(g)) // the one parameter, whatever its name
	if err != nil {
		return nil, err
	}
	d, err := G.Sub(p, y)
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(d)
	if err != nil {
		return nil, err
	}
	per, err := G.Sum(sq, 1)
	if err != nil {
		return nil, err
	}
	cost, err := G.Mean(per)
	if err != nil {
		return nil, err
	}
	return &models.Loss{X: x, Y: y, Cost: cost, PerRow: per}, nil
}

// linData has mean 0 and population standard deviation 1 in x and y, so
// standardisation leaves it as it is; y = x.
func linData() Data {
	return Data{X: [][]float64{{-1}, {1}}, Y: [][]float64{{-1}, {1}}}
}

// linGrad is ∂/∂w of mean((w x − y)²) over linData: mean(2x(wx − y)) = 2(w − 1).
func linGrad(w float64) float64 { return 2 * (w - 1) }

func clip(g, c float64) float64 { return math.Max(-c, math.Min(c, g)) }

const updateTol = 1e-13

// TestClipSemantics: with SGD a gradient element above the threshold moves the weight
// by exactly lr·c; with clipping off, by lr·g.
func TestClipSemantics(t *testing.T) {
	for _, c := range []struct {
		clip float64
		want func(w float64) float64
	}{
		{0, func(w float64) float64 { return w - 0.01*clip(linGrad(w), DefaultClip) }}, // default: on at 10
		{3, func(w float64) float64 { return w - 0.01*clip(linGrad(w), 3) }},
		{-1, func(w float64) float64 { return w - 0.01*linGrad(w) }},
	} {
		m := newLin(t, 50) // gradient 96: far above every threshold
		w := 50.0
		if _, err := Run(context.Background(), m, linData(), Config{Solver: SGD, LearnRate: 0.01, BatchSize: 2, Epochs: 3, Clip: c.clip}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			w = c.want(w)
		}
		if got := m.w(); math.Abs(got-w) > updateTol*math.Abs(w) {
			t.Errorf("clip %g: w = %.17g after 3 steps, want %.17g", c.clip, got, w)
		}
	}
}

// TestSolverUpdates checks every solver's weights after several steps against the
// update computed in plain Go, with clipping active on the first steps.
func TestSolverUpdates(t *testing.T) {
	const lr, steps, c = 0.05, 6, 10.0
	adam := func(w float64) float64 {
		m1, m2 := 0.0, 0.0
		for i := 1; i <= steps; i++ {
			g := clip(linGrad(w), c)
			m1 = 0.9*m1 + 0.1*g
			m2 = 0.999*m2 + 0.001*g*g
			mh, vh := m1/(1-math.Pow(0.9, float64(i))), m2/(1-math.Pow(0.999, float64(i)))
			w -= lr * mh / (math.Sqrt(vh) + 1e-8)
		}
		return w
	}
	rms := func(w float64) float64 {
		v := 0.0
		for i := 0; i < steps; i++ {
			g := clip(linGrad(w), c)
			v = 0.9*v + 0.1*g*g
			w -= lr * g / (math.Sqrt(v + 1e-8))
		}
		return w
	}
	mom := func(w float64) float64 {
		vel := 0.0
		for i := 0; i < steps; i++ {
			g := clip(linGrad(w), c)
			vel = 0.9*vel - lr*g
			w += vel
		}
		return w
	}
	sgd := func(w float64) float64 {
		for i := 0; i < steps; i++ {
			w -= lr * clip(linGrad(w), c)
		}
		return w
	}
	for _, s := range []struct {
		solver Solver
		want   func(float64) float64
	}{{Adam, adam}, {RMSProp, rms}, {Momentum, mom}, {SGD, sgd}} {
		m := newLin(t, 20)
		if _, err := Run(context.Background(), m, linData(), Config{Solver: s.solver, LearnRate: lr, BatchSize: 2, Epochs: steps}); err != nil {
			t.Fatal(err)
		}
		want := s.want(20)
		if got := m.w(); math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("%s: w = %.15g after %d steps, want %.15g", s.solver, got, steps, want)
		}
		if m.w() == 20 {
			t.Errorf("%s did not change the weight", s.solver)
		}
	}
}

// TestL2 checks that L2·w is added to the gradient before clipping, for every solver
// alike (Gorgonia's Momentum would otherwise apply it to the velocity).
func TestL2(t *testing.T) {
	m := newLin(t, 3)
	if _, err := Run(context.Background(), m, linData(), Config{Solver: Momentum, LearnRate: 0.01, BatchSize: 2, Epochs: 2, L2: 0.5}); err != nil {
		t.Fatal(err)
	}
	w, vel := 3.0, 0.0
	for i := 0; i < 2; i++ {
		vel = 0.9*vel - 0.01*clip(linGrad(w)+0.5*w, 10)
		w += vel
	}
	if got := m.w(); math.Abs(got-w) > updateTol {
		t.Errorf("momentum with L2: w = %.17g, want %.17g", got, w)
	}
}

// initSpy is lin with a data-dependent initialisation that records its calls.
type initSpy struct {
	*lin
	calls int
	x, y  []float64
	norm  models.Normalization // the model's when InitFromData was called
	err   error
}

var _ models.DataInitializer = (*initSpy)(nil)

func (s *initSpy) InitFromData(x, y []float64) error {
	s.calls++
	s.x, s.y, s.norm = append([]float64(nil), x...), append([]float64(nil), y...), s.lin.norm
	return s.err
}

// TestKeepInit: Run calls InitFromData once, with the training rows in original units,
// after setting the normalisation; not with KeepInit, nor when resuming. An error from
// it is Run's, before any step.
func TestKeepInit(t *testing.T) {
	d := Data{X: [][]float64{{1}, {3}}, Y: [][]float64{{2}, {6}}}
	for _, keep := range []bool{false, true} {
		m := &initSpy{lin: newLin(t, 0.5)}
		path := filepath.Join(t.TempDir(), "run.ckpt")
		cfg := Config{Solver: SGD, BatchSize: 2, Epochs: 1, KeepInit: keep, CheckpointPath: path}
		if _, err := Run(context.Background(), m, d, cfg); err != nil {
			t.Fatal(err)
		}
		if keep {
			if m.calls != 0 {
				t.Errorf("KeepInit: InitFromData called %d times, want none", m.calls)
			}
		} else if m.calls != 1 || !slices.Equal(m.x, []float64{1, 3}) || !slices.Equal(m.y, []float64{2, 6}) || !slices.Equal(m.norm.XMean, []float64{2}) {
			t.Errorf("InitFromData called %d times, last with x %v, y %v and normalisation %+v; want once, with x [1 3], y [2 6] and x mean 2", m.calls, m.x, m.y, m.norm)
		}
		m.calls = 0
		cfg.Epochs, cfg.Resume = 2, path
		if _, err := Run(context.Background(), m, d, cfg); err != nil {
			t.Fatal(err)
		}
		if m.calls != 0 {
			t.Errorf("KeepInit %v: a resumed run called InitFromData %d times, want none", keep, m.calls)
		}
	}
	boom := errors.New("boom")
	m := &initSpy{lin: newLin(t, 0.5), err: boom}
	if res, err := Run(context.Background(), m, d, Config{}); !errors.Is(err, boom) || res != nil || m.w() != 0.5 {
		t.Errorf("InitFromData failing: result %v, error %v, w %g; want nil, its error, 0.5", res, err, m.w())
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Solver: "adagrad"}, `unknown solver "adagrad"`},
		{Config{Solver: SGD, Beta1: 0.5}, "does not take Beta1"},
		{Config{Solver: Adam, Momentum: 0.5}, "does not take Momentum"},
		{Config{Solver: SGD, Rho: 0.5}, "does not take Rho"},
		{Config{Solver: Momentum, Epsilon: 1e-6}, "does not take Epsilon"},
		{Config{LearnRate: -1}, "learning rate -1"},
		{Config{BatchSize: -3}, "batch size -3"},
		{Config{ValFraction: 1}, "validation fraction 1"},
		{Config{Schedule: "warp"}, `unknown schedule "warp"`},
		{Config{Clip: math.NaN()}, "clip NaN"},
		{Config{Patience: 3}, "needs validation rows"},
	}
	for _, c := range cases {
		_, err := Run(context.Background(), newLin(t, 0), linData(), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
}

func TestBadData(t *testing.T) {
	t.Parallel()
	d := Data{X: [][]float64{{1}, {2}, {math.NaN()}}, Y: [][]float64{{1}, {2}, {3}}}
	_, err := Run(context.Background(), newLin(t, 0), d, Config{})
	if err == nil || !strings.Contains(err.Error(), "input row 2, column 0 is NaN") {
		t.Errorf("NaN input: %v", err)
	}
	d = Data{X: [][]float64{{1}, {2}}, Y: [][]float64{{1}, {math.Inf(1)}}}
	_, err = Run(context.Background(), newLin(t, 0), d, Config{})
	if err == nil || !strings.Contains(err.Error(), "target row 1, column 0 is +Inf") {
		t.Errorf("Inf target: %v", err)
	}
	_, err = Run(context.Background(), newLin(t, 0), Data{}, Config{})
	if err == nil || !strings.Contains(err.Error(), "no training rows") {
		t.Errorf("no rows: %v", err)
	}
}

// TestShortBatch: 10 rows in batches of 4 take 3 steps an epoch, and every row counts in
// the epoch's training cost.
func TestShortBatch(t *testing.T) {
	d := Data{}
	for i := 0; i < 10; i++ {
		x := float64(i) - 4.5
		d.X = append(d.X, []float64{x})
		d.Y = append(d.Y, []float64{2 * x})
	}
	m := newLin(t, 2) // a perfect fit for the standardised data: cost 0 but for one row
	d.Y[9][0] = 100   // one row with a large error: if it were dropped the cost would be ~0
	res, err := Run(context.Background(), m, d, Config{Solver: SGD, LearnRate: 1e-12, BatchSize: 4, Epochs: 2, RawUnits: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 6 || res.History[0].Step != 3 {
		t.Fatalf("steps %d (epoch 1 ended at step %d), want 6 (3)", res.Steps, res.History[0].Step)
	}
	want := (100 - 9.0) * (100 - 9.0) / 10 // only row 9 is off: (2·4.5 − 100)² over 10 rows
	if got := res.History[0].TrainNLL; math.Abs(got-want) > 1e-6*want {
		t.Errorf("epoch-1 training cost %g, want %g (every row counted)", got, want)
	}
}

func bishopData(n int, seed uint64) Data {
	rng := graph.NewRand(seed)
	var d Data
	for i := 0; i < n; i++ {
		tt := rng.Float64()
		d.X = append(d.X, []float64{tt + 0.3*math.Sin(2*math.Pi*tt) + 0.2*rng.Float64() - 0.1})
		d.Y = append(d.Y, []float64{tt})
	}
	return d
}

func smallMDN(t *testing.T, dt models.DType) *mdn.Model {
	m, err := mdn.New(mdn.Config{InputDim: 1, OutputDim: 1, K: 3, Hidden: []int{8}, DType: dt, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameBits(t *testing.T, what string, a, b []float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d vs %d values", what, len(a), len(b))
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("%s: value %d differs: %.17g vs %.17g", what, i, a[i], b[i])
		}
	}
}

func TestDeterminism(t *testing.T) {
	for _, dt := range []models.DType{models.Float64, models.Float32} {
		d := bishopData(200, 1)
		cfg := Config{BatchSize: 32, Epochs: 4, Seed: 7, ValFraction: 0.2, Schedule: CosineLR, LearnRate: 0.01}
		a, b := smallMDN(t, dt), smallMDN(t, dt)
		ra, err := Run(context.Background(), a, d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := Run(context.Background(), b, d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		sameBits(t, string(dt)+" weights", a.Params().Flatten(nil), b.Params().Flatten(nil))
		if ra.ValNLL != rb.ValNLL {
			t.Errorf("%s: validation NLL %v vs %v", dt, ra.ValNLL, rb.ValNLL)
		}
	}
}

// TestResumeBitExact interrupts runs at an epoch boundary and mid-epoch, resumes from
// the checkpoint and compares with an uninterrupted run, for each solver that keeps
// state.
func TestResumeBitExact(t *testing.T) {
	d := bishopData(150, 2)
	for _, solver := range []Solver{Adam, RMSProp, Momentum, SGD} {
		for _, dt := range []models.DType{models.Float64, models.Float32} {
			for _, stopAt := range []int{10, 7} { // 5 steps an epoch: a boundary and mid-epoch
				cfg := Config{Solver: solver, BatchSize: 32, Epochs: 4, Seed: 3, ValFraction: 0.1, Schedule: CosineLR, LearnRate: 0.01}
				full := smallMDN(t, dt)
				want, err := Run(context.Background(), full, d, cfg)
				if err != nil {
					t.Fatal(err)
				}

				path := filepath.Join(t.TempDir(), "run.ckpt")
				ctx, cancel := context.WithCancel(context.Background())
				part := smallMDN(t, dt)
				c1 := cfg
				c1.CheckpointPath = path
				c1.ProgressEvery = 1 // every step
				c1.Progress = func(p Progress) {
					if p.Step >= stopAt {
						cancel()
					}
				}
				if _, err := Run(ctx, part, d, c1); !errors.Is(err, context.Canceled) {
					t.Fatalf("interrupted run: %v, want context.Canceled", err)
				}
				resumed := smallMDN(t, dt)
				c2 := cfg
				c2.Resume = path
				got, err := Run(context.Background(), resumed, d, c2)
				if err != nil {
					t.Fatal(err)
				}
				what := string(solver) + "/" + string(dt)
				sameBits(t, what+" resumed weights", full.Params().Flatten(nil), resumed.Params().Flatten(nil))
				if got.Steps != want.Steps || len(got.History) != len(want.History) {
					t.Errorf("%s: resumed run took %d steps over %d epochs, want %d over %d", what, got.Steps, len(got.History), want.Steps, len(want.History))
				}
				for i := range want.History {
					if got.History[i].TrainNLL != want.History[i].TrainNLL || got.History[i].ValNLL != want.History[i].ValNLL {
						t.Errorf("%s stop %d: epoch %d history differs: %+v vs %+v", what, stopAt, i+1, got.History[i], want.History[i])
					}
				}
			}
		}
	}
}

// TestNonFinite: an unclipped SGD step with a huge learning rate makes the weights
// overflow; the run stops with ErrNonFinite naming the step, the weights are those
// before the step, and the earlier checkpoint is left as it was.
func TestNonFinite(t *testing.T) {
	d := linData()
	path := filepath.Join(t.TempDir(), "lin.ckpt")
	m := newLin(t, 3)
	if _, err := Run(context.Background(), m, d, Config{Solver: SGD, LearnRate: 0.01, BatchSize: 2, Epochs: 1, CheckpointPath: path}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m2 := newLin(t, 3)
	cfg := Config{Solver: SGD, LearnRate: 1e200, BatchSize: 2, Epochs: 5, Clip: -1, CheckpointPath: path, CheckpointEvery: 100}
	res, err := Run(context.Background(), m2, d, cfg)
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "step 2") {
		t.Fatalf("err = %v, want ErrNonFinite at step 2", err)
	}
	if w := m2.w(); math.IsNaN(w) || math.IsInf(w, 0) {
		t.Errorf("weight %g after a non-finite step; want the last finite value", w)
	}
	if res == nil || res.Stopped != NonFinite {
		t.Errorf("result %+v, want Stopped = non-finite", res)
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Errorf("the checkpoint was overwritten by a failing run")
	}
}

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ckpt")
	os.WriteFile(bad, []byte("not a checkpoint\n"), 0o644)
	_, err := Run(context.Background(), newLin(t, 0), linData(), Config{Resume: bad})
	if err == nil || !strings.Contains(err.Error(), "not a checkpoint") {
		t.Errorf("resume from junk: %v", err)
	}
	good := filepath.Join(dir, "good.ckpt")
	if _, err := Run(context.Background(), smallMDN(t, models.Float64), bishopData(40, 1), Config{Epochs: 1, CheckpointPath: good}); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), newLin(t, 0), linData(), Config{Resume: good})
	if err == nil || !strings.Contains(err.Error(), "parameters, the model has 1") {
		t.Errorf("resume into the wrong model: %v", err)
	}
	b, _ := os.ReadFile(good)
	os.WriteFile(good, b[:len(b)-20], 0o644)
	_, err = Run(context.Background(), smallMDN(t, models.Float64), bishopData(40, 1), Config{Resume: good})
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("resume from a truncated checkpoint: %v", err)
	}
}

func TestEarlyStoppingRestoresBest(t *testing.T) {
	d := bishopData(200, 5)
	m := smallMDN(t, models.Float64)
	res, err := Run(context.Background(), m, d, Config{BatchSize: 20, Epochs: 200, LearnRate: 0.05, ValFraction: 0.3, Patience: 5, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != EarlyStopping || len(res.History) >= 200 {
		t.Fatalf("stopped %q after %d epochs, want early stopping", res.Stopped, len(res.History))
	}
	best := math.Inf(1)
	for _, e := range res.History {
		best = math.Min(best, e.ValNLL)
	}
	if res.History[res.BestEpoch-1].ValNLL != best || math.Abs(res.ValNLL-best) > 1e-12 {
		t.Errorf("final validation NLL %g (best epoch %d), want the best %g", res.ValNLL, res.BestEpoch, best)
	}
}

func TestHistoryExport(t *testing.T) {
	t.Parallel()
	h := History{{Epoch: 1, Step: 3, TrainNLL: 0.5, ValNLL: math.NaN(), GradNorm: 2, LearnRate: 0.1, Elapsed: 1.5}}
	var sb strings.Builder
	if err := h.WriteCSV(&sb); err != nil {
		t.Fatal(err)
	}
	want := "epoch,step,train_nll,val_nll,grad_norm,clipped_fraction,learn_rate,elapsed_seconds\n1,3,0.5,,2,0,0.1,1.5\n"
	if sb.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", sb.String(), want)
	}
	b, err := h.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back History
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"val_nll":null`) || back[0].TrainNLL != 0.5 || !math.IsNaN(back[0].ValNLL) {
		t.Errorf("JSON round trip: %s → %+v", b, back)
	}
}

// TestClipNorm: global-norm clipping rescales the gradient to the given norm before the
// solver's value clipping.
func TestClipNorm(t *testing.T) {
	m := newLin(t, 50) // gradient 98
	if _, err := Run(context.Background(), m, linData(), Config{Solver: SGD, LearnRate: 0.01, BatchSize: 2, Epochs: 1, ClipNorm: 5}); err != nil {
		t.Fatal(err)
	}
	if got, want := m.w(), 50-0.01*5; math.Abs(got-want) > updateTol*want {
		t.Errorf("w = %.17g after one step with ClipNorm 5, want %.17g", got, want)
	}
}

// TestSolverOptions: non-default Beta1, Beta2 and Epsilon (Adam), Rho (RMSProp) and
// Momentum reach the solver.
func TestSolverOptions(t *testing.T) {
	const lr, steps = 0.05, 4
	adam := func(w float64) float64 {
		m1, m2 := 0.0, 0.0
		for i := 1; i <= steps; i++ {
			g := clip(linGrad(w), 10)
			m1 = 0.5*m1 + 0.5*g
			m2 = 0.8*m2 + 0.2*g*g
			mh, vh := m1/(1-math.Pow(0.5, float64(i))), m2/(1-math.Pow(0.8, float64(i)))
			w -= lr * mh / (math.Sqrt(vh) + 0.1)
		}
		return w
	}
	rms := func(w float64) float64 {
		v := 0.0
		for i := 0; i < steps; i++ {
			g := clip(linGrad(w), 10)
			v = 0.5*v + 0.5*g*g
			w -= lr * g / math.Sqrt(v+1e-3)
		}
		return w
	}
	mom := func(w float64) float64 {
		vel := 0.0
		for i := 0; i < steps; i++ {
			vel = 0.5*vel - lr*clip(linGrad(w), 10)
			w += vel
		}
		return w
	}
	for _, c := range []struct {
		cfg  Config
		want func(float64) float64
	}{
		{Config{Solver: Adam, Beta1: 0.5, Beta2: 0.8, Epsilon: 0.1}, adam},
		{Config{Solver: RMSProp, Rho: 0.5, Epsilon: 1e-3}, rms},
		{Config{Solver: Momentum, Momentum: 0.5}, mom},
	} {
		m := newLin(t, 4)
		cfg := c.cfg
		cfg.LearnRate, cfg.BatchSize, cfg.Epochs = lr, 2, steps
		if _, err := Run(context.Background(), m, linData(), cfg); err != nil {
			t.Fatal(err)
		}
		if got, want := m.w(), c.want(4); math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("%s with options: w = %.15g, want %.15g", c.cfg.Solver, got, want)
		}
	}
}

func TestSchedules(t *testing.T) {
	run := func(cfg Config) History {
		cfg.BatchSize, cfg.Solver, cfg.LearnRate = 2, SGD, 0.1
		res, err := Run(context.Background(), newLin(t, 1), linData(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return res.History
	}
	h := run(Config{Epochs: 10, Schedule: CosineLR, MinLearnRate: 0.01})
	// The last step is step 9 of 10: η = 0.01 + 0.09·(1 + cos(0.9π))/2.
	if want := 0.01 + 0.09*(1+math.Cos(0.9*math.Pi))/2; math.Abs(h[9].LearnRate-want) > 1e-15 {
		t.Errorf("cosine: last learning rate %.17g, want %.17g", h[9].LearnRate, want)
	}
	h = run(Config{Epochs: 6, Schedule: StepLR, DecayFactor: 0.1, DecayEvery: 2})
	for i, want := range []float64{0.1, 0.1, 0.01, 0.01, 0.001, 0.001} {
		if math.Abs(h[i].LearnRate-want) > 1e-15 {
			t.Errorf("step: epoch %d learning rate %g, want %g", i+1, h[i].LearnRate, want)
		}
	}
	h = run(Config{Epochs: 3})
	if h[2].LearnRate != 0.1 {
		t.Errorf("constant: %g", h[2].LearnRate)
	}
}
