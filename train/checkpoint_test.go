package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/internal/framed"
	"github.com/mixgraph/mixgraph/models"
	"github.com/mixgraph/mixgraph/models/mdn"
)

var updateCheckpoint = flag.Bool("update-checkpoint", false, "rewrite testdata/tiny.ckpt from a fresh run")

// The golden checkpoint: a tiny MDN's run with validation (so it has best parameters),
// stopped mid-epoch. It stands for the checkpoints already on disk, which this build
// must keep reading.
const goldenCheckpoint = "testdata/tiny.ckpt"

// tinyMDN is the model of the golden checkpoint and of the fuzz resume: 22 parameters.
func tinyMDN(tb testing.TB) *mdn.Model {
	tb.Helper()
	m, err := mdn.New(mdn.Config{InputDim: 1, OutputDim: 1, K: 2, Hidden: []int{2}, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// tinyData has 12 rows: 9 to train on (3 batches of 3) and 3 to validate with at
// ValFraction 0.25.
func tinyData() Data {
	var d Data
	for i := range 12 {
		x := float64(i) / 11
		d.X = append(d.X, []float64{x})
		d.Y = append(d.Y, []float64{x*x - 0.5*x})
	}
	return d
}

func tinyConfig(solver Solver) Config {
	return Config{Solver: solver, BatchSize: 3, Epochs: 3, Seed: 1, ValFraction: 0.25, LearnRate: 0.01}
}

// runCheckpoint runs tinyMDN on tinyData with cfg until stopAt steps (0: to the end) and
// returns the checkpoint file it leaves.
func runCheckpoint(tb testing.TB, cfg Config, stopAt int) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "run.ckpt")
	cfg.CheckpointPath = path
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if stopAt > 0 {
		cfg.ProgressEvery = 1
		cfg.Progress = func(p Progress) {
			if p.Step >= stopAt {
				cancel()
			}
		}
	}
	if _, err := Run(ctx, tinyMDN(tb), tinyData(), cfg); err != nil && !errors.Is(err, context.Canceled) {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// body returns a checkpoint file's JSON body.
func body(tb testing.TB, file []byte) []byte {
	tb.Helper()
	b, err := framed.Read(file, checkpointFormat, checkpointVersion, "checkpoint")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// frame wraps body in a valid checkpoint header.
func frame(tb testing.TB, body []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := framed.Write(&buf, checkpointFormat, checkpointVersion, body); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckpointGolden(t *testing.T) {
	if *updateCheckpoint {
		b := runCheckpoint(t, tinyConfig(Adam), 4) // epoch 2, batch 1 of 3
		if err := os.WriteFile(goldenCheckpoint, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := readCheckpoint(goldenCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, c)
	if c.Epoch != 1 || c.Batch != 1 || c.Step != 4 || c.BestEpoch != 1 || len(c.BestParams) != 22 || len(c.Solver.Slots) == 0 {
		t.Errorf("golden checkpoint at epoch %d batch %d step %d, best epoch %d with %d values, %d solver slots; want 1, 1, 4, 1 with 22, some",
			c.Epoch, c.Batch, c.Step, c.BestEpoch, len(c.BestParams), len(c.Solver.Slots))
	}
	// A run resumed from it finishes like one that was never stopped.
	cfg := tinyConfig(Adam)
	want := tinyMDN(t)
	if _, err := Run(context.Background(), want, tinyData(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Resume = goldenCheckpoint
	got := tinyMDN(t)
	if _, err := Run(context.Background(), got, tinyData(), cfg); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "resumed from the golden checkpoint", want.Params().Flatten(nil), got.Params().Flatten(nil))
}

// mutate decodes a checkpoint body into generic JSON, lets edit change it and encodes
// it again.
func mutate(t *testing.T, body []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func obj(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }
func arr(m map[string]any, key string) []any          { return m[key].([]any) }

// TestDecodeCheckpointRejects: damaged bodies in a valid frame are refused with one
// line naming the file and what is wrong.
func TestDecodeCheckpointRejects(t *testing.T) {
	good := body(t, runCheckpoint(t, tinyConfig(Adam), 4))
	if _, err := decodeCheckpoint(frame(t, good), "x.ckpt"); err != nil {
		t.Fatalf("the unchanged checkpoint: %v", err)
	}
	huge := make([]any, 1<<16)
	for i := range huge {
		huge[i] = 0.5
	}
	for _, c := range []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"negative param count", func(m map[string]any) { m["param_count"] = -1 }, "param_count is -1"},
		{"param count mismatch", func(m map[string]any) { m["param_count"] = 21 }, "22 parameters, param_count says 21"},
		{"params missing", func(m map[string]any) { delete(m, "params") }, "0 parameters, param_count says 22"},
		{"huge params", func(m map[string]any) { m["params"] = huge }, "65536 parameters, param_count says 22"},
		{"huge count", func(m map[string]any) { m["param_count"] = int64(1) << 40 }, "22 parameters, param_count says 1099511627776"},
		{"best params short", func(m map[string]any) { m["best_params"] = arr(m, "best_params")[1:] }, "21 best parameters for 22"},
		{"best params without best epoch", func(m map[string]any) { m["best_epoch"] = 0 }, "22 best parameters for 22 parameters and best_epoch 0"},
		{"best epoch ahead", func(m map[string]any) { m["best_epoch"] = 5 }, "best_epoch 5 is after epoch 1"},
		{"negative epoch", func(m map[string]any) { m["Epoch"] = -1 }, "epoch is -1"},
		{"negative batch", func(m map[string]any) { m["Batch"] = -3 }, "batch is -3"},
		{"negative step", func(m map[string]any) { m["Step"] = -1 }, "step is -1"},
		{"negative acc rows", func(m map[string]any) { obj(m, "acc")["rows"] = -1 }, "acc rows is -1"},
		{"rows without steps", func(m map[string]any) { obj(m, "acc")["steps"] = 0; m["Batch"] = 0 }, "acc has 3 rows over 0 steps at batch 0"},
		{"steps not batches", func(m map[string]any) { obj(m, "acc")["steps"] = 2 }, "acc has 3 rows over 2 steps at batch 1"},
		{"batch without steps", func(m map[string]any) { m["acc"] = map[string]any{} }, "acc has 0 rows over 0 steps at batch 1"},
		{"no solver", func(m map[string]any) { delete(m, "solver") }, "no solver state"},
		{"null solver", func(m map[string]any) { m["solver"] = nil }, "no solver state"},
		{"negative iter", func(m map[string]any) { obj(m, "solver")["iter"] = -1 }, "solver iter is -1 at step 4"},
		{"iter past step", func(m map[string]any) { obj(m, "solver")["iter"] = 5 }, "solver iter is 5 at step 4"},
		{"slot lengths differ", func(m map[string]any) {
			s := arr(obj(m, "solver"), "slots")[0].(map[string]any)
			s["deriv"] = arr(s, "deriv")[1:]
		}, "solver slot 0 has 2 values and 1 derivatives"},
		{"too many slot values", func(m map[string]any) {
			sv := obj(m, "solver")
			sv["slots"] = append(arr(sv, "slots"), arr(sv, "slots")...)
		}, "solver slots hold 44 values for 22 parameters"},
		{"normalisation lengths", func(m map[string]any) { n := obj(m, "normalization"); n["XStd"] = append(arr(n, "XStd"), 1) }, "normalisation has 1/2 input and 1/1 target means/stds"},
		{"zero std", func(m map[string]any) { obj(m, "normalization")["YStd"] = []any{0} }, "normalisation target std 0 is 0"},
		{"negative std", func(m map[string]any) { obj(m, "normalization")["XStd"] = []any{-2} }, "normalisation input std 0 is -2"},
		{"negative elapsed", func(m map[string]any) { m["elapsed_seconds"] = -1 }, "elapsed_seconds is -1"},
		{"stopped mid-epoch", func(m map[string]any) { m["stopped"] = "early stopping" }, `stopped "early stopping" at epoch 1, batch 1`},
		{"stopped otherwise", func(m map[string]any) { m["stopped"] = "completed"; m["Batch"] = 0; m["acc"] = map[string]any{} }, `stopped "completed"`},
		{"NaN string", func(m map[string]any) { arr(m, "params")[3] = "NaN" }, "cannot unmarshal string"},
		{"Inf string", func(m map[string]any) { obj(m, "normalization")["YMean"] = []any{"+Inf"} }, "cannot unmarshal string"},
		{"overflowing number", func(m map[string]any) { arr(m, "params")[0] = json.Number("1e999") }, "cannot unmarshal number 1e999"},
		{"unknown field", func(m map[string]any) { m["parmas"] = []any{} }, `unknown field "parmas"`},
		{"unknown nested field", func(m map[string]any) { obj(m, "solver")["iters"] = 3 }, `unknown field "iters"`},
		{"params not an array", func(m map[string]any) { m["params"] = map[string]any{} }, "cannot unmarshal object"},
	} {
		_, err := decodeCheckpoint(frame(t, mutate(t, good, c.edit)), "x.ckpt")
		if err == nil || !strings.HasPrefix(err.Error(), "train: checkpoint x.ckpt: ") || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", c.name, err, c.want)
		}
	}
	for _, c := range []struct {
		name, body, want string
	}{
		{"trailing data", string(good) + " {}", "data after the JSON body"},
		{"trailing bracket", string(good) + "]", "data after the JSON body"},
		{"trailing space", string(good) + " \n", ""},
		{"empty", "", "EOF"},
		{"array", "[]", "cannot unmarshal array"},
		{"null", "null", "no solver state"}, // decodes to the zero checkpoint
	} {
		_, err := decodeCheckpoint(frame(t, []byte(c.body)), "x.ckpt")
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), "train: checkpoint x.ckpt: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
	if _, err := decodeCheckpoint([]byte("junk\n"), "x.ckpt"); err == nil || err.Error() != "train: checkpoint x.ckpt: not a checkpoint (no mixgraph.checkpoint header)" {
		t.Errorf("junk: %v", err)
	}
}

// TestValidateNonFinite: numbers JSON cannot spell are still checked, for a checkpoint
// that reaches validate some other way.
func TestValidateNonFinite(t *testing.T) {
	t.Parallel()
	good := func() *checkpoint {
		return &checkpoint{
			ParamCount: 2, Params: []float64{1, 2}, BestParams: []float64{1, 2}, Epoch: 1, BestEpoch: 1,
			Solver:        &solverState{Slots: []slotState{{Value: []float64{0}, Deriv: []float64{0}}, {}}},
			Normalization: models.IdentityNormalization(1, 1),
		}
	}
	if err := good().validate(); err != nil {
		t.Fatalf("valid checkpoint: %v", err)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for _, c := range []struct {
			name string
			set  func(c *checkpoint)
			want string
		}{
			{"param", func(c *checkpoint) { c.Params[1] = bad }, "parameter 1 is"},
			{"best param", func(c *checkpoint) { c.BestParams[0] = bad }, "best parameter 0 is"},
			{"slot value", func(c *checkpoint) { c.Solver.Slots[0].Value[0] = bad }, "solver slot 0 value 0 is"},
			{"slot deriv", func(c *checkpoint) { c.Solver.Slots[0].Deriv[0] = bad }, "solver slot 0 derivative 0 is"},
			{"x mean", func(c *checkpoint) { c.Normalization.XMean[0] = bad }, "normalisation input mean 0 is"},
			{"x std", func(c *checkpoint) { c.Normalization.XStd[0] = bad }, "normalisation input std 0 is"},
			{"y mean", func(c *checkpoint) { c.Normalization.YMean[0] = bad }, "normalisation target mean 0 is"},
			{"y std", func(c *checkpoint) { c.Normalization.YStd[0] = bad }, "normalisation target std 0 is"},
			{"best val", func(c *checkpoint) { c.BestVal = bad }, "best_val is"},
			{"elapsed", func(c *checkpoint) { c.Elapsed = bad }, "elapsed_seconds is"},
			{"acc cost", func(c *checkpoint) { c.Acc.CostSum = bad }, "acc cost_sum is"},
		} {
			cp := good()
			c.set(cp)
			if err := cp.validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s = %g: %v, want %q", c.name, bad, err, c.want)
			}
		}
	}
}

// TestReadCheckpointSize: a file over the limit is refused before it is read (a sparse
// file, so the test writes nothing).
func TestReadCheckpointSize(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "big.ckpt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxCheckpointBytes + 1); err != nil {
		f.Close()
		t.Skipf("cannot make a sparse file: %v", err)
	}
	f.Close()
	_, err = readCheckpoint(path)
	want := fmt.Sprintf("train: checkpoint %s: %d bytes, more than the %d a checkpoint may have", path, maxCheckpointBytes+1, maxCheckpointBytes)
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	if _, err := readCheckpoint(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a folder: %v", err)
	}
}

// TestResumeDamaged: checkpoints that made a resume panic (no solver state: a nil
// dereference; a negative batch: a negative slice index) are refused instead.
func TestResumeDamaged(t *testing.T) {
	good := body(t, runCheckpoint(t, tinyConfig(Adam), 4))
	for _, c := range []struct {
		name string
		edit func(m map[string]any)
	}{
		{"no solver", func(m map[string]any) { m["solver"] = nil }},
		{"negative batch", func(m map[string]any) { m["Batch"] = -1 }},
		{"best epoch without best params", func(m map[string]any) { delete(m, "best_params") }},
	} {
		path := filepath.Join(t.TempDir(), "bad.ckpt")
		if err := os.WriteFile(path, frame(t, mutate(t, good, c.edit)), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := tinyConfig(Adam)
		cfg.Resume = path
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: resume panicked: %v", c.name, r)
				}
			}()
			if _, err := Run(context.Background(), tinyMDN(t), tinyData(), cfg); err == nil || !strings.HasPrefix(err.Error(), "train: checkpoint "+path+": ") {
				t.Errorf("%s: %v, want the checkpoint refused", c.name, err)
			}
		}()
	}
}

// checkInvariants checks, independently of validate, what a decoded checkpoint must
// satisfy.
func checkInvariants(t *testing.T, c *checkpoint) {
	t.Helper()
	if c.ParamCount < 0 || c.ParamCount != len(c.Params) {
		t.Fatalf("param_count %d with %d parameters", c.ParamCount, len(c.Params))
	}
	if len(c.BestParams) != 0 && len(c.BestParams) != len(c.Params) {
		t.Fatalf("%d best parameters for %d", len(c.BestParams), len(c.Params))
	}
	if c.Epoch < 0 || c.Batch < 0 || c.Step < 0 {
		t.Fatalf("position epoch %d batch %d step %d", c.Epoch, c.Batch, c.Step)
	}
	if c.Solver == nil {
		t.Fatal("no solver state")
	}
	bad := func(v []float64) bool {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return true
			}
		}
		return false
	}
	n := c.Normalization
	vecs := [][]float64{c.Params, c.BestParams, n.XMean, n.XStd, n.YMean, n.YStd}
	for _, s := range c.Solver.Slots {
		vecs = append(vecs, s.Value, s.Deriv)
	}
	for i, v := range vecs {
		if bad(v) {
			t.Fatalf("vector %d holds a non-finite value: %v", i, v)
		}
	}
	if len(n.XMean) != len(n.XStd) || len(n.YMean) != len(n.YStd) {
		t.Fatalf("normalisation lengths %d/%d %d/%d", len(n.XMean), len(n.XStd), len(n.YMean), len(n.YStd))
	}
	for _, s := range append(append([]float64(nil), n.XStd...), n.YStd...) {
		if !(s > 0) {
			t.Fatalf("normalisation std %g", s)
		}
	}
}

