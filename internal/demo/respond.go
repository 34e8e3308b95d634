package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vastguard/vastguard/scan/scantest"
)

// demoRespond is the incident: a live key committed to a repository is
// found, checked against the (fake) API, revoked, and shown dead.
func demoRespond(ctx context.Context, d *demo) error {
	uid := d.srv.Keys()[0].UserID
	id, leaked := d.srv.AddKey(uid, "prod-autoscaler", `{"api":{"user_read":{},"instance_read":{},"instance_write":{},"misc":{}}}`)
	r, err := buildRepoWith(filepath.Join(d.dir, "incident"), func(r *scantest.Repo) {
		r.Commit("autoscaler", scantest.Files{"autoscaler/config.yaml": "provider: vast.ai\nvast_api_key: " + leaked + "\nmax_gpus: 16\n"})
		r.CheckoutWorktree()
	})
	if err != nil {
		return err
	}
	d.say("Someone committed the production autoscaler's key (key %d on the fake account).", id)
	d.say("--verify asks the Vast API whether each found key is live (the key only ever goes in an")
	d.say("Authorization header); a live key makes the exit code 3:")
	if _, err := d.vastguard(ctx, nil, "scan", r.Dir, "--verify"); err != nil && d.exitCode(err) != exitLive {
		return err
	}
	keyFile := filepath.Join(d.dir, "leaked.txt")
	if err := os.WriteFile(keyFile, []byte(leaked+"\n"), 0o600); err != nil {
		return err
	}
	d.say("\nThe responder revokes it with the management key (VAST_API_KEY), reading the leaked key from a")
	d.say("file (never the command line, where ps would show it):")
	if _, err := d.vastguard(ctx, nil, "revoke", "--key-file", keyFile); err != nil {
		return err
	}
	d.say("\nScanned again, the key is still in history, but dead:")
	if _, err := d.vastguard(ctx, nil, "scan", r.Dir, "--verify"); err != nil && d.exitCode(err) != exitFindings {
		return err
	}
	if k, _ := d.srv.Key(id); !k.Deleted {
		return fmt.Errorf("the leaked key %d is still live on the fake", id)
	}
	return nil
}

// buildRepoWith builds a repository under dir with scantest, outside a
// test: scantest's failures become an error.
func buildRepoWith(dir string, build func(*scantest.Repo)) (r *scantest.Repo, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(demoFailure)
			if !ok {
				panic(p)
			}
			err = f.err
		}
	}()
	r = scantest.New(&demoTB{dir: dir})
	build(r)
	return r, nil
}
