package traincmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mixgraph/mixgraph/internal/atomicfile"
	"github.com/mixgraph/mixgraph/internal/cli"
)

// A run folder is what cmd/train writes: the files below and nothing else. Its marker,
// markerName, says that train wrote it, with which flags and how far the run got; an
// existing folder is replaced only when it is a run folder holding nothing but these
// files, so that -out can never destroy a user's own files.
const (
	markerName     = "mixgraph-run.json"
	markerFormat   = "mixgraph.run"
	markerVersion  = 1
	checkpointName = "checkpoint.ckpt"
	modelName      = "model.mdn"
)

// runFiles are the names train writes into a run folder.
var runFiles = map[string]bool{
	markerName: true, checkpointName: true, modelName: true, "config.json": true, "history.csv": true,
	"density.png": true, "learning.png": true, "mixing.png": true,
	"density.svg": true, "learning.svg": true, "mixing.svg": true, "density.pdf": true, "learning.pdf": true, "mixing.pdf": true,
}

// isRunFile says whether train writes a file of that name: one of runFiles, or a
// calibration picture (calibration.png, or calibration-2.svg for the second target).
func isRunFile(n string) bool {
	if runFiles[n] {
		return true
	}
	if _, ok := memberIndex(n); ok {
		return true
	}
	if _, ok := candidateIndex(n); ok {
		return true
	}
	base, ext, ok := strings.Cut(n, ".")
	if !ok || !slices.Contains(plotFormats, ext) {
		return false
	}
	if base == "calibration" {
		return true
	}
	d, ok := strings.CutPrefix(base, "calibration-")
	if !ok {
		return false
	}
	v, err := strconv.Atoi(d)
	return err == nil && v >= 1 && strconv.Itoa(v) == d
}

// memberCheckpointName is the name of ensemble member m's checkpoint in a run folder
// (member-0.ckpt, …): an ensemble's run folder holds one per member that trained,
// in place of checkpointName.
func memberCheckpointName(m int) string { return "member-" + strconv.Itoa(m) + ".ckpt" }

// candidateCheckpointName is the name of -select candidate n's checkpoint in a run
// folder (candidate-0.ckpt, …; n counts the candidates in the order the search tries
// them).
func candidateCheckpointName(n int) string { return "candidate-" + strconv.Itoa(n) + ".ckpt" }

// memberIndex returns the member whose checkpoint name is n (see memberCheckpointName),
// or false.
func memberIndex(n string) (int, bool) { return checkpointIndex(n, "member-", maxEnsemble) }

// candidateIndex returns the candidate whose checkpoint name is n (see
// candidateCheckpointName), or false.
func candidateIndex(n string) (int, bool) { return checkpointIndex(n, "candidate-", maxCandidates) }

// checkpointIndex returns i when n is prefix, i and ".ckpt", with i in [0, limit)
// written without leading zeros or sign, or false.
func checkpointIndex(n, prefix string, limit int) (int, bool) {
	d, ok := strings.CutSuffix(n, ".ckpt")
	if !ok {
		return 0, false
	}
	if d, ok = strings.CutPrefix(d, prefix); !ok {
		return 0, false
	}
	v, err := strconv.Atoi(d)
	if err != nil || v < 0 || v >= limit || strconv.Itoa(v) != d {
		return 0, false
	}
	return v, true
}

// legacyFiles are those of run folders written before the marker existed; such a folder
// is recognised by holding only these, a model file among them.
var legacyFiles = map[string]bool{
	modelName: true, "config.json": true, "history.csv": true, "density.png": true, "learning.png": true, "mixing.png": true,
}

// The states a run folder records.
const (
	statusRunning     = "running"     // a checkpoint written while training; no model yet
	statusInterrupted = "interrupted" // stopped by a signal: best weights so far and a checkpoint (an ensemble or -select search: the model of the runs finished so far, if any, and every run's checkpoint)
	statusCompleted   = "completed"
)

