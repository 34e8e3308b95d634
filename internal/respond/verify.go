package respond

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/vast"
)

// Verification asks the Vast API who a found key belongs to: GET
// /api/v0/users/current/ with the key as the Bearer token (a header, never
// a URL). 200 means live, 401 means dead or never valid; everything else
// (403, 429 after retries, 5xx, timeouts, an HTML page, a body that is not
// the API's) is unknown, with the reason.

// Check is the outcome of verifying one key.
type Check struct {
	Status string // scan.Live, scan.Invalid or scan.Unknown
	Detail string // why Unknown; who owns a Live key; never the key
	UserID int64  // for a live key: the owning account
	KeyID  int64  // for a live key: its id, 0 if the API did not say
}

// Verifier checks keys with bounded concurrency and rate, once per key.
type Verifier struct {
	dial    Dialer
	retry   vast.RetryPolicy
	workers int
	limiter *rate.Limiter

	mu    sync.Mutex
	cache map[string]Check // by key SHA-256
}

// verifyRetry keeps a check short: a 429 is retried for up to 30 s (the
// leaked key has its own rate-limit bucket), then the key is Unknown.
var verifyRetry = vast.RetryPolicy{Budget: 30 * time.Second, BaseDelay: time.Second, MaxDelay: 8 * time.Second, MaxAttempts: 5, Timeout: 15 * time.Second}

// NewVerifier returns a Verifier that reaches the API through dial.
func NewVerifier(dial Dialer) *Verifier {
	return &Verifier{
		dial:    dial,
		retry:   verifyRetry,
		workers: 4,
		// At most 5 checks a second in all: Vast limits requests per endpoint
		// and per identity, and the client IP is part of the identity.
		limiter: rate.NewLimiter(5, 1),
		cache:   map[string]Check{},
	}
}

// check verifies one key, from the cache when it was checked before.
func (v *Verifier) check(ctx context.Context, key string) Check {
	h := scan.KeyHash(key)
	v.mu.Lock()
	if c, ok := v.cache[h]; ok {
		v.mu.Unlock()
		return c
	}
	v.mu.Unlock()
	c := v.checkUncached(ctx, key)
	v.mu.Lock()
	v.cache[h] = c
	v.mu.Unlock()
	return c
}

func (v *Verifier) checkUncached(ctx context.Context, key string) Check {
	cl, err := v.dial(key, v.retry)
	if err != nil {
		return Check{Status: scan.Unknown, Detail: "not a usable key: " + safetext.Message(err.Error())}
	}
	if err := v.limiter.Wait(ctx); err != nil {
		return Check{Status: scan.Unknown, Detail: "not checked: " + err.Error()}
	}
	u, err := cl.CurrentUser(ctx)
	return classify(u, err)
}

// classify turns a CurrentUser answer into a Check. Only an answer that
// says the key itself is dead (vast.ErrInvalidKey: "Invalid user key", an
// expired session) makes it Invalid. Any other refusal may be a live key:
// Vast answers 401 or 403 also to a scoped key that lacks the permission
// (api-reference/authentication.mdx), and a 401 asking for a two-factor
// session is a key the API knows. Those are Unknown.
func classify(u vast.User, err error) Check {
	var ve *vast.Error
	var re *vast.RedirectError
	switch {
	case err == nil:
		d := fmt.Sprintf("account %d", u.ID)
		if u.KeyID != 0 {
			d = fmt.Sprintf("key %d of account %d", u.KeyID, u.ID)
		}
		return Check{Status: scan.Live, Detail: d, UserID: u.ID, KeyID: u.KeyID}
	case errors.Is(err, vast.ErrTwoFactor) && errors.As(err, &ve):
		return Check{Status: scan.Unknown, Detail: "the API asks for a two-factor (2FA) session (" + safetext.Message(ve.Brief()) + "): the key is probably live; revoke it in the Vast console"}
	case errors.Is(err, vast.ErrInvalidKey):
		msg := "401 Invalid user key"
		if errors.As(err, &ve) {
			msg = ve.Brief()
		}
		return Check{Status: scan.Invalid, Detail: "the API answers " + safetext.Message(msg)}
	case errors.Is(err, vast.ErrUnauthorized):
		msg := "401"
		if errors.As(err, &ve) {
			msg = ve.Brief()
		}
		return Check{Status: scan.Unknown, Detail: "the API answers " + safetext.Message(msg) + " without saying the key is invalid, as Vast also answers a live key that lacks a permission: revoke it in the Vast console to be sure"}
	case errors.Is(err, vast.ErrForbidden):
		return Check{Status: scan.Unknown, Detail: "403: the key may be live without user_read (a scoped key); revoke it in the Vast console to be sure"}
	case errors.Is(err, vast.ErrRateLimited):
		return Check{Status: scan.Unknown, Detail: "still rate limited (429) after retries; check again later"}
	case errors.As(err, &ve):
		return Check{Status: scan.Unknown, Detail: "the API answered " + safetext.Message(ve.Brief())}
	case errors.As(err, &re):
		return Check{Status: scan.Unknown, Detail: fmt.Sprintf("the API answered %d, a redirect, which vastguard does not follow with a key; check the API URL", re.StatusCode)}
	case errors.Is(err, vast.ErrBadResponse):
		return Check{Status: scan.Unknown, Detail: "the API answered something that is not its JSON (a proxy or an outage page?)"}
	case errors.Is(err, context.Canceled):
		return Check{Status: scan.Unknown, Detail: "not checked: cancelled"}
	case errors.Is(err, context.DeadlineExceeded):
		return Check{Status: scan.Unknown, Detail: "no answer in time"}
	}
	return Check{Status: scan.Unknown, Detail: "the API could not be reached: " + safetext.Message(err.Error())}
}

// VerifyReport checks every distinct key of rep, workers at a time, and
// fills in each finding's Verification. It returns the checks by key hash.
func (v *Verifier) VerifyReport(ctx context.Context, rep *scan.Report) map[string]Check {
	keys := map[string]string{} // hash -> key
	for _, f := range rep.Findings {
		keys[f.KeySHA256] = f.Secret()
	}
	out := make(map[string]Check, len(keys))
	var mu sync.Mutex
	var panicked any // the first panic of a check, handed to the caller
	sem := make(chan struct{}, v.workers)
	var wg sync.WaitGroup
	for h, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer func() {
				// A panic here would end the process with Go's exit status
				// 2 ("findings"); the caller's goroutine re-raises it, where
				// the program turns it into exit code 1.
				if p := recover(); p != nil {
					mu.Lock()
					if panicked == nil {
						panicked = p
					}
					mu.Unlock()
				}
			}()
			c := v.check(ctx, k)
			mu.Lock()
			out[h] = c
			mu.Unlock()
		}()
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	for i := range rep.Findings {
		c := out[rep.Findings[i].KeySHA256]
		rep.Findings[i].Verification = c.Status
		rep.Findings[i].VerificationDetail = c.Detail
	}
	return out
}
