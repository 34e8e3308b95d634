package scan

import (
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// RepositoryOf reads what a report says of the repository at path: the URL
// of its remote "origin" (else of its only remote), with any credentials
// taken out, and the commit and branch HEAD names. Without a usable remote
// it returns nil; a detached HEAD gives no branch.
func RepositoryOf(path string, opts Options) (*Repository, error) {
	r, err := openRepo(path, opts)
	if err != nil {
		return nil, err
	}
	remotes, err := r.git.Remotes()
	if err != nil {
		return nil, err
	}
	var raw string
	for _, rm := range remotes {
		c := rm.Config()
		if len(c.URLs) == 0 {
			continue
		}
		if c.Name == "origin" || len(remotes) == 1 {
			raw = c.URLs[0]
			break
		}
	}
	uri := RemoteURI(raw)
	if uri == "" {
		return nil, nil
	}
	repo := &Repository{URI: uri}
	if head, err := r.git.Reference(plumbing.HEAD, false); err == nil {
		if head.Type() == plumbing.SymbolicReference {
			repo.Branch = head.Target().String()
		}
		// The ref, resolved through the refs alone: go-git's
		// ResolveRevision loads every pack index first, which cost a
		// range scan of a large repository more than the range did.
		if h, err := r.git.Reference(plumbing.HEAD, true); err == nil && !h.Hash().IsZero() {
			repo.Revision = h.Hash().String()
		}
	}
	return repo, nil
}

// scpLike is git's "user@host:path" remote syntax.
var scpLike = regexp.MustCompile(`^(?:[A-Za-z0-9._~-]+@)?([A-Za-z0-9.-]+):([^/:][^:]*)$`)

// RemoteURI turns a git remote URL into an absolute URI fit for a report:
// https and ssh URLs without user, password, query or fragment (a remote
// set up as https://x-access-token:TOKEN@github.com/... must not put the
// token in a SARIF file), scp-like "git@host:owner/repo" as
// ssh://host/owner/repo, and a local path as a file URI. Anything else
// gives "".
func RemoteURI(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.Contains(raw, "::") { // git's transport::address (ext::, fd::)
		return ""
	}
	if m := scpLike.FindStringSubmatch(raw); m != nil && !strings.Contains(raw, "://") {
		return (&url.URL{Scheme: "ssh", Host: m[1], Path: "/" + strings.TrimPrefix(m[2], "/")}).String()
	}
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return ""
		}
		switch u.Scheme {
		case "https", "http", "ssh", "git":
		default:
			return ""
		}
		u.User, u.RawQuery, u.Fragment, u.ForceQuery, u.RawFragment = nil, "", "", false, ""
		return u.String()
	}
	if filepath.IsAbs(raw) {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(raw)}).String()
	}
	return ""
}

// WorkTree returns the root of the work tree holding path (a bare
// repository's own directory): where .vastguard.yaml is looked for. Of
// opts only AllowBareInWorkTree counts, as for Scan.
func WorkTree(path string, opts Options) (string, error) {
	gitDir, workTree, err := locate(path, opts.AllowBareInWorkTree)
	if err != nil {
		return "", err
	}
	if workTree == "" {
		return gitDir, nil
	}
	return workTree, nil
}
