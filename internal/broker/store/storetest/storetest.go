// Package storetest gives tests a fresh store DSN: a SQLite file, or a database
// of its own in the PostgreSQL that .ci/postgres starts.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// PostgresEnv names the environment variable holding the DSN of a
// PostgreSQL that tests may create databases in (.ci/postgres sets it).
const PostgresEnv = "VASTGUARD_TEST_POSTGRES"

// TB is the part of testing.TB the helpers need.
type TB interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// TestSQLite returns the DSN of a fresh SQLite file for one test.
func TestSQLite(tb TB) string {
	tb.Helper()
	return "sqlite:" + filepath.Join(tb.TempDir(), "broker.db")
}

// TestPostgres creates an empty database for one test in the PostgreSQL
// named by PostgresEnv, drops it when the test ends, and returns its DSN.
// It skips the test when PostgresEnv is unset.
func TestPostgres(tb TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skipf("%s is not set (run the tests under .ci/postgres run)", PostgresEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := fmt.Sprintf("t_%x", b)
	if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		admin.Close()
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() {
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}
