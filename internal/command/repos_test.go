package command

import (
	"strings"
	"testing"
	"time"

	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/ghapi/ghtest"
)

// TestOrgMatrix calls the function the Action will call, with the token and
// URL passed in rather than from the environment.
func TestOrgMatrix(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t, ghtest.WithMaxPerPage(2))
	for _, r := range []ghtest.Repo{
		{Owner: "acme", Name: "web", Private: true},
		{Owner: "acme", Name: "Api"},
		{Owner: "acme", Name: "old", Archived: true},
		{Owner: "acme", Name: "upstream-fork", Fork: true},
		{Owner: "acme", Name: "old-fork", Fork: true, Archived: true},
		{Owner: "acme", Name: "docs"},
		{Owner: "acme", Name: "zeta"},
	} {
		srv.AddRepo(r)
	}
	e := &Env{Getenv: func(string) string { return "" }, Now: time.Now}
	got, notes, err := orgMatrix(t.Context(), e, "acme", ghapi.RepoFilter{Forks: true}, srv.Token, "--token", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"repository":["acme/Api","acme/docs","acme/upstream-fork","acme/web","acme/zeta"]}`; got != want {
		t.Errorf("matrix = %s, want %s", got, want)
	}
	if len(notes) != 0 {
		t.Errorf("notes = %q", notes)
	}
	if _, _, err := orgMatrix(t.Context(), e, "acme", ghapi.RepoFilter{}, "", "--token", srv.URL); err == nil || !strings.Contains(err.Error(), "no GitHub token") {
		t.Errorf("no token: %v", err)
	}
}
