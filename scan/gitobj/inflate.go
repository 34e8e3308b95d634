package gitobj

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"math/bits"
)

// This file is a zlib (RFC 1950) and deflate (RFC 1951) decoder for an
// object held whole: its compressed bytes are all in memory (the pack is
// mapped) and its inflated size is known from its header, so it writes
// straight into the object's buffer, copies matches from that buffer, and
// reads its input eight bytes at a time. It is written by hand because no
// Go library decodes that way: compress/flate and klauspost/compress/flate
// both stream through a 32 KiB window (every byte is written there and
// copied again to the caller) and read their input a byte at a time
// through io.ByteReader, which made inflating half of a full scan's CPU.
// FuzzInflate checks it against compress/flate. Objects streamed (too large
// to hold) still go through klauspost's streaming decoder.

var errInflate = errors.New("corrupt zlib stream")

// Decoding tables. An entry is a uint32: bits 0-3 are how many bits the
// code takes (for a subtable pointer, the root's), bits 4-7 the extra
// bits that follow (for a pointer, the subtable's index bits), bits 8-10
// the kind, bits 16-31 the value (a literal, a base length or distance, or
// the subtable's start).
const (
	kindInvalid = iota
	kindLiteral
	kindBase // a length or a distance: value + extra bits
	kindEnd  // end of block
	kindSub  // go on in a subtable
)

const (
	litRoot  = 10 // index bits of the literal/length table's first level
	distRoot = 8
	clenRoot = 7 // code-length codes are at most 7 bits: one level
)

func entry(kind, value, extra uint32) uint32 { return value<<16 | kind<<8 | extra<<4 }

var (
	litEntries  [288]uint32 // by literal/length symbol, length not yet set
	distEntries [32]uint32
	clenEntries [19]uint32
	fixedLit    []uint32 // the fixed Huffman code's tables (RFC 1951 3.2.6)
	fixedDist   []uint32
)

// clenOrder is the order in which code-length code lengths are sent.
var clenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

