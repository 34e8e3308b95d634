package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/vastguard/vastguard/vast"
)

// apiFlags are the flags every command that calls the Vast API takes.
type apiFlags struct {
	key string
	url string
}

func (f *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.key, "api-key", "", "Vast API key (default $VAST_API_KEY, then the vastai key file); prefer the environment: flags show in ps")
	fs.StringVar(&f.url, "api-url", "", "Vast API URL (default $VAST_URL, then "+vast.DefaultBaseURL+")")
}

// credential is an API key and where it came from, so errors can say what
// to fix without showing the key.
type credential struct {
	key    string
	source string // "--api-key", "VAST_API_KEY", or the key file's path
}

// resolveKey finds the API key the way the vastai CLI and SDK do: the flag,
// then VAST_API_KEY, then $XDG_CONFIG_HOME/vastai/vast_api_key (default
// ~/.config/vastai/vast_api_key), then the legacy ~/.vast_api_key.
func resolveKey(e *env, flagKey string) (credential, error) {
	if k := strings.TrimSpace(flagKey); k != "" {
		return credential{k, "--api-key"}, nil
	}
	if k := strings.TrimSpace(e.getenv("VAST_API_KEY")); k != "" {
		return credential{k, "VAST_API_KEY"}, nil
	}
	for _, p := range keyFiles(e) {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return credential{}, fmt.Errorf("reading the key file %s: %w", p, err)
		}
		if k := strings.TrimSpace(string(b)); k != "" {
			return credential{k, p}, nil
		}
		return credential{}, fmt.Errorf("the key file %s is empty; run `vastai set api-key` or set VAST_API_KEY", p)
	}
	return credential{}, errors.New("no Vast API key: set VAST_API_KEY, pass --api-key, or run `vastai set api-key` (looked in " + strings.Join(keyFiles(e), ", ") + ")")
}

func keyFiles(e *env) []string {
	home := e.getenv("HOME")
	cfg := e.getenv("XDG_CONFIG_HOME")
	if cfg == "" && home != "" {
		cfg = filepath.Join(home, ".config")
	}
	var out []string
	if cfg != "" {
		out = append(out, filepath.Join(cfg, "vastai", "vast_api_key"))
	}
	if home != "" {
		out = append(out, filepath.Join(home, ".vast_api_key"))
	}
	return out
}

// setting picks a setting as the commands do: the flag, then the
// environment variable, then the default; source names where it came from
// ("" for the default), for messages.
func setting(e *env, flagValue, flagName, envName, def string) (value, source string) {
	if v := strings.TrimSpace(flagValue); v != "" {
		return v, flagName
	}
	if v := strings.TrimSpace(e.getenv(envName)); v != "" {
		return v, envName
	}
	return def, ""
}

// apiURL picks the API URL: the flag, then VAST_URL, then the default.
func apiURL(e *env, flagURL string) (string, string) {
	return setting(e, flagURL, "--api-url", "VAST_URL", vast.DefaultBaseURL)
}

// checkAPIURL accepts https URLs, and http only to a loopback address: a
// key must not cross a network in clear.
func checkAPIURL(raw string) error {
	u, err := vast.ParseBaseURL(raw)
	if err != nil {
		return err
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("%q: http:// is only for a local fake (127.0.0.1, ::1, localhost); use https://", vast.Redact(raw))
		}
	}
	return nil
}

// api is a client plus what the user should be told to check when it fails.
type api struct {
	*vast.Client
	cred      credential
	url       string
	urlSource string
}

// newAPI builds a client from the flags and environment.
func newAPI(e *env, f apiFlags, opts ...vast.Option) (*api, error) {
	cred, err := resolveKey(e, f.key)
	if err != nil {
		return nil, err
	}
	return newAPIWithKey(e, cred, f.url, opts...)
}

func newAPIWithKey(e *env, cred credential, flagURL string, opts ...vast.Option) (*api, error) {
	u, src := apiURL(e, flagURL)
	if err := checkAPIURL(u); err != nil {
		if src == "" {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	all := []vast.Option{vast.WithBaseURL(u), vast.WithUserAgent("vastguard/" + version())}
	if e.http != nil {
		all = append(all, vast.WithHTTPClient(e.http))
	}
	if e.now != nil {
		all = append(all, vast.WithClock(e.now))
	}
	if e.sleep != nil {
		all = append(all, vast.WithSleep(e.sleep))
	}
	c, err := vast.New(cred.key, append(all, opts...)...)
	if err != nil {
		if src != "" && strings.Contains(err.Error(), "API URL") {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if errors.Is(err, vast.ErrNoKey) {
			return nil, fmt.Errorf("%s is empty", cred.source)
		}
		return nil, fmt.Errorf("%s: %w", cred.source, err)
	}
	return &api{Client: c, cred: cred, url: u, urlSource: src}, nil
}

// Explain turns an API error into one line that says what to fix. what
// names the operation ("create key"). The key never appears: vast errors
// carry none, and the credential is named by its source.
func (a *api) Explain(what string, err error) error {
	if err == nil {
		return nil
	}
	var ve *vast.Error
	var ue *vast.CreateUncertainError
	urlHint := "--api-url or VAST_URL"
	if a.urlSource != "" {
		urlHint = a.urlSource
	}
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: cancelled", what)
	case errors.As(err, &ue):
		return fmt.Errorf("%s: %w", what, err)
	case errors.As(err, &ve) && ve.StatusCode == 401:
		return fmt.Errorf("the Vast API rejected the key (%s): check %s", ve.Brief(), a.cred.source)
	case errors.As(err, &ve) && ve.StatusCode == 403:
		return fmt.Errorf("%s: the Vast API refused (%s): the key in %s needs user_read to list keys and user_write to create, delete or reset them, and the key must belong to this account", what, ve.Brief(), a.cred.source)
	case errors.As(err, &ve) && ve.StatusCode == 429:
		return fmt.Errorf("%s: the Vast API kept rate limiting this key (%s) through every retry; wait a minute and try again", what, ve.Brief())
	case errors.As(err, &ve) && ve.StatusCode >= 500:
		return fmt.Errorf("%s: the Vast API failed (%s) through every retry; try again later", what, ve.Brief())
	case errors.As(err, &ve) && ve.StatusCode == 404 && strings.Contains(ve.Message, "HTML"):
		return fmt.Errorf("%s: %s answered 404 with a web page: is %s the Vast API?", what, a.url, urlHint)
	case errors.As(err, &ve):
		return fmt.Errorf("%s: the Vast API answered %s", what, ve.Brief())
	case errors.Is(err, vast.ErrBadResponse):
		return fmt.Errorf("%s: %v: is %s (%s) the Vast API?", what, err, a.url, urlHint)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: the Vast API at %s did not answer in time: %v", what, a.url, err)
	}
	return fmt.Errorf("%s: cannot reach the Vast API at %s (check %s and the network): %v", what, a.url, urlHint, err)
}
