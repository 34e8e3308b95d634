package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// Docker cannot run on the machines this is developed and tested on, so the
// tests read the Dockerfile and build exactly what it builds: the builder
// stage's go build (same command, flags, environment and build arguments)
// and ln -s into a directory standing for the builder's filesystem, then the
// final stage's COPY --from lines into a directory standing for the image's
// root, with BuildKit's rules (a source path that is a symlink is followed;
// a directory's contents are copied as they are, symlinks included). Every
// test that runs the binary runs it from that image root.

// stage is one FROM ... section of the Dockerfile.
type stage struct {
	name, from, platform string
	args                 map[string]string // ARG name -> default ("" when none)
	lines                []string          // instructions after FROM, as written (continuations joined)
}

// dockerfile is what the tests need from the Dockerfile.
type dockerfile struct {
	stages  []*stage
	builder *stage // the stage that runs go build
	final   *stage
	labels  map[string]string // final stage LABELs, unexpanded
	copies  []copyInstr       // final stage COPY --from=<builder>
	// entrypoint is the final stage's ENTRYPOINT (exec form).
	entrypoint []string
	users      []string // every USER instruction
}

type copyInstr struct{ src, dst string }

// runStep is one RUN of the builder, as the test replays it.
type runStep struct {
	mounts []string // --mount=... flags
	env    []string // NAME=VALUE in front of the command
	argv   []string // the command, expanded
}

// shellWords splits a RUN line into words the way sh does for the simple
// commands allowed here: spaces separate words, single and double quotes
// group, and $NAME or ${NAME} is replaced by vars[NAME] (unquoted or in
// double quotes) for the names vars holds. Anything else that needs a real
// shell (&&, ;, |, other $ expansions, backquotes, redirections) is refused,
// so the test cannot build something else than the image does.
func shellWords(s string, vars map[string]string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	expand := func(s string, i int) (string, int, error) { // s[i] == '$'
		j := i + 1
		var name string
		if j < len(s) && s[j] == '{' {
			k := strings.IndexByte(s[j:], '}')
			if k < 0 {
				return "", 0, fmt.Errorf("unclosed ${ in %q", s)
			}
			name, j = s[j+1:j+k], j+k+1
		} else {
			for j < len(s) && (s[j] == '_' || 'A' <= s[j] && s[j] <= 'Z' || 'a' <= s[j] && s[j] <= 'z' || j > i+1 && '0' <= s[j] && s[j] <= '9') {
				j++
			}
			name = s[i+1 : j]
		}
		v, ok := vars[name]
		if !ok {
			return "", 0, fmt.Errorf("shell expansion of %q (not an ARG of the stage) in %q", "$"+name, s)
		}
		return v, j, nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unclosed quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unclosed quote in %q", s)
			}
			q := s[i+1 : i+1+j]
			if strings.ContainsAny(q, "`\\") {
				return nil, fmt.Errorf("shell expansion in %q", s)
			}
			for k := 0; k < len(q); k++ {
				if q[k] != '$' {
					cur.WriteByte(q[k])
					continue
				}
				v, next, err := expand(q, k)
				if err != nil {
					return nil, err
				}
				cur.WriteString(v)
				k = next - 1
			}
			inWord = true
			i += j + 1
		case c == '$':
			v, next, err := expand(s, i)
			if err != nil {
				return nil, err
			}
			cur.WriteString(v)
			inWord = true
			i = next - 1
		case strings.IndexByte("&;|`<>\\(){}*?", c) >= 0:
			return nil, fmt.Errorf("a RUN of the builder must be one simple command, found %q in %q", c, s)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// instructions joins continuation lines and drops comments and blank lines.
func instructions(src string) []string {
	var instrs []string
	var cur string
	for _, l := range strings.Split(src, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue // also inside a continuation, as Docker does
		}
		if strings.HasSuffix(t, "\\") {
			cur += strings.TrimSuffix(t, "\\") + " "
			continue
		}
		instrs = append(instrs, cur+t)
		cur = ""
	}
	return instrs
}

