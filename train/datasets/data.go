package datasets

import (
	"bytes"
	_ "embed"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/mixgraph/mixgraph/models"
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

// Normalization returns the set's column statistics as a models.Normalization: for each
// input column j, XMean_j = (1/N) Σ_i x_ij and XStd_j = sqrt((1/N) Σ_i (x_ij − XMean_j)²),
// and likewise YMean and YStd for the targets; a column with zero spread gets standard
// deviation 1, so that it is only centred (models.Fit). n.X and n.Y then standardise
// rows: x' = (x − XMean)/XStd. These are the statistics train.Run sets on a model when it
// trains on exactly this set's rows (with no Config.ValFraction held out, and without
// Config.RawUnits); Run does that itself, so its callers pass raw rows.
func (s *Set) Normalization() models.Normalization {
	return models.Fit(s.X, s.XDim, s.Y, s.YDim)
}

// Validate checks the lengths and that every value is finite; an error names the row and
// column.
func (s *Set) Validate() error {
	if s.XDim < 1 || s.YDim < 1 {
		return fmt.Errorf("datasets: %d input and %d target columns (want at least one each)", s.XDim, s.YDim)
	}
	if len(s.X) != s.N*s.XDim || len(s.Y) != s.N*s.YDim {
		return fmt.Errorf("datasets: %d rows need %d input and %d target values, have %d and %d", s.N, s.N*s.XDim, s.N*s.YDim, len(s.X), len(s.Y))
	}
	for i := 0; i < s.N; i++ {
		x, y := s.Row(i)
		for j, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("datasets: row %d, input column %s is %g", i, name(s.XNames, j, "x"), v)
			}
		}
		for j, v := range y {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("datasets: row %d, target column %s is %g", i, name(s.YNames, j, "y"), v)
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
		return nil, nil, fmt.Errorf("datasets: held-out fraction %g (want 0 ≤ f < 1)", frac)
	}
	if frac == 0 {
		return s, nil, nil
	}
	nVal := int(math.Round(frac * float64(s.N)))
	if nVal < 1 || nVal >= s.N {
		return nil, nil, fmt.Errorf("datasets: holding out %g of %d rows leaves %d held out and %d to train on (want at least 1 each, or a fraction of 0 to hold out none)", frac, s.N, nVal, s.N-nVal)
	}
	perm := rng.Perm(s.N)
	return s.Subset(perm[nVal:]), s.Subset(perm[:nVal]), nil
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
		panic("datasets: embedded faithful.csv: " + err.Error())
	}
	return s
}

// The built-in datasets' names.
const (
	NameBishop          = "bishop"
	NameSine            = "sine"
	NameFaithful        = "faithful"
	NameFaithfulInverse = "faithful-inverse"
	NameRobotArm        = "arm"
)

// BuiltinNames lists the names Builtin accepts, sorted.
func BuiltinNames() []string {
	n := []string{NameBishop, NameSine, NameFaithful, NameFaithfulInverse, NameRobotArm}
	sort.Strings(n)
	return n
}

// Builtin returns the training and test sets of a built-in dataset. For bishop, sine and
// arm (RobotArm), n points each, the training set drawn from seed and the test set from
// seed+1 (n ≤ 0 means 1000 for bishop, 3000 for sine and 2000 for arm); for faithful and
// faithful-inverse, a seeded 80/20 split of the 272 rows (n is ignored).
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
	case NameRobotArm:
		if n <= 0 {
			n = 2000
		}
		return RobotArm(n, seed), RobotArm(n, seed+1), nil
	case NameFaithful, NameFaithfulInverse:
		train, test, err := Split(Faithful(name == NameFaithfulInverse), 0.2, newRand(seed))
		return train, test, err
	}
	return nil, nil, fmt.Errorf("datasets: unknown dataset %q (want one of %s)", name, strings.Join(BuiltinNames(), ", "))
}

// BestNLL returns the lowest expected test NLL per point a model can reach on a built-in
// dataset, where it is known: the conditional entropy H(y|x) of the true density, in
// nats (bishop ≈ −1.28, sine ≈ 1.29; see TestBestNLL, which
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
