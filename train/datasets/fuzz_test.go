package datasets

import (
	"bytes"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// fuzzSeeds are the seed corpus of both fuzz targets: the cases the reader has to get
// right, with column selections (comma-separated, as the commands take them; "" is the
// default).
var fuzzSeeds = []struct{ text, x, y string }{
	{"x,y\n1,2\n3,4\n", "", ""},
	{"a, b ,c\n1,2,3\n\n4,5,6\n", "c", "a"},
	{"a,b,c\n1,2,3\n", "0,2", "b"},
	{"\ufeffx,y\n1,2\n", "", ""},           // byte-order mark
	{"\ufeff\ufeffx,y\n1,2\n", "", ""},     // two of them: the second is part of the name
	{"x,y\r1,2\r3,4\r", "", ""},            // CR line endings
	{"x,y\r\n1,2\r\n3,4\r\n", "", ""},      // CRLF
	{"x,y\r\n1,2\r3,4\n\r\n", "", ""},      // mixed
	{"a,b\n1,\"2\n", "", ""},               // unterminated quote
	{"a,b\n\"1,2\n", "", ""},               // unterminated quote in the first field
	{"a,\"b\n1,2\n", "", ""},               // unterminated quote in the header
	{"a,b\n1,2\"x\n", "", ""},              // bare quote
	{"x,x,y\n1,2,3\n", "", ""},             // repeated name, used
	{"x,a,a,y\n1,2,3,4\n", "x", "y"},       // repeated name, not used
	{"x,,y\n1,2,3\n", "", ""},              // empty name, used
	{"x,,y\n1,2,3\n", "x", ""},             // empty name, not used
	{"0.5,1.2\n1,2\n", "", ""},             // no header
	{"x,y\n1,1e999\n", "", ""},             // out of range
	{"x,y\n-1e400,1\n", "", ""},            // out of range
	{"x,y\n1e-400,1\n", "", ""},            // underflows to 0: fine
	{"x,y\nNaN,1\n", "", ""},               // not finite
	{"x,y\n1,inf\n", "", ""},               // not finite
	{"a,b,c\n1,2,3\n4,5\n", "", ""},        // ragged
	{"", "", ""},                           // empty
	{"\n \n\r\n", "", ""},                  // blank
	{"x,y\n", "", ""},                      // no rows
	{"x,y\n\n1,2\n \n\n3,4\n\n", "", ""},   // blank lines
	{"x,y\n\"1\n\",\"2\r\n\"\n", "", ""},   // quoted newlines in cells
	{"x,\"y\nz\"\n1,2\n", "", "y\nz"},      // quoted newline in a name
	{"x,\"a\"\"b\"\n1,2\n", "", ""},        // escaped quote
	{"x,y\n1,2\n", "z", "q"},               // no such columns
	{"x,y\n1,2\n", "x,x", "y"},             // selected twice
	{"x,y\n1,2\n", "x", "x"},               // input and target
	{"x,y\n1,2\n", "-1", "7"},              // indexes out of range
	{"x\n1\n", "", ""},                     // no input columns left
	{"x,y\n0x1p-2,1_0\n", "", ""},          // forms ParseFloat takes
	{"x,y\n1,2\n", "", "\x00"},             // odd selection
	{"\xff\xfe,y\n1,2\n", "", ""},          // not UTF-8
	{"x,y\n1,\"\"2\n", "", ""},             // quote in the middle
	{" \"x\" , y\n 1 , \" 2 \"\n", "", ""}, // spaces around quotes
}

// FuzzReadCSV feeds ReadCSV arbitrary bytes and selections and checks that it never
// panics, that a set it returns is whole and finite, that an error is one line starting
// "datasets: ", and that the result does not change with the line endings, a byte-order
// mark or the size of the reads.
func FuzzReadCSV(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s.text), s.x, s.y)
	}
	f.Fuzz(func(t *testing.T, text []byte, x, y string) {
		xs, ys := selections(x), selections(y)
		s, err := ReadCSV(bytes.NewReader(text), xs, ys)
		if err != nil {
			checkError(t, err)
		} else {
			checkSet(t, s)
		}
		for name, r := range variants(text) {
			s2, err2 := ReadCSV(r, xs, ys)
			if errString(err2) != errString(err) || !reflect.DeepEqual(s2, s) {
				t.Errorf("%s: got %+v, %v; read as given: %+v, %v", name, s2, err2, s, err)
			}
		}
	})
}

