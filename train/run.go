package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"time"
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/cores"
	"github.com/mixgraph/mixgraph/internal/framed"
	"github.com/mixgraph/mixgraph/models"
)

// Data is what a run trains on: training rows and, optionally, validation rows, in
// original units. Every value must be finite.
type Data struct {
	X, Y       [][]float64
	ValX, ValY [][]float64
}

// Result is what a run returns, also alongside an error once training has started.
type Result struct {
	History History
	Epochs  int // epochs completed
	Steps   int // solver steps taken
	// TrainNLL and ValNLL are measured on the final weights (after any restore-best),
	// per point in original units; ValNLL is NaN without validation rows.
	TrainNLL, ValNLL float64
	// BestEpoch is the epoch whose weights were kept (0: the final ones).
	BestEpoch int
	// Stopped says why the run ended: "completed", "early stopping" or "cancelled".
	Stopped string
}

// ErrNonFinite is wrapped by the error Run returns when a cost, gradient or parameter
// stops being finite.
var ErrNonFinite = errors.New("non-finite value")

// epochAcc accumulates one epoch's statistics.
type epochAcc struct {
	CostSum   float64 `json:"cost_sum"` // Σ batch cost × batch rows
	Rows      int     `json:"rows"`
	NormSum   float64 `json:"norm_sum"`
	Steps     int     `json:"steps"`
	Clipped   int     `json:"clipped"`
	Elements  int     `json:"elements"`
	LearnRate float64 `json:"learn_rate"`
}

// stepper computes the gradient for one batch size, in one graph or split row-wise
// over several (data parallelism): parts[i] takes the next parts[i].rows rows.
type stepper struct {
	parts []*part
	rows  int
	srcs  [][]*tensor.Dense // srcs[j][i]: part j's gradient of parameter i, this step
}

// part is a gradient graph for some of a batch's rows.
type part struct {
	loss *models.Loss
	r    *graph.Runner
	x, y []float64 // batch buffers
	rows int
	cost float64
	err  error
}

// evaluator computes the mean per-row cost of a data set without gradients.
type evaluator struct {
	loss *models.Loss
	r    *graph.Runner
	size int
}

// Run trains m on d as cfg says (see the package documentation). It returns the run's
// Result and, if it stopped early, an error: a bad configuration or data (before any
// step), a non-finite value (wrapping ErrNonFinite; the parameters are those of the last
// finite step), or the context's error when cancelled (after writing a checkpoint when
// CheckpointPath is set).
func Run(ctx context.Context, m models.Trainable, d Data, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	t, err := newTrainer(m, d, cfg)
	if err != nil {
		return nil, err
	}
	return t.run(ctx)
}

type trainer struct {
	m      models.Trainable
	cfg    Config
	params []*graph.Param
	ps     *graph.ParamSet

	xs, ys   []float64 // standardised training rows
	vxs, vys []float64 // standardised validation rows
	n, nVal  int
	xDim     int
	yDim     int
	solver   *solvers
	weights  *tensor.Dense // all parameters' values in order (ParamSet.Span)
	grad     *tensor.Dense // the step's gradient, in the same order
	saved    *tensor.Dense // the weights before the solver's step, to undo it

	chunks       []chunk // the gradient's chunks (prepareGrads)
	chunkSq      []float64
	chunkClipped []int
	steppers     map[int]*stepper
	evals        map[int]*evaluator

	batchesPerEpoch, epochs, totalSteps int

	cp      checkpoint // the live state, in checkpoint form
	started time.Time
	prior   float64 // seconds elapsed before a resume
	lastCB  time.Time
}

