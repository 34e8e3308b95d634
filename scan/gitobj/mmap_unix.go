//go:build unix

package gitobj

import (
	"os"
	"syscall"
)

// mapFile maps f read-only. The mapping is released by the returned
// function. Pages of a mapped pack are file-backed, so release can drop
// them from the process at any time (see pack.release).
func mapFile(f *os.File, size int64) (b []byte, unmap func() error, mapped bool, err error) {
	if size == 0 {
		return nil, func() error { return nil }, false, nil
	}
	b, err = syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		b, unmap, err = readWhole(f, size)
		return b, unmap, false, err
	}
	return b, func() error { return syscall.Munmap(b) }, true, nil
}
