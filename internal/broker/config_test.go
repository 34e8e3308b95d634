package broker_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vastguard/vastguard/internal/broker"
)

const minimalConfig = "audience: https://vast-broker.example.com\npolicy: policy.yaml\nmanagement_key: {env: VAST_MANAGEMENT_KEY}\n"

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"minimal", minimalConfig, ""},
		{"unknown field", minimalConfig + "listen_addr: :80\n", `b.yaml:4: unknown field "listen_addr" (known: audience, audit_retention, clock_skew, issuers, listen, management_key, mint_timeout, policy, rate_limit, reaper, store, store_env, vast)`},
		{"unknown nested field", minimalConfig + "reaper: {intervall: 5s}\n", `b.yaml:4: reaper: unknown field "intervall" (known: grace, interval, lease, reconcile_interval)`},
		{"no audience", "policy: p\nmanagement_key: {env: K}\n", "b.yaml: audience: is required: the aud workflows request their token with, e.g. the broker's URL"},
		{"github default audience", strings.Replace(minimalConfig, "https://vast-broker.example.com", "https://github.com/acme", 1), `b.yaml: audience: "https://github.com/acme" is GitHub's default audience, which tokens meant for any service carry; choose one of the broker's own, e.g. its URL`},
		{"no policy", "audience: a\nmanagement_key: {env: K}\n", "b.yaml: policy: is required: the path of the policy file"},
		{"no management key", "audience: a\npolicy: p\n", "b.yaml: management_key: say where the Vast management key comes from: env: VAR or file: PATH"},
		{"both management keys", "audience: a\npolicy: p\nmanagement_key: {env: K, file: f}\n", "b.yaml: management_key: set env or file, not both"},
		{"store and store_env", minimalConfig + "store: sqlite:x.db\nstore_env: DSN\n", "b.yaml: store_env: set store or store_env, not both"},
		{"plain http issuer", minimalConfig + "issuers: [http://ghe.example.com/_services/token]\n", `b.yaml: issuers[0]: "http://ghe.example.com/_services/token" must be https (http only to a loopback address, for a test issuer)`},
		{"issuer twice", minimalConfig + "issuers: [https://a.example.com, https://a.example.com/]\n", `b.yaml: issuers[1]: "https://a.example.com" is listed twice`},
		{"issuer with query", minimalConfig + "issuers: ['https://a.example.com/?x=1']\n", `b.yaml: issuers[0]: "https://a.example.com/?x=1" must not carry a query, fragment or credentials`},
		{"bad duration", minimalConfig + "mint_timeout: soon\n", `b.yaml: mint_timeout: "soon" is not a duration such as 30s, 5m or 2h`},
		{"zero duration", minimalConfig + "reaper: {interval: 0s}\n", "b.yaml: reaper.interval: must not be 0 (leave it out for the default)"},
		{"skew too large", minimalConfig + "clock_skew: 10m\n", "b.yaml: clock_skew: must be from 0s to 5m"},
		{"grace too short", minimalConfig + "reaper: {grace: 2m}\n", "b.yaml: reaper.grace: must be at least mint_timeout (1m0s) plus 2m: a key being minted must not look abandoned"},
		{"bad listen", minimalConfig + "listen: '8080'\n", `b.yaml: listen: "8080" is not HOST:PORT or :PORT`},
		{"plain http Vast", minimalConfig + "vast: {api_url: 'http://console.vast.ai'}\n", `b.yaml: vast.api_url: "http://console.vast.ai": http:// is only for a local fake (127.0.0.1, ::1, localhost); use https://`},
		{"rate zero", minimalConfig + "rate_limit: {per_minute: 0}\n", "b.yaml: rate_limit.per_minute: must be above 0"},
		{"interval too long", minimalConfig + "vast: {create_interval: 2h}\n", "b.yaml: vast.create_interval: must be at most 1m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := broker.ParseConfig("b.yaml", []byte(tt.in))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("ParseConfig\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestConfigValues(t *testing.T) {
	t.Parallel()
	in := minimalConfig + `listen: "127.0.0.1:9000"
store: sqlite:/var/lib/vastguard/broker.db
issuers: [https://token.actions.githubusercontent.com, https://ghe.example.com/_services/token/]
clock_skew: 30s
vast: {api_url: "https://console.vast.ai", create_interval: 3s}
mint_timeout: 90s
reaper: {interval: 10s, reconcile_interval: 1m, grace: 20m, lease: 3m}
rate_limit: {per_minute: 12, burst: 3}
audit_retention: 720h
`
	cfg, err := broker.ParseConfig("/etc/vastguard/broker.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := broker.Config{
		Listen: "127.0.0.1:9000", Store: "sqlite:/var/lib/vastguard/broker.db", Audience: "https://vast-broker.example.com",
		Issuers:   []string{"https://token.actions.githubusercontent.com", "https://ghe.example.com/_services/token"},
		ClockSkew: 30 * time.Second, PolicyFile: "policy.yaml", ManagementKeyEnv: "VAST_MANAGEMENT_KEY",
		VastURL: "https://console.vast.ai", CreateInterval: 3 * time.Second, MintTimeout: 90 * time.Second,
		ReapInterval: 10 * time.Second, ReconcileInterval: time.Minute, Grace: 20 * time.Minute, Lease: 3 * time.Minute,
		RatePerMinute: 12, RateBurst: 3, AuditRetention: 720 * time.Hour,
	}
	if diff := cmp.Diff(want, cfg, cmpopts.IgnoreUnexported(broker.Config{})); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestManagementKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	secret := "management-key-value-for-tests"
	write("key", secret+"\n")
	write("empty", "\n")
	write("two", secret+"\nsecond line\n")
	cfgFor := func(kind, v string) broker.Config {
		c, err := broker.ParseConfig(filepath.Join(dir, "broker.yaml"), []byte("audience: a\npolicy: p\nmanagement_key: {"+kind+": "+v+"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	getenv := func(k string) string {
		if k == "SET" {
			return " " + secret + " "
		}
		return ""
	}
	for _, tt := range []struct {
		kind, v, want, wantErr string
	}{
		{"env", "SET", secret, ""},
		{"env", "UNSET", "", "broker config: management_key.env: the environment variable UNSET is empty or unset"},
		{"file", "key", secret, ""},
		{"file", "empty", "", "broker config: management_key.file: " + filepath.Join(dir, "empty") + " is empty"},
		{"file", "two", "", "broker config: management_key.file: " + filepath.Join(dir, "two") + " must hold the key alone, on one line"},
		{"file", "missing", "", "broker config: management_key.file: open " + filepath.Join(dir, "missing") + ": no such file or directory"},
	} {
		got, err := cfgFor(tt.kind, tt.v).ManagementKey(getenv, os.ReadFile)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.wantErr {
			t.Errorf("%s %s: %q, %q; want %q, %q", tt.kind, tt.v, got, gotErr, tt.want, tt.wantErr)
		}
		if strings.Contains(gotErr, secret) {
			t.Errorf("error shows the key")
		}
	}
	c := cfgFor("env", "SET")
	c.StoreEnv = "DSN"
	if _, err := c.StoreDSN(getenv); err == nil || !errors.Is(err, err) || !strings.Contains(err.Error(), "store_env: the environment variable DSN is empty or unset") {
		t.Errorf("StoreDSN: %v", err)
	}
}
