package ghapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"
)

// MaxSARIFGzip is the largest gzip-compressed SARIF report UploadSARIF
// sends. GitHub documents "10 MB" for the compressed file; it is read here
// as 10,000,000 bytes, so a report at the edge is refused before sending
// rather than by GitHub after.
const MaxSARIFGzip = 10_000_000

// ToolName is the tool_name every upload carries.
const ToolName = "vastguard"

// Upload identifies a SARIF upload GitHub accepted for processing.
type Upload struct {
	ID  string // the upload's id (SARIFStatus takes it)
	URL string // the API URL of the upload's status
}

// UploadStatus is how far GitHub has got with an upload.
type UploadStatus struct {
	// Processing is "pending", "complete" or "failed".
	Processing string
	// AnalysesURL lists the analyses the upload produced, once complete.
	AnalysesURL string
}

var commitHex = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)

// ValidateCommit checks that sha is a full 40-character hex commit id, the
// only form code scanning accepts.
func ValidateCommit(sha string) error {
	if !commitHex.MatchString(sha) {
		return fmt.Errorf("commit %q is not a full 40-character commit SHA (code scanning needs the full id, as GITHUB_SHA holds it)", sha)
	}
	return nil
}

// ValidateRef checks that ref is a full ref code scanning accepts:
// refs/heads/BRANCH, refs/tags/TAG, or refs/pull/N/merge or refs/pull/N/head.
// Branch and tag names follow git's check-ref-format rules: no "..", no
// "@{", no control characters, spaces or any of ~^:?*[\, no component that
// starts with "." or ends with ".lock", no empty component, and no trailing
// "." or "/"; and valid UTF-8, since the ref travels in JSON.
func ValidateRef(ref string) error {
	bad := func(why string) error {
		return fmt.Errorf("ref %q is not a full ref code scanning accepts (refs/heads/BRANCH, refs/tags/TAG, refs/pull/N/merge or refs/pull/N/head, as GITHUB_REF holds it): %s", ref, why)
	}
	switch {
	case strings.HasPrefix(ref, "refs/pull/"):
		n, kind, ok := strings.Cut(strings.TrimPrefix(ref, "refs/pull/"), "/")
		if !ok || (kind != "merge" && kind != "head") {
			return bad("a pull request ref ends in /merge or /head")
		}
		if v, err := strconv.ParseUint(n, 10, 63); err != nil || v == 0 || n[0] == '0' {
			return bad("a pull request ref holds the pull request's number")
		}
		return nil
	case strings.HasPrefix(ref, "refs/heads/"):
		if why := refNameProblem(strings.TrimPrefix(ref, "refs/heads/")); why != "" {
			return bad(why)
		}
		return nil
	case strings.HasPrefix(ref, "refs/tags/"):
		if why := refNameProblem(strings.TrimPrefix(ref, "refs/tags/")); why != "" {
			return bad(why)
		}
		return nil
	}
	return bad("it must start with refs/heads/, refs/tags/ or refs/pull/")
}

// refNameProblem says what makes name, the part after refs/heads/ or
// refs/tags/, an invalid git ref name, or "" when it is fine.
func refNameProblem(name string) string {
	switch {
	case name == "":
		return "the branch or tag name is empty"
	case !utf8.ValidString(name):
		return "the name is not valid UTF-8"
	case len(name) > 255:
		return "the name is longer than 255 bytes"
	case name == "@":
		return `"@" is not a ref name`
	case strings.Contains(name, ".."), strings.Contains(name, "@{"):
		return `it contains ".." or "@{"`
	case strings.HasSuffix(name, "/"), strings.HasSuffix(name, "."):
		return `it ends with "/" or "."`
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == ' ' || strings.ContainsRune("~^:?*[\\", r) {
			return "it contains a space, a control character or one of ~^:?*[\\"
		}
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" {
			return "it has an empty path component"
		}
		if strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return `a component starts with "." or ends with ".lock"`
		}
	}
	return ""
}

// sarifHints says what an upload needs when GitHub refuses it.
func sarifHints(status int) string {
	const need = "uploading SARIF needs a token with security-events: write (GITHUB_TOKEN: `permissions: security-events: write` in the workflow; fine-grained or App token: \"Code scanning alerts: write\"; classic PAT: security_events, or public_repo for a public repository), and a private repository needs GitHub Code Security enabled"
	switch status {
	case http.StatusUnauthorized:
		return "GitHub did not accept the token (mistyped, expired or revoked)"
	case http.StatusForbidden:
		return need + "; pull requests from forks get a read-only GITHUB_TOKEN"
	case http.StatusNotFound:
		return "the repository does not exist or the token cannot see it; " + need
	case http.StatusRequestEntityTooLarge:
		return "the report is over GitHub's size limit"
	}
	return ""
}

