// Command hostile writes crafted repositories that try to exhaust a
// scanner (delta bombs, deep delta chains, huge objects, FIFOs and devices
// where git expects files) and scans one in a process of its own, so that
// its peak memory and time are its own. The scan package's memory tests
// and bench/hostile.sh run it; it is not part of vastguard.
//
//	hostile gen CLASS DIR    write the repository of CLASS in DIR and print
//	                         the directory to scan (see -h)
//	hostile scan [flags] DIR scan DIR and print the result as one JSON line
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/gitobj/packtest"
)

const MiB = 1 << 20

// class is a kind of crafted repository: gen writes it into r and
// returns the directory to scan ("" for r.Dir).
type class struct {
	about string
	gen   func(r *packtest.Repo) error
	scan  string // the directory to scan, relative to the repository's
}

// classes are the repositories gen writes.
var classes = map[string]class{
	"bomb": {"two-level delta bomb: 8 blobs of 2 GiB from a pack of a few KiB (over the default MaxDeltaSize)", func(r *packtest.Repo) error {
		_, err := r.DeltaBomb(2<<30, 8)
		return err
	}, ""},
	"bomb-at-budget": {"two-level delta bomb within the default budgets: 5 blobs of 1 GiB", func(r *packtest.Repo) error {
		_, err := r.DeltaBomb(1<<30, 4)
		return err
	}, ""},
	"bomb-small": {"two-level delta bomb: 14 blobs of 24 MiB (scan with -max-delta-size 24MiB -max-memory 64MiB)", func(r *packtest.Repo) error {
		_, err := r.DeltaBomb(24*MiB, 12)
		return err
	}, ""},
	"comb": {"a chain of 48 blobs of 8 MiB, each link also the base of a small leaf", func(r *packtest.Repo) error {
		_, err := r.Comb(48, 8*MiB)
		return err
	}, ""},
	"chain": {"a delta chain 1.5 million links deep", func(r *packtest.Repo) error {
		_, err := r.DeepChain(1_500_000)
		return err
	}, ""},
	"huge-commit": {"a real 256 MiB commit object", func(r *packtest.Repo) error {
		_, err := r.Huge(plumbing.CommitObject, 256*MiB)
		return err
	}, ""},
	"huge-blob": {"a 2 GiB text blob (streamed)", func(r *packtest.Repo) error {
		_, err := r.Huge(plumbing.BlobObject, 2<<30)
		return err
	}, ""},
	"fifo-head":        special("HEAD", packtest.FIFO),
	"fifo-alternates":  special("objects/info/alternates", packtest.FIFO),
	"fifo-loose":       special("objects/ab/cdef0123456789abcdef0123456789abcdef01", packtest.FIFO),
	"fifo-packed-refs": special("packed-refs", packtest.FIFO),
	"devzero-gitfile":  special("", packtest.DevZero),
	"devzero-head":     special("HEAD", packtest.DevZero),
	"devzero-config":   special("config", packtest.DevZero),
	"devzero-idx":      special("%idx", packtest.DevZero),
	"devzero-commondir": {"a linked work tree whose commondir is a link to /dev/zero", func(r *packtest.Repo) error {
		if err := small(r); err != nil {
			return err
		}
		gd := filepath.Join(r.GitDir, "worktrees", "wt")
		if err := os.MkdirAll(gd, 0o755); err != nil {
			return err
		}
		wt := filepath.Join(r.Dir, "linked")
		if err := os.MkdirAll(wt, 0o755); err != nil {
			return err
		}
		for p, body := range map[string]string{filepath.Join(gd, "HEAD"): "ref: refs/heads/main\n", filepath.Join(wt, ".git"): "gitdir: " + gd + "\n"} {
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				return err
			}
		}
		return packtest.Replace(filepath.Join(gd, "commondir"), packtest.DevZero)
	}, "linked"},
}

// small writes a small pack, for the classes that break a file instead.
func small(r *packtest.Repo) error {
	_, err := r.DeepChain(3)
	return err
}

// special is a small repository with the file at rel (relative to the git
// directory; "" is .git itself, "%idx" the pack index) replaced by kind.
func special(rel string, kind packtest.Special) class {
	name := rel
	switch rel {
	case "":
		name = ".git"
	case "%idx":
		name = "the pack index"
	}
	return class{about: fmt.Sprintf("%s as %s", kind, name), gen: func(r *packtest.Repo) error {
		if err := small(r); err != nil {
			return err
		}
		path := filepath.Join(r.GitDir, filepath.FromSlash(rel))
		switch rel {
		case "":
			path = filepath.Join(r.Dir, ".git")
		case "%idx":
			m, _ := filepath.Glob(filepath.Join(r.GitDir, "objects", "pack", "*.idx"))
			path = m[0]
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return packtest.Replace(path, kind)
	}}
}

// Result is what scan prints.
type Result struct {
	Err        string  `json:"err,omitempty"`
	Limit      bool    `json:"limit,omitempty"`       // errors.Is(err, scan.ErrLimit)
	NotRegular bool    `json:"not_regular,omitempty"` // errors.Is(err, scan.ErrNotRegular)
	Blobs      int     `json:"blobs"`
	Findings   int     `json:"findings"`
	Seconds    float64 `json:"seconds"`
	// PeakRSS is the process's peak resident memory in KiB (VmHWM), read
	// by the process itself: a parent's rusage of a child it started with
	// vfork counts the parent's own memory at the fork.
	PeakRSS int64 `json:"peak_rss_kib"`
}

// peakRSS returns VmHWM from /proc/self/status, or -1.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return kb
			}
		}
	}
	return -1
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return usage()
	}
	switch args[0] {
	case "gen":
		if len(args) != 3 {
			return usage()
		}
		c, ok := classes[args[1]]
		if !ok {
			return fmt.Errorf("unknown class %q", args[1])
		}
		r, err := packtest.Init(args[2])
		if err != nil {
			return err
		}
		if err := c.gen(r); err != nil {
			return err
		}
		fmt.Println(filepath.Join(r.Dir, c.scan))
		return nil
	case "scan":
		fs := flag.NewFlagSet("scan", flag.ContinueOnError)
		var opts scan.Options
		fs.IntVar(&opts.Workers, "workers", 0, "workers (0: GOMAXPROCS)")
		fs.Int64Var(&opts.MaxObjectSize, "max-object-size", 0, "MaxObjectSize in bytes (0: default)")
		fs.Int64Var(&opts.MaxDeltaSize, "max-delta-size", 0, "MaxDeltaSize in bytes (0: default)")
		fs.Int64Var(&opts.MaxMemory, "max-memory", 0, "MaxMemory in bytes (0: default)")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
			return usage()
		}
		start := time.Now()
		rep, err := scan.Scan(context.Background(), fs.Arg(0), opts)
		res := Result{Seconds: time.Since(start).Seconds()}
		if err != nil {
			res.Err, res.Limit, res.NotRegular = err.Error(), errors.Is(err, scan.ErrLimit), errors.Is(err, scan.ErrNotRegular)
		} else {
			res.Blobs, res.Findings = rep.Stats.Blobs, len(rep.Findings)
		}
		res.PeakRSS = peakRSS()
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	return usage()
}

func usage() error {
	names := make([]string, 0, len(classes))
	for n := range classes {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(os.Stderr, "usage: hostile gen CLASS DIR | hostile scan [-workers N] [-max-object-size B] [-max-delta-size B] [-max-memory B] DIR\nclasses:")
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-18s %s\n", n, classes[n].about)
	}
	return errors.New("bad usage")
}
