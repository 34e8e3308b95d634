package broker

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vastguard/vastguard/internal/broker/identity"
	"github.com/vastguard/vastguard/internal/broker/yamlfile"
	"github.com/vastguard/vastguard/vast"
)

// Config is the broker's configuration, as read from its YAML file
// (LoadConfig) or built in code. Zero durations and counts take the
// defaults documented on each field when passed to New.
type Config struct {
	// Listen is the address to serve on; default ":8080".
	Listen string
	// Store is the store DSN (see store.Open); default
	// "sqlite:vastguard-broker.db". StoreEnv, if set, names an environment
	// variable holding it instead (for a DSN with a password).
	Store    string
	StoreEnv string
	// Audience is the aud the broker accepts: workflows request their
	// token with it. Required.
	Audience string
	// Issuers are the trusted token issuers; default
	// [identity.GitHubIssuer]. GitHub Enterprise Server's is
	// https://HOSTNAME/_services/token.
	Issuers []string
	// ClockSkew tolerated on exp, nbf and iat; default 60s, at most 5m.
	ClockSkew time.Duration
	// PolicyFile is the policy's path (relative to the config file's
	// directory). Required.
	PolicyFile string
	// ManagementKeyEnv or ManagementKeyFile (exactly one) says where the
	// Vast management key (user_read + user_write) comes from.
	ManagementKeyEnv  string
	ManagementKeyFile string
	// VastURL is the Vast API; default vast.DefaultBaseURL.
	VastURL string
	// Minimum intervals between calls to one Vast endpoint, as Vast
	// enforces per key (vast-api.md §5); defaults 2s, 2s, 1s. Negative
	// means none (for a fake without limits).
	CreateInterval time.Duration
	DeleteInterval time.Duration
	ListInterval   time.Duration
	// MintTimeout bounds one mint, waiting for Vast's rate limit included;
	// default 60s.
	MintTimeout time.Duration
	// ReapInterval is how often due keys are deleted; default 30s.
	ReapInterval time.Duration
	// ReconcileInterval is how often the account's key list is compared
	// with the records; default 5m.
	ReconcileInterval time.Duration
	// Grace is how long a key with the broker's name and no record may
	// live before reconcile deletes it; default 15m.
	Grace time.Duration
	// Lease is how long a reaper holds a due key while deleting it;
	// default 2m.
	Lease time.Duration
	// RatePerMinute and RateBurst limit mints per repository; defaults 30
	// and 10.
	RatePerMinute float64
	RateBurst     int
	// AuditRetention is how long audit rows and ended key records are kept;
	// default 90 days (2160h); at least 24h.
	AuditRetention time.Duration

	// dir is the config file's directory, for relative paths.
	dir string
}

type fileConfig struct {
	Listen        string   `yaml:"listen"`
	Store         string   `yaml:"store"`
	StoreEnv      string   `yaml:"store_env"`
	Audience      string   `yaml:"audience"`
	Issuers       []string `yaml:"issuers"`
	ClockSkew     string   `yaml:"clock_skew"`
	Policy        string   `yaml:"policy"`
	ManagementKey struct {
		Env  string `yaml:"env"`
		File string `yaml:"file"`
	} `yaml:"management_key"`
	Vast struct {
		APIURL         string `yaml:"api_url"`
		CreateInterval string `yaml:"create_interval"`
		DeleteInterval string `yaml:"delete_interval"`
		ListInterval   string `yaml:"list_interval"`
	} `yaml:"vast"`
	MintTimeout string `yaml:"mint_timeout"`
	Reaper      struct {
		Interval          string `yaml:"interval"`
		ReconcileInterval string `yaml:"reconcile_interval"`
		Grace             string `yaml:"grace"`
		Lease             string `yaml:"lease"`
	} `yaml:"reaper"`
	RateLimit struct {
		PerMinute *float64 `yaml:"per_minute"`
		Burst     *int     `yaml:"burst"`
	} `yaml:"rate_limit"`
	AuditRetention string `yaml:"audit_retention"`
}