// UploadSARIF uploads a SARIF 2.1.0 report to code scanning for one commit
// and ref: commitSHA is the full 40-character id and ref a full ref (see
// ValidateRef); on pull_request events, GITHUB_SHA and GITHUB_REF are the
// merge commit and refs/pull/N/merge. The report is gzipped and
// base64-encoded as GitHub requires and sent with tool_name "vastguard".
// No checkout_uri is sent: the report's URIs must already be relative to
// the repository root, as package scan writes them.
//
// Arguments are checked before any request: the report must be JSON with
// version "2.1.0" and a runs array, and at most MaxSARIFGzip bytes once
// compressed (ErrTooLarge otherwise). GitHub answers 202 Accepted and
// processes the report later: the returned Upload's ID is what SARIFStatus
// takes. Any other 2xx is an *Error matching ErrBadResponse, never a silent
// success. Needs security-events: write.
//
// GitHub API: POST /repos/{owner}/{repo}/code-scanning/sarifs
func (c *Client) UploadSARIF(ctx context.Context, owner, repo string, sarif []byte, commitSHA, ref string) (Upload, error) {
	op := fmt.Sprintf("upload SARIF to %s/%s", owner, repo)
	if err := checkRepo(owner, repo); err != nil {
		return Upload{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := ValidateCommit(commitSHA); err != nil {
		return Upload{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := ValidateRef(ref); err != nil {
		return Upload{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := checkSARIF(sarif); err != nil {
		return Upload{}, fmt.Errorf("%s: %w", op, err)
	}
	encoded, err := encodeSARIF(sarif)
	if err != nil {
		return Upload{}, fmt.Errorf("%s: %w", op, err)
	}
	id, resp, err := c.gh.CodeScanning.UploadSarif(ctx, owner, repo, &github.SarifAnalysis{
		CommitSHA: github.String(strings.ToLower(commitSHA)),
		Ref:       github.String(ref),
		Sarif:     github.String(encoded),
		ToolName:  github.String(ToolName),
	})
	if err != nil {
		return Upload{}, c.wrap(op, err, sarifHints)
	}
	if id == nil || id.GetID() == "" {
		status := http.StatusOK
		if resp != nil && resp.Response != nil {
			status = resp.StatusCode
		}
		msg := fmt.Sprintf("%s with no upload id (an upload is accepted with 202 and an id)", http.StatusText(status))
		if status == http.StatusAccepted {
			msg = "202 Accepted with no upload id in the body"
		}
		return Upload{}, &Error{Op: op, Status: status, Message: msg}
	}
	return Upload{ID: id.GetID(), URL: id.GetURL()}, nil
}

// checkSARIF refuses what GitHub would reject as not SARIF 2.1.0.
func checkSARIF(sarif []byte) error {
	var log struct {
		Version *string           `json:"version"`
		Runs    []json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal(sarif, &log); err != nil {
		return errors.New("the report is not a SARIF JSON document")
	}
	if log.Version == nil || *log.Version != "2.1.0" {
		return errors.New(`the report is not SARIF 2.1.0 (its "version" must be "2.1.0")`)
	}
	if log.Runs == nil {
		return errors.New(`the report has no "runs" array`)
	}
	return nil
}

// encodeSARIF gzips then base64-encodes (standard alphabet, no line
// breaks) the report, refusing one over MaxSARIFGzip compressed.
func encodeSARIF(sarif []byte) (string, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(sarif); err != nil {
		return "", fmt.Errorf("compressing the report: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("compressing the report: %w", err)
	}
	if buf.Len() > MaxSARIFGzip {
		return "", fmt.Errorf("the report is %d bytes gzipped, over GitHub's limit of %d (10 MB): %w; upload fewer results (for instance with a baseline)", buf.Len(), MaxSARIFGzip, ErrTooLarge)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// uploadID is the shape of a SARIF upload id (a UUID); it goes into a
// path, so nothing else is let through.
var uploadID = regexp.MustCompile(`^[A-Za-z0-9-]{1,100}$`)

// SARIFStatus reports how far GitHub has got with an upload: "pending"
// until processed, then "complete" or "failed". Needs security-events:
// read. An unknown id is an *Error matching ErrNotFound.
//
// GitHub API: GET /repos/{owner}/{repo}/code-scanning/sarifs/{sarif_id}
func (c *Client) SARIFStatus(ctx context.Context, owner, repo, id string) (UploadStatus, error) {
	op := fmt.Sprintf("get SARIF upload %s of %s/%s", id, owner, repo)
	if err := checkRepo(owner, repo); err != nil {
		return UploadStatus{}, fmt.Errorf("%s: %w", op, err)
	}
	if !uploadID.MatchString(id) {
		return UploadStatus{}, fmt.Errorf("get SARIF upload of %s/%s: %q is not an upload id", owner, repo, id)
	}
	u, _, err := c.gh.CodeScanning.GetSARIF(ctx, owner, repo, id)
	if err != nil {
		return UploadStatus{}, c.wrap(op, err, sarifHints)
	}
	if u.GetProcessingStatus() == "" {
		return UploadStatus{}, &Error{Op: op, Status: http.StatusOK, Message: "no processing_status in the answer"}
	}
	return UploadStatus{Processing: u.GetProcessingStatus(), AnalysesURL: u.GetAnalysesURL()}, nil
}
