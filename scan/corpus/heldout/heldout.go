// Package heldout is a second detection corpus, written apart from the
// engine (before its author read the detection code or the first corpus)
// to measure recall and false alarms on leak shapes the engine's authors did
// not write: tool configs, CI, infrastructure as code, Windows shells, logs,
// HTTP recordings, typed source constants, git side-stores, encodings and
// binary files, each taken from public code (Source names where), and
// look-alikes in the same contexts (digests, instance and daemon tokens,
// other services' secrets next to a mention of Vast).
//
// Every case is built into a git repository of its own by scantest (paths,
// commits, messages, notes, tags, stashes and binary blobs are real git
// objects), and scanned end to end. Values are made at run time: no
// key-shaped literal is in this package.
//
// The package is for tests and bench/heldout only; it imports scan/scantest
// and nothing of the engine.
package heldout

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	mrand "math/rand/v2"
	"path"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/vastguard/vastguard/scan/scantest"
)

// Case is one shape: a repository built around one or more values, each a
// planted Vast key (K) or a look-alike that is not one (D).
type Case struct {
	ID     string
	Family string // config, ci, iac, windows, log, http, code, cli, prose, git, encoding, binary
	Source string // where the shape was seen in public code
	Values string // one letter per value: K a planted key, D a look-alike
	Build  func(r *scantest.Repo, v []string)
}

// Planted and Decoys count the values of each kind over cases.
func Planted(cases []Case) (k, d int) {
	for _, c := range cases {
		k += strings.Count(c.Values, "K")
		d += strings.Count(c.Values, "D")
	}
	return k, d
}

// Values makes the case's values: 64 lowercase hex characters each, from
// crypto/rand when seed is empty, otherwise from a generator seeded by seed
// and the case id (so a run can be repeated).
func (c Case) NewValues(seed string) []string {
	var src io.Reader = rand.Reader
	if seed != "" {
		s := sha256.Sum256([]byte(seed + "\x00" + c.ID))
		src = mrand.NewChaCha8(s)
	}
	out := make([]string, len(c.Values))
	for i := range out {
		b := make([]byte, 32)
		if _, err := io.ReadFull(src, b); err != nil {
			panic(err)
		}
		out[i] = hex.EncodeToString(b)
	}
	return out
}

// sub fills a template: {{N}} is value N (1-based), {{b64:N}} its base64,
// {{b64line:N:PREFIX}} is not offered: whole-content encodings use encode.
func sub(tmpl string, v []string) string {
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "{{")
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		j := strings.Index(tmpl[i:], "}}")
		if j < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		ref := tmpl[i+2 : i+j]
		val, ok := lookup(ref, v)
		if !ok { // not ours ({{ secrets.X }}, Jinja, Helm): keep it
			b.WriteString(tmpl[:i+j+2])
			tmpl = tmpl[i+j+2:]
			continue
		}
		b.WriteString(tmpl[:i])
		b.WriteString(val)
		tmpl = tmpl[i+j+2:]
	}
}

func lookup(ref string, v []string) (string, bool) {
	enc := ""
	if k, rest, ok := strings.Cut(ref, ":"); ok {
		enc, ref = k, rest
	}
	n, err := strconv.Atoi(ref)
	if err != nil || n < 1 || n > len(v) {
		return "", false
	}
	switch enc {
	case "":
		return v[n-1], true
	case "b64":
		return base64.StdEncoding.EncodeToString([]byte(v[n-1])), true
	case "upper":
		return strings.ToUpper(v[n-1]), true
	}
	return "", false
}

type build = func(r *scantest.Repo, v []string)

// file commits one file.
func file(p, tmpl string) build {
	return func(r *scantest.Repo, v []string) {
		r.Commit("add "+path.Base(p), scantest.Files{p: sub(tmpl, v)})
	}
}

// files commits several files in one commit.
func files(fs map[string]string) build {
	return func(r *scantest.Repo, v []string) {
		out := scantest.Files{}
		for p, t := range fs {
			out[p] = sub(t, v)
		}
		r.Commit("add files", out)
	}
}

