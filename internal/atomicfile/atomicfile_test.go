package atomicfile

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := Write(p, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error {
		io.WriteString(w, "half of tw")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "one" {
		t.Errorf("failed write left %q, want the old content", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("%d files in the folder, want 1 (no temporary left)", len(ents))
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	if err := Write(filepath.Join(dir, "missing", "f"), func(io.Writer) error { return nil }); err == nil {
		t.Error("write into a missing folder: no error")
	}
}

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no pid liveness check on " + runtime.GOOS)
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	return cmd.Process.Pid
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestWriteRemovesStale: a Write removes the temporaries of its target left by a dead
// process or left unmodified for StaleAge, and nothing else.
func TestWriteRemovesStale(t *testing.T) {
	dir := t.TempDir()
	dead := deadPID(t)
	me := os.Getpid()
	tmp := func(pid int, rnd string) string { return ".f.txt.tmp-" + strconv.Itoa(pid) + "-" + rnd }
	gone := []string{
		tmp(dead, "123"),
		tmp(me, "77"), // this process's, but older than StaleAge: a previous process with our pid
		tmp(1, "9"),   // pid 1 is alive, but the file is older than StaleAge
	}
	kept := []string{
		"f.txt",
		tmp(me, "456"),   // a live write of this process
		tmp(1, "10"),     // pid 1 is alive
		".other.tmp-1-2", // another target's
		".other.tmp-" + strconv.Itoa(dead) + "-2",
		"notes.txt",
		".f.txt.tmp-123456", // no pid: not ours
		".f.txt.tmp-" + strconv.Itoa(dead) + "-x1",           // random part not digits
		".f.txt.tmp-0" + strconv.Itoa(dead) + "-1",           // leading zero
		".f.txt.tmp-" + strconv.Itoa(dead) + "-1.bak",        // suffix
		"..f.txt.tmp-" + strconv.Itoa(dead) + "-1",           // another base (".f.txt")
		".f.txt.tmp-" + strconv.Itoa(dead) + ".tmp-" + "5-6", // the temporary of another target
		".f.txt.tmp--1-1", // kill(-1, 0) would address every process
		".f.txt.tmp-0-1",  // kill(0, 0) would address our group
		".f.txt.tmp-99999999999-1",
	}
	for _, n := range append(append([]string(nil), gone...), kept...) {
		touch(t, filepath.Join(dir, n))
	}
	old := time.Now().Add(-StaleAge - time.Hour)
	for _, n := range append(gone[1:], "notes.txt", ".other.tmp-1-2", ".f.txt.tmp-123456") {
		if err := os.Chtimes(filepath.Join(dir, n), old, old); err != nil {
			t.Fatal(err)
		}
	}
	// A folder and a symbolic link named like stale temporaries: Write removes files only.
	staleDir := tmp(dead, "5")
	if err := os.Mkdir(filepath.Join(dir, staleDir), 0o755); err != nil {
		t.Fatal(err)
	}
	touch(t, filepath.Join(dir, staleDir, "inside"))
	kept = append(kept, staleDir)
	if err := os.Symlink("notes.txt", filepath.Join(dir, tmp(dead, "6"))); err == nil {
		kept = append(kept, tmp(dead, "6"))
	}

	if err := Write(filepath.Join(dir, "f.txt"), func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	got := names(t, dir)
	slices.Sort(kept)
	if !slices.Equal(got, kept) {
		t.Errorf("after Write the folder holds\n%q\nwant\n%q", got, kept)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f.txt")); string(b) != "new" {
		t.Errorf("f.txt holds %q, want new", b)
	}
}

// TestCleanStaleDirs: with dirs set, CleanStale removes the stale temporary folders of
// the base (as made with os.MkdirTemp and TempPattern) with what they hold, and leaves
// files, live folders and other names alone.
func TestCleanStaleDirs(t *testing.T) {
	dir := t.TempDir()
	dead := deadPID(t)
	live, err := os.MkdirTemp(dir, TempPattern("run"))
	if err != nil {
		t.Fatal(err)
	}
	if want := ".run.tmp-" + strconv.Itoa(os.Getpid()) + "-"; !strings.HasPrefix(filepath.Base(live), want) {
		t.Fatalf("MkdirTemp(TempPattern) made %s, want the prefix %s", filepath.Base(live), want)
	}
	staleDir := filepath.Join(dir, ".run.tmp-"+strconv.Itoa(dead)+"-42")
	if err := os.MkdirAll(filepath.Join(staleDir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	touch(t, filepath.Join(staleDir, "sub", "model.mdn"))
	staleFile := ".run.tmp-" + strconv.Itoa(dead) + "-43"
	touch(t, filepath.Join(dir, staleFile))
	touch(t, filepath.Join(dir, ".runs.tmp-"+strconv.Itoa(dead)+"-1"))
	if err := CleanStale(dir, "run", true); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Base(live), staleFile, ".runs.tmp-" + strconv.Itoa(dead) + "-1"}
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("after CleanStale(dirs) the folder holds %q, want %q", got, want)
	}
	if err := CleanStale(dir, "run", false); err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(s string) bool { return s == staleFile })
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("after CleanStale(files) the folder holds %q, want %q", got, want)
	}
	for _, base := range []string{"", "a/b"} {
		if err := CleanStale(dir, base, false); err == nil {
			t.Errorf("CleanStale(%q): no error", base)
		}
	}
}

func TestTempPattern(t *testing.T) {
	p := TempPattern("model.mdn")
	want := ".model.mdn.tmp-" + strconv.Itoa(os.Getpid()) + "-*"
	if p != want {
		t.Fatalf("TempPattern = %q, want %q", p, want)
	}
	f, err := os.CreateTemp(t.TempDir(), p)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if pid, ok := tempPID(filepath.Base(f.Name()), "model.mdn"); !ok || pid != os.Getpid() {
		t.Errorf("tempPID(%q) = %d, %v; want our pid", filepath.Base(f.Name()), pid, ok)
	}
}

// TestWriteDirectory: Write refuses a folder before creating anything.
func TestWriteDirectory(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	called := false
	for _, p := range []string{sub, sub + string(filepath.Separator)} {
		err := Write(p, func(io.Writer) error { called = true; return nil })
		if err == nil || err.Error() != "atomicfile: "+p+" is a directory" {
			t.Errorf("Write(%q) = %v, want %q", p, err, "atomicfile: "+p+" is a directory")
		}
	}
	if called {
		t.Error("Write called write for a folder")
	}
	if got := names(t, dir); len(got) != 1 {
		t.Errorf("the folder holds %q, want only sub", got)
	}
	if got := names(t, sub); len(got) != 0 {
		t.Errorf("sub holds %q, want nothing", got)
	}
	if err := Write(filepath.Join(dir, "new")+string(filepath.Separator), func(io.Writer) error { return nil }); err == nil || !strings.Contains(err.Error(), "no file name") {
		t.Errorf("Write to a path ending in a separator: %v", err)
	}
}
