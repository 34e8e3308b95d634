// Package ghapi is the small part of the GitHub REST API that vastguard
// needs, over go-github v62: uploading a SARIF report to code scanning,
// writing a repository's Actions secret (sealed with the repository's public
// key, as GitHub requires), listing an organisation's repositories, and
// listing a repository's workflow runs and downloading their log archives
// (from the blob storage GitHub redirects to, without the token).
//
// The token goes only into the Authorization header of requests to the
// configured API host: never into a URL, never to another host a redirect
// points at, and never into an error. Secret values never appear in an
// error either. The package does not log.
//
// Every failure GitHub answers is an *Error: the operation, the HTTP status,
// GitHub's own one-line "message", and, where the status says what to fix
// (a missing permission, say), a hint. Callers branch with errors.Is on
// ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRateLimited (GitHub's
// primary and secondary rate limits, whether answered 403 or 429) and
// ErrBadResponse (a 2xx answer that is not what the API documents).
// Arguments are checked before any request, with errors that say what is
// wrong; ErrTooLarge marks a SARIF report or secret over GitHub's limits.
//
// Out of scope: retries (GitHub's rate limits are reported, not waited
// out), organisation secrets, check runs and comments. ghapi/ghtest is an
// in-process fake of exactly the endpoints used here.
package ghapi
