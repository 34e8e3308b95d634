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

// Point 7: a name repeated in one object, at any depth, is refused with the
// path: encoding/json (and the API) would keep only the last.
func TestDuplicateNamesAreRefused(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, spec, part string }{
		{"a category twice", `{"api": {"instance_read": {}, "instance_read": {"api.instance.show": {"constraints": {"id": {"eq": 1}}}}}}`, "api.instance_read"},
		{"read-only then user_write under the same name", `{"api": {"user_read": {}, "user_read": {}, "user_write": {}}}`, "api.user_read"},
		{"the top-level api twice", `{"api": {"instance_read": {}}, "api": {"user_write": {}}}`, "api"},
		{"an operation twice", `{"api": {"instance_write": {"api.instance.destroy": {"constraints": {"id": {"eq": 1}}}, "api.instance.destroy": {}}}}`, `api.instance_write."api.instance.destroy"`},
		{"a constraint field twice", `{"api": {"instance_read": {"api.instance.show": {"constraints": {"id": {"eq": 1}, "id": {"gte": 0}}}}}}`, `api.instance_read."api.instance.show".constraints.id`},
		{"an operator twice", `{"api": {"instance_read": {"api.instance.show": {"constraints": {"id": {"eq": 1, "eq": 2}}}}}}`, `api.instance_read."api.instance.show".constraints.id.eq`},
		{"inside an array", `{"api": {"misc": {"api.misc.x": {"params": {"p": [{"a": 1, "a": 2}]}}}}}`, `api.misc."api.misc.x".params.p[0].a`},
		{"an empty name twice", `{"api": {"misc": {}}, "": 1, "": 2}`, `""`},
		{"an escaped spelling of the same name", `{"api": {"misc": {}, "mi\u0073c": {}}}`, "api.misc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := vast.ParsePermissions(tt.spec, true)
			var pe *vast.PermissionsError
			if !errors.As(err, &pe) || pe.Part != tt.part || !strings.Contains(err.Error(), "named twice") {
				t.Fatalf("err = %v (part %q), want a duplicate at %s", err, partOf(pe), tt.part)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("multi-line error %q", err)
			}
		})
	}
	// The same name in different objects is fine.
	ok := `{"api": {"instance_read": {"api.instance.show": {"constraints": {"id": {"eq": 1}}}}, "instance_write": {"api.instance.show": {"constraints": {"id": {"eq": 1}}}}}}`
	if _, err := vast.ParsePermissions(ok, false); err != nil {
		t.Errorf("same names in different objects: %v", err)
	}
	// Deep nesting is bounded, not a crash.
	deep := `{"api": {"misc": {"api.misc.x": {"params": {"p": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}}}}`
	if _, err := vast.ParsePermissions(deep, false); err == nil {
		t.Error("20000 levels of nesting accepted")
	}
}

func partOf(pe *vast.PermissionsError) string {
	if pe == nil {
		return ""
	}
	return pe.Part
}

func TestPermissionsCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, asked, granted string
		broader, narrower    []string
		expanded             bool
	}{
		{"same", "read-only", "read-only", nil, nil, false},
		{"more categories", `{"api": {"user_read": {}}}`, `{"api": {"user_read": {}, "user_write": {}}}`, []string{"api.user_write"}, nil, false},
		{"fewer categories", `{"api": {"user_read": {}, "misc": {}}}`, `{"api": {"user_read": {}}}`, nil, []string{"api.misc"}, false},
		{"a whole category spelled out", `{"api": {"instance_read": {}}}`, `{"api": {"instance_read": {"api.instance.show": {}, "api.instance.request_logs": {}}}}`, nil, nil, true},
		{"spelled out with a constraint", `{"api": {"instance_read": {}}}`, `{"api": {"instance_read": {"api.instance.show": {"constraints": {"id": {"eq": 1}}}}}}`, nil, []string{`api.instance_read."api.instance.show" (constrained)`}, false},
		{"constraints dropped", `{"api": {"instance_write": {"api.instance.destroy": {"constraints": {"id": {"eq": 1227}}}}}}`, `{"api": {"instance_write": {}}}`, []string{"api.instance_write (the whole category, not only the operations asked for)"}, nil, false},
		{"constraints changed", `{"api": {"instance_write": {"api.instance.destroy": {"constraints": {"id": {"eq": 1227}}}}}}`, `{"api": {"instance_write": {"api.instance.destroy": {"constraints": {"id": {"gte": 0}}}}}}`, []string{`api.instance_write."api.instance.destroy" (constraints differ)`}, nil, false},
		{"an operation added", `{"api": {"instance_write": {"api.instance.destroy": {"constraints": {"id": {"eq": 1227}}}}}}`, `{"api": {"instance_write": {"api.instance.destroy": {"constraints": {"id": {"eq": 1227.0}}}, "api.instance.reboot": {}}}}`, []string{`api.instance_write."api.instance.reboot"`}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			asked, granted := vast.MustPermissions(tt.asked, true), vast.MustPermissions(tt.granted, true)
			d, expanded := asked.Compare(granted)
			if diff := cmp.Diff(tt.broader, d.Broader); diff != "" {
				t.Errorf("broader (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.narrower, d.Narrower); diff != "" {
				t.Errorf("narrower (-want +got):\n%s", diff)
			}
			if expanded != tt.expanded || d.Empty() != (tt.broader == nil && tt.narrower == nil) {
				t.Errorf("expanded %v, empty %v", expanded, d.Empty())
			}
		})
	}
}
