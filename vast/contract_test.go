package vast_test

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vastguard/vastguard/vast"
)

// TestContractRealAPI runs the client against the real Vast API. It is
// skipped unless VAST_API_KEY is set (the key needs user_read and
// user_write). It creates one read-only key named vastguard-contract-<time>
// and deletes it; nothing else in the account is touched.
func TestContractRealAPI(t *testing.T) {
	key := os.Getenv("VAST_API_KEY")
	if key == "" || os.Getenv("VASTGUARD_CONTRACT") == "" {
		t.Skip("contract test: set VAST_API_KEY and VASTGUARD_CONTRACT=1 to run against the real Vast API")
	}
	opts := []vast.Option{}
	if u := os.Getenv("VAST_URL"); u != "" {
		opts = append(opts, vast.WithBaseURL(u))
	}
	c, err := vast.New(key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	u, err := c.CurrentUser(ctx)
	if err != nil {
		t.Fatalf("CurrentUser: %v", err)
	}
	t.Logf("user id %d, key id %d", u.ID, u.KeyID)
	before, err := c.ListKeys(ctx)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	named := 0
	for _, k := range before {
		if k.Name != "" {
			named++
		}
	}
	t.Logf("%d keys, %d with names", len(before), named)

	name := fmt.Sprintf("vastguard-contract-%d", time.Now().Unix())
	k, err := c.CreateKey(ctx, name, vast.MustPermissions("read-only", false))
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	t.Cleanup(func() { _ = c.DeleteKey(t.Context(), k.ID) })
	after, err := c.ListKeys(ctx)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	found := false
	for _, lk := range after {
		if lk.ID == k.ID {
			found = true
			t.Logf("listed: name %q, permissions known %v (%s), created %v", lk.Name, lk.PermissionsKnown, lk.Permissions, lk.CreatedAt)
		}
	}
	if !found {
		t.Errorf("new key %d not listed", k.ID)
	}
	minted, err := vast.New(k.Secret.Reveal(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if mu, err := minted.CurrentUser(ctx); err != nil || mu.ID != u.ID || (mu.KeyID != 0 && mu.KeyID != k.ID) {
		t.Errorf("minted key CurrentUser = %+v, %v", mu, err)
	}
	if err := c.DeleteKey(ctx, k.ID); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	if err := c.DeleteKey(ctx, k.ID); !errors.Is(err, vast.ErrNotFound) {
		t.Errorf("second DeleteKey = %v, want ErrNotFound", err)
	}
	if _, err := minted.CurrentUser(ctx); !errors.Is(err, vast.ErrUnauthorized) {
		t.Errorf("deleted key CurrentUser = %v, want ErrUnauthorized", err)
	}
}
