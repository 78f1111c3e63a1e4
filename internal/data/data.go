// Package data reads and generates the datasets mixgraph trains on: CSV files with
// errors that name the line and column at fault, the built-in benchmark problems
// (Bishop's inverse problem, the wider sine variant, Old Faithful) and train/validation
// splits. Every generator is deterministic in its seed.
package data

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Set is a dataset of N rows: inputs X (N×XDim) and targets Y (N×YDim), row-major.
type Set struct {
	X, Y       []float64
	N          int
	XDim, YDim int
	XNames     []string
	YNames     []string
}

// Row returns row i's input and target (slices of the set's own storage).
func (s *Set) Row(i int) (x, y []float64) {
	return s.X[i*s.XDim : (i+1)*s.XDim], s.Y[i*s.YDim : (i+1)*s.YDim]
}

// Rows returns the inputs and targets as one slice per row (copies).
func (s *Set) Rows() (x, y [][]float64) {
	x, y = make([][]float64, s.N), make([][]float64, s.N)
	for i := 0; i < s.N; i++ {
		xi, yi := s.Row(i)
		x[i], y[i] = append([]float64(nil), xi...), append([]float64(nil), yi...)
	}
	return x, y
}

// Subset returns a new set holding copies of the rows idx, in that order.
func (s *Set) Subset(idx []int) *Set {
	out := &Set{N: len(idx), XDim: s.XDim, YDim: s.YDim, XNames: s.XNames, YNames: s.YNames,
		X: make([]float64, 0, len(idx)*s.XDim), Y: make([]float64, 0, len(idx)*s.YDim)}
	for _, i := range idx {
		x, y := s.Row(i)
		out.X = append(out.X, x...)
		out.Y = append(out.Y, y...)
	}
	return out
}

// Validate checks the lengths and that every value is finite; an error names the row and
// column.
func (s *Set) Validate() error {
	if s.XDim < 1 || s.YDim < 1 {
		return fmt.Errorf("data: %d input and %d target columns (want at least one each)", s.XDim, s.YDim)
	}
	if len(s.X) != s.N*s.XDim || len(s.Y) != s.N*s.YDim {
		return fmt.Errorf("data: %d rows need %d input and %d target values, have %d and %d", s.N, s.N*s.XDim, s.N*s.YDim, len(s.X), len(s.Y))
	}
	for i := 0; i < s.N; i++ {
		x, y := s.Row(i)
		for j, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("data: row %d, input column %s is %g", i, name(s.XNames, j, "x"), v)
			}
		}
		for j, v := range y {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("data: row %d, target column %s is %g", i, name(s.YNames, j, "y"), v)
			}
		}
	}
	return nil
}

func name(names []string, j int, prefix string) string {
	if j < len(names) {
		return strconv.Quote(names[j])
	}
	return fmt.Sprintf("%s%d", prefix, j)
}

// Split shuffles the rows with rng and returns the first (1−frac)·N as the training set
// and the rest as the validation set. frac = 0 returns the whole set and a nil
// validation set; otherwise both sides must be non-empty.
func Split(s *Set, frac float64, rng *rand.Rand) (train, val *Set, err error) {
	if !(frac >= 0 && frac < 1) {
		return nil, nil, fmt.Errorf("data: validation fraction %g (want 0 ≤ f < 1)", frac)
	}
	if frac == 0 {
		return s, nil, nil
	}
	nVal := int(math.Round(frac * float64(s.N)))
	if nVal < 1 || nVal >= s.N {
		return nil, nil, fmt.Errorf("data: a validation fraction of %g of %d rows leaves %d for validation and %d for training (both must be at least 1)", frac, s.N, nVal, s.N-nVal)
	}
	perm := rng.Perm(s.N)
	return s.Subset(perm[nVal:]), s.Subset(perm[:nVal]), nil
}

