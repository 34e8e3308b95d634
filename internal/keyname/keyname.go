// Package keyname names the keys vastguard mints. Vast keys never expire,
// so a minted key carries its expiry in its name, with where it came from,
// and `vastguard sweep` acts on the name alone. The format is seven fields
// joined by ":":
//
//	vastguard:OWNER/REPO:run-RUNID-ATTEMPT:JOB:LABEL:exp-20261126T180000Z:NONCE
//
// e.g. vastguard:acme/gpu-tests:run-9876543210-1:train:mint:exp-20261126T180000Z:q7k2mx
//
// A key the Action mints with a management key starts with Prefix
// ("vastguard"); a key `vastguard broker` mints for a job starts with
// BrokerPrefix ("vastguard-broker") and is otherwise the same. The broker's
// reconcile deletes unrecorded keys only when Minted says the broker made
// them, so it never touches the Action's keys; sweep and audit read both
// kinds (an expired broker key is one the broker's reaper has not deleted
// yet, and sweep deleting it is a backstop the broker takes as "gone").
//
// LABEL is the key-name input, else the step's id (GITHUB_ACTION), and
// NONCE is 6 random base32 characters: jobs of a matrix share a job id, so
// only the nonce tells their keys apart. The fields other than the prefix,
// the run and the expiry hold only [A-Za-z0-9._-] (anything else becomes
// "_"), so ":" can never appear inside one. A name longer than the API's 255
// characters is shortened by cutting the longest of job, label and
// repository name, ending each cut field with "~".
//
// It imports vast only for the API's name length limit, and nothing else
// of vastguard's.
package keyname

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vastguard/vastguard/vast"
)

// Prefix starts every name the Action mints with a management key.
const Prefix = "vastguard"

// BrokerPrefix starts every name `vastguard broker` mints. Sweep touches
// keys of these two prefixes and nothing else.
const BrokerPrefix = "vastguard-broker"

// expiryLayout is the expiry's form in a name: UTC, to the second.
const expiryLayout = "20060102T150405Z"

// Name is the parsed form of a minted key's name.
type Name struct {
	Repository string // OWNER/REPO
	RunID      int64
	Attempt    int64
	Job        string
	Label      string
	Expires    time.Time // UTC, whole seconds
	Nonce      string
	// Broker says `vastguard broker` minted the key (BrokerPrefix), not the
	// Action with a management key (Prefix).
	Broker bool
}

// prefix is the name's first field.
func (k Name) prefix() string {
	if k.Broker {
		return BrokerPrefix
	}
	return Prefix
}

var (
	nameField  = regexp.MustCompile(`^[A-Za-z0-9._-]+~?$`)
	nonceField = regexp.MustCompile(`^[a-z2-7]{6}$`)
	runField   = regexp.MustCompile(`^run-(0|[1-9][0-9]{0,18})-(0|[1-9][0-9]{0,18})$`)
	notSafe    = regexp.MustCompile(`[^A-Za-z0-9._-]`)
)

// safeField makes s usable as a name field: characters outside
// [A-Za-z0-9._-] become "_", except one "~" at the end (the mark of a cut
// field), and an empty value becomes "_". It leaves a parsed field as it is.
func safeField(s string) string {
	cut := strings.HasSuffix(s, "~")
	if cut {
		s = s[:len(s)-1]
	}
	s = notSafe.ReplaceAllString(s, "_")
	if s == "" {
		s = "_"
	}
	if cut {
		s += "~"
	}
	return s
}

// NewNonce returns 6 random characters of lowercase base32.
func NewNonce() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b[:])
}

// String formats k as a key name of at most vast.MaxNameLength characters.
// Fields are made safe first (see safeField), so any Name formats to a
// name that Parse accepts; parsing the result gives k back, up to
// that cleaning and shortening.
func (k Name) String() string {
	owner, repo, ok := strings.Cut(k.Repository, "/")
	if !ok {
		owner, repo = "_", k.Repository
	}
	owner, repo = safeField(owner), safeField(repo)
	job, label := safeField(k.Job), safeField(k.Label)
	nonce := k.Nonce
	if !nonceField.MatchString(nonce) {
		nonce = NewNonce()
	}
	run := fmt.Sprintf("run-%d-%d", max(k.RunID, 0), max(k.Attempt, 0))
	exp := "exp-" + k.Expires.UTC().Format(expiryLayout)
	build := func() string {
		return strings.Join([]string{k.prefix(), owner + "/" + repo, run, job, label, exp, nonce}, ":")
	}
	// Shorten the longest of job, label and repository name one character at
	// a time until the name fits; the owner only if those are down to two.
	// With GitHub's limits (owner 39, repository 100 characters) the name
	// fits with job and label cut to about 30 characters each.
	for len(build()) > vast.MaxNameLength {
		p := &job
		if len(label) > len(*p) {
			p = &label
		}
		if len(repo) > len(*p) {
			p = &repo
		}
		if len(*p) <= 2 {
			p = &owner
		}
		if len(*p) <= 2 {
			break // unreachable: the fixed fields take at most 92 characters
		}
		cut := strings.TrimSuffix(*p, "~")
		*p = cut[:len(cut)-1] + "~"
	}
	return build()
}

// Parse parses a name made by Name.String, the Action's or the broker's
// (Broker tells them apart). ok is false for any other name: sweep never
// touches a key whose name does not parse.
func Parse(s string) (Name, bool) {
	if len(s) > vast.MaxNameLength {
		return Name{}, false
	}
	f := strings.Split(s, ":")
	if len(f) != 7 || (f[0] != Prefix && f[0] != BrokerPrefix) {
		return Name{}, false
	}
	owner, repo, ok := strings.Cut(f[1], "/")
	if !ok || !nameField.MatchString(owner) || !nameField.MatchString(repo) {
		return Name{}, false
	}
	m := runField.FindStringSubmatch(f[2])
	if m == nil {
		return Name{}, false
	}
	run, err1 := strconv.ParseInt(m[1], 10, 64)
	attempt, err2 := strconv.ParseInt(m[2], 10, 64)
	if err1 != nil || err2 != nil {
		return Name{}, false
	}
	if !nameField.MatchString(f[3]) || !nameField.MatchString(f[4]) {
		return Name{}, false
	}
	expStr, ok := strings.CutPrefix(f[5], "exp-")
	if !ok {
		return Name{}, false
	}
	exp, err := time.Parse(expiryLayout, expStr)
	if err != nil || exp.Format(expiryLayout) != expStr {
		return Name{}, false
	}
	if !nonceField.MatchString(f[6]) {
		return Name{}, false
	}
	return Name{
		Repository: owner + "/" + repo,
		RunID:      run,
		Attempt:    attempt,
		Job:        f[3],
		Label:      f[4],
		Expires:    exp.UTC(),
		Nonce:      f[6],
		Broker:     f[0] == BrokerPrefix,
	}, true
}

// Minted reports whether `vastguard broker` made a key of this name: it
// parses, with BrokerPrefix. A name the Action made, or one that only
// starts like the broker's, is not.
func Minted(name string) bool {
	k, ok := Parse(name)
	return ok && k.Broker
}