func newTrainer(m models.Trainable, d Data, cfg Config) (*trainer, error) {
	xDim, yDim := m.InputDim(), m.OutputDim()
	if len(d.X) != len(d.Y) {
		return nil, fmt.Errorf("train: %d input rows but %d target rows", len(d.X), len(d.Y))
	}
	if len(d.ValX) != len(d.ValY) {
		return nil, fmt.Errorf("train: %d validation input rows but %d validation target rows", len(d.ValX), len(d.ValY))
	}
	x, err := models.CheckRows("train: input", d.X, xDim)
	if err != nil {
		return nil, err
	}
	y, err := models.CheckRows("train: target", d.Y, yDim)
	if err != nil {
		return nil, err
	}
	vx, err := models.CheckRows("train: validation input", d.ValX, xDim)
	if err != nil {
		return nil, err
	}
	vy, err := models.CheckRows("train: validation target", d.ValY, yDim)
	if err != nil {
		return nil, err
	}
	if len(vx) == 0 && cfg.ValFraction > 0 {
		x, y, vx, vy, err = holdOut(x, y, xDim, yDim, cfg.ValFraction, cfg.Seed)
		if err != nil {
			return nil, err
		}
	}
	n := len(x) / xDim
	if n == 0 {
		return nil, fmt.Errorf("train: no training rows")
	}
	if cfg.Patience > 0 && len(vx) == 0 {
		return nil, fmt.Errorf("train: early stopping (patience %d) needs validation rows or a validation fraction", cfg.Patience)
	}
	t := &trainer{
		m: m, cfg: cfg, ps: m.Params(), params: m.Params().List(),
		n: n, nVal: len(vx) / xDim, xDim: xDim, yDim: yDim,
		steppers: map[int]*stepper{}, evals: map[int]*evaluator{},
	}
	t.batchesPerEpoch = (n + cfg.BatchSize - 1) / cfg.BatchSize
	if cfg.BatchSize > n {
		t.batchesPerEpoch = 1
	}
	t.epochs = cfg.Epochs
	t.totalSteps = cfg.Epochs * t.batchesPerEpoch
	if cfg.Steps > 0 {
		t.totalSteps = cfg.Steps
		t.epochs = (cfg.Steps + t.batchesPerEpoch - 1) / t.batchesPerEpoch
	}
	t.initSolver()
	t.cp = checkpoint{Config: cfg, ParamCount: t.ps.Count()}

	if cfg.Resume != "" {
		if err := t.resume(cfg.Resume); err != nil {
			return nil, err
		}
	} else {
		norm := models.Fit(x, xDim, y, yDim)
		if cfg.RawUnits {
			norm = models.Identity(xDim, yDim)
		}
		if err := m.SetNormalization(norm); err != nil {
			return nil, err
		}
		if init, ok := m.(interface{ InitFromData(x, y []float64) error }); ok {
			if err := init.InitFromData(x, y); err != nil {
				return nil, err
			}
		}
	}
	norm := m.Normalization()
	t.cp.Normalization = norm
	t.xs, t.ys = make([]float64, len(x)), make([]float64, len(y))
	norm.X(t.xs, x)
	norm.Y(t.ys, y)
	t.vxs, t.vys = make([]float64, len(vx)), make([]float64, len(vy))
	norm.X(t.vxs, vx)
	norm.Y(t.vys, vy)
	return t, nil
}

// holdOut moves a seeded random fraction of the rows to a validation set.
func holdOut(x, y []float64, xDim, yDim int, frac float64, seed uint64) (tx, ty, vx, vy []float64, err error) {
	n := len(x) / xDim
	nVal := int(math.Round(frac * float64(n)))
	if nVal < 1 || nVal >= n {
		return nil, nil, nil, nil, fmt.Errorf("train: a validation fraction of %g of %d rows leaves %d validation and %d training rows (both must be at least 1)", frac, n, nVal, n-nVal)
	}
	perm := graph.NewRand(seed ^ 0x76616c).Perm(n)
	for i, r := range perm {
		if i < nVal {
			vx = append(vx, x[r*xDim:(r+1)*xDim]...)
			vy = append(vy, y[r*yDim:(r+1)*yDim]...)
		} else {
			tx = append(tx, x[r*xDim:(r+1)*xDim]...)
			ty = append(ty, y[r*yDim:(r+1)*yDim]...)
		}
	}
	return tx, ty, vx, vy, nil
}