// LoadConfig reads and validates the config file at path. Errors are one
// line naming the file and the field.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("broker config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses and validates a config file's content; file names it
// in errors and anchors relative paths.
func ParseConfig(file string, data []byte) (Config, error) {
	var fc fileConfig
	if err := yamlfile.Decode(file, data, &fc); err != nil {
		return Config{}, err
	}
	bad := func(field, format string, args ...any) error {
		return &yamlfile.Error{File: file, Path: field, Msg: fmt.Sprintf(format, args...)}
	}
	c := Config{
		Listen:            fc.Listen,
		Store:             fc.Store,
		StoreEnv:          fc.StoreEnv,
		Audience:          fc.Audience,
		Issuers:           fc.Issuers,
		PolicyFile:        fc.Policy,
		ManagementKeyEnv:  fc.ManagementKey.Env,
		ManagementKeyFile: fc.ManagementKey.File,
		VastURL:           fc.Vast.APIURL,
		dir:               filepath.Dir(file),
	}
	durations := []struct {
		field string
		in    string
		out   *time.Duration
	}{
		{"clock_skew", fc.ClockSkew, &c.ClockSkew},
		{"vast.create_interval", fc.Vast.CreateInterval, &c.CreateInterval},
		{"vast.delete_interval", fc.Vast.DeleteInterval, &c.DeleteInterval},
		{"vast.list_interval", fc.Vast.ListInterval, &c.ListInterval},
		{"mint_timeout", fc.MintTimeout, &c.MintTimeout},
		{"reaper.interval", fc.Reaper.Interval, &c.ReapInterval},
		{"reaper.reconcile_interval", fc.Reaper.ReconcileInterval, &c.ReconcileInterval},
		{"reaper.grace", fc.Reaper.Grace, &c.Grace},
		{"reaper.lease", fc.Reaper.Lease, &c.Lease},
		{"audit_retention", fc.AuditRetention, &c.AuditRetention},
	}
	for _, d := range durations {
		if d.in == "" {
			continue
		}
		v, err := time.ParseDuration(strings.TrimSpace(d.in))
		if err != nil {
			return Config{}, bad(d.field, "%q is not a duration such as 30s, 5m or 2h", d.in)
		}
		if v == 0 {
			return Config{}, bad(d.field, "must not be 0 (leave it out for the default)")
		}
		*d.out = v
	}
	if fc.RateLimit.PerMinute != nil {
		if *fc.RateLimit.PerMinute <= 0 {
			return Config{}, bad("rate_limit.per_minute", "must be above 0")
		}
		c.RatePerMinute = *fc.RateLimit.PerMinute
	}
	if fc.RateLimit.Burst != nil {
		if *fc.RateLimit.Burst < 1 {
			return Config{}, bad("rate_limit.burst", "must be at least 1")
		}
		c.RateBurst = *fc.RateLimit.Burst
	}
	if err := c.validate(file); err != nil {
		return Config{}, err
	}
	if c.Issuers != nil {
		c.Issuers = normalIssuers(c.Issuers)
	}
	return c, nil
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Listen == "" {
		c.Listen = ":8080"
	}
	if c.Store == "" && c.StoreEnv == "" {
		c.Store = "sqlite:vastguard-broker.db"
	}
	if len(c.Issuers) == 0 {
		c.Issuers = []string{identity.GitHubIssuer}
	}
	c.Issuers = normalIssuers(c.Issuers)
	if c.VastURL == "" {
		c.VastURL = vast.DefaultBaseURL
	}
	def(&c.ClockSkew, time.Minute)
	def(&c.CreateInterval, 2*time.Second)
	def(&c.DeleteInterval, 2*time.Second)
	def(&c.ListInterval, time.Second)
	def(&c.MintTimeout, time.Minute)
	def(&c.ReapInterval, 30*time.Second)
	def(&c.ReconcileInterval, 5*time.Minute)
	def(&c.Grace, 15*time.Minute)
	def(&c.Lease, 2*time.Minute)
	def(&c.AuditRetention, 90*24*time.Hour)
	if c.RatePerMinute == 0 {
		c.RatePerMinute = 30
	}
	if c.RateBurst == 0 {
		c.RateBurst = 10
	}
	return c
}

