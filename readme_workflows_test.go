package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/scan/scantest"
	"github.com/vastguard/vastguard/vast"
	"gopkg.in/yaml.v3"
)

// The README's workflow snippets, as a newcomer pastes them: each YAML
// block is parsed as a workflow (a list of steps, or a job body, wrapped in
// a job as a reader would paste it), its permissions are checked against
// what each use of the Action needs, its inputs against action.yml, and the
// quick starts run through the runner model against the fakes, so the
// README cannot drift from the code.

// readmeBlock is one ```yaml block of the README.
type readmeBlock struct {
	heading string // the heading above it
	line    int    // of the opening fence
	text    string
}

func readmeYAMLBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []readmeBlock
	var cur *readmeBlock
	heading := ""
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case cur != nil && line == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		case line == "```yaml":
			cur = &readmeBlock{heading: heading, line: i + 1}
		case strings.HasPrefix(line, "#"):
			heading = strings.TrimSpace(strings.TrimLeft(line, "#"))
		}
	}
	if len(out) == 0 {
		t.Fatal("README.md has no ```yaml block")
	}
	return out
}

type wfStep struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

type wfJob struct {
	Permissions yaml.Node `yaml:"permissions"`
	Steps       []wfStep  `yaml:"steps"`
}

type workflow struct {
	Permissions yaml.Node         `yaml:"permissions"`
	Jobs        map[string]*wfJob `yaml:"jobs"`
	complete    bool              // a whole workflow, not a fragment
	block       readmeBlock
	jobOrder    []string // the job names, sorted
}

// readmeWorkflows parses every README YAML block that is a workflow or a
// fragment of one (configuration files for other tools are left out).
func readmeWorkflows(t *testing.T) []*workflow {
	t.Helper()
	var out []*workflow
	for _, b := range readmeYAMLBlocks(t) {
		text := b.text
		first := strings.TrimSpace(strings.SplitN(strings.TrimSpace(text), "\n", 2)[0])
		var wf workflow
		switch {
		case strings.Contains(text, "\njobs:\n") || strings.HasPrefix(text, "jobs:"):
			wf.complete = true
		case strings.HasPrefix(first, "- "):
			// Steps, indented as under a job's steps:.
			text = "jobs:\n  snippet:\n    steps:\n" + indent(dedent(text), "      ")
		case strings.HasPrefix(first, "permissions:"):
			text = "jobs:\n  snippet:\n" + indent(text, "    ")
		default:
			continue // .vastguard.yaml, .pre-commit-config.yaml
		}
		if err := yaml.Unmarshal([]byte(text), &wf); err != nil {
			t.Fatalf("README.md:%d (%s): not valid YAML as a workflow: %v\n%s", b.line, b.heading, err, text)
		}
		wf.block = b
		for name := range wf.Jobs {
			wf.jobOrder = append(wf.jobOrder, name)
		}
		slices.Sort(wf.jobOrder)
		out = append(out, &wf)
	}
	return out
}

