package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vastguard/vastguard/internal/broker/oidctest"
	"github.com/vastguard/vastguard/internal/broker/store/storetest"
	"github.com/vastguard/vastguard/internal/command"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// `vastguard broker --config FILE` as an operator runs it: one-line errors
// for what is wrong at start, a policy reloaded on SIGHUP (a bad one kept
// out, saying why), a graceful stop on SIGINT/SIGTERM, and no key in its
// log.

const onePolicy = `
rules:
  - name: gpu-tests
    match: {repository: acme/gpu-tests}
    permissions: instance-management
    max_ttl: 2h
`

const twoPolicies = onePolicy + `  - name: reader
    match: {repository_owner: acme}
    permissions: read-only
    max_ttl: 30m
`

// brokerFiles writes a config (listening on a free loopback port, SQLite
// in the directory) and a policy, and returns the config's path and the
// environment holding the management key.
func brokerFiles(t *testing.T, extra string) (cfgPath, policyPath string, fake *vasttest.Server, env map[string]string) {
	t.Helper()
	fake = vasttest.NewServer(t)
	_, mgmt := fake.AddAccount("owner@example.com")
	iss := oidctest.NewServer(t)
	dir := t.TempDir()
	policyPath = filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyPath, []byte(onePolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := "listen: 127.0.0.1:0\n" +
		"store: " + storetest.TestSQLite(t) + "\n" +
		"audience: https://vast-broker.example.com\n" +
		"issuers: [" + iss.URL + "]\n" +
		"policy: policy.yaml\n" +
		"management_key: {env: VAST_MANAGEMENT_KEY}\n" +
		"vast: {api_url: " + fake.URL + "}\n" + extra
	cfgPath = filepath.Join(dir, "broker.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, policyPath, fake, map[string]string{"VAST_MANAGEMENT_KEY": mgmt}
}

func TestBrokerCommandRefusals(t *testing.T) {
	t.Parallel()
	cfgPath, _, _, env := brokerFiles(t, "")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("listen: nowhere\n"), 0o600)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no config", env, []string{"broker"}, "vastguard: broker: --config FILE is required"},
		{"an argument", env, []string{"broker", "now", "--config", cfgPath}, `vastguard: broker takes no arguments (got "now")`},
		{"a missing config", env, []string{"broker", "-c", "/nonexistent/broker.yaml"}, "vastguard: broker config: open /nonexistent/broker.yaml"},
		{"a bad config", env, []string{"broker", "-c", bad}, "vastguard: " + bad + ": listen"},
		{"no management key", nil, []string{"broker", "-c", cfgPath}, "vastguard: broker config: management_key.env: the environment variable VAST_MANAGEMENT_KEY is empty or unset"},
		{"a bad log format", env, []string{"broker", "-c", cfgPath, "--log-format", "xml"}, `vastguard: broker: --log-format "xml": use text or json`},
	}
	for _, tt := range tests {
		r := runCLI(t, tt.env, tt.args...)
		if r.code != 1 || !strings.HasPrefix(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
			t.Errorf("%s: = %d %q %q\nwant one line starting %q", tt.name, r.code, r.stdout, r.stderr, tt.want)
		}
	}
}

var listening = regexp.MustCompile(`msg="broker listening" addr=(127\.0\.0\.1:\d+)`)

// healthRules is /healthz's rule count.
func healthRules(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Status string `json:"status"`
		Rules  int    `json:"rules"`
	}
	json.NewDecoder(resp.Body).Decode(&h)
	if resp.StatusCode != 200 || h.Status != "ok" {
		t.Fatalf("healthz: %d %+v", resp.StatusCode, h)
	}
	return h.Rules
}

