-- Every key the broker minted or tried to mint, and its fate.
CREATE TABLE keys (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT,
	vast_id         INTEGER UNIQUE,            -- NULL while pending
	name            TEXT    NOT NULL UNIQUE,
	repository      TEXT    NOT NULL,
	run_id          INTEGER NOT NULL,
	run_attempt     INTEGER NOT NULL,
	rule            TEXT    NOT NULL,
	permissions     TEXT    NOT NULL,
	subject         TEXT    NOT NULL,          -- the token's sub: who asked
	actor           TEXT    NOT NULL,
	claims          TEXT    NOT NULL,          -- the token's verified claims as JSON; never the token
	created_at      INTEGER NOT NULL,          -- Unix milliseconds, as every time here
	expires_at      INTEGER NOT NULL,
	state           TEXT    NOT NULL,          -- pending, live, failed, revoked, reaped, gone
	ended_at        INTEGER,
	lease_owner     TEXT,
	lease_until     INTEGER,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX keys_due ON keys (state, expires_at);
CREATE INDEX keys_repository ON keys (repository, state);

-- Every mint, revoke, denial and reap.
CREATE TABLE audit (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	at         INTEGER NOT NULL,
	event      TEXT    NOT NULL,
	repository TEXT    NOT NULL DEFAULT '',
	run_id     INTEGER NOT NULL DEFAULT 0,
	vast_id    INTEGER NOT NULL DEFAULT 0,
	key_name   TEXT    NOT NULL DEFAULT '',
	rule       TEXT    NOT NULL DEFAULT '',
	code       TEXT    NOT NULL DEFAULT '',
	message    TEXT    NOT NULL DEFAULT '',
	claims     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at);

-- Named leases: one replica at a time reconciles.
CREATE TABLE leases (
	name  TEXT    PRIMARY KEY,
	owner TEXT    NOT NULL,
	until INTEGER NOT NULL
);