func dedent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	min := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if n := len(l) - len(strings.TrimLeft(l, " ")); min < 0 || n < min {
			min = n
		}
	}
	for i, l := range lines {
		if len(l) >= min {
			lines[i] = l[min:]
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = by + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// permissions reads a permissions: node: nil when not set; read-all and
// write-all as every scope the checks ask about.
func permissions(t *testing.T, n yaml.Node) map[string]string {
	t.Helper()
	if n.Kind == 0 {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		level := map[string]string{"read-all": "read", "write-all": "write"}[n.Value]
		if level == "" {
			t.Fatalf("permissions: %q", n.Value)
		}
		return map[string]string{"contents": level, "id-token": level, "security-events": level, "actions": level}
	}
	p := map[string]string{}
	if err := n.Decode(&p); err != nil {
		t.Fatalf("permissions: %v", err)
	}
	return p
}

const actionRef = "vastguard/vastguard@"

// expression is a ${{ ... }} in a value.
var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// pinned is a third-party action pinned by a full commit SHA.
var pinned = regexp.MustCompile(`^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$`)

func TestREADMEWorkflowsAreValidAndPermitted(t *testing.T) {
	t.Parallel()
	m := manifest(t)
	wfs := readmeWorkflows(t)
	uses := 0
	for _, wf := range wfs {
		where := fmt.Sprintf("README.md:%d (%s)", wf.block.line, wf.block.heading)
		if wf.complete && wf.Permissions.Kind == 0 {
			for _, name := range wf.jobOrder {
				if wf.Jobs[name].Permissions.Kind == 0 {
					t.Errorf("%s: job %s sets no permissions, so it runs with the repository's default token permissions; set them", where, name)
				}
			}
		}
		for _, name := range wf.jobOrder {
			job := wf.Jobs[name]
			perms := permissions(t, job.Permissions)
			if perms == nil {
				perms = permissions(t, wf.Permissions)
			}
			for _, s := range job.Steps {
				switch {
				case strings.HasPrefix(s.Uses, actionRef):
					uses++
					checkActionStep(t, where, m, s, perms)
				case s.Uses != "":
					if !pinned.MatchString(s.Uses) {
						t.Errorf("%s: %s: pin third-party actions by full commit SHA (with the version as a comment)", where, s.Uses)
					}
					if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["token"] == "" && perms != nil && perms["contents"] == "" {
						t.Errorf("%s: actions/checkout with the job's token needs permissions: contents: read (the job's permissions are %v)", where, perms)
					}
				}
			}
		}
	}
	if uses < 8 {
		t.Errorf("found %d uses of the Action in the README's YAML blocks; the parser missed some", uses)
	}
}

// checkActionStep checks one use of the Action: inputs declared, and the
// job's permissions (nil: the repository's default) enough for them.
func checkActionStep(t *testing.T, where string, m *actionManifest, s wfStep, perms map[string]string) {
	t.Helper()
	for name := range s.With {
		if _, ok := m.Inputs[name]; !ok {
			t.Errorf("%s: input %q is not declared in action.yml", where, name)
		}
	}
	need := func(scope, why string) {
		if perms != nil && perms[scope] != "write" {
			t.Errorf("%s: %s needs permissions: %s: write (the job has %v)", where, why, scope, perms)
		}
	}
	token := s.With["github-token"]
	if s.With["broker-url"] != "" {
		need("id-token", "broker-url")
		if s.With["api-key"] != "" {
			t.Errorf("%s: broker-url and api-key together are refused", where)
		}
	}
	if s.With["upload-sarif"] == "true" && token == "" {
		need("security-events", "upload-sarif with the job's token")
	}
	if s.With["on-leak"] == "reset" && !strings.Contains(token, "secrets.") {
		t.Errorf("%s: on-leak: reset writes a secret, which the job's GITHUB_TOKEN cannot: give github-token from a secret (got %q)", where, token)
	}
	if s.With["command"] == "repos" && !strings.Contains(token, "secrets.") {
		t.Errorf("%s: repos with the job's GITHUB_TOKEN lists only public repositories: give github-token from a secret", where)
	}
	if key := s.With["api-key"]; key != "" && !strings.Contains(key, "secrets.") {
		t.Errorf("%s: api-key %q: a key belongs in a secret", where, key)
	}
}

// readmeStep finds the README's use of the Action for which match is true,
// and returns it with the workflow holding it.
func readmeStep(t *testing.T, match func(wf *workflow, s wfStep) bool) (*workflow, []wfStep) {
	t.Helper()
	for _, wf := range readmeWorkflows(t) {
		for _, name := range wf.jobOrder {
			var found []wfStep
			for _, s := range wf.Jobs[name].Steps {
				if strings.HasPrefix(s.Uses, actionRef) && match(wf, s) {
					found = append(found, s)
				}
			}
			if len(found) > 0 {
				return wf, wf.Jobs[name].Steps
			}
		}
	}
	t.Fatal("no such README snippet")
	return nil, nil
}

// inputs is a step's with:, each ${{ secrets.NAME }} replaced by
// secrets[NAME]; any other expression fails the test, so a README that
// starts using one makes this test learn it.
func inputs(t *testing.T, s wfStep, secrets map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range s.With {
		out[k] = expression.ReplaceAllStringFunc(v, func(e string) string {
			inner := expression.FindStringSubmatch(e)[1]
			name, ok := strings.CutPrefix(inner, "secrets.")
			if !ok || secrets[name] == "" {
				t.Fatalf("input %s: %q: the test knows no value for it", k, e)
			}
			return secrets[name]
		})
	}
	return out
}

// checkStepOutputs checks every ${{ steps.ID.outputs.NAME }} in the job's
// run steps names an output a step before it set.
func checkStepOutputs(t *testing.T, steps []wfStep, ran map[string]*runnertest.Step) {
	t.Helper()
	for _, s := range steps {
		texts := []string{s.Run}
		for _, v := range s.Env {
			texts = append(texts, v)
		}
		for _, text := range texts {
			for _, e := range expression.FindAllStringSubmatch(text, -1) {
				parts := strings.Split(e[1], ".")
				if len(parts) != 4 || parts[0] != "steps" || parts[2] != "outputs" {
					continue
				}
				st, ok := ran[parts[1]]
				if !ok {
					t.Errorf("%s: no step with id %q ran before it", e[0], parts[1])
					continue
				}
				if st.Outputs[parts[3]] == "" {
					t.Errorf("%s: step %s set no output %q (it set %v)", e[0], parts[1], parts[3], st.Outputs)
				}
			}
		}
	}
}

func samePermissions(t *testing.T, got, preset string) {
	t.Helper()
	want, err := json.Marshal(vast.MustPermissions(preset, false))
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	json.Unmarshal([]byte(got), &g)
	json.Unmarshal(want, &w)
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("minted permissions, want %s (-want +got):\n%s", preset, diff)
	}
}

// TestREADMEQuickStartRuns runs the Quick start's step, and the several
// keys in one job, exactly as the README writes them (plus the fake's
// api-url), through the runner model: main steps, the later steps'
// expressions, post steps.
func TestREADMEQuickStartRuns(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			for _, snippet := range []struct {
				name  string
				match func(wf *workflow, s wfStep) bool
			}{
				{"quick start", func(wf *workflow, s wfStep) bool { return wf.block.heading == "Quick start" }},
				{"several keys in one job", func(wf *workflow, s wfStep) bool { return wf.block.heading == "Several keys in one job" }},
			} {
				t.Run(snippet.name, func(t *testing.T) {
					x := newE2E(t, mode)
					_, steps := readmeStep(t, snippet.match)
					ran := map[string]*runnertest.Step{}
					exported := 0
					start := time.Now()
					for _, s := range steps {
						if !strings.HasPrefix(s.Uses, actionRef) {
							continue
						}
						with := inputs(t, s, map[string]string{"VAST_API_KEY": x.admin})
						with["api-url"] = x.srv.URL
						st, err := x.job.RunStep(t.Context(), s.ID, with)
						if err != nil {
							t.Fatal(err)
						}
						if st.Code != 0 {
							t.Fatalf("step %s: exit %d\n%s%s", s.ID, st.Code, st.Stdout, st.Stderr)
						}
						ran[s.ID] = st
						k, ok := x.srv.Key(keyID(x.srv, st.Outputs["api-key"]))
						if !ok {
							t.Fatalf("step %s: its api-key output is no key of the account", s.ID)
						}
						preset := with["permissions"]
						if preset == "" {
							preset = "read-only" // the README: read-only by default
						}
						samePermissions(t, k.Permissions, preset)
						ttl := 6 * time.Hour
						if with["ttl"] != "" {
							ttl, _ = time.ParseDuration(with["ttl"])
						}
						exp, err := time.Parse(time.RFC3339, st.Outputs["expires-at"])
						if err != nil || exp.Before(start.Add(ttl-time.Minute)) || exp.After(time.Now().Add(ttl+time.Minute)) {
							t.Errorf("step %s: expires-at %q, want about %v from now (ttl %q)", s.ID, st.Outputs["expires-at"], ttl, with["ttl"])
						}
						if v, ok := st.Exported["VAST_API_KEY"]; ok {
							exported++
							if v != st.Outputs["api-key"] {
								t.Errorf("step %s: VAST_API_KEY is not its key", s.ID)
							}
						} else if with["export-env"] != "false" {
							t.Errorf("step %s: VAST_API_KEY is not set for the later steps (export-env %q)", s.ID, with["export-env"])
						}
					}
					if exported > 1 {
						t.Errorf("%d steps set VAST_API_KEY: the README says to keep export-env for at most one", exported)
					}
					checkStepOutputs(t, steps, ran)
					for _, p := range x.posts() {
						if p.Code != 0 {
							t.Errorf("post %s: exit %d\n%s%s", p.ID, p.Code, p.Stdout, p.Stderr)
						}
					}
					if live := x.liveMinted(); len(live) != 0 {
						t.Errorf("%d minted keys live after the post steps", len(live))
					}
				})
			}
		})
	}
}

