package corpus

import (
	"encoding/binary"
	"strings"
)

// sqliteSettings returns a minimal SQLite database file holding one row
// (name, value) of a settings table, as an app that caches its config in
// SQLite commits it: the record's text columns sit side by side with no
// separator between them.
func sqliteSettings(name, value string) string {
	page := make([]byte, 4096)
	copy(page, "SQLite format 3\x00")
	binary.BigEndian.PutUint16(page[16:], 4096)
	page[18], page[19] = 1, 1
	page[21], page[22], page[23] = 64, 32, 32
	binary.BigEndian.PutUint32(page[28:], 2) // pages in the file
	binary.BigEndian.PutUint32(page[44:], 4) // schema format
	binary.BigEndian.PutUint32(page[56:], 1) // UTF-8
	// The table's leaf page: one cell at the end of the page.
	rec := []byte{0}
	rec = append(rec, serialText(name)...)
	rec = append(rec, serialText(value)...)
	rec[0] = byte(len(rec))
	rec = append(rec, name...)
	rec = append(rec, value...)
	cell := append(varint(uint64(len(rec))), 1) // payload length, rowid 1
	cell = append(cell, rec...)
	p2 := make([]byte, 4096)
	p2[0] = 0x0d // leaf table b-tree
	binary.BigEndian.PutUint16(p2[3:], 1)
	at := 4096 - len(cell)
	binary.BigEndian.PutUint16(p2[5:], uint16(at))
	binary.BigEndian.PutUint16(p2[8:], uint16(at))
	copy(p2[at:], cell)
	return string(page) + string(p2)
}

func serialText(s string) []byte { return varint(uint64(13 + 2*len(s))) }

func varint(v uint64) []byte {
	if v < 0x80 {
		return []byte{byte(v)}
	}
	return []byte{byte(0x80 | v>>7), byte(v & 0x7f)}
}

// pickleDict returns a Python pickle (protocol 4) of {name: value}, as
// pickle.dump(config) writes it.
func pickleDict(name, value string) string {
	var body []byte
	body = append(body, '}', 0x94)
	body = append(body, 0x8c, byte(len(name)))
	body = append(body, name...)
	body = append(body, 0x94, 0x8c, byte(len(value)))
	body = append(body, value...)
	body = append(body, 0x94, 's', '.')
	out := []byte{0x80, 4, 0x95}
	n := make([]byte, 8)
	binary.LittleEndian.PutUint64(n, uint64(len(body)))
	out = append(out, n...)
	return string(append(out, body...))
}

// goBinary returns the start of an ELF executable whose Go build info
// records the -ldflags it was built with (go version -m shows them).
func goBinary(ldflags string) string {
	var b strings.Builder
	b.WriteString("\x7fELF\x02\x01\x01\x00")
	b.WriteString(strings.Repeat("\x00", 120))
	b.WriteString("\xff Go buildinf:\x08\x02")
	b.WriteString(strings.Repeat("\x00", 16))
	b.WriteString("\x19go1.22.3\x00path\tgithub.com/acme/gpu-runner\nmod\tgithub.com/acme/gpu-runner\t(devel)\t\nbuild\t-ldflags=\"" + ldflags + "\"\nbuild\tCGO_ENABLED=0\n")
	b.WriteString(strings.Repeat("\x00", 64))
	return b.String()
}

// pngWithText returns a PNG whose tEXt chunk holds text (a build note).
func pngWithText(text string) string {
	var b strings.Builder
	b.WriteString("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa")
	n := make([]byte, 4)
	binary.BigEndian.PutUint32(n, uint32(len(text)))
	b.Write(n)
	b.WriteString("tEXt")
	b.WriteString(text)
	b.WriteString("\x00\x00\x00\x00\x00\x00\x00\x00IEND\xaeB`\x82")
	return b.String()
}
