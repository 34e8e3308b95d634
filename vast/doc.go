// Package vast is a client for the parts of the Vast.ai REST API that manage
// API keys: creating, listing, deleting and resetting them, and asking whom a
// key belongs to (which is how a leaked key is checked for liveness).
//
// Every call takes a context first and authenticates with an
// "Authorization: Bearer" header. The key is never put in a URL, never
// logged (the package does not log at all), and never appears in an error
// string: errors carry the HTTP status, the API's error code and its message,
// with anything key-shaped redacted.
//
// Retries follow the Vast CLI's list of retryable answers (429, 502, 503, 504
// and network errors) with full-jitter exponential backoff inside a total
// time budget. A key creation is never blindly repeated: when its outcome is
// unknown (a timeout, a dropped connection, a 5xx), the client lists the
// account's keys, removes any key that carries the requested name (its secret
// was lost with the response, so it could never be used), and only then tries
// again. One CreateKey call therefore never leaves two keys behind.
//
// The wire protocol this package speaks is described in the project's
// vast-api.md; vast/vasttest is an in-process fake of it for tests.
package vast
