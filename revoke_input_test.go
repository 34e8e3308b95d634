package main

import (
	"strings"
	"testing"

	"github.com/vastguard/vastguard/vast/vasttest"
)

// TestRevokeReadsItsWholeInput: a key after the first MiB of the input is
// revoked too (revoke used to read 1 MiB and exit 0 with later keys still
// live), and a key that cannot be handled fails the run.
func TestRevokeReadsItsWholeInput(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	uid, _ := srv.AddAccount("team@example.com")
	_, mgmt := srv.AddKey(uid, "mgmt", `{"api":{"user_read":{},"user_write":{}}}`)
	vars["VAST_API_KEY"] = mgmt
	id1, k1 := srv.AddKey(uid, "first", `{"api":{"user_read":{},"instance_read":{}}}`)
	id2, k2 := srv.AddKey(uid, "after-the-first-mib", `{"api":{"user_read":{},"instance_read":{}}}`)
	pad := strings.Repeat("# "+strings.Repeat("-", 98)+"\n", 15000) // 1.5 MB of comments
	in := k1 + "\n" + pad + "VAST_API_KEY=" + k2 + "\n"
	res := runCLIStdin(t, vars, in, "revoke")
	if res.code != 0 {
		t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, id := range []int64{id1, id2} {
		if k, _ := srv.Key(id); !k.Deleted {
			t.Errorf("key %d is still live", id)
		}
	}
	assertNoSecret(t, "output", res.all(), k1, k2, mgmt)

	// A key the API cannot answer for is not handled: exit 1.
	_, k3 := srv.AddKey(uid, "unanswered", `{"api":{"user_read":{}}}`)
	srv.Inject(vasttest.Fault{Route: "user", Status: 500, Times: -1})
	res = runCLIStdin(t, vars, pad+k3+"\n", "revoke")
	if res.code != 1 || !strings.Contains(res.stderr, "may still be live") {
		t.Errorf("unanswered key: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