// marker is the run folder's mixgraph-run.json.
type marker struct {
	Format      string   `json:"format"`
	Version     int      `json:"version"`
	Status      string   `json:"status"`
	Args        []string `json:"args"`                      // the flags the run was started with, -out and -resume excepted
	CSV         string   `json:"csv,omitempty"`             // absolute path of the training CSV
	CSVHash     string   `json:"csv_sha256,omitempty"`      // its SHA-256 when the run started
	TestCSV     string   `json:"test_csv,omitempty"`        // absolute path of the -test_csv file
	TestCSVHash string   `json:"test_csv_sha256,omitempty"` // its SHA-256 when the run started
	Epoch       int      `json:"epoch"`                     // epochs completed
	Step        int      `json:"step"`                      // steps taken

	// Defaults are the values, as name=value, of the flags the run left at their
	// defaults (those that shape the model and its training; see pinnedDefaults), so
	// that a resume by a later version whose defaults differ trains the same run. A
	// marker without them was written before they were recorded: legacyDefaults.
	Defaults []string `json:"defaults,omitempty"`
}

func readMarker(dir string) (*marker, error) {
	b, err := os.ReadFile(filepath.Join(dir, markerName))
	if err != nil {
		return nil, err
	}
	var m marker
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil || m.Format != markerFormat {
		return nil, fmt.Errorf("%s is not a run marker", filepath.Join(dir, markerName))
	}
	if m.Version != markerVersion {
		return nil, fmt.Errorf("%s has version %d, this build reads version %d", filepath.Join(dir, markerName), m.Version, markerVersion)
	}
	return &m, nil
}

// isTemp reports whether name is a temporary of atomicfile's or of writeRunDir's.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// checkRunFolder returns nil when dir is a run folder train may replace: it carries the
// marker (or is a run folder of an earlier version) and holds nothing train did not
// write. Otherwise the error says what is in the way.
func checkRunFolder(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var foreign []string
	hasMarker, legacy := false, true
	hasModel := false
	for _, e := range ents {
		n := e.Name()
		switch {
		case n == markerName:
			hasMarker = true
		case isTemp(n):
		case isRunFile(n) && e.Type().IsRegular():
			if !legacyFiles[n] {
				legacy = false
			}
			hasModel = hasModel || n == modelName
		default:
			foreign = append(foreign, n)
		}
	}
	if len(ents) == 0 {
		return errors.New("is an existing folder that train did not write (it is empty; remove it or choose another -out)")
	}
	if !hasMarker && !(legacy && hasModel && isModelFile(filepath.Join(dir, modelName))) {
		return fmt.Errorf("is an existing folder that train did not write (no %s); choose another -out", markerName)
	}
	if hasMarker {
		if _, err := readMarker(dir); err != nil {
			return fmt.Errorf("is not a run folder train can replace: %v", err)
		}
	}
	if len(foreign) > 0 {
		sort.Strings(foreign)
		what := fmt.Sprintf("%q", foreign[0])
		if len(foreign) > 1 {
			what += fmt.Sprintf(" and %d more", len(foreign)-1)
		}
		return fmt.Errorf("is a run folder but also holds %s, which train did not write; move it or choose another -out", what)
	}
	return nil
}

// isModelFile reports whether path starts like a model file.
func isModelFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 64)
	n, _ := io.ReadFull(f, b)
	return bytes.Contains(b[:n], []byte(`"format":"mixgraph.mdn"`))
}

// within reports whether path is dir or lies inside it (both absolute and clean).
func within(path, dir string) bool {
	if path == dir {
		return true
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// resolved returns path made absolute with its symbolic links followed as far as it
// exists.
func resolved(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	// Resolve the longest existing ancestor and add the rest.
	dir, rest := abs, ""
	for {
		parent := filepath.Dir(dir)
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest)
		}
		if parent == filepath.Dir(parent) {
			return abs
		}
	}
}

