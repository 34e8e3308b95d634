//go:build !unix

package packtest

func mkfifo(string) error { return ErrNoFIFO }