// TestREADMEScanQuickStartRuns runs the scan step of "In a workflow" as
// written, on a push, in a workspace with a committed key and in a clean
// one.
func TestREADMEScanQuickStartRuns(t *testing.T) {
	t.Parallel()
	_, steps := readmeStep(t, func(wf *workflow, s wfStep) bool {
		return wf.block.heading == "In a workflow" && s.With["command"] == "scan"
	})
	var step wfStep
	for _, s := range steps {
		if strings.HasPrefix(s.Uses, actionRef) {
			step = s
		}
		if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["fetch-depth"] != "0" {
			t.Errorf("the scan quick start's checkout has fetch-depth %q; a shallow clone is refused", s.With["fetch-depth"])
		}
	}
	for _, leak := range []bool{true, false} {
		t.Run(fmt.Sprintf("leak=%v", leak), func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, "in-process")
			r := workspaceRepo(x)
			files := scantest.Files{"README.md": "# gpu\n"}
			if leak {
				files["deploy/.env"] = "VAST_API_KEY=" + scantest.Key(7) + "\n"
			}
			r.Commit("init", files)
			r.CheckoutWorktree()
			with := inputs(t, step, nil)
			st, err := x.job.RunStep(t.Context(), "scan", with)
			if err != nil {
				t.Fatal(err)
			}
			want, findings := 0, "0"
			if leak {
				want, findings = exitFindings, "1"
			}
			if st.Code != want || st.Outputs["findings"] != findings {
				t.Fatalf("exit %d, findings %q; want %d, %s\n%s%s", st.Code, st.Outputs["findings"], want, findings, st.Stdout, st.Stderr)
			}
			if sarif := with["sarif-file"]; sarif != "" {
				if st.Outputs["sarif-file"] != sarif {
					t.Errorf("output sarif-file %q, want %q", st.Outputs["sarif-file"], sarif)
				}
				b, err := os.ReadFile(filepath.Join(x.job.Env["GITHUB_WORKSPACE"], sarif))
				if err != nil || !strings.Contains(string(b), `"version": "2.1.0"`) {
					t.Errorf("%s: %v %.200s", sarif, err, b)
				}
				if leak && !strings.Contains(string(b), "deploy/.env") {
					t.Errorf("%s does not point at deploy/.env", sarif)
				}
			}
			if leak && !strings.Contains(st.Stdout, "::error") {
				t.Errorf("no error annotation:\n%s", st.Stdout)
			}
			assertNoScanLeak(t, st)
		})
	}
}

