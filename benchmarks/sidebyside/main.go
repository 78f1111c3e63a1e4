// Command sidebyside measures mixgraph's training step and prediction against PyTorch's
// on the same workloads, interleaved in one run, and prints tables of samples (rows) per
// second, their ratio and each side's fraction of this machine's peak matrix-multiply
// rate, with the CPU, mixgraph's kernels and the OpenBLAS core each PyTorch figure ran.
//
//	go run ./benchmarks/sidebyside                  # every workload, float64 and float32
//	go run ./benchmarks/sidebyside -workloads bishop,small -dtypes f64 -modes train -rounds 5
//
// PyTorch is tried in three set-ups — 1 thread; 2 threads; 2 threads tuned
// (OMP_WAIT_POLICY=PASSIVE and glibc mallopt thresholds raised before torch loads) — under
// every OpenBLAS core type this CPU supports (OPENBLAS_CORETYPE: OpenBLAS's own choice,
// Haswell, Zen, SkylakeX, ... as the CPU's flags allow; duplicates by the core name
// OpenBLAS reports are dropped), and its best is kept, so that no figure flatters mixgraph
// because PyTorch ran slow kernels. Round 1 runs every configuration; later rounds rerun
// the -keep fastest of each measurement. Prediction is torch.no_grad's forward pass with
// the softmax and exponential on 10,000 rows against Model.PredictMixtures on the same
// number (both give every row's weights, means and scales in arrays), or, with
// -predict_api into, Model.PredictMixturesInto reusing one Mixtures from call to call.
// It needs Debian's python3-torch with OpenBLAS underneath (apt-get install -y
// python3-torch libopenblas0-pthread; with Debian's reference BLAS alone PyTorch runs far
// below its best); without it the command says so and, with -skip_peer, measures mixgraph
// alone. mixgraph runs the kernels its dispatch picks (MIXGRAPH_GEMM_KERNEL forces others).
package main

