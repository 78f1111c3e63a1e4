package framed

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTripAndDamage(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "x.test", 2, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	if body, err := Read(good, "x.test", 2, "test file"); err != nil || string(body) != `{"a":1}` {
		t.Fatalf("round trip: %q, %v", body, err)
	}
	flip := append([]byte(nil), good...)
	flip[len(flip)-3] ^= 1
	for _, c := range []struct {
		data    []byte
		format  string
		version int
		want    string
	}{
		{nil, "x.test", 2, "not a test file"},
		{good, "y.test", 2, "not a test file"},
		{good, "x.test", 3, "version 2, this build reads version 3"},
		{good[:len(good)-4], "x.test", 2, "truncated"},
		{flip, "x.test", 2, "checksum"},
	} {
		if _, err := Read(c.data, c.format, c.version, "test file"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Read: %v, want %q", err, c.want)
		}
	}
}

// ReadFile reads a regular file within its limit and refuses a folder, a missing file and
// a file over the limit, saying so.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(path, 5, "allowed"); err != nil || string(b) != "12345" {
		t.Errorf("within the limit: %q, %v", b, err)
	}
	if _, err := ReadFile(path, 4, "allowed"); err == nil || err.Error() != "5 bytes, more than the 4 allowed" {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := ReadFile(dir, 5, "allowed"); err == nil || err.Error() != "is a directory" {
		t.Errorf("a folder: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "none"), 5, "allowed"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}