// FuzzReadColumnsCSV is FuzzReadCSV for ReadColumnsCSV.
func FuzzReadColumnsCSV(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s.text), s.x)
	}
	f.Fuzz(func(t *testing.T, text []byte, cols string) {
		cs := selections(cols)
		names, rows, err := ReadColumnsCSV(bytes.NewReader(text), cs)
		if err != nil {
			checkError(t, err)
			if names != nil || rows != nil {
				t.Errorf("error %q with names %q and %d values", err, names, len(rows))
			}
		} else {
			checkNames(t, names)
			if len(rows) == 0 || len(rows)%len(names) != 0 {
				t.Errorf("%d values for %d columns", len(rows), len(names))
			}
			if len(cs) > 0 && len(names) != len(cs) {
				t.Errorf("%d columns selected, %d read", len(cs), len(names))
			}
			checkFinite(t, rows)
		}
		for name, r := range variants(text) {
			names2, rows2, err2 := ReadColumnsCSV(r, cs)
			if errString(err2) != errString(err) || !reflect.DeepEqual(names2, names) || !reflect.DeepEqual(rows2, rows) {
				t.Errorf("%s: got %q %v, %v; read as given: %q %v, %v", name, names2, rows2, err2, names, rows, err)
			}
		}
	})
}

// selections splits a fuzzed selection as the commands do; "" is no selection.
func selections(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// variants returns readers of text that must read the same as text itself: one byte a
// read, with a byte-order mark put in front, and, when text has no CR, with CRLF and
// with CR line endings.
func variants(text []byte) map[string]io.Reader {
	v := map[string]io.Reader{"one byte a read": iotest.OneByteReader(bytes.NewReader(text))}
	if !bytes.HasPrefix(text, utf8BOM[:]) {
		v["with a byte-order mark"] = bytes.NewReader(append(utf8BOM[:], text...))
	}
	if !bytes.ContainsRune(text, '\r') {
		v["CRLF"] = bytes.NewReader(bytes.ReplaceAll(text, []byte("\n"), []byte("\r\n")))
		v["CR"] = bytes.NewReader(bytes.ReplaceAll(text, []byte("\n"), []byte("\r")))
	}
	return v
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func checkError(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "datasets: ") || strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error %q: want one line starting %q", msg, "datasets: ")
	}
}

func checkSet(t *testing.T, s *Set) {
	t.Helper()
	if s.N < 1 || s.XDim < 1 || s.YDim < 1 || len(s.X) != s.N*s.XDim || len(s.Y) != s.N*s.YDim ||
		len(s.XNames) != s.XDim || len(s.YNames) != s.YDim {
		t.Fatalf("N=%d XDim=%d YDim=%d with %d and %d values, names %q and %q",
			s.N, s.XDim, s.YDim, len(s.X), len(s.Y), s.XNames, s.YNames)
	}
	checkNames(t, append(append([]string(nil), s.XNames...), s.YNames...))
	checkFinite(t, s.X)
	checkFinite(t, s.Y)
	if err := s.Validate(); err != nil {
		t.Error(err)
	}
}

// checkNames checks that names are non-empty, distinct and trimmed.
func checkNames(t *testing.T, names []string) {
	t.Helper()
	if len(names) == 0 {
		t.Errorf("no columns")
	}
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || seen[n] || strings.TrimSpace(n) != n {
			t.Errorf("names %q: want distinct, non-empty and trimmed", names)
		}
		seen[n] = true
	}
}

func checkFinite(t *testing.T, v []float64) {
	t.Helper()
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Errorf("value %d is %g", i, x)
		}
	}
}