// initSolver makes the step's gradient vector, the solvers that read it and the copy of
// the weights a step can fall back to.
func (t *trainer) initSolver() {
	n := max(1, t.ps.Count())
	t.weights = t.ps.Span(0, len(t.params))
	t.grad = tensor.New(tensor.Of(t.ps.Dtype()), tensor.WithShape(n))
	t.saved = tensor.New(tensor.Of(t.ps.Dtype()), tensor.WithShape(n))
	t.solver = newSolvers(t.cfg, t.ps, t.grad)
}

// copyVector copies src into dst, two vectors of one dtype and size.
func copyVector(dst, src *tensor.Dense) {
	if dst.Dtype() == tensor.Float64 {
		copy(dst.Float64s(), src.Float64s())
	} else {
		copy(dst.Float32s(), src.Float32s())
	}
}

func (t *trainer) resume(path string) error {
	c, err := readCheckpoint(path)
	if err != nil {
		return err
	}
	if c.ParamCount != t.ps.Count() || len(c.Params) != t.ps.Count() {
		return fmt.Errorf("train: checkpoint %s holds %d parameters, the model has %d", path, len(c.Params), t.ps.Count())
	}
	if c.Config.Solver != t.cfg.Solver {
		return fmt.Errorf("train: checkpoint %s was made with solver %s, this run uses %s", path, c.Config.Solver, t.cfg.Solver)
	}
	if err := t.m.SetNormalization(c.Normalization); err != nil {
		return err
	}
	if err := t.ps.SetFlat(c.Params); err != nil {
		return err
	}
	if err := t.solver.restore(c.Solver); err != nil {
		return err
	}
	c.Config = t.cfg
	c.ParamCount = t.ps.Count()
	t.cp = *c
	t.prior = c.Elapsed
	return nil
}

func (t *trainer) stepper(size int) (*stepper, error) {
	if s, ok := t.steppers[size]; ok {
		return s, nil
	}
	workers := max(1, min(t.cfg.Workers, size/MinWorkerRows))
	s := &stepper{rows: size}
	for i := range workers {
		rows := size / workers
		if i < size%workers {
			rows++
		}
		g := G.NewGraph()
		loss, err := t.m.BuildLoss(g, rows)
		if err != nil {
			return nil, err
		}
		r, err := graph.NewRunner(g, G.Nodes{loss.Cost}, graph.WithGradients(loss.Cost, t.ps.Nodes(g)))
		if err != nil {
			return nil, err
		}
		s.parts = append(s.parts, &part{loss: loss, r: r, rows: rows, x: make([]float64, rows*t.xDim), y: make([]float64, rows*t.yDim)})
	}
	t.steppers[size] = s
	return s, nil
}

// run feeds the rows idx to the parts and runs them, concurrently when there are
// several. It returns the batch's mean cost; the parts' gradients are left in their
// runners for gather.
func (s *stepper) run(t *trainer, idx []int) (float64, error) {
	off := 0
	for _, p := range s.parts {
		for i, r := range idx[off : off+p.rows] {
			copy(p.x[i*t.xDim:(i+1)*t.xDim], t.xs[r*t.xDim:(r+1)*t.xDim])
			copy(p.y[i*t.yDim:(i+1)*t.yDim], t.ys[r*t.yDim:(r+1)*t.yDim])
		}
		off += p.rows
	}
	if len(s.parts) == 1 {
		s.parts[0].run()
	} else {
		// Each part's products and elementwise passes stay on its goroutine: the
		// parts already use the processors.
		release := cores.Share(len(s.parts))
		var wg sync.WaitGroup
		for _, p := range s.parts[1:] {
			wg.Go(p.run)
		}
		s.parts[0].run()
		wg.Wait()
		release()
	}
	for _, p := range s.parts {
		if p.err != nil {
			return 0, p.err
		}
	}
	if len(s.parts) == 1 {
		return s.parts[0].cost, nil
	}
	cost := 0.0
	for _, p := range s.parts {
		cost += p.cost * float64(p.rows)
	}
	return cost / float64(s.rows), nil
}

