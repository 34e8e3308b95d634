// Package wire is the broker's HTTP contract: the JSON bodies of its API and
// the stable error codes it answers with. Both the broker and its client
// (brokerclient) import it, so the two cannot drift apart.
//
// The codes are part of the API: a code is never renamed or given another
// meaning; new situations get new codes. Messages are for people and may
// change. wire imports nothing of the project's.
package wire

import "net/http"

// MintRequest is the body of POST /v1/keys. Every field is optional.
type MintRequest struct {
	// Permissions is a preset name ("read-only", "instance-management",
	// "autoscaler") or a permissions object {"api": {...}}, sent either as a
	// JSON string or as the object itself. Omitted: what the matching rule
	// grants.
	Permissions any `json:"permissions,omitempty"`
	// TTL is how long the key may live, as a Go duration ("45m", "2h") or a
	// number of seconds. Omitted: the rule's default_ttl.
	TTL any `json:"ttl,omitempty"`
	// Label goes into the key's name ([A-Za-z0-9._-], at most 64).
	Label string `json:"label,omitempty"`
	// Job is the job's id (GITHUB_JOB), shown in the key's name only; it is
	// not part of the token's claims, so nothing is decided on it.
	Job string `json:"job,omitempty"`
}

// MintResponse is the answer to a successful mint (201). Key is the only
// place the broker ever sends a key's value.
type MintResponse struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Key         string `json:"key"`
	ExpiresAt   string `json:"expires_at"` // RFC 3339, UTC
	Permissions any    `json:"permissions"`
	Rule        string `json:"rule"`
}

// DeleteResponse is the answer to DELETE /v1/keys/{id} (200). State is
// "revoked" when this call deleted it, or the state it already had
// ("revoked", "reaped", "gone").
type DeleteResponse struct {
	ID    int64  `json:"id"`
	State string `json:"state"`
}

// ErrorResponse is every error's body.
type ErrorResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Stable error codes. Status is the HTTP status each is answered with.
const (
	CodeBadRequest         = "bad_request"            // body is not the JSON described above
	CodeBodyTooLarge       = "body_too_large"         // body over the broker's cap
	CodeUnsupportedMedia   = "unsupported_media_type" // body is not application/json
	CodeInvalidPermissions = "invalid_permissions"    // permissions do not parse
	CodeInvalidTTL         = "invalid_ttl"            // ttl does not parse or is not positive
	CodeInvalidLabel       = "invalid_label"          // label or job has characters outside [A-Za-z0-9._-] or is too long
	CodeInvalidID          = "invalid_id"             // the key id in the path is not a positive integer

	CodeMissingToken     = "missing_token"       // no Authorization: Bearer header
	CodeInvalidToken     = "invalid_token"       // not a JWT, not RS256, bad signature, unknown key id
	CodeTokenExpired     = "token_expired"       // exp has passed
	CodeTokenNotYetValid = "token_not_yet_valid" // nbf or iat is in the future
	CodeWrongAudience    = "wrong_audience"      // aud does not name this broker
	CodeUnknownIssuer    = "unknown_issuer"      // iss is not one the broker trusts
	CodeInvalidClaims    = "invalid_claims"      // a required claim is missing or malformed

	CodePolicyDenied          = "policy_denied"           // no rule matches the token's claims
	CodePermissionsNotGranted = "permissions_not_granted" // the request asks for more than the rule grants
	CodeTTLTooLong            = "ttl_too_long"            // the request's ttl is over the rule's max_ttl
	CodeLiveKeyLimit          = "live_key_limit"          // the repository already has max_live_keys live keys
	CodeRateLimited           = "rate_limited"            // too many requests from this repository; see Retry-After

	CodeKeyNotFound = "key_not_found" // no key with that id was minted for this repository
	CodeWrongRun    = "wrong_run"     // the key was minted for another run of this repository

	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"

	CodeIssuerUnavailable = "issuer_unavailable" // the issuer's discovery document or keys could not be fetched
	CodeVastUnavailable   = "vast_unavailable"   // the Vast API is down or rate limiting; see Retry-After
	CodeVastRefused       = "vast_refused"       // the Vast API refused the broker's management key
	CodeStoreUnavailable  = "store_unavailable"  // the broker's database could not be reached
	CodeInternal          = "internal"
)

// Status maps each code to its HTTP status.
var Status = map[string]int{
	CodeBadRequest:            http.StatusBadRequest,
	CodeBodyTooLarge:          http.StatusRequestEntityTooLarge,
	CodeUnsupportedMedia:      http.StatusUnsupportedMediaType,
	CodeInvalidPermissions:    http.StatusBadRequest,
	CodeInvalidTTL:            http.StatusBadRequest,
	CodeInvalidLabel:          http.StatusBadRequest,
	CodeInvalidID:             http.StatusBadRequest,
	CodeMissingToken:          http.StatusUnauthorized,
	CodeInvalidToken:          http.StatusUnauthorized,
	CodeTokenExpired:          http.StatusUnauthorized,
	CodeTokenNotYetValid:      http.StatusUnauthorized,
	CodeWrongAudience:         http.StatusUnauthorized,
	CodeUnknownIssuer:         http.StatusUnauthorized,
	CodeInvalidClaims:         http.StatusUnauthorized,
	CodePolicyDenied:          http.StatusForbidden,
	CodePermissionsNotGranted: http.StatusForbidden,
	CodeTTLTooLong:            http.StatusForbidden,
	CodeLiveKeyLimit:          http.StatusConflict,
	CodeRateLimited:           http.StatusTooManyRequests,
	CodeKeyNotFound:           http.StatusNotFound,
	CodeWrongRun:              http.StatusForbidden,
	CodeNotFound:              http.StatusNotFound,
	CodeMethodNotAllowed:      http.StatusMethodNotAllowed,
	CodeIssuerUnavailable:     http.StatusServiceUnavailable,
	CodeVastUnavailable:       http.StatusServiceUnavailable,
	CodeVastRefused:           http.StatusBadGateway,
	CodeStoreUnavailable:      http.StatusServiceUnavailable,
	CodeInternal:              http.StatusInternalServerError,
}

// StatusOf returns the status for code, 500 for an unknown one.
func StatusOf(code string) int {
	if s, ok := Status[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}
