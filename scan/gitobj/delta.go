package gitobj

import (
	"errors"
	"fmt"
)

var errDelta = errors.New("corrupt delta")

// deltaSizes reads the source and target sizes at the start of a git delta.
func deltaSizes(delta []byte) (src, dst int, rest []byte, err error) {
	s, n := uvarint(delta)
	if n <= 0 {
		return 0, 0, nil, errDelta
	}
	d, m := uvarint(delta[n:])
	if m <= 0 {
		return 0, 0, nil, errDelta
	}
	// git objects stay far below 4 GiB; a larger size is corruption.
	const maxSize = 1 << 32
	if s > maxSize || d > maxSize {
		return 0, 0, nil, errDelta
	}
	return int(s), int(d), delta[n+m:], nil
}

// uvarint decodes git's little-endian base-128 size.
func uvarint(b []byte) (uint64, int) {
	var v uint64
	for i, c := range b {
		if i >= 10 {
			return 0, -1
		}
		v |= uint64(c&0x7f) << (7 * uint(i))
		if c&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, -1
}

// applyDelta rebuilds an object from its base and a git delta (the copy and
// insert instructions of pack-format.txt), checking every bound.
func applyDelta(base, delta []byte) ([]byte, error) {
	srcSize, dstSize, ops, err := deltaSizes(delta)
	if err != nil {
		return nil, err
	}
	if srcSize != len(base) {
		return nil, fmt.Errorf("%w: base is %d bytes, delta expects %d", errDelta, len(base), srcSize)
	}
	// The declared size bounds the output below; memory is only taken as
	// the output really grows, so a corrupt header cannot reserve gigabytes.
	out := make([]byte, 0, min(dstSize, 64<<20))
	for len(ops) > 0 {
		cmd := ops[0]
		ops = ops[1:]
		switch {
		case cmd&0x80 != 0: // copy from base
			var off, size uint64
			for i := uint(0); i < 4; i++ {
				if cmd&(1<<i) != 0 {
					if len(ops) == 0 {
						return nil, errDelta
					}
					off |= uint64(ops[0]) << (8 * i)
					ops = ops[1:]
				}
			}
			for i := uint(0); i < 3; i++ {
				if cmd&(0x10<<i) != 0 {
					if len(ops) == 0 {
						return nil, errDelta
					}
					size |= uint64(ops[0]) << (8 * i)
					ops = ops[1:]
				}
			}
			if size == 0 {
				size = 0x10000
			}
			if off+size > uint64(len(base)) || uint64(len(out))+size > uint64(dstSize) {
				return nil, errDelta
			}
			out = append(out, base[off:off+size]...)
		case cmd != 0: // insert cmd bytes from the delta
			n := int(cmd)
			if n > len(ops) || len(out)+n > dstSize {
				return nil, errDelta
			}
			out = append(out, ops[:n]...)
			ops = ops[n:]
		default:
			return nil, errDelta // reserved
		}
	}
	if len(out) != dstSize {
		return nil, fmt.Errorf("%w: built %d bytes, want %d", errDelta, len(out), dstSize)
	}
	return out, nil
}
