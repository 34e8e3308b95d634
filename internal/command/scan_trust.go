package command

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/safefile"
	"github.com/vastguard/vastguard/internal/scanconfig"
	"github.com/vastguard/vastguard/scan"
)

// A pull request's checkout is the pull request's: its author decides
// every file in it, .vastguard.yaml and the baseline included. A scan that
// took its configuration from there would let the pull request exclude the
// path it adds a key at, turn the rule off, list the key as an example or
// add its hash to the baseline, and pass. So on pull_request and
// pull_request_target events the Action reads a configuration or baseline
// that the repository tracks from the base commit of the pull request:
// what the target branch already accepted. A change the pull request makes
// to them takes effect once merged, and the summary says so. A file the
// repository does not track (written by an earlier step of the workflow,
// which the pull request does not control) is read from the workspace. On
// other events (push, schedule) whoever pushed could change the workflow
// itself, so the work tree is used.

// trusted are the scan's inputs read from where the event allows, and
// what the summary should say about that.
type trusted struct {
	scanInputs
	notes []string
}

// maxBaselineFile bounds a baseline read from git.
const maxBaselineFile = 128 << 20

func trustedScanInputs(sc actionScanConfig, ws *safefile.Root, ev ghactions.PREvent, isPR bool) (trusted, error) {
	t := trusted{scanInputs: scanInputs{given: true}}
	root, err := scan.WorkTree(sc.path)
	if err != nil {
		root = sc.path // the scan explains what is wrong
	}
	// In the workspace, relative to it: what safefile opens.
	inWS := func(abs string) string { return rel(sc.workspace, abs) }
	// The configuration.
	named := sc.config != ""
	cfgPath := filepath.Join(sc.workspace, sc.config)
	what := "input config"
	if !named {
		cfgPath = filepath.Join(root, scanconfig.FileName)
		what = scanconfig.FileName
	}
	data, from, err := t.read(root, cfgPath, inWS(cfgPath), ws, ev, isPR, scanconfig.MaxSize)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !named:
	case errors.Is(err, fs.ErrNotExist) && from != "":
		t.notes = append(t.notes, fmt.Sprintf("the configuration %s is not on the base branch (%s), so none is used for this pull request", rel(root, cfgPath), from))
	case err != nil:
		return t, fmt.Errorf("%s: %w", what, err)
	default:
		name := rel(root, cfgPath)
		c, err := scanconfig.Parse(name, data, nil)
		if err != nil {
			if from != "" {
				return t, fmt.Errorf("%s (from the base branch, %s): %w", what, from, err)
			}
			if named {
				return t, inputError("config", "%v", err)
			}
			return t, err
		}
		t.config = c
	}
	// The baseline: the input, else the configuration's.
	blPath := ""
	switch {
	case sc.baseline != "":
		blPath = filepath.Join(sc.workspace, sc.baseline)
	case t.config != nil && t.config.Baseline != "":
		blPath = filepath.Join(root, filepath.FromSlash(t.config.Baseline))
	}
	if blPath != "" {
		data, from, err := t.read(root, blPath, inWS(blPath), ws, ev, isPR, maxBaselineFile)
		switch {
		case errors.Is(err, fs.ErrNotExist) && from != "":
			t.notes = append(t.notes, fmt.Sprintf("the baseline %s is not on the base branch (%s), so none is used for this pull request", rel(root, blPath), from))
		case err != nil:
			return t, inputError("baseline", "%v", err)
		default:
			b, err := scan.ParseBaseline(bytes.NewReader(data))
			if err != nil {
				return t, inputError("baseline", "%s: %v", rel(root, blPath), err)
			}
			t.baseline = b
		}
	}
	return t, nil
}

// read reads name (absolute; wsRel in the workspace ws) for the scan. On
// a pull request, a file the repository at root tracks is read as the
// base commit has it; from is then the base's short id, and a note says
// when the pull request changes it. Otherwise it is read from the
// workspace, no link followed on the way (safefile).
func (t *trusted) read(root, name, wsRel string, ws *safefile.Root, ev ghactions.PREvent, isPR bool, max int64) (data []byte, from string, err error) {
	r, inRepo := relIn(root, name)
	if isPR && inRepo {
		head, headErr := scan.FileAt(root, "HEAD", r, max)
		if headErr == nil || !errors.Is(headErr, fs.ErrNotExist) {
			from = shortID(ev.Base)
			base, err := scan.FileAt(root, ev.Base, r, max)
			if err != nil {
				if errors.Is(err, scan.ErrMissingRevision) {
					return nil, from, fmt.Errorf("the pull request's base %s is not in the checkout: use actions/checkout with fetch-depth: 0", from)
				}
				return nil, from, err
			}
			t.notes = append(t.notes, fmt.Sprintf("%s was read from the base branch (%s): a pull request cannot change what it is scanned with", r, from))
			if headErr == nil && !bytes.Equal(head, base) {
				t.notes = append(t.notes, fmt.Sprintf("this pull request changes %s; the change applies once it is merged", r))
			}
			return base, from, nil
		}
	}
	f, err := ws.Open(wsRel)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, "", err
	}
	if int64(len(data)) > max {
		return nil, "", fmt.Errorf("%s is larger than %d KiB", wsRel, max>>10)
	}
	return data, "", nil
}

