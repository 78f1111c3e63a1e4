package datasets

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// csvCase is one input to the CSV readers with the selections to use.
type csvCase struct {
	name string // what the case is, for the test log
	text string
	x, y []string
}

// TestReadCSVMessages checks the whole error message for each kind of bad input.
func TestReadCSVMessages(t *testing.T) {
	long := strings.Repeat("1", MaxLineBytes)
	cases := []struct {
		csvCase
		want string
	}{
		{csvCase{name: "unterminated quote", text: "a,b\n1,\"2\n"},
			`datasets: line 2, column 6: extraneous or missing " in quoted-field`},
		{csvCase{name: "unterminated quote in the first field", text: "a,b\n\"1,2\n"},
			`datasets: line 2, column 6: extraneous or missing " in quoted-field`},
		{csvCase{name: "unterminated quote over lines", text: "a,b\n1,2\n3,\"4\n5,6\n"},
			`datasets: line 4, column 5: extraneous or missing " in quoted-field (the record starts on line 3)`},
		{csvCase{name: "unterminated quote in the header", text: "a,\"b\n1,2\n"},
			`datasets: line 2, column 5: extraneous or missing " in quoted-field (the record starts on line 1)`},
		{csvCase{name: "bare quote", text: "a,b\n1,2\"x\n"},
			`datasets: line 2, column 4: bare " in non-quoted-field`},
		{csvCase{name: "stray quote after a quoted field", text: "a,b\n1,\"2\"x\n"},
			`datasets: line 2, column 5: extraneous or missing " in quoted-field`},
		{csvCase{name: "duplicate input", text: "x,x,y\n1,2,3\n"},
			`datasets: column name "x" appears twice in the header (columns 1 and 2)`},
		{csvCase{name: "duplicate target", text: "y,x,y\n1,2,3\n"},
			`datasets: column name "y" appears twice in the header (columns 1 and 3)`},
		{csvCase{name: "duplicate selected by name", text: "a,b,a,c\n1,2,3,4\n", x: []string{"a"}, y: []string{"c"}},
			`datasets: column name "a" appears twice in the header (columns 1 and 3)`},
		{csvCase{name: "duplicate selected by index", text: "a,b,a,c\n1,2,3,4\n", x: []string{"2"}, y: []string{"c"}},
			`datasets: column name "a" appears twice in the header (columns 1 and 3)`},
		{csvCase{name: "name three times", text: "a,a,b,a\n1,2,3,4\n"},
			`datasets: column name "a" appears 3 times in the header (columns 1, 2 and 4)`},
		{csvCase{name: "empty name", text: "x,y,\n1,2,3\n"},
			`datasets: column 3 has an empty name in the header`},
		{csvCase{name: "empty name selected", text: "x,,y\n1,2,3\n", x: []string{"1"}, y: []string{"y"}},
			`datasets: column 2 has an empty name in the header`},
		{csvCase{name: "numeric header", text: "0.5,1.2\n1,2\n"},
			`datasets: the CSV needs a header row (the first row, line 1, is all numbers: "0.5", "1.2")`},
		{csvCase{name: "numeric header after blank lines", text: "\n \n1e999, 2\n1,2\n"},
			`datasets: the CSV needs a header row (the first row, line 3, is all numbers: "1e999", "2")`},
		{csvCase{name: "long numeric header", text: "1,2,3,4,5,6,7\n1,2,3,4,5,6,7\n"},
			`datasets: the CSV needs a header row (the first row, line 1, is all numbers: "1", "2", "3", "4", "5", ... (7 in all))`},
		{csvCase{name: "not a number", text: "x,y\n1,2\n\n3,4\n5,6\n7,8\n9,abc\n"},
			`datasets: line 7, column "y": "abc" is not a number`},
		{csvCase{name: "overflow", text: "x,y\n1,1e999\n"},
			`datasets: line 2, column "y": "1e999" is out of range for a float64`},
		{csvCase{name: "negative overflow", text: "x,y\n-1e400,1\n"},
			`datasets: line 2, column "x": "-1e400" is out of range for a float64`},
		{csvCase{name: "NaN", text: "x,y\n1,NaN\n"},
			`datasets: line 2, column "y": "NaN" is not a finite number`},
		{csvCase{name: "inf", text: "x,y\ninf,1\n"},
			`datasets: line 2, column "x": "inf" is not a finite number`},
		{csvCase{name: "empty cell", text: "x,y\n1, \n"},
			`datasets: line 2, column "y": the cell is empty (want a number)`},
		{csvCase{name: "cell below a quoted newline", text: "x,y\n\"1\n\",z\n"},
			`datasets: line 3, column "y": "z" is not a number`},
		{csvCase{name: "long cell", text: "x,y\n1," + strings.Repeat("z", 100) + "\n"},
			`datasets: line 2, column "y": "` + strings.Repeat("z", 64) + `"... (100 bytes) is not a number`},
		{csvCase{name: "newline in a name", text: "x,\"y\nz\"\n1,a\n"},
			`datasets: line 3, column "y\nz": "a" is not a number`},
		{csvCase{name: "ragged", text: "a,b,c\n1,2,3\n4,5,6\n7,8\n"},
			`datasets: line 4: 2 fields, header has 3`},
		{csvCase{name: "empty", text: ""},
			`datasets: the file is empty (want a header row and data rows)`},
		{csvCase{name: "blank", text: "\n \r\n\t\n"},
			`datasets: the file has only blank lines (want a header row and data rows)`},
		{csvCase{name: "header only", text: "x,y\r\n"},
			`datasets: no data rows after the header`},
		{csvCase{name: "line too long", text: "x,y\n1,2\n" + long + "1,2\n"},
			`datasets: line 3 is longer than 1 MiB`},
		{csvCase{name: "header too long", text: long + ",x\n1,2\n"},
			`datasets: line 1 is longer than 1 MiB`},
		{csvCase{name: "record too long", text: "x,y\n\"1\n" + long + "\",2\n"},
			`datasets: the record on lines 2 to 3 (a quoted field spans lines) is longer than 1 MiB`},
		{csvCase{name: "too many columns", text: "y" + strings.Repeat(",x", MaxColumns) + "\n"},
			`datasets: the header (line 1) has 10001 columns, more than the 10000 allowed`},
		{csvCase{name: "no such column", text: "x,y\n1,2\n", y: []string{"z\n"}},
			`datasets: no column "z" (columns are "x", "y")`},
		{csvCase{name: "no such column, many columns", text: "a,b,c,d,e,f,g,h,i,j,k,l\n1,2,3,4,5,6,7,8,9,10,11,12\n", y: []string{"z"}},
			`datasets: no column "z" (columns are "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", ... (12 in all))`},
	}
	for _, c := range cases {
		_, err := ReadCSV(strings.NewReader(c.text), c.x, c.y)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got error\n\t%v\nwant\n\t%s", c.name, err, c.want)
		}
	}
}

