package command

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/internal/golden"
)

// cliCommands are the table's commands as a user types them ("keys list"),
// with their rows, hidden ones included.
func cliCommands() map[string]*Command {
	out := map[string]*Command{}
	for _, c := range commands {
		switch {
		case c.Sub != nil:
			for _, s := range c.Sub {
				out[c.Name+" "+s.Name] = s
			}
		case c.isCLI():
			out[c.Name] = c
		}
	}
	return out
}

// TestCommandTableAgreement: the command table, `vastguard help`, the
// Action's command input (its validation message, action.yml's
// description, the README's Inputs table), main.go's doc comment and the
// README's command listing all name the same commands.
func TestCommandTableAgreement(t *testing.T) {
	t.Parallel()
	help := usage()
	listed := regexp.MustCompile(`(?m)^  vastguard ([a-z]+(?: [a-z]+)?)`).FindAllStringSubmatch(help, -1)
	var inHelp []string
	for _, m := range listed {
		name := m[1]
		if c := cliCommands()[name]; c == nil {
			name, _, _ = strings.Cut(name, " ") // "scan [PATH]": the first word
		}
		inHelp = append(inHelp, name)
	}
	var want []string
	for name, c := range cliCommands() {
		if !c.Hidden {
			want = append(want, name)
		}
	}
	slices.Sort(want)
	slices.Sort(inHelp)
	if diff := cmp.Diff(want, inHelp); diff != "" {
		t.Errorf("vastguard help lists (-table +help):\n%s", diff)
	}
	for name, c := range cliCommands() {
		if c.Hidden {
			continue
		}
		syn := c.List
		if syn == "" {
			syn = c.Use
		}
		first, _, _ := strings.Cut(syn, "\n")
		if !strings.Contains(help, "  vastguard "+first) {
			t.Errorf("help lacks %s's synopsis %q", name, first)
		}
		if c.Short != "" && !strings.Contains(help, c.Short) {
			t.Errorf("help lacks %s's description %q", name, c.Short)
		}
		if !strings.HasPrefix(c.Use, name) {
			t.Errorf("%s: Use %q does not start with its name", name, c.Use)
		}
	}

	// The Action's commands: the validation message, action.yml and the
	// README's Inputs table.
	var action []string
	for _, c := range actionCommands() {
		action = append(action, c.Name)
	}
	if len(action) < 2 {
		t.Fatalf("the table has %d Action commands", len(action))
	}
	_, err := parseActionInputs(func(k string) string { return map[string]string{"INPUT_COMMAND": "nope"}[k] })
	wantErr := fmt.Sprintf(`input command: "nope" is not a command; use %s or %s`, strings.Join(action[:len(action)-1], ", "), action[len(action)-1])
	if err == nil || err.Error() != wantErr {
		t.Errorf("unknown Action command: %v\nwant %s", err, wantErr)
	}
	desc := readManifest(t).Inputs["command"].Description
	readme := readRootFile(t, "README.md")
	inputsRow := regexp.MustCompile("(?m)^\\| `command` \\|.*$").FindString(readme)
	for _, c := range actionCommands() {
		if !strings.Contains(desc, c.Name+" ("+c.Action.What+")") {
			t.Errorf("action.yml's command description does not say %s (%s): %q", c.Name, c.Action.What, desc)
		}
		if !strings.Contains(inputsRow, "`"+c.Name+"`") {
			t.Errorf("the README's Inputs table does not list %s for command: %q", c.Name, inputsRow)
		}
	}
	for _, w := range regexp.MustCompile(`([a-z]+) \(`).FindAllStringSubmatch(desc, -1) {
		if actionCommandNamed(w[1]) == nil {
			t.Errorf("action.yml's command description names %q, which the table does not have", w[1])
		}
	}

	// main.go's doc comment lists every command's synopsis, and no other.
	mainDoc := readRootFile(t, "main.go")
	docLines := regexp.MustCompile(`(?m)^//\tvastguard (.*)$`).FindAllStringSubmatch(mainDoc, -1)
	var gotDoc, wantDoc []string
	for _, m := range docLines {
		gotDoc = append(gotDoc, m[1])
	}
	for _, c := range commands {
		switch {
		case c.Sub != nil:
			for _, s := range c.Sub {
				wantDoc = append(wantDoc, s.Use)
			}
		case c.isCLI() && !c.Hidden:
			wantDoc = append(wantDoc, c.Use)
		}
	}
	if diff := cmp.Diff(wantDoc, gotDoc); diff != "" {
		t.Errorf("main.go's Usage (-table +main.go):\n%s", diff)
	}

	// The README shows `vastguard help` as it is (go test -run
	// TestCommandTableAgreement -update rewrites it).
	golden.Section(t, filepath.Join(root, "README.md"), "usage.txt", []byte("```text\n"+help+"```\n"))
}

// TestHelpIsGenerated: `vastguard help` and `vastguard -h` print the
// listing generated from the table, and a command's -h its Use.
func TestHelpIsGenerated(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		var out bytes.Buffer
		e := &Env{Args: append([]string{"vastguard"}, args...), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		if err := Run(context.Background(), e); err != nil || out.String() != usage() {
			t.Errorf("%v: %v\n%s", args, err, out.String())
		}
	}
	for name, c := range cliCommands() {
		if c.Flags == nil {
			continue
		}
		var out bytes.Buffer
		e := &Env{Args: append(append([]string{"vastguard"}, strings.Fields(name)...), "-h"), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		err := Run(context.Background(), e)
		if ExitCode(err, &out) != 0 || !strings.HasPrefix(out.String(), "Usage: vastguard "+c.Use+"\n") {
			t.Errorf("%s -h = %v\n%s", name, err, out.String())
		}
	}
}