// validate checks a config; file names it in messages ("" for one built in
// code).
func (c Config) validate(file string) error {
	if file == "" {
		file = "broker config"
	}
	bad := func(field, format string, args ...any) error {
		return &yamlfile.Error{File: file, Path: field, Msg: fmt.Sprintf(format, args...)}
	}
	c = c.withDefaults()
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return bad("listen", "%q is not HOST:PORT or :PORT", c.Listen)
	}
	if c.Store != "" && c.StoreEnv != "" {
		return bad("store_env", "set store or store_env, not both")
	}
	switch {
	case c.Audience == "":
		return bad("audience", "is required: the aud workflows request their token with, e.g. the broker's URL")
	case strings.HasPrefix(strings.ToLower(c.Audience), "https://github.com/"):
		return bad("audience", "%q is GitHub's default audience, which tokens meant for any service carry; choose one of the broker's own, e.g. its URL", c.Audience)
	case len(c.Audience) > 200 || strings.ContainsAny(c.Audience, " \t\r\n"):
		return bad("audience", "must be one token of at most 200 characters")
	}
	seen := map[string]bool{}
	for i, iss := range c.Issuers {
		field := fmt.Sprintf("issuers[%d]", i)
		if err := checkIssuer(iss); err != nil {
			return bad(field, "%q %s", iss, err)
		}
		if seen[iss] {
			return bad(field, "%q is listed twice", iss)
		}
		seen[iss] = true
	}
	if c.ClockSkew < 0 || c.ClockSkew > 5*time.Minute {
		return bad("clock_skew", "must be from 0s to 5m")
	}
	if c.PolicyFile == "" {
		return bad("policy", "is required: the path of the policy file")
	}
	switch {
	case c.ManagementKeyEnv == "" && c.ManagementKeyFile == "":
		return bad("management_key", "say where the Vast management key comes from: env: VAR or file: PATH")
	case c.ManagementKeyEnv != "" && c.ManagementKeyFile != "":
		return bad("management_key", "set env or file, not both")
	}
	if _, err := vast.ParseBaseURL(c.VastURL); err != nil {
		return bad("vast.api_url", "%s", err)
	}
	for _, d := range []struct {
		field    string
		v        time.Duration
		min, max time.Duration
	}{
		{"mint_timeout", c.MintTimeout, 5 * time.Second, 10 * time.Minute},
		{"reaper.interval", c.ReapInterval, time.Second, time.Hour},
		{"reaper.reconcile_interval", c.ReconcileInterval, 10 * time.Second, 24 * time.Hour},
		{"reaper.grace", c.Grace, time.Minute, 24 * time.Hour},
		{"reaper.lease", c.Lease, 10 * time.Second, time.Hour},
		{"audit_retention", c.AuditRetention, 24 * time.Hour, 10 * 365 * 24 * time.Hour},
	} {
		if d.v < d.min || d.v > d.max {
			return bad(d.field, "must be from %s to %s", d.min, d.max)
		}
	}
	if c.Grace < c.MintTimeout+2*time.Minute {
		return bad("reaper.grace", "must be at least mint_timeout (%s) plus 2m: a key being minted must not look abandoned", c.MintTimeout)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"vast.create_interval", c.CreateInterval}, {"vast.delete_interval", c.DeleteInterval}, {"vast.list_interval", c.ListInterval}} {
		if d.v > time.Minute {
			return bad(d.field, "must be at most 1m")
		}
	}
	return nil
}

// normalIssuers returns a copy without trailing slashes: a token's iss has
// none.
func normalIssuers(in []string) []string {
	out := make([]string, len(in))
	for i, iss := range in {
		out[i] = strings.TrimSuffix(strings.TrimSpace(iss), "/")
	}
	return out
}

func checkIssuer(iss string) error {
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" {
		return errors.New("is not a URL")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("must not carry a query, fragment or credentials")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return errors.New("must be https (http only to a loopback address, for a test issuer)")
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// policyPath resolves the policy file against the config file's directory.
func (c Config) policyPath() string { return c.resolve(c.PolicyFile) }

func (c Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

// StoreDSN returns the store DSN, reading StoreEnv through getenv.
func (c Config) StoreDSN(getenv func(string) string) (string, error) {
	c = c.withDefaults()
	if c.StoreEnv == "" {
		return c.Store, nil
	}
	v := strings.TrimSpace(getenv(c.StoreEnv))
	if v == "" {
		return "", fmt.Errorf("broker config: store_env: the environment variable %s is empty or unset", c.StoreEnv)
	}
	return v, nil
}

// ManagementKey reads the Vast management key from where the config says.
// The key never appears in an error.
func (c Config) ManagementKey(getenv func(string) string, readFile func(string) ([]byte, error)) (string, error) {
	if c.ManagementKeyEnv != "" {
		v := strings.TrimSpace(getenv(c.ManagementKeyEnv))
		if v == "" {
			return "", fmt.Errorf("broker config: management_key.env: the environment variable %s is empty or unset", c.ManagementKeyEnv)
		}
		return v, nil
	}
	p := c.resolve(c.ManagementKeyFile)
	b, err := readFile(p)
	if err != nil {
		return "", fmt.Errorf("broker config: management_key.file: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("broker config: management_key.file: %s is empty", p)
	}
	if strings.ContainsAny(v, " \t\r\n") {
		return "", fmt.Errorf("broker config: management_key.file: %s must hold the key alone, on one line", p)
	}
	return v, nil
}