func (p *part) run() {
	p.cost, p.err = 0, nil
	if p.err = p.r.Feed(p.loss.X, p.x); p.err != nil {
		return
	}
	if p.err = p.r.Feed(p.loss.Y, p.y); p.err != nil {
		return
	}
	if p.err = p.r.Run(); p.err != nil {
		return
	}
	p.cost, p.err = p.r.Scalar(p.loss.Cost)
}

// scaleInto sets dst = w·src, or adds w·src into dst when add is set; dst and src may
// be the same slice.
func scaleInto[T float32 | float64](dst, src []T, w T, add bool) {
	if add {
		for k, v := range src {
			dst[k] += w * v
		}
		return
	}
	for k, v := range src {
		dst[k] = w * v
	}
}

// zeroGrads clears every part's gradients.
func (s *stepper) zeroGrads() {
	for _, p := range s.parts {
		p.r.ZeroGrads()
	}
}

// learnRate is the schedule's rate for a step in an epoch.
func (t *trainer) learnRate(step, epoch int) float64 {
	c := t.cfg
	switch c.Schedule {
	case Cosine:
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

func (t *trainer) elapsed() float64 { return t.prior + time.Since(t.started).Seconds() }

func (t *trainer) run(ctx context.Context) (*Result, error) {
	t.started = time.Now()
	res := &Result{Stopped: "completed"}
	cp := &t.cp
	perm := []int(nil)
	permEpoch := -1
	var runErr error

loop:
	for cp.Epoch < t.epochs && cp.Step < t.totalSteps {
		if permEpoch != cp.Epoch {
			perm = graph.NewRand(t.cfg.Seed + uint64(cp.Epoch)*0x9e3779b97f4a7c15).Perm(t.n)
			permEpoch = cp.Epoch
		}
		for cp.Batch < t.batchesPerEpoch && cp.Step < t.totalSteps {
			if err := ctx.Err(); err != nil {
				res.Stopped = "cancelled"
				runErr = err
				break loop
			}
			lo := cp.Batch * t.cfg.BatchSize
			hi := min(lo+t.cfg.BatchSize, t.n)
			if err := t.step(perm[lo:hi]); err != nil {
				runErr = err
				break loop
			}
			cp.Batch++
			cp.Step++
		}
		// Epoch complete (or the step budget ended it).
		if err := t.endEpoch(res); err != nil {
			runErr = err
			break
		}
		if res.Stopped == "early stopping" {
			break
		}
		if t.checkpointing() && cp.Epoch%t.cfg.CheckpointEvery == 0 {
			if err := t.checkpoint(); err != nil {
				runErr = err
				break
			}
		}
	}

	if errors.Is(runErr, ErrNonFinite) {
		res.Stopped = "non-finite"
		t.finish(res)
		return res, runErr
	}
	if runErr != nil && res.Stopped != "cancelled" {
		t.finish(res)
		return res, runErr
	}
	if t.checkpointing() {
		if err := t.checkpoint(); err != nil && runErr == nil {
			runErr = err
		}
	}
	// The checkpoint above holds the last weights (what a resume continues from); the
	// model is left with the best validation epoch's, also when the run was cancelled.
	if !t.cfg.KeepLast && cp.BestEpoch > 0 {
		if err := t.ps.SetFlat(cp.BestParams); err != nil {
			return res, err
		}
		res.BestEpoch = cp.BestEpoch
	}
	if err := t.finish(res); err != nil && runErr == nil {
		runErr = err
	}
	if res.Stopped == "cancelled" {
		return res, fmt.Errorf("train: cancelled at step %d: %w", cp.Step, runErr)
	}
	return res, runErr
}

// finish fills the result's final figures and makes the last progress call.
func (t *trainer) finish(res *Result) error {
	cp := &t.cp
	res.History = cp.History
	res.Epochs = len(cp.History)
	res.Steps = cp.Step
	var err error
	res.TrainNLL, err = t.evaluate(t.xs, t.ys, t.n)
	res.ValNLL = math.NaN()
	if err == nil && t.nVal > 0 {
		res.ValNLL, err = t.evaluate(t.vxs, t.vys, t.nVal)
	}
	t.progress(true)
	return err
}

// step takes one solver step on the rows idx.
func (t *trainer) step(idx []int) error {
	cp := &t.cp
	s, err := t.stepper(len(idx))
	if err != nil {
		return err
	}
	where := stepName{cp.Step + 1, cp.Epoch + 1, cp.Batch + 1} // formatted only for an error
	cost, err := s.run(t, idx)
	if err != nil {
		s.zeroGrads()
		return fmt.Errorf("train: %s: %w", where, err)
	}
	if math.IsNaN(cost) || math.IsInf(cost, 0) {
		s.zeroGrads()
		return fmt.Errorf("train: %s: the cost is %g: %w; parameters kept from the last finite step", where, cost, ErrNonFinite)
	}
	norm, clipped, elems, err := t.prepareGrads(s)
	if err != nil {
		s.zeroGrads()
		return fmt.Errorf("train: %s: %w", where, err)
	}
	copyVector(t.saved, t.weights)
	lr := t.learnRate(cp.Step, cp.Epoch)
	t.solver.setLearnRate(lr)
	if err := t.solver.step(); err != nil {
		copyVector(t.weights, t.saved)
		return fmt.Errorf("train: %s: solver: %w", where, err)
	}
	if j, v, bad := firstNonFinite(t.weights); bad {
		copyVector(t.weights, t.saved)
		i := t.paramAt(j)
		return fmt.Errorf("train: %s: parameter %q element %d became %g: %w; parameters restored to before the step", where, t.params[i].Name, j-t.ps.Offset(i), v, ErrNonFinite)
	}
	a := &cp.Acc
	a.CostSum += cost * float64(len(idx))
	a.Rows += len(idx)
	a.NormSum += norm
	a.Steps++
	a.Clipped += clipped
	a.Elements += elems
	a.LearnRate = lr
	t.progress(false)
	return nil
}

// stepName formats as "step S (epoch E, batch B)".
type stepName struct{ step, epoch, batch int }

func (n stepName) String() string {
	return fmt.Sprintf("step %d (epoch %d, batch %d)", n.step, n.epoch, n.batch)
}

// prepareGrads sets t.grad to the batch's gradient, Σ (rows_i / rows)·g_i over the
// parts' gradients g_i summed in part order (one part: a copy), plus L2·w; measures it
// (global norm before clipping, elements over the clip threshold) and checks it is
// finite; applies global-norm clipping, and for RMSProp clamps it so that the solver's
// squared-gradient average sees clipped values. The parts' gradients are cleared.
func (t *trainer) prepareGrads(s *stepper) (norm float64, clipped, elems int, err error) {
	c := t.cfg
	defer s.zeroGrads()
	if s.srcs == nil {
		s.srcs = make([][]*tensor.Dense, len(s.parts))
		for j := range s.srcs {
			s.srcs[j] = make([]*tensor.Dense, len(t.params))
		}
	}
	for j, p := range s.parts {
		for i := range t.params {
			g, err := p.r.Grad(i)
			if err != nil {
				return 0, 0, 0, err
			}
			d, ok := g.(*tensor.Dense)
			if !ok || d.Shape().TotalSize() != t.params[i].Size() {
				return 0, 0, 0, fmt.Errorf("gradient of %q is a %T of shape %v", t.params[i].Name, g, g.Shape())
			}
			s.srcs[j][i] = d
		}
	}
	var sq float64
	var bad int
	if t.grad.Dtype() == tensor.Float64 {
		sq, clipped, bad = reduceGrads(t, s, t.grad.Float64s(), t.weights.Float64s())
	} else {
		sq, clipped, bad = reduceGrads(t, s, t.grad.Float32s(), t.weights.Float32s())
	}
	if bad >= 0 {
		i := t.paramAt(bad)
		v := graph.AppendFloat64s(nil, t.grad)[bad]
		return 0, 0, 0, fmt.Errorf("gradient of %q element %d is %g: %w", t.params[i].Name, bad-t.ps.Offset(i), v, ErrNonFinite)
	}
	norm = math.Sqrt(sq)
	scale := 1.0
	if c.ClipNorm > 0 && norm > c.ClipNorm {
		scale = c.ClipNorm / norm
	}
	if scale != 1 || (c.Solver == RMSProp && c.Clip > 0) {
		if t.grad.Dtype() == tensor.Float64 {
			gd := t.grad.Float64s()
			for j := range gd {
				gd[j] = clamp(gd[j]*scale, c)
			}
		} else {
			gd := t.grad.Float32s()
			for j := range gd {
				gd[j] = float32(clamp(float64(gd[j])*scale, c))
			}
		}
	}
	return norm, clipped, t.ps.Count(), nil
}

// gradChunk is the most gradient elements in one partial sum of squares. The partial
// sums are added in chunk order, so the norm's bits do not depend on how many goroutines
// computed them.
const gradChunk = 1 << 14

// parallelGrads is the parameter count from which prepareGrads splits its chunks
// between goroutines.
const parallelGrads = 1 << 16

// chunk is elements lo to hi−1 of the parameters' array, all in parameter param.
type chunk struct{ param, lo, hi int }

// reduceGrads fills g (the step's gradient) chunk by chunk from the parts' gradients and
// returns Σg², the count of elements over the clip threshold and the first non-finite
// element (−1 when all are finite).
func reduceGrads[T float32 | float64](t *trainer, s *stepper, g, w []T) (sq float64, clipped, bad int) {
	if t.chunks == nil {
		for i := range t.params {
			for lo := t.ps.Offset(i); lo < t.ps.Offset(i+1); lo += gradChunk {
				t.chunks = append(t.chunks, chunk{i, lo, min(lo+gradChunk, t.ps.Offset(i+1))})
			}
		}
		t.chunkSq = make([]float64, len(t.chunks))
		t.chunkClipped = make([]int, len(t.chunks))
	}
	l2 := T(t.cfg.L2)
	clip := math.Inf(1)
	if t.cfg.Clip > 0 {
		clip = t.cfg.Clip
	}
	do := func(k int) {
		ch := t.chunks[k]
		dst := g[ch.lo:ch.hi]
		off := t.ps.Offset(ch.param)
		for j, p := range s.parts {
			src := dataOf[T](s.srcs[j][ch.param])[ch.lo-off : ch.hi-off]
			scaleInto(dst, src, T(float64(p.rows)/float64(s.rows)), j > 0)
		}
		if l2 != 0 {
			for k, x := range w[ch.lo:ch.hi] {
				dst[k] += l2 * x
			}
		}
		t.chunkSq[k], t.chunkClipped[k] = sumSquares(dst, clip)
	}
	if workers := cores.Free(); workers > 1 && len(g) >= parallelGrads {
		var wg sync.WaitGroup
		for w := 1; w < workers; w++ {
			wg.Go(func() {
				for k := w; k < len(t.chunks); k += workers {
					do(k)
				}
			})
		}
		for k := 0; k < len(t.chunks); k += workers {
			do(k)
		}
		wg.Wait()
	} else {
		for k := range t.chunks {
			do(k)
		}
	}
	for k := range t.chunks {
		sq += t.chunkSq[k]
		clipped += t.chunkClipped[k]
	}
	if math.IsNaN(sq) || math.IsInf(sq, 0) {
		// Some element is not finite, or the squares overflowed.
		if j, _, found := firstNonFiniteIn(g); found {
			return 0, 0, j
		}
	}
	return sq, clipped, -1
}

// dataOf is d's values as a []T (T its dtype).
func dataOf[T float32 | float64](d *tensor.Dense) []T {
	var zero T
	if unsafe.Sizeof(zero) == 8 {
		f := d.Float64s()
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(f))), len(f))
	}
	f := d.Float32s()
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(f))), len(f))
}

