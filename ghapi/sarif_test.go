package ghapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/ghapi/ghtest"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

// leakySARIF scans a repository with a planted key and returns the SARIF
// report and the key.
func leakySARIF(t *testing.T) ([]byte, string) {
	t.Helper()
	r := scantest.New(t)
	key := scantest.Key(7)
	r.Commit("leak", scantest.Files{"deploy/.env": "VAST_API_KEY=" + key + "\n"})
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 {
		t.Fatalf("findings = %d, want 1", len(rep.Findings))
	}
	doc, err := scan.SARIF(rep, scan.Tool{Name: "vastguard", Version: "1.0.0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return doc, key
}

func TestUploadSARIF(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	c := newClient(t, srv, srv.Token)
	doc, key := leakySARIF(t)

	up, err := c.UploadSARIF(t.Context(), "octo", "app", doc, strings.ToUpper(sha), "refs/pull/42/merge")
	if err != nil {
		t.Fatalf("UploadSARIF: %v", err)
	}
	ups := srv.Uploads()
	if len(ups) != 1 {
		t.Fatalf("uploads = %d, want 1", len(ups))
	}
	if diff := cmp.Diff(ghapi.Upload{ID: ups[0].ID, URL: srv.URL + "/repos/octo/app/code-scanning/sarifs/" + ups[0].ID}, up); diff != "" {
		t.Errorf("Upload (-want +got):\n%s", diff)
	}
	got := ups[0]
	want := ghtest.Upload{
		ID: got.ID, Owner: "octo", Repo: "app",
		CommitSHA: sha, Ref: "refs/pull/42/merge", ToolName: "vastguard",
		SARIF: doc, GzipSize: got.GzipSize, Status: "complete",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the fake's upload (-want +got):\n%s", diff)
	}

	// Decode what went over the wire here too, not only in the fake:
	// standard base64 without line breaks, then gzip, then the very bytes.
	var body struct {
		SARIF string `json:"sarif"`
	}
	reqs := srv.Requests()
	if err := json.Unmarshal([]byte(reqs[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(body.SARIF, "\n\r") {
		t.Error("the base64 has line breaks")
	}
	gz, err := base64.StdEncoding.Strict().DecodeString(body.SARIF)
	if err != nil {
		t.Fatalf("sarif is not standard base64: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("sarif is not gzip: %v", err)
	}
	plain, _ := io.ReadAll(zr)
	if diff := cmp.Diff(string(doc), string(plain)); diff != "" {
		t.Errorf("decoded SARIF (-want +got):\n%s", diff)
	}
	if !json.Valid(plain) {
		t.Error("decoded SARIF is not JSON")
	}
	assertNoSecret(t, "the request body", reqs[0].Body, key, srv.Token)
	assertNoSecret(t, "the uploaded SARIF", string(plain), key, srv.Token)
	if reqs[0].Auth != "Bearer "+srv.Token || reqs[0].APIVersion != "2022-11-28" || reqs[0].UserAgent != ghapi.DefaultUserAgent {
		t.Errorf("request headers: auth ok %v, version %q, agent %q", reqs[0].Auth == "Bearer "+srv.Token, reqs[0].APIVersion, reqs[0].UserAgent)
	}

	st, err := c.SARIFStatus(t.Context(), "octo", "app", up.ID)
	if err != nil || st.Processing != "complete" || !strings.Contains(st.AnalysesURL, up.ID) {
		t.Errorf("SARIFStatus = %+v, %v", st, err)
	}
	srv.SetUploadStatus(up.ID, "pending")
	if st, err := c.SARIFStatus(t.Context(), "octo", "app", up.ID); err != nil || st.Processing != "pending" {
		t.Errorf("SARIFStatus = %+v, %v", st, err)
	}
	if _, err := c.SARIFStatus(t.Context(), "octo", "app", "00000000-0000-4000-8000-000000000000"); !errors.Is(err, ghapi.ErrNotFound) {
		t.Errorf("unknown upload: %v, want ErrNotFound", err)
	}
	if _, err := c.SARIFStatus(t.Context(), "octo", "app", "../../x"); err == nil || len(srv.Requests()) != 4 {
		t.Errorf("a path in the id: %v (requests %d)", err, len(srv.Requests()))
	}
}

func TestUploadSARIFRefusesBadArguments(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	c := newClient(t, srv, srv.Token)
	good := []byte(`{"version":"2.1.0","runs":[]}`)
	tests := []struct {
		name        string
		owner, repo string
		sarif       []byte
		commit, ref string
		want        string
	}{
		{"short commit", "octo", "app", good, "abc123", "refs/heads/main", "not a full 40-character commit SHA"},
		{"SHA-256 commit", "octo", "app", good, strings.Repeat("a", 64), "refs/heads/main", "40-character"},
		{"commit with a non-hex letter", "octo", "app", good, strings.Repeat("g", 40), "refs/heads/main", "40-character"},
		{"branch name instead of a ref", "octo", "app", good, sha, "main", "must start with refs/heads/"},
		{"remote ref", "octo", "app", good, sha, "refs/remotes/origin/main", "must start with"},
		{"pull ref without merge or head", "octo", "app", good, sha, "refs/pull/42", "ends in /merge or /head"},
		{"pull ref with a name", "octo", "app", good, sha, "refs/pull/abc/merge", "number"},
		{"empty branch", "octo", "app", good, sha, "refs/heads/", "empty"},
		{"branch with ..", "octo", "app", good, sha, "refs/heads/a..b", `".."`},
		{"branch with a space", "octo", "app", good, sha, "refs/heads/a b", "space"},
		{"not JSON", "octo", "app", []byte("<xml/>"), sha, "refs/heads/main", "not a SARIF JSON document"},
		{"SARIF 2.0", "octo", "app", []byte(`{"version":"2.0.0","runs":[]}`), sha, "refs/heads/main", `"2.1.0"`},
		{"no runs", "octo", "app", []byte(`{"version":"2.1.0"}`), sha, "refs/heads/main", "runs"},
		{"path in the owner", "../x", "app", good, sha, "refs/heads/main", "not a GitHub user or organisation name"},
		{"path in the repo", "octo", "a/b", good, sha, "refs/heads/main", "not a GitHub repository name"},
		{"dot-dot repo", "octo", "..", good, sha, "refs/heads/main", "not a GitHub repository name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.UploadSARIF(t.Context(), tt.owner, tt.repo, tt.sarif, tt.commit, tt.ref)
			wantErr(t, err, tt.want)
		})
	}
	t.Cleanup(func() {
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("%d requests sent for bad arguments", n)
		}
	})
}

func TestUploadSARIFTooLarge(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	c := newClient(t, srv, srv.Token)
	// Random base64 compresses to about three quarters: 14 MB of it is
	// well over 10 MB of gzip.
	noise := make([]byte, 10_500_000)
	rand.Read(noise)
	doc := fmt.Sprintf(`{"version":"2.1.0","runs":[],"properties":{"noise":%q}}`, base64.StdEncoding.EncodeToString(noise))
	_, err := c.UploadSARIF(t.Context(), "octo", "app", []byte(doc), sha, "refs/heads/main")
	if !errors.Is(err, ghapi.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	wantErr(t, err, "gzipped, over GitHub's limit of 10000000")
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for a report over the limit", n)
	}
}

func TestUploadSARIFNeeds202(t *testing.T) {
	t.Parallel()
	good := []byte(`{"version":"2.1.0","runs":[]}`)
	tests := []struct {
		name  string
		fault ghtest.Fault
		want  string
	}{
		{"200", ghtest.Fault{Status: 200}, "GitHub answered 200: OK with no upload id"},
		{"201", ghtest.Fault{Status: 201, Body: `{"id":"x","url":"y"}`}, "GitHub answered 201: Created with no upload id"},
		{"204", ghtest.Fault{Status: 204}, "GitHub answered 204"},
		{"202 without an id", ghtest.Fault{Status: 202, Body: `{}`}, "202 Accepted with no upload id"},
		{"202 with HTML", ghtest.Fault{Status: 202, Body: `<html>ok</html>`}, "not the JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghtest.NewServer(t)
			srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
			tt.fault.Route = ghtest.RouteUploadSARIF
			srv.Inject(tt.fault)
			up, err := newClient(t, srv, srv.Token).UploadSARIF(t.Context(), "octo", "app", good, sha, "refs/heads/main")
			if !errors.Is(err, ghapi.ErrBadResponse) {
				t.Fatalf("UploadSARIF = %+v, %v; want ErrBadResponse", up, err)
			}
			wantErr(t, err, "upload SARIF to octo/app", tt.want)
		})
	}
}

func TestUploadSARIFRefused(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	readOnly := "ghs_readonlyreadonlyreadonly1234"
	srv.AddToken(readOnly, ghtest.PermMetadata)
	good := []byte(`{"version":"2.1.0","runs":[]}`)
	tests := []struct {
		name     string
		token    string
		repo     string
		sentinel error
		want     []string
	}{
		{"a token without security-events", readOnly, "app", ghapi.ErrForbidden, []string{"403 Resource not accessible by integration", "security-events: write", "forks get a read-only GITHUB_TOKEN"}},
		{"a repository that is not there", srv.Token, "gone", ghapi.ErrNotFound, []string{"404 Not Found", "does not exist or the token cannot see it"}},
		{"a bad token", "ghp_badbadbadbadbadbadbadbad1234", "app", ghapi.ErrUnauthorized, []string{"401 Bad credentials", "did not accept the token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := newClient(t, srv, tt.token).UploadSARIF(t.Context(), "octo", tt.repo, good, sha, "refs/heads/main")
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			wantErr(t, err, tt.want...)
			assertNoSecret(t, "the error", err.Error(), tt.token)
		})
	}
}

func TestValidateRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref string
		ok  bool
	}{
		{"refs/heads/main", true},
		{"refs/heads/feature/x-1_2.3", true},
		{"refs/heads/ünïcode", true},
		{"refs/tags/v1.2.3", true},
		{"refs/pull/1/merge", true},
		{"refs/pull/12345/head", true},
		{"refs/pull/0/merge", false},
		{"refs/pull/012/merge", false},
		{"refs/pull/-1/merge", false},
		{"refs/pull/1/merge/x", false},
		{"refs/heads/x.lock", false},
		{"refs/heads/.hidden", false},
		{"refs/heads/a//b", false},
		{"refs/heads/a/", false},
		{"refs/heads/a.", false},
		{"refs/heads/@", false},
		{"refs/heads/a@{1}", false},
		{"refs/heads/a~1", false},
		{"refs/heads/a^", false},
		{"refs/heads/a:b", false},
		{"refs/heads/a?", false},
		{"refs/heads/a*", false},
		{"refs/heads/a[b", false},
		{"refs/heads/a\\b", false},
		{"refs/heads/a\x7f", false},
		{"refs/heads/a\tb", false},
		{"refs/heads/\xff", false},
		{"refs/tags/", false},
		{"refs/notes/commits", false},
		{"HEAD", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			t.Parallel()
			err := ghapi.ValidateRef(tt.ref)
			if (err == nil) != tt.ok {
				t.Errorf("ValidateRef(%q) = %v, want ok=%v", tt.ref, err, tt.ok)
			}
		})
	}
}

