package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/vast/vasttest"
)

func TestPostStepEdgeCases(t *testing.T) {
	t.Parallel()
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	sentLongAgo := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)
	ours := keyname.Name{Repository: "a/b", RunID: 1, Attempt: 1, Job: "j", Label: "s", Expires: exp, Nonce: "abcdef"}.String()
	tests := []struct {
		name      string
		state     map[string]string
		inputs    map[string]string
		wantCode  int
		want      string
		wantCalls int
		wantLive  bool // the seeded key is still live afterwards
	}{
		{"no state: nothing to do", nil, nil, 0, "vastguard: nothing was minted", 0, true},
		{"a name that is not ours and no id is never acted on",
			map[string]string{stateKeyName: "default"}, nil, 1,
			`::error title=vastguard cleanup::could not delete the key named default: the saved state names no key this action minted ("default")`, 0, true},
		{"api-key gone in the post step",
			map[string]string{stateKeyName: ours, stateKeyID: "ID"}, map[string]string{"api-key": ""}, 1,
			"::error title=vastguard cleanup::could not delete key ID " + ours + ": input api-key is empty in the post step", 0, true},
		{"a bad cleanup-timeout falls back to 2m and still cleans up",
			map[string]string{stateKeyName: ours, stateKeyID: "ID"}, map[string]string{"cleanup-timeout": "soon"}, 0,
			"::warning title=vastguard cleanup::input cleanup-timeout: \"soon\" is not a duration", 2, false}, // the delete, the audit log
		{"a garbled id falls back to the name",
			map[string]string{stateKeyName: ours, stateKeyID: "12x", stateCreateSent: sentLongAgo}, nil, 0,
			"vastguard: deleted key ID " + ours + " (found by its name", 4, false}, // list, delete, list again, the audit log
		{"a garbled id and no time saved: the name is looked for the whole window",
			map[string]string{stateKeyName: ours, stateKeyID: "12x"}, nil, 0,
			"vastguard: deleted key ID " + ours + " (found by its name", 15, false}, // list, delete, 12 more looks over the 2m window, the audit log
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vasttest.NewServer(t)
			user, admin := srv.AddAccount("p@example.com")
			id, _ := srv.AddKey(user, ours, `{"api":{"misc":{}}}`)
			sid := strconv.FormatInt(id, 10)
			summary := filepath.Join(t.TempDir(), "summary")
			vars := map[string]string{"INPUT_API-KEY": admin, "INPUT_API-URL": srv.URL, "GITHUB_STEP_SUMMARY": summary}
			for k, v := range tt.inputs {
				vars[ghactions.InputEnvName(k)] = v
			}
			for k, v := range tt.state {
				vars["STATE_"+k] = strings.ReplaceAll(v, "ID", sid)
			}
			r := runPostProcess(t, vars)
			want := strings.ReplaceAll(tt.want, "ID", sid)
			if r.code != tt.wantCode || !strings.HasPrefix(r.stdout, want) || r.stderr != "" {
				t.Errorf("= %d %q %q\nwant %d and a line starting %q", r.code, r.stdout, r.stderr, tt.wantCode, want)
			}
			if n := len(srv.Requests()); n != tt.wantCalls {
				t.Errorf("%d API calls, want %d", n, tt.wantCalls)
			}
			if k, _ := srv.Key(id); k.Deleted == tt.wantLive {
				t.Errorf("key deleted = %v, want %v", k.Deleted, !tt.wantLive)
			}
			if tt.wantCode != 0 {
				b, _ := os.ReadFile(summary)
				if !strings.Contains(string(b), "NOT deleted") {
					t.Errorf("no summary line for the key left behind: %q", b)
				}
			}
			assertNoSecret(t, "post", r.all(), admin)
		})
	}
}
