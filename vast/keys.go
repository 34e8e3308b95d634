package vast

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
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
	// report them (the list's shape is not fully documented). For CreateKey,
	// see Echo: when create's answer did not confirm them, Permissions are
	// the ones requested and PermissionsKnown is false.
	Permissions      Permissions
	PermissionsKnown bool
	// FullAccess is true for a key with every category. A listed key whose
	// permissions are false (what the docs give keys without restrictions)
	// counts as full access; create's false echo does not (see Echo).
	FullAccess bool
	CreatedAt  time.Time // zero if the API did not say
	Secret     Secret    `json:"-"`

	// The rest is set by CreateKey only.

	// Requested is the permissions the create asked for.
	Requested Permissions
	// Echo is what create's answer said about the permissions, and so where
	// Permissions comes from.
	Echo Echo
	// Diff is how the echoed permissions differ from Requested; empty
	// unless Echo is EchoDiffers. A non-empty Diff.Broader means the key
	// can do more than was asked.
	Diff PermissionsDiff
	// Answer is the shape of create's answer (field names, never values).
	Answer AnswerShape
	// UnsettledSince is set when an earlier attempt of this create had an
	// unknown outcome that the client could not settle: another key with
	// this Name may still appear until UnsettledSince.Add(SettleWindow).
	// Whoever deletes this key should then also call SettleName.
	UnsettledSince time.Time
}

// MaxNameLength is the longest key name the API accepts.
const MaxNameLength = 255

// maxListBody bounds the key list read into memory. An account that mints
// a key per CI job has thousands; an entry with a long name and its
// permissions takes up to about 1 KiB, and the list may include
// soft-deleted keys.
const maxListBody = 32 << 20

// ErrPartialList is matched by the error ListKeys returns for a key list
// that says it is incomplete (a next page, a count larger than the
// entries). The API documents no pages, so the client cannot follow them,
// and a caller must not take part of the list for all of it: a sweep would
// miss expired keys, and a key "absent" from a partial list may exist.
var ErrPartialList = errors.New("vast: the key list is incomplete")

// ListKeys returns the keys of the account that owns the client's key.
// The list is decoded tolerantly: the envelope {"apikeys": [...]} or a bare
// array; unknown fields are ignored; name, permissions and created_at are
// optional; soft-deleted keys (deleted_at set) are left out. Key values are
// never read from it. An envelope that says the list goes on (next,
// next_page, has_more, or a count or total above the entries) is an error
// matching ErrPartialList: the whole list or nothing.
//
// Vast API: GET /api/v0/auth/apikeys/ (scope user_read).
func (c *Client) ListKeys(ctx context.Context) ([]Key, error) {
	const path = keysPath
	r, err := c.exchange(ctx, "GET", path, nil, maxListBody)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	var raw json.RawMessage
	if err := decodeInto("GET", path, r.body, &raw); err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	items, err := listItems(raw)
	if err != nil {
		var pe *PartialListError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("list keys: %w", pe)
		}
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
				return nil, errors.New(`"apikeys" is null, not a list`)
			}
			if err := json.Unmarshal(v, &items); err != nil {
				return nil, fmt.Errorf("%q is not a list of objects", name)
			}
			if err := partial(env, len(items)); err != nil {
				return nil, err
			}
			return items, nil
		}
	}
	return nil, errors.New(`an object without an "apikeys" list`)
}

// PartialListError is a key list that says it goes on. It matches
// ErrPartialList and ErrBadResponse.
type PartialListError struct {
	Listed int    // entries in the answer
	Why    string // what said there is more: "a next field", "count 250", ...
}

func (e *PartialListError) Error() string {
	return fmt.Sprintf("GET %s: the API answered part of the key list (%d keys, %s); it documents no pages, so vastguard does not follow them and will not act on part of the list", keysPath, e.Listed, e.Why)
}

func (e *PartialListError) Is(target error) bool {
	return target == ErrPartialList || target == ErrBadResponse
}

