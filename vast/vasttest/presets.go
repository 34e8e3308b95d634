package vasttest

import (
	"fmt"
	"net/http"
	"time"
)

// CreatedButAnswered is a create the server carries out (the key exists)
// but answers with status and body; body "" gives the route's usual error
// body. With 400 it models "created, then answered 400".
func CreatedButAnswered(status int, body string) Fault {
	return Fault{Route: "create", Status: status, Body: body, After: true, Name: fmt.Sprintf("created, answered %d", status)}
}

// SuccessFalse answers route with 200 {"success": false, "error": code,
// "msg": msg}; with after the real handler runs first (its effect stands).
func SuccessFalse(route string, after bool, code, msg string) Fault {
	return Fault{Route: route, Status: http.StatusOK, After: after, Name: "success=false",
		Body: fmt.Sprintf(`{"success": false, "error": %q, "msg": %q}`, code, msg)}
}

// ErrorWithoutSuccess answers route with 200 {"error": code, "msg": msg}
// and no success field ("some endpoints omit the boolean success",
// rate-limits-and-errors.mdx); with after the real handler runs first.
func ErrorWithoutSuccess(route string, after bool, code, msg string) Fault {
	return Fault{Route: route, Status: http.StatusOK, After: after, Name: "200 error envelope",
		Body: fmt.Sprintf(`{"error": %q, "msg": %q}`, code, msg)}
}

// RedirectTo answers route with status (301, 302, 307 or 308) and a
// Location of location, doing nothing.
func RedirectTo(route string, status int, location string) Fault {
	return Fault{Route: route, Status: status, Header: http.Header{"Location": {location}}, Times: -1, Name: fmt.Sprintf("redirect %d", status)}
}

// RateLimited answers route 429 with the given Retry-After header value
// ("" for none) and the API's {"detail": ...} body, times times.
func RateLimited(route, retryAfter string, times int) Fault {
	f := Fault{Route: route, Status: http.StatusTooManyRequests, Times: times, Name: "429"}
	if retryAfter != "" {
		f.Header = http.Header{"Retry-After": {retryAfter}}
	}
	return f
}

// CreateAnsweredLate is a create the server works on for d before it
// makes the key and answers, and finishes even if the client has gone: a
// create still running at the API when a job is cancelled after its grace.
func CreateAnsweredLate(d time.Duration) Fault {
	return Fault{Route: "create", Delay: d, Linger: true, Name: "late create " + d.String()}
}

// CreateWhenReleased is CreateAnsweredLate with the moment in the test's
// hands: the key is made when release is closed, whether or not the client
// is still waiting.
func CreateWhenReleased(release <-chan struct{}) Fault {
	return Fault{Route: "create", Wait: release, Linger: true, Name: "create held"}
}
