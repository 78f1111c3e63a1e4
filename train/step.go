package train

import (
	"fmt"
	"math"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/internal/cores"
	"github.com/mixgraph/mixgraph/models"
)

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

// initSolver makes the step's gradient vector, the solvers that read it and the copy of
// the weights a step can fall back to.
func (t *trainer) initSolver() {
	n := max(1, t.ps.Count())
	t.weights = t.ps.Span(0, len(t.params))
	t.grad = tensor.New(tensor.Of(t.ps.DType()), tensor.WithShape(n))
	t.saved = tensor.New(tensor.Of(t.ps.DType()), tensor.WithShape(n))
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

// stepper returns the stepper for batches of size rows, building its graphs (one per
// worker, each taking at least MinWorkerRows rows) the first time.
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
		var loss *models.Loss
		var r *graph.Runner
		err := models.BuildLocked(func() error { // graphs are built one at a time, process-wide
			g := G.NewGraph()
			var err error
			if loss, err = t.m.BuildLoss(g, rows); err != nil {
				return err
			}
			r, err = graph.NewRunner(g, G.Nodes{loss.Cost}, graph.WithGradients(loss.Cost, t.ps.Nodes(g)))
			return err
		})
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
// runners for prepareGrads.
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

// zeroGrads clears every part's gradients.
func (s *stepper) zeroGrads() {
	for _, p := range s.parts {
		p.r.ZeroGrads()
	}
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