// labelPairs parses LABEL's key=value pairs (values may be double-quoted).
func labelPairs(s string) (map[string]string, error) {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		k, rest, ok := strings.Cut(s, "=")
		if !ok || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("LABEL: want key=value, got %q", s)
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			j := strings.IndexByte(rest[1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("LABEL %s: unclosed quote", k)
			}
			v, s = rest[1:1+j], rest[2+j:]
		} else {
			v, s, _ = strings.Cut(rest, " ")
		}
		out[k] = v
	}
	return out, nil
}

func parseDockerfile(src string) (*dockerfile, error) {
	d := &dockerfile{labels: map[string]string{}}
	var cur *stage
	for _, in := range instructions(src) {
		op, rest, _ := strings.Cut(in, " ")
		op = strings.ToUpper(op)
		rest = strings.TrimSpace(rest)
		if op == "FROM" {
			f := strings.Fields(rest)
			s := &stage{args: map[string]string{}}
			if len(f) > 0 && strings.HasPrefix(f[0], "--platform=") {
				s.platform, f = strings.TrimPrefix(f[0], "--platform="), f[1:]
			}
			switch {
			case len(f) == 3 && strings.EqualFold(f[1], "AS"):
				s.name = f[2]
			case len(f) != 1:
				return nil, fmt.Errorf("FROM %s: want FROM [--platform=P] IMAGE [AS NAME]", rest)
			}
			s.from = f[0]
			d.stages = append(d.stages, s)
			cur = s
			continue
		}
		if cur == nil {
			if op == "ARG" {
				continue // a global ARG, for FROM lines only
			}
			return nil, fmt.Errorf("%s before the first FROM", op)
		}
		cur.lines = append(cur.lines, op+" "+rest)
		switch op {
		case "ARG":
			for _, a := range strings.Fields(rest) {
				name, def, _ := strings.Cut(a, "=")
				cur.args[name] = def
			}
		case "USER":
			d.users = append(d.users, rest)
		case "RUN":
			if strings.Contains(rest, "go build") {
				if d.builder != nil {
					return nil, errors.New("more than one RUN with go build")
				}
				d.builder = cur
			}
		}
	}
	if len(d.stages) == 0 {
		return nil, errors.New("no FROM")
	}
	if d.builder == nil {
		return nil, errors.New("no RUN go build")
	}
	if d.builder.name == "" {
		return nil, errors.New("the go build stage has no name (FROM ... AS build)")
	}
	d.final = d.stages[len(d.stages)-1]
	if d.final == d.builder {
		return nil, errors.New("the go build stage is the final stage: the image would hold the toolchain")
	}
	for _, l := range d.final.lines {
		op, rest, _ := strings.Cut(l, " ")
		switch op {
		case "LABEL":
			kv, err := labelPairs(rest)
			if err != nil {
				return nil, err
			}
			for k, v := range kv {
				d.labels[k] = v
			}
		case "COPY":
			f := strings.Fields(rest)
			if len(f) != 3 || f[0] != "--from="+d.builder.name {
				return nil, fmt.Errorf("final stage COPY %s: want COPY --from=%s SRC DST", rest, d.builder.name)
			}
			d.copies = append(d.copies, copyInstr{f[1], f[2]})
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &d.entrypoint); err != nil {
				return nil, fmt.Errorf("ENTRYPOINT is not in exec form (a JSON array): %s", rest)
			}
		}
	}
	return d, nil
}

// buildVars are the values the builder's RUN lines see for its ARGs: the
// defaults, the automatic platform ARGs for this machine, then set.
func (d *dockerfile) buildVars(set map[string]string) map[string]string {
	vars := map[string]string{}
	for name, def := range d.builder.args {
		vars[name] = def
	}
	for name, v := range map[string]string{"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH, "BUILDPLATFORM": runtime.GOOS + "/" + runtime.GOARCH} {
		if _, ok := vars[name]; ok {
			vars[name] = v
		}
	}
	for name, v := range set {
		if _, ok := vars[name]; ok {
			vars[name] = v
		}
	}
	return vars
}

