package command

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestCacheKey: the key comes from VASTGUARD_CACHE_KEY, else a key file
// made once (0600, 32 random bytes) under XDG_CONFIG_HOME or
// ~/.config; a short key, a key file reached through a link, and one inside
// the cache directory are refused.
func TestCacheKey(t *testing.T) {
	t.Parallel()
	t.Run("from the environment", func(t *testing.T) {
		t.Parallel()
		key, err := cacheKey(envOf(map[string]string{cacheKeyEnv: "sixteen or more bytes", "HOME": t.TempDir()}), t.TempDir())
		if err != nil || string(key) != "sixteen or more bytes" {
			t.Fatalf("%q, %v", key, err)
		}
	})
	t.Run("too short in the environment", func(t *testing.T) {
		t.Parallel()
		_, err := cacheKey(envOf(map[string]string{cacheKeyEnv: "short"}), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "VASTGUARD_CACHE_KEY is 5 bytes; use at least 16") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("made once in ~/.config", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		env := envOf(map[string]string{"HOME": home})
		first, err := cacheKey(env, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(home, ".config", "vastguard", "cache.key")
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 || fi.Size() != newCacheKey || len(first) != newCacheKey {
			t.Errorf("key file %v, %d bytes; key %d bytes", fi.Mode(), fi.Size(), len(first))
		}
		again, err := cacheKey(env, t.TempDir())
		if err != nil || !bytes.Equal(first, again) {
			t.Errorf("the second call gave another key (%v)", err)
		}
	})
	t.Run("under XDG_CONFIG_HOME, made with its parents", func(t *testing.T) {
		t.Parallel()
		xdg := filepath.Join(t.TempDir(), "a", "b")
		if _, err := cacheKey(envOf(map[string]string{"XDG_CONFIG_HOME": xdg, "HOME": t.TempDir()}), t.TempDir()); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(xdg, "vastguard", "cache.key")); err != nil {
			t.Error(err)
		}
	})
	t.Run("no HOME", func(t *testing.T) {
		t.Parallel()
		_, err := cacheKey(envOf(nil), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "--cache needs a key: set VASTGUARD_CACHE_KEY, or HOME") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("a link at the key file", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		dir := filepath.Join(home, ".config", "vastguard")
		os.MkdirAll(dir, 0o700)
		elsewhere := filepath.Join(t.TempDir(), "key")
		os.WriteFile(elsewhere, bytes.Repeat([]byte("k"), 32), 0o600)
		os.Symlink(elsewhere, filepath.Join(dir, "cache.key"))
		_, err := cacheKey(envOf(map[string]string{"HOME": home}), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("the key file inside the cache", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		_, err := cacheKey(envOf(map[string]string{"HOME": home}), filepath.Join(home, ".config"))
		if err == nil || !strings.Contains(err.Error(), "holds the cache's key file") {
			t.Fatalf("%v", err)
		}
		if _, err := os.Stat(filepath.Join(home, ".config", "vastguard", "cache.key")); err == nil {
			t.Error("the key was written inside the cache")
		}
	})
	t.Run("a key file too short", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		dir := filepath.Join(home, ".config", "vastguard")
		os.MkdirAll(dir, 0o700)
		os.WriteFile(filepath.Join(dir, "cache.key"), []byte("short"), 0o600)
		_, err := cacheKey(envOf(map[string]string{"HOME": home}), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "not a key vastguard wrote") {
			t.Fatalf("%v", err)
		}
	})
}

func TestWithin(t *testing.T) {
	t.Parallel()
	d := t.TempDir()
	os.MkdirAll(filepath.Join(d, "cache"), 0o700)
	os.Symlink(filepath.Join(d, "cache"), filepath.Join(d, "alias"))
	for _, tt := range []struct {
		path, dir string
		want      bool
	}{
		{filepath.Join(d, "cache", "k"), filepath.Join(d, "cache"), true},
		{filepath.Join(d, "cache"), filepath.Join(d, "cache"), true},
		{filepath.Join(d, "alias", "new", "k"), filepath.Join(d, "cache"), true},
		{filepath.Join(d, "cache", "k"), filepath.Join(d, "alias"), true},
		{filepath.Join(d, "cache-other", "k"), filepath.Join(d, "cache"), false},
		{filepath.Join(d, "k"), filepath.Join(d, "cache"), false},
	} {
		if got := within(tt.path, tt.dir); got != tt.want {
			t.Errorf("within(%s, %s) = %v, want %v", tt.path, tt.dir, got, tt.want)
		}
	}
}

func TestIndexFile(t *testing.T) {
	t.Parallel()
	if got := indexFile(envOf(nil), "."); got != "" {
		t.Errorf("no GIT_INDEX_FILE: %q", got)
	}
	if got := indexFile(envOf(map[string]string{"GIT_INDEX_FILE": "/abs/index.lock"}), "."); got != "/abs/index.lock" {
		t.Errorf("absolute: %q", got)
	}
	// Relative: against the work tree's top, as git reads it.
	top := t.TempDir()
	os.MkdirAll(filepath.Join(top, ".git", "objects"), 0o755)
	os.MkdirAll(filepath.Join(top, ".git", "refs"), 0o755)
	os.WriteFile(filepath.Join(top, ".git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o644)
	os.MkdirAll(filepath.Join(top, "sub"), 0o755)
	got := indexFile(envOf(map[string]string{"GIT_INDEX_FILE": ".git/next-index.lock"}), filepath.Join(top, "sub"))
	if want := filepath.Join(top, ".git", "next-index.lock"); got != want {
		t.Errorf("relative: %q, want %q", got, want)
	}
}