// sumSquares returns Σx² (in float64, summed in four interleaved chains) and the count
// of elements with |x| > clip.
func sumSquares[T float32 | float64](g []T, clip float64) (sq float64, clipped int) {
	var s0, s1, s2, s3 float64
	n := len(g) &^ 3
	for j := 0; j < n; j += 4 {
		x := g[j : j+4 : j+4]
		v0, v1, v2, v3 := float64(x[0]), float64(x[1]), float64(x[2]), float64(x[3])
		s0 += v0 * v0
		s1 += v1 * v1
		s2 += v2 * v2
		s3 += v3 * v3
		if math.Abs(v0) > clip {
			clipped++
		}
		if math.Abs(v1) > clip {
			clipped++
		}
		if math.Abs(v2) > clip {
			clipped++
		}
		if math.Abs(v3) > clip {
			clipped++
		}
	}
	for _, x := range g[n:] {
		v := float64(x)
		s0 += v * v
		if math.Abs(v) > clip {
			clipped++
		}
	}
	return (s0 + s1) + (s2 + s3), clipped
}

// paramAt is the index of the parameter holding element j of the parameters' array.
func (t *trainer) paramAt(j int) int {
	return sort.Search(len(t.params), func(i int) bool { return t.ps.Offset(i+1) > j })
}

