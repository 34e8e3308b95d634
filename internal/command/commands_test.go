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
	"github.com/spf13/cobra"
	"github.com/vastguard/vastguard/internal/golden"
)

// runArgs runs the program in-process with args and no environment.
func runArgs(args ...string) (stdout, stderr string, code int) {
	var out, errs bytes.Buffer
	e := &Env{Args: append([]string{"vastguard"}, args...), Stdout: &out, Stderr: &errs, Stdin: strings.NewReader(""), Getenv: func(string) string { return "" }}
	code = ExitCode(Run(context.Background(), e), &errs)
	return out.String(), errs.String(), code
}

// helpPaths are every command of the CLI as typed ("keys list"), the root
// as "", cobra's help and completion commands included, its hidden ones not.
func helpPaths(t *testing.T) []string {
	t.Helper()
	var out []string
	var walk func(c *cobra.Command, path string)
	walk = func(c *cobra.Command, path string) {
		out = append(out, path)
		for _, s := range c.Commands() {
			if s.Hidden {
				continue
			}
			walk(s, strings.TrimSpace(path+" "+s.Name()))
		}
	}
	cli := newCLI(&Env{})
	cli.InitDefaultHelpCmd()
	walk(cli, "")
	return out
}

// TestHelpTexts: every command's help, root and subcommands, is its golden
// file (testdata/help, rewritten with -update), the same through
// `vastguard help CMD`, `CMD --help` and `CMD -h`, on stdout with exit
// code 0 and nothing on stderr.
func TestHelpTexts(t *testing.T) {
	t.Parallel()
	paths := helpPaths(t)
	if len(paths) < 15 {
		t.Fatalf("%d commands: %q", len(paths), paths)
	}
	for _, path := range paths {
		words := strings.Fields(path)
		name := strings.Join(words, "_")
		if name == "" {
			name = "vastguard"
		}
		out, errs, code := runArgs(append(slices.Clone(words), "--help")...)
		if code != 0 || errs != "" || out == "" {
			t.Errorf("%s --help = exit %d, stderr %q", path, code, errs)
		}
		for _, args := range [][]string{append([]string{"help"}, words...), append(slices.Clone(words), "-h")} {
			o, e, c := runArgs(args...)
			if c != 0 || e != "" || o != out {
				t.Errorf("%q = exit %d, stderr %q; stdout differs from --help: %v", args, c, e, o != out)
			}
		}
		for _, line := range strings.Split(out, "\n") {
			if len(line) > 100 {
				t.Errorf("%s --help: a line of %d characters: %q", path, len(line), line)
			}
		}
		golden.File(t, filepath.Join("testdata", "help", name+".txt"), []byte(out))
		if path == "scan" {
			golden.Section(t, filepath.Join(root, "README.md"), "scan-help.txt", []byte("```text\n"+out+"```\n"))
		}
	}
	// No golden file is left over from a command that is gone.
	files, _ := filepath.Glob(filepath.Join("testdata", "help", "*.txt"))
	if len(files) != len(paths) && !golden.Updating() {
		t.Errorf("testdata/help has %d files for %d commands", len(files), len(paths))
	}
}

