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
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Docker cannot run on the machines this is developed and tested on, so the
// tests read the Dockerfile and build exactly what its builder stage builds
// (the same go build command, flags and environment), and place it under
// the names its final stage copies it to. Every test that runs the binary
// runs that build.

// dockerfile is what the tests need from the Dockerfile.
type dockerfile struct {
	buildEnv   []string          // NAME=VALUE in front of go build
	buildArgs  []string          // go build's arguments, without "go"
	output     string            // the -o path in the builder
	copies     map[string]string // final stage: destination -> source from the builder
	entrypoint []string
	finalFrom  string
	finalLines []string // the final stage's instructions
	users      []string // every USER instruction
}

// shellWords splits a RUN line into words the way sh does for the simple
// commands allowed here: spaces separate words, single and double quotes
// group. Anything that needs a real shell (&&, ;, |, $, backquotes,
// redirections) is refused, so the test cannot build something else than
// the image does.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '"' || c == '\'':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unclosed quote in %q", s)
			}
			q := s[i+1 : i+1+j]
			if c == '"' && strings.ContainsAny(q, "$`\\") {
				return nil, fmt.Errorf("shell expansion in %q", s)
			}
			cur.WriteString(q)
			inWord = true
			i += j + 1
		case strings.IndexByte("&;|$`<>\\(){}", c) >= 0:
			return nil, fmt.Errorf("the go build RUN must be one simple command, found %q in %q", c, s)
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

func parseDockerfile(src string) (*dockerfile, error) {
	// Join continuation lines, drop comments and blank lines.
	var instrs []string
	var cur string
	for _, l := range strings.Split(src, "\n") {
		t := strings.TrimSpace(l)
		if cur == "" && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if strings.HasSuffix(t, "\\") {
			cur += strings.TrimSuffix(t, "\\") + " "
			continue
		}
		instrs = append(instrs, cur+t)
		cur = ""
	}
	d := &dockerfile{copies: map[string]string{}}
	var stages []string // stage names, by index
	builder := ""
	for _, in := range instrs {
		op, rest, _ := strings.Cut(in, " ")
		op = strings.ToUpper(op)
		rest = strings.TrimSpace(rest)
		if op == "FROM" {
			f := strings.Fields(rest)
			name := ""
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				name = f[2]
			}
			stages = append(stages, name)
			d.finalFrom = f[0]
			d.finalLines = nil
			continue
		}
		d.finalLines = append(d.finalLines, op+" "+rest)
		switch op {
		case "USER":
			d.users = append(d.users, rest)
		case "RUN":
			if !strings.Contains(rest, "go build") {
				continue
			}
			if d.buildArgs != nil {
				return nil, errors.New("more than one RUN with go build")
			}
			words, err := shellWords(rest)
			if err != nil {
				return nil, err
			}
			for len(words) > 0 && strings.Contains(words[0], "=") {
				d.buildEnv = append(d.buildEnv, words[0])
				words = words[1:]
			}
			if len(words) < 2 || words[0] != "go" || words[1] != "build" {
				return nil, fmt.Errorf("RUN %s: not a go build command", rest)
			}
			d.buildArgs = words[1:]
			for i, w := range d.buildArgs {
				if w == "-o" && i+1 < len(d.buildArgs) {
					d.output = d.buildArgs[i+1]
				}
			}
			builder = stages[len(stages)-1]
		case "COPY":
			f := strings.Fields(rest)
			if len(f) == 3 && strings.HasPrefix(f[0], "--from=") {
				d.copies[f[2]] = strings.TrimPrefix(f[0], "--from=") + ":" + f[1]
			}
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &d.entrypoint); err != nil {
				return nil, fmt.Errorf("ENTRYPOINT is not in exec form (a JSON array): %s", rest)
			}
		}
	}
	if d.buildArgs == nil || d.output == "" {
		return nil, errors.New("no RUN go build ... -o OUT")
	}
	if builder == "" {
		return nil, errors.New("the go build stage has no name (FROM ... AS build)")
	}
	for dst, src := range d.copies {
		if !strings.HasPrefix(src, builder+":") {
			delete(d.copies, dst)
		} else {
			d.copies[dst] = strings.TrimPrefix(src, builder+":")
		}
	}
	return d, nil
}

