package ghactions

import (
	"fmt"
	"strings"
	"testing"
)

func TestParsePREvent(t *testing.T) {
	t.Parallel()
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	tests := []struct {
		name, event, payload string
		want                 PREvent
		wantErr              string
	}{
		{"pull_request", "pull_request", fmt.Sprintf(`{"number": 3, "pull_request": {"base": {"sha": %q}, "head": {"sha": %q}}, "extra": [1]}`, a, b), PREvent{3, a, b}, ""},
		{"merge_group", "merge_group", fmt.Sprintf(`{"merge_group": {"base_sha": %q, "head_sha": %q}}`, a, b), PREvent{0, a, b}, ""},
		{"not JSON", "pull_request", `{"pull_request": `, PREvent{}, "is not JSON"},
		{"no pull_request", "pull_request", `{"action": "opened"}`, PREvent{}, "has no pull_request"},
		{"short sha", "pull_request", `{"pull_request": {"base": {"sha": "abc"}, "head": {"sha": "def"}}}`, PREvent{}, "40-character ids"},
		{"wrong type", "pull_request", `{"pull_request": {"base": {"sha": 5}}}`, PREvent{}, "is not JSON"},
	}
	for _, tt := range tests {
		got, err := ParsePREvent(tt.event, []byte(tt.payload))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: = %+v, %v", tt.name, got, err)
		}
	}
}

func FuzzParsePREvent(f *testing.F) {
	f.Add("pull_request", []byte(`{"pull_request": {"base": {"sha": "`+strings.Repeat("a", 40)+`"}, "head": {"sha": "`+strings.Repeat("b", 40)+`"}}}`))
	f.Add("merge_group", []byte(`{"merge_group": {"base_sha": "x"}}`))
	f.Fuzz(func(t *testing.T, event string, payload []byte) {
		ev, err := ParsePREvent(event, payload)
		if err == nil && (!commitID.MatchString(ev.Base) || !commitID.MatchString(ev.Head)) {
			t.Fatalf("accepted %+v", ev)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n") {
			t.Fatalf("multi-line error %q", err)
		}
	})
}
