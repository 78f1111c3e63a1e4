package traincmd

import (
	"errors"
	"runtime"
	"syscall"
	"unsafe"
)

// renameat2 system call numbers; the syscall package names only some of them.
var sysRenameat2 = map[string]uintptr{"amd64": 316, "arm64": 276, "386": 353, "riscv64": 276, "ppc64le": 357, "s390x": 347, "loong64": 276}

const (
	atFDCWD        = -100
	renameExchange = 1 << 1
)

// exchangeAtomic swaps the names a and b in one step (renameat2 with RENAME_EXCHANGE).
func exchangeAtomic(a, b string) error {
	nr, ok := sysRenameat2[runtime.GOARCH]
	if !ok {
		return errors.ErrUnsupported
	}
	pa, err := syscall.BytePtrFromString(a)
	if err != nil {
		return err
	}
	pb, err := syscall.BytePtrFromString(b)
	if err != nil {
		return err
	}
	fd := atFDCWD
	_, _, errno := syscall.Syscall6(nr, uintptr(fd), uintptr(unsafe.Pointer(pa)), uintptr(fd), uintptr(unsafe.Pointer(pb)), renameExchange, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