// FuzzValidateRef checks that what ValidateRef accepts has the shape code
// scanning documents, and that it never panics.
func FuzzValidateRef(f *testing.F) {
	for _, s := range []string{"refs/heads/main", "refs/pull/1/merge", "refs/tags/v1", "refs/heads/a..b", "refs/pull/9/head", "refs/heads/x.lock/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		if ghapi.ValidateRef(ref) != nil {
			return
		}
		rest, isPull := strings.CutPrefix(ref, "refs/pull/")
		if isPull {
			n, kind, _ := strings.Cut(rest, "/")
			if kind != "merge" && kind != "head" || n == "" || strings.Trim(n, "0123456789") != "" {
				t.Fatalf("accepted %q", ref)
			}
			return
		}
		if !strings.HasPrefix(ref, "refs/heads/") && !strings.HasPrefix(ref, "refs/tags/") {
			t.Fatalf("accepted %q without refs/heads/ or refs/tags/", ref)
		}
		if !utf8.ValidString(ref) {
			t.Fatalf("accepted %q, which is not UTF-8", ref)
		}
		for _, bad := range []string{"..", "@{", "//", " ", "\x00", "\n", "~", "^", ":", "?", "*", "[", "\\", "/.", ".lock/"} {
			if strings.Contains(ref, bad) {
				t.Fatalf("accepted %q containing %q", ref, bad)
			}
		}
		if strings.HasSuffix(ref, "/") || strings.HasSuffix(ref, ".") || strings.HasSuffix(ref, ".lock") {
			t.Fatalf("accepted %q", ref)
		}
	})
}