// checkOut applies the -out policy before anything is trained: out may be new (in a
// writable place), or an existing run folder holding only what train writes (it will be
// replaced whole); a file, any other folder, the current folder or one of its
// ancestors, a symbolic link, and a folder holding one of the inputs are refused.
// resume is the run folder being resumed, which may be out itself.
func checkOut(out string, inputs []string, resume string) error {
	flagOut := fmt.Sprintf("-out %s", out)
	if resume != "" {
		flagOut = fmt.Sprintf("-resume %s", out)
	}
	clean := filepath.Clean(out)
	absOut := resolved(clean)
	if cwd, err := os.Getwd(); err == nil && within(resolved(cwd), absOut) {
		return fmt.Errorf("%s: is the current folder or holds it; name a new folder for the run", flagOut)
	}
	if absOut == filepath.Dir(absOut) {
		return fmt.Errorf("%s: is the root of the file system; name a new folder for the run", flagOut)
	}
	for _, in := range inputs {
		if in != "" && within(resolved(in), absOut) {
			return fmt.Errorf("%s: holds the input %s; choose another -out", flagOut, in)
		}
	}
	fi, err := os.Lstat(clean)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if resume != "" {
			return fmt.Errorf("%s: no such run folder", flagOut)
		}
	case err != nil:
		if werr := checkWritable(flagOut, filepath.Dir(clean)); werr != nil {
			return werr
		}
		return fmt.Errorf("%s: %v", flagOut, cli.UnwrapPath(err))
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s: is a symbolic link; name the folder itself or a new one", flagOut)
	case !fi.IsDir():
		return fmt.Errorf("%s: is an existing file, not a run folder; choose another -out", flagOut)
	default:
		if err := checkRunFolder(clean); err != nil {
			return fmt.Errorf("%s: %v", flagOut, err)
		}
	}
	return checkWritable(flagOut, filepath.Dir(clean))
}

// checkWritable makes sure the run folder's parent can be created and written: its
// nearest existing ancestor must be a folder in which a folder can be made (tried with a
// probe that is removed at once).
func checkWritable(flagOut, parent string) error {
	dir := parent
	for {
		fi, err := os.Stat(dir)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s: %s is a file, not a folder", flagOut, dir)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %v", flagOut, err)
		}
		up := filepath.Dir(dir)
		if up == dir {
			return fmt.Errorf("%s: %v", flagOut, err)
		}
		dir = up
	}
	probe, err := os.MkdirTemp(dir, atomicfile.TempPattern("mixgraph-probe"))
	if err != nil {
		return fmt.Errorf("%s: cannot write in %s: %v", flagOut, dir, cli.UnwrapPath(err))
	}
	os.Remove(probe)
	return nil
}

// writeRunDir writes a run folder whole: fill writes the files into a fresh temporary
// folder beside out, which then takes out's place in one step (an exchange of the two
// names where the system has one), so that out is at every moment either the old run
// folder or the complete new one. Temporaries of writes that were killed are removed
// first. An out that stopped being a run folder meanwhile is left alone (an error).
func writeRunDir(out string, fill func(dir string) error) (err error) {
	out = filepath.Clean(out)
	parent, base := filepath.Dir(out), filepath.Base(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	atomicfile.CleanStale(parent, base, true)
	tmp, err := os.MkdirTemp(parent, atomicfile.TempPattern(base))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = fill(tmp); err != nil {
		return err
	}
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	syncDir(tmp)
	fi, statErr := os.Lstat(out)
	switch {
	case errors.Is(statErr, fs.ErrNotExist):
		if err = os.Rename(tmp, out); err != nil {
			return err
		}
	case statErr != nil:
		return statErr
	default:
		if !fi.IsDir() || fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("-out %s: is no longer a folder; nothing was replaced", out)
		}
		if err = checkRunFolder(out); err != nil {
			return fmt.Errorf("-out %s: %v; nothing was replaced", out, err)
		}
		if err = exchange(tmp, out); err != nil {
			return err
		}
		// tmp now holds the old run.
		os.RemoveAll(tmp)
	}
	syncDir(parent)
	return nil
}

// exchange swaps the folders a and b: atomically where the system can (Linux's
// renameat2 with RENAME_EXCHANGE), otherwise by moving b aside (to ".<b>.old-…", which
// no clean-up removes), a into its place and the old b to a's name.
func exchange(a, b string) error {
	if err := exchangeAtomic(a, b); err == nil {
		return nil
	}
	return exchangeByRenames(a, b)
}

// exchangeByRenames swaps the folders a and b with three renames.
func exchangeByRenames(a, b string) error {
	// Not a temporary's name: if the process dies between the first two renames, the old
	// run must survive the next write's clean-up of temporaries.
	aside := filepath.Join(filepath.Dir(b), "."+filepath.Base(b)+".old-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(uint64(rand.Uint32()), 10))
	if err := os.Rename(b, aside); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		os.Rename(aside, b)
		return err
	}
	return os.Rename(aside, a)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
