package vast

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Key is an API key as the API describes it. Secret is set only by CreateKey
// (the API shows a key's value once, at creation) and is never encoded or
// formatted in clear (see Secret).
type Key struct {
	ID     int64
	Name   string // empty if the API did not say
	UserID int64  // 0 if the API did not say
	// Permissions as reported; PermissionsKnown is false when the API did not
	// report them (the list's shape is not fully documented).
	Permissions      Permissions
	PermissionsKnown bool
	// FullAccess is true for a key with every category, or one the API
	// reports as unrestricted (permissions: false).
	FullAccess bool
	CreatedAt  time.Time // zero if the API did not say
	Secret     Secret    `json:"-"`
}

// MaxNameLength is the longest key name the API accepts.
const MaxNameLength = 255

// CreateKey creates a key named name with permissions perms and returns it
// with its Secret. perms must not be zero: without an explicit permissions
// object the API makes a full-access key.
//
// Vast API: POST /api/v0/auth/apikeys/ (scope user_write).
//
// A 429 is retried (the API refused the request). After a 5xx, a timeout or
// a dropped connection the outcome is unknown, so the client lists the keys
// and deletes any key named name before it tries again: names should
// therefore be unique. If that cannot be settled, the error is a
// *CreateUncertainError naming the key.
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
	const path = "/api/v0/auth/apikeys/"
	start := c.now()
	var r attemptResult
	for n := 1; ; n++ {
		r = c.once(ctx, "POST", path, payload)
		if r.err == nil {
			break
		}
		if r.ambiguous() || (r.status == 0 && ctx.Err() != nil) {
			// The key may exist: the answer was lost, or the caller gave
			// up while the request was in flight. Settle that before
			// anything else, even if the caller is going away
			// (removeStray runs on a detached context with its own budget).
			if err := c.removeStray(ctx, name); err != nil {
				return Key{}, &CreateUncertainError{Name: name, Err: errors.Join(finalError(r.err, ctx), err)}
			}
		}
		if !r.retryable() || ctx.Err() != nil || !c.waitBeforeRetry(ctx, start, n) {
			return Key{}, fmt.Errorf("create key: %w", finalError(r.err, ctx))
		}
	}
	var resp struct {
		ID          json.RawMessage `json:"id"`
		Key         string          `json:"key"`
		Permissions json.RawMessage `json:"permissions"`
		Success     *bool           `json:"success"`
		Msg         string          `json:"msg"`
	}
	if err := decodeInto("POST", path, r.body, &resp); err != nil {
		// A 2xx arrived, so a key probably exists, but we cannot use it.
		if serr := c.removeStray(ctx, name); serr != nil {
			return Key{}, &CreateUncertainError{Name: name, Err: errors.Join(err, serr)}
		}
		return Key{}, fmt.Errorf("create key: %w (no key was left behind)", err)
	}
	id, ok := parseID(resp.ID)
	if resp.Success != nil && !*resp.Success {
		return Key{}, fmt.Errorf("create key: the API answered success=false: %s", oneLine(Redact(resp.Msg, c.key), maxMessage))
	}
	if !ok || strings.TrimSpace(resp.Key) == "" {
		err := &decodeError{"POST", path, "no key id or no key value"}
		if serr := c.removeStray(ctx, name); serr != nil {
			return Key{}, &CreateUncertainError{Name: name, Err: errors.Join(err, serr)}
		}
		return Key{}, fmt.Errorf("create key: %w (no key was left behind)", err)
	}
	k := Key{ID: id, Name: name, Permissions: perms, PermissionsKnown: true, FullAccess: perms.IsFull(), Secret: Secret(strings.TrimSpace(resp.Key))}
	if p, full, known := permissionsFromAPI(resp.Permissions); known {
		k.Permissions, k.FullAccess = p, full
	}
	return k, nil
}