// TestREADMEBrokerSnippetRuns runs "The workflow side" of the broker as
// written (its broker-url pointed at a broker in this process), with the
// id-token permission the snippet grants.
func TestREADMEBrokerSnippetRuns(t *testing.T) {
	t.Parallel()
	wf, steps := readmeStep(t, func(wf *workflow, s wfStep) bool { return s.With["broker-url"] != "" })
	perms := permissions(t, wf.Jobs[wf.jobOrder[0]].Permissions)
	x := newBrokerJob(t, "in-process", perms["id-token"] != "write")
	for _, s := range steps {
		if !strings.HasPrefix(s.Uses, actionRef) {
			continue
		}
		with := inputs(t, s, nil)
		with["broker-url"] = x.url
		st, err := x.job.RunStep(t.Context(), "vast", with)
		if err != nil {
			t.Fatal(err)
		}
		if st.Code != 0 || st.Outputs["api-key"] == "" || st.Exported["VAST_API_KEY"] != st.Outputs["api-key"] {
			t.Fatalf("exit %d, outputs %v\n%s%s", st.Code, st.Outputs, st.Stdout, st.Stderr)
		}
		k, ok := x.srv.Key(keyID(x.srv, st.Outputs["api-key"]))
		if !ok {
			t.Fatal("the api-key output is no key of the account")
		}
		samePermissions(t, k.Permissions, with["permissions"])
	}
	for _, p := range x.posts() {
		if p.Code != 0 {
			t.Errorf("post: exit %d\n%s%s", p.Code, p.Stdout, p.Stderr)
		}
	}
	if live := x.liveMinted(); len(live) != 0 {
		t.Errorf("%d minted keys live after the post step", len(live))
	}
}