func clamp(v float64, c Config) float64 {
	if c.Solver == RMSProp && c.Clip > 0 {
		return math.Max(-c.Clip, math.Min(c.Clip, v))
	}
	return v
}

// firstNonFinite finds the first NaN or infinite element of v.
func firstNonFinite(v *tensor.Dense) (int, float64, bool) {
	if v.Dtype() == tensor.Float64 {
		return firstNonFiniteIn(v.Float64s())
	}
	return firstNonFiniteIn(v.Float32s())
}

func firstNonFiniteIn[T float32 | float64](d []T) (int, float64, bool) {
	if allFinite(d) {
		return 0, 0, false
	}
	for i, v := range d {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return i, f, true
		}
	}
	return 0, 0, false
}

// allFinite reports whether no element of d is NaN or infinite: x − x is +0 for every
// finite x and NaN otherwise, summed in four independent chains (no branch per element).
func allFinite[T float32 | float64](d []T) bool {
	var a0, a1, a2, a3 T
	n := len(d) &^ 3
	for j := 0; j < n; j += 4 {
		x := d[j : j+4 : j+4]
		a0 += x[0] - x[0]
		a1 += x[1] - x[1]
		a2 += x[2] - x[2]
		a3 += x[3] - x[3]
	}
	for _, x := range d[n:] {
		a0 += x - x
	}
	return a0+a1+a2+a3 == 0
}