// partial says whether a list envelope holding n entries marks itself as
// incomplete, the ways paginated APIs do: a next link or page, has_more,
// or a count or total above n.
func partial(env map[string]json.RawMessage, n int) error {
	for _, f := range []string{"next", "next_page", "next_cursor", "cursor"} {
		v := strings.TrimSpace(string(env[f]))
		if v != "" && v != "null" && v != `""` && v != "false" && v != "0" {
			return &PartialListError{n, "a " + f + " field"}
		}
	}
	if strings.TrimSpace(string(env["has_more"])) == "true" {
		return &PartialListError{n, "has_more"}
	}
	for _, f := range []string{"count", "total", "total_count"} {
		if total, ok := parseID(env[f]); ok && total > int64(n) {
			return &PartialListError{n, fmt.Sprintf("%s %d", f, total)}
		}
	}
	return nil
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
		// RFC 3339, Python's isoformat() and str() of a datetime (a space
		// for the T), with or without an offset.
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02 15:04:05.999999Z07:00",
			"2006-01-02 15:04:05.999999", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02"} {
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
// it stops working at once. Its error says what happened (see DeletionOf):
//
//   - nil: deleted now. The answer was 2xx: the documented JSON string
//     "Successfully Deleted API Key", {"success": true}, nothing, or any
//     other JSON that is not success=false.
//   - an error matching ErrKeyGone (and ErrNotFound): the API answered its
//     own 404 {"msg": "API Key not found."}: already gone, or never in this
//     account. Callers cleaning up treat that as success.
//   - anything else: the key may still be live. That includes 404s that are
//     not that answer (an auth failure such as 404 "Invalid user key"
//     matches ErrUnauthorized; a web page or an empty 404 matches
//     ErrNoEndpoint), a 200 with success=false (ErrRefused), a redirect
//     (ErrRedirect), a key of another account (ErrForbidden) and an HTML
//     page answered 200 (ErrBadResponse).
//
// Vast API: DELETE /api/v0/auth/apikeys/{id}/ (scope user_write).
func (c *Client) DeleteKey(ctx context.Context, id int64) error {
	if id <= 0 {
		return fmt.Errorf("delete key: invalid id %d", id)
	}
	path := keysPath + strconv.FormatInt(id, 10) + "/"
	r, err := c.exchange(ctx, "DELETE", path, struct{}{}, 0)
	if err != nil {
		var ve *Error
		if errors.As(err, &ve) && ve.StatusCode == http.StatusNotFound && !ve.Refused && ve.kind == kindNotFound {
			// Only the API's own answer on the key's path means gone.
			if keyNotFound.MatchString(ve.Message) {
				ve.kind = kindGone
			} else {
				ve.kind = kindOther
			}
		}
		return fmt.Errorf("delete key %d: %w", id, err)
	}
	if what := unlikeDeleteAnswer(r.body); what != "" {
		return fmt.Errorf("delete key %d: %w", id, &decodeError{"DELETE", path, what})
	}
	return nil
}

// unlikeDeleteAnswer says why a 2xx body is not a delete's answer, or ""
// if it may be one. A web page answered 200 is a portal or a proxy, not
// the API; plain text is accepted when it speaks of a deletion.
func unlikeDeleteAnswer(body []byte) string {
	b := bytes.TrimSpace(body)
	switch {
	case len(b) == 0, json.Valid(b):
		return ""
	case b[0] == '<':
		return "an HTML page instead of the API's answer, so the key may not be deleted"
	case bytes.Contains(bytes.ToLower(b), []byte("delet")):
		return ""
	}
	return "a body that is not the API's answer, so the key may not be deleted"
}

// Deletion is the outcome of a DeleteKey call.
type Deletion int

const (
	// DeleteFailed: the key may still be live.
	DeleteFailed Deletion = iota
	// Deleted: the API deleted the key now.
	Deleted
	// AlreadyGone: the API answered 404 "API Key not found." on the key's
	// own path.
	AlreadyGone
)

func (d Deletion) String() string {
	if d < DeleteFailed || d > AlreadyGone {
		return "unknown"
	}
	return [...]string{"failed", "deleted", "already gone"}[d]
}

// DeletionOf reads DeleteKey's error: nil is Deleted, an error matching
// ErrKeyGone is AlreadyGone, anything else DeleteFailed.
func DeletionOf(err error) Deletion {
	switch {
	case err == nil:
		return Deleted
	case errors.Is(err, ErrKeyGone):
		return AlreadyGone
	}
	return DeleteFailed
}

// ResetKey replaces the client's own key with a new one and returns the new
// value; the old value stops working at once. The response field is
// new_api_key (current CLI), key (older docs) or api_key.
//
// Vast API: PUT /api/v0/commands/reset_apikey/ with {"client_id": "me"}
// (scope user_write).
//
// A reset whose answer was lost may still have happened. If a retry then
// meets an authentication failure, the error says so: the old key is dead
// and the new one is only visible in the Vast console.
func (c *Client) ResetKey(ctx context.Context) (Secret, error) {
	const path = "/api/v0/commands/reset_apikey/"
	var resp struct {
		NewAPIKey string `json:"new_api_key"`
		Key       string `json:"key"`
		APIKey    string `json:"api_key"`
	}
	payload, _ := encodeBody(map[string]string{"client_id": "me"})
	start := c.now()
	lost := false
	var r attemptResult
	for n := 1; ; n++ {
		r = c.once(ctx, "PUT", path, payload, 0)
		if r.err == nil {
			break
		}
		if lost && errors.Is(r.err, ErrUnauthorized) {
			return "", fmt.Errorf("reset key: an earlier attempt's answer was lost and the old key is now rejected, so the reset probably happened; get the new key from the Vast console (%w)", r.err)
		}
		if r.mayStillRun() || r.status >= 500 {
			lost = true
		}
		if !r.retryable() || ctx.Err() != nil || !c.waitBeforeRetry(ctx, start, n, r, "PUT", path) {
			return "", fmt.Errorf("reset key: %w", finalError(r.err, ctx))
		}
	}
	if err := decodeInto("PUT", path, r.body, &resp); err != nil {
		return "", fmt.Errorf("reset key: %w; the old key may already be dead: check the Vast console", err)
	}
	for _, v := range []string{resp.NewAPIKey, resp.Key, resp.APIKey} {
		if v = strings.TrimSpace(v); v != "" {
			if !printableToken(v) {
				break
			}
			return Secret(v), nil
		}
	}
	return "", fmt.Errorf("reset key: %w; the old key may already be dead: check the Vast console", &decodeError{"PUT", path, "no new_api_key, key or api_key field holding one printable token"})
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