func init() {
	lenBase := [29]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra := [29]uint32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase := [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra := [30]uint32{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	for s := range 256 {
		litEntries[s] = entry(kindLiteral, uint32(s), 0)
	}
	litEntries[256] = entry(kindEnd, 0, 0)
	for s := range 29 {
		litEntries[257+s] = entry(kindBase, lenBase[s], lenExtra[s])
	}
	// 286 and 287 stay invalid, as do distances 30 and 31.
	for s := range 30 {
		distEntries[s] = entry(kindBase, distBase[s], distExtra[s])
	}
	for s := range 19 {
		clenEntries[s] = entry(kindLiteral, uint32(s), 0)
	}
	var lens [288]uint8
	for s := range lens {
		switch {
		case s < 144:
			lens[s] = 8
		case s < 256:
			lens[s] = 9
		case s < 280:
			lens[s] = 7
		default:
			lens[s] = 8
		}
	}
	var err error
	if fixedLit, err = buildTable(nil, lens[:], litRoot, litEntries[:]); err != nil {
		panic(err)
	}
	for s := range 32 {
		lens[s] = 5 // 30 and 31 complete the code, and are invalid
	}
	if fixedDist, err = buildTable(nil, lens[:32], distRoot, distEntries[:]); err != nil {
		panic(err)
	}
}

// buildTable makes the decoding table of the canonical Huffman code whose
// symbol s has length lens[s] (0: unused), reusing t's memory: a first
// level of 2^root entries, and for codes longer than root a subtable per
// root-bit prefix. syms gives each symbol's entry. A code that is
// over-subscribed, or incomplete other than a single one-bit code, is
// refused, as zlib refuses it; an empty code makes a table of invalid
// entries.
func buildTable(t []uint32, lens []uint8, root uint, syms []uint32) ([]uint32, error) {
	var count [16]uint16
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	longest := uint(15)
	for longest > 0 && count[longest] == 0 {
		longest--
	}
	size := 1 << root
	t = append(t[:0], make([]uint32, size)...)
	if longest == 0 {
		return t, nil
	}
	left := 1
	for l := 1; l <= 15; l++ {
		left = left<<1 - int(count[l])
		if left < 0 {
			return nil, fmt.Errorf("%w: over-subscribed code", errInflate)
		}
	}
	if left > 0 && longest != 1 {
		return nil, fmt.Errorf("%w: incomplete code", errInflate)
	}
	var offs [17]uint16
	for l := 1; l <= 15; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var sorted [288]uint16
	for s, l := range lens {
		if l != 0 {
			sorted[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	n := int(offs[16])
	subBits := uint(0)
	if longest > root {
		subBits = longest - root
	}
	code, prev := uint(0), uint(0)
	for _, s := range sorted[:n] {
		l := uint(lens[s])
		code <<= l - prev
		prev = l
		rev := uint(bits.Reverse16(uint16(code))) >> (16 - l)
		code++
		if l <= root {
			e := syms[s] | uint32(l)
			for j := rev; j < uint(size); j += 1 << l {
				t[j] = e
			}
			continue
		}
		// The code is prefix-free, so a first-level entry that a long
		// code's prefix reaches is empty or already its subtable's.
		low := rev & (uint(size) - 1)
		start := int(t[low] >> 16)
		if t[low]>>8&7 != kindSub {
			start = len(t)
			t = append(t, make([]uint32, 1<<subBits)...)
			t[low] = entry(kindSub, uint32(start), uint32(subBits)) | uint32(root)
		}
		e := syms[s] | uint32(l-root)
		for j := rev >> root; j < 1<<subBits; j += 1 << (l - root) {
			t[start+int(j)] = e
		}
	}
	return t, nil
}

// inflater is one worker's decoder state: its tables, reused from object
// to object.
type inflater struct {
	lit, dist, clen []uint32
	lens            [320]uint8
}

// bitReader reads deflate's LSB-first bits from in, eight bytes at a
// time. Past the end it reads zeros, counting them in over; a stream
// that needs them is truncated, which the callers check.
type bitReader struct {
	in   []byte
	pos  int    // next byte of in to load (counting the zeros past its end)
	bits uint64 // loaded bits, the next one lowest
	n    uint   // how many
	over int    // zero bytes loaded past the end
}

// refill loads bits until at least 56 are held.
func (br *bitReader) refill() {
	if br.pos+8 <= len(br.in) {
		br.bits |= binary.LittleEndian.Uint64(br.in[br.pos:]) << br.n
		br.pos += int(63-br.n) >> 3
		br.n |= 56
		return
	}
	for br.n < 56 {
		var c byte
		if br.pos < len(br.in) {
			c = br.in[br.pos]
		} else {
			br.over++
		}
		br.pos++
		br.bits |= uint64(c) << br.n
		br.n += 8
	}
}

// take returns the next k (at most 32) bits; refill must have been called
// for them.
func (br *bitReader) take(k uint) uint32 {
	v := uint32(br.bits & (1<<k - 1))
	br.bits >>= k
	br.n -= k
	return v
}

// decode reads one symbol of table t (root index bits); refill must have
// been called for it.
func (br *bitReader) decode(t []uint32, root uint) uint32 {
	e := t[br.bits&(1<<root-1)]
	if e>>8&7 == kindSub {
		br.bits >>= root
		br.n -= root
		e = t[int(e>>16)+int(br.bits&(1<<(e>>4&15)-1))]
	}
	k := uint(e & 15)
	br.bits >>= k
	br.n -= k
	return e
}

// truncated reports whether more bits were used than in holds.
func (br *bitReader) truncated() bool {
	return br.over > 0 && br.pos*8-int(br.n) > (br.pos-br.over)*8
}

// zlibInto inflates the zlib stream src into out, which must be exactly
// the inflated size: a stream that makes more or less, or that is
// truncated, is an error. The Adler-32 at its end is checked only if check
// is set (the caller has checked the compressed bytes' CRC-32 otherwise).
func (inf *inflater) zlibInto(out, src []byte, check bool) error {
	if len(src) < 2 {
		return fmt.Errorf("%w: no zlib header", errInflate)
	}
	cmf, flg := src[0], src[1]
	if cmf&15 != 8 || cmf>>4 > 7 || (uint(cmf)<<8|uint(flg))%31 != 0 {
		return fmt.Errorf("%w: bad zlib header", errInflate)
	}
	if flg&0x20 != 0 {
		return fmt.Errorf("%w: a preset dictionary", errInflate)
	}
	br := bitReader{in: src[:len(src):len(src)], pos: 2}
	o, err := inf.deflate(out, &br)
	if err != nil {
		return err
	}
	if o != len(out) {
		return fmt.Errorf("%w: %d bytes inflated, the header says %d", errInflate, o, len(out))
	}
	// The Adler-32 follows, from the next byte boundary.
	br.take(br.n & 7)
	at := br.pos - int(br.n>>3)
	if at+4 > len(src) {
		return fmt.Errorf("%w: truncated", errInflate)
	}
	if check && binary.BigEndian.Uint32(src[at:]) != adler32.Checksum(out) {
		return fmt.Errorf("%w: Adler-32 does not match", errInflate)
	}
	return nil
}

// deflate decodes deflate blocks into out until the final one, and returns
// how many bytes it wrote.
func (inf *inflater) deflate(out []byte, br *bitReader) (int, error) {
	o := 0
	for {
		br.refill()
		final := br.take(1)
		var lit, dist []uint32
		switch br.take(2) {
		case 0:
			var err error
			if o, err = stored(out, o, br); err != nil {
				return o, err
			}
			if final == 1 {
				return o, nil
			}
			continue
		case 1:
			lit, dist = fixedLit, fixedDist
		case 2:
			if err := inf.dynamic(br); err != nil {
				return o, err
			}
			lit, dist = inf.lit, inf.dist
		default:
			return o, fmt.Errorf("%w: reserved block type", errInflate)
		}
		var err error
		if o, err = codes(out, o, br, lit, dist); err != nil {
			return o, err
		}
		if br.truncated() {
			return o, fmt.Errorf("%w: truncated", errInflate)
		}
		if final == 1 {
			return o, nil
		}
	}
}

// stored copies a stored block.
func stored(out []byte, o int, br *bitReader) (int, error) {
	br.take(br.n & 7)
	// Give back the whole bytes held, and read from in directly.
	br.pos -= int(br.n >> 3)
	br.bits, br.n = 0, 0
	if br.pos+4 > len(br.in) {
		return o, fmt.Errorf("%w: truncated", errInflate)
	}
	br.over = 0 // every zero past the end was given back
	n := int(binary.LittleEndian.Uint16(br.in[br.pos:]))
	if binary.LittleEndian.Uint16(br.in[br.pos+2:]) != ^uint16(n) {
		return o, fmt.Errorf("%w: stored block length", errInflate)
	}
	br.pos += 4
	if br.pos+n > len(br.in) {
		return o, fmt.Errorf("%w: truncated", errInflate)
	}
	if o+n > len(out) {
		return o, fmt.Errorf("%w: more bytes than the header says", errInflate)
	}
	copy(out[o:], br.in[br.pos:br.pos+n])
	br.pos += n
	return o + n, nil
}

// dynamic reads a dynamic block's code lengths and builds its tables.
func (inf *inflater) dynamic(br *bitReader) error {
	br.refill()
	nlit := int(br.take(5)) + 257
	ndist := int(br.take(5)) + 1
	nclen := int(br.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return fmt.Errorf("%w: too many codes", errInflate)
	}
	var clens [19]uint8
	for k := range nclen {
		if k%16 == 0 {
			br.refill()
		}
		clens[clenOrder[k]] = uint8(br.take(3))
	}
	var err error
	if inf.clen, err = buildTable(inf.clen, clens[:], clenRoot, clenEntries[:]); err != nil {
		return err
	}
	lens := inf.lens[:nlit+ndist]
	for k := 0; k < len(lens); {
		br.refill()
		e := br.decode(inf.clen, clenRoot)
		if e>>8&7 != kindLiteral {
			return fmt.Errorf("%w: bad code length code", errInflate)
		}
		sym := e >> 16
		if sym < 16 {
			lens[k] = uint8(sym)
			k++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if k == 0 {
				return fmt.Errorf("%w: repeat with no length before", errInflate)
			}
			val, rep = lens[k-1], 3+int(br.take(2))
		case 17:
			rep = 3 + int(br.take(3))
		default:
			rep = 11 + int(br.take(7))
		}
		if k+rep > len(lens) {
			return fmt.Errorf("%w: code lengths overrun", errInflate)
		}
		for range rep {
			lens[k] = val
			k++
		}
	}
	if br.truncated() {
		return fmt.Errorf("%w: truncated", errInflate)
	}
	if lens[256] == 0 {
		return fmt.Errorf("%w: no end-of-block code", errInflate)
	}
	if inf.lit, err = buildTable(inf.lit, lens[:nlit], litRoot, litEntries[:]); err != nil {
		return err
	}
	if inf.dist, err = buildTable(inf.dist, lens[nlit:], distRoot, distEntries[:]); err != nil {
		return err
	}
	return nil
}

// codes decodes a Huffman-coded block into out from position o.
func codes(out []byte, o int, br *bitReader, lit, dist []uint32) (int, error) {
	for {
		br.refill()
		e := br.decode(lit, litRoot)
		switch e >> 8 & 7 {
		case kindLiteral:
			if o >= len(out) {
				return o, fmt.Errorf("%w: more bytes than the header says", errInflate)
			}
			out[o] = byte(e >> 16)
			o++
			continue
		case kindEnd:
			return o, nil
		case kindBase:
		default:
			return o, fmt.Errorf("%w: invalid literal/length code", errInflate)
		}
		// A length of at most 15+5 bits and a distance of at most 15+13:
		// both within the 56 bits refill leaves.
		length := int(e>>16) + int(br.take(uint(e>>4&15)))
		d := br.decode(dist, distRoot)
		if d>>8&7 != kindBase {
			return o, fmt.Errorf("%w: invalid distance code", errInflate)
		}
		if br.n < 13 {
			br.refill()
		}
		dd := int(d>>16) + int(br.take(uint(d>>4&15)))
		if dd > o {
			return o, fmt.Errorf("%w: distance before the start", errInflate)
		}
		end := o + length
		if end > len(out) {
			return o, fmt.Errorf("%w: more bytes than the header says", errInflate)
		}
		from := o - dd
		switch {
		case dd >= 8 && end+8 <= len(out):
			// Eight bytes at a time, each read from bytes already written
			// (dd >= 8); the last store may run up to 7 bytes past end,
			// into bytes written later.
			for k := o; k < end; k += 8 {
				binary.LittleEndian.PutUint64(out[k:], binary.LittleEndian.Uint64(out[k-dd:]))
			}
		case dd >= length:
			copy(out[o:end], out[from:from+length])
		default:
			// Overlapping: the copied stretch doubles each time.
			for w := o; w < end; {
				w += copy(out[w:end], out[from:w])
			}
		}
		o = end
	}
}