// runSteps parses the builder's RUN lines with vars.
func (d *dockerfile) runSteps(vars map[string]string) ([]runStep, error) {
	var steps []runStep
	for _, l := range d.builder.lines {
		op, rest, _ := strings.Cut(l, " ")
		if op != "RUN" {
			continue
		}
		var st runStep
		for {
			rest = strings.TrimSpace(rest)
			flag, after, _ := strings.Cut(rest, " ")
			if !strings.HasPrefix(flag, "--") {
				break
			}
			if !strings.HasPrefix(flag, "--mount=") {
				return nil, fmt.Errorf("RUN %s: only --mount flags are expected", flag)
			}
			st.mounts = append(st.mounts, strings.TrimPrefix(flag, "--mount="))
			rest = after
		}
		words, err := shellWords(rest, vars)
		if err != nil {
			return nil, err
		}
		for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
			st.env = append(st.env, words[0])
			words = words[1:]
		}
		st.argv = words
		steps = append(steps, st)
	}
	return steps, nil
}

// image is a built image root.
type image struct {
	root   string            // the image's / on disk
	labels map[string]string // expanded with the final stage's ARGs
}

// buildImage replays the Dockerfile in dir with the build arguments set:
// the builder's RUN lines into dir/builder (standing for the builder's /),
// then the final stage's COPY --from lines into dir/image (the image's /).
func buildImage(d *dockerfile, dir string, set map[string]string) (*image, error) {
	builderFS, root := filepath.Join(dir, "builder"), filepath.Join(dir, "image")
	for _, p := range []string{builderFS, root} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
	}
	in := func(p string) string { return filepath.Join(builderFS, filepath.FromSlash(path.Clean("/"+p))) }
	steps, err := d.runSteps(d.buildVars(set))
	if err != nil {
		return nil, err
	}
	for _, st := range steps {
		for _, m := range st.mounts {
			if !strings.HasPrefix(m, "type=cache,") {
				return nil, fmt.Errorf("RUN --mount=%s: only cache mounts are expected (they do not change what is built)", m)
			}
		}
		switch {
		case slices.Equal(st.argv, []string{"go", "mod", "download"}):
			// The go command fetches modules itself here.
		case len(st.argv) >= 2 && st.argv[0] == "go" && st.argv[1] == "build":
			args := slices.Clone(st.argv[1:])
			for i := range args {
				if i > 0 && args[i-1] == "-o" {
					if !path.IsAbs(args[i]) {
						return nil, fmt.Errorf("go build -o %s: want an absolute path", args[i])
					}
					args[i] = in(args[i])
					if err := os.MkdirAll(filepath.Dir(args[i]), 0o755); err != nil {
						return nil, err
					}
				}
			}
			cmd := exec.Command("go", args...)
			cmd.Env = append(os.Environ(), st.env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				return nil, &buildError{string(out), err}
			}
		case len(st.argv) == 4 && st.argv[0] == "ln" && st.argv[1] == "-s":
			target, link := st.argv[2], st.argv[3]
			if path.IsAbs(target) {
				target = in(target) // an absolute link would point out of the test's tree
			}
			if err := os.Symlink(target, in(link)); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("RUN %q: the test replays only go mod download, go build and ln -s", st.argv)
		}
	}
	for _, c := range d.copies {
		if err := copyFromStage(in(c.src), root, c.dst); err != nil {
			return nil, fmt.Errorf("COPY --from=%s %s %s: %w", d.builder.name, c.src, c.dst, err)
		}
	}
	vars := map[string]string{}
	for name, def := range d.final.args {
		vars[name] = def
		if v, ok := set[name]; ok {
			vars[name] = v
		}
	}
	labels := map[string]string{}
	for k, v := range d.labels {
		labels[k] = os.Expand(v, func(name string) string { return vars[name] })
	}
	return &image{root: root, labels: labels}, nil
}

// copyFromStage copies src (in the builder) to dst (in the image) the way
// BuildKit's COPY does: src itself is followed if it is a symlink; a
// directory's contents are copied into dst, each entry as it is (a symlink
// stays a symlink); a file is copied to dst, or into it when dst ends in /.
func copyFromStage(src, root, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	target := filepath.Join(root, filepath.FromSlash(path.Clean("/"+dst)))
	if !fi.IsDir() {
		if strings.HasSuffix(dst, "/") {
			target = filepath.Join(target, filepath.Base(src))
		}
		return copyFile(src, target)
	}
	return filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(target, rel)
		switch {
		case e.Type()&os.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, out)
		case e.IsDir():
			return os.MkdirAll(out, 0o755)
		default:
			return copyFile(p, out)
		}
	})
}