// TestREADMEOutputsTable: the hand-written Outputs table lists exactly
// action.yml's outputs. (The Inputs table is generated from the command
// table, which internal/command checks against action.yml.)
func TestREADMEOutputsTable(t *testing.T) {
	t.Parallel()
	m := manifest(t)
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n### Outputs\n")
	if !ok {
		t.Fatal("README.md has no ### Outputs section")
	}
	section, _, _ := strings.Cut(after, "\n#")
	row := regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\|")
	var got []string
	for _, r := range row.FindAllStringSubmatch(section, -1) {
		got = append(got, r[1])
	}
	var want []string
	for name := range m.Outputs {
		want = append(want, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README Outputs table against action.yml (-action.yml +README):\n%s", diff)
	}
}

// TestREADMEWorkflowsPassActionlint runs actionlint on the README's
// workflows, each use of the Action pointed at this checkout (uses: ./),
// so actionlint checks their inputs against action.yml. .ci/lint sets
// VASTGUARD_ACTIONLINT to the actionlint it installed.
func TestREADMEWorkflowsPassActionlint(t *testing.T) {
	bin := os.Getenv("VASTGUARD_ACTIONLINT")
	if bin == "" {
		t.Skip("VASTGUARD_ACTIONLINT is not set (.ci/lint sets it)")
	}
	t.Parallel()
	dir := t.TempDir()
	wfDir := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"action.yml", "Dockerfile", filepath.Join(".github", "actionlint.yaml")} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, wf := range readmeWorkflows(t) {
		text := wf.block.text
		if !wf.complete {
			// A fragment, pasted into a job of a workflow.
			first := strings.TrimSpace(strings.SplitN(strings.TrimSpace(text), "\n", 2)[0])
			if strings.HasPrefix(first, "- ") {
				text = "on: push\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n" + indent(dedent(text), "      ")
			} else {
				text = "on: push\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n" + indent(text, "    ")
			}
		}
		text = regexp.MustCompile(`uses: vastguard/vastguard@\S+`).ReplaceAllString(text, "uses: ./")
		n++
		name := filepath.Join(wfDir, fmt.Sprintf("readme-line-%d.yml", wf.block.line))
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-no-color")
	cmd.Dir = dir
	if err := exec.Command("git", "-C", dir, "init", "-q").Run(); err != nil {
		t.Skipf("actionlint finds the repository root with git: %v", err)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("actionlint on the README's %d workflows (the file name is the README's line): %v\n%s", n, err, out)
	}
}
