//go:build unix

package gitobj

import (
	"os"
	"syscall"
	"unsafe"
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

// dropPages tells the kernel the process no longer needs the mapped pages
// of b: they leave its resident set (they stay in the page cache, and a
// later read faults them back in cheaply). Safe on a read-only file mapping
// while other goroutines read it.
// b need not be page-aligned: only the whole pages inside it are dropped.
func dropPages(b []byte) {
	if len(b) == 0 {
		return
	}
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	skip := (page - start%page) % page
	end := (start + uintptr(len(b))) &^ (page - 1)
	if start+skip >= end {
		return
	}
	syscall.Madvise(b[skip:skip+(end-start-skip)], syscall.MADV_DONTNEED)
}
