package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// WriteJSON writes the report as one JSON document:
// {"version":1,"findings":[...],"stats":{...}}. Keys never appear in it.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Tool describes the program for SARIF.
type Tool struct {
	Name           string // "vastguard"
	Version        string
	InformationURI string
}

// sarif types: the subset of SARIF 2.1.0 GitHub code scanning reads.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool       `json:"tool"`
	AutomationDetails sarifAutomation `json:"automationDetails"`
	Results           []sarifResult   `json:"results"`
	ColumnKind        string          `json:"columnKind"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	Version         string      `json:"version,omitempty"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	InformationURI  string      `json:"informationUri,omitempty"`
	Rules           []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifText         `json:"help"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProperty struct {
	Tags             []string `json:"tags"`
	Precision        string   `json:"precision"`
	ProblemSeverity  string   `json:"problem.severity"`
	SecuritySeverity string   `json:"security-severity"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifAL     `json:"artifactLocation"`
	Region           sarifRegion `json:"region"`
}

type sarifAL struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

// MessageURI is the artifact URI given to findings in commit and tag
// messages, which have no file: the file git writes a message to.
const MessageURI = ".git/COMMIT_EDITMSG"

// SARIF returns the report as a SARIF 2.1.0 log for GitHub code scanning:
// one run, every detector as a rule, repository-relative URIs, and
// partialFingerprints derived from the key's hash and the path, so an alert
// keeps its identity when lines move. No key appears in it.
func SARIF(r *Report, tool Tool, detectors []Detector) ([]byte, error) {
	if detectors == nil {
		detectors = Detectors
	}
	run := sarifRun{
		Tool:              sarifTool{Driver: sarifDriver{Name: tool.Name, Version: tool.Version, InformationURI: tool.InformationURI}},
		AutomationDetails: sarifAutomation{ID: tool.Name + "/"},
		Results:           []sarifResult{},
		ColumnKind:        "utf16CodeUnits",
	}
	if v := strings.TrimPrefix(tool.Version, "v"); isSemver(v) {
		run.Tool.Driver.SemanticVersion = v
	}
	ruleIndex := map[string]int{}
	for i, d := range detectors {
		ruleIndex[d.ID] = i
		level, precision, sev := "error", "high", "9.0"
		if d.Confidence == Medium {
			level, precision, sev = "warning", "medium", "7.0"
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   d.ID,
			Name:                 sarifRuleName(d.ID),
			ShortDescription:     sarifText{Text: "Vast.ai API key: " + d.Name},
			FullDescription:      sarifText{Text: d.Description},
			Help:                 sarifText{Text: helpText, Markdown: helpMarkdown},
			DefaultConfiguration: sarifRuleConfig{Level: level},
			Properties: sarifRuleProperty{
				Tags:             []string{"security", "secret", "vast.ai", "external/cwe/cwe-798"},
				Precision:        precision,
				ProblemSeverity:  level,
				SecuritySeverity: sev,
			},
		})
	}
	for _, f := range r.Findings {
		idx, ok := ruleIndex[f.Rule]
		if !ok {
			return nil, fmt.Errorf("finding with unknown rule %q", f.Rule)
		}
		level := "error"
		if f.Confidence == Medium {
			level = "warning"
		}
		uri := MessageURI
		switch {
		case f.Source == SourceUnreachable && len(f.Blob) > 2:
			uri = ".git/objects/" + f.Blob[:2] + "/" + f.Blob[2:]
		case f.Path != "":
			uri = sarifURI(f.Path)
		}
		line := max(f.Line, 1)
		col := max(f.Column, 1)
		props := map[string]any{
			"key_sha256":   f.KeySHA256,
			"redacted":     f.Redacted,
			"commit":       f.Commit,
			"source":       f.Source,
			"confidence":   string(f.Confidence),
			"verification": f.Verification,
		}
		if f.Author != "" {
			props["author"] = f.Author
		}
		if !f.Date.IsZero() {
			props["date"] = f.Date.UTC().Format(time.RFC3339)
		}
		if f.Ref != "" {
			props["ref"] = f.Ref
		}
		if f.Why != nil {
			props["why"] = f.Why.String()
			if f.Why.BoundTo != "" {
				props["bound_to"] = f.Why.BoundTo
			}
		}
		run.Results = append(run.Results, sarifResult{
			RuleID:    f.Rule,
			RuleIndex: idx,
			Level:     level,
			Message:   sarifText{Text: findingMessage(f)},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifAL{URI: uri},
				Region:           sarifRegion{StartLine: line, StartColumn: col, EndLine: line, EndColumn: col + KeyLength},
			}}},
			PartialFingerprints: map[string]string{
				"primaryLocationLineHash": fingerprint(f) + ":1",
				"vastguardKeyPath/v1":     fingerprint(f),
			},
			Properties: props,
		})
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
	return json.MarshalIndent(log, "", "  ")
}

