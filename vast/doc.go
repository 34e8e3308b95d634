// Package vast is a client for the parts of the Vast.ai REST API that manage
// API keys: creating, listing, deleting and resetting them, asking whom a
// key belongs to (which is how a leaked key is checked for liveness), and
// reading the account's audit log (what a key did).
//
// Every call takes a context first and authenticates with an
// "Authorization: Bearer" header. The key is never put in a URL, never
// logged (the package does not log at all), and never appears in an error
// string: errors carry the HTTP status, the API's error code and its message,
// with anything key-shaped redacted. The base URL must be https, or http to
// a loopback host (a local fake). Redirects are never followed: a 3xx is a
// *RedirectError naming where it pointed, because Go would re-send a
// redirected POST or DELETE as a GET and follow https to http with the key.
//
// Answers are read for what they mean, not for their status alone (see the
// sentinels in errors.go): a dead caller key is ErrUnauthorized whether the
// API says 401, 404 auth_error "Invalid user key", 404 "Session expired" or
// 403 auth_error; only DeleteKey's own 404 "API Key not found." is
// ErrKeyGone (DeletionOf tells deleted, already gone and failed apart); a
// web page or an empty 404 is ErrNoEndpoint; a 401 asking for a
// two-factor session ("Two Factor Authentication") is ErrTwoFactor, a live
// key, never ErrUnauthorized; a 2xx whose body says success=false, or
// carries the error envelope without success, is ErrRefused on every
// endpoint. A key list is the whole list or an error: one that says it
// goes on (a next page, a count above its entries) is ErrPartialList,
// since a caller would take a key missing from it for gone.
//
// Retries follow the Vast CLI's list of retryable answers (429, 502, 503,
// 504 and network errors) with full-jitter exponential backoff inside a
// total time budget. Vast rate-limits each endpoint to a minimum interval
// per key (create and delete 2 s, list 1 s, reset 3 s): after a 429 the
// client waits the API's Retry-After or retry_after when it gives one, and
// otherwise the endpoint's window plus the backoff, so it never comes back
// inside the window; a wait past the budget ends the call.
//
// A key creation is never blindly repeated. When an attempt may have made
// a key that was not handed back (a timeout, a dropped connection, the
// caller's cancellation, a 5xx, a 400 or success=false answered after the
// work, an unreadable 2xx), the client lists the account's keys and deletes
// any key carrying the requested name (its secret was lost, so it could
// never be used) before it tries again. When the list cannot account for
// every such attempt (the server may still be making the key), the create
// fails with a *CreateUncertainError naming the key, or succeeds with
// Key.UnsettledSince set, and the caller keeps looking by name with
// SettleName until SettleWindow has passed, saying loudly when it cannot
// prove the name absent.
//
// The wire protocol this package speaks is described in the project's
// vast-api.md; vast/vasttest is an in-process fake of it for tests, which
// must not import this package. TestContractRealAPI runs against the real
// API when VAST_API_KEY and VASTGUARD_CONTRACT=1 are set and logs the
// shapes of the answers that are still unverified.
package vast
