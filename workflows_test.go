package main

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestWorkflowsUseDeclaredInputs: every step of this repository's
// workflows that uses the action (uses: ./) passes only inputs action.yml
// declares, as the runner would only warn about the others.
func TestWorkflowsUseDeclaredInputs(t *testing.T) {
	t.Parallel()
	m := manifest(t)
	files, _ := filepath.Glob(filepath.Join(".github", "workflows", "*.yml"))
	if len(files) == 0 {
		t.Fatal("no workflows")
	}
	uses := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			Jobs map[string]struct {
				Steps []struct {
					Uses string            `yaml:"uses"`
					With map[string]string `yaml:"with"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(b, &wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for job, j := range wf.Jobs {
			for _, s := range j.Steps {
				if s.Uses != "./" {
					continue
				}
				uses++
				for name := range s.With {
					if _, ok := m.Inputs[name]; !ok {
						t.Errorf("%s job %s: input %q is not declared in action.yml", f, job, name)
					}
				}
			}
		}
	}
	if uses == 0 {
		t.Error("no workflow uses the action from the repository (uses: ./)")
	}
}