// ReadCSVFile reads a CSV file; see ReadCSV.
func ReadCSVFile(path string, xCols, yCols []string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	s, err := ReadCSV(f, xCols, yCols)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ReadCSV reads a CSV with a header row. xCols and yCols select columns by header name
// or by 0-based index ("0", "2"). Empty yCols means the last column; empty xCols means
// every column not in yCols. Every cell must be a finite number. Errors name the 1-based
// line and the column.
func ReadCSV(r io.Reader, xCols, yCols []string) (*Set, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := readHeader(cr)
	if err != nil {
		return nil, err
	}
	if len(yCols) == 0 {
		yCols = []string{strconv.Itoa(len(header) - 1)}
	}
	yIdx, err := resolve(header, yCols)
	if err != nil {
		return nil, err
	}
	var xIdx []int
	if len(xCols) == 0 {
		for j := range header {
			if !contains(yIdx, j) {
				xIdx = append(xIdx, j)
			}
		}
		if len(xIdx) == 0 {
			return nil, fmt.Errorf("data: no input columns left (the header has %d columns, all used as targets)", len(header))
		}
	} else if xIdx, err = resolve(header, xCols); err != nil {
		return nil, err
	}
	for _, j := range xIdx {
		if contains(yIdx, j) {
			return nil, fmt.Errorf("data: column %q is both an input and a target", header[j])
		}
	}
	s := &Set{XDim: len(xIdx), YDim: len(yIdx)}
	for _, j := range xIdx {
		s.XNames = append(s.XNames, header[j])
	}
	for _, j := range yIdx {
		s.YNames = append(s.YNames, header[j])
	}
	n, err := readNumbers(cr, header, [][]int{xIdx, yIdx}, []*[]float64{&s.X, &s.Y})
	if err != nil {
		return nil, err
	}
	s.N = n
	return s, nil
}

// ReadColumnsCSV reads the chosen columns (by header name or 0-based index; all columns
// when cols is empty) of a CSV with a header row, every cell a finite number. It returns
// the column names and the rows, row-major.
func ReadColumnsCSV(r io.Reader, cols []string) (names []string, rows []float64, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := readHeader(cr)
	if err != nil {
		return nil, nil, err
	}
	var idx []int
	if len(cols) == 0 {
		for j := range header {
			idx = append(idx, j)
		}
	} else if idx, err = resolve(header, cols); err != nil {
		return nil, nil, err
	}
	for _, j := range idx {
		names = append(names, header[j])
	}
	if _, err := readNumbers(cr, header, [][]int{idx}, []*[]float64{&rows}); err != nil {
		return nil, nil, err
	}
	return names, rows, nil
}

func readHeader(cr *csv.Reader) ([]string, error) {
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data: the file is empty (want a header row and data rows)")
	}
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	return header, nil
}

// readNumbers reads the data rows, appending the cells of columns idx[i] to *dst[i], and
// returns the number of rows. Blank lines are skipped; a ragged row or a cell that is
// not a finite number is an error naming the line and column.
func readNumbers(cr *csv.Reader, header []string, idx [][]int, dst []*[]float64) (int, error) {
	n := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return 0, fmt.Errorf("data: %w", err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			return 0, fmt.Errorf("data: line %d: %d fields, header has %d", line, len(rec), len(header))
		}
		for i, cols := range idx {
			for _, j := range cols {
				cell := strings.TrimSpace(rec[j])
				v, err := strconv.ParseFloat(cell, 64)
				if err != nil {
					return 0, fmt.Errorf("data: line %d, column %q: %q is not a number", line, header[j], cell)
				}
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return 0, fmt.Errorf("data: line %d, column %q: %q is not a finite number", line, header[j], cell)
				}
				*dst[i] = append(*dst[i], v)
			}
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("data: no data rows after the header")
	}
	return n, nil
}

func resolve(header, cols []string) ([]int, error) {
	var idx []int
	for _, c := range cols {
		c = strings.TrimSpace(c)
		j := -1
		for k, h := range header {
			if h == c {
				j = k
				break
			}
		}
		if j < 0 {
			if n, err := strconv.Atoi(c); err == nil {
				if n < 0 || n >= len(header) {
					return nil, fmt.Errorf("data: column index %d out of range (the header has %d columns)", n, len(header))
				}
				j = n
			}
		}
		if j < 0 {
			return nil, fmt.Errorf("data: no column %q (columns are %s)", c, strings.Join(quoteAll(header), ", "))
		}
		if contains(idx, j) {
			return nil, fmt.Errorf("data: column %q selected twice", header[j])
		}
		idx = append(idx, j)
	}
	return idx, nil
}

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return q
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x64617461)) }

