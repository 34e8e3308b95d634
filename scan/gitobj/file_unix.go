//go:build unix

package gitobj

import "syscall"

// openFlags make an open return at once on a FIFO and never make a
// terminal the controlling one.
const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY
