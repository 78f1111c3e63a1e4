package mdn_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixgraph/mixgraph/models/mdn"
	"github.com/mixgraph/mixgraph/train"
)

// The README's library snippet, compiled and run (TestREADMESnippet checks the README
// shows exactly the lines between the markers). Its few epochs keep it fast; the README's
// run of Bishop's problem takes 1500.
func Example_readme() {
	// README begin
	// imports: context, fmt, log, math, math/rand/v2, os, path/filepath,
	// github.com/mixgraph/mixgraph/models/mdn, github.com/mixgraph/mixgraph/train
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	// Bishop's inverse problem: y = t where x = t + 0.3 sin 2πt + noise (three branches).
	var x, y [][]float64
	for range 1000 {
		t := rng.Float64()
		x = append(x, []float64{t + 0.3*math.Sin(2*math.Pi*t) + 0.1*(rng.Float64()-0.5)})
		y = append(y, []float64{t})
	}

	m, err := mdn.New(mdn.Config{InputDim: 1, OutputDim: 1, K: 5, Hidden: []int{24}, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	res, err := train.Run(ctx, m, train.Data{X: x, Y: y}, train.Config{
		BatchSize: 250, Epochs: 30, LearnRate: 0.01, Schedule: train.CosineLR, ValFraction: 0.1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d epochs, validation NLL %.2g\n", res.Epochs, res.ValNLL)
	mix, err := m.Predict([][]float64{{0.5}}) // []mdn.Mixture in original units
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("mode %.1f, 90%% quantile %.1f, log p(0.3) %.1f\n",
		mix[0].Mode()[0], mix[0].Quantile(0.9), mix[0].LogProb([]float64{0.3}))
	draws := mix[0].Sample(rng, 100, 0.5) // 100 draws at temperature 0.5
	fmt.Println(len(draws), "draws")

	dir, err := os.MkdirTemp("", "mdn")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.mdn")
	if err := m.SaveFile(path); err != nil { // atomic
		log.Fatal(err)
	}
	loaded, err := mdn.LoadFile(path) // the same model, bit for bit
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(loaded.Config().K, "components")
	// README end

	// Output:
	// 30 epochs, validation NLL -1.5
	// mode 0.5, 90% quantile 0.8, log p(0.3) -1.0
	// 100 draws
	// 5 components
}

// TestREADMESnippet checks that the README's library snippet (the Go block after the
// line "## Using the library") is exactly Example_readme's body between its markers,
// both with leading tabs read as four spaces and their common indentation removed.
func TestREADMESnippet(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("readme_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	got, err := between(string(readme), "## Using the library\n", "```go\n", "```\n")
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	want, err := between(string(src), "func Example_readme() {\n", "// README begin\n", "// README end\n")
	if err != nil {
		t.Fatalf("readme_example_test.go: %v", err)
	}
	if got, want = dedent(got), dedent(want); got != want {
		t.Errorf("README.md's snippet differs from Example_readme; the snippet should read\n%s", want)
	}
}

// between returns the lines after the first line begin that follows the line after,
// up to the line end.
func between(s, after, begin, end string) (string, error) {
	i := strings.Index(s, after)
	if i < 0 {
		return "", fmt.Errorf("no line %q", strings.TrimSpace(after))
	}
	s = s[i+len(after):]
	for {
		line, rest, ok := strings.Cut(s, "\n")
		if !ok {
			return "", fmt.Errorf("no line %q after %q", strings.TrimSpace(begin), strings.TrimSpace(after))
		}
		s = rest
		if strings.TrimSpace(line)+"\n" == begin {
			break
		}
	}
	var b strings.Builder
	for {
		line, rest, ok := strings.Cut(s, "\n")
		if !ok {
			return "", fmt.Errorf("no line %q after %q", strings.TrimSpace(end), strings.TrimSpace(begin))
		}
		if strings.TrimSpace(line)+"\n" == end {
			return b.String(), nil
		}
		b.WriteString(line + "\n")
		s = rest
	}
}

// dedent reads leading tabs as four spaces, removes the lines' common indentation and
// trailing spaces.
func dedent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	common := -1
	for i, l := range lines {
		body := strings.TrimLeft(l, "\t")
		l = strings.Repeat("    ", len(l)-len(body)) + strings.TrimRight(body, " \t")
		lines[i] = l
		if ind := len(l) - len(strings.TrimLeft(l, " ")); l != "" && (common < 0 || ind < common) {
			common = ind
		}
	}
	for i, l := range lines {
		if len(l) >= common && common > 0 {
			lines[i] = l[common:]
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