import (
	"bufio"
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
	"github.com/mixgraph/mixgraph/internal/gemm"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
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

// peerConfig is one way of running PyTorch: a set-up under one OpenBLAS core type.
type peerConfig struct {
	setup peerSetup
	core  blasCore
}

func (c peerConfig) String() string { return c.setup.name + ", " + c.core.name }

// blasCore is an OPENBLAS_CORETYPE value ("" lets OpenBLAS detect the CPU) and the core
// name OpenBLAS reports running under it.
type blasCore struct{ env, name string }

type options struct {
	workloads, dtypes, modes, python, script, coretypes string
	predictAPI                                          string
	rounds, keep                                        int
	seconds                                             float64
	skipPeer                                            bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := options{}
	fs := flag.NewFlagSet("sidebyside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.workloads, "workloads", "bishop,small,medium,large", "comma-separated workloads")
	fs.StringVar(&o.dtypes, "dtypes", "f64,f32", "comma-separated dtypes: f64, f32")
	fs.StringVar(&o.modes, "modes", "train,predict", "comma-separated: train (one training step), predict (10,000 rows' mixtures)")
	fs.IntVar(&o.rounds, "rounds", 3, "interleaved rounds; each side's figure is the median over rounds")
	fs.IntVar(&o.keep, "keep", 2, "after round 1, how many of PyTorch's fastest configurations per measurement are run again")
	fs.Float64Var(&o.seconds, "seconds", 1.5, "approximate seconds of steps per measurement")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "Python with PyTorch (Debian's python3-torch)")
	fs.StringVar(&o.script, "script", "", "path of benchmarks/reference/mdn_bench.py (default: found from the working directory)")
	fs.StringVar(&o.coretypes, "coretypes", "", "comma-separated OPENBLAS_CORETYPE values to try PyTorch under, \"auto\" for OpenBLAS's own choice (default: auto and every core type this CPU supports)")
	fs.BoolVar(&o.skipPeer, "skip_peer", false, "measure mixgraph only")
	fs.StringVar(&o.predictAPI, "predict_api", "mixtures", "mixgraph's prediction call: mixtures (PredictMixtures, fresh arrays each call) or into (PredictMixturesInto, reusing one Mixtures)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.predictAPI != "mixtures" && o.predictAPI != "into" {
		return fmt.Errorf("-predict_api: %q is not mixtures or into", o.predictAPI)
	}
	if o.rounds < 1 || o.keep < 1 || !(o.seconds > 0) {
		return fmt.Errorf("-rounds %d, -keep %d and -seconds %g must be positive", o.rounds, o.keep, o.seconds)
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
	var modes []string
	for _, m := range strings.Split(o.modes, ",") {
		m = strings.TrimSpace(m)
		if m != "train" && m != "predict" {
			return fmt.Errorf("-modes: %q is not train or predict", m)
		}
		modes = append(modes, m)
	}
	cpu := readCPU()
	defer stopServers()
	var cores []blasCore
	if !o.skipPeer {
		if o.script == "" {
			o.script = findScript()
		}
		if err := checkPeer(ctx, o.python, o.script); err != nil {
			return fmt.Errorf("%w\nthe peer needs PyTorch on OpenBLAS: apt-get install -y python3-torch libopenblas0-pthread (or run with -skip_peer)", err)
		}
		candidates := cpu.coreTypes()
		if o.coretypes != "" {
			candidates = strings.Split(o.coretypes, ",")
		}
		var err error
		if cores, err = peerCores(ctx, o, candidates); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "PyTorch runs under OpenBLAS cores: %v\n", cores)
	}

	type cell struct {
		ours []float64 // seconds per step (or per prediction), one per round
		peer map[peerConfig][]float64
	}
	cells := map[string]*cell{}
	key := func(mode string, w benchmarks.Workload, d string) string { return mode + "/" + w.Name + "/" + d }
	var peakGo []map[string]float64
	peakPeer := map[string][]float64{} // by dtype, the best core's rate each round
	for r := 0; r < o.rounds; r++ {
		fmt.Fprintf(stderr, "round %d/%d\n", r+1, o.rounds)
		peakGo = append(peakGo, goMatmul())
		fmt.Fprintf(stderr, "  matmul 1024×512×512: mixgraph f64 %.1f, f32 %.1f GFLOP/s\n", peakGo[r]["f64"], peakGo[r]["f32"])
		if !o.skipPeer {
			best := map[string]float64{}
			for _, c := range cores {
				pk, err := peerMatmul(ctx, o, c)
				if err != nil {
					return err
				}
				for d, v := range pk {
					best[d] = math.Max(best[d], v)
				}
				fmt.Fprintf(stderr, "  matmul 1024×512×512: PyTorch (%s) f64 %.1f, f32 %.1f GFLOP/s\n", c.name, pk["f64"], pk["f32"])
			}
			for d, v := range best {
				peakPeer[d] = append(peakPeer[d], v)
			}
		}
		for _, mode := range modes {
			for _, w := range ws {
				for _, d := range dts {
					k := key(mode, w, d)
					c := cells[k]
					if c == nil {
						c = &cell{peer: map[peerConfig][]float64{}}
						cells[k] = c
					}
					sec, err := ours(mode, w, d, o.seconds, o.predictAPI)
					if err != nil {
						return err
					}
					c.ours = append(c.ours, sec)
					fmt.Fprintf(stderr, "  %-7s %-7s %s mixgraph %9.3f ms", mode, w.Name, d, sec*1e3)
					if !o.skipPeer {
						configs := fastest(c.peer, o.keep)
						if r == 0 {
							configs = nil
							for _, core := range cores {
								for _, ps := range peerSetups {
									configs = append(configs, peerConfig{ps, core})
								}
							}
						}
						for _, pc := range configs {
							psec, err := peer(ctx, o, mode, w, d, pc)
							if err != nil {
								return err
							}
							c.peer[pc] = append(c.peer[pc], psec)
						}
						best := fastest(c.peer, 1)[0]
						fmt.Fprintf(stderr, "  | PyTorch best so far %9.3f ms (%s)", median(c.peer[best])*1e3, best)
					}
					fmt.Fprintln(stderr)
				}
			}
		}
	}

	peak := map[string]float64{}
	for _, d := range []string{"f64", "f32"} {
		var g []float64
		for i := range peakGo {
			g = append(g, peakGo[i][d])
		}
		peak["go-"+d], peak["peer-"+d] = median(g), median(peakPeer[d])
		peak[d] = peak["go-"+d]
		if len(peakPeer[d]) > 0 {
			peak[d] = math.Max(peak[d], peak["peer-"+d])
		}
	}
	if !o.skipPeer && peak["peer-f64"] < 20 {
		fmt.Fprintf(stdout, "warning: PyTorch's matrix multiply reaches only %.1f GFLOP/s: it is probably on the reference BLAS; apt-get install -y libopenblas0-pthread\n", peak["peer-f64"])
	}
	fmt.Fprintf(stdout, "machine: %s/%s, %d CPUs, %s (%s); mixgraph BLAS: %s (kernels available: %s)\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu.model, strings.Join(cpu.simd(), ", "), graph.BLAS, strings.Join(gemm.Kernels(), ", "))
	if !o.skipPeer {
		var names []string
		for _, c := range cores {
			names = append(names, fmt.Sprintf("%s (OPENBLAS_CORETYPE=%q)", c.name, c.env))
		}
		fmt.Fprintf(stdout, "PyTorch tried under OpenBLAS cores: %s; environment's OPENBLAS_CORETYPE=%q\n", strings.Join(names, ", "), os.Getenv("OPENBLAS_CORETYPE"))
	}
	fmt.Fprintf(stdout, "peak matmul 1024×512×512 (GFLOP/s): f64 %.1f (mixgraph %.1f, PyTorch/OpenBLAS best core %.1f), f32 %.1f (mixgraph %.1f, PyTorch %.1f)\n",
		peak["f64"], peak["go-f64"], peak["peer-f64"], peak["f32"], peak["go-f32"], peak["peer-f32"])
	if !o.skipPeer {
		fmt.Fprintf(stdout, "mixgraph's GEMM ÷ OpenBLAS's best on that product: f64 %.2f, f32 %.2f\n", peak["go-f64"]/peak["peer-f64"], peak["go-f32"]/peak["peer-f32"])
	}
	for _, mode := range modes {
		unit, what := "samples/s", "one training step"
		if mode == "predict" {
			unit, what = "rows/s", fmt.Sprintf("the mixtures of %d rows (mixgraph: %s)", benchmarks.PredictRows, map[string]string{"mixtures": "PredictMixtures, fresh arrays each call", "into": "PredictMixturesInto, one Mixtures reused"}[o.predictAPI])
		}
		fmt.Fprintf(stdout, "\n%s: %s\n\n", mode, what)
		fmt.Fprintf(stdout, "| workload | dtype | mixgraph %s | PyTorch best %s (set-up, core) | ratio | mixgraph %% of peak | PyTorch %% of peak | mixgraph GFLOP/s (%% of OpenBLAS's best GEMM) |\n", unit, unit)
		fmt.Fprintln(stdout, "|---|---|---:|---:|---:|---:|---:|---:|")
		for _, w := range ws {
			for _, d := range dts {
				c := cells[key(mode, w, d)]
				sec := median(c.ours)
				n, flops := float64(w.Batch), stepFlops(w)
				if mode == "predict" {
					n, flops = benchmarks.PredictRows, forwardFlops(w, benchmarks.PredictRows)
				}
				line := fmt.Sprintf("| %s | %s | %.0f ", w.Name, d, n/sec)
				if o.skipPeer {
					line += fmt.Sprintf("| – | – | %.1f%% | – |", 100*flops/sec/1e9/peak[d])
				} else {
					best := fastest(c.peer, 1)[0]
					psec := median(c.peer[best])
					line += fmt.Sprintf("| %.0f (%s) | %.2f | %.1f%% | %.1f%% | %.1f (%.0f%%) |", n/psec, best, psec/sec, 100*flops/sec/1e9/peak[d], 100*flops/psec/1e9/peak[d], flops/sec/1e9, 100*flops/sec/1e9/peak["peer-"+d])
				}
				fmt.Fprintln(stdout, line)
			}
		}
	}
	fmt.Fprintf(stdout, "\nmedians over %d interleaved rounds (PyTorch: every set-up under every core in round 1, its %d fastest per row after); ratio = mixgraph ÷ PyTorch's best; %% of peak counts the matrix products' FLOPs (training: 6·B·Σ fan_in·fan_out; predict: 2·rows·Σ fan_in·fan_out) against the best 1024×512×512 rate of either side.\n", o.rounds, o.keep)
	return nil
}

// fastest returns the n configurations with the lowest median time (fewer if fewer ran).
func fastest(runs map[peerConfig][]float64, n int) []peerConfig {
	var cs []peerConfig
	for c := range runs {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool {
		mi, mj := median(runs[cs[i]]), median(runs[cs[j]])
		if mi != mj {
			return mi < mj
		}
		return cs[i].String() < cs[j].String()
	})
	return cs[:min(n, len(cs))]
}

// forwardFlops counts the matrix-product FLOPs of the network's forward pass on rows rows.
func forwardFlops(w benchmarks.Workload, rows int) float64 {
	return stepFlops(w) / 3 / float64(w.Batch) * float64(rows)
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

// ours returns mixgraph's median time of one training step or one prediction of
// PredictRows rows, over about `seconds` of repeats.
func ours(mode string, w benchmarks.Workload, d string, seconds float64, predictAPI string) (float64, error) {
	dt := models.Float64
	if d == "f32" {
		dt = models.Float32
	}
	if mode == "predict" {
		return oursPredict(w, dt, seconds, predictAPI)
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

func oursPredict(w benchmarks.Workload, dt models.DType, seconds float64, api string) (float64, error) {
	m, x, err := benchmarks.PredictSetup(w, dt, benchmarks.PredictRows, 1)
	if err != nil {
		return 0, err
	}
	predict := func() error { _, err := m.PredictMixtures(x); return err }
	if api == "into" {
		var p mdn.Mixtures
		predict = func() error { return m.PredictMixturesInto(&p, x) }
	}
	if err := predict(); err != nil { // warm-up: graphs built
		return 0, err
	}
	var ts []float64
	start := time.Now()
	for len(ts) < 5 || (time.Since(start).Seconds() < seconds && len(ts) < 500) {
		t0 := time.Now()
		if err := predict(); err != nil {
			return 0, err
		}
		ts = append(ts, time.Since(t0).Seconds())
	}
	return median(ts), nil
}

// server is one long-lived PyTorch process (mdn_bench.py --serve) for one configuration:
// the interpreter and torch load once, and every measurement is a request on its stdin.
type server struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	err *bytes.Buffer
}

var servers = map[peerConfig]*server{}

// serverFor returns the running server of configuration pc, starting it if need be.
func serverFor(ctx context.Context, o options, pc peerConfig) (*server, error) {
	if s := servers[pc]; s != nil {
		return s, nil
	}
	args := []string{o.script, "--serve", "--threads", fmt.Sprint(pc.setup.threads)}
	if pc.setup.tuned {
		args = append(args, "--tuned")
	}
	cmd := exec.CommandContext(ctx, o.python, args...)
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "OPENBLAS_CORETYPE=") && !strings.HasPrefix(e, "OMP_WAIT_POLICY=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	if pc.core.env != "" {
		cmd.Env = append(cmd.Env, "OPENBLAS_CORETYPE="+pc.core.env)
	}
	if pc.setup.tuned {
		cmd.Env = append(cmd.Env, "OMP_WAIT_POLICY=PASSIVE")
	}
	s := &server{cmd: cmd, err: &bytes.Buffer{}}
	cmd.Stderr = s.err
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("peer %s: %w", pc, err)
	}
	s.in, s.out = in, bufio.NewReader(out)
	servers[pc] = s
	return s, nil
}

// stopServers ends every server.
func stopServers() {
	for pc, s := range servers {
		s.in.Close()
		s.cmd.Wait()
		delete(servers, pc)
	}
}

// request sends one measurement request to configuration pc's server and decodes the
// answer into v.
func request(ctx context.Context, o options, pc peerConfig, req map[string]any, v any) error {
	s, err := serverFor(ctx, o, pc)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(req)
	if _, err := s.in.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("peer %s: %v: %s", pc, err, strings.TrimSpace(s.err.String()))
	}
	line, err := s.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("peer %s: %v: %s", pc, err, strings.TrimSpace(s.err.String()))
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("peer %s output %q: %w", pc, line, err)
	}
	return nil
}