// Bishop returns n points of Bishop's inverse problem (Bishop 1994): t ~ U(0,1),
// x = t + 0.3 sin(2πt) + ε with ε ~ U(−0.1, 0.1); the input is x and the target t, which
// has three branches for x near 0.5.
func Bishop(n int, seed uint64) *Set {
	rng := newRand(seed)
	s := &Set{N: n, XDim: 1, YDim: 1, XNames: []string{"x"}, YNames: []string{"t"}}
	for i := 0; i < n; i++ {
		t := rng.Float64()
		eps := 0.2*rng.Float64() - 0.1
		s.X = append(s.X, t+0.3*math.Sin(2*math.Pi*t)+eps)
		s.Y = append(s.Y, t)
	}
	return s
}

// Sine returns n points of the wider sine variant: y ~ U(−10.5, 10.5),
// x = 7 sin(0.75 y) + 0.5 y + N(0, 1); the input is x and the target y.
func Sine(n int, seed uint64) *Set {
	rng := newRand(seed)
	s := &Set{N: n, XDim: 1, YDim: 1, XNames: []string{"x"}, YNames: []string{"y"}}
	for i := 0; i < n; i++ {
		y := 21*rng.Float64() - 10.5
		s.X = append(s.X, 7*math.Sin(0.75*y)+0.5*y+rng.NormFloat64())
		s.Y = append(s.Y, y)
	}
	return s
}

//go:embed faithful.csv
var faithfulCSV []byte

// Faithful returns the 272 Old Faithful eruptions (R's datasets::faithful). With
// inverse false the input is the eruption time and the target the waiting time to the
// next eruption (roughly linear-Gaussian); with inverse true it is the other way round,
// bimodal for mid-range waiting times.
func Faithful(inverse bool) *Set {
	x, y := "eruptions", "waiting"
	if inverse {
		x, y = y, x
	}
	s, err := ReadCSV(bytes.NewReader(faithfulCSV), []string{x}, []string{y})
	if err != nil {
		panic("data: embedded faithful.csv: " + err.Error())
	}
	return s
}

// The built-in datasets' names.
const (
	NameBishop          = "bishop"
	NameSine            = "sine"
	NameFaithful        = "faithful"
	NameFaithfulInverse = "faithful-inverse"
)

// BuiltinNames lists the names Builtin accepts, sorted.
func BuiltinNames() []string {
	n := []string{NameBishop, NameSine, NameFaithful, NameFaithfulInverse}
	sort.Strings(n)
	return n
}

// Builtin returns the training and test sets of a built-in dataset. For bishop and sine,
// n points each, the training set drawn from seed and the test set from seed+1 (n ≤ 0
// means 1000 for bishop and 3000 for sine); for faithful and faithful-inverse, a seeded
// 80/20 split of the 272 rows (n is ignored).
func Builtin(name string, n int, seed uint64) (train, test *Set, err error) {
	switch name {
	case NameBishop:
		if n <= 0 {
			n = 1000
		}
		return Bishop(n, seed), Bishop(n, seed+1), nil
	case NameSine:
		if n <= 0 {
			n = 3000
		}
		return Sine(n, seed), Sine(n, seed+1), nil
	case NameFaithful, NameFaithfulInverse:
		train, test, err := Split(Faithful(name == NameFaithfulInverse), 0.2, newRand(seed))
		return train, test, err
	}
	return nil, nil, fmt.Errorf("data: unknown dataset %q (want one of %s)", name, strings.Join(BuiltinNames(), ", "))
}

// BestNLL returns the lowest expected test NLL per point a model can reach on a built-in
// dataset, where it is known: the conditional entropy H(y|x) of the true density, in
// nats (bishop ≈ −1.28, sine ≈ 1.29; see /shared/BENCHMARKS.md and TestBestNLL, which
// recomputes them by numerical integration).
func BestNLL(name string) (nll float64, ok bool) {
	switch name {
	case NameBishop:
		return -1.28, true
	case NameSine:
		return 1.29, true
	}
	return 0, false
}
