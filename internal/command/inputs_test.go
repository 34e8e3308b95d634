package command

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/internal/golden"
)

// TestActionYMLMatchesTheInputTable: every input of the code is in
// action.yml with the same default and description, and nothing else is;
// the same for the outputs.
func TestActionYMLMatchesTheInputTable(t *testing.T) {
	t.Parallel()
	m := readManifest(t)
	wantIn, gotIn := map[string][2]string{}, map[string][2]string{}
	for _, in := range actionInputs {
		wantIn[in.name] = [2]string{in.def, in.desc}
	}
	for name, in := range m.Inputs {
		if in.Default == nil {
			t.Errorf("input %s has no default", name)
			continue
		}
		gotIn[name] = [2]string{*in.Default, in.Description}
	}
	if diff := cmp.Diff(wantIn, gotIn); diff != "" {
		t.Errorf("inputs: action.yml vs actionInputs (-code +action.yml):\n%s", diff)
	}
	wantOut, gotOut := map[string]string{}, map[string]string{}
	for _, o := range actionOutputs {
		wantOut[o.name] = o.desc
	}
	for name, o := range m.Outputs {
		gotOut[name] = o.Description
	}
	if diff := cmp.Diff(wantOut, gotOut); diff != "" {
		t.Errorf("outputs (-code +action.yml):\n%s", diff)
	}
}

// TestREADMEInputsTable: the README's Inputs table is generated from
// actionInputs (go test -run TestREADMEInputsTable -update rewrites it).
func TestREADMEInputsTable(t *testing.T) {
	t.Parallel()
	golden.Section(t, filepath.Join(root, "README.md"), "inputs.md", []byte(inputsMarkdown()))
}