// peer returns PyTorch's median time of one training step or one prediction of
// PredictRows rows in configuration pc.
func peer(ctx context.Context, o options, mode string, w benchmarks.Workload, d string, pc peerConfig) (float64, error) {
	var r struct {
		MedianMS float64 `json:"median_ms"`
	}
	req := map[string]any{"mode": mode, "workload": w.Name, "dtype": d, "seconds": o.seconds, "rows": benchmarks.PredictRows}
	if err := request(ctx, o, pc, req, &r); err != nil {
		return 0, err
	}
	return r.MedianMS / 1e3, nil
}

// tunedPair is the set-up the matrix multiply is measured in: 2 threads, tuned.
var tunedPair = peerSetups[2]

// peerCores measures PyTorch's matrix multiply under each candidate OPENBLAS_CORETYPE
// ("auto" or "" for OpenBLAS's detection) and returns those that run a distinct core,
// as OpenBLAS names it (a core type the library does not know falls back to another).
func peerCores(ctx context.Context, o options, candidates []string) ([]blasCore, error) {
	var cores []blasCore
	seen := map[string]bool{}
	for _, c := range candidates {
		c = strings.TrimSpace(c)
		if c == "auto" {
			c = ""
		}
		var r struct {
			Core string `json:"blas_core"`
		}
		pc := peerConfig{tunedPair, blasCore{env: c, name: c}}
		if err := request(ctx, o, pc, map[string]any{"mode": "matmul"}, &r); err != nil {
			return nil, err
		}
		// The server stays, under the core's real name.
		s := servers[pc]
		delete(servers, pc)
		core := blasCore{env: c, name: r.Core}
		if seen[r.Core] {
			s.in.Close()
			s.cmd.Wait()
			continue
		}
		seen[r.Core] = true
		servers[peerConfig{tunedPair, core}] = s
		cores = append(cores, core)
	}
	return cores, nil
}