// FuzzCheckpoint feeds the checkpoint decoder arbitrary bytes, in modes picked by
// mode%4: 0, the bytes as a file; 1, the bytes as the body of a valid frame, so that
// mutations reach the JSON decoding and the checks; 2, as 1, and a checkpoint that is
// accepted is then resumed from by a real run of the tiny MDN; 3, the bytes as JSON laid
// over the golden checkpoint (json.Unmarshal into it: {"Batch":7} changes one field),
// framed, decoded and, if accepted, resumed from, so that the resume sees every
// combination of values the checks let through. Nothing may panic, and an accepted
// checkpoint satisfies checkInvariants and encodes and decodes back to itself.
func FuzzCheckpoint(f *testing.F) {
	golden, err := os.ReadFile(goldenCheckpoint)
	if err != nil {
		f.Fatal(err)
	}
	goldenBody := body(f, golden)
	files := [][]byte{
		golden,
		runCheckpoint(f, tinyConfig(Adam), 0),
		runCheckpoint(f, tinyConfig(Momentum), 5),
		runCheckpoint(f, tinyConfig(SGD), 2),
		runCheckpoint(f, tinyConfig(RMSProp), 3),
	}
	for _, file := range files {
		f.Add(byte(0), file)
		b := body(f, file)
		f.Add(byte(1), b)
		f.Add(byte(2), b)
	}
	for _, b := range []string{
		`{"param_count":-1,"params":[],"solver":{}}`,
		`{"param_count":2,"params":[1],"solver":{}}`,
		`{"param_count":1,"params":[1],"best_params":[1,2],"solver":{}}`,
		`{"param_count":1,"params":["NaN"],"solver":{}}`,
		`{"param_count":1,"params":[1e999],"solver":{}}`,
		`{"param_count":1,"params":[1],"solver":{"iter":-1,"slots":[{"value":[1],"deriv":[]}]}}`,
		`{"param_count":0,"params":[],"solver":{},"normalization":{"XMean":[0],"XStd":[0],"YMean":[],"YStd":[]}}`,
		`{"param_count":0,"params":[],"solver":{},"Epoch":-1,"Batch":-1,"Step":-1}`,
		`{"param_count":0,"params":[],"solver":null}`,
		`{"param_count":100000000,"params":[` + strings.Repeat("0,", 4095) + `0],"solver":{}}`,
		`{"param_count":0,"params":[],"solver":{},"history":[{"epoch":1,"val_nll":null}]}`,
		`{"param_count":0,"params":[],"solver":{},"bogus":1}`,
		`null`,
	} {
		f.Add(byte(1), []byte(b))
	}
	for _, b := range []string{
		`{}`,
		`{"Epoch":0,"Batch":0,"Step":0,"best_epoch":0,"best_params":null,"solver":{"iter":0}}`,
		`{"Epoch":9,"Batch":2,"Step":30,"best_epoch":9}`,
		`{"Batch":3,"acc":{"rows":0,"steps":0}}`,
		`{"Batch":1000000,"Step":1000000}`,
		`{"Epoch":9223372036854775807,"Step":9223372036854775807}`,
		`{"Step":9223372036854775807,"solver":{"iter":9223372036854775807}}`,
		`{"config":{"solver":"sgd"},"solver":{"iter":0,"slots":[]}}`,
		`{"config":{"solver":"momentum"}}`,
		`{"solver":{"slots":[{"value":null,"deriv":null}]}}`,
		`{"normalization":{"XMean":[1e300],"XStd":[1e-300],"YMean":[-1e300],"YStd":[1e300]}}`,
		`{"params":[1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300]}`,
		`{"best_val":-1e308,"elapsed_seconds":1e308,"acc":{"cost_sum":1e308,"rows":1,"steps":1}}`,
		`{"history":[]}`,
	} {
		f.Add(byte(3), []byte(b))
	}
	d := tinyData()
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, mode byte, data []byte) {
		file := data
		switch mode % 4 {
		case 1, 2:
			file = frame(t, data)
		case 3:
			var c checkpoint
			if err := json.Unmarshal(goldenBody, &c); err != nil {
				t.Fatal(err)
			}
			if json.Unmarshal(data, &c) != nil {
				return
			}
			b, err := json.Marshal(&c)
			if err != nil {
				return // a NaN in the history
			}
			file = frame(t, b)
		}
		c, err := decodeCheckpoint(file, "fuzz.ckpt")
		if err != nil {
			if c != nil {
				t.Fatalf("a checkpoint and an error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "train: checkpoint fuzz.ckpt: ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one line naming the file", err)
			}
			return
		}
		checkInvariants(t, c)
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("an accepted checkpoint does not encode: %v", err)
		}
		c2, err := decodeCheckpoint(frame(t, again), "fuzz.ckpt")
		if err != nil {
			t.Fatalf("an accepted checkpoint, encoded again, is refused: %v", err)
		}
		if twice, _ := json.Marshal(c2); !bytes.Equal(again, twice) {
			t.Fatalf("encode/decode changed the checkpoint:\n%s\n%s", again, twice)
		}
		if mode%4 < 2 {
			return
		}
		path := filepath.Join(dir, "resume.ckpt")
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := tinyConfig(c.Config.Solver)
		if _, err := ParseSolver(string(cfg.Solver)); err != nil {
			cfg.Solver = Adam
		}
		cfg.Epochs = min(c.Epoch, 3) + 1
		cfg.Resume = path
		// The run writes a checkpoint of its own: what it accepted must encode.
		cfg.CheckpointPath = filepath.Join(dir, "next.ckpt")
		// Errors are expected (another model, solver or position); panics are not, nor
		// a state the run cannot checkpoint again.
		if _, err := Run(context.Background(), tinyMDN(t), d, cfg); err != nil && strings.Contains(err.Error(), "encoding the checkpoint") {
			t.Fatalf("resumed from %s: %v", file, err)
		}
	})
}

