package vast_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/vast"
)

func TestPresets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec      string
		allowFull bool
		want      []string
		wantJSON  string
	}{
		{"read-only", false, []string{"billing_read", "instance_read", "machine_read", "team_read", "user_read"},
			`{"api":{"billing_read":{},"instance_read":{},"machine_read":{},"team_read":{},"user_read":{}}}`},
		{"instance-management", false, []string{"instance_read", "instance_write", "misc"},
			`{"api":{"instance_read":{},"instance_write":{},"misc":{}}}`},
		{"autoscaler", false, []string{"instance_read", "instance_write", "misc"},
			`{"api":{"instance_read":{},"instance_write":{},"misc":{}}}`},
		{"full", true, []string{"billing_read", "billing_write", "instance_read", "instance_write", "machine_read", "machine_write", "misc", "team_read", "team_write", "user_read", "user_write"}, ""},
		{"  read-only\n", false, []string{"billing_read", "instance_read", "machine_read", "team_read", "user_read"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			p, err := vast.ParsePermissions(tt.spec, tt.allowFull)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Categories()); diff != "" {
				t.Errorf("categories (-want +got):\n%s", diff)
			}
			if tt.wantJSON != "" {
				b, _ := json.Marshal(p)
				if string(b) != tt.wantJSON {
					t.Errorf("JSON = %s, want %s", b, tt.wantJSON)
				}
			}
			if p.Has("user_write") && tt.spec != "full" {
				t.Error("a preset other than full grants user_write")
			}
		})
	}
}

func TestFullAccessNeedsExplicitPermission(t *testing.T) {
	t.Parallel()
	all := `{"api":{"instance_read":{},"instance_write":{},"user_read":{},"user_write":{},"billing_read":{},"billing_write":{},"machine_read":{},"machine_write":{},"misc":{},"team_read":{},"team_write":{}}}`
	for _, spec := range []string{"full", all} {
		_, err := vast.ParsePermissions(spec, false)
		if !errors.Is(err, vast.ErrFullAccess) {
			t.Errorf("ParsePermissions(%.20q, false) = %v, want ErrFullAccess", spec, err)
		}
		p, err := vast.ParsePermissions(spec, true)
		if err != nil || !p.IsFull() {
			t.Errorf("ParsePermissions(%.20q, true) = %v, %v", spec, p, err)
		}
	}
	// Every category but one constrained is not full access.
	constrained := strings.Replace(all, `"misc":{}`, `"misc":{"api.misc.search":{"constraints":{"id":{"eq":1}}}}`, 1)
	if _, err := vast.ParsePermissions(constrained, false); err != nil {
		t.Errorf("constrained: %v", err)
	}
}

func TestCustomPermissions(t *testing.T) {
	t.Parallel()
	spec := `{"api": {"instance_read": {"api.instance.request_logs": {"constraints": {"id": {"eq": 1227}}}}, "instance_write": {"api.instance.destroy": {"constraints": {"id": {"lte": "$1", "gte": 3}}}}, "misc": {}}}`
	p, err := vast.ParsePermissions(spec, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.String(); got != "instance_read (constrained), instance_write (constrained), misc" {
		t.Errorf("String = %q", got)
	}
	b, _ := json.Marshal(p)
	var back map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &back); err != nil || len(back["api"]) != 3 {
		t.Errorf("marshal = %s", b)
	}
}

func TestMalformedPermissionsNameTheBadPart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec, want string
	}{
		{"empty", "", "permissions: empty; use a preset"},
		{"unknown preset", "read_only", `permissions: unknown preset "read_only"`},
		{"broken JSON", `{"api": {`, "permissions: not valid JSON"},
		{"trailing text", `{"api": {"misc": {}}} x`, "text after the closing brace"},
		{"array", `{"api": []}`, "permissions: api: must be an object of categories"},
		{"not under api", `{"misc": {}}`, `permissions: misc: unknown top-level key`},
		{"no api", `{}`, `missing the top-level "api" object`},
		{"empty api", `{"api": {}}`, "permissions: api: grants nothing"},
		{"unknown category", `{"api": {"instance_reed": {}}}`, "permissions: api.instance_reed: unknown category"},
		{"agents category is not public", `{"api": {"agents_read": {}}}`, "permissions: api.agents_read: unknown category"},
		{"category not an object", `{"api": {"misc": true}}`, "permissions: api.misc: must be an object"},
		{"entry not an operation", `{"api": {"misc": {"search": {}}}}`, "permissions: api.misc.search: unknown entry"},
		{"operation not an object", `{"api": {"misc": {"api.misc.search": 1}}}`, `permissions: api.misc."api.misc.search": must be an object`},
		{"unknown operation key", `{"api": {"misc": {"api.misc.search": {"constrains": {}}}}}`, `permissions: api.misc."api.misc.search".constrains: unknown key`},
		{"constraints not an object", `{"api": {"misc": {"api.misc.search": {"constraints": []}}}}`, `api.misc."api.misc.search".constraints: must be an object of fields`},
		{"empty constraints", `{"api": {"misc": {"api.misc.search": {"constraints": {}}}}}`, `constraints: is empty`},
		{"field not an object", `{"api": {"misc": {"api.misc.search": {"constraints": {"id": 5}}}}}`, `constraints.id: must be an object of operators`},
		{"unknown operator", `{"api": {"instance_read": {"api.instance.show": {"constraints": {"id": {"neq": 5}}}}}}`, `permissions: api.instance_read."api.instance.show".constraints.id.neq: unknown operator; use eq, lte or gte`},
		{"no operator", `{"api": {"instance_read": {"api.instance.show": {"constraints": {"id": {}}}}}}`, `constraints.id: has no operator`},
		{"operator value an object", `{"api": {"instance_read": {"api.instance.show": {"constraints": {"id": {"eq": {}}}}}}}`, `constraints.id.eq: must be a number or a string`},
		{"params not an object", `{"api": {"misc": {"api.misc.search": {"params": 3}}}}`, `.params: must be an object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := vast.ParsePermissions(tt.spec, true)
			var pe *vast.PermissionsError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *PermissionsError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q\nwant it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines")
			}
		})
	}
}
