// Package atomicfile writes files so that a reader, or a crash, never sees half of one:
// the content goes to a temporary file in the target's directory, which is synced and
// then renamed over the target. On any error the temporary file is removed and the
// target is left as it was.
//
// # Temporaries
//
// A temporary for a target named base is named
//
//	.<base>.tmp-<pid>-<random>
//
// where pid is the decimal process id of the writer and random the decimal digits that
// os.CreateTemp or os.MkdirTemp put in place of the "*" of TempPattern(base). A process
// killed mid-write leaves its temporary behind; Write removes the stale temporaries of
// its target before it makes its own, and CleanStale does the same for any base, for
// files or for folders.
//
// A temporary is stale when its writer is known to be gone: on unix, when process pid
// does not exist (kill(pid, 0) fails with ESRCH); on every system, when it has not
// been modified for StaleAge, which also catches a dead writer whose pid was reused
// (a container's process is often pid 1 on every start). Only names that match the
// pattern for that exact base are ever removed: "notes.txt", ".other.tmp-1-2" and the
// temporaries of other targets are left alone, as are symbolic links, and as are
// folders unless CleanStale is asked for folders.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// StaleAge is how long a temporary may go unmodified before it is taken as abandoned
// whatever its pid says. It is generous: a live writer touches its temporary far more
// often than this.
const StaleAge = 24 * time.Hour

// TempPattern returns the pattern, for os.CreateTemp or os.MkdirTemp, of a temporary
// for the target base made by this process: ".<base>.tmp-<pid>-*". base is a file
// name, not a path.
func TempPattern(base string) string {
	return tempPrefix(base) + strconv.Itoa(os.Getpid()) + "-*"
}

func tempPrefix(base string) string { return "." + base + ".tmp-" }

// tempPID reports whether name is a temporary of base, ".<base>.tmp-<pid>-<digits>",
// and returns its pid (always positive).
func tempPID(name, base string) (int, bool) {
	rest, ok := strings.CutPrefix(name, tempPrefix(base))
	if !ok {
		return 0, false
	}
	p, r, ok := strings.Cut(rest, "-")
	if !ok || !allDigits(p) || !allDigits(r) {
		return 0, false
	}
	pid, err := strconv.Atoi(p)
	// Exactly what strconv.Itoa writes: no leading zeros, and within a pid's range.
	if err != nil || pid <= 0 || pid > 1<<31-1 || strconv.Itoa(pid) != p {
		return 0, false
	}
	return pid, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CleanStale removes the stale temporaries of the target base in dir (see the package
// documentation): regular files when dirs is false, folders (with all they hold) when
// dirs is true. Anything else in dir is left alone. A temporary that disappears while
// CleanStale looks at it is not an error; the error returned joins those met in
// listing dir and in removing.
func CleanStale(dir, base string, dirs bool) error {
	if base == "" || strings.ContainsAny(base, `/`+string(filepath.Separator)) {
		return fmt.Errorf("atomicfile: %q is not a file name", base)
	}
	if dir == "" {
		dir = "."
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	var errs []error
	now := time.Now()
	for _, name := range names {
		pid, ok := tempPID(name, base)
		if !ok {
			continue
		}
		p := filepath.Join(dir, name)
		st, err := os.Lstat(p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("atomicfile: %w", err))
			}
			continue
		}
		if dirs && !st.IsDir() || !dirs && !st.Mode().IsRegular() {
			continue
		}
		if !stale(pid, st.ModTime(), now) {
			continue
		}
		if dirs {
			err = os.RemoveAll(p)
		} else {
			err = os.Remove(p)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("atomicfile: removing a stale temporary: %w", err))
		}
	}
	return errors.Join(errs...)
}

// stale reports whether a temporary made by pid and last modified at mod is abandoned.
func stale(pid int, mod, now time.Time) bool {
	if now.Sub(mod) > StaleAge {
		return true
	}
	return pid != os.Getpid() && processGone(pid)
}

// Write creates or replaces path with what write writes, atomically. The file gets mode
// 0644. path must not be a folder. Before it starts, Write removes the stale
// temporaries that earlier writes of path left (see the package documentation); a
// failure to remove them does not stop the write.
func Write(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("atomicfile: %s is a directory", path)
	}
	if base == "" {
		return fmt.Errorf("atomicfile: %s has no file name", path)
	}
	_ = CleanStale(dir, base, false) // best effort: leftovers only cost space
	f, err := os.CreateTemp(dir, TempPattern(base))
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	// Make the rename itself durable.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
