// Package respond is incident response for leaked Vast keys: verify a key
// (is it live, and whose is it), revoke a live one, and reset it (store a
// replacement with the same permissions, then revoke). The CLI's `revoke`
// and the Action's on-leak input both drive it.
//
// It works behind small interfaces and builds no client of its own: a
// Dialer gives it a client for a leaked key, a KeyManager is the
// management key's client, and a Sink stores a replacement. It knows
// nothing of GitHub, of the runner or of vastguard's commands: it imports
// vast, scan and internal/safetext, and no fake.
package respond

import (
	"context"

	"github.com/vastguard/vastguard/vast"
)

// Client is what respond does with a leaked key's own client (and with
// the management key's): ask whom the key belongs to, list the account's
// keys (to confirm which one is about to be deleted), read the audit log
// (what the leaked key did), and delete a key.
type Client interface {
	CurrentUser(ctx context.Context) (vast.User, error)
	ListKeys(ctx context.Context) ([]vast.Key, error)
	AuditLog(ctx context.Context) ([]vast.AuditEntry, error)
	DeleteKey(ctx context.Context, id int64) error
}

// Dialer returns a client that authenticates with key and retries as
// retry says. An error means the key cannot be used at all (it is not
// shaped like a key); nothing has been sent.
type Dialer func(key string, retry vast.RetryPolicy) (Client, error)

// KeyManager is the management key's client.
type KeyManager interface {
	Client
	CreateKey(ctx context.Context, name string, perms vast.Permissions) (vast.Key, error)
	// Explain turns an error of the operation what ("delete key") into one
	// line that says what to fix, without the key.
	Explain(what string, err error) error
}

// Sink stores a replacement key: a repository secret, or a 0600 file.
type Sink interface {
	// Store stores the value; its error says what failed, in one line,
	// without the value.
	Store(ctx context.Context, value string) error
	// Describe says where a stored key goes, for the report.
	Describe() string
}
