//go:build unix

package scan

import "syscall"

// openNonBlock opens a file without blocking: a FIFO put where a file was
// cannot hang the scan.
const openNonBlock = syscall.O_NONBLOCK