// TestCommandTableAgreement: the command table, `vastguard help`, the
// Action's command input (its validation message, action.yml's
// description, the README's Inputs table), main.go's doc comment and the
// README's command listing all name the same commands.
func TestCommandTableAgreement(t *testing.T) {
	t.Parallel()
	help, _, _ := runArgs("help")
	cli := newCLI(&Env{})
	for _, c := range commands {
		if !c.isCLI() {
			if strings.Contains(help, "\n  "+c.Name+" ") {
				t.Errorf("help lists %s, which the CLI does not have", c.Name)
			}
			continue
		}
		if !regexp.MustCompile(`(?m)^  ` + c.Name + ` +` + regexp.QuoteMeta(c.Short) + `$`).MatchString(help) {
			t.Errorf("help does not list %s: %s", c.Name, c.Short)
		}
		for _, s := range c.Sub {
			sub, _, _ := runArgs(c.Name, "--help")
			if !regexp.MustCompile(`(?m)^  ` + s.Name + ` +` + regexp.QuoteMeta(s.Short) + `$`).MatchString(sub) {
				t.Errorf("%s --help does not list %s: %s", c.Name, s.Name, s.Short)
			}
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
	docLines := regexp.MustCompile(`(?m)^//\t(vastguard .*)$`).FindAllStringSubmatch(mainDoc, -1)
	var gotDoc, wantDoc []string
	for _, m := range docLines {
		gotDoc = append(gotDoc, m[1])
	}
	var leaves func(c *cobra.Command)
	leaves = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			switch {
			case s.Name() == "completion" || s.Name() == "help" || s.Hidden:
			case s.HasSubCommands():
				leaves(s)
			default:
				wantDoc = append(wantDoc, s.UseLine())
			}
		}
	}
	leaves(cli)
	if diff := cmp.Diff(wantDoc, gotDoc); diff != "" {
		t.Errorf("main.go's Usage (-table +main.go):\n%s", diff)
	}

	// The README shows `vastguard help` as it is (go test -run
	// TestCommandTableAgreement -update rewrites it).
	golden.Section(t, filepath.Join(root, "README.md"), "usage.txt", []byte("```text\n"+help+"```\n"))
}

// TestCompletion: the completion scripts for each shell, and the answers
// cobra's hidden __complete command gives them: commands, flag values from
// the flags' annotations, directories for scan's PATH, files for --output.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for shell, head := range map[string]string{
		"bash":       "# bash completion V2 for vastguard",
		"zsh":        "#compdef vastguard",
		"fish":       "# fish completion for vastguard",
		"powershell": "# powershell completion for vastguard",
	} {
		out, errs, code := runArgs("completion", shell)
		if code != 0 || errs != "" || !strings.HasPrefix(out, head) {
			t.Errorf("completion %s = exit %d, stderr %q, stdout starts %q", shell, code, errs, out[:min(len(out), 60)])
		}
	}
	tests := []struct {
		args      []string
		want      []string
		directive cobra.ShellCompDirective
	}{
		{[]string{""}, []string{"scan\tfind Vast.ai keys in a repository's whole history, a directory, stdin or CI logs", "keys\tlist, create, delete and reset the account's API keys", "completion\tprint a shell completion script (bash, zsh, fish, powershell)"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"keys", ""}, []string{"list\tlist the account's API keys", "reset\treplace the key in use with a new one"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"scan", "--format", ""}, []string{"text", "json", "sarif"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"scan", "-f", ""}, []string{"text", "json", "sarif"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"keys", "create", "--permissions", ""}, []string{"read-only", "instance-management", "autoscaler", "full"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"scan", ""}, nil, cobra.ShellCompDirectiveFilterDirs},
		{[]string{"scan", "repo", ""}, nil, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"scan", "--output", ""}, nil, cobra.ShellCompDirectiveDefault},
		{[]string{"scan", "--since", ""}, nil, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"keys", "delete", ""}, nil, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"help", "keys", ""}, []string{"list\tlist the account's API keys"}, cobra.ShellCompDirectiveNoFileComp},
	}
	for _, tt := range tests {
		out, _, code := runArgs(append([]string{cobra.ShellCompRequestCmd}, tt.args...)...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if code != 0 || len(lines) == 0 {
			t.Errorf("__complete %q = exit %d %q", tt.args, code, out)
			continue
		}
		got, last := lines[:len(lines)-1], lines[len(lines)-1]
		if want := fmt.Sprintf(":%d", tt.directive); last != want {
			t.Errorf("__complete %q: directive %s, want %s", tt.args, last, want)
		}
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("__complete %q = %q, want %q among them", tt.args, got, w)
			}
		}
		if tt.want == nil && len(got) > 0 {
			t.Errorf("__complete %q = %q, want none", tt.args, got)
		}
	}
}
