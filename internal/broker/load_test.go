package broker_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vastguard/vastguard/internal/broker"
	"github.com/vastguard/vastguard/internal/broker/brokerclient"
	"github.com/vastguard/vastguard/internal/broker/oidctest"
	"github.com/vastguard/vastguard/internal/broker/store"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// The load runs many concurrent clients, each minting and deleting keys
// through the broker's HTTP API with brokerclient, as the Action's main and
// post steps would, against the Vast fake. Two setups:
//
//   - unlimited: the fake enforces no rate limits and the broker paces
//     nothing, so the figures are the broker's own cost (token checks,
//     store writes, HTTP) on SQLite;
//   - vast-limits: the fake enforces Vast's documented minimum intervals
//     (create 2s, delete 2s per key) and the broker paces its calls to
//     them. Time runs 50 times faster than real time on one clock shared
//     by the fake, the broker and the issuer, so latencies and throughput
//     are reported in the clock's (Vast's) seconds.

const loadPolicy = `
rules:
  - name: load
    match:
      repository_owner: acme
    permissions: instance-management
    max_ttl: 2h
    max_live_keys: 5
`

type loadResult struct {
	pairs      int
	elapsed    time.Duration // on the clock that measures latency
	mint, del  []time.Duration
	errors     int
	firstError error
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// runLoad mints and deletes pairs keys with clients concurrent clients,
// each on a repository of its own. now measures latency.
func runLoad(tb testing.TB, h *harness, clients, pairs int, now func() time.Time) loadResult {
	tb.Helper()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	c, err := brokerclient.New(h.srv.URL, brokerclient.WithHTTPClient(hc), brokerclient.WithRetry(brokerclient.Retry{}))
	if err != nil {
		tb.Fatal(err)
	}
	// One token per client, signed up front and again only when it nears
	// its expiry on the broker's clock: a job signs nothing, and RSA
	// signing would dominate the client's side of the measurement.
	tokens := make([]string, clients)
	signed := make([]time.Time, clients)
	token := func(i int) string {
		if tokens[i] == "" || h.clk.Now().Sub(signed[i]) > 4*time.Minute {
			signed[i] = h.clk.Now()
			tokens[i] = h.token(oidctest.Job{Repository: fmt.Sprintf("acme/load-%d", i), RunID: int64(1000 + i)})
		}
		return tokens[i]
	}
	var next atomic.Int64
	var mu sync.Mutex
	res := loadResult{}
	start := now()
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(pairs) {
				tok := token(i)
				t0 := now()
				k, err := c.Mint(context.Background(), tok, brokerclient.MintRequest{TTL: time.Hour, Label: "load"})
				t1 := now()
				var derr error
				if err == nil {
					_, derr = c.Delete(context.Background(), tok, k.ID)
				}
				t2 := now()
				mu.Lock()
				switch {
				case err != nil:
					res.errors++
					res.firstError = err
				case derr != nil:
					res.errors++
					res.firstError = derr
				default:
					res.pairs++
					res.mint = append(res.mint, t1.Sub(t0))
					res.del = append(res.del, t2.Sub(t1))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.elapsed = now().Sub(start)
	return res
}

// checkCounts asserts exact counts at the end of a load: every key minted
// was deleted, once, and recorded as such.
func checkCounts(tb testing.TB, h *harness, res loadResult, pairs int) {
	tb.Helper()
	if res.errors != 0 || res.pairs != pairs {
		tb.Fatalf("%d pairs done, %d errors (first: %v); want %d and 0", res.pairs, res.errors, res.firstError, pairs)
	}
	if n := len(h.minted()); n != 0 {
		tb.Errorf("%d keys alive at the end", n)
	}
	if n := h.creates(); n != pairs {
		tb.Errorf("%d creates sent to Vast, want %d", n, pairs)
	}
	deletes := h.deletes()
	if len(deletes) != pairs {
		tb.Errorf("%d keys deleted, want %d", len(deletes), pairs)
	}
	for p, n := range deletes {
		if n != 1 {
			tb.Errorf("%s deleted %d times", p, n)
		}
	}
	limited := 0
	for _, r := range h.fake.Requests() {
		if r.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 0 {
		tb.Errorf("the fake answered 429 %d times: the broker did not respect its rate limits", limited)
	}
	counts, err := h.db.Counts(context.Background())
	if err != nil || counts[store.Revoked] != pairs || len(counts) != 1 {
		tb.Errorf("records by state = %v, %v; want %d revoked", counts, err, pairs)
	}
	if m, r := len(h.events(store.EventMint)), len(h.events(store.EventRevoke)); m != pairs || r != pairs {
		tb.Errorf("audit: %d mints, %d revokes; want %d each", m, r, pairs)
	}
}

func unlimited(tb testing.TB) *harness {
	return newHarness(tb, withPolicy(loadPolicy), withConfig(func(c *broker.Config) {
		c.RatePerMinute, c.RateBurst = 1e6, 1e6
	}))
}

const scale = 50

func vastLimitedHarness(tb testing.TB) *harness {
	clk := scaledClock(scale)
	fake := vasttest.NewServer(tb, vasttest.WithClock(clk.Now), vasttest.WithRateLimits())
	_, key := fake.AddAccount("owner@example.com")
	return newHarness(tb, withClock(clk), withFake(fake, key), withPolicy(loadPolicy), withConfig(func(c *broker.Config) {
		c.CreateInterval, c.DeleteInterval, c.ListInterval = 0, 0, 0 // Vast's: 2s, 2s, 1s
		c.RatePerMinute, c.RateBurst = 1e6, 1e6
		c.MintTimeout = 10 * time.Minute
		c.Grace = 15 * time.Minute
	}))
}

// TestLoadCounts runs both loads small, for the exact counts (not timed).
func TestLoadCounts(t *testing.T) {
	t.Parallel()
	t.Run("unlimited", func(t *testing.T) {
		t.Parallel()
		h := unlimited(t)
		checkCounts(t, h, runLoad(t, h, 8, 40, time.Now), 40)
		h.assertNoSecrets()
	})
	t.Run("vast-limits", func(t *testing.T) {
		t.Parallel()
		h := vastLimitedHarness(t)
		res := runLoad(t, h, 4, 8, h.clk.Now)
		checkCounts(t, h, res, 8)
		// Eight creates at least 2s apart take at least 14s of Vast's time.
		if res.elapsed < 14*time.Second {
			t.Errorf("8 pairs took %s on the clock; Vast allows one create every 2s", res.elapsed)
		}
	})
}

func report(b *testing.B, h *harness, res loadResult, clients int, unit string) {
	b.Helper()
	checkCounts(b, h, res, b.N)
	secs := res.elapsed.Seconds()
	b.ReportMetric(float64(res.pairs)/secs, "pairs/"+unit)
	b.ReportMetric(float64(pct(res.mint, 0.50).Microseconds())/1000, "mint-p50-ms")
	b.ReportMetric(float64(pct(res.mint, 0.99).Microseconds())/1000, "mint-p99-ms")
	b.ReportMetric(float64(pct(res.del, 0.50).Microseconds())/1000, "delete-p50-ms")
	b.ReportMetric(float64(pct(res.del, 0.99).Microseconds())/1000, "delete-p99-ms")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d clients, %d pairs in %s (%s): 0 errors, %d keys alive at the end, %d creates, %d deletes, 0 answers 429",
		clients, res.pairs, res.elapsed.Round(time.Millisecond), unit, len(h.minted()), h.creates(), len(h.deletes()))
}

// BenchmarkLoad: b.N is the number of mint+delete pairs.
//
//	go test -run '^$' -bench BenchmarkLoad -benchtime 2000x ./internal/broker/   (unlimited)
//	go test -run '^$' -bench 'BenchmarkLoad/vast-limits' -benchtime 60x ./internal/broker/
func BenchmarkLoad(b *testing.B) {
	for _, clients := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("unlimited/clients=%d", clients), func(b *testing.B) {
			h := unlimited(b)
			b.ResetTimer()
			res := runLoad(b, h, clients, b.N, time.Now)
			b.StopTimer()
			report(b, h, res, clients, "s")
		})
	}
	for _, clients := range []int{4, 16} {
		b.Run(fmt.Sprintf("vast-limits/clients=%d", clients), func(b *testing.B) {
			h := vastLimitedHarness(b)
			b.ResetTimer()
			res := runLoad(b, h, clients, b.N, h.clk.Now)
			b.StopTimer()
			report(b, h, res, clients, "vast-s")
		})
	}
}
