package main

import (
	"regexp"
	"testing"
)

// TestDemoBrokerChapter: the demo's broker chapter says it is a demo, mints
// through the broker with no api-key, and shows the reaper deleting the key
// of a job whose post step never ran.
func TestDemoBrokerChapter(t *testing.T) {
	t.Parallel()
	r := runDemoChecked(t)
	for _, re := range []string{
		`== \d+\. The broker \(a demo\): .*==\nTHIS CHAPTER IS A DEMO`,
		`\[runner\] main step: /vastguard action .*\(exit code 0\); its log:\n  ::add-mask::\*\*\*\n  vastguard: minted key (\d+) vastguard-broker:acme/gpu-tests:run-9876543210-1:train:vast:exp-\d{8}T\d{6}Z:[a-z2-7]{6} \(instance_read, instance_write, misc\) through the broker http://127\.0\.0\.1:\d+, rule gpu-tests-main`,
		`  vastguard_broker_url = http://127\.0\.0\.1:\d+\n`,
		`\[broker log\]\n  level=INFO msg="key minted" repository=acme/gpu-tests`,
		`The runner dies here: the post step never runs`,
		`  reaped: 1 deleted, 0 already gone, 0 failed\n\[broker log\]\n  level=INFO msg="expired key reaped" key_id=\d+ name=vastguard-broker:`,
		`The job's key is dead although its post step never ran; the API answers it with: 401 Invalid user key`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("demo output does not match %s", re)
		}
	}
}
