package gitobj

import (
	"os"
	"syscall"
	"unsafe"
)

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
