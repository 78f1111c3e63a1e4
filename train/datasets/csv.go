package datasets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxColumns is the most columns a CSV header may have; a wider header is refused
// before any data row is read.
const MaxColumns = 10000

// MaxLineBytes is the longest record a CSV may hold, in bytes (after line endings are
// made LF, not counting the LF that ends it): one line, or all the lines a quoted field
// spans. A longer record is refused as soon as it passes the limit, before it is held
// in memory whole.
const MaxLineBytes = 1 << 20

// ReadCSVFile reads a CSV file; see ReadCSV.
func ReadCSVFile(path string, xCols, yCols []string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
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
// every column not in yCols. Every column used must have a non-empty name that appears
// once in the header, and every cell in it must be a finite number. Errors are one line
// and name the 1-based line and the column; the package documentation lists what is
// refused and the size limits.
func ReadCSV(r io.Reader, xCols, yCols []string) (*Set, error) {
	cr := newCSVReader(r)
	h, err := readHeader(cr)
	if err != nil {
		return nil, err
	}
	if len(yCols) == 0 {
		yCols = []string{strconv.Itoa(len(h.names) - 1)}
	}
	yIdx, err := h.resolve(yCols)
	if err != nil {
		return nil, err
	}
	isY := make([]bool, len(h.names))
	for _, j := range yIdx {
		isY[j] = true
	}
	var xIdx []int
	if len(xCols) == 0 {
		for j := range h.names {
			if !isY[j] {
				xIdx = append(xIdx, j)
			}
		}
		if len(xIdx) == 0 {
			if sep := otherSeparator(h.names); sep != "" {
				return nil, fmt.Errorf("datasets: the header %q is one column: the file must be comma-separated, not %q-separated", h.names[0], sep)
			}
			if len(h.names) == 1 {
				return nil, fmt.Errorf("datasets: no input columns left (the header has one column, the target)")
			}
			return nil, fmt.Errorf("datasets: no input columns left (the header has %d columns, all used as targets)", len(h.names))
		}
	} else if xIdx, err = h.resolve(xCols); err != nil {
		return nil, err
	}
	for _, j := range xIdx {
		if isY[j] {
			return nil, fmt.Errorf("datasets: column %s is both an input and a target", quote(h.names[j]))
		}
	}
	if err := h.checkNames(yIdx); err != nil {
		return nil, err
	}
	if err := h.checkNames(xIdx); err != nil {
		return nil, err
	}
	s := &Set{XDim: len(xIdx), YDim: len(yIdx), XNames: h.pick(xIdx), YNames: h.pick(yIdx)}
	n, err := readNumbers(cr, h.names, [][]int{xIdx, yIdx}, []*[]float64{&s.X, &s.Y})
	if err != nil {
		return nil, err
	}
	s.N = n
	return s, nil
}

// ReadColumnsCSV reads the chosen columns (by header name or 0-based index; all columns
// when cols is empty) of a CSV with a header row. Every column read must have a
// non-empty name that appears once in the header, and every cell in it must be a finite
// number. It returns the column names and the rows, row-major. Errors are as ReadCSV's.
func ReadColumnsCSV(r io.Reader, cols []string) (names []string, rows []float64, err error) {
	cr := newCSVReader(r)
	h, err := readHeader(cr)
	if err != nil {
		return nil, nil, err
	}
	var idx []int
	if len(cols) == 0 {
		idx = make([]int, len(h.names))
		for j := range idx {
			idx[j] = j
		}
	} else if idx, err = h.resolve(cols); err != nil {
		return nil, nil, err
	}
	if err := h.checkNames(idx); err != nil {
		return nil, nil, err
	}
	if _, err := readNumbers(cr, h.names, [][]int{idx}, []*[]float64{&rows}); err != nil {
		return nil, nil, err
	}
	return h.pick(idx), rows, nil
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(newLineReader(r))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	return cr
}

// readError turns an error from csv.Reader.Read into one line that starts with "datasets: "
// and names the place.
func readError(err error) error {
	var long *recordTooLongError
	if errors.As(err, &long) {
		return long
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.StartLine != pe.Line {
			return fmt.Errorf("datasets: line %d, column %d: %w (the record starts on line %d)", pe.Line, pe.Column, pe.Err, pe.StartLine)
		}
		return fmt.Errorf("datasets: line %d, column %d: %w", pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("datasets: %w", err)
}

// blank reports whether a record is a line of nothing but spaces.
func blank(rec []string) bool {
	return len(rec) == 1 && strings.TrimSpace(rec[0]) == ""
}

// header is a CSV's header row.
type header struct {
	names  []string         // trimmed, in file order
	byName map[string][]int // the 0-based positions of each name
}

// readHeader reads the first non-blank row and checks that it can be a header: at most
// MaxColumns columns, not all numbers.
func readHeader(cr *csv.Reader) (*header, error) {
	sawBlank := false
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			if sawBlank {
				return nil, errors.New("datasets: the file has only blank lines (want a header row and data rows)")
			}
			return nil, errors.New("datasets: the file is empty (want a header row and data rows)")
		}
		if err != nil {
			return nil, readError(err)
		}
		if blank(rec) {
			sawBlank = true
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) > MaxColumns {
			return nil, fmt.Errorf("datasets: the header (line %d) has %d columns, more than the %d allowed", line, len(rec), MaxColumns)
		}
		h := &header{names: rec, byName: make(map[string][]int, len(rec))}
		numbers := true
		for j := range rec {
			rec[j] = strings.TrimSpace(rec[j])
			h.byName[rec[j]] = append(h.byName[rec[j]], j)
			if numbers {
				_, fault := parseCell(rec[j])
				numbers = fault == cellOK || fault == cellRange
			}
		}
		if numbers {
			return nil, fmt.Errorf("datasets: the CSV needs a header row (the first row, line %d, is all numbers: %s)", line, quoteList(rec, 5))
		}
		return h, nil
	}
}

// resolve turns column selections, each a header name or else a 0-based index, into
// 0-based positions. The first column of a name is taken; checkNames refuses repeated
// names.
func (h *header) resolve(cols []string) ([]int, error) {
	idx := make([]int, 0, min(len(cols), len(h.names)))
	taken := make([]bool, len(h.names))
	for _, c := range cols {
		c = strings.TrimSpace(c)
		j := -1
		if at, ok := h.byName[c]; ok {
			j = at[0]
		} else if n, err := strconv.Atoi(c); err == nil {
			if n < 0 || n >= len(h.names) {
				return nil, fmt.Errorf("datasets: column index %d out of range (the header has %d columns)", n, len(h.names))
			}
			j = n
		}
		if j < 0 {
			if sep := otherSeparator(h.names); sep != "" {
				return nil, fmt.Errorf("datasets: no column %s: the header %s is one column: the file must be comma-separated, not %q-separated", quote(c), quote(h.names[0]), sep)
			}
			return nil, fmt.Errorf("datasets: no column %s (columns are %s)", quote(c), quoteList(h.names, 10))
		}
		if taken[j] {
			return nil, fmt.Errorf("datasets: column %s selected twice", quote(h.names[j]))
		}
		taken[j] = true
		idx = append(idx, j)
	}
	return idx, nil
}

// checkNames refuses a used column whose name is empty or appears more than once.
func (h *header) checkNames(idx []int) error {
	for _, j := range idx {
		name := h.names[j]
		if name == "" {
			return fmt.Errorf("datasets: column %d has an empty name in the header", j+1)
		}
		at := h.byName[name]
		switch {
		case len(at) == 2:
			return fmt.Errorf("datasets: column name %s appears twice in the header (columns %d and %d)", quote(name), at[0]+1, at[1]+1)
		case len(at) > 2:
			pos := make([]string, len(at))
			for k, a := range at {
				pos[k] = strconv.Itoa(a + 1)
			}
			if len(pos) > 10 {
				pos = append(pos[:8], "...", pos[len(pos)-1])
			}
			return fmt.Errorf("datasets: column name %s appears %d times in the header (columns %s and %s)",
				quote(name), len(at), strings.Join(pos[:len(pos)-1], ", "), pos[len(pos)-1])
		}
	}
	return nil
}

// pick returns the names of the columns idx.
func (h *header) pick(idx []int) []string {
	names := make([]string, len(idx))
	for k, j := range idx {
		names[k] = h.names[j]
	}
	return names
}

// readNumbers reads the data rows, appending the cells of columns idx[i] to *dst[i], and
// returns the number of rows. Blank lines are skipped; a ragged row or a cell that is
// not a finite number is an error naming the line and column.
func readNumbers(cr *csv.Reader, header []string, idx [][]int, dst []*[]float64) (int, error) {
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, readError(err)
		}
		if blank(rec) {
			continue
		}
		if len(rec) != len(header) {
			line, _ := cr.FieldPos(0)
			return 0, fmt.Errorf("datasets: line %d: %d fields, header has %d", line, len(rec), len(header))
		}
		for i, cols := range idx {
			for _, j := range cols {
				v, fault := parseCell(rec[j])
				if fault != cellOK {
					line, _ := cr.FieldPos(j)
					return 0, fmt.Errorf("datasets: line %d, column %s: %s", line, quote(header[j]), fault.describe(rec[j]))
				}
				*dst[i] = append(*dst[i], v)
			}
		}
		n++
	}
	if n == 0 {
		return 0, errors.New("datasets: no data rows after the header")
	}
	return n, nil
}