// encoded commits one file whose content is the filled template passed
// through enc.
func encoded(p string, enc func(string) string, tmpl string) build {
	return func(r *scantest.Repo, v []string) {
		r.Commit("add "+path.Base(p), scantest.Files{p: enc(sub(tmpl, v))})
	}
}

// raw commits one file made by mk from the values (binary formats).
func raw(p string, mk func(v []string) string) build {
	return func(r *scantest.Repo, v []string) {
		r.Commit("add "+path.Base(p), scantest.Files{p: mk(v)})
	}
}

// message makes a commit whose message is the template.
func message(tmpl string) build {
	return func(r *scantest.Repo, v []string) {
		r.Commit("init", scantest.Files{"README.md": "# tools\n"})
		r.Commit(sub(tmpl, v), scantest.Files{"deploy.sh": "#!/bin/sh\nvastai show instances\n"})
	}
}

// tag makes an annotated tag whose message is the template.
func tag(tmpl string) build {
	return func(r *scantest.Repo, v []string) {
		c := r.Commit("release", scantest.Files{"CHANGELOG.md": "## 1.4.0\n- autoscaler for Vast.ai workers\n"})
		r.Tag("v1.4.0", c, sub(tmpl, v))
	}
}

// note attaches a git note.
func note(tmpl string) build {
	return func(r *scantest.Repo, v []string) {
		c := r.Commit("deploy workers", scantest.Files{"deploy.sh": "#!/bin/sh\nvastai create instance \"$OFFER\" --image \"$IMAGE\"\n"})
		r.Note(c, sub(tmpl, v))
	}
}

// stash leaves the file only in a stash entry.
func stash(p, tmpl string) build {
	return func(r *scantest.Repo, v []string) {
		r.Commit("init", scantest.Files{"main.py": "import os\n\nKEY = os.environ[\"VAST_API_KEY\"]\n"})
		r.Stash("WIP on main: try a key", scantest.Files{p: sub(tmpl, v)})
	}
}

// removed commits the file, then deletes it: the key is only in history.
func removed(p, tmpl string) build {
	return func(r *scantest.Repo, v []string) {
		r.Commit("add "+path.Base(p), scantest.Files{p: sub(tmpl, v)})
		r.Commit("remove secret", scantest.Files{p: scantest.Delete})
	}
}

// rewritten leaves the file only under refs/original/, where
// git filter-branch keeps the history it rewrote.
func rewritten(p, tmpl string) build {
	return func(r *scantest.Repo, v []string) {
		r.Commit("init", scantest.Files{"README.md": "# gpu jobs\n"})
		r.Branch("old")
		c := r.Commit("add "+path.Base(p), scantest.Files{p: sub(tmpl, v)})
		r.Checkout("main")
		r.DeleteBranch("old")
		if err := r.Git.Storer.SetReference(plumbing.NewHashReference("refs/original/refs/heads/main", c)); err != nil {
			panic(err)
		}
	}
}

// merged puts the file only in a merge's conflict resolution.
func merged(p, tmpl string) build {
	return func(r *scantest.Repo, v []string) {
		r.Commit("init", scantest.Files{p: "VAST_API_KEY=\n"})
		r.Branch("feature")
		r.Commit("feature", scantest.Files{"feature.txt": "x\n"})
		r.Checkout("main")
		r.Commit("main", scantest.Files{"main.txt": "y\n"})
		r.Merge("feature", "Merge branch 'feature'", scantest.Files{p: sub(tmpl, v)})
	}
}

// utf16le is the content as Windows tools write it: a BOM, then UTF-16LE,
// CRLF line ends.
func utf16le(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n", "\r\n")
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2, 2+2*len(u))
	b[0], b[1] = 0xff, 0xfe
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return string(b)
}

// crlf is the content with Windows line ends.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// b64 is the whole content base64-encoded, wrapped at 76 columns as
// base64(1) does.
func b64wrapped(s string) string {
	e := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(e) > 76 {
		b.WriteString(e[:76])
		b.WriteByte('\n')
		e = e[76:]
	}
	b.WriteString(e)
	b.WriteByte('\n')
	return b.String()
}
