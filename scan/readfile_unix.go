//go:build unix

package scan

import "syscall"

// noFollow opens a file without following a final symbolic link and
// without blocking on a FIFO.
const noFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
