package framed

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// FuzzRead: Read never panics, and what it accepts has the header's length and
// checksum; any body written by Write reads back unchanged.
func FuzzRead(f *testing.F) {
	var good bytes.Buffer
	if err := Write(&good, "x.test", 2, []byte(`{"a":1}`)); err != nil {
		f.Fatal(err)
	}
	g := good.Bytes()
	for _, s := range [][]byte{
		g,
		g[:len(g)-1], // no final newline
		g[:len(g)-4],
		append(append([]byte(nil), g...), '\n'),
		nil,
		[]byte("\n"),
		[]byte(`{"format":"x.test","version":2,"body_bytes":-1,"sha256":""}` + "\n"),
		[]byte(`{"format":"x.test","version":2,"body_bytes":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}` + "\n"),
		[]byte(`{"format":"x.test","version":2,"body_bytes":9223372036854775807,"sha256":""}` + "\n\n"),
		[]byte(`{"format":"x.test","version":1e99}` + "\n"),
		[]byte(`{"format":"x.test","version":2,"body_bytes":1,"sha256":"` + "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b" + `"}` + "\n\n\n"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		body, err := Read(data, "x.test", 2, "test file")
		if err == nil {
			nl := bytes.IndexByte(data, '\n')
			var h header
			if nl < 0 || json.Unmarshal(data[:nl], &h) != nil {
				t.Fatalf("accepted %q without a readable header", data)
			}
			if int64(len(body)) != h.BodyBytes {
				t.Fatalf("body has %d bytes, header says %d", len(body), h.BodyBytes)
			}
			if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != h.SHA256 {
				t.Fatalf("body's checksum is not the header's")
			}
		}
		var buf bytes.Buffer
		if err := Write(&buf, "x.test", 2, data); err != nil {
			t.Fatal(err)
		}
		back, err := Read(buf.Bytes(), "x.test", 2, "test file")
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("round trip of %q: %q, %v", data, back, err)
		}
	})
}
