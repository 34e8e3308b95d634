package demo

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/vast"
)

// demoAction runs the Action's main and post steps in-process under a fake
// runner (runnertest: the GITHUB_* files in the demo's scratch directory), and
// prints what the runner would show: the step's log with masked values as
// ***, its outputs, state and summary.
func demoAction(ctx context.Context, d *demo) error {
	job, err := runnertest.NewJob(filepath.Join(d.dir, "runner"), d.cfg.ActionDefaults, []string{"action"}, "/vastguard", "/vastguard-post", d.exec)
	if err != nil {
		return err
	}
	d.say(`A job of acme/gpu-tests has this step (the runner gives the action INPUT_* and GITHUB_* files):

  - id: vast
    uses: vastguard/vastguard@v1
    with:
      api-key: ${{ secrets.VAST_API_KEY }}
      permissions: instance-management
      ttl: 2h`)
	step, err := job.RunStep(ctx, "vast", map[string]string{"api-key": d.adminKey, "api-url": d.srv.URL, "permissions": "instance-management", "ttl": "2h"})
	if err != nil {
		return err
	}
	secret := step.Outputs["api-key"]
	d.showStep("main step: /vastguard action", step, secret)
	if step.Code != 0 {
		return fmt.Errorf("main step failed with exit code %d", step.Code)
	}
	d.say("\nLater steps read ${{ steps.vast.outputs.api-key }} or $VAST_API_KEY (masked as *** in every log).")
	if _, err := d.vastguard(ctx, nil, "keys", "list"); err != nil {
		return err
	}

	d.say("\nAt the end of the job the runner runs the post step with the saved state as STATE_*:")
	posts, err := job.RunPosts(ctx)
	if err != nil {
		return err
	}
	d.showStep("post step: /vastguard-post action", posts[0], secret)
	if posts[0].Code != 0 {
		return fmt.Errorf("post step failed with exit code %d", posts[0].Code)
	}
	c, err := d.client(ctx, secret)
	if err != nil {
		return err
	}
	_, err = c.CurrentUser(ctx)
	d.say("The minted key is dead now; the API answers it with: %s", briefAPIError(err))
	return nil
}

// showStep prints a step as the runner would show it.
func (d *demo) showStep(title string, s *runnertest.Step, secrets ...string) {
	mask := func(t string) string { return d.redact(runnertest.MaskLikeRunner(t, secrets...)) }
	d.say("\n[runner] %s (exit code %d); its log:", title, s.Code)
	fmt.Fprint(d.out, indent(mask(s.Stdout+s.Stderr)))
	for _, f := range []struct {
		title string
		m     map[string]string
	}{{"outputs", s.Outputs}, {"environment for later steps (GITHUB_ENV)", s.Exported}, {"state for the post step (GITHUB_STATE)", s.State}} {
		if len(f.m) == 0 {
			continue
		}
		d.say("[runner] %s:", f.title)
		keys := make([]string, 0, len(f.m))
		for k := range f.m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			d.say("  %s = %s", k, mask(f.m[k]))
		}
	}
	if s.Summary != "" {
		d.say("[runner] job summary (Markdown):")
		fmt.Fprint(d.out, indent(mask(s.Summary)))
	}
}

// demoSweepAudit seeds keys a dead runner left behind, then runs sweep and
// audit.
func demoSweepAudit(ctx context.Context, d *demo) error {
	admin, err := d.client(ctx, d.adminKey)
	if err != nil {
		return err
	}
	now := d.cfg.Now().UTC().Truncate(time.Second)
	ro := vast.MustPermissions("read-only", false)
	expired := keyname.Name{Repository: "acme/gpu-tests", RunID: 9876500001, Attempt: 1, Job: "train", Label: "vast", Expires: now.Add(-3 * time.Hour), Nonce: keyname.NewNonce()}
	live := keyname.Name{Repository: "acme/gpu-tests", RunID: 9876500002, Attempt: 1, Job: "train", Label: "vast", Expires: now.Add(4 * time.Hour), Nonce: keyname.NewNonce()}
	for _, n := range []string{expired.String(), live.String(), "laptop"} {
		if _, err := admin.CreateKey(ctx, n, ro); err != nil {
			return err
		}
	}
	writer, err := admin.CreateKey(ctx, "old-deploy-bot", vast.MustPermissions(`{"api": {"user_read": {}, "user_write": {}}}`, false))
	if err != nil {
		return err
	}
	d.srv.SetCreatedAt(writer.ID, now.Add(-200*24*time.Hour))
	d.say(`A runner died before its post step, leaving a key that expired 3 hours ago; another job's key is
still in use; "laptop" and "old-deploy-bot" were made by hand. sweep acts on vastguard's names alone:`)
	if _, err := d.vastguard(ctx, nil, "sweep", "--dry-run"); err != nil {
		return err
	}
	if _, err := d.vastguard(ctx, nil, "sweep"); err != nil {
		return err
	}
	d.say("\nA scheduled workflow runs the same with `command: sweep`. audit flags what needs a look (exit code 2):")
	_, err = d.vastguard(ctx, nil, "audit")
	if err != nil && d.exitCode(err) != exitFindings {
		return err
	}
	return nil
}
