package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Input names a file a command reads, for CheckOutFile: the flag and the path.
type Input struct{ Flag, Path string }

// CheckOutFile applies the commands' policy for an output file named by -out, before any
// work is done: a new file in an existing folder is fine, and so is an existing regular
// file that ours says the command wrote (it will be replaced atomically). A folder, a
// symbolic link, anything but a regular file, one of the inputs (compared as files, so
// another name of the same file counts), a missing folder and any other existing file are
// refused with one line naming -out. command names the program in that line ("predict").
func CheckOutFile(path, command string, inputs []Input, ours func(path string) bool) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dir := filepath.Dir(path)
		st, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("-out %s: no folder %s", path, dir)
		}
		if !st.IsDir() {
			return fmt.Errorf("-out %s: %s is a file, not a folder", path, dir)
		}
		return nil
	case err != nil:
		if st, serr := os.Stat(filepath.Dir(path)); serr == nil && !st.IsDir() {
			return fmt.Errorf("-out %s: %s is a file, not a folder", path, filepath.Dir(path))
		}
		return fmt.Errorf("-out %s: %v", path, UnwrapPath(err))
	case fi.IsDir():
		return fmt.Errorf("-out %s: is a folder; name a file", path)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("-out %s: is a symbolic link; name a new file", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("-out %s: is not a regular file", path)
	}
	for _, in := range inputs {
		if in.Path == "-" || in.Path == "" {
			continue
		}
		if st, err := os.Stat(in.Path); err == nil && os.SameFile(fi, st) {
			return fmt.Errorf("-out %s: is the %s file; name another file", path, in.Flag)
		}
	}
	if !ours(path) {
		return fmt.Errorf("-out %s: exists and was not written by %s; name a new file", path, command)
	}
	return nil
}

// UnwrapPath drops the path from a *fs.PathError, which the caller names already.
func UnwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
