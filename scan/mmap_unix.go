//go:build unix

package scan

import (
	"os"
	"syscall"
)

// mapFile maps f read-only. The mapping is released by the returned
// function. Pages of a mapped pack are file-backed: the kernel can drop them
// under memory pressure, so a large pack does not pin memory.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if size == 0 {
		return nil, func() error { return nil }, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readWhole(f, size)
	}
	return b, func() error { return syscall.Munmap(b) }, nil
}
