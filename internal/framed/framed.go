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
