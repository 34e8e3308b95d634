package brokerclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vastguard/vastguard/internal/broker/brokerclient"
)

// runner fakes the Actions runner's token endpoint.
func runner(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("Authorization") != "Bearer request-token" {
			http.Error(w, "unauthorized", 401)
			return
		}
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func env(url string) func(string) string {
	return func(k string) string {
		switch k {
		case "ACTIONS_ID_TOKEN_REQUEST_URL":
			return url
		case "ACTIONS_ID_TOKEN_REQUEST_TOKEN":
			return "request-token"
		}
		return ""
	}
}

func noSleep(context.Context, time.Duration) error { return nil }

const jwt = "aaa.bbb.ccc"

func TestIDToken(t *testing.T) {
	t.Parallel()
	srv, _ := runner(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query(); got.Get("audience") != "https://vast-broker.example.com" || got.Get("api-version") != "2.0" {
			http.Error(w, "bad query "+r.URL.RawQuery, 400)
			return
		}
		fmt.Fprintf(w, `{"count": 1, "value": %q}`, jwt)
	})
	tok, err := brokerclient.Runner{Getenv: env(srv.URL + "/_apis/pipelines/1/runs/2/idtoken?api-version=2.0")}.IDToken(context.Background(), "https://vast-broker.example.com")
	if err != nil || tok != jwt {
		t.Fatalf("IDToken = %q, %v", tok, err)
	}
}

func TestIDTokenWithoutPermission(t *testing.T) {
	t.Parallel()
	_, err := brokerclient.Runner{Getenv: func(string) string { return "" }}.IDToken(context.Background(), "aud")
	if !errors.Is(err, brokerclient.ErrNoIDToken) || !strings.Contains(err.Error(), "add `permissions: id-token: write` to the job") || strings.Contains(err.Error(), "\n") {
		t.Errorf("IDToken = %v", err)
	}
}

func TestIDTokenRetriesServerErrors(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv, n := runner(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "busy", 503)
			return
		}
		fmt.Fprintf(w, `{"value": %q}`, jwt)
	})
	tok, err := brokerclient.Runner{Getenv: env(srv.URL + "/t?api-version=2.0"), Sleep: noSleep}.IDToken(context.Background(), "aud")
	if err != nil || tok != jwt || n.Load() != 3 {
		t.Fatalf("IDToken = %q, %v after %d calls", tok, err, n.Load())
	}
}

func TestIDTokenRefusals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		want   string
		calls  int64
	}{
		{"forbidden is final", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "secret-body", 403) }, "the runner answered 403 Forbidden", 1},
		{"no token in the answer", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"value": ""}`) }, "the runner's answer holds no token", 1},
		{"redirect not followed", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "http://127.0.0.1:1/x", 302) }, "the runner answered 302 Found", 1},
		{"always down", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", 500) }, "the runner answered 500 Internal Server Error", 4},
	} {
		srv, n := runner(t, tt.answer)
		_, err := brokerclient.Runner{Getenv: env(srv.URL + "/t?api-version=2.0"), Sleep: noSleep}.IDToken(context.Background(), "aud")
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret-body") || strings.Contains(err.Error(), "request-token") || n.Load() != tt.calls {
			t.Errorf("%s: %v after %d calls", tt.name, err, n.Load())
		}
	}
}
