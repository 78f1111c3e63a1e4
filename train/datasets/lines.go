package datasets

import (
	"fmt"
	"io"
)

// utf8BOM is the UTF-8 byte-order mark that some editors write at the start of a file.
var utf8BOM = [3]byte{0xEF, 0xBB, 0xBF}

// lineReader is what the CSV parser reads through. It streams its source, holding at
// most three bytes back, and
//   - drops a UTF-8 byte-order mark at the very start;
//   - turns every line ending into one LF: CRLF becomes LF and a lone CR becomes LF
//     (encoding/csv takes CRLF but not a lone CR as a line ending), inside quoted fields
//     as well, so that line numbers count the same in all three kinds of file;
//   - stops with a *recordTooLongError once one record passes MaxLineBytes.
//
// A record ends at an LF outside quotes. In text encoding/csv accepts (LazyQuotes off)
// a field is inside quotes exactly when the record so far holds an odd number of '"'
// (an escaped quote is two), so the parity of the quotes counted here tells where a
// record ends. In text it refuses, the parity may be wrong, but the parser reports its
// own error on that record before this reader can have read a record's length ahead.
//
// Line numbers here count the LFs written, so they agree with encoding/csv's, which
// counts the LFs it reads.
type lineReader struct {
	r io.Reader

	started bool    // the start of r was checked for a byte-order mark
	head    []byte  // bytes read while checking, not yet passed on
	headErr error   // the error met while checking, returned once head is passed on
	err     error   // sticky: once set, every Read returns it
	afterCR bool    // the last byte read was a CR, so an LF next is part of its ending
	inQuote bool    // the current record holds an odd number of quotes so far
	line    int     // the line being written, 1-based
	recLine int     // the line the current record starts on
	recLen  int     // the bytes of the current record so far, its final LF excluded
	buf     [3]byte // storage for head
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: r, line: 1, recLine: 1}
}

// recordTooLongError is a record longer than MaxLineBytes.
type recordTooLongError struct {
	startLine, line int // where the record starts and where it passed the limit
}

func (e *recordTooLongError) Error() string {
	if e.startLine == e.line {
		return fmt.Sprintf("datasets: line %d is longer than %s", e.line, sizeString(MaxLineBytes))
	}
	return fmt.Sprintf("datasets: the record on lines %d to %d (a quoted field spans lines) is longer than %s",
		e.startLine, e.line, sizeString(MaxLineBytes))
}

// sizeString writes n bytes in MiB or KiB where that is exact.
func sizeString(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (l *lineReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !l.started {
		l.started = true
		n, err := io.ReadFull(l.r, l.buf[:])
		if n == len(utf8BOM) && l.buf == utf8BOM {
			n = 0
		}
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		l.head, l.headErr = l.buf[:n], err
	}
	for {
		var n int
		var err error
		switch {
		case len(l.head) > 0:
			n = copy(p, l.head)
			l.head = l.head[n:]
			if len(l.head) == 0 {
				err = l.headErr
			}
		case l.headErr != nil:
			err = l.headErr
		default:
			n, err = l.r.Read(p)
		}
		m, errLong := l.convert(p[:n])
		if errLong != nil {
			err = errLong
		}
		if err != nil {
			l.err = err
		}
		// A read whose every byte was dropped (the LF of a CRLF) is retried rather than
		// passed on as empty.
		if m > 0 || n == 0 || err != nil {
			return m, err
		}
	}
}

// convert rewrites the line endings of b in place, counts lines and record lengths, and
// returns how many bytes of b to pass on; the error is a record that passed the limit.
func (l *lineReader) convert(b []byte) (int, error) {
	w := 0
	for _, c := range b {
		if l.afterCR {
			l.afterCR = false
			if c == '\n' {
				continue
			}
		}
		if c == '\r' {
			c, l.afterCR = '\n', true
		}
		b[w] = c
		w++
		switch {
		case c == '\n' && !l.inQuote:
			l.line++
			l.recLine, l.recLen = l.line, 0
			continue
		case c == '\n':
			l.line++
		case c == '"':
			l.inQuote = !l.inQuote
		}
		l.recLen++
		if l.recLen > MaxLineBytes {
			line := l.line
			if c == '\n' {
				line-- // the limit was passed by the LF that ends this line
			}
			return w, &recordTooLongError{startLine: l.recLine, line: line}
		}
	}
	return w, nil
}