func peerMatmul(ctx context.Context, o options, core blasCore) (map[string]float64, error) {
	var r struct {
		F64 float64 `json:"gflops_f64"`
		F32 float64 `json:"gflops_f32"`
	}
	if err := request(ctx, o, peerConfig{tunedPair, core}, map[string]any{"mode": "matmul"}, &r); err != nil {
		return nil, err
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
		// Warm up for a tenth of a second: the peer's idle threads settle and the
		// clock ramps up before anything is timed.
		for t0 := time.Now(); time.Since(t0) < 100*time.Millisecond; {
			f()
		}
		var ts []float64
		for i := 0; i < 30; i++ {
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

// cpuInfo is what /proc/cpuinfo says about the first processor.
type cpuInfo struct {
	model, vendor string
	flags         map[string]bool
}

func readCPU() cpuInfo {
	c := cpuInfo{model: "unknown CPU", flags: map[string]bool{}}
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return c
	}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "model name":
			if c.model == "unknown CPU" {
				c.model = v
			}
		case "vendor_id":
			c.vendor = v
		case "flags":
			if len(c.flags) == 0 {
				for _, f := range strings.Fields(v) {
					c.flags[f] = true
				}
			}
		}
	}
	return c
}

// simd lists the vector extensions that matter to either side's kernels.
func (c cpuInfo) simd() []string {
	var out []string
	for _, f := range []string{"avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16", "amx_tile"} {
		if c.flags[f] {
			out = append(out, f)
		}
	}
	return out
}

// coreTypes returns the OPENBLAS_CORETYPE values worth trying on this CPU: OpenBLAS's own
// detection, then every kernel family the CPU can run (Debian's OpenBLAS 0.3.21 does not
// recognise some recent CPUs and falls back to generic kernels by itself).
func (c cpuInfo) coreTypes() []string {
	types := []string{"auto"}
	if c.flags["avx2"] && c.flags["fma"] {
		types = append(types, "Haswell")
		if c.vendor == "AuthenticAMD" {
			types = append(types, "Zen")
		}
	}
	if c.flags["avx512f"] && c.flags["avx512dq"] && c.flags["avx512bw"] && c.flags["avx512vl"] {
		types = append(types, "SkylakeX")
		if c.flags["avx512_bf16"] {
			types = append(types, "Cooperlake")
		}
		if c.flags["amx_tile"] {
			types = append(types, "SapphireRapids")
		}
	}
	return types
}
