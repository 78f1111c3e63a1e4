// Package snapshot records a folder tree (every entry's path, kind, permissions and, for
// files, content hash; for links, target) so that tests can assert that a command left
// a working folder byte for byte as it found it.
package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Tree maps each path under the root (slash-separated, relative) to a description.
type Tree map[string]string

// Take records the tree under root.
func Take(root string) (Tree, error) {
	t := Tree{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		desc := info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			desc += " -> " + target
		case info.Mode().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			desc += fmt.Sprintf(" %d %s", len(b), hex.EncodeToString(sum[:8]))
		}
		t[filepath.ToSlash(rel)] = desc
		return nil
	})
	return t, err
}

// Diff describes how after differs from t ("" when they are the same).
func (t Tree) Diff(after Tree) string {
	var d []string
	for p, desc := range t {
		if a, ok := after[p]; !ok {
			d = append(d, "removed "+p)
		} else if a != desc {
			d = append(d, fmt.Sprintf("changed %s (%s -> %s)", p, desc, a))
		}
	}
	for p := range after {
		if _, ok := t[p]; !ok {
			d = append(d, "added "+p)
		}
	}
	sort.Strings(d)
	return strings.Join(d, "; ")
}
