package ghapi_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/ghapi/ghtest"
)

func TestWorkflowRuns(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t, ghtest.WithMaxPerPage(2))
	day := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		srv.AddRun("acme", "gpu", ghtest.Run{Name: "ci", Event: "push", Branch: "main", HeadSHA: strings.Repeat("a", 40), Actor: "octocat", Created: day.Add(time.Duration(i) * 24 * time.Hour)})
	}
	c := newClient(t, srv, srv.Token)
	runs, err := c.WorkflowRuns(t.Context(), "acme", "gpu", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 5 || !runs[0].Created.Equal(day.Add(4*24*time.Hour)) || runs[0].Actor != "octocat" || runs[0].Name != "ci" || runs[0].Attempt != 1 || !strings.Contains(runs[0].URL, "/actions/runs/") {
		t.Errorf("runs = %+v", runs)
	}
	since, err := c.WorkflowRuns(t.Context(), "acme", "gpu", day.Add(3*24*time.Hour), 0)
	if err != nil || len(since) != 2 {
		t.Errorf("since: %d runs, %v", len(since), err)
	}
	var created []string
	for _, r := range srv.Requests() {
		if r.Route == ghtest.RouteListRuns && strings.Contains(r.Query, "created") {
			created = append(created, r.Query)
		}
	}
	if len(created) == 0 || !strings.Contains(created[0], "created=%3E%3D2026-09-04T10%3A00%3A00Z") {
		t.Errorf("queries %q: want created>=... ", created)
	}
	cut, err := c.WorkflowRuns(t.Context(), "acme", "gpu", time.Time{}, 3)
	if len(cut) != 3 || !errors.Is(err, ghapi.ErrTruncated) {
		t.Errorf("limit 3: %d runs, %v", len(cut), err)
	}
	// A token without Actions: read, a repository that is not there.
	srv.AddToken("ghp_"+strings.Repeat("n", 36), ghtest.PermMetadata)
	_, err = newClient(t, srv, "ghp_"+strings.Repeat("n", 36)).WorkflowRuns(t.Context(), "acme", "gpu", time.Time{}, 0)
	wantErr(t, err, "403", `"Actions: read"`)
	_, err = c.WorkflowRuns(t.Context(), "acme", "nope", time.Time{}, 0)
	wantErr(t, err, "404", "there is no repository acme/nope")
	if _, err := c.WorkflowRuns(t.Context(), "acme", "../x", time.Time{}, 0); err == nil {
		t.Error("a bad repository name reached the API")
	}
}

func TestRunLogs(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	logs := ghtest.LogArchive(time.Date(2026, 9, 7, 9, 15, 20, 0, time.UTC), false, ghtest.LogJob{Name: "build / lint: go", Steps: []ghtest.LogStep{{Name: "Set up job", Lines: []string{"Current runner version: '2.328.0'"}}, {Name: "Run tests", Lines: []string{"ok"}}}})
	id := srv.AddRun("acme", "gpu", ghtest.Run{Name: "ci", Logs: logs})
	none := srv.AddRun("acme", "gpu", ghtest.Run{Name: "queued", Status: "queued"})
	gone := srv.AddRun("acme", "gpu", ghtest.Run{Name: "old", Expired: true})
	c := newClient(t, srv, srv.Token)
	var b bytes.Buffer
	n, err := c.RunLogs(t.Context(), "acme", "gpu", id, &b, 0)
	if err != nil || n != int64(len(logs)) || !bytes.Equal(b.Bytes(), logs) {
		t.Fatalf("RunLogs = %d, %v", n, err)
	}
	z, _ := zip.NewReader(bytes.NewReader(b.Bytes()), n)
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, "|"); got != "0_build  lint go.txt|build  lint go/1_Set up job.txt|build  lint go/2_Run tests.txt|build  lint go/system.txt" {
		t.Errorf("archive layout: %s", got)
	}
	// The token went to the API only, never to the storage host.
	blobs := srv.BlobRequests()
	if len(blobs) != 1 || blobs[0].Auth != "" || blobs[0].Status != http.StatusOK {
		t.Errorf("blob requests %+v", blobs)
	}
	// An expired link is asked for again once.
	srv.ExpireNextLogLinks(1)
	b.Reset()
	if _, err := c.RunLogs(t.Context(), "acme", "gpu", id, &b, 0); err != nil || b.Len() != len(logs) {
		t.Errorf("after an expired link: %v", err)
	}
	srv.ExpireNextLogLinks(2)
	_, err = c.RunLogs(t.Context(), "acme", "gpu", id, &b, 0)
	wantErr(t, err, "403", "AuthenticationFailed", "the download link expired")
	assertNoSecret(t, "error", err.Error(), srv.Token, "sig=")
	_, err = c.RunLogs(t.Context(), "acme", "gpu", none, &b, 0)
	if !errors.Is(err, ghapi.ErrNoLogs) || !errors.Is(err, ghapi.ErrNotFound) {
		t.Errorf("no logs: %v", err)
	}
	_, err = c.RunLogs(t.Context(), "acme", "gpu", gone, &b, 0)
	if !errors.Is(err, ghapi.ErrNoLogs) || !strings.Contains(err.Error(), "410") || !strings.Contains(err.Error(), "90 days") {
		t.Errorf("expired logs: %v", err)
	}
	_, err = c.RunLogs(t.Context(), "acme", "gpu", id, &b, 100)
	wantErr(t, err, "larger than")
	srv.FailNext(ghtest.RouteRunLogs, http.StatusForbidden, "Resource not accessible by integration", 1)
	_, err = c.RunLogs(t.Context(), "acme", "gpu", id, &b, 0)
	wantErr(t, err, "403", "Actions: read")
	srv.Inject(ghtest.PrimaryRateLimit(ghtest.RouteRunLogs))
	_, err = c.RunLogs(t.Context(), "acme", "gpu", id, &b, 0)
	if !errors.Is(err, ghapi.ErrRateLimited) {
		t.Errorf("rate limit: %v", err)
	}
}