func TestValidateCommit(t *testing.T) {
	t.Parallel()
	for _, s := range []string{sha, strings.ToUpper(sha)} {
		if err := ghapi.ValidateCommit(s); err != nil {
			t.Errorf("ValidateCommit(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", sha[:39], sha + "0", " " + sha[1:], "z" + sha[1:]} {
		if ghapi.ValidateCommit(s) == nil {
			t.Errorf("ValidateCommit(%q) = nil", s)
		}
	}
}

// ExampleClient_UploadSARIF uploads a report against the fake.
func ExampleClient_UploadSARIF() {
	srv := ghtest.New()
	srv.Start()
	defer srv.Close()
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})

	c, err := ghapi.New(srv.Token, ghapi.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	report := []byte(`{"version":"2.1.0","runs":[]}`)
	_, err = c.UploadSARIF(context.Background(), "octo", "app", report,
		"0123456789abcdef0123456789abcdef01234567", "refs/heads/main")
	fmt.Println(err, len(srv.Uploads()))

	_, err = c.UploadSARIF(context.Background(), "octo", "app", report, "0123456", "main")
	fmt.Println(err)
	// Output:
	// <nil> 1
	// upload SARIF to octo/app: commit "0123456" is not a full 40-character commit SHA (code scanning needs the full id, as GITHUB_SHA holds it)
}
