package traincmd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mixgraph/mixgraph/internal/cli"
	"github.com/mixgraph/mixgraph/internal/framed"
	"github.com/mixgraph/mixgraph/train"
)

// maxRunCheckpointBytes bounds the member and candidate checkpoint files that -resume
// reads, all of them together, as the train package bounds a run's: damaged or foreign
// files cannot make it take more memory than that.
var maxRunCheckpointBytes int64 = 2 << 30 // a variable for the tests

// runCheckpoints keeps the latest checkpoint of every run an ensemble or a -select
// search trains (ensemble members, member-N.ckpt, through train.MemberCheckpoints;
// search candidates, candidate-N.ckpt, through train.Config.SaveCheckpoint), by file
// name, to write into the run folder: every -checkpoint_every epochs of a run (through
// flush) and when the run is interrupted. A resumed run starts from the folder's, so
// that a run that does not get to save again keeps its own.
type runCheckpoints struct {
	mu    sync.Mutex
	saved map[string][]byte
	// flush, if set, writes the run folder with the checkpoints so far; it is called
	// with mu held, after every save.
	flush func(mc *runCheckpoints) error
	// dir is the run folder; inDir holds the names whose saved bytes its files hold
	// already (written by the last flush, or read by -resume), which fill links
	// instead of writing them again.
	dir   string
	inDir map[string]bool
}

// save stores the checkpoint write writes under the file name.
func (mc *runCheckpoints) save(name string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	mc.mu.Lock()
	defer mc.mu.Unlock()
	mc.saved[name] = b.Bytes()
	delete(mc.inDir, name)
	if mc.flush == nil {
		return nil
	}
	return mc.flush(mc)
}

// load returns the checkpoint stored under the file name, or nil.
func (mc *runCheckpoints) load(name string) []byte {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return mc.saved[name]
}

// saveMember is the ensemble's train.MemberCheckpoints function.
func (mc *runCheckpoints) saveMember(m int, write func(io.Writer) error) error {
	return mc.save(memberCheckpointName(m), write)
}

// loadMember is the ensemble's train.ResumeMembers function.
func (mc *runCheckpoints) loadMember(m int) ([]byte, error) {
	return mc.load(memberCheckpointName(m)), nil
}

// count returns the number of checkpoints stored.
func (mc *runCheckpoints) count() int {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return len(mc.saved)
}

// learnt reports whether a stored checkpoint holds a step: whether a run folder of them
// holds any work.
func (mc *runCheckpoints) learnt() bool {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	for _, b := range mc.saved {
		if p, err := train.ReadCheckpointPosition(b); err == nil && p.Steps > 0 {
			return true
		}
	}
	return false
}

// summary describes, for a resumed run, how far the runs of the stored checkpoints got:
// "resume: 4 ensemble members finished, 2 part-way\n", one line per kind of run, or
// nothing when none is stored.
func (mc *runCheckpoints) summary() string {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	var members, candidates [2]int // finished, part-way
	for name, b := range mc.saved {
		p, err := train.ReadCheckpointPosition(b)
		if err != nil {
			continue // refused, naming the file, when its run resumes
		}
		i := 1
		if p.Finished {
			i = 0
		}
		if _, ok := memberIndex(name); ok {
			members[i]++
		} else {
			candidates[i]++
		}
	}
	var out strings.Builder
	for _, k := range []struct {
		what string
		n    [2]int
	}{{"-select candidates", candidates}, {"ensemble members", members}} {
		if k.n[0]+k.n[1] > 0 {
			fmt.Fprintf(&out, "resume: %d %s finished, %d part-way (continuing from their checkpoints)\n", k.n[0], k.what, k.n[1])
		}
	}
	return out.String()
}

// fill writes every checkpoint into dir, the new run folder being made; the caller
// holds mu. A checkpoint the current run folder holds already is linked from there (a
// flush then writes only the checkpoint saved since the last); it is written where the
// link fails. Call done once the new folder has replaced the run folder.
func (mc *runCheckpoints) fill(dir string) error {
	for name, b := range mc.saved {
		if mc.inDir[name] && mc.dir != "" && os.Link(filepath.Join(mc.dir, name), filepath.Join(dir, name)) == nil {
			continue
		}
		if err := writeBytes(filepath.Join(dir, name), b); err != nil {
			return err
		}
	}
	return nil
}

// writeFolder replaces the run folder with one holding the checkpoints and the marker
// mk with the given status (and no model); the caller holds mu.
func (mc *runCheckpoints) writeFolder(mk *marker, status string) error {
	m := *mk
	m.Status = status
	err := writeRunDir(mc.dir, func(dir string) error {
		if err := mc.fill(dir); err != nil {
			return err
		}
		return writeJSON(filepath.Join(dir, markerName), &m)
	})
	if err == nil {
		mc.done()
	}
	return err
}

// done records that the run folder now holds every checkpoint saved; the caller holds
// mu.
func (mc *runCheckpoints) done() {
	if mc.inDir == nil {
		mc.inDir = map[string]bool{}
	}
	for name := range mc.saved {
		mc.inDir[name] = true
	}
}

// fillLocked is fill for a caller that does not hold mu.
func (mc *runCheckpoints) fillLocked(dir string) error {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return mc.fill(dir)
}

// readRunCheckpoints returns the member and candidate checkpoints in the run folder
// dir, by file name; an empty map when there are none. A checkpoint of a member the run
// does not have (members or more) is an error naming the file. Their content is checked
// by the resumed runs, before anything trains.
func readRunCheckpoints(dir string, members int) (map[string][]byte, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, cli.UnwrapPath(err)
	}
	out := map[string][]byte{}
	total := int64(0)
	for _, e := range ents {
		name := e.Name()
		if m, ok := memberIndex(name); ok {
			if m >= members {
				return nil, fmt.Errorf("%s is the checkpoint of member %d, but the run has %d members", name, m, members)
			}
		} else if _, ok := candidateIndex(name); !ok {
			continue
		}
		// One bound over all of them: what a folder can make -resume read.
		b, err := framed.ReadFile(filepath.Join(dir, name), maxRunCheckpointBytes-total, "left to read")
		if err != nil {
			return nil, fmt.Errorf("%s: %v (the checkpoints may hold %d bytes in all)", name, cli.UnwrapPath(err), maxRunCheckpointBytes)
		}
		total += int64(len(b))
		out[name] = b
	}
	return out, nil
}

// hasRunCheckpoints reports whether the run folder dir holds a member or candidate
// checkpoint.
func hasRunCheckpoints(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		_, member := memberIndex(e.Name())
		_, cand := candidateIndex(e.Name())
		if member || cand {
			return true
		}
	}
	return false
}
