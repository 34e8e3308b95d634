package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vastguard/vastguard/internal/broker/store"
	"github.com/vastguard/vastguard/vast"
)

// Reaper gives the broker's keys a true TTL. Reap deletes every recorded
// key whose expiry has passed (whether or not its job's post step ran, and
// whichever broker replica minted it); Reconcile compares the account's key
// list with the records. Several replicas may run reapers on one store: a
// due key is leased to one reaper at a time, and reconcile runs on the
// replica holding the "reconcile" lease.
type Reaper struct {
	b *Broker

	mu            sync.Mutex
	firstSeen     map[int64]time.Time // unrecorded keys whose list entry had no creation time
	lastReconcile time.Time
	lastPrune     time.Time
}

// ReapStats counts one Reap pass.
type ReapStats struct {
	Deleted, AlreadyGone, Failed int
}

// ReconcileStats counts one Reconcile pass.
type ReconcileStats struct {
	Skipped            bool // another replica holds the reconcile lease
	DeletedUnrecorded  int  // broker-named keys with no record, past the grace period
	DeletedInterrupted int  // keys of mints interrupted between create and record
	Waiting            int  // unrecorded keys still inside the grace period
	MarkedGone         int  // live records whose key is no longer in the account
	FailedPending      int  // pending records whose create never happened
	Failed             int  // deletes that failed (tried again next pass)
}

// batch is how many due keys one claim takes.
const batch = 16

// Run reaps every ReapInterval and reconciles every ReconcileInterval (the
// first reconcile at once) until ctx ends. Errors are logged; the loop
// never stops on them.
func (r *Reaper) Run(ctx context.Context) {
	cfg := r.b.cfg
	for ctx.Err() == nil {
		if _, err := r.Reap(ctx); err != nil && ctx.Err() == nil {
			r.b.log.Error("reap pass failed; retrying next pass", "error", oneLine(err.Error(), 300))
		}
		now := r.b.now()
		r.mu.Lock()
		due := r.lastReconcile.IsZero() || now.Sub(r.lastReconcile) >= cfg.ReconcileInterval
		prune := now.Sub(r.lastPrune) >= 24*time.Hour
		r.mu.Unlock()
		if due {
			if _, err := r.Reconcile(ctx); err != nil && ctx.Err() == nil {
				r.b.log.Error("reconcile failed; retrying next interval", "error", oneLine(err.Error(), 300))
			}
		}
		if prune {
			r.prune(ctx)
		}
		if err := r.b.sleep(ctx, cfg.ReapInterval); err != nil {
			return
		}
	}
}

// backoff is the wait before deleting a key again after n failures.
func backoff(n int) time.Duration {
	d := 30 * time.Second << min(n, 5)
	return min(d, 15*time.Minute)
}

// Reap deletes the keys due now, in batches, until none is left or ctx
// ends. A key whose delete fails is retried with backoff on a later pass.
func (r *Reaper) Reap(ctx context.Context) (ReapStats, error) {
	b := r.b
	var st ReapStats
	for range 1000 { // bounded: 16 000 keys a pass
		now := b.now()
		keys, err := b.store.ClaimDue(ctx, b.replica, now, b.cfg.Lease, batch)
		if err != nil {
			return st, fmt.Errorf("claim due keys: %w", err)
		}
		for _, k := range keys {
			r.reapOne(ctx, k, &st)
		}
		if len(keys) < batch || ctx.Err() != nil {
			break
		}
	}
	return st, ctx.Err()
}

