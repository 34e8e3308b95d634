package vast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

const keysPath = "/api/v0/auth/apikeys/"

// SettleWindow is how long after a create was sent a key it made may still
// appear in the key list: the Vast CLI's per-request timeout (120 s), taken
// as the longest the API works on one request. Unverified: the API
// documents no such bound.
const SettleWindow = 2 * time.Minute

// settleInterval is the pause between two looks at the key list while
// settling a name.
const settleInterval = 10 * time.Second

// maxLooks bounds the looks of SettleName that find keys of the name
// (keys that keep appearing).
const maxLooks = 100

// strayBudget bounds the look for a stray key that CreateKey makes after
// an attempt with an unknown outcome, on a context detached from the
// caller's cancellation; strayBudgetCancelled applies once the caller has
// gone (a cancelled job has seconds, not minutes).
const (
	strayBudget          = time.Minute
	strayBudgetCancelled = 15 * time.Second
)

// CreateKey creates a key named name with permissions perms and returns it
// with its Secret. perms must not be zero: without an explicit permissions
// object the API makes a full-access key. Names should be unique: the
// client finds keys it could not account for by their name.
//
// Vast API: POST /api/v0/auth/apikeys/ (scope user_write). The answer's key
// is read from "key" (the OpenAPI) or "api_key" (the SDK docs); its
// permissions echo is compared with perms (see Key.Echo and Key.Diff);
// other fields (key_params, ...) are ignored.
//
// A 429, 3xx, 401, 403 or 404 is a refusal before any work. Any other
// failure may have made a key: a 5xx, a 400, 409 or 422, a success=false
// body or an unreadable 2xx answer (the server answered, perhaps after
// making it), or a timeout, a dropped connection or the caller's
// cancellation (the server may still be at work). After such an attempt the
// client lists the keys and deletes any named name, then retries if the
// failure is retryable (429, 502, 503, 504, network errors). If it could
// not account for every such attempt (the list showed fewer keys than
// attempts that may have made one), a failure is a *CreateUncertainError
// and a success carries Key.UnsettledSince: a key may still appear, and the
// caller settles it with SettleName.
func (c *Client) CreateKey(ctx context.Context, name string, perms Permissions) (Key, error) {
	if name == "" || len(name) > MaxNameLength {
		return Key{}, fmt.Errorf("create key: the name must be 1 to %d characters", MaxNameLength)
	}
	if perms.IsZero() {
		return Key{}, errors.New("create key: no permissions given (the API would make a full-access key)")
	}
	payload, err := encodeBody(struct {
		Name        string      `json:"name"`
		Permissions Permissions `json:"permissions"`
	}{name, perms})
	if err != nil {
		return Key{}, err
	}
	start := c.now()
	var (
		unknown int       // attempts that may have made a key
		removed int       // keys of the name deleted since
		since   time.Time // when the latest of those attempts was sent
	)
	for n := 1; ; n++ {
		sent := c.now()
		r := c.once(ctx, "POST", keysPath, payload, 0)
		if r.err == nil {
			k, err := c.createAnswer(r.body, name, perms)
			if err == nil {
				if removed < unknown {
					k.UnsettledSince = since
				}
				return k, nil
			}
			r.err = err // a 2xx we cannot use: a key probably exists
		}
		cause := finalError(r.err, ctx)
		if r.mayStillRun() || r.answeredUnknown() {
			unknown++
			since = sent
			del, serr := c.removeStray(ctx, name)
			removed += len(del)
			if serr != nil {
				return Key{}, &CreateUncertainError{Name: name, Since: since, Err: errors.Join(cause, serr)}
			}
		}
		if r.retryable() && ctx.Err() == nil && c.waitBeforeRetry(ctx, start, n, r, "POST", keysPath) {
			continue
		}
		cause = finalError(r.err, ctx) // waitBeforeRetry may have marked it over budget
		switch {
		case removed < unknown:
			return Key{}, &CreateUncertainError{Name: name, Since: since, Err: errors.Join(cause,
				errors.New("no key of that name is listed, but the server may still be making it"))}
		case unknown > 0:
			return Key{}, fmt.Errorf("create key: %w (no key was left behind)", cause)
		}
		return Key{}, fmt.Errorf("create key: %w", cause)
	}
}

// Echo is what create's answer said about the new key's permissions.
type Echo int

