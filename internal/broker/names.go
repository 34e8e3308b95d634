package broker

import "github.com/vastguard/vastguard/internal/keyname"

// KeyNames is the Namer of the project's key names (package keyname): the
// Action's seven-field names with keyname.BrokerPrefix, so reconcile knows
// the broker's keys (keyname.Minted) and never takes a key the Action
// minted with a management key for one of them, and `vastguard sweep`
// still reads their expiry.
var KeyNames Namer = keyNames{}

type keyNames struct{}

func (keyNames) Name(p NameParts) string {
	return keyname.Name{Repository: p.Repository, RunID: p.RunID, Attempt: p.Attempt, Job: p.Job, Label: p.Label,
		Expires: p.Expires, Nonce: keyname.NewNonce(), Broker: true}.String()
}

func (keyNames) Minted(name string) bool { return keyname.Minted(name) }
