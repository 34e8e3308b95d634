package ghapi_test

import (
	"strings"
	"testing"

	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/ghapi/ghtest"
)

// newClient returns a client for srv that authenticates with token.
func newClient(t *testing.T, srv *ghtest.Server, token string, opts ...ghapi.Option) *ghapi.Client {
	t.Helper()
	c, err := ghapi.New(token, append([]ghapi.Option{ghapi.WithBaseURL(srv.URL)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// assertNoSecret fails if any of the secrets appears in s.
func assertNoSecret(t *testing.T, where, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s contains a secret ...%s: %q", where, sec[max(0, len(sec)-4):], s)
		}
	}
}

// wantErr checks err's text holds every fragment.
func wantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want one containing %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("err = %q\nwant it to contain %q", err, f)
		}
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("err is not one line: %q", err)
	}
}
