package traincmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/mixgraph/mixgraph/internal/cli"
)

// maxMemberCheckpointBytes bounds a member checkpoint file that -resume reads, as the
// train package bounds a run's: a damaged or foreign file cannot make it take more
// memory than that.
const maxMemberCheckpointBytes int64 = 2 << 30

// memberCheckpoints keeps the latest checkpoint of every ensemble member
// (train.MemberCheckpoints), to write into the run folder: every -checkpoint_every
// epochs of a member (through flush) and when the run is interrupted. A resumed run
// starts from the folder's, so that a member that does not get to save again keeps
// its own.
type memberCheckpoints struct {
	mu    sync.Mutex
	saved map[int][]byte
	// flush, if set, writes the run folder with the checkpoints so far; it is called
	// with mu held, after every save.
	flush func(mc *memberCheckpoints) error
}

// save is the ensemble's train.MemberCheckpoints function.
func (mc *memberCheckpoints) save(m int, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	mc.mu.Lock()
	defer mc.mu.Unlock()
	mc.saved[m] = b.Bytes()
	if mc.flush == nil {
		return nil
	}
	return mc.flush(mc)
}

// load is the ensemble's train.ResumeMembers function.
func (mc *memberCheckpoints) load(m int) ([]byte, error) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return mc.saved[m], nil
}

// count returns the number of members with a checkpoint.
func (mc *memberCheckpoints) count() int {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return len(mc.saved)
}

// fill writes every member's checkpoint into dir; the caller holds mu.
func (mc *memberCheckpoints) fill(dir string) error {
	for m, b := range mc.saved {
		if err := writeBytes(filepath.Join(dir, memberCheckpointName(m)), b); err != nil {
			return err
		}
	}
	return nil
}

// fillLocked is fill for a caller that does not hold mu.
func (mc *memberCheckpoints) fillLocked(dir string) error {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return mc.fill(dir)
}

// readMemberCheckpoints returns the member checkpoints in the run folder dir, by
// member; an empty map when there are none. A checkpoint of a member the run does not
// have (members or more) is an error naming the file. Their content is checked by the
// ensemble's resume, before anything trains.
func readMemberCheckpoints(dir string, members int) (map[int][]byte, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, cli.UnwrapPath(err)
	}
	out := map[int][]byte{}
	for _, e := range ents {
		m, ok := memberIndex(e.Name())
		if !ok {
			continue
		}
		if m >= members {
			return nil, fmt.Errorf("%s is the checkpoint of member %d, but the run has %d members", e.Name(), m, members)
		}
		b, err := readBounded(filepath.Join(dir, e.Name()), maxMemberCheckpointBytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", e.Name(), err)
		}
		out[m] = b
	}
	return out, nil
}

// readBounded reads the regular file at path, refusing one of more than limit bytes
// before reading it (and one that grows past limit while it is read).
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, cli.UnwrapPath(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, cli.UnwrapPath(err)
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%d bytes, more than the %d a checkpoint may have", st.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, cli.UnwrapPath(err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("more than the %d bytes a checkpoint may have", limit)
	}
	return b, nil
}

// hasMemberCheckpoints reports whether the run folder dir holds a member checkpoint.
func hasMemberCheckpoints(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if _, ok := memberIndex(e.Name()); ok {
			return true
		}
	}
	return false
}
