// Command sidebyside measures mixgraph's training step against PyTorch's on the same
// workloads, interleaved in one run, and prints a table of samples per second, their
// ratio and each side's fraction of this machine's peak matrix-multiply rate.
//
//	go run ./benchmarks/sidebyside                  # every workload, float64 and float32
//	go run ./benchmarks/sidebyside -workloads bishop,small -dtypes f64 -rounds 5
//
// PyTorch is tried in three set-ups — 1 thread; 2 threads; 2
// threads tuned (OMP_WAIT_POLICY=PASSIVE and glibc mallopt thresholds raised before torch
// loads) — and its best is kept. It needs Debian's python3-torch
// with OpenBLAS underneath (apt-get install -y python3-torch libopenblas0-pthread; with
// Debian's reference BLAS alone PyTorch runs far below its best); without it the command says so and, with
// -skip_peer, measures mixgraph alone. OPENBLAS_CORETYPE is left as the environment has
// it, for both sides.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"

	"github.com/mixgraph/mixgraph/benchmarks"
	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/models"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "sidebyside:", err)
		os.Exit(2)
	}
}

type peerSetup struct {
	name    string
	threads int
	tuned   bool
}

var peerSetups = []peerSetup{{"1 thread", 1, false}, {"2 threads", 2, false}, {"2 threads tuned", 2, true}}