// relIn is name relative to root (slash-separated), and whether it is
// inside root.
func relIn(root, name string) (string, bool) {
	r, err := filepath.Rel(root, name)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) || filepath.IsAbs(r) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

func rel(root, name string) string {
	if r, ok := relIn(root, name); ok {
		return r
	}
	return name
}

var repoFullName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}/[A-Za-z0-9._-]{1,100}$`)

// serverBase is GITHUB_SERVER_URL as a base for links: https (or http) with
// a host, nothing else; github.com when unset.
func serverBase(getenv func(string) string) string {
	raw := strings.TrimSpace(getenv("GITHUB_SERVER_URL"))
	if raw == "" {
		raw = "https://github.com"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return ""
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")
}

// actionRepository is the repository and commit the workflow runs on, for
// SARIF's versionControlProvenance: GITHUB_SERVER_URL/GITHUB_REPOSITORY at
// GITHUB_SHA on GITHUB_REF.
func actionRepository(getenv func(string) string) *scan.Repository {
	base, repo := serverBase(getenv), getenv("GITHUB_REPOSITORY")
	if base == "" || !repoFullName.MatchString(repo) {
		return nil
	}
	r := &scan.Repository{URI: base + "/" + repo}
	if sha := getenv("GITHUB_SHA"); regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`).MatchString(sha) {
		r.Revision = sha
	}
	if ref := getenv("GITHUB_REF"); strings.HasPrefix(ref, "refs/") && !strings.ContainsAny(ref, " \n\r\t") {
		r.Branch = ref
	}
	return r
}

// serverLinks makes links to the server the run came from (GitHub.com or
// an Enterprise Server), for the job summary.
type serverLinks struct {
	base string // https://github.com/owner/repo
}

func newServerLinks(getenv func(string) string) *serverLinks {
	base, repo := serverBase(getenv), getenv("GITHUB_REPOSITORY")
	if base == "" || !repoFullName.MatchString(repo) {
		return nil
	}
	return &serverLinks{base: base + "/" + repo}
}

var commitID = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

func (l *serverLinks) commit(sha string) string {
	if l == nil || !commitID.MatchString(sha) {
		return ""
	}
	return l.base + "/commit/" + sha
}

// file links to a file at a commit, at its line.
func (l *serverLinks) file(sha, path string, line int) string {
	if l == nil || !commitID.MatchString(sha) || path == "" {
		return ""
	}
	parts := strings.Split(path, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	u := l.base + "/blob/" + sha + "/" + strings.Join(parts, "/")
	if line > 0 {
		u += "#L" + strconv.Itoa(line)
	}
	return u
}

func (l *serverLinks) tag(name string) string {
	if l == nil || name == "" {
		return ""
	}
	return l.base + "/releases/tag/" + url.PathEscape(name)
}

// onServer reports whether a finding's commit is one the server has: reached
// from a branch or tag, not only from this clone's stash, notes or reflog.
func onServer(f scan.Finding) bool {
	switch {
	case f.Ref == "", f.Ref == "HEAD":
		return true
	case strings.HasPrefix(f.Ref, "refs/heads/"), strings.HasPrefix(f.Ref, "refs/tags/"),
		strings.HasPrefix(f.Ref, "refs/remotes/"), strings.HasPrefix(f.Ref, "refs/pull/"):
		return true
	}
	return false
}

// markdownLink is [text](url) with the text escaped and the URL's
// characters that end a Markdown link percent-encoded; just the text when
// there is no URL.
func markdownLink(text, u string) string {
	if u == "" {
		return text
	}
	u = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", "|", "%7C", "[", "%5B", "]", "%5D").Replace(u)
	return "[" + text + "](" + u + ")"
}
