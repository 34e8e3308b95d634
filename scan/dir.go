package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// DirOptions controls ScanDir.
type DirOptions struct {
	// Detectors replaces the default Detectors.
	Detectors []Detector
	// Limits bound what is read out of archives; the zero value means
	// DefaultLimits (Depth 0 included: set Limits.Depth to -1 to open no
	// archive).
	Limits Limits
	// Skip, if set, leaves out every file, directory and archive entry
	// whose slash-separated path relative to the root (an entry as
	// "release.zip!config/.env") it reports true for.
	Skip func(path string) bool
	// Workers is the number of files read and scanned in parallel; 0
	// means GOMAXPROCS.
	Workers int
	// Now is the clock for timing; nil means time.Now.
	Now func() time.Time
}

// ScanDir scans a plain directory tree (an unpacked release, a build
// output, a container layer), or a single file, with no git history: every
// regular file, and the entries of the zip, tar, gzip and bzip2 archives in
// it (a .jar, a .whl, a .tar.gz), opened by their content rather than their
// name, to the depth and within the sizes opts.Limits allows.
//
// Nothing is followed out of the tree: symbolic links (to files or
// directories) are counted in Stats.SkippedLinks and never read, devices,
// sockets and FIFOs are never opened, a file swapped for a link while the
// scan runs is left out, and archive entries are read in memory, never
// written anywhere, so an entry named "../../x" cannot escape (it is shown
// cleaned). A .git directory is left out and listed in Stats.Unscanned:
// scan the repository with Scan for its history.
//
// Findings have Source SourceDirectory, Path relative to the root
// (slash-separated; "a.zip!b/c" inside archives, with Archive set to the
// archive file), and no commit.
func ScanDir(ctx context.Context, root string, opts DirOptions) (*Report, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	det := opts.Detectors
	if det == nil {
		det = Detectors
	}
	limits := opts.Limits
	switch {
	case limits.Depth == 0:
		limits.Depth = DefaultLimits.Depth
	case limits.Depth < 0:
		limits.Depth = 0
	case limits.Depth > MaxArchiveDepth:
		return nil, fmt.Errorf("archive depth %d is more than %d", limits.Depth, MaxArchiveDepth)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	fi, err := os.Stat(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist", root)
		}
		return nil, err
	}
	c := newContents(det, limits, SourceDirectory)
	c.skip = opts.Skip
	if fi.Mode().IsRegular() {
		// One file: its name is the path shown.
		dir, base := filepath.Split(root)
		if dir == "" {
			dir = "."
		}
		r, err := os.OpenRoot(dir)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		if err := c.file(ctx, r, base, fi); err != nil && !errors.Is(err, errBudget) {
			return nil, err
		}
	} else {
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s is neither a directory nor a regular file", root)
		}
		r, err := os.OpenRoot(root)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		if err := c.walk(ctx, r, workers); err != nil {
			return nil, err
		}
	}
	rep := c.report("directory")
	rep.Stats.Seconds = now().Sub(start).Seconds()
	return rep, nil
}

// dirFile is a regular file the walk found, with what lstat said of it.
type dirFile struct {
	rel  string
	info fs.FileInfo
}

// walk lists the tree (one goroutine, in lexical order) and reads its
// files on workers.
func (c *contents) walk(ctx context.Context, r *os.Root, workers int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	files := make(chan dirFile, 4*workers)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range files {
				if err := c.file(ctx, r, f.rel, f.info); err != nil && !errors.Is(err, errBudget) {
					fail(err)
				}
			}
		}()
	}
	err := fs.WalkDir(r.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil {
			if p == "." {
				return err
			}
			c.unscanned(p, "cannot read: "+pathErr(err))
			return nil
		}
		if p == "." {
			return nil
		}
		t := d.Type()
		switch {
		case t&fs.ModeSymlink != 0:
			c.note(func(st *Stats) { st.SkippedLinks++ })
			return nil
		case d.IsDir():
			if d.Name() == ".git" {
				c.unscanned(p, "a git directory, left out: scan the repository without --no-git to read its history")
				return fs.SkipDir
			}
			if c.skip != nil && c.skip(p) {
				return fs.SkipDir
			}
			return nil
		case !t.IsRegular():
			c.note(func(st *Stats) { st.SkippedSpecial++ })
			return nil
		}
		if c.skip != nil && c.skip(p) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			c.unscanned(p, "cannot read: "+err.Error())
			return nil
		}
		select {
		case files <- dirFile{p, info}:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	})
	close(files)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err != nil {
		return err
	}
	return ctx.Err()
}

// file reads one regular file of the tree. It is opened without blocking
// (a FIFO swapped in cannot hang the scan) and checked to be the very file
// the walk saw: a file replaced by a link or anything else meanwhile is
// left out.
func (c *contents) file(ctx context.Context, r *os.Root, rel string, seen fs.FileInfo) error {
	f, err := r.OpenFile(rel, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		c.unscanned(rel, "cannot read: "+pathErr(err))
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		c.unscanned(rel, "cannot read: "+pathErr(err))
		return nil
	}
	if !fi.Mode().IsRegular() || !os.SameFile(fi, seen) {
		c.unscanned(rel, "changed while the scan ran (replaced by a link or a special file); not read")
		return nil
	}
	size := fi.Size()
	if size <= inMemory {
		data, err := io.ReadAll(io.LimitReader(f, inMemory+1))
		if err != nil {
			c.unscanned(rel, "cannot read: "+pathErr(err))
			return nil
		}
		if len(data) <= inMemory {
			return c.data(ctx, rel, "", data, 0)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	return c.stream(ctx, rel, "", f, f, size, 0)
}

// pathErr is an error without the path it names (the caller shows it).
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