// endEpoch records the epoch in the history, tracks the best validation NLL and decides
// on early stopping.
func (t *trainer) endEpoch(res *Result) error {
	cp := &t.cp
	a := cp.Acc
	e := Epoch{Epoch: cp.Epoch + 1, Step: cp.Step, TrainNLL: math.NaN(), ValNLL: math.NaN(), LearnRate: a.LearnRate}
	if a.Rows > 0 {
		e.TrainNLL = t.m.CostInOriginalUnits(a.CostSum / float64(a.Rows))
		e.GradNorm = a.NormSum / float64(a.Steps)
		e.ClippedFraction = float64(a.Clipped) / float64(max(1, a.Elements))
	}
	if t.nVal > 0 {
		v, err := t.evaluate(t.vxs, t.vys, t.nVal)
		if err != nil {
			return err
		}
		e.ValNLL = v
		if !math.IsNaN(v) && (cp.BestEpoch == 0 || v < cp.BestVal) {
			cp.BestEpoch, cp.BestVal = e.Epoch, v
			cp.BestParams = t.ps.Flatten(cp.BestParams[:0])
		}
		if t.cfg.Patience > 0 && e.Epoch-cp.BestEpoch >= t.cfg.Patience {
			res.Stopped = "early stopping"
		}
	}
	e.Elapsed = t.elapsed()
	cp.History = append(cp.History, e)
	cp.Epoch++
	cp.Batch = 0
	cp.Acc = epochAcc{}
	return nil
}