// A cellFault is what is wrong with a cell that should hold a finite number.
type cellFault int

const (
	cellOK        cellFault = iota
	cellEmpty               // nothing but spaces
	cellNaN                 // not a number at all
	cellRange               // a number whose magnitude is too large for a float64
	cellNotFinite           // "NaN", "Inf", "infinity" and the like
)

// otherSeparator returns the separator (";", a tab or "|") of a header read as one
// column because the file separates its values with that instead of commas; "" for any
// other header.
func otherSeparator(names []string) string {
	if len(names) != 1 {
		return ""
	}
	for _, sep := range []string{";", "\t", "|"} {
		if strings.Contains(names[0], sep) {
			return sep
		}
	}
	return ""
}

// parseCell parses a cell, spaces around it ignored, as a finite float64.
func parseCell(cell string) (float64, cellFault) {
	cell = strings.TrimSpace(cell)
	if cell == "" {
		return 0, cellEmpty
	}
	v, err := strconv.ParseFloat(cell, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0):
		return 0, cellRange
	case err != nil:
		return 0, cellNaN
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, cellNotFinite
	}
	return v, cellOK
}

// describe says what is wrong with a cell, for an error message.
func (f cellFault) describe(cell string) string {
	cell = strings.TrimSpace(cell)
	switch f {
	case cellEmpty:
		return "the cell is empty (want a number)"
	case cellRange:
		return quote(cell) + " is out of range for a float64"
	case cellNotFinite:
		return quote(cell) + " is not a finite number"
	}
	return quote(cell) + " is not a number"
}

// maxQuoted is the most bytes of a name or cell an error message shows.
const maxQuoted = 64

// quote quotes s for an error message (one line whatever s holds), cut to its first
// maxQuoted bytes.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for k := 0; k < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(s[cut]); k++ {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// quoteList quotes the first max strings of s, comma-separated, and says how many there
// are in all if that is more.
func quoteList(s []string, max int) string {
	var b strings.Builder
	for k, v := range s {
		if k == max {
			fmt.Fprintf(&b, ", ... (%d in all)", len(s))
			break
		}
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(v))
	}
	return b.String()
}
