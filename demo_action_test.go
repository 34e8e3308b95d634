package main

import (
	"regexp"
	"testing"
)

func TestDemoShowsTheActionAsTheRunnerSeesIt(t *testing.T) {
	t.Parallel()
	r := runDemoChecked(t)
	for _, re := range []string{
		`\[runner\] main step: /vastguard action \(exit code 0\); its log:\n  ::add-mask::\*\*\*\n  vastguard: minted key \d+ vastguard:acme/gpu-tests:run-9876543210-1:train:vast:exp-\d{8}T\d{6}Z:[a-z2-7]{6} \(instance_read, instance_write, misc\)`,
		`  api-key = \*\*\*\n`,
		`  VAST_API_KEY = \*\*\*\n`,
		`  vastguard_key_id = \d+\n  vastguard_key_name = vastguard:acme/gpu-tests:`,
		`\[runner\] post step: /vastguard-post action \(exit code 0\); its log:\n  vastguard: deleted key \d+ vastguard:acme/gpu-tests:`,
		`The minted key is dead now; the API answers it with: 401 Invalid user key`,
		`\$ vastguard sweep --dry-run\n(.*\n)*.*would delete \(dry run\)\n  1 expired vastguard key to delete; 1 not expired yet; 3 other keys left alone.`,
		`\$ vastguard sweep\n(.*\n)*.*  deleted\n  1 expired vastguard key deleted;`,
		`old-deploy-bot .* user-write, older-than-90-days\n  2 of 4 keys flagged.\n  \(exit code 2\)`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("demo output does not match %s", re)
		}
	}
}