func (r *Reaper) reapOne(ctx context.Context, k store.Key, st *ReapStats) {
	b := r.b
	dctx, cancel := context.WithTimeout(ctx, b.cfg.Lease/2)
	err := b.vast.DeleteKey(dctx, k.VastID)
	cancel()
	now := b.now()
	result := "deleted"
	// Only the API's own 404 "API Key not found." means gone (vast.DeletionOf):
	// a 404 auth_error is the management key revoked, and the key lives on.
	switch vast.DeletionOf(err) {
	case vast.Deleted:
		st.Deleted++
	case vast.AlreadyGone:
		result = "already_gone"
		st.AlreadyGone++
	default:
		st.Failed++
		next := now.Add(backoff(k.Attempts))
		if rejected(err) {
			b.metrics.reaped.WithLabelValues("refused").Inc()
			b.log.Error(managementKeyRejected, "key_id", k.VastID, "name", k.Name, "repository", k.Repository, "expired", k.ExpiresAt.Format(time.RFC3339), "attempts", k.Attempts+1, "next_try", next.Format(time.RFC3339), "error", oneLine(err.Error(), 300))
		} else {
			b.metrics.reaped.WithLabelValues("failed").Inc()
			b.log.Error("could not delete an expired key; will retry", "key_id", k.VastID, "name", k.Name, "repository", k.Repository, "expired", k.ExpiresAt.Format(time.RFC3339), "attempts", k.Attempts+1, "next_try", next.Format(time.RFC3339), "error", oneLine(err.Error(), 300))
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rerr := b.store.Retry(wctx, k.VastID, b.replica, next, oneLine(err.Error(), 500)); rerr != nil {
			b.log.Error("could not record a failed delete (the lease runs out and the key is retried)", "key_id", k.VastID, "error", oneLine(rerr.Error(), 300))
		}
		b.record(ctx, store.Event{Event: store.EventReapFailed, Repository: k.Repository, RunID: k.RunID, VastID: k.VastID, KeyName: k.Name, Rule: k.Rule, Code: vastOutcome(err), Message: oneLine(err.Error(), 500)})
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := b.store.End(wctx, k.VastID, "", store.Reaped, now); err != nil {
		// The key is deleted; the next claim deletes it again (404) and
		// closes the record.
		b.log.Error("key deleted but its record could not be closed", "key_id", k.VastID, "error", oneLine(err.Error(), 300))
	}
	b.metrics.reaped.WithLabelValues(result).Inc()
	b.log.Info("expired key reaped", "key_id", k.VastID, "name", k.Name, "repository", k.Repository, "run_id", k.RunID, "expired", k.ExpiresAt.Format(time.RFC3339), "result", result)
	b.record(ctx, store.Event{Event: store.EventReap, Repository: k.Repository, RunID: k.RunID, VastID: k.VastID, KeyName: k.Name, Rule: k.Rule, Message: result})
}

// Reconcile lists the account's keys and settles every difference with the
// records:
//   - a key with the broker's name and no open record is deleted once it is
//     older than the grace period (its record was lost, or it was minted by
//     a broker whose database this is not), loudly logged;
//   - a key whose mint was interrupted between the create and the record
//     (its record is still pending past the grace period) is deleted: its
//     value was never handed out;
//   - a live record whose key is no longer listed is closed as gone;
//   - a pending record past the grace period with no key is closed as
//     failed.
func (r *Reaper) Reconcile(ctx context.Context) (ReconcileStats, error) {
	b := r.b
	var st ReconcileStats
	now := b.now()
	r.mu.Lock()
	r.lastReconcile = now
	r.mu.Unlock()
	ok, err := b.store.Lease(ctx, "reconcile", b.replica, now, b.cfg.ReconcileInterval)
	if err != nil {
		b.metrics.reconciled.WithLabelValues("error").Inc()
		return st, fmt.Errorf("reconcile lease: %w", err)
	}
	if !ok {
		st.Skipped = true
		return st, nil
	}
	// Read the records first: a key minted between the two reads is then
	// listed without its record, and the grace period covers it.
	open, err := b.store.OpenKeys(ctx)
	if err != nil {
		b.metrics.reconciled.WithLabelValues("error").Inc()
		return st, fmt.Errorf("read open keys: %w", err)
	}
	// The whole list or nothing: a key missing from a list that could not
	// be read (or was only part of the list, vast.ErrPartialList) is not
	// marked gone.
	listed, err := b.vast.ListKeys(ctx)
	if err != nil {
		b.metrics.reconciled.WithLabelValues("error").Inc()
		if rejected(err) {
			return st, fmt.Errorf("%s: list the account's keys: %w", managementKeyRejected, err)
		}
		return st, fmt.Errorf("list the account's keys: %w", err)
	}
	byID := map[int64]store.Key{}
	byName := map[string]store.Key{}
	for _, k := range open {
		if k.VastID != 0 {
			byID[k.VastID] = k
		}
		byName[k.Name] = k
	}
	seen := map[string]bool{}
	present := map[int64]bool{}
	for _, lk := range listed {
		present[lk.ID] = true
		if rec, ok := byID[lk.ID]; ok {
			seen[rec.Name] = true
			continue
		}
		if !b.namer.Minted(lk.Name) {
			continue
		}
		if rec, ok := byName[lk.Name]; ok && rec.State == store.Pending {
			seen[rec.Name] = true
			if now.Sub(rec.CreatedAt) < b.cfg.Grace {
				continue // the mint may still be under way
			}
			if r.delete(ctx, lk, "deleting the key of a mint interrupted between create and record (its value was never handed out)", &st) {
				st.DeletedInterrupted++
				b.metrics.reconciled.WithLabelValues("deleted_interrupted").Inc()
				b.store.End(ctx, 0, rec.Name, store.Gone, now)
			}
			continue
		}
		age, known := r.age(lk, now)
		if !known || age < b.cfg.Grace {
			st.Waiting++
			b.log.Warn("a key with the broker's name has no record; it will be deleted when older than the grace period", "key_id", lk.ID, "name", lk.Name, "grace", b.cfg.Grace.String())
			continue
		}
		if r.delete(ctx, lk, "DELETING A KEY WITH THE BROKER'S NAME AND NO RECORD (a lost record, or another broker on this account with its own database)", &st) {
			st.DeletedUnrecorded++
			b.metrics.reconciled.WithLabelValues("deleted_unrecorded").Inc()
		}
	}
	for _, rec := range open {
		if seen[rec.Name] || present[rec.VastID] || now.Sub(rec.CreatedAt) < b.cfg.Grace {
			continue
		}
		switch rec.State {
		case store.Live:
			if ok, _ := b.store.End(ctx, rec.VastID, "", store.Gone, now); ok {
				st.MarkedGone++
				b.metrics.reconciled.WithLabelValues("marked_gone").Inc()
				b.log.Warn("a live key is no longer in the account (deleted outside the broker)", "key_id", rec.VastID, "name", rec.Name, "repository", rec.Repository)
				b.record(ctx, store.Event{Event: store.EventReconcile, Repository: rec.Repository, RunID: rec.RunID, VastID: rec.VastID, KeyName: rec.Name, Rule: rec.Rule, Code: "marked_gone", Message: "the key was deleted outside the broker"})
			}
		case store.Pending:
			if err := b.store.Fail(ctx, rec.Name, "the create never completed: no such key in the account", now); err == nil {
				st.FailedPending++
				b.metrics.reconciled.WithLabelValues("failed_pending").Inc()
				b.record(ctx, store.Event{Event: store.EventReconcile, Repository: rec.Repository, RunID: rec.RunID, KeyName: rec.Name, Rule: rec.Rule, Code: "failed_pending", Message: "no key of that name exists"})
			}
		}
	}
	r.mu.Lock()
	for id := range r.firstSeen {
		if !present[id] {
			delete(r.firstSeen, id)
		}
	}
	r.mu.Unlock()
	return st, nil
}

// age is how long an unrecorded key has existed: from its creation time
// when the list gives one, else from when this reaper first saw it.
func (r *Reaper) age(k vast.Key, now time.Time) (time.Duration, bool) {
	if !k.CreatedAt.IsZero() {
		return now.Sub(k.CreatedAt), true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	first, ok := r.firstSeen[k.ID]
	if !ok {
		r.firstSeen[k.ID] = now
		return 0, false
	}
	return now.Sub(first), true
}

func (r *Reaper) delete(ctx context.Context, k vast.Key, why string, st *ReconcileStats) bool {
	b := r.b
	dctx, cancel := context.WithTimeout(ctx, b.cfg.Lease/2)
	err := b.vast.DeleteKey(dctx, k.ID)
	cancel()
	if vast.DeletionOf(err) == vast.DeleteFailed {
		st.Failed++
		b.metrics.reconciled.WithLabelValues("error").Inc()
		msg := "reconcile could not delete a key; will retry"
		if rejected(err) {
			msg = managementKeyRejected
		}
		b.log.Error(msg, "key_id", k.ID, "name", k.Name, "why", why, "error", oneLine(err.Error(), 300))
		return false
	}
	b.log.Error(why, "key_id", k.ID, "name", k.Name, "created", k.CreatedAt.Format(time.RFC3339))
	b.record(ctx, store.Event{Event: store.EventReconcile, VastID: k.ID, KeyName: k.Name, Code: "deleted", Message: why})
	return true
}

// managementKeyRejected is the log message when the Vast API does not take
// the broker's management key: revoked or reset in the console (Vast
// answers 401, or 404 or 403 auth_error), or its account now wants a 2FA
// session. No key can be deleted until the operator replaces it.
const managementKeyRejected = "THE VAST API REJECTS THE BROKER'S MANAGEMENT KEY (revoked, reset, or its account wants 2FA): expired keys are NOT being deleted and stay live until the operator replaces it"

// rejected reports whether err says the management key itself is not
// accepted, as opposed to a failure of one call.
func rejected(err error) bool {
	return errors.Is(err, vast.ErrUnauthorized) || errors.Is(err, vast.ErrTwoFactor)
}

func (r *Reaper) prune(ctx context.Context) {
	b := r.b
	now := b.now()
	n, err := b.store.Prune(ctx, now.Add(-b.cfg.AuditRetention))
	if err != nil {
		if ctx.Err() == nil { // a stopping broker has not failed
			b.log.Error("audit prune failed", "error", oneLine(err.Error(), 300))
		}
		return
	}
	r.mu.Lock()
	r.lastPrune = now
	r.mu.Unlock()
	if n > 0 {
		b.log.Info("pruned old audit rows and ended key records", "rows", n, "retention", b.cfg.AuditRetention.String())
	}
}
