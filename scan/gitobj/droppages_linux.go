package gitobj

import "syscall"

// dropPages tells the kernel the process no longer needs the mapped pages
// of b: they leave its resident set (they stay in the page cache, and a
// later read faults them back in cheaply). Safe on a read-only file mapping
// while other goroutines read it.
func dropPages(b []byte) {
	if len(b) > 0 {
		syscall.Madvise(b, syscall.MADV_DONTNEED)
	}
}
