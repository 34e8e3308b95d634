//go:build !unix

package ghactions

// noFollow is 0 where the system has no O_NOFOLLOW (Windows, where the
// Action does not run).
const noFollow = 0