// evaluate returns the mean per-row cost, in original units, of standardised rows.
func (t *trainer) evaluate(xs, ys []float64, n int) (float64, error) {
	size := min(n, 1024)
	e, ok := t.evals[size]
	if !ok {
		g := G.NewGraph()
		loss, err := t.m.BuildLoss(g, size)
		if err != nil {
			return 0, err
		}
		if loss.PerRow == nil {
			return 0, fmt.Errorf("train: the model's loss has no per-row cost to evaluate with")
		}
		r, err := graph.NewRunner(g, G.Nodes{loss.PerRow})
		if err != nil {
			return 0, err
		}
		e = &evaluator{loss: loss, r: r, size: size}
		t.evals[size] = e
	}
	xb, yb := make([]float64, size*t.xDim), make([]float64, size*t.yDim)
	sum := 0.0
	var per []float64
	for lo := 0; lo < n; lo += size {
		rows := min(size, n-lo)
		clear(xb)
		clear(yb)
		copy(xb, xs[lo*t.xDim:(lo+rows)*t.xDim])
		copy(yb, ys[lo*t.yDim:(lo+rows)*t.yDim])
		if err := e.r.Feed(e.loss.X, xb); err != nil {
			return 0, err
		}
		if err := e.r.Feed(e.loss.Y, yb); err != nil {
			return 0, err
		}
		if err := e.r.Run(); err != nil {
			return 0, err
		}
		var err error
		if per, err = e.r.Float64s(per[:0], e.loss.PerRow); err != nil {
			return 0, err
		}
		for _, v := range per[:rows] {
			sum += v
		}
	}
	return t.m.CostInOriginalUnits(sum / float64(n)), nil
}

// checkpoint writes the live state.
func (t *trainer) checkpoint() error {
	st, err := t.solver.state()
	if err != nil {
		return err
	}
	cp := t.cp
	cp.Params = t.ps.Flatten(nil)
	cp.Solver = st
	cp.Elapsed = t.elapsed()
	if cp.BestEpoch == 0 {
		cp.BestVal = 0
	}
	for _, v := range cp.Params {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("train: refusing to checkpoint a non-finite parameter: %w", ErrNonFinite)
		}
	}
	if t.cfg.SaveCheckpoint != nil {
		body, err := json.Marshal(&cp)
		if err != nil {
			return fmt.Errorf("train: encoding the checkpoint: %w", err)
		}
		return t.cfg.SaveCheckpoint(func(w io.Writer) error {
			return framed.Write(w, checkpointFormat, checkpointVersion, body)
		})
	}
	return writeCheckpoint(t.cfg.CheckpointPath, &cp)
}

// checkpointing reports whether the run writes checkpoints.
func (t *trainer) checkpointing() bool {
	return t.cfg.CheckpointPath != "" || t.cfg.SaveCheckpoint != nil
}

func (t *trainer) progress(done bool) {
	if t.cfg.Progress == nil {
		return
	}
	now := time.Now()
	every := t.cfg.ProgressEvery
	if !done {
		if every < 0 {
			if t.cp.Batch+1 != t.batchesPerEpoch {
				return
			}
		} else if now.Sub(t.lastCB) < every {
			return
		}
	}
	t.lastCB = now
	p := Progress{Epoch: t.cp.Epoch + 1, Epochs: t.epochs, Step: t.cp.Step + 1, Steps: t.totalSteps, Elapsed: time.Duration(t.elapsed() * float64(time.Second)), Done: done}
	if done {
		p.Epoch, p.Step = len(t.cp.History), t.cp.Step
	}
	if h := t.cp.History; len(h) > 0 {
		last := h[len(h)-1]
		p.Last = &last
	}
	t.cfg.Progress(p)
}