// TestReadColumnsCSVMessages checks that ReadColumnsCSV refuses what ReadCSV refuses.
func TestReadColumnsCSVMessages(t *testing.T) {
	cases := []struct {
		text string
		cols []string
		want string
	}{
		{"a,b\n\"1,2\n", nil, `datasets: line 2, column 6: extraneous or missing " in quoted-field`},
		{"a,a\n1,2\n", nil, `datasets: column name "a" appears twice in the header (columns 1 and 2)`},
		{"a,,b\n1,2,3\n", nil, `datasets: column 2 has an empty name in the header`},
		{"1,2\n1,2\n", nil, `datasets: the CSV needs a header row (the first row, line 1, is all numbers: "1", "2")`},
		{"a,b\n1,2\n3,1e999\n", []string{"b"}, `datasets: line 3, column "b": "1e999" is out of range for a float64`},
		{"a;b\n1;2\n", []string{"a"}, `datasets: no column "a": the header "a;b" is one column: the file must be comma-separated, not ";"-separated`},
		{"a|b\n1|2\n", []string{"b"}, `datasets: no column "b": the header "a|b" is one column: the file must be comma-separated, not "|"-separated`},
		{"ab\n1\n", []string{"a"}, `datasets: no column "a" (columns are "ab")`},
	}
	for _, c := range cases {
		_, _, err := ReadColumnsCSV(strings.NewReader(c.text), c.cols)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q %v: got error\n\t%v\nwant\n\t%s", c.text, c.cols, err, c.want)
		}
	}
}

