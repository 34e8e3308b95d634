//go:build !unix

package gitobj

const openFlags = 0