var readDockerfile = sync.OnceValues(func() (*dockerfile, error) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		return nil, err
	}
	return parseDockerfile(string(b))
})

// testVersion is the VERSION build argument the tests build with, as the
// release workflow passes its tag.
const testVersion = "v0.0.0-dockerfile-test"

// buildBinary builds the image's contents once per test run, exactly as the
// Dockerfile does, and returns the image's root directory, holding
// vastguard and vastguard-post.
var buildBinary = sync.OnceValues(func() (string, error) {
	img, err := builtImage()
	if err != nil {
		return "", err
	}
	return img.root, nil
})

// imageTempDir is where builtImage built, removed by TestMain: the build
// is shared by the package's tests, so no one test's TempDir can hold it.
var imageTempDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if imageTempDir != "" {
		os.RemoveAll(imageTempDir)
	}
	os.Exit(code)
}

var builtImage = sync.OnceValues(func() (*image, error) {
	d, err := readDockerfile()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "vastguard-image-")
	if err != nil {
		return nil, err
	}
	imageTempDir = dir
	return buildImage(d, dir, map[string]string{"VERSION": testVersion, "COMMIT": "0000000000000000000000000000000000000000"})
})

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// binaryDir returns the image root holding the built binary under the
// image's names.
func binaryDir(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the binary tests run on Linux, where the Action runs")
	}
	dir, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// binary returns the path of the built binary as /vastguard.
func binary(t testing.TB) string {
	t.Helper()
	return filepath.Join(binaryDir(t), "vastguard")
}

// digestRef is an image reference pinned by the digest of a tag:
// name:tag@sha256:<64 hex>.
var digestRef = regexp.MustCompile(`^[a-z0-9./-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$`)

func TestDockerfileContract(t *testing.T) {
	t.Parallel()
	d, err := readDockerfile()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.stages {
		if !digestRef.MatchString(s.from) {
			t.Errorf("FROM %s: pin the base image by digest, with its tag in front (name:tag@sha256:...)", s.from)
		}
	}
	if d.builder.platform != "$BUILDPLATFORM" {
		t.Errorf("builder FROM --platform=%q: want $BUILDPLATFORM (cross-compile; no emulation)", d.builder.platform)
	}
	steps, err := d.runSteps(d.buildVars(map[string]string{"VERSION": "V", "COMMIT": "C"}))
	if err != nil {
		t.Fatal(err)
	}
	var build *runStep
	for i := range steps {
		if len(steps[i].argv) > 1 && steps[i].argv[1] == "build" {
			build = &steps[i]
		}
	}
	if build == nil {
		t.Fatal("no go build step")
	}
	want := []string{"CGO_ENABLED=0", "GOOS=" + runtime.GOOS, "GOARCH=" + runtime.GOARCH}
	if diff := cmp.Diff(want, build.env); diff != "" {
		t.Errorf("go build environment (-want +got):\n%s", diff)
	}
	flags := strings.Join(build.argv, " ")
	for _, w := range []string{
		"go build -trimpath",
		"-s -w",
		"-X github.com/vastguard/vastguard/internal/version.version=V",
		"-X github.com/vastguard/vastguard/internal/version.commit=C",
	} {
		if !strings.Contains(flags, w) {
			t.Errorf("%s: lacks %q", flags, w)
		}
	}
	if !slices.Equal(d.entrypoint, []string{"/vastguard"}) {
		t.Errorf("ENTRYPOINT = %q, want exec form [\"/vastguard\"]", d.entrypoint)
	}
	if len(d.users) > 0 {
		t.Errorf("USER %v: a Docker action must run as root", d.users)
	}
	for _, l := range d.final.lines {
		op, _, _ := strings.Cut(l, " ")
		switch op {
		case "WORKDIR":
			t.Errorf("final stage has %s: the runner sets the working directory", l)
		case "RUN", "SHELL", "CMD", "HEALTHCHECK", "ONBUILD":
			t.Errorf("final stage has %s: the image has no shell, and needs none", l)
		}
	}
	if !strings.HasPrefix(d.final.from, "gcr.io/distroless/static") || strings.Contains(d.final.from, "nonroot") {
		t.Errorf("final image %s: want distroless static (the root variant)", d.final.from)
	}
	wantLabels := map[string]string{
		"org.opencontainers.image.title":         "vastguard",
		"org.opencontainers.image.url":           "https://github.com/vastguard/vastguard",
		"org.opencontainers.image.source":        "https://github.com/vastguard/vastguard",
		"org.opencontainers.image.documentation": "https://github.com/vastguard/vastguard#readme",
		"org.opencontainers.image.licenses":      "Apache-2.0",
		"org.opencontainers.image.vendor":        "vastguard",
		"org.opencontainers.image.version":       "$VERSION",
		"org.opencontainers.image.revision":      "$COMMIT",
	}
	got := map[string]string{}
	for k, v := range d.labels {
		if _, ok := wantLabels[k]; ok {
			got[k] = v
		}
	}
	if diff := cmp.Diff(wantLabels, got); diff != "" {
		t.Errorf("final stage labels (-want +got):\n%s", diff)
	}
	if d.labels["org.opencontainers.image.description"] == "" {
		t.Error("no org.opencontainers.image.description label")
	}
}