const (
	// EchoNone: not a create result.
	EchoNone Echo = iota
	// EchoSame: the answer echoed the permissions asked for.
	EchoSame
	// EchoExpanded: the answer listed, for a category asked for whole
	// ({}), its operations without constraints: taken as the same grant.
	EchoExpanded
	// EchoDiffers: the answer echoed other permissions. Key.Permissions
	// are the echoed ones and Key.Diff says how they differ.
	EchoDiffers
	// EchoFalse: the answer said "permissions": false, which the OpenAPI
	// gives "when permissions are disabled" and old doc tests expected even
	// for scoped keys. Unconfirmed: Key.Permissions are the ones requested,
	// not full access.
	EchoFalse
	// EchoAbsent: the answer had no permissions (or null): Key.Permissions
	// are the ones requested, unconfirmed.
	EchoAbsent
	// EchoUnreadable: the permissions in the answer could not be read:
	// Key.Permissions are the ones requested, unconfirmed.
	EchoUnreadable
)

var echoNames = map[Echo]string{
	EchoNone: "none", EchoSame: "as requested", EchoExpanded: "as requested (expanded into operations)",
	EchoDiffers: "different from the request", EchoFalse: "unconfirmed (the API answered permissions: false)",
	EchoAbsent: "unconfirmed (the API did not echo them)", EchoUnreadable: "unconfirmed (the API's echo was unreadable)",
}

func (e Echo) String() string { return echoNames[e] }

// Confirmed reports whether the answer stated the key's permissions
// (EchoSame, EchoExpanded or EchoDiffers).
func (e Echo) Confirmed() bool { return e == EchoSame || e == EchoExpanded || e == EchoDiffers }

// AnswerShape describes create's answer without any value, for logs and
// the contract test.
type AnswerShape struct {
	KeyField        string   // "key" or "api_key": where the secret was
	PermissionsType string   // "object", "string", "false", "true", "null", "absent" or "other"
	Fields          []string // top-level field names, sorted
}

// createAnswer reads create's 2xx answer.
func (c *Client) createAnswer(body []byte, name string, perms Permissions) (Key, error) {
	var top map[string]json.RawMessage
	if err := decodeInto("POST", keysPath, body, &top); err != nil {
		return Key{}, err
	}
	shape := AnswerShape{PermissionsType: jsonType(top["permissions"])}
	for f := range top {
		shape.Fields = append(shape.Fields, oneLine(Redact(f, c.key), 40))
	}
	slices.Sort(shape.Fields)
	id, ok := parseID(top["id"])
	secret := ""
	for _, f := range []string{"key", "api_key"} {
		var s string
		if json.Unmarshal(top[f], &s) == nil && strings.TrimSpace(s) != "" {
			shape.KeyField, secret = f, strings.TrimSpace(s)
			break
		}
	}
	if !ok || secret == "" {
		return Key{}, &decodeError{"POST", keysPath, "no key id or no key value (looked for id, and key or api_key)"}
	}
	if !printableToken(secret) {
		// The value goes into masks, outputs and environment files.
		return Key{}, &decodeError{"POST", keysPath, "a key value that is not one printable token"}
	}
	k := Key{ID: id, Name: name, Secret: Secret(secret), Requested: perms, Answer: shape}
	k.Echo, k.Permissions, k.Diff = readEcho(top["permissions"], perms)
	k.PermissionsKnown = k.Echo.Confirmed()
	k.FullAccess = k.Permissions.IsFull()
	return k, nil
}

// printableToken reports whether s is printable ASCII without spaces.
func printableToken(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return s != ""
}

// jsonType names the JSON type of a raw value ("absent" for none).
func jsonType(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "":
		return "absent"
	case s == "null", s == "true", s == "false":
		return s
	case s[0] == '{':
		return "object"
	case s[0] == '"':
		return "string"
	case s[0] == '[':
		return "array"
	}
	return "other"
}

// readEcho compares create's permissions echo with the request. A false,
// absent or unreadable echo leaves the requested permissions in place.
func readEcho(raw json.RawMessage, requested Permissions) (Echo, Permissions, PermissionsDiff) {
	switch jsonType(raw) {
	case "false":
		return EchoFalse, requested, PermissionsDiff{}
	case "absent", "null":
		return EchoAbsent, requested, PermissionsDiff{}
	}
	echoed, _, ok := permissionsFromAPI(raw)
	if !ok {
		return EchoUnreadable, requested, PermissionsDiff{}
	}
	d, expanded := requested.Compare(echoed)
	switch {
	case !d.Empty():
		return EchoDiffers, echoed, d
	case expanded:
		return EchoExpanded, requested, d
	}
	return EchoSame, requested, d
}