// removeStray deletes every key named name. It runs after a create whose
// outcome is unknown, on a context detached from the caller's cancellation
// (a cancelled job must still not leave a key behind) and bounded by the
// retry policy's budget.
func (c *Client) removeStray(ctx context.Context, name string) error {
	budget := c.retry.Budget
	if budget <= 0 || budget > time.Minute {
		budget = time.Minute
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	keys, err := c.ListKeys(sctx)
	if err != nil {
		return fmt.Errorf("checking for a stray key: %w", err)
	}
	named := false
	for _, k := range keys {
		if k.Name != "" {
			named = true
		}
		if k.Name != name {
			continue
		}
		if err := c.DeleteKey(sctx, k.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("deleting stray key %d: %w", k.ID, err)
		}
	}
	if !named && len(keys) > 0 {
		return errors.New("checking for a stray key: the key list carries no names")
	}
	return nil
}

// ListKeys returns the keys of the account that owns the client's key.
// The list is decoded tolerantly: the envelope {"apikeys": [...]} or a bare
// array; unknown fields are ignored; name, permissions and created_at are
// optional; soft-deleted keys (deleted_at set) are left out. Key values are
// never read from it.
//
// Vast API: GET /api/v0/auth/apikeys/ (scope user_read).
func (c *Client) ListKeys(ctx context.Context) ([]Key, error) {
	const path = "/api/v0/auth/apikeys/"
	var raw json.RawMessage
	if err := c.do(ctx, "GET", path, nil, &raw); err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	items, err := listItems(raw)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", &decodeError{"GET", path, err.Error()})
	}
	keys := make([]Key, 0, len(items))
	for i, it := range items {
		k, deleted, err := keyFromItem(it)
		if err != nil {
			return nil, fmt.Errorf("list keys: item %d: %w", i, &decodeError{"GET", path, err.Error()})
		}
		if !deleted {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

func listItems(raw json.RawMessage) ([]map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	var items []map[string]json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, errors.New("a list whose items are not objects")
		}
		return items, nil
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, errors.New("neither an object nor a list")
	}
	for _, name := range []string{"apikeys", "api_keys", "keys"} {
		if v, ok := env[name]; ok {
			if string(bytes.TrimSpace(v)) == "null" {
				return nil, nil
			}
			if err := json.Unmarshal(v, &items); err != nil {
				return nil, fmt.Errorf("%q is not a list of objects", name)
			}
			return items, nil
		}
	}
	return nil, errors.New(`an object without an "apikeys" list`)
}

func keyFromItem(it map[string]json.RawMessage) (k Key, deleted bool, err error) {
	id, ok := parseID(it["id"])
	if !ok {
		return Key{}, false, errors.New("no numeric id")
	}
	k.ID = id
	if v, ok := it["name"]; ok {
		var s string
		if json.Unmarshal(v, &s) == nil {
			k.Name = s
		}
	}
	k.UserID, _ = parseID(it["user_id"])
	k.Permissions, k.FullAccess, k.PermissionsKnown = permissionsFromAPI(it["permissions"])
	if t, ok := parseTime(it["created_at"]); ok {
		k.CreatedAt = t
	}
	if v, ok := it["deleted_at"]; ok {
		s := string(bytes.TrimSpace(v))
		deleted = s != "null" && s != "" && s != `""` && s != "0" && s != "false"
	}
	return k, deleted, nil
}

// parseID reads an integer id given as a JSON number or a numeric string.
func parseID(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0, false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		raw = json.RawMessage(s)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(raw), 64)
		if ferr != nil || f != math.Trunc(f) || f < 0 || f > 1<<53 {
			return 0, false
		}
		n = int64(f)
	}
	return n, n > 0
}

// parseTime reads a time given as epoch seconds (integer or fractional, as
// Vast's Python backend sends) or as an RFC 3339 string.
func parseTime(raw json.RawMessage) (time.Time, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return time.Time{}, false
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02 15:04:05.999999", "2006-01-02 15:04:05"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), true
			}
		}
		raw = json.RawMessage(s)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f <= 0 || f > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// DeleteKey deletes the key with the given id. The API soft-deletes it and
