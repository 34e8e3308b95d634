package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/hygiene"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// auditFixture: an account audited with a scoped management key
// (user_read + user_write), holding one key of each kind.
type auditFixture struct {
	srv  *vasttest.Server
	vars map[string]string
	ids  map[string]int64
	exp  time.Time // the expired key's expiry
}

func newAuditFixture(t *testing.T) *auditFixture {
	t.Helper()
	srv := vasttest.NewServer(t)
	user, _ := srv.AddAccount("audit@example.com")
	f := &auditFixture{srv: srv, ids: map[string]int64{"default": srv.LiveKeys()[0].ID}}
	mgmtID, mgmt := srv.AddKey(user, "vastguard-management", `{"api":{"user_read":{},"user_write":{}}}`)
	f.ids["vastguard-management"] = mgmtID
	f.vars = map[string]string{"VAST_API_KEY": mgmt, "VAST_URL": srv.URL, "HOME": t.TempDir()}
	now := time.Now().UTC().Truncate(time.Second)
	f.exp = now.Add(-time.Hour)
	for name, perms := range map[string]string{
		"deploy-bot": `{"api":{"user_read":{},"user_write":{}}}`,
		"old-reader": `{"api":{"instance_read":{}}}`,
		"fresh":      `{"api":{"instance_read":{}}}`,
		keyname.Name{Repository: "acme/x", RunID: 5, Attempt: 1, Job: "j", Label: "s", Expires: f.exp, Nonce: "abcdef"}.String():              `{"api":{"misc":{}}}`,
		keyname.Name{Repository: "acme/x", RunID: 6, Attempt: 1, Job: "j", Label: "s", Expires: now.Add(time.Hour), Nonce: "ghijkl"}.String(): `{"api":{"misc":{}}}`,
	} {
		id, _ := srv.AddKey(user, name, perms)
		f.ids[name] = id
	}
	srv.SetCreatedAt(f.ids["old-reader"], now.Add(-91*24*time.Hour))
	return f
}

func (f *auditFixture) idOf(prefix string) int64 {
	for name, id := range f.ids {
		if strings.HasPrefix(name, prefix) {
			return id
		}
	}
	return 0
}

func TestAuditJSON(t *testing.T) {
	t.Parallel()
	f := newAuditFixture(t)
	r := runCLI(t, f.vars, "audit", "--json")
	if r.code != exitFindings {
		t.Fatalf("code = %d, want 2 (findings)\n%s", r.code, r.stderr)
	}
	var got hygiene.AuditReport
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID     int64
		Flags  []string
		InUse  bool
		Minted bool
	}
	var rows []row
	for _, k := range got.Keys {
		rows = append(rows, row{k.ID, k.Flags, k.InUse, k.Minted != nil})
	}
	want := []row{
		{f.ids["default"], []string{hygiene.FlagFullAccess}, false, false},
		{f.ids["vastguard-management"], []string{}, true, false}, // its user_write is what it is for
		{f.idOf("deploy-bot"), []string{hygiene.FlagUserWrite}, false, false},
		{f.idOf("old-reader"), []string{hygiene.FlagOld}, false, false},
		{f.idOf("fresh"), []string{}, false, false},
		{f.idOf("vastguard:acme/x:run-5"), []string{hygiene.FlagExpired}, false, true},
		{f.idOf("vastguard:acme/x:run-6"), []string{}, false, true},
	}
	// The fixture adds keys in map order; compare by id.
	byID := func(rs []row) map[int64]row {
		m := map[int64]row{}
		for _, r := range rs {
			m[r.ID] = r
		}
		return m
	}
	if diff := cmp.Diff(byID(want), byID(rows)); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	if got.Version != 1 || got.Flagged != 4 || len(got.Keys) != 7 {
		t.Errorf("version %d, flagged %d, %d keys", got.Version, got.Flagged, len(got.Keys))
	}
	for _, k := range got.Keys {
		if k.Minted != nil && k.Minted.RunID == 5 && (!k.Minted.ExpiresAt.Equal(f.exp) || k.Minted.Repository != "acme/x") {
			t.Errorf("minted = %+v", k.Minted)
		}
		if k.ID == f.ids["default"] && (!k.FullAccess || k.Scopes == nil) {
			t.Errorf("default key = %+v", k)
		}
	}
	assertNoSecret(t, "audit", r.all(), f.vars["VAST_API_KEY"])
}

func TestAuditTable(t *testing.T) {
	t.Parallel()
	f := newAuditFixture(t)
	r := runCLI(t, f.vars, "audit")
	if r.code != exitFindings {
		t.Fatalf("code = %d", r.code)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if !strings.HasPrefix(lines[0], "ID") || lines[len(lines)-1] != "4 of 7 keys flagged." {
		t.Errorf("table:\n%s", r.stdout)
	}
	for _, l := range lines {
		if strings.HasPrefix(l, strconv.FormatInt(f.ids["vastguard-management"], 10)+" ") && !strings.HasSuffix(l, "(key in use)") {
			t.Errorf("management key row %q", l)
		}
	}

	// A clean account exits 0.
	srv, vars := fakeAPI(t)
	user := srv.LiveKeys()[0].UserID
	_, scoped := srv.AddKey(user, "mgmt", `{"api":{"user_read":{},"user_write":{}}}`)
	vars["VAST_API_KEY"] = scoped
	if r := runCLI(t, vars, "keys", "delete", strconv.FormatInt(srv.LiveKeys()[0].ID, 10)); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := runCLI(t, vars, "audit"); r.code != 0 || !strings.Contains(r.stdout, "0 of 1 key flagged.") {
		t.Errorf("clean audit = %d %q", r.code, r.stdout)
	}
}

// TestActionAudit runs audit as the Action's command: summary table,
// flagged output, one warning annotation per flagged key (at most ten, the
// last pointing at the summary), exit code 2.
func TestActionAudit(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, mode)
			user := x.srv.LiveKeys()[0].UserID
			for i := range 11 {
				x.srv.AddKey(user, "writer-"+strconv.Itoa(i)+"|<b>", `{"api":{"user_write":{}}}`)
			}
			s := x.step("audit", map[string]string{"command": "audit"})
			if s.Code != exitFindings || s.Outputs["flagged"] != "12" {
				t.Fatalf("audit = %d %v\n%s", s.Code, s.Outputs, s.Stdout)
			}
			var warnings []string
			for _, l := range strings.Split(s.Stdout, "\n") {
				if strings.HasPrefix(l, "::warning") {
					warnings = append(warnings, l)
				}
			}
			if len(warnings) != ghactions.MaxAnnotations || !strings.HasSuffix(warnings[9], "(and 2 more: see the job summary)") {
				t.Errorf("%d warnings:\n%s", len(warnings), strings.Join(warnings, "\n"))
			}
			if !strings.Contains(s.Summary, `| writer-10\|&lt;b&gt; |`) || strings.Contains(s.Summary, "<b>") {
				t.Errorf("summary cells are not escaped:\n%s", s.Summary)
			}
			if strings.Count(s.Summary, "\n| ") != 13 { // header + 12 flagged... + the management key
				t.Errorf("summary rows:\n%s", s.Summary)
			}
			x.assertNoLeak(s)
		})
	}
}
