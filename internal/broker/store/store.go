// Package store is the broker's memory: every key it minted (so that each
// is deleted at its expiry even if the job, or the broker, died), and an
// audit table of every mint, revoke, denial and reap.
//
// Two backends sit behind one database/sql implementation: SQLite
// (modernc.org/sqlite, pure Go, so the binary stays static) for one broker,
// and PostgreSQL (pgx) for several replicas sharing state. Migrations are
// embedded and run at Open, under an advisory lock on PostgreSQL so replicas
// starting together do not race.
//
// Several reapers may share a store: ClaimDue hands each due key to one
// caller at a time under a lease (on PostgreSQL the claim uses SELECT ...
// FOR UPDATE SKIP LOCKED, so concurrent claims never block on or take each
// other's rows; SQLite serialises writers). A reaper that dies mid-delete
// loses its lease when it expires and another takes the key over, so none is
// missed. The per-repository live-key limit is checked and the new record
// inserted in one transaction, serialised per repository (an advisory
// transaction lock on PostgreSQL, an immediate transaction on SQLite).
//
// Times are stored as Unix milliseconds. store never sees a key's value or
// a token. It imports nothing of the project's.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// State is where a key is in its life.
type State string

const (
	Pending State = "pending" // recorded before the Vast create; the create not settled yet
	Live    State = "live"    // created; the reaper deletes it at ExpiresAt
	Failed  State = "failed"  // the create failed; no key exists
	Revoked State = "revoked" // deleted at the job's request
	Reaped  State = "reaped"  // deleted by the reaper at its expiry
	Gone    State = "gone"    // deleted by reconcile, or found deleted outside the broker
)

// Open states hold a key that may exist.
func (s State) Open() bool { return s == Pending || s == Live }

// Key is the record of one minted key.
type Key struct {
	Seq           int64
	VastID        int64 // 0 while pending
	Name          string
	Repository    string
	RunID         int64
	RunAttempt    int64
	Rule          string
	Permissions   string // canonical JSON
	Subject       string
	Actor         string
	Claims        string // verified claims, JSON
	CreatedAt     time.Time
	ExpiresAt     time.Time
	State         State
	EndedAt       time.Time // zero while open
	Attempts      int       // failed deletes so far
	NextAttemptAt time.Time
	LastError     string
}

// Event kinds of the audit table.
const (
	EventMint       = "mint"
	EventMintFailed = "mint_failed"
	EventDeny       = "deny"
	EventRevoke     = "revoke"
	EventReap       = "reap"
	EventReapFailed = "reap_failed"
	EventReconcile  = "reconcile"
)

// Event is one audit row.
type Event struct {
	Seq        int64
	At         time.Time
	Event      string
	Repository string
	RunID      int64
	VastID     int64
	KeyName    string
	Rule       string
	Code       string
	Message    string
	Claims     string // verified claims as JSON, "" when there were none
}

// Errors callers branch on.
var (
	ErrNotFound = errors.New("store: no such key")
	ErrLimit    = errors.New("store: the repository has its maximum of live keys")
	ErrConflict = errors.New("store: the key is not in the expected state")
)

// Store is what the broker needs; *DB implements it. Every method takes the
// time it acts at from the caller, so tests drive the clock.
type Store interface {
	// Reserve records k as pending, unless its repository already has
	// maxLive open keys (ErrLimit).
	Reserve(ctx context.Context, k Key, maxLive int) error
	// Activate makes the pending key named name live with its Vast id.
	// ErrConflict if it is no longer pending.
	Activate(ctx context.Context, name string, vastID int64) error
	// Fail ends a pending key whose create failed.
	Fail(ctx context.Context, name, reason string, at time.Time) error
	// Note sets the last error of an open key by name.
	Note(ctx context.Context, name, reason string) error
	// Key returns the record of a Vast key id (ErrNotFound).
	Key(ctx context.Context, vastID int64) (Key, error)
	// End moves an open key (by Vast id, or by name when vastID is 0) to
	// state. It reports false if the key had already ended.
	End(ctx context.Context, vastID int64, name string, state State, at time.Time) (bool, error)
	// ClaimDue leases up to limit live keys expired by now, for owner.
	ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Key, error)
	// Retry records a failed delete by owner and when to try again.
	Retry(ctx context.Context, vastID int64, owner string, next time.Time, reason string) error
	// OpenKeys returns every pending or live key.
	OpenKeys(ctx context.Context) ([]Key, error)
	// Counts returns how many keys are in each state.
	Counts(ctx context.Context) (map[State]int, error)
	// Lease takes or renews the named lease for owner until now+ttl; false
	// if another owner holds it.
	Lease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error)
	// Record appends an audit event.
	Record(ctx context.Context, e Event) error
	// Events returns audit events in order, at most limit (0: all).
	Events(ctx context.Context, limit int) ([]Event, error)
	// Prune removes audit events and ended keys older than before.
	Prune(ctx context.Context, before time.Time) (int64, error)
	Ping(ctx context.Context) error
	Close() error
}

