//go:build unix && !linux

package gitobj

// dropPages does nothing where package syscall has no Madvise (macOS, the
// BSDs): the mapped pages stay until the kernel reclaims them.
func dropPages([]byte) {}
