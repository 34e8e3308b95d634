//go:build !unix

package gitobj

import "os"

func mapFile(f *os.File, size int64) ([]byte, func() error, bool, error) {
	b, unmap, err := readWhole(f, size)
	return b, unmap, false, err
}

func dropPages([]byte) {}
