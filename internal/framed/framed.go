// Package framed writes and reads mixgraph's self-describing files: a one-line JSON
// header
//
//	{"format":"…","version":N,"body_bytes":B,"sha256":"…"}
//
// followed by a body of exactly B bytes whose SHA-256 is the header's, and a newline. The
// header is read first, so that a file of another kind or version is refused before its
// body is looked at; a truncated, padded or altered body fails the length or checksum
// test. Model files and training checkpoints use it.
package framed

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

type header struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	BodyBytes int64  `json:"body_bytes"`
	SHA256    string `json:"sha256"`
}

// Write writes body framed as format and version.
func Write(w io.Writer, format string, version int, body []byte) error {
	sum := sha256.Sum256(body)
	h, err := json.Marshal(header{Format: format, Version: version, BodyBytes: int64(len(body)), SHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return err
	}
	for _, b := range [][]byte{h, {'\n'}, body, {'\n'}} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// Read checks data's header against format and version and returns its body. what names
// the kind of file in errors ("model file").
func Read(data []byte, format string, version int, what string) ([]byte, error) {
	nl := bytes.IndexByte(data, '\n')
	var h header
	if nl < 0 || json.Unmarshal(data[:nl], &h) != nil || h.Format != format {
		return nil, fmt.Errorf("not a %s (no %s header)", what, format)
	}
	if h.Version != version {
		return nil, fmt.Errorf("%s version %d, this build reads version %d", what, h.Version, version)
	}
	body := bytes.TrimSuffix(data[nl+1:], []byte("\n"))
	if int64(len(body)) != h.BodyBytes {
		return nil, fmt.Errorf("%s truncated or padded: body has %d bytes, header says %d", what, len(body), h.BodyBytes)
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != h.SHA256 {
		return nil, fmt.Errorf("%s is corrupted (checksum mismatch)", what)
	}
	return body, nil
}

// ReadFile returns the content of the regular file at path, refusing a folder or other
// non-regular file, and a file of more than limit bytes before reading it (or, should it
// grow while read, once limit+1 bytes are in): what a damaged or foreign file can make
// the reader take is bounded. The size error reads "N bytes, more than the LIMIT " and
// then beyond. Errors from the file system are returned as they are.
func ReadFile(path string, limit int64, beyond string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case st.IsDir():
		return nil, fmt.Errorf("is a directory")
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("not a regular file")
	case st.Size() > limit:
		return nil, fmt.Errorf("%d bytes, more than the %d %s", st.Size(), limit, beyond)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than the %d bytes %s", limit, beyond)
	}
	return data, nil
}
