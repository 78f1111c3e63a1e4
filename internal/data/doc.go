// Package data reads and generates the datasets mixgraph trains on: CSV files with
// errors that name the line and column at fault, the built-in benchmark problems
// (Bishop's inverse problem, the wider sine variant, Old Faithful) and train/validation
// splits. Every generator is deterministic in its seed.
//
// # CSV files
//
// ReadCSV, ReadCSVFile and ReadColumnsCSV read comma-separated text (RFC 4180, as
// encoding/csv parses it) whose first non-blank row is a header of column names and
// whose other rows are numbers. Before parsing, a UTF-8 byte-order mark at the start
// is dropped and every line ending (LF, CRLF or a lone CR) becomes one LF, so the three
// kinds of file read the same rows; a CR inside a quoted field becomes an LF too. Blank
// lines are skipped. Leading and trailing spaces around names and cells are ignored.
//
// The reader refuses, with an error of one line that starts with "data: " and names the
// line (and the column where there is one):
//   - text encoding/csv cannot parse (an unterminated or stray quote);
//   - a first row that is all numbers (the file has no header);
//   - a column that is used (selected, or taken by the default selection) whose name is
//     empty or appears more than once in the header; unused columns may repeat names;
//   - a row with a different number of fields than the header;
//   - a cell that is empty, not a number, out of range for a float64 ("1e999") or not
//     finite ("NaN", "Inf").
//
// Sizes are checked before memory is spent on them: a header may have at most
// MaxColumns columns, and a record (a line, or the lines a quoted field spans) may be
// at most MaxLineBytes (1 MiB) long. A longer record is refused as soon as it passes
// the limit, so the reader holds no more than about that much of one record at a time,
// whatever the input. The rows themselves are not limited: a file of N rows of k used
// columns takes 8·N·k bytes.
package data
