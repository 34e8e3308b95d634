package gitobj

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// zlibOf compresses data at level (flate.HuffmanOnly, flate.NoCompression
// and 1-9), as git would with core.compression.
func zlibOf(tb testing.TB, data []byte, level int) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw, err := zlib.NewWriterLevel(&b, level)
	if err != nil {
		tb.Fatal(err)
	}
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// inflateInputs are texts that take every path: literals, short and long
// matches, overlapping ones (runs), stored blocks over 64 KiB, fixed and
// dynamic blocks, several blocks.
func inflateInputs(tb testing.TB) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 200<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	src, _ := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "net", "http", "server.go"))
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog 0123456789\n"), 3000)
	return [][]byte{
		{},
		[]byte("a"),
		[]byte("abc"),
		bytes.Repeat([]byte{'x'}, 100000), // distance 1
		bytes.Repeat([]byte("ab"), 50000), // distance 2
		bytes.Repeat([]byte("abcdefghij"), 10000),
		random,
		text,
		src,
		append(append([]byte{}, random[:70000]...), text...),
	}
}

func TestInflateMatchesZlib(t *testing.T) {
	var inf inflater
	for k, data := range inflateInputs(t) {
		for _, level := range []int{flate.NoCompression, flate.HuffmanOnly, 1, 6, 9} {
			z := zlibOf(t, data, level)
			out := make([]byte, len(data))
			if err := inf.zlibInto(out, z, true); err != nil {
				t.Fatalf("input %d, level %d: %v", k, level, err)
			}
			if !bytes.Equal(out, data) {
				t.Fatalf("input %d, level %d: inflated bytes differ", k, level)
			}
		}
	}
}

func TestInflateRefusesCorruption(t *testing.T) {
	var inf inflater
	data := inflateInputs(t)[8]
	if len(data) == 0 {
		data = inflateInputs(t)[7]
	}
	z := zlibOf(t, data, 6)
	cases := map[string]struct {
		out   int
		z     []byte
		check bool
	}{
		"declared size too large": {len(data) + 1, z, false},
		"declared size too small": {len(data) - 1, z, false},
		"no trailer":              {len(data), z[:len(z)-4], false},
		"no header":               {len(data), z[:1], false},
		"preset dictionary":       {len(data), append([]byte{0x78, 0xbb}, z[2:]...), false},
		"not deflate":             {len(data), append([]byte{0x79, 0x9c}, z[2:]...), false},
		"bad checksum":            {len(data), append(append([]byte{}, z[:len(z)-1]...), z[len(z)-1]^1), true},
	}
	for name, c := range cases {
		out := make([]byte, c.out)
		if err := inf.zlibInto(out, c.z, c.check); !errors.Is(err, errInflate) {
			t.Errorf("%s: got %v, want a corrupt-stream error", name, err)
		}
	}
	// Every truncation is refused.
	for n := 0; n < len(z)-4; n += 1 + n/50 {
		out := make([]byte, len(data))
		if err := inf.zlibInto(out, z[:n], false); err == nil {
			t.Fatalf("cut at %d of %d bytes: no error", n, len(z))
		}
	}
	// The checksum is only checked when asked.
	bad := append(append([]byte{}, z[:len(z)-1]...), z[len(z)-1]^1)
	if err := inf.zlibInto(make([]byte, len(data)), bad, false); err != nil {
		t.Errorf("unchecked trailer: %v", err)
	}
}

// FuzzInflate holds the decoder to compress/flate's: whatever one accepts
// the other accepts, with the same bytes; neither panics.
func FuzzInflate(f *testing.F) {
	for _, data := range inflateInputs(f) {
		if len(data) > 4096 {
			data = data[:4096]
		}
		for _, level := range []int{flate.NoCompression, flate.HuffmanOnly, 1, 9} {
			f.Add(zlibOf(f, data, level))
		}
	}
	var inf inflater
	f.Fuzz(func(t *testing.T, z []byte) {
		zr, err := zlib.NewReader(bytes.NewReader(z))
		var want []byte
		if err == nil {
			want, err = io.ReadAll(io.LimitReader(zr, 1<<20))
		}
		out := make([]byte, len(want))
		got := inf.zlibInto(out, z, true)
		switch {
		case err == nil && got != nil:
			t.Fatalf("compress/flate accepts it, zlibInto refuses it: %v", got)
		case err != nil && got == nil && len(want) < 1<<20:
			t.Fatalf("compress/flate refuses it (%v), zlibInto accepts it", err)
		case err == nil && !bytes.Equal(out, want):
			t.Fatal("inflated bytes differ from compress/flate's")
		}
	})
}

// BenchmarkInflateSmall inflates the many small objects a pack is mostly
// made of (2 KiB pieces of source), where building each block's tables
// costs as much as decoding it.
func BenchmarkInflateSmall(b *testing.B) {
	data := inflateInputs(b)[8]
	var zs [][]byte
	for k := 0; k+2048 <= len(data); k += 2048 {
		zs = append(zs, zlibOf(b, data[k:k+2048], 6))
	}
	out := make([]byte, 2048)
	var inf inflater
	b.SetBytes(int64(len(zs) * 2048))
	for b.Loop() {
		for _, z := range zs {
			if err := inf.zlibInto(out, z, false); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkInflate(b *testing.B) {
	data := inflateInputs(b)[8]
	z := zlibOf(b, data, 6)
	out := make([]byte, len(data))
	b.Run("zlibInto", func(b *testing.B) {
		var inf inflater
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if err := inf.zlibInto(out, z, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("klauspost", func(b *testing.B) {
		var wk worker
		var br bytes.Reader
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			br.Reset(z)
			if err := wk.reset(&br); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(wk.zr, out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		var zr io.ReadCloser
		var br bytes.Reader
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			br.Reset(z)
			if zr == nil {
				zr, _ = zlib.NewReader(&br)
			} else {
				zr.(zlib.Resetter).Reset(&br, nil)
			}
			if _, err := io.ReadFull(zr, out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestSpareClasses(t *testing.T) {
	prev := int64(0)
	for n := int64(0); n <= 1<<spareMax; n += 1 + n/97 {
		c, size := spareClass(n)
		if size < n || size > max(2*n, 1<<spareMin) || (n > 1<<spareFine && size > n+n/4+1) {
			t.Fatalf("%d bytes: class size %d", n, size)
		}
		if c < 0 || c >= spareClasses {
			t.Fatalf("%d bytes: class %d of %d", n, c, spareClasses)
		}
		if c2, size2 := spareClass(size); c2 != c || size2 != size {
			t.Fatalf("%d bytes: class %d (%d), but its size %d is class %d (%d)", n, c, size, size, c2, size2)
		}
		if size < prev {
			t.Fatalf("%d bytes: class size %d below the last, %d", n, size, prev)
		}
		prev = size
	}
}