// TestImageContents checks the image as the Dockerfile builds it: one
// binary, its second name a link to it, both names the action.yml
// entrypoints, a static binary (distroless static has no libc), the version
// and labels the build arguments set, and its size.
func TestImageContents(t *testing.T) {
	t.Parallel()
	root := binaryDir(t)
	img, err := builtImage()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	var size int64
	err = filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		kind := "file"
		if fi.Mode()&os.ModeSymlink != 0 {
			l, _ := os.Readlink(p)
			kind = "symlink to " + l
		} else if fi.Mode()&0o111 == 0 {
			kind = "file, not executable"
		}
		files = append(files, "/"+filepath.ToSlash(rel)+": "+kind)
		size += fi.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/vastguard: file", "/vastguard-post: symlink to vastguard"}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("what the Dockerfile adds to the base image (-want +got):\n%s", diff)
	}
	t.Logf("the Dockerfile adds %d bytes (%.1f MiB) to the base image: %s", size, float64(size)/(1<<20), strings.Join(files, "; "))

	// Both names the runner starts (action.yml) exist in the image and are
	// absolute: there is no shell to find them on a PATH.
	raw, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Runs struct {
			Entrypoint     string `yaml:"entrypoint"`
			PostEntrypoint string `yaml:"post-entrypoint"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, ep := range []string{m.Runs.Entrypoint, m.Runs.PostEntrypoint} {
		if !path.IsAbs(ep) {
			t.Errorf("action.yml entrypoint %q: want an absolute path", ep)
			continue
		}
		resolved, err := resolveIn(root, ep)
		if err != nil {
			t.Errorf("action.yml entrypoint %s: %v", ep, err)
		} else if resolved != "/vastguard" {
			t.Errorf("action.yml entrypoint %s resolves to %s in the image, want /vastguard", ep, resolved)
		}
	}

	if got := img.labels["org.opencontainers.image.version"]; got != testVersion {
		t.Errorf("label org.opencontainers.image.version = %q, want the VERSION build argument %q", got, testVersion)
	}
	out, err := exec.Command(filepath.Join(root, "vastguard"), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("vastguard version: %s", bytes.TrimSpace(out))
	// The linker sets -X variables only in packages the program links, and
	// says nothing otherwise: once the program uses internal/version, the
	// VERSION build argument must reach `vastguard version`.
	deps, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Fields(string(deps)), "github.com/vastguard/vastguard/internal/version") {
		t.Log("the program does not link internal/version yet: the VERSION build argument cannot reach it")
	} else if f := strings.Fields(string(out)); len(f) < 2 || f[1] != testVersion {
		t.Errorf("vastguard version = %q, want the VERSION build argument %s", out, testVersion)
	}
}

// resolveIn resolves p inside an image root the way the kernel does inside
// the container: symlinks relative to their directory, absolute ones from
// the image's /.
func resolveIn(root, p string) (string, error) {
	for range 8 {
		fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return "", err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			return p, nil
		}
		l, err := os.Readlink(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return "", err
		}
		if !path.IsAbs(l) {
			l = path.Join(path.Dir(p), l)
		}
		p = path.Clean(l)
	}
	return "", errors.New("too many symlinks")
}

func TestShellWords(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"VERSION": "v1.2.3", "TARGETOS": "linux"}
	tests := []struct {
		in   string
		want []string
	}{
		{`CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/x .`, []string{"CGO_ENABLED=0", "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", "/out/x", "."}},
		{`GOOS=$TARGETOS go build -ldflags "-X p.v=$VERSION -X p.c=${VERSION}x" .`, []string{"GOOS=linux", "go", "build", "-ldflags", "-X p.v=v1.2.3 -X p.c=v1.2.3x", "."}},
		{`ln -s 'a b' c`, []string{"ln", "-s", "a b", "c"}},
	}
	for _, tt := range tests {
		got, err := shellWords(tt.in, vars)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("shellWords(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`go build . && rm -rf /`, `go build -o "$OUT" .`, `go build -o $HOME .`, `go build . ; true`, `go build -o 'x .`, "go build -o `pwd` .", `go build -o "${VERSION" .`, `go build ./...*`} {
		if _, err := shellWords(bad, vars); err == nil {
			t.Errorf("shellWords(%q) accepted", bad)
		}
	}
}

