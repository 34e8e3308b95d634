package broker

import (
	"context"
	"net/http"
	"time"

	"github.com/vastguard/vastguard/vast"
)

// VastAPI is what the broker asks of the Vast API, with the management
// key; *vast.Client implements it.
type VastAPI interface {
	CreateKey(ctx context.Context, name string, perms vast.Permissions) (vast.Key, error)
	DeleteKey(ctx context.Context, id int64) error
	ListKeys(ctx context.Context) ([]vast.Key, error)
}

var _ VastAPI = (*vast.Client)(nil)

// VastRetry is the retry policy NewVastClient gives the client: a mint
// must answer within the config's mint_timeout, and deletes repeat on any
// 5xx (a DELETE is idempotent, and giving up leaves a live key).
var VastRetry = vast.RetryPolicy{
	Budget:          45 * time.Second,
	BaseDelay:       time.Second,
	MaxDelay:        8 * time.Second,
	MaxAttempts:     6,
	Timeout:         20 * time.Second,
	AllServerErrors: true,
}

// NewVastClient returns the management-key client for cfg: the key read
// from where the config says (through getenv and readFile), the API URL,
// VastRetry, and no redirects followed (a redirected DELETE would be sent
// again as GET, with the key). opts come last and may override.
func NewVastClient(cfg Config, getenv func(string) string, readFile func(string) ([]byte, error), opts ...vast.Option) (*vast.Client, error) {
	key, err := cfg.ManagementKey(getenv, readFile)
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	h := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := []vast.Option{vast.WithBaseURL(cfg.VastURL), vast.WithRetry(VastRetry), vast.WithHTTPClient(h), vast.WithUserAgent("vastguard-broker")}
	return vast.New(key, append(base, opts...)...)
}
