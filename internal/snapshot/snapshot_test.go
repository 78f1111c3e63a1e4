package snapshot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("1"), 0o644)
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	before, err := Take(dir)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := Take(dir)
	if d := before.Diff(same); d != "" {
		t.Errorf("no change: diff %q", d)
	}
	os.WriteFile(filepath.Join(dir, "a"), []byte("2"), 0o644)
	os.WriteFile(filepath.Join(dir, "d", "b"), nil, 0o644)
	os.Remove(filepath.Join(dir, "d", "b"))
	os.Symlink("a", filepath.Join(dir, "l"))
	after, _ := Take(dir)
	d := before.Diff(after)
	if !strings.Contains(d, "changed a") || !strings.Contains(d, "added l") || strings.Contains(d, "d/b") {
		t.Errorf("diff %q", d)
	}
}