// TestBrokerCommandInProcess: SIGHUP (through Env.Notify) reloads the
// policy, a bad one is refused with its reason and the old one kept; the
// context's end (SIGINT or SIGTERM in main) stops the broker, exit 0.
func TestBrokerCommandInProcess(t *testing.T) {
	t.Parallel()
	cfgPath, policyPath, _, env := brokerFiles(t, "")
	logs := &syncLog{}
	hup := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stopped := false
	e := &command.Env{
		Args: []string{"vastguard", "broker", "--config", cfgPath}, Getenv: func(k string) string { return env[k] },
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Now: time.Now,
		Notify: func(sig ...os.Signal) (<-chan os.Signal, func()) {
			if len(sig) != 1 || sig[0] != syscall.SIGHUP {
				t.Errorf("Notify(%v), want SIGHUP", sig)
			}
			return hup, func() { stopped = true }
		},
	}
	done := make(chan int, 1)
	go func() { done <- command.ExitCode(command.Run(ctx, e), logs) }()
	var addr string
	waitFor(t, func() bool {
		m := listening.FindStringSubmatch(logs.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	if n := healthRules(t, addr); n != 1 {
		t.Fatalf("rules = %d", n)
	}
	os.WriteFile(policyPath, []byte(twoPolicies), 0o600)
	hup <- syscall.SIGHUP
	waitFor(t, func() bool { return strings.Contains(logs.String(), "msg=\"policy reloaded\" rules=2") })
	if n := healthRules(t, addr); n != 2 {
		t.Errorf("after the reload: rules = %d", n)
	}
	os.WriteFile(policyPath, []byte("rules:\n  - name: x\n    match: {repository: acme/x}\n    permissions: nonsense\n"), 0o600)
	hup <- syscall.SIGHUP
	waitFor(t, func() bool {
		return strings.Contains(logs.String(), "policy reload failed; keeping the policy in force")
	})
	if !regexp.MustCompile(`policy reload failed; keeping the policy in force" error=".*policy\.yaml.*permissions`).MatchString(logs.String()) {
		t.Errorf("the failed reload does not say which file and field:\n%s", logs)
	}
	if n := healthRules(t, addr); n != 2 {
		t.Errorf("after a bad reload: rules = %d, want the 2 in force", n)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d\n%s", code, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the broker did not stop")
	}
	if !strings.Contains(logs.String(), "broker stopped") || !stopped {
		t.Errorf("stopped %v; log:\n%s", stopped, logs)
	}
	assertNoSecret(t, "broker log", logs.String(), env["VAST_MANAGEMENT_KEY"])
}

// TestBrokerBinarySignals: the built binary with real signals: SIGHUP
// reloads (main subscribes it for the command), SIGTERM stops gracefully,
// and a JSON log carries no key.
func TestBrokerBinarySignals(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	cfgPath, policyPath, _, env := brokerFiles(t, "")
	cmd := exec.Command(bin, "broker", "--config", cfgPath, "--log-format", "json")
	cmd.Env = []string{"VAST_MANAGEMENT_KEY=" + env["VAST_MANAGEMENT_KEY"], "HOME=" + t.TempDir()}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan map[string]any, 100)
	var all bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			all.Write(sc.Bytes())
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				m = map[string]any{"msg": "NOT JSON: " + sc.Text()}
			}
			lines <- m
		}
		close(lines)
	}()
	next := func(msg string) map[string]any {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case m, ok := <-lines:
				if !ok {
					t.Fatalf("the log ended before %q", msg)
				}
				if m["msg"] == msg {
					return m
				}
			case <-timeout:
				t.Fatalf("no %q in the log", msg)
			}
		}
	}
	addr, _ := next("broker listening")["addr"].(string)
	if n := healthRules(t, addr); n != 1 {
		t.Fatalf("rules = %d", n)
	}
	os.WriteFile(policyPath, []byte(twoPolicies), 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	if m := next("policy reloaded"); m["rules"] != float64(2) {
		t.Errorf("reloaded: %v", m)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	next("broker stopped")
	for range lines { // the reader is done with all once lines is closed
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v", err)
	}
	assertNoSecret(t, "broker log", all.String(), env["VAST_MANAGEMENT_KEY"])
}
