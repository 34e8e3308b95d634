package command

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/safefile"
	"github.com/vastguard/vastguard/scan"
)

// An incremental scan (--cache DIR, the Action's cache input) keeps in DIR
// what a history scan read (object ids, the commit graph, where keys were:
// never content, a path or a key; see scan.Options.Cache), authenticated
// with an HMAC. The key is never in DIR, so a cache restored from a shared
// store that someone altered fails its MAC and costs a full scan: it
// cannot hide a finding.

// cacheKeyEnv names the environment variable that gives the cache's key.
const cacheKeyEnv = "VASTGUARD_CACHE_KEY"

// Bounds of a cache key: scan needs at least minCacheKey bytes; a key file
// longer than maxCacheKeyFile is not one vastguard wrote.
const (
	minCacheKey     = 16
	newCacheKey     = 32
	maxCacheKeyFile = 4096
)

// cacheKeyFile is where the CLI keeps its cache key when VASTGUARD_CACHE_KEY
// is not set: $XDG_CONFIG_HOME/vastguard/cache.key, else
// ~/.config/vastguard/cache.key. It returns the configuration directory
// and the file's name beneath it.
func cacheKeyFile(getenv func(string) string) (dir, name string, err error) {
	dir = getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		// The XDG spec: a relative XDG_CONFIG_HOME is invalid, ignore it.
		home := getenv("HOME")
		if home == "" {
			home = getenv("USERPROFILE")
		}
		if home == "" {
			return "", "", usagef("scan: --cache needs a key: set %s, or HOME (the key is kept in ~/.config/vastguard/cache.key)", cacheKeyEnv)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Clean(dir), "vastguard/cache.key", nil
}

// cacheKey returns the key of the cache in cacheDir: VASTGUARD_CACHE_KEY,
// else the key file, created (mode 0600, 32 random bytes) on first use.
// The key file must not be in cacheDir. Neither the file nor a directory
// beneath the configuration directory may be a symbolic link.
func cacheKey(getenv func(string) string, cacheDir string) ([]byte, error) {
	if v := getenv(cacheKeyEnv); v != "" {
		if len(v) < minCacheKey {
			return nil, usagef("scan: %s is %d bytes; use at least %d (e.g. the output of `openssl rand -base64 32`)", cacheKeyEnv, len(v), minCacheKey)
		}
		return []byte(v), nil
	}
	dir, name, err := cacheKeyFile(getenv)
	if err != nil {
		return nil, err
	}
	full := filepath.Join(dir, filepath.FromSlash(name))
	if within(full, cacheDir) {
		return nil, usagef("scan: --cache %s holds the cache's key file %s; keep the cache elsewhere (a restored cache must not carry its own key)", cacheDir, full)
	}
	// The nearest directory that exists is the root; what is missing
	// beneath it is made, with no link followed.
	base := dir
	for range 8 {
		if _, err := os.Lstat(base); err == nil || filepath.Dir(base) == base {
			break
		}
		name = filepath.ToSlash(filepath.Join(filepath.Base(base), filepath.FromSlash(name)))
		base = filepath.Dir(base)
	}
	root, err := safefile.OpenRoot(base)
	if err != nil {
		return nil, fmt.Errorf("scan: the cache key's directory: %w", err)
	}
	defer root.Close()
	f, err := root.Open(name)
	switch {
	case err == nil:
		defer f.Close()
		key, err := io.ReadAll(io.LimitReader(f, maxCacheKeyFile+1))
		if err != nil {
			return nil, fmt.Errorf("scan: reading the cache key %s: %w", full, err)
		}
		if len(key) < minCacheKey || len(key) > maxCacheKeyFile {
			return nil, fmt.Errorf("scan: the cache key %s is %d bytes, not a key vastguard wrote; delete it (the next --cache scan makes a new one and scans in full)", full, len(key))
		}
		return key, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("scan: the cache key: %w", err)
	}
	// Raw bytes, not hex: 64 hex digits in a file at a path naming vast
	// is what a scan reports as a key.
	key := make([]byte, newCacheKey)
	rand.Read(key)
	if err := root.WriteFile(name, key, safefile.Options{Perm: 0o600, MakeDirs: true}); err != nil {
		return nil, fmt.Errorf("scan: writing the cache key: %w", err)
	}
	return key, nil
}

// within reports whether path is dir or beneath it, both made absolute
// and with the links of what exists of them resolved.
func within(path, dir string) bool {
	p, d := resolve(path), resolve(dir)
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// resolve makes p absolute and resolves the links of its longest part
// that exists.
func resolve(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		return real
	}
	if parent := filepath.Dir(p); parent != p {
		return filepath.Join(resolve(parent), filepath.Base(p))
	}
	return p
}

// cacheOptions fills in opts' incremental cache for --cache: the directory
// and its key.
func (f *scanFlags) cacheOptions(e *Env, opts *scan.Options) error {
	if f.cache == "" {
		return nil
	}
	key := f.cacheKey
	if key == nil {
		var err error
		if key, err = cacheKey(e.Getenv, f.cache); err != nil {
			return err
		}
	}
	opts.Cache, opts.CacheKey = f.cache, key
	return nil
}

// indexFile is the index a staged scan reads: GIT_INDEX_FILE when git set
// it (git commit -a and git commit PATH give the pre-commit hook a
// temporary index), made absolute against the work tree's top, as git
// reads a relative one; "" for the repository's own index.
func indexFile(getenv func(string) string, path string) string {
	idx := getenv("GIT_INDEX_FILE")
	if idx == "" || filepath.IsAbs(idx) {
		return idx
	}
	if top, err := scan.WorkTree(path, scan.Options{}); err == nil {
		return filepath.Join(top, idx)
	}
	if abs, err := filepath.Abs(idx); err == nil {
		return abs
	}
	return idx
}

// actionCacheDir is the Action's cache directory beneath RUNNER_TEMP. In a
// container action RUNNER_TEMP is /github/runner_temp, a mount of the
// host's runner temp directory, so the workflow's actions/cache steps name
// it as ${{ runner.temp }}/vastguard-cache.
const actionCacheDir = "vastguard-cache"

// actionCache sets f's cache from the cache and cache-key inputs and
// returns its directory, or "" when the scan runs without one: the input
// is false, the scan is a range (a pull request's commits: it reads only
// what they introduced), no key was given (said in the log), or the
// directory is not one (a link, a file: said in the log).
func actionCache(wf *ghactions.Workflow, getenv func(string) string, cfg actionConfig, f *scanFlags) string {
	switch {
	case !cfg.cache:
		return ""
	case f.rng != "":
		wf.Logf("cache: not used for a range (%s): it reads only what its commits introduced", f.rng)
		return ""
	case cfg.cacheKey == "":
		wf.Logf("cache: true, but cache-key is empty, so this scan reads the whole history without the cache; pass cache-key: ${{ secrets.VASTGUARD_CACHE_KEY }} (secrets are not passed to workflows run for pull requests from forks or by Dependabot)")
		return ""
	}
	tmp := getenv("RUNNER_TEMP")
	if tmp == "" || !filepath.IsAbs(tmp) {
		wf.Logf("cache: RUNNER_TEMP is not set to a directory (%q), so this scan reads the whole history without the cache", tmp)
		return ""
	}
	dir := filepath.Join(tmp, actionCacheDir)
	if fi, err := os.Lstat(dir); err == nil && !fi.IsDir() {
		wf.Logf("cache: %s is not a directory (a link, or a file), so this scan reads the whole history without the cache", dir)
		return ""
	}
	f.cache, f.cacheKey = dir, []byte(cfg.cacheKey)
	return dir
}