// TestBuildImageRefusesOtherRuns: a RUN the test cannot replay fails the
// build instead of being skipped, so the test cannot drift from the image.
func TestBuildImageRefusesOtherRuns(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		"FROM golang:1@sha256:x AS build\nRUN apt-get install -y curl\nRUN go build -o /out/x .\nFROM scratch\nCOPY --from=build /out/ /\n",
		"FROM golang:1@sha256:x AS build\nRUN go build -o /out/x .\nFROM scratch\nCOPY --from=golang:1 /usr/local/go/bin/go /\n",
		"FROM golang:1@sha256:x AS build\nRUN --network=host go build -o /out/x .\nFROM scratch\n",
		"FROM golang:1@sha256:x AS build\nRUN --mount=type=bind,source=.,target=/src go build -o /out/x .\nFROM scratch\n",
	} {
		d, err := parseDockerfile(src)
		if err == nil {
			_, err = buildImage(d, t.TempDir(), nil)
		}
		if err == nil {
			t.Errorf("built:\n%s", src)
		}
	}
	if _, err := parseDockerfile("FROM golang:1 AS build\nRUN go build -o /out/x .\n"); err == nil {
		t.Error("accepted a Dockerfile whose final stage is the builder")
	}
}

// TestBinaryIsStaticAndDispatchesOnItsName checks the image's binary:
// statically linked (no interpreter, no shared libraries, as distroless
// static has none), stripped, built with -trimpath, and started as
// /vastguard-post (the link) it takes the post path whatever its arguments.
func TestBinaryIsStaticAndDispatchesOnItsName(t *testing.T) {
	t.Parallel()
	dir := binaryDir(t)
	for _, name := range []string{"vastguard", "vastguard-post"} {
		path := filepath.Join(dir, name)
		f, err := elf.Open(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s has an ELF interpreter: not static", name)
			}
		}
		if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
			t.Errorf("%s needs shared libraries %v (%v)", name, libs, err)
		}
		if f.Section(".symtab") != nil {
			t.Errorf("%s has a symbol table: not built with -ldflags -s", name)
		}
		f.Close()
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		wd, _ := os.Getwd()
		if bytes.Contains(raw, []byte(wd)) {
			t.Errorf("%s contains the build directory %s: not built with -trimpath", name, wd)
		}
	}

	tests := []struct {
		program  string
		wantCode int
		wantOut  string
	}{
		{"/vastguard-post", 0, "vastguard: nothing was minted in this step, so there is nothing to delete\n"},
		{"/vastguard", 1, "::error title=vastguard::input api-key is empty"},
	}
	for _, tt := range tests {
		cmd := exec.CommandContext(t.Context(), filepath.Join(dir, filepath.Base(tt.program)), "action")
		cmd.Args[0] = tt.program
		cmd.Env = []string{"INPUT_COMMAND=mint"}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.wantCode || !strings.HasPrefix(stdout.String(), tt.wantOut) || stderr.Len() != 0 {
			t.Errorf("%s action = %d, stdout %q, stderr %q; want %d and %q", tt.program, code, stdout.String(), stderr.String(), tt.wantCode, tt.wantOut)
		}
	}
}