var readDockerfile = sync.OnceValues(func() (*dockerfile, error) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		return nil, err
	}
	return parseDockerfile(string(b))
})

// buildBinary builds the program once per test run, exactly as the
// Dockerfile does, and returns the directory holding it under every name the
// image gives it (vastguard and vastguard-post).
var buildBinary = sync.OnceValues(func() (string, error) {
	d, err := readDockerfile()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "vastguard-bin-")
	if err != nil {
		return "", err
	}
	built := filepath.Join(dir, "built")
	args := slices.Clone(d.buildArgs)
	for i := range args {
		if args[i] == d.output && i > 0 && args[i-1] == "-o" {
			args[i] = built
		}
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), d.buildEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{string(out), err}
	}
	for dst, src := range d.copies {
		if src != d.output {
			continue
		}
		if err := copyFile(built, filepath.Join(dir, filepath.Base(dst))); err != nil {
			return "", err
		}
	}
	return dir, nil
})

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
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

// binaryDir returns the directory holding the built binary under the
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

func TestDockerfileContract(t *testing.T) {
	t.Parallel()
	d, err := readDockerfile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(d.buildEnv, "CGO_ENABLED=0") {
		t.Errorf("go build env = %v, want CGO_ENABLED=0", d.buildEnv)
	}
	flags := strings.Join(d.buildArgs, " ")
	for _, want := range []string{"build -trimpath", "-ldflags -s -w"} {
		if !strings.Contains(flags, want) {
			t.Errorf("go %s: lacks %q", flags, want)
		}
	}
	if diff := cmp.Diff(map[string]string{"/vastguard": d.output, "/vastguard-post": d.output}, d.copies); diff != "" {
		t.Errorf("final stage copies (-want +got):\n%s", diff)
	}
	if !slices.Equal(d.entrypoint, []string{"/vastguard"}) {
		t.Errorf("ENTRYPOINT = %q, want exec form [\"/vastguard\"]", d.entrypoint)
	}
	if len(d.users) > 0 {
		t.Errorf("USER %v: a Docker action must run as root", d.users)
	}
	for _, l := range d.finalLines {
		if strings.HasPrefix(l, "WORKDIR") {
			t.Errorf("final stage has %s: the runner sets the working directory", l)
		}
	}
	static := strings.HasPrefix(d.finalFrom, "gcr.io/distroless/static") && !strings.Contains(d.finalFrom, "nonroot")
	if !static && d.finalFrom != "scratch" {
		t.Errorf("final image %s: want distroless static (root) or scratch", d.finalFrom)
	}
	if d.finalFrom == "scratch" && !slices.ContainsFunc(d.finalLines, func(l string) bool { return strings.Contains(l, "ca-certificates") }) {
		t.Error("scratch image without CA certificates")
	}
}

func TestShellWords(t *testing.T) {
	t.Parallel()
	got, err := shellWords(`CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/x .`)
	want := []string{"CGO_ENABLED=0", "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", "/out/x", "."}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("= %q, %v", got, err)
	}
	for _, bad := range []string{`go build . && rm -rf /`, `go build -o "$OUT" .`, `go build . ; true`, `go build -o 'x .`} {
		if _, err := shellWords(bad); err == nil {
			t.Errorf("shellWords(%q) accepted", bad)
		}
	}
}

// TestBinaryIsStaticAndDispatchesOnItsName checks the image's binary:
// statically linked (no interpreter, no shared libraries, as distroless
// static and scratch have none), stripped, built with -trimpath, and
// started as /vastguard-post it takes the post path whatever its arguments.
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
