// Package datasets reads and generates the data sets mixgraph trains on: CSV files with
// errors that name the line and column at fault, the built-in benchmark problems
// (Bishop's inverse problem, the wider sine variant, Old Faithful), train/test splits and
// the standardisation a model is trained in. Every generator is deterministic in its
// seed, and nothing here prints or keeps state between calls.
//
// A Set holds N rows of inputs X (N×XDim) and targets Y (N×YDim), row-major, with the
// columns' names. Set.Rows gives them as one slice per row, the form train.Data and the
// models' Predict, NLL and LogLik take:
//
//	tr, te, err := datasets.Builtin(datasets.NameBishop, 1000, 1)
//	...
//	x, y := tr.Rows()
//	res, err := train.Run(ctx, m, train.Data{X: x, Y: y}, cfg)
//	tx, ty := te.Rows()
//	nll, err := m.NLL(tx, ty)
//
// # Built-in data sets
//
// Bishop, Sine and Faithful return one set; Builtin returns the training and test sets
// of a data set named by one of BuiltinNames (the names the train command's -data flag
// takes), and BestNLL the lowest test NLL per point a model can reach on it where that
// is known. Split shuffles a set with a given *rand.Rand into two.
//
// # Standardisation
//
// Models are trained on standardised data, x' = (x − m_x)/s_x and y' = (y − m_y)/s_y
// column by column, where m and s are the training rows' column means and population
// standard deviations (a column with no spread gets s = 1). train.Run does this itself:
// it sets the model's normalisation to models.Fit of the rows it trains on (after
// holding out Config.ValFraction) and reports NLLs in original units, so a caller passes
// it raw rows. Set.Normalization returns the same statistics for a set, for code that
// trains with its own loop (train.Stepper) or wants to look at them; its X and Y methods
// standardise rows, and the same normalisation is applied to test rows.
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
// The reader refuses, with an error of one line that starts with "datasets: " and names
// the line (and the column where there is one):
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
package datasets