// TestReadCSVAccepts checks inputs that must read, and read the same rows: every kind
// of line ending, a byte-order mark, quoted fields, unused repeated or empty names and
// sizes just inside the limits.
func TestReadCSVAccepts(t *testing.T) {
	want := &Set{X: []float64{1, 3}, Y: []float64{2, 4}, N: 2, XDim: 1, YDim: 1, XNames: []string{"x"}, YNames: []string{"y"}}
	for _, text := range []string{
		"x,y\n1,2\n3,4\n",
		"x,y\n1,2\n3,4",
		"x,y\r\n1,2\r\n3,4\r\n",
		"x,y\r1,2\r3,4\r",
		"x,y\r1,2\r3,4",
		"x,y\r\n1,2\r3,4\n",
		"\ufeffx,y\n1,2\n3,4\n",
		"\ufeffx,y\r1,2\r3,4\r",
		"\r\n\n \nx,y\r\r1,2\n\n3,4\r\n\r\n",
		"\"x\",\"y\"\n\"1\",2\n 3 ,\" 4\"\n",
		"\"x\",\"y\"\r\"1\r\",2\r3,4",
	} {
		got, err := ReadCSV(strings.NewReader(text), nil, nil)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %+v, %v; want %+v", text, got, err, want)
		}
		got, err = ReadCSV(iotest.OneByteReader(strings.NewReader(text)), nil, nil)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q (one byte a read): got %+v, %v; want %+v", text, got, err, want)
		}
	}

	// A quoted field keeps its line breaks, each one LF.
	names, _, err := ReadColumnsCSV(strings.NewReader("\"a\r\nb\",\"c\rd\"\r\n1,2\r\n"), nil)
	if err != nil || !reflect.DeepEqual(names, []string{"a\nb", "c\nd"}) {
		t.Errorf("quoted line breaks: names %q, %v", names, err)
	}

	// Repeated and empty names are allowed in columns not used.
	for _, c := range []csvCase{
		{text: "x,a,a,y\n1,5,6,2\n3,7,8,4\n", x: []string{"x"}},
		{text: "x,,,y\n1,5,6,2\n3,7,8,4\n", x: []string{"x"}},
		{text: ",x,a,y,a\n9,1,9,2,9\n9,3,9,4,9\n", x: []string{"x"}, y: []string{"y"}},
		{text: ",x,a,y,a\n9,1,9,2,9\n9,3,9,4,9\n", x: []string{"1"}, y: []string{"3"}},
	} {
		got, err := ReadCSV(strings.NewReader(c.text), c.x, c.y)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q x=%v y=%v: got %+v, %v; want %+v", c.text, c.x, c.y, got, err, want)
		}
	}

	// Sizes at the limits, and one byte over.
	line := strings.Repeat("0", MaxLineBytes-3) + "1,2"
	if s, err := ReadCSV(strings.NewReader("x,y\n"+line+"\n"), nil, nil); err != nil || s.X[0] != 1 {
		t.Errorf("a line of MaxLineBytes: %v", err)
	}
	if _, err := ReadCSV(strings.NewReader("x,y\n0"+line+"\n"), nil, nil); err == nil {
		t.Errorf("a line of MaxLineBytes+1: no error")
	}
	record := "x,\"y\n" + strings.Repeat(" ", MaxLineBytes-6) + "\""
	if s, err := ReadCSV(strings.NewReader(record+"\r\n1,2\r\n"), nil, nil); err != nil || s.X[0] != 1 {
		t.Errorf("a record of MaxLineBytes over two lines: %v", err)
	}
	if _, err := ReadCSV(strings.NewReader(" "+record+"\r\n1,2\r\n"), nil, nil); err == nil {
		t.Errorf("a record of MaxLineBytes+1 over two lines: no error")
	}
	header := "y" + strings.Repeat(",x", MaxColumns-1)
	if _, _, err := ReadColumnsCSV(strings.NewReader(header+"\n"+strings.Repeat("1,", MaxColumns-1)+"2\n"), []string{"y"}); err != nil {
		t.Errorf("a header of MaxColumns: %v", err)
	}
}

// TestReadCSVReadError checks that an error from the reader given is passed on, wrapped
// in one line.
func TestReadCSVReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, in := range []string{"", "x", "x,y\n1,2\n", "\ufeff"} {
		r := iotest.DataErrReader(&errAfter{data: []byte(in), err: boom})
		_, err := ReadCSV(r, nil, nil)
		if err == nil || err.Error() != "datasets: disk on fire" || !errors.Is(err, boom) {
			t.Errorf("%q then an error: got %v, want datasets: disk on fire", in, err)
		}
	}
}

// errAfter reads data, then fails with err.
type errAfter struct {
	data []byte
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

// TestLineReader checks the byte stream the CSV parser sees, read whole and one byte a
// read.
func TestLineReader(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"a", "a"},
		{"\ufeff", ""},
		{"\ufeffa\r\nb", "a\nb"},
		{"\xef\xbb", "\xef\xbb"},
		{"\xef\xbba", "\xef\xbba"},
		{"a\ufeff", "a\ufeff"},
		{"\ufeff\ufeffa", "\ufeffa"},
		{"\r", "\n"},
		{"\r\n", "\n"},
		{"\n\r", "\n\n"},
		{"\r\r\n\n", "\n\n\n"},
		{"a\rb\r\nc\nd\r", "a\nb\nc\nd\n"},
		{"\"a\r\nb\"\r", "\"a\nb\"\n"},
	}
	for _, c := range cases {
		for name, r := range map[string]*lineReader{
			"whole":    newLineReader(strings.NewReader(c.in)),
			"one byte": newLineReader(iotest.OneByteReader(strings.NewReader(c.in))),
		} {
			var out bytes.Buffer
			if _, err := out.ReadFrom(iotest.OneByteReader(r)); err != nil || out.String() != c.want {
				t.Errorf("%q (%s): got %q, %v; want %q", c.in, name, out.String(), err, c.want)
			}
		}
	}
}
