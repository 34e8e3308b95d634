package gitobj

import (
	"os"
	"testing"
	"time"
)

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }

// waitFor returns what done delivers, failing the test if nothing comes
// within a minute: what it guards against is blocking forever, not speed.
func waitFor(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("still blocked after a minute")
		return nil
	}
}