//go:embed migrations
var migrations embed.FS

type dialect struct {
	name   string
	dollar bool // placeholders are $1, $2, ...
	// skipLocked ends the claim's subquery.
	skipLocked string
	// lockRepository serialises Reserve per repository inside tx.
	lockRepository func(ctx context.Context, tx *sql.Tx, repo string) error
}

var sqliteDialect = dialect{
	name:           "sqlite",
	lockRepository: func(context.Context, *sql.Tx, string) error { return nil }, // the immediate transaction holds the write lock
}

var postgresDialect = dialect{
	name:       "postgres",
	dollar:     true,
	skipLocked: " FOR UPDATE SKIP LOCKED",
	lockRepository: func(ctx context.Context, tx *sql.Tx, repo string) error {
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "vastguard-broker:"+repo)
		return err
	},
}

// migrationLockID is the PostgreSQL advisory lock held while migrating.
const migrationLockID = 0x76677262 // "vgrb"

// DB is a Store on SQLite or PostgreSQL.
type DB struct {
	db *sql.DB
	d  dialect
}

var _ Store = (*DB)(nil)

// Open opens and migrates the store named by dsn:
//
//	sqlite:PATH            a file (created 0600 if missing), e.g. sqlite:/var/lib/vastguard/broker.db
//	postgres://USER@HOST/DB?sslmode=...   (or postgresql://), as pgx reads it
//
// Errors never show a password from the DSN.
func Open(ctx context.Context, dsn string) (*DB, error) {
	dsn = strings.TrimSpace(dsn)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if p == "" || strings.ContainsAny(p, "?#") {
			return nil, fmt.Errorf("store: %q: give a file path after sqlite: (without ? or #)", dsn)
		}
		if f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		} else {
			f.Close()
		}
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		db, err := sql.Open("sqlite", "file:"+p+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		// One connection: writers are serialised by SQLite anyway, and it
		// keeps SQLITE_BUSY out of one process. Other processes on the same
		// file wait through busy_timeout.
		db.SetMaxOpenConns(1)
		return open(ctx, db, sqliteDialect, "sqlite:"+p)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		shown := dsn
		if u, err := url.Parse(dsn); err == nil {
			shown = u.Redacted()
		} else {
			return nil, errors.New("store: the postgres DSN is not a URL")
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %s", shown, scrub(err, dsn))
		}
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(4)
		db.SetConnMaxIdleTime(5 * time.Minute)
		return open(ctx, db, postgresDialect, shown)
	}
	return nil, fmt.Errorf("store: %q: use sqlite:PATH or postgres://USER@HOST/DB", redactDSN(dsn))
}

func open(ctx context.Context, db *sql.DB, d dialect, shown string) (*DB, error) {
	s := &DB{db: db, d: d}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: cannot reach %s: %s", shown, scrub(err, shown))
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", shown, err)
	}
	return s, nil
}

// redactDSN hides anything after "://user:" in a DSN of unknown shape.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	if len(dsn) > 80 {
		return dsn[:80] + "..."
	}
	return dsn
}

// scrub removes a password that a driver error may quote.
func scrub(err error, dsn string) string {
	msg := err.Error()
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return strings.Join(strings.Fields(msg), " ")
}

// q rewrites ? placeholders for the dialect.
func (s *DB) q(query string) string {
	if !s.d.dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *DB) migrate(ctx context.Context) error {
	dir := "migrations/" + s.d.name
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	type mig struct {
		version int
		sql     string
	}
	var all []mig
	for _, e := range entries {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: no version number", e.Name())
		}
		b, err := migrations.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		all = append(all, mig{v, string(b)})
	}
	slices.SortFunc(all, func(a, b mig) int { return a.version - b.version })

	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.d.name == "postgres" {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockID)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	for _, m := range all {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			tx.Rollback()
			return err
		}
		if latest := all[len(all)-1].version; current > latest {
			tx.Rollback()
			return fmt.Errorf("the database is at schema version %d, newer than this vastguard knows (%d); run a newer vastguard", current, latest)
		}
		if current >= m.version {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", m.version, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), m.version, time.Now().UnixMilli()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", m.version, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", m.version, err)
		}
	}
	return nil
}

