package framed

import (
	"bytes"
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