// it stops working at once. A key that is already gone (or never existed in
// this account) gives an error matching ErrNotFound; callers cleaning up
// treat that as success. A key of another account gives ErrForbidden.
//
// Vast API: DELETE /api/v0/auth/apikeys/{id}/ (scope user_write).
func (c *Client) DeleteKey(ctx context.Context, id int64) error {
	if id <= 0 {
		return fmt.Errorf("delete key: invalid id %d", id)
	}
	path := "/api/v0/auth/apikeys/" + strconv.FormatInt(id, 10) + "/"
	if err := c.do(ctx, "DELETE", path, struct{}{}, nil); err != nil {
		return fmt.Errorf("delete key %d: %w", id, err)
	}
	return nil
}

// ResetKey replaces the client's own key with a new one and returns the new
// value; the old value stops working at once. The response field is
// new_api_key (current CLI), key (older docs) or api_key.
//
// Vast API: PUT /api/v0/commands/reset_apikey/ with {"client_id": "me"}
// (scope user_write).
//
// A reset whose answer was lost may still have happened. If a retry then
// meets 401, the error says so: the old key is dead and the new one is only
// visible in the Vast console.
func (c *Client) ResetKey(ctx context.Context) (Secret, error) {
	const path = "/api/v0/commands/reset_apikey/"
	var resp struct {
		Success   *bool  `json:"success"`
		NewAPIKey string `json:"new_api_key"`
		Key       string `json:"key"`
		APIKey    string `json:"api_key"`
		Msg       string `json:"msg"`
	}
	payload, _ := encodeBody(map[string]string{"client_id": "me"})
	start := c.now()
	lost := false
	var r attemptResult
	for n := 1; ; n++ {
		r = c.once(ctx, "PUT", path, payload)
		if r.err == nil {
			break
		}
		if lost && r.status == 401 {
			return "", fmt.Errorf("reset key: an earlier attempt's answer was lost and the old key is now rejected, so the reset probably happened; get the new key from the Vast console (%w)", r.err)
		}
		if r.ambiguous() {
			lost = true
		}
		if !r.retryable() || ctx.Err() != nil || !c.waitBeforeRetry(ctx, start, n) {
			return "", fmt.Errorf("reset key: %w", finalError(r.err, ctx))
		}
	}
	if err := decodeInto("PUT", path, r.body, &resp); err != nil {
		return "", fmt.Errorf("reset key: %w; the old key may already be dead: check the Vast console", err)
	}
	if resp.Success != nil && !*resp.Success {
		msg := oneLine(Redact(resp.Msg, c.key), maxMessage)
		if msg == "" {
			msg = "Failed to reset api-key"
		}
		return "", fmt.Errorf("reset key: the API answered success=false: %s", msg)
	}
	for _, v := range []string{resp.NewAPIKey, resp.Key, resp.APIKey} {
		if v = strings.TrimSpace(v); v != "" {
			return Secret(v), nil
		}
	}
	return "", fmt.Errorf("reset key: %w; the old key may already be dead: check the Vast console", &decodeError{"PUT", path, "no new_api_key, key or api_key field"})
}

// User is who a key belongs to, from GET /users/current/. The response's
// api_key field and personal data are never decoded.
type User struct {
	ID    int64 // the account's user id
	KeyID int64 // the id of the key that made the call; 0 if not reported
}

// CurrentUser returns the account and key id behind the client's key. It is
// the liveness probe for a leaked key: success means live, ErrUnauthorized
// means dead or never valid.
//
// Vast API: GET /api/v0/users/current/ (scope user_read).
func (c *Client) CurrentUser(ctx context.Context) (User, error) {
	const path = "/api/v0/users/current/"
	var resp struct {
		ID    json.RawMessage `json:"id"`
		KeyID json.RawMessage `json:"key_id"`
	}
	if err := c.do(ctx, "GET", path, nil, &resp); err != nil {
		return User{}, fmt.Errorf("current user: %w", err)
	}
	id, ok := parseID(resp.ID)
	if !ok {
		return User{}, fmt.Errorf("current user: %w", &decodeError{"GET", path, "no user id"})
	}
	kid, _ := parseID(resp.KeyID)
	return User{ID: id, KeyID: kid}, nil
}
