//go:build unix

package ghactions

import "syscall"

// noFollow refuses a symbolic link at a path's last component.
const noFollow = syscall.O_NOFOLLOW