// WriteSARIF writes SARIF(r, tool, detectors) to w.
func WriteSARIF(w io.Writer, r *Report, tool Tool, detectors []Detector) error {
	b, err := SARIF(r, tool, detectors)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// fingerprint identifies a finding by its key and path, not its line, so
// edits around it keep the alert's identity.
func fingerprint(f Finding) string {
	s := sha256.Sum256([]byte(f.KeySHA256 + "\x00" + f.Source + "\x00" + f.Path))
	return hex.EncodeToString(s[:16])
}

// sarifURI escapes a repository path as a relative URI reference: each
// segment percent-encoded (spaces, #, ?, %), slashes kept.
func sarifURI(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func sarifRuleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func isSemver(v string) bool {
	parts := strings.SplitN(strings.SplitN(v, "-", 2)[0], ".", 3)
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

const helpText = "A Vast.ai API key is committed to this repository's history. Vast keys never expire, and deleting the file does not remove the key from git history: every clone keeps it. Revoke the key now (vastguard revoke, or Vast console > Keys > Delete), create a new one with only the permissions it needs, store it as a CI secret, and only then clean the history if you must. Resolving this alert does not make the key safe; revoking it does."

const helpMarkdown = "A Vast.ai API key is committed to this repository's history. **Vast keys never expire**, and deleting the file does not remove the key from git history: every clone keeps it.\n\n1. Revoke the key now: `vastguard revoke` (reads the key from stdin), or Vast console > Keys > Delete.\n2. Create a replacement with only the permissions it needs, and store it as a CI secret (or mint short-lived keys with the vastguard action).\n3. Only then rewrite history if you must.\n\nClosing this alert does not make the key safe; revoking it does."

// findingMessage is the one-line description of a finding used in SARIF,
// annotations and summaries. It names the key only by its redacted form and
// hash prefix.
func findingMessage(f Finding) string {
	where := "in " + f.Path
	switch f.Source {
	case SourceCommitMessage:
		where = "in the message of commit " + short(f.Commit)
	case SourceTagMessage:
		where = "in the message of tag " + f.Tag
	case SourceStaged:
		where = "staged in " + f.Path
	case SourceUnreachable:
		where = "in blob " + short(f.Blob) + ", which no branch or tag reaches (it is still in this clone's objects)"
		if f.Commit != "" {
			where = "in the message of commit " + short(f.Commit) + ", which no branch or tag reaches"
		}
	}
	msg := fmt.Sprintf("Vast.ai API key %s (sha256 %s) %s", f.Redacted, f.KeySHA256[:12], where)
	if f.Why != nil && f.Why.BoundTo != "" {
		msg += ", bound to " + f.Why.BoundTo
	}
	if f.Source == SourceFile && f.Commit != "" {
		msg += fmt.Sprintf(", committed in %s", short(f.Commit))
		if f.Author != "" {
			msg += " by " + f.Author
		}
		if !f.Date.IsZero() {
			msg += " on " + f.Date.UTC().Format("2006-01-02")
		}
	}
	switch f.Verification {
	case Live:
		msg += ". The key is LIVE: revoke it now."
	case Invalid:
		msg += ". The key is no longer valid."
	case Unknown:
		msg += ". Could not tell whether the key is live."
	default:
		msg += ". Revoke it: it stays in git history."
	}
	return msg
}

// Message is the one-line description of f that annotations and summaries
// use; it never contains the key.
func Message(f Finding) string { return findingMessage(f) }

func short(h string) string {
	if len(h) > 10 {
		return h[:10]
	}
	return h
}

// WriteText writes the findings for people: grouped by key, each key with
// where it appears and what to do about it.
func WriteText(w io.Writer, r *Report) error {
	st := r.Stats
	scope := fmt.Sprintf("%s, %s (%s) in %.2fs", count(st.Commits, "commit"), count(st.Blobs, "blob"), humanBytes(st.Bytes), st.Seconds)
	switch st.Mode {
	case "staged":
		scope = count(st.Blobs, "staged blob")
	case "range":
		scope = fmt.Sprintf("%s in the range, %s", count(st.Commits, "commit"), count(st.Blobs, "new blob"))
	}
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "vastguard: no Vast.ai API keys found (%s).\n", scope)
		writeTextNotes(w, r)
		return nil
	}
	type group struct {
		hash     string
		findings []Finding
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, f := range r.Findings {
		g, ok := byKey[f.KeySHA256]
		if !ok {
			g = &group{hash: f.KeySHA256}
			byKey[f.KeySHA256] = g
			groups = append(groups, g)
		}
		g.findings = append(g.findings, f)
	}
	fmt.Fprintf(w, "vastguard: %d Vast.ai API key%s found in %d place%s (%s).\n", len(groups), plural(len(groups)), len(r.Findings), plural(len(r.Findings)), scope)
	live := 0
	for _, g := range groups {
		f0 := g.findings[0]
		state := f0.Verification
		if f0.VerificationDetail != "" {
			state += ": " + f0.VerificationDetail
		}
		if f0.Verification == Live {
			live++
		}
		fmt.Fprintf(w, "\nKey %s  sha256 %s  %s confidence  verification: %s\n", f0.Redacted, g.hash[:16], bestConfidence(g.findings), state)
		for _, f := range g.findings {
			loc := f.Path
			switch f.Source {
			case SourceCommitMessage:
				loc = "(commit message)"
			case SourceTagMessage:
				loc = "(tag " + f.Tag + " message)"
			case SourceUnreachable:
				loc = "(unreachable blob " + short(f.Blob) + ")"
			}
			if f.Line > 0 {
				loc += fmt.Sprintf(":%d", f.Line)
			}
			when := ""
			if !f.Date.IsZero() {
				when = f.Date.UTC().Format("2006-01-02")
			}
			commit := short(f.Commit)
			if f.Source == SourceStaged {
				commit = "staged"
			}
			fmt.Fprintf(w, "  %-40s %-10s %-10s %s  %s", loc, commit, when, f.Author, f.Rule)
			if f.Why != nil && f.Why.BoundTo != "" {
				fmt.Fprintf(w, " (%s)", f.Why.BoundTo)
			}
			if f.Ref != "" && f.Ref != "HEAD" && !strings.HasPrefix(f.Ref, "refs/heads/") {
				fmt.Fprintf(w, "  (only via %s)", f.Ref)
			}
			fmt.Fprintln(w)
		}
	}
	dead := 0
	for _, g := range groups {
		if g.findings[0].Verification == Invalid {
			dead++
		}
	}
	if dead == len(groups) {
		fmt.Fprintln(w, "\nEvery key above is no longer valid (revoked, or never real). Accept the findings by adding")
		fmt.Fprintln(w, "their sha256 to a --baseline file.")
	} else if st.Mode == "staged" {
		// Staged, never committed: the key has not left the machine by git.
		fmt.Fprintln(w, "\nWhat to do: these keys are staged, not committed, so git has not carried them anywhere yet.")
		fmt.Fprintln(w, "For each key above:")
		fmt.Fprintln(w, "  1. Unstage it (git restore --staged FILE) and take the key out of the file: read it from")
		fmt.Fprintln(w, "     the environment (VAST_API_KEY) or a secret store instead. The key never left your machine.")
		fmt.Fprintln(w, "  2. If it was pushed anywhere (another branch, a fork, a CI log), rotate it: vastguard revoke")
		fmt.Fprintln(w, "     --key-file FILE (or Vast console > Keys > Delete), then use a new key.")
		fmt.Fprintln(w, "  3. A finding that is no real key: add its sha256 to a --baseline file, or vastguard:allow on its line.")
	} else {
		fmt.Fprintln(w, "\nWhat to do: a key in git history is leaked for good, even if a later commit deletes it;")
		fmt.Fprintln(w, "every clone keeps it. For each key above:")
		fmt.Fprintln(w, "  1. Revoke it: vastguard revoke --key-file FILE (or Vast console > Keys > Delete).")
		fmt.Fprintln(w, "  2. Replace it with a scoped key held as a CI secret, or mint per-job keys with the vastguard action.")
		fmt.Fprintln(w, "  3. Accept a finding you have dealt with by adding its sha256 to a --baseline file.")
	}
	if live > 0 {
		fmt.Fprintf(w, "%d of these keys %s LIVE right now.\n", live, map[bool]string{true: "is", false: "are"}[live == 1])
	}
	writeResponses(w, r)
	writeTextNotes(w, r)
	return nil
}

// writeResponses lists what was done about each key.
func writeResponses(w io.Writer, r *Report) {
	if len(r.Responses) == 0 {
		return
	}
	fmt.Fprintln(w, "\nResponse:")
	for _, x := range r.Responses {
		id := ""
		if x.KeyID != 0 {
			id = fmt.Sprintf(" (key %d)", x.KeyID)
		}
		fmt.Fprintf(w, "  %s%s sha256 %s: %s %s", x.Redacted, id, x.KeySHA256[:16], x.Action, x.Outcome)
		if x.Detail != "" {
			fmt.Fprintf(w, ": %s", x.Detail)
		}
		fmt.Fprintln(w)
		switch {
		case x.Activity != nil:
			fmt.Fprintf(w, "    what it did (audit log): %s\n", x.Activity.Summary)
		case x.ActivityNote != "":
			fmt.Fprintf(w, "    audit log: %s\n", x.ActivityNote)
		}
	}
}

func writeTextNotes(w io.Writer, r *Report) {
	st := r.Stats
	var notes []string
	if st.SkippedBinaries > 0 {
		notes = append(notes, fmt.Sprintf("%d binary blobs skipped", st.SkippedBinaries))
	}
	if st.BinaryBlobs > 0 {
		notes = append(notes, fmt.Sprintf("%s scanned for printable text", count(st.BinaryBlobs, "binary blob")))
	}
	if st.BelowConfidence > 0 {
		notes = append(notes, fmt.Sprintf("%s below the minimum confidence not shown", count(st.BelowConfidence, "finding")))
	}
	if st.Allowed > 0 {
		notes = append(notes, fmt.Sprintf("%d keys allowed inline (vastguard:allow)", st.Allowed))
	}
	if st.Unreachable > 0 {
		notes = append(notes, fmt.Sprintf("%s only in objects no branch or tag reaches (listed as unreachable; after revoking, git gc --prune=now drops them from this clone)", count(st.Unreachable, "key")))
	}
	if st.Missing > 0 {
		notes = append(notes, fmt.Sprintf("%d objects missing from the clone were not scanned", st.Missing))
	}
	if st.Partial {
		notes = append(notes, "partial clone: objects left on the server were not scanned")
	}
	if b := r.Baseline; b != nil {
		notes = append(notes, fmt.Sprintf("baseline: %s suppressed, %s", count(b.Suppressed, "finding"), count(len(b.Stale), "stale entry")))
		if b.RawKeys > 0 {
			notes = append(notes, fmt.Sprintf("WARNING: the baseline holds %d keys themselves instead of their sha256; replace them with the sha256 shown above", b.RawKeys))
		}
	}
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func bestConfidence(fs []Finding) Confidence {
	for _, f := range fs {
		if f.Confidence == High {
			return High
		}
	}
	return Medium
}

// count is "1 commit" or "3 commits" ("1 entry", "2 entries").
func count(n int, noun string) string {
	if n != 1 && strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %s%s", n, noun, plural(n))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
