package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
)

// WriteJSON writes the report as one JSON document:
// {"version":1,"findings":[...],"stats":{...}}. Keys never appear in it.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r.masked())
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
	Tool                     sarifTool         `json:"tool"`
	AutomationDetails        sarifAutomation   `json:"automationDetails"`
	VersionControlProvenance []sarifVCS        `json:"versionControlProvenance,omitempty"`
	Invocations              []sarifInvocation `json:"invocations,omitempty"`
	Results                  []sarifResult     `json:"results"`
	ColumnKind               string            `json:"columnKind"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifVCS struct {
	RepositoryURI string `json:"repositoryUri"`
	RevisionID    string `json:"revisionId,omitempty"`
	Branch        string `json:"branch,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
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
	HelpURI              string            `json:"helpUri,omitempty"`
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
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	Message          *sarifText     `json:"message,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
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

// NoFileURI is the artifact a result points at when the key is in no file
// of the repository (a commit or tag message, an object no ref reaches, a
// CI log, standard input): "no file associated with this alert", the
// placeholder OpenSSF Scorecard uses for repository-level alerts, which
// code scanning shows as the alert's path. Code scanning refuses a whole
// SARIF file if one result lacks a physical location ("locationFromSarifResult:
// expected at least one location", "expected a physical location"), so such
// results keep one, at this placeholder, and say where the key really is in
// a logical location, the message and the properties, never at a made-up
// file such as .git/COMMIT_EDITMSG.
const NoFileURI = "no%20file%20associated%20with%20this%20alert"

// HelpURI is the README anchor a rule's helpUri points at:
// informationURI + "#rule-" + id.
func HelpURI(informationURI, ruleID string) string {
	if informationURI == "" {
		return ""
	}
	return strings.TrimSuffix(informationURI, "/") + "#rule-" + ruleID
}

// Severity of results by what is known of the key, as code scanning's
// security-severity reads them (over 9.0 critical, 7.0-8.9 high, 4.0-6.9
// medium, below that low). Code scanning takes security-severity from the
// rule alone, which stays that of its confidence; the result's level and
// its own security-severity property carry the verification.
const (
	severityLive    = "10.0"
	severityHigh    = "9.0"
	severityMedium  = "7.0"
	severityInvalid = "2.0"
	severityExample = "1.0"
)

// resultLevel is a finding's SARIF level: error for a live key, note for
// a dead key or a known example, warning for a key nobody checked (or
// whose check could not tell).
func resultLevel(f Finding) (level, severity string) {
	switch {
	case f.Verification == Live:
		return "error", severityLive
	case f.Verification == Invalid:
		return "note", severityInvalid
	case f.Example != "":
		return "note", severityExample
	case f.Confidence == Medium:
		return "warning", severityMedium
	}
	return "warning", severityHigh
}

// SARIF returns the report as a SARIF 2.1.0 log for GitHub code scanning:
// one run, every detector as a rule (with a helpUri into the README),
// repository-relative URIs, the repository and revision scanned
// (versionControlProvenance, from r.Repository), levels by verification
// (resultLevel), and partialFingerprints derived from the key's hash and
// the path, so an alert keeps its identity when lines move. Findings in no
// file are placed at NoFileURI with a logical location saying where they
// are. Known examples carry an external suppression. No key appears in it.
func SARIF(r *Report, tool Tool, detectors []Detector) ([]byte, error) {
	r = r.masked()
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
	if repo := r.Repository; repo != nil && repo.URI != "" {
		run.VersionControlProvenance = []sarifVCS{{RepositoryURI: repo.URI, RevisionID: repo.Revision, Branch: repo.Branch}}
	}
	if st := r.Stats; st.UnscannedCount > 0 {
		inv := sarifInvocation{ExecutionSuccessful: true}
		for _, u := range st.Unscanned {
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "warning", Message: sarifText{Text: "not scanned: " + printableLine(u.Path, 300) + ": " + u.Reason}})
		}
		if more := st.UnscannedCount - len(st.Unscanned); more > 0 {
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "warning", Message: sarifText{Text: fmt.Sprintf("%d more were not scanned", more)}})
		}
		run.Invocations = []sarifInvocation{inv}
	}
	ruleIndex := map[string]int{}
	for i, d := range detectors {
		ruleIndex[d.ID] = i
		precision, problem, sev := "high", "error", severityHigh
		if d.Confidence == Medium {
			precision, problem, sev = "medium", "warning", severityMedium
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   d.ID,
			Name:                 sarifRuleName(d.ID),
			ShortDescription:     sarifText{Text: "Vast.ai API key: " + d.Name},
			FullDescription:      sarifText{Text: d.Description},
			Help:                 sarifText{Text: helpText, Markdown: helpMarkdown},
			HelpURI:              HelpURI(tool.InformationURI, d.ID),
			DefaultConfiguration: sarifRuleConfig{Level: "warning"},
			Properties: sarifRuleProperty{
				Tags:             []string{"security", "secret", "vast.ai", "external/cwe/cwe-798"},
				Precision:        precision,
				ProblemSeverity:  problem,
				SecuritySeverity: sev,
			},
		})
	}
	for _, f := range r.Findings {
		idx, ok := ruleIndex[f.Rule]
		if !ok {
			return nil, fmt.Errorf("finding with unknown rule %q", f.Rule)
		}
		level, sev := resultLevel(f)
		line := max(f.Line, 1)
		col := max(f.Column, 1)
		loc := sarifLocation{PhysicalLocation: sarifPhysical{
			ArtifactLocation: sarifAL{URI: NoFileURI},
			Region:           sarifRegion{StartLine: line, StartColumn: col, EndLine: line, EndColumn: col + KeyLength},
		}}
		switch {
		case f.Archive != "":
			// The archive is the file in the repository; the region is
			// the entry's, named in the logical location.
			loc.PhysicalLocation.ArtifactLocation.URI = sarifURI(f.Archive)
			loc.PhysicalLocation.Region = sarifRegion{StartLine: 1, StartColumn: 1, EndLine: 1, EndColumn: 1}
			loc.LogicalLocations = []sarifLogical{{Name: path.Base(f.Path), FullyQualifiedName: f.Path, Kind: "resource"}}
			loc.Message = &sarifText{Text: fmt.Sprintf("%s, line %d", f.Path, line)}
		case f.Path != "" && (f.Source == SourceFile || f.Source == SourceStaged || f.Source == SourceDirectory):
			loc.PhysicalLocation.ArtifactLocation.URI = sarifURI(f.Path)
		default:
			lg := logicalPlace(f)
			loc.LogicalLocations = []sarifLogical{lg}
			loc.Message = &sarifText{Text: "not in a file: " + lg.FullyQualifiedName}
		}
		props := map[string]any{
			"key_sha256":        f.KeySHA256,
			"redacted":          f.Redacted,
			"commit":            f.Commit,
			"source":            f.Source,
			"confidence":        string(f.Confidence),
			"verification":      f.Verification,
			"security-severity": sev,
		}
		if f.VerificationDetail != "" {
			props["verification_detail"] = f.VerificationDetail
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
		if f.Tag != "" {
			props["tag"] = f.Tag
		}
		if f.Blob != "" {
			props["blob"] = f.Blob
		}
		if f.Archive != "" {
			props["archive"] = f.Archive
			props["path"] = f.Path
		}
		if lp := f.Log; lp != nil {
			props["run_id"] = lp.RunID
			props["job"] = lp.Job
			if lp.Step != "" {
				props["step"] = lp.Step
			}
			if lp.RunURL != "" {
				props["run_url"] = lp.RunURL
			}
		}
		if f.Why != nil {
			props["why"] = f.Why.String()
			if f.Why.BoundTo != "" {
				props["bound_to"] = f.Why.BoundTo
			}
		}
		res := sarifResult{
			RuleID:    f.Rule,
			RuleIndex: idx,
			Level:     level,
			Message:   sarifText{Text: findingMessage(f)},
			Locations: []sarifLocation{loc},
			PartialFingerprints: map[string]string{
				"primaryLocationLineHash": fingerprint(f) + ":1",
				"vastguardKeyPath/v1":     fingerprint(f),
			},
			Properties: props,
		}
		if f.Example != "" && f.Verification != Live {
			props["example"] = f.Example
			res.Suppressions = []sarifSuppression{{Kind: "external", Justification: "known example value: " + f.Example}}
		}
		run.Results = append(run.Results, res)
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
	return json.MarshalIndent(log, "", "  ")
}

// logicalPlace names where a finding that is in no file is.
func logicalPlace(f Finding) sarifLogical {
	switch f.Source {
	case SourceCommitMessage:
		return sarifLogical{Name: short(f.Commit), FullyQualifiedName: "commit " + f.Commit + " message", Kind: "commit"}
	case SourceTagMessage:
		return sarifLogical{Name: f.Tag, FullyQualifiedName: "tag " + f.Tag + " message", Kind: "tag"}
	case SourceUnreachable:
		if f.Commit != "" {
			return sarifLogical{Name: short(f.Commit), FullyQualifiedName: "commit " + f.Commit + " message (unreachable)", Kind: "commit"}
		}
		return sarifLogical{Name: short(f.Blob), FullyQualifiedName: "blob " + f.Blob + " (unreachable)", Kind: "object"}
	case SourceActionsLog:
		if lp := f.Log; lp != nil {
			return sarifLogical{Name: path.Base(f.Path), FullyQualifiedName: fmt.Sprintf("run %d log %s", lp.RunID, f.Path), Kind: "log"}
		}
		return sarifLogical{Name: path.Base(f.Path), FullyQualifiedName: "log " + f.Path, Kind: "log"}
	case SourceStdin:
		return sarifLogical{Name: "stdin", FullyQualifiedName: "standard input", Kind: "stream"}
	}
	name := f.Path
	if name == "" {
		name = f.Source
	}
	return sarifLogical{Name: path.Base(name), FullyQualifiedName: name, Kind: "resource"}
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
// its SHA-256 (whole, so it can go into a baseline as it is).
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
	case SourceStdin:
		where = "on standard input"
	case SourceActionsLog:
		where = "in the log " + f.Path
		if lp := f.Log; lp != nil {
			where = fmt.Sprintf("in the log of workflow run %d, job %q", lp.RunID, lp.Job)
			if lp.Step != "" {
				where += fmt.Sprintf(", step %q", lp.Step)
			}
		}
	}
	if f.Line > 0 && f.Source != SourceFile && f.Source != SourceStaged && f.Source != SourceDirectory {
		where += fmt.Sprintf(", line %d", f.Line)
	}
	msg := fmt.Sprintf("Vast.ai API key %s (sha256 %s) %s", f.Redacted, f.KeySHA256, where)
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
	switch {
	case f.Verification == Live:
		msg += ". The key is LIVE: revoke it now."
	case f.Verification == Invalid:
		msg += ". The key is no longer valid."
	case f.Example != "":
		msg += ". A known example value (" + f.Example + "): reported, not failing."
	case f.Verification == Unknown:
		msg += ". Could not tell whether the key is live."
	default:
		msg += ". " + advice(f.Source)
	}
	return msg
}

// advice is the one-sentence what-to-do for an unchecked key, by where it
// is.
func advice(source string) string {
	switch source {
	case SourceStaged:
		return "Unstage it: it is not committed yet."
	case SourceDirectory:
		return "Revoke it if these files were ever shared or published."
	case SourceStdin, SourceActionsLog:
		return "Revoke it: anyone who can read the log has it."
	}
	return "Revoke it: it stays in git history."
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
// its whole SHA-256 (what a baseline holds) and where it appears; then the
// count, how many places each rule and each path account for, and what to
// do, for keys staged, committed, in files or in logs alike.
func WriteText(w io.Writer, r *Report) error {
	r = r.masked()
	scope := textScope(r.Stats)
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "vastguard: no Vast.ai API keys found (%s).\n", scope)
		writeTextNotes(w, r)
		return nil
	}
	groups := keyGroups(r.Findings)
	fmt.Fprintf(w, "vastguard: %d Vast.ai API key%s found in %d place%s (%s).\n", len(groups), plural(len(groups)), len(r.Findings), plural(len(r.Findings)), scope)
	for _, g := range groups {
		f0 := g[0]
		state := f0.Verification
		if f0.VerificationDetail != "" {
			state += ": " + f0.VerificationDetail
		}
		fmt.Fprintf(w, "\nKey %s  sha256 %s\n  %s confidence  verification: %s", f0.Redacted, f0.KeySHA256, bestConfidence(g), state)
		if f0.Example != "" {
			fmt.Fprintf(w, "  known example: %s", f0.Example)
		}
		fmt.Fprintln(w)
		for _, f := range g {
			loc := Location(f)
			if f.Line > 0 {
				loc += fmt.Sprintf(":%d", f.Line)
			}
			when := ""
			if !f.Date.IsZero() {
				when = f.Date.UTC().Format("2006-01-02")
			}
			commit := short(f.Commit)
			switch f.Source {
			case SourceStaged:
				commit = "staged"
			case SourceDirectory, SourceStdin, SourceActionsLog:
				commit = "-"
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
	writeTextSummary(w, r, groups)
	writeAdvice(w, r, groups)
	writeResponses(w, r)
	writeTextNotes(w, r)
	return nil
}

// textScope says what a scan covered, for the report's first line.
func textScope(st Stats) string {
	switch st.Mode {
	case "staged":
		return count(st.Blobs, "staged blob")
	case "range":
		return fmt.Sprintf("%s in the range, %s", count(st.Commits, "commit"), count(st.Blobs, "new blob"))
	case "directory":
		s := fmt.Sprintf("%s (%s)", count(st.Blobs, "file"), humanBytes(st.Bytes))
		if st.Archives > 0 {
			s += fmt.Sprintf(", %d of them in %s", st.ArchiveEntries, count(st.Archives, "archive"))
		}
		return s + fmt.Sprintf(" in %.2fs", st.Seconds)
	case "stdin":
		return fmt.Sprintf("%s of standard input in %.2fs", humanBytes(st.Bytes), st.Seconds)
	case "actions-logs":
		return fmt.Sprintf("the logs of %s: %s (%s) in %.2fs", count(st.Runs, "workflow run"), count(st.Blobs, "log file"), humanBytes(st.Bytes), st.Seconds)
	}
	return fmt.Sprintf("%s, %s (%s) in %.2fs", count(st.Commits, "commit"), count(st.Blobs, "blob"), humanBytes(st.Bytes), st.Seconds)
}

// keyGroups groups findings by key, in the order keys first appear.
func keyGroups(fs []Finding) [][]Finding {
	var order []string
	by := map[string][]Finding{}
	for _, f := range fs {
		if _, ok := by[f.KeySHA256]; !ok {
			order = append(order, f.KeySHA256)
		}
		by[f.KeySHA256] = append(by[f.KeySHA256], f)
	}
	out := make([][]Finding, len(order))
	for i, h := range order {
		out[i] = by[h]
	}
	return out
}

// maxSummaryPaths bounds the per-path summary's rows.
const maxSummaryPaths = 15

// writeTextSummary ends a long report with what its first line says, and
// where the findings are: the count by verification, then places per rule
// and per path (the most first).
func writeTextSummary(w io.Writer, r *Report, groups [][]Finding) {
	byState := map[string]int{}
	examples := 0
	for _, g := range groups {
		byState[g[0].Verification]++
		if g[0].Example != "" {
			examples++
		}
	}
	var states []string
	for _, v := range []string{Live, Unknown, Invalid, Unchecked} {
		if n := byState[v]; n > 0 {
			states = append(states, fmt.Sprintf("%d %s", n, v))
		}
	}
	if examples > 0 {
		states = append(states, fmt.Sprintf("%d known example%s", examples, plural(examples)))
	}
	fmt.Fprintf(w, "\nIn all: %s in %s (%s).\n", count(len(groups), "key"), count(len(r.Findings), "place"), strings.Join(states, ", "))
	table := func(title, noun string, key func(Finding) string, limit int) {
		n := map[string]int{}
		var names []string
		for _, f := range r.Findings {
			k := key(f)
			if n[k] == 0 {
				names = append(names, k)
			}
			n[k]++
		}
		sort.SliceStable(names, func(i, j int) bool {
			if n[names[i]] != n[names[j]] {
				return n[names[i]] > n[names[j]]
			}
			return names[i] < names[j]
		})
		fmt.Fprintf(w, "%s:\n", title)
		for i, name := range names {
			if limit > 0 && i == limit {
				rest := 0
				for _, m := range names[i:] {
					rest += n[m]
				}
				fmt.Fprintf(w, "  ... and %d more %s%s (%s)\n", len(names)-i, noun, plural(len(names)-i), count(rest, "place"))
				break
			}
			fmt.Fprintf(w, "  %5d  %s\n", n[name], name)
		}
	}
	table("By rule", "rule", func(f Finding) string { return f.Rule }, 0)
	table("By path", "path", pathGroup, maxSummaryPaths)
}

// Where a key is decides what to do about it.
const (
	placeStaged    = iota // staged, not committed: it never left the machine
	placeCommitted        // in git history: every clone has it
	placeFiles            // in files with no history (a release, a directory)
	placeLogs             // printed in a log
)

func placeOf(source string) int {
	switch source {
	case SourceStaged:
		return placeStaged
	case SourceDirectory:
		return placeFiles
	case SourceStdin, SourceActionsLog:
		return placeLogs
	}
	return placeCommitted
}

// writeAdvice says what to do, for each kind of place the keys are in: a
// staged key has not left the machine; a committed one is in every clone;
// a key in shipped files or in a log is in the hands of whoever had them.
// Dead keys and known examples need only accepting.
func writeAdvice(w io.Writer, r *Report, groups [][]Finding) {
	var act [4]int   // keys to act on, by place
	var dead int     // keys known to be invalid
	var examples int // known examples (not live)
	live := 0
	for _, g := range groups {
		f0 := g[0]
		switch {
		case f0.Verification == Live:
			live++
		case f0.Verification == Invalid:
			dead++
			continue
		case f0.Example != "":
			examples++
			continue
		}
		seen := map[int]bool{}
		for _, f := range g {
			if p := placeOf(f.Source); !seen[p] {
				seen[p] = true
				act[p]++
			}
		}
	}
	if n := act[placeStaged]; n > 0 {
		fmt.Fprintf(w, "\nWhat to do about %s: %s not committed, so %s never left this machine.\n", theKeys(n, "staged"), itThey(n)+" "+isAre(n), itThey(n))
		fmt.Fprintln(w, "  1. Unstage the file (git restore --staged FILE) and take the key out of it: read it from")
		fmt.Fprintln(w, "     VAST_API_KEY or a secret store instead.")
		fmt.Fprintln(w, "  2. If it was ever pushed, pasted or copied anywhere else, rotate it all the same:")
		fmt.Fprintln(w, "     vastguard revoke --replace --key-file FILE (or Vast console > Keys).")
	}
	if n := act[placeCommitted]; n > 0 {
		fmt.Fprintf(w, "\nWhat to do about %s: a key in git history is leaked for good, even if a later\n", theKeys(n, "committed"))
		fmt.Fprintln(w, "commit deletes it; every clone keeps it. For each:")
		fmt.Fprintln(w, "  1. Revoke it: vastguard revoke --key-file FILE (or Vast console > Keys > Delete).")
		fmt.Fprintln(w, "  2. Replace it with a scoped key held as a CI secret, or mint per-job keys with the vastguard action.")
		fmt.Fprintln(w, "  3. Then accept it: vastguard scan --write-baseline FILE lists the keys found; scan with --baseline FILE.")
	}
	if n := act[placeFiles]; n > 0 {
		fmt.Fprintf(w, "\nWhat to do about %s in files: whoever got these files (a release, an image, a shared\n", theKeys(n, ""))
		fmt.Fprintln(w, "folder) has the key.")
		fmt.Fprintln(w, "  1. If the files were ever published or shared, revoke it: vastguard revoke --key-file FILE.")
		fmt.Fprintln(w, "  2. Build them without the key: read it at run time from VAST_API_KEY or a secret store.")
	}
	if n := act[placeLogs]; n > 0 {
		fmt.Fprintf(w, "\nWhat to do about %s in logs: whoever can read the log has it (for a public repository's\n", theKeys(n, ""))
		fmt.Fprintln(w, "workflow runs, everyone).")
		fmt.Fprintln(w, "  1. Revoke it: vastguard revoke --key-file FILE (or Vast console > Keys > Delete).")
		fmt.Fprintln(w, "  2. Delete the run's logs (gh run delete RUN_ID, or the run's page > Delete all logs).")
		fmt.Fprintln(w, "  3. Stop the step printing it: pass keys as secrets (the runner masks them), print no key file,")
		fmt.Fprintln(w, "     and ::add-mask:: any key a step makes.")
	}
	if dead > 0 {
		if dead == len(groups) {
			fmt.Fprintln(w, "\nEvery key above is no longer valid (revoked, or never real). Accept the findings by adding")
			fmt.Fprintln(w, "their sha256 to a --baseline file (vastguard scan --write-baseline FILE writes one).")
		} else {
			fmt.Fprintf(w, "\n%s %s no longer valid: accept %s with a --baseline file.\n", count(dead, "key"), isAre(dead), itThem(dead))
		}
	}
	if examples > 0 {
		what := "1 key is a known example value"
		if examples > 1 {
			what = fmt.Sprintf("%d keys are known example values", examples)
		}
		fmt.Fprintf(w, "\n%s (the configuration's examples): listed, not failing the scan.\n", what)
	}
	if live > 0 {
		fmt.Fprintf(w, "%d of these keys %s LIVE right now.\n", live, isAre(live))
	}
}

// theKeys is "the staged key" for one, "the 3 staged keys" for more.
func theKeys(n int, adj string) string {
	if adj != "" {
		adj += " "
	}
	if n == 1 {
		return "the " + adj + "key"
	}
	return fmt.Sprintf("the %d %skeys", n, adj)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func itThey(n int) string {
	if n == 1 {
		return "it"
	}
	return "they"
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
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
		fmt.Fprintf(w, "  %s%s sha256 %s: %s %s", x.Redacted, id, x.KeySHA256, x.Action, x.Outcome)
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
	if n := st.CacheNote(); n != "" {
		notes = append(notes, n)
	}
	if st.SkippedLinks > 0 {
		notes = append(notes, fmt.Sprintf("%s not followed", count(st.SkippedLinks, "symbolic or hard link")))
	}
	if st.SkippedSpecial > 0 {
		notes = append(notes, fmt.Sprintf("%s (devices, sockets, FIFOs) not read", count(st.SkippedSpecial, "special file")))
	}
	if st.Excluded > 0 {
		notes = append(notes, fmt.Sprintf("%s at paths the configuration excludes not shown", count(st.Excluded, "finding")))
	}
	if st.Disabled > 0 {
		notes = append(notes, fmt.Sprintf("%s of rules the configuration turns off not shown", count(st.Disabled, "finding")))
	}
	for _, u := range st.Unscanned {
		notes = append(notes, fmt.Sprintf("not scanned: %s: %s", printableLine(u.Path, 200), u.Reason))
	}
	if more := st.UnscannedCount - len(st.Unscanned); more > 0 {
		notes = append(notes, fmt.Sprintf("%d more not scanned (see the JSON report's stats)", more))
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
	if n != 1 && strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ey") && !strings.HasSuffix(noun, "ay") {
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
