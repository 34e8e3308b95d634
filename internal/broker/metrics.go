package broker

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vastguard/vastguard/internal/broker/store"
)

// metrics are the broker's Prometheus series, on a registry of its own (no
// globals, so tests run brokers side by side). Labels take values from
// fixed sets only (routes, wire codes, outcomes): never a repository, a key
// name or anything else from outside, which would be unbounded, and never a
// key value.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	mints      prometheus.Counter
	denials    *prometheus.CounterVec
	revokes    prometheus.Counter
	reaped     *prometheus.CounterVec
	reconciled *prometheus.CounterVec
	vastCalls  *prometheus.CounterVec
	vastWait   *prometheus.HistogramVec
	reloads    *prometheus.CounterVec
	rules      prometheus.Gauge
	auditDrops prometheus.Counter
}

func newMetrics(st store.Store) *metrics {
	const ns = "vastguard_broker"
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "requests_total",
			Help: "HTTP requests by route and outcome (a wire error code, or ok)."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "request_duration_seconds",
			Help: "HTTP request latency by route.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"route"}),
		mints: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "keys_minted_total",
			Help: "Keys minted and handed to a workflow."}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "denials_total",
			Help: "Requests refused, by wire error code."}, []string{"code"}),
		revokes: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "keys_revoked_total",
			Help: "Keys deleted at a workflow's request."}),
		reaped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "reaps_total",
			Help: "Reaper deletes of expired keys: deleted, already_gone, failed (retried later), or refused (the Vast API rejects the management key; retried later)."}, []string{"result"}),
		reconciled: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "reconcile_actions_total",
			Help: "What reconcile did: deleted_unrecorded, deleted_interrupted, marked_gone, failed_pending, or error."}, []string{"action"}),
		vastCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "vast_calls_total",
			Help: "Calls to the Vast API by operation and outcome."}, []string{"op", "outcome"}),
		vastWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "vast_wait_seconds",
			Help: "Time a call waited for its turn under Vast's rate limits.", Buckets: []float64{0, .5, 1, 2, 5, 10, 20, 40, 60}}, []string{"op"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "policy_reloads_total",
			Help: "Policy reloads by result (ok, error; an error keeps the old policy)."}, []string{"result"}),
		rules: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "policy_rules",
			Help: "Rules in the policy in force."}),
		auditDrops: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "audit_dropped_total",
			Help: "Denials of unverified tokens not written to the audit table because they came too fast."}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.mints, m.denials, m.revokes, m.reaped, m.reconciled,
		m.vastCalls, m.vastWait, m.reloads, m.rules, m.auditDrops, &keysCollector{st: st},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// keysCollector reports the store's keys by state at scrape time.
type keysCollector struct{ st store.Store }

var keysDesc = prometheus.NewDesc("vastguard_broker_keys", "Key records by state (pending and live keys may exist in the account).", []string{"state"}, nil)

func (c *keysCollector) Describe(ch chan<- *prometheus.Desc) { ch <- keysDesc }

func (c *keysCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.st.Counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(keysDesc, err)
		return
	}
	for _, s := range []store.State{store.Pending, store.Live, store.Failed, store.Revoked, store.Reaped, store.Gone} {
		ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}
