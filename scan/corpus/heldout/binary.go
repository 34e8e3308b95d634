package heldout

import (
	"database/sql"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // a real SQLite file, as an app would commit it
)

// sqliteFile returns the bytes of a real SQLite database made by running
// stmts (each filled from v).
func sqliteFile(stmts ...string) func(v []string) string {
	return func(v []string) string {
		dir, err := os.MkdirTemp("", "heldout-sqlite")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		p := filepath.Join(dir, "db.sqlite")
		db, err := sql.Open("sqlite", p)
		if err != nil {
			panic(err)
		}
		for _, s := range stmts {
			if _, err := db.Exec(sub(s, v)); err != nil {
				db.Close()
				panic(err)
			}
		}
		if err := db.Close(); err != nil {
			panic(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			panic(err)
		}
		return string(b)
	}
}

// pickleDict is a protocol-4 pickle of a flat dict of strings (keys and
// values taken in pairs from kv, values filled from v), as pickle.dump
// writes it: PROTO, FRAME, EMPTY_DICT, MARK, SHORT_BINUNICODE pairs with
// MEMOIZE, SETITEMS, STOP.
func pickleDict(kv ...string) func(v []string) string {
	return func(v []string) string {
		var body []byte
		body = append(body, '}', 0x94, '(')
		for _, s := range kv {
			s = sub(s, v)
			body = append(body, 0x8c, byte(len(s)))
			body = append(body, s...)
			body = append(body, 0x94)
		}
		body = append(body, 'u', '.')
		out := []byte{0x80, 0x04, 0x95}
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(body)))
		out = append(out, n[:]...)
		out = append(out, body...)
		return string(out)
	}
}

// pyc is the shape of a CPython 3.11 .pyc for a module that assigns
// string constants to names: marshal writes co_consts (the values) before
// co_names (the names), each short ASCII string as a type byte and a length
// byte.
func pyc(names []string, values []string) func(v []string) string {
	return func(v []string) string {
		b := []byte{0xa7, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, 0x5e, 0x1a, 0x3b, 0x66, 0x80, 0x01, 0, 0}
		b = append(b, 0xe3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0xf3)
		b = append(b, 0x1c, 0, 0, 0, 0x97, 0, 0x64, 0, 0x5a, 0, 0x64, 0x01, 0x5a, 0x01, 0x64, 0x02, 0x53, 0)
		b = append(b, 0xa9, byte(len(values)+1))
		for _, s := range values {
			s = sub(s, v)
			b = append(b, 0xfa, byte(len(s)))
			b = append(b, s...)
		}
		b = append(b, 'N', 0xa9, byte(len(names)))
		for _, s := range names {
			b = append(b, 0xda, byte(len(s)))
			b = append(b, s...)
		}
		b = append(b, 0x29, 0, 0xda, 0x0b)
		b = append(b, "settings.py"...)
		b = append(b, 0xda, 0x08)
		b = append(b, "<module>"...)
		b = append(b, 0x72, 0x06, 0, 0, 0, 0xf3, 0x04, 0, 0, 0, 0xf0, 0x03, 0x01, 0x01)
		return string(b)
	}
}

// goBinary is the shape of a Go executable built with
// -ldflags "-X main.NAME=VALUE": an ELF header, the injected string packed
// among the binary's other string constants (Go's rodata has no separators),
// and the build info that records the flags.
func goBinary(module, ldflags, neighbours string) func(v []string) string {
	return func(v []string) string {
		var b strings.Builder
		b.WriteString("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00\x01\x00\x00\x00")
		b.WriteString(strings.Repeat("\x00", 200))
		b.WriteString(sub(neighbours, v))
		b.WriteString(strings.Repeat("\x00", 64))
		b.WriteString("\xff Go buildinf:\x08\x02")
		b.WriteString(strings.Repeat("\x00", 16))
		b.WriteString("\x13go1.22.4\xa5\x02")
		b.WriteString("0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6path\t" + module + "\nmod\t" + module + "\t(devel)\t\nbuild\t-buildmode=exe\nbuild\t-compiler=gc\nbuild\t-ldflags=\"" + sub(ldflags, v) + "\"\nbuild\tCGO_ENABLED=0\nbuild\tGOARCH=amd64\nbuild\tGOOS=linux\n\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2")
		b.WriteString(strings.Repeat("\x00", 128))
		return b.String()
	}
}