// removeStray deletes every key named name and returns their ids. It runs
// after a create whose outcome is unknown, on a context detached from the
// caller's cancellation (a cancelled job must still not leave a key
// behind) and bounded by the retry budget, or by strayBudgetCancelled once
// the caller has gone.
func (c *Client) removeStray(ctx context.Context, name string) ([]int64, error) {
	budget := c.retry.Budget
	if budget <= 0 || budget > strayBudget {
		budget = strayBudget
	}
	if ctx.Err() != nil {
		budget = min(budget, strayBudgetCancelled)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	del, err := c.sweepName(sctx, name)
	if err != nil {
		return del, fmt.Errorf("checking for a stray key: %w", err)
	}
	return del, nil
}

// errNoNames is why a name cannot be looked for.
var errNoNames = errors.New("the key list carries no names")

// sweepName lists the keys and deletes every one named name; a key already
// gone counts as deleted.
func (c *Client) sweepName(ctx context.Context, name string) ([]int64, error) {
	keys, err := c.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	if len(keys) > 0 && !slices.ContainsFunc(keys, func(k Key) bool { return k.Name != "" }) {
		return nil, errNoNames
	}
	var deleted []int64
	for _, k := range keys {
		if k.Name != name {
			continue
		}
		if err := c.DeleteKey(ctx, k.ID); err != nil && DeletionOf(err) != AlreadyGone {
			return deleted, fmt.Errorf("deleting key %d named %q: %w", k.ID, name, err)
		}
		deleted = append(deleted, k.ID)
	}
	return deleted, nil
}

// Settlement is what SettleName did.
type Settlement struct {
	Name    string
	Deleted []int64 // ids of the keys of that name it deleted (or found already gone)
	Looks   int     // times it read the key list
}

// SettleName makes sure no key named name is left: it lists the keys,
// deletes every one with that name, and keeps looking (every 10 s, never
// faster than the list's rate limit) until until has passed and a look
// finds none. It looks at least once, so a caller whose window has passed
// pays one list call. Pass until = CreateUncertainError.Since (or
// Key.UnsettledSince, or when the create was sent) plus SettleWindow; an
// until further ahead than SettleWindow is brought back to it.
//
// It returns a nil error only once the key list, read at or after until,
// shows no key of that name. Otherwise the error is an *UnsettledError
// naming the key: the list could not be read or carries no names, a key
// could not be deleted, or ctx ended (or its deadline would) before until.
// Callers say that loudly, naming the key.
func (c *Client) SettleName(ctx context.Context, name string, until time.Time) (Settlement, error) {
	s := Settlement{Name: name}
	if name == "" {
		return s, &UnsettledError{Name: name, Err: errors.New("no name to look for")}
	}
	listFloor := RateFloor("GET", keysPath)
	if limit := c.now().Add(SettleWindow); until.After(limit) {
		until = limit // no create's key appears later than that
	}
	found := 0
	for {
		del, err := c.sweepName(ctx, name)
		s.Looks++
		s.Deleted = append(s.Deleted, del...)
		if err != nil {
			return s, &UnsettledError{Name: name, Looks: s.Looks, Err: finalError(err, ctx)}
		}
		now := c.now()
		if !now.Before(until) && len(del) == 0 {
			return s, nil
		}
		if len(del) > 0 {
			found++
		}
		if found >= maxLooks {
			return s, &UnsettledError{Name: name, Looks: s.Looks, Err: errors.New("keys of that name kept appearing")}
		}
		d := settleInterval
		if rest := until.Sub(now); rest < d {
			d = rest // the last look, at the end of the window (or again at once after a delete)
		}
		d = max(d, listFloor)
		if dl, ok := ctx.Deadline(); ok && now.Add(d).After(dl) {
			return s, &UnsettledError{Name: name, Looks: s.Looks,
				Err: fmt.Errorf("the time ran out %s before the end of the window in which a key from the create may still appear", until.Sub(now).Round(time.Second))}
		}
		if err := c.sleep(ctx, d); err != nil {
			return s, &UnsettledError{Name: name, Looks: s.Looks, Err: err}
		}
	}
}
