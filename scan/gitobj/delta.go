package gitobj

import (
	"errors"
	"fmt"
)

var errDelta = errors.New("corrupt delta")

// deltaSizes reads the source and target sizes at the start of a git delta
// and returns the instructions after them.
func deltaSizes(delta []byte) (src, dst uint64, ops []byte, err error) {
	s, n := uvarint(delta)
	if n <= 0 {
		return 0, 0, nil, errDelta
	}
	d, m := uvarint(delta[n:])
	if m <= 0 {
		return 0, 0, nil, errDelta
	}
	return s, d, delta[n+m:], nil
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

// applyDelta rebuilds an object from its base and a git delta. Memory is
// taken as the output really grows, so a corrupt header cannot reserve
// gigabytes; walkers that have checked the declared size against their
// budget use patch with a buffer of that size instead.
func applyDelta(base, delta []byte) ([]byte, error) {
	src, dst, ops, err := deltaSizes(delta)
	if err != nil {
		return nil, err
	}
	if src != uint64(len(base)) {
		return nil, fmt.Errorf("%w: base is %d bytes, delta expects %d", errDelta, len(base), src)
	}
	if dst > 1<<40 {
		return nil, errDelta
	}
	return patch(make([]byte, 0, min(dst, 64<<20)), base, ops, int(dst))
}

// patch appends to out (empty) the object that the delta instructions ops
// (the copy and insert instructions of gitformat-pack) build from base,
// checking every bound; the result must be exactly dst bytes. With
// cap(out) >= dst nothing is allocated.
func patch(out, base, ops []byte, dst int) ([]byte, error) {
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
			if off+size > uint64(len(base)) || uint64(len(out))+size > uint64(dst) {
				return nil, errDelta
			}
			out = append(out, base[off:off+size]...)
		case cmd != 0: // insert cmd bytes from the delta
			n := int(cmd)
			if n > len(ops) || len(out)+n > dst {
				return nil, errDelta
			}
			out = append(out, ops[:n]...)
			ops = ops[n:]
		default:
			return nil, errDelta // reserved
		}
	}
	if len(out) != dst {
		return nil, fmt.Errorf("%w: built %d bytes, want %d", errDelta, len(out), dst)
	}
	return out, nil
}