type options struct {
	workloads, dtypes, python, script string
	rounds                            int
	seconds                           float64
	skipPeer                          bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := options{}
	fs := flag.NewFlagSet("sidebyside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.workloads, "workloads", "bishop,small,medium,large", "comma-separated workloads")
	fs.StringVar(&o.dtypes, "dtypes", "f64,f32", "comma-separated dtypes: f64, f32")
	fs.IntVar(&o.rounds, "rounds", 3, "interleaved rounds; each side's figure is the median over rounds")
	fs.Float64Var(&o.seconds, "seconds", 1.5, "approximate seconds of steps per measurement")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "Python with PyTorch (Debian's python3-torch)")
	fs.StringVar(&o.script, "script", "", "path of benchmarks/reference/mdn_bench.py (default: found from the working directory)")
	fs.BoolVar(&o.skipPeer, "skip_peer", false, "measure mixgraph only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.rounds < 1 || !(o.seconds > 0) {
		return fmt.Errorf("-rounds %d and -seconds %g must be positive", o.rounds, o.seconds)
	}
	var ws []benchmarks.Workload
	for _, n := range strings.Split(o.workloads, ",") {
		w, err := benchmarks.Lookup(strings.TrimSpace(n))
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	var dts []string
	for _, d := range strings.Split(o.dtypes, ",") {
		d = strings.TrimSpace(d)
		if d != "f64" && d != "f32" {
			return fmt.Errorf("-dtypes: %q is not f64 or f32", d)
		}
		dts = append(dts, d)
	}
	if !o.skipPeer {
		if o.script == "" {
			o.script = findScript()
		}
		if err := checkPeer(ctx, o.python, o.script); err != nil {
			return fmt.Errorf("%w\nthe peer needs PyTorch on OpenBLAS: apt-get install -y python3-torch libopenblas0-pthread (or run with -skip_peer)", err)
		}
	}

	type cell struct {
		ours []float64 // seconds per step, one per round
		peer map[string][]float64
	}
	cells := map[string]*cell{}
	key := func(w benchmarks.Workload, d string) string { return w.Name + "/" + d }
	var peakGo, peakPeer []map[string]float64
	for r := 0; r < o.rounds; r++ {
		fmt.Fprintf(stderr, "round %d/%d\n", r+1, o.rounds)
		peakGo = append(peakGo, goMatmul())
		if !o.skipPeer {
			pk, err := peerMatmul(ctx, o)
			if err != nil {
				return err
			}
			peakPeer = append(peakPeer, pk)
		}
		for _, w := range ws {
			for _, d := range dts {
				c := cells[key(w, d)]
				if c == nil {
					c = &cell{peer: map[string][]float64{}}
					cells[key(w, d)] = c
				}
				sec, err := oursStep(w, d, o.seconds)
				if err != nil {
					return err
				}
				c.ours = append(c.ours, sec)
				fmt.Fprintf(stderr, "  %-7s %s mixgraph %8.3f ms", w.Name, d, sec*1e3)
				if !o.skipPeer {
					for _, ps := range peerSetups {
						psec, err := peerStep(ctx, o, w, d, ps)
						if err != nil {
							return err
						}
						c.peer[ps.name] = append(c.peer[ps.name], psec)
						fmt.Fprintf(stderr, "  | %s %8.3f ms", ps.name, psec*1e3)
					}
				}
				fmt.Fprintln(stderr)
			}
		}
	}

	peak := map[string]float64{}
	for _, d := range []string{"f64", "f32"} {
		var g, p []float64
		for i := range peakGo {
			g = append(g, peakGo[i][d])
			if i < len(peakPeer) {
				p = append(p, peakPeer[i][d])
			}
		}
		peak[d] = median(g)
		if len(p) > 0 {
			peak[d] = math.Max(peak[d], median(p))
		}
		peak["go-"+d], peak["peer-"+d] = median(g), median(p)
	}
	if !o.skipPeer && peak["peer-f64"] < 20 {
		fmt.Fprintf(stdout, "warning: PyTorch's matrix multiply reaches only %.1f GFLOP/s: it is probably on the reference BLAS; apt-get install -y libopenblas0-pthread\n", peak["peer-f64"])
	}
	fmt.Fprintf(stdout, "machine: %s/%s, %d CPUs, %s; OPENBLAS_CORETYPE=%q; mixgraph BLAS: %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), os.Getenv("OPENBLAS_CORETYPE"), graph.BLAS)
	fmt.Fprintf(stdout, "peak matmul 1024×512×512 (GFLOP/s): f64 %.1f (mixgraph %.1f, PyTorch/OpenBLAS %.1f), f32 %.1f (mixgraph %.1f, PyTorch %.1f)\n\n",
		peak["f64"], peak["go-f64"], peak["peer-f64"], peak["f32"], peak["go-f32"], peak["peer-f32"])
	fmt.Fprintln(stdout, "| workload | dtype | mixgraph samples/s | PyTorch best samples/s (set-up) | ratio | mixgraph % of peak | PyTorch % of peak |")
	fmt.Fprintln(stdout, "|---|---|---:|---:|---:|---:|---:|")
	for _, w := range ws {
		for _, d := range dts {
			c := cells[key(w, d)]
			ours := median(c.ours)
			flops := stepFlops(w)
			line := fmt.Sprintf("| %s | %s | %.0f ", w.Name, d, float64(w.Batch)/ours)
			if o.skipPeer {
				line += fmt.Sprintf("| – | – | %.1f%% | – |", 100*flops/ours/1e9/peak[d])
			} else {
				best, bestName := math.Inf(1), ""
				for _, ps := range peerSetups {
					if m := median(c.peer[ps.name]); m < best {
						best, bestName = m, ps.name
					}
				}
				line += fmt.Sprintf("| %.0f (%s) | %.2f | %.1f%% | %.1f%% |", float64(w.Batch)/best, bestName, best/ours, 100*flops/ours/1e9/peak[d], 100*flops/best/1e9/peak[d])
			}
			fmt.Fprintln(stdout, line)
		}
	}
	fmt.Fprintf(stdout, "\nmedians over %d interleaved rounds; ratio = mixgraph samples/s ÷ PyTorch's best; %% of peak counts 6·B·Σ(fan_in·fan_out) FLOPs a step (forward and backward matrix products).\n", o.rounds)
	return nil
}

// stepFlops counts the matrix-product FLOPs of a training step: 2·B·in·out per layer
// forward and twice that backward.
func stepFlops(w benchmarks.Workload) float64 {
	widths := append(append([]int{w.In}, w.Hidden...), w.K+2*w.K*w.Out)
	s := 0.0
	for i := 0; i+1 < len(widths); i++ {
		s += float64(widths[i] * widths[i+1])
	}
	return 6 * float64(w.Batch) * s
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// oursStep returns mixgraph's median step time over about `seconds` of steps.
func oursStep(w benchmarks.Workload, d string, seconds float64) (float64, error) {
	dt := models.Float64
	if d == "f32" {
		dt = models.Float32
	}
	s, err := benchmarks.NewSetup(w, dt, 0, 1)
	if err != nil {
		return 0, err
	}
	for i := 0; i < 3; i++ { // warm-up
		if _, err := s.Stepper.Step(s.X, s.Y); err != nil {
			return 0, err
		}
	}
	var ts []float64
	start := time.Now()
	for len(ts) < 5 || (time.Since(start).Seconds() < seconds && len(ts) < 2000) {
		t0 := time.Now()
		if _, err := s.Stepper.Step(s.X, s.Y); err != nil {
			return 0, err
		}
		ts = append(ts, time.Since(t0).Seconds())
	}
	return median(ts), nil
}

func peerCmd(ctx context.Context, o options, tuned bool, args ...string) ([]byte, error) {
	if tuned {
		args = append(args, "--tuned")
	}
	cmd := exec.CommandContext(ctx, o.python, append([]string{o.script}, args...)...)
	cmd.Env = os.Environ()
	if tuned {
		cmd.Env = append(cmd.Env, "OMP_WAIT_POLICY=PASSIVE")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("peer %v: %v: %s", args, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func peerStep(ctx context.Context, o options, w benchmarks.Workload, d string, ps peerSetup) (float64, error) {
	steps := map[string]int{"bishop": 400, "small": 400, "medium": 120, "large": 30}[w.Name]
	out, err := peerCmd(ctx, o, ps.tuned, "--workload", w.Name, "--dtype", d, "--threads", fmt.Sprint(ps.threads), "--steps", fmt.Sprint(steps), "--warmup", "10")
	if err != nil {
		return 0, err
	}
	var r struct {
		MedianMS float64 `json:"median_ms"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return 0, fmt.Errorf("peer output %q: %w", out, err)
	}
	return r.MedianMS / 1e3, nil
}

func peerMatmul(ctx context.Context, o options) (map[string]float64, error) {
	out, err := peerCmd(ctx, o, true, "--matmul", "--threads", "2")
	if err != nil {
		return nil, err
	}
	var r struct {
		F64 float64 `json:"gflops_f64"`
		F32 float64 `json:"gflops_f32"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("peer output %q: %w", out, err)
	}
	return map[string]float64{"f64": r.F64, "f32": r.F32}, nil
}

// goMatmul measures the matrix multiply mixgraph's graphs use in this build (the BLAS
// handed to Gorgonia) on the large layer's shape (1024×512 · 512×512).
func goMatmul() map[string]float64 {
	const m, k, n = 1024, 512, 512
	flops := 2.0 * m * k * n
	a64, b64, c64 := make([]float64, m*k), make([]float64, k*n), make([]float64, m*n)
	a32, b32, c32 := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a64 {
		a64[i], a32[i] = float64(i%7)-3, float32(i%7)-3
	}
	for i := range b64 {
		b64[i], b32[i] = float64(i%5)-2, float32(i%5)-2
	}
	impl := G.WhichBLAS()
	time64 := func() { impl.Dgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a64, k, b64, n, 0, c64, n) }
	time32 := func() { impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a32, k, b32, n, 0, c32, n) }
	measure := func(f func()) float64 {
		f()
		var ts []float64
		for i := 0; i < 15; i++ {
			t0 := time.Now()
			f()
			ts = append(ts, time.Since(t0).Seconds())
		}
		return flops / median(ts) / 1e9
	}
	return map[string]float64{"f64": measure(time64), "f32": measure(time32)}
}

func checkPeer(ctx context.Context, python, script string) error {
	if _, err := os.Stat(script); err != nil {
		return fmt.Errorf("peer script: %w (pass -script)", err)
	}
	cmd := exec.CommandContext(ctx, python, "-c", "import torch")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s cannot import torch: %v %s", python, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// findScript looks for benchmarks/reference/mdn_bench.py from the working directory up.
func findScript() string {
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, "benchmarks", "reference", "mdn_bench.py")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join("benchmarks", "reference", "mdn_bench.py")
		}
		dir = parent
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if i := strings.Index(l, ":"); i >= 0 {
				return strings.TrimSpace(l[i+1:])
			}
		}
	}
	return "unknown CPU"
}