// Version returns the schema version.
func (s *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// Dialect is "sqlite" or "postgres".
func (s *DB) Dialect() string { return s.d.name }

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

const keyColumns = `seq, vast_id, name, repository, run_id, run_attempt, rule, permissions, subject, actor, claims, created_at, expires_at, state, ended_at, attempts, next_attempt_at, last_error`

type scanner interface{ Scan(...any) error }

func scanKey(r scanner) (Key, error) {
	var k Key
	var vastID, ended sql.NullInt64
	var created, expires, next int64
	var state string
	if err := r.Scan(&k.Seq, &vastID, &k.Name, &k.Repository, &k.RunID, &k.RunAttempt, &k.Rule, &k.Permissions, &k.Subject, &k.Actor, &k.Claims, &created, &expires, &state, &ended, &k.Attempts, &next, &k.LastError); err != nil {
		return Key{}, err
	}
	k.VastID = vastID.Int64
	k.CreatedAt, k.ExpiresAt, k.EndedAt, k.NextAttemptAt = fromMS(created), fromMS(expires), fromMS(ended.Int64), fromMS(next)
	k.State = State(state)
	return k, nil
}

func (s *DB) Reserve(ctx context.Context, k Key, maxLive int) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.d.lockRepository(ctx, tx, k.Repository); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM keys WHERE repository = ? AND state IN ('pending', 'live')`), k.Repository).Scan(&n); err != nil {
		return err
	}
	if n >= maxLive {
		return fmt.Errorf("%w (%d of %d)", ErrLimit, n, maxLive)
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO keys (name, repository, run_id, run_attempt, rule, permissions, subject, actor, claims, created_at, expires_at, state, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0)`),
		k.Name, k.Repository, k.RunID, k.RunAttempt, k.Rule, k.Permissions, k.Subject, k.Actor, k.Claims, ms(k.CreatedAt), ms(k.ExpiresAt))
	if err != nil {
		return err
	}
	return tx.Commit()
}

func (s *DB) Activate(ctx context.Context, name string, vastID int64) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE keys SET state = 'live', vast_id = ? WHERE name = ? AND state = 'pending'`), vastID, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrConflict
	}
	return nil
}

func (s *DB) Fail(ctx context.Context, name, reason string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE keys SET state = 'failed', ended_at = ?, last_error = ? WHERE name = ? AND state = 'pending'`), ms(at), reason, name)
	return err
}

func (s *DB) Note(ctx context.Context, name, reason string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE keys SET last_error = ? WHERE name = ? AND state IN ('pending', 'live')`), reason, name)
	return err
}

func (s *DB) Key(ctx context.Context, vastID int64) (Key, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, s.q(`SELECT `+keyColumns+` FROM keys WHERE vast_id = ?`), vastID))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, ErrNotFound
	}
	return k, err
}

func (s *DB) End(ctx context.Context, vastID int64, name string, state State, at time.Time) (bool, error) {
	where, arg := `vast_id = ?`, any(vastID)
	if vastID == 0 {
		where, arg = `name = ?`, name
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE keys SET state = ?, ended_at = ?, lease_owner = NULL, lease_until = NULL WHERE `+where+` AND state IN ('pending', 'live')`), string(state), ms(at), arg)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (s *DB) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Key, error) {
	t := ms(now)
	rows, err := s.db.QueryContext(ctx, s.q(`UPDATE keys SET lease_owner = ?, lease_until = ?
		WHERE seq IN (SELECT seq FROM keys
			WHERE state = 'live' AND expires_at <= ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY expires_at LIMIT ?`+s.d.skipLocked+`)
		RETURNING `+keyColumns), owner, ms(now.Add(lease)), t, t, t, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Key) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
	return out, rows.Err()
}

func (s *DB) Retry(ctx context.Context, vastID int64, owner string, next time.Time, reason string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE keys SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL
		WHERE vast_id = ? AND state = 'live' AND lease_owner = ?`), ms(next), reason, vastID, owner)
	return err
}

func (s *DB) OpenKeys(ctx context.Context) ([]Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyColumns+` FROM keys WHERE state IN ('pending', 'live') ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *DB) Counts(ctx context.Context) (map[State]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM keys GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[State(st)] = n
	}
	return out, rows.Err()
}

func (s *DB) Lease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE leases.until <= ? OR leases.owner = excluded.owner`), name, owner, ms(now.Add(ttl)), ms(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *DB) Record(ctx context.Context, e Event) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO audit (at, event, repository, run_id, vast_id, key_name, rule, code, message, claims) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		ms(e.At), e.Event, e.Repository, e.RunID, e.VastID, e.KeyName, e.Rule, e.Code, e.Message, e.Claims)
	return err
}

func (s *DB) Events(ctx context.Context, limit int) ([]Event, error) {
	query := `SELECT seq, at, event, repository, run_id, vast_id, key_name, rule, code, message, claims FROM audit ORDER BY seq`
	if limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Event, &e.Repository, &e.RunID, &e.VastID, &e.KeyName, &e.Rule, &e.Code, &e.Message, &e.Claims); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *DB) Prune(ctx context.Context, before time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	a, err := tx.ExecContext(ctx, s.q(`DELETE FROM audit WHERE at < ?`), ms(before))
	if err != nil {
		return 0, err
	}
	k, err := tx.ExecContext(ctx, s.q(`DELETE FROM keys WHERE state NOT IN ('pending', 'live') AND ended_at < ?`), ms(before))
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	na, _ := a.RowsAffected()
	nk, _ := k.RowsAffected()
	return na + nk, nil
}

func (s *DB) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *DB) Close() error { return s.db.Close() }