// A run that stopped early is over: resumed from its final checkpoint, Run ends at once
// with the same result and weights instead of training on.
func TestResumeAfterEarlyStop(t *testing.T) {
	cfg := tinyConfig(Adam)
	cfg.Epochs, cfg.Patience = 400, 2
	cfg.CheckpointPath = filepath.Join(t.TempDir(), "run.ckpt")
	m := tinyMDN(t)
	res, err := Run(context.Background(), m, tinyData(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != EarlyStopping {
		t.Fatalf("the run %v after %d epochs; the test needs an early stop", res.Stopped, res.Epochs)
	}
	cfg.Resume = cfg.CheckpointPath
	m2 := tinyMDN(t)
	res2, err := Run(context.Background(), m2, tinyData(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Stopped != EarlyStopping || res2.Epochs != res.Epochs || res2.Steps != res.Steps || res2.BestEpoch != res.BestEpoch || res2.ValNLL != res.ValNLL {
		t.Fatalf("resumed: %v after %d epochs, %d steps, best %d, validation %g; the run: %v, %d, %d, %d, %g",
			res2.Stopped, res2.Epochs, res2.Steps, res2.BestEpoch, res2.ValNLL, res.Stopped, res.Epochs, res.Steps, res.BestEpoch, res.ValNLL)
	}
	a, b := m.Params().Flatten(nil), m2.Params().Flatten(nil)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("parameter %d: %v resumed, %v in the run", i, b[i], a[i])
		}
	}
}

// ResumeData continues from a checkpoint's bytes exactly as Resume does from its file,
// to the weights of a run never interrupted; both at once are refused, and bad bytes are
// an error before anything changes.
func TestResumeData(t *testing.T) {
	cfg := tinyConfig(Adam)
	whole := tinyMDN(t)
	if _, err := Run(context.Background(), whole, tinyData(), cfg); err != nil {
		t.Fatal(err)
	}
	file := runCheckpoint(t, cfg, 4)
	path := filepath.Join(t.TempDir(), "c.ckpt")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	fromFile, fromData := cfg, cfg
	fromFile.Resume, fromData.ResumeData = path, file
	want := whole.Params().Flatten(nil)
	for name, c := range map[string]Config{"Resume": fromFile, "ResumeData": fromData} {
		m := tinyMDN(t)
		res, err := Run(context.Background(), m, tinyData(), c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.History[0].Epoch != 1 || res.Steps != 9 {
			t.Errorf("%s: %d steps, history from epoch %d", name, res.Steps, res.History[0].Epoch)
		}
		for i, v := range m.Params().Flatten(nil) {
			if v != want[i] {
				t.Fatalf("%s: parameter %d is %v, the uninterrupted run's %v", name, i, v, want[i])
			}
		}
	}
	both := fromFile
	both.ResumeData = file
	if _, err := Run(context.Background(), tinyMDN(t), tinyData(), both); err == nil || !strings.Contains(err.Error(), "both Resume and ResumeData") {
		t.Errorf("both set: %v", err)
	}
	bad := cfg
	bad.ResumeData = file[:len(file)-3]
	m := tinyMDN(t)
	before := m.Params().Flatten(nil)
	if _, err := Run(context.Background(), m, tinyData(), bad); !errors.Is(err, ErrBadCheckpoint) || !strings.Contains(err.Error(), "(Config.ResumeData)") {
		t.Errorf("truncated ResumeData: %v", err)
	}
	for i, v := range m.Params().Flatten(nil) {
		if v != before[i] {
			t.Fatalf("truncated ResumeData changed parameter %d", i)
		}
	}
}

// ReadCheckpointPosition says how far a checkpoint's run got: part-way, run to its
// end, or stopped early; and refuses what is not a checkpoint.
func TestReadCheckpointPosition(t *testing.T) {
	cfg := tinyConfig(Adam)
	part, err := ReadCheckpointPosition(runCheckpoint(t, cfg, 4))
	if err != nil || part != (CheckpointPosition{Epochs: 1, Steps: 4, BestEpoch: 1}) {
		t.Errorf("stopped at step 4: %+v, %v", part, err)
	}
	whole, err := ReadCheckpointPosition(runCheckpoint(t, cfg, 0))
	if err != nil || whole.Steps != 9 || whole.Epochs != 3 || !whole.Finished {
		t.Errorf("run to the end: %+v, %v", whole, err)
	}
	byStep := cfg
	byStep.Steps = 5
	steps, err := ReadCheckpointPosition(runCheckpoint(t, byStep, 0))
	if err != nil || steps.Steps != 5 || !steps.Finished {
		t.Errorf("run for 5 steps: %+v, %v", steps, err)
	}
	early := cfg
	early.Epochs, early.Patience = 400, 2
	e, err := ReadCheckpointPosition(runCheckpoint(t, early, 0))
	if err != nil || !e.Finished || e.Epochs >= 400 {
		t.Errorf("stopped early: %+v, %v", e, err)
	}
	if _, err := ReadCheckpointPosition([]byte("junk\n")); !errors.Is(err, ErrBadCheckpoint) {
		t.Error("junk read as a checkpoint")
	}
}
