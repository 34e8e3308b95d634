package vasttest

import (
	"net"
	"net/http"
	"slices"
	"time"
)

// AuditEntry is one line of an account's audit log, with the fields the
// CLI displays (vastai/cli/display.py audit_log_fields).
type AuditEntry struct {
	IP    string    // ip_address
	KeyID int64     // api_key_id; 0 is written as null (a console session)
	Time  time.Time // created_at
	Route string    // api_route: the path called (the CLI's mock shows "/test")
	Args  string    // args: the request's JSON body as a string (the mock shows "{}")
}

// maxAudit bounds the entries kept per account; the oldest go first.
const maxAudit = 10000

// recordLocked adds the call r by caller to its account's audit log.
func (s *Server) recordLocked(r *http.Request, caller *Key, body []byte) {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	args := string(body)
	if args == "" {
		args = "{}"
	}
	s.appendAuditLocked(caller.UserID, AuditEntry{IP: ip, KeyID: caller.ID, Time: s.now().UTC(), Route: r.URL.Path, Args: args})
}

func (s *Server) appendAuditLocked(userID int64, e AuditEntry) {
	log := append(s.audit[userID], e)
	if len(log) > maxAudit {
		log = log[len(log)-maxAudit:]
	}
	s.audit[userID] = log
}

// AddAuditEntry seeds an account's audit log, e.g. with what a leaked key
// did from other IPs (instances created, billing read).
func (s *Server) AddAuditEntry(userID int64, e AuditEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appendAuditLocked(userID, e)
}

// AuditLog returns an account's audit log, oldest first.
func (s *Server) AuditLog(userID int64) []AuditEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.audit[userID])
}

// auditLog answers GET /api/v0/audit_logs/: a bare list (the CLI's live
// test asserts a list), newest first. The read itself is recorded before
// the answer is built, so it is the first entry.
func (s *Server) auditLog(w *recorder, caller *Key) {
	log := s.audit[caller.UserID]
	out := make([]map[string]any, 0, len(log))
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		var created any = float64(e.Time.UnixNano()) / 1e9
		if s.auditTimes == "iso" {
			created = e.Time.UTC().Format("2006-01-02T15:04:05.000000")
		}
		var keyID any
		if e.KeyID != 0 {
			keyID = e.KeyID
		}
		out = append(out, map[string]any{
			"ip_address": e.IP,
			"api_key_id": keyID,
			"created_at": created,
			"api_route":  e.Route,
			"args":       e.Args,
		})
	}
	w.json(http.StatusOK, out)
}
