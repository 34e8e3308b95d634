package gitobj

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan/scantest"
)

// TestForEachHandsBackAPanic: a panic in a worker (here the visitor's) is
// raised again in ForEach's goroutine, where the caller recovers it, as a
// *WorkerPanic naming where it happened; it used to end the process with
// Go's exit status 2. The walk stops, and no goroutine is left blocked.
func TestForEachHandsBackAPanic(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	for i := range 20 {
		r.Commit("c", scantest.Files{"f.txt": strings.Repeat("line\n", 100+i)})
	}
	for _, packed := range []bool{false, true} {
		if packed {
			r.Pack()
		}
		db, err := Open(filepath.Join(r.Dir, ".git", "objects"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			defer func() {
				p := recover()
				wp, ok := p.(*WorkerPanic)
				if !ok {
					done <- errors.New("no *WorkerPanic recovered")
					return
				}
				if wp.Value != "visitor bug" || !strings.Contains(wp.Where, "TestForEachHandsBackAPanic") || !strings.Contains(wp.Error(), "panic_test.go") {
					done <- errors.New("recovered " + wp.Error())
					return
				}
				done <- nil
			}()
			db.ForEach(context.Background(), 4, Visitor{
				Want: func(plumbing.ObjectType) bool { return true },
				Object: func(w int, h plumbing.Hash, typ plumbing.ObjectType, data []byte) error {
					if typ == plumbing.BlobObject {
						panic("visitor bug")
					}
					return nil
				},
			})
			done <- errors.New("ForEach returned")
		}()
		if err := waitFor(t, done); err != nil {
			t.Errorf("packed %v: %v", packed, err)
		}
		db.Close()
	}
}
