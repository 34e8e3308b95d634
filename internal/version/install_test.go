package version

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGoInstallReportsTheTag does what a user does, `go install
// github.com/vastguard/vastguard@v1.2.3`, against a module proxy on disk
// holding this tree as v1.2.3 (dependencies come from the local module
// cache, which is itself laid out as a proxy), and checks that `vastguard
// version` names v1.2.3. No network: GOPROXY is file:// only and
// GOSUMDB is off.
func TestGoInstallReportsTheTag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole program from a module proxy")
	}
	t.Parallel()
	const mod, ver = "github.com/vastguard/vastguard", "v1.2.3"
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	gomodcache := strings.TrimSpace(goEnv(t, "GOMODCACHE"))

	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	at := filepath.Join(proxy, mod, "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	infoJSON, _ := json.Marshal(map[string]any{"Version": ver, "Time": time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)})
	for name, data := range map[string][]byte{"list": []byte(ver + "\n"), ver + ".info": infoJSON, ver + ".mod": gomod, ver + ".zip": moduleZip(t, root, mod+"@"+ver)} {
		if err := os.WriteFile(filepath.Join(at, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A module cache of its own, so the fake v1.2.3 never lands in the
	// real one; the go command makes its files read-only, so it cleans
	// them itself.
	modcache := filepath.Join(tmp, "modcache")
	gobin := filepath.Join(tmp, "bin")
	env := append(os.Environ(),
		"GOPROXY=file://"+filepath.ToSlash(proxy)+",file://"+filepath.ToSlash(filepath.Join(gomodcache, "cache", "download")),
		"GOSUMDB=off", "GONOSUMDB=", "GOPRIVATE=", "GOFLAGS=-trimpath", "GOTOOLCHAIN=local",
		"GOMODCACHE="+modcache, "GOBIN="+gobin, "GOWORK=off")
	t.Cleanup(func() {
		c := exec.Command("go", "clean", "-modcache")
		c.Env = env
		c.Dir = tmp
		c.Run()
	})
	install := exec.Command("go", "install", mod+"@"+ver)
	install.Env, install.Dir = env, tmp
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install %s@%s: %v\n%s", mod, ver, err, out)
	}
	out, err := exec.Command(filepath.Join(gobin, "vastguard"), "version").Output()
	if err != nil {
		t.Fatalf("vastguard version: %v", err)
	}
	if f := strings.Fields(string(out)); len(f) < 2 || f[0] != "vastguard" || f[1] != ver {
		t.Errorf("vastguard version = %q, want \"vastguard %s ...\"", out, ver)
	}
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// moduleZip zips the module rooted at dir the way the module proxy serves
// it: every regular file under prefix/, leaving out VCS metadata and
// directories that hold a module of their own. Written here because
// golang.org/x/mod/zip is not a dependency, and only this test needs it.
func moduleZip(t *testing.T, dir, prefix string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			if rel != "." {
				switch d.Name() {
				case ".git", ".hg", ".svn", ".bzr", "vendor":
					return filepath.SkipDir
				}
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !d.Type().IsRegular() || d.Name() == ".git" {
			return nil // symlinks, sockets and a worktree's .git file
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		w, err := zw.Create(prefix + "/" + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
