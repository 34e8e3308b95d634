package store

import "context"

// SetVersion records schema version v as applied, as a newer vastguard
// would have.
func (s *DB) SetVersion(v int) error {
	_, err := s.db.ExecContext(context.Background(), s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`), v)
	return err
}
