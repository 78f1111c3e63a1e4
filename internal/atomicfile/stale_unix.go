//go:build unix

package atomicfile

import (
	"errors"
	"syscall"
)

// processGone reports whether no process pid exists: kill(pid, 0) checks without
// sending a signal, and fails with ESRCH only then (EPERM means it exists but is
// another user's). pid must be positive: kill(0, …) and kill(−1, …) address groups.
func processGone(pid int) bool {
	if pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
