package yamlfile

import (
	"testing"

	"gopkg.in/yaml.v3"
)

type inner struct {
	Ref  string    `yaml:"ref"`
	Node yaml.Node `yaml:"node"`
}

type doc struct {
	Name  string           `yaml:"name"`
	Rules []inner          `yaml:"rules"`
	Match map[string]inner `yaml:"match"`
	Ptr   *inner           `yaml:"ptr"`
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"ok", "name: a\nrules:\n  - ref: x\n    node: {anything: [1, 2]}\n", ""},
		{"unknown top", "name: a\nnmae: b\n", `f.yaml:2: unknown field "nmae" (known: match, name, ptr, rules)`},
		{"unknown in list", "rules:\n  - ref: x\n  - rfe: y\n", `f.yaml:3: rules[1]: unknown field "rfe" (known: node, ref)`},
		{"unknown in map", "match:\n  a:\n    reff: x\n", `f.yaml:3: match.a: unknown field "reff" (known: node, ref)`},
		{"unknown under pointer", "ptr:\n  x: 1\n", `f.yaml:2: ptr: unknown field "x" (known: node, ref)`},
		{"empty", "", "f.yaml: is empty"},
		{"not a mapping", "- a\n", "f.yaml:1: must be a mapping of fields"},
		{"type", "name: [a]\n", "f.yaml:1: cannot unmarshal !!seq into string"},
		{"syntax", "name: a\n  b: c\n", "f.yaml:2: mapping values are not allowed in this context"},
		{"duplicate", "name: a\nname: b\n", `f.yaml:2: mapping key "name" already defined at line 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var d doc
			err := Decode("f.yaml", []byte(tt.in), &d)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Decode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
