package command

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/internal/safefile"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/vast"
)

// actionScanConfig is the scan inputs, validated.
type actionScanConfig struct {
	path      string // repository, absolute
	workspace string
	rng       string // explicit range input
	baseline  string // relative to the workspace, "" for none
	config    string // relative to the workspace, "" for the repository's .vastguard.yaml
	sarifFile string // relative to the workspace, "" for none
	uploaded  string // code scanning upload id, once uploaded
	sarifErr  error  // why the SARIF file could not be written
	// trust says where the configuration and baseline were read from,
	// for the summary; links builds links to the server the run is on.
	trust []string
	links *serverLinks
	pr    bool // a pull request's commits were scanned
	// allowBare is the allow-bare-repository input.
	allowBare bool
}

// checkScanInputs is the scan command's rules for the inputs.
func checkScanInputs(c actionConfig) error {
	switch {
	case c.onLeak == respond.ActionReset && c.rotateSecret == "":
		return inputError("rotate-secret", "on-leak: reset needs the name of the repository secret to store the replacement in (e.g. VAST_API_KEY)")
	case c.onLeak == respond.ActionReset && c.apiKey == "":
		return errors.New("input api-key is empty: on-leak: reset creates the replacement with the management key (user_read and user_write)")
	case (c.onLeak == respond.ActionReset || c.uploadSARIF) && c.githubToken == "":
		return inputError("github-token", "is empty: upload-sarif needs a token with security-events: write, and on-leak: reset one that may write secrets (a PAT or GitHub App token with Secrets: write)")
	}
	return nil
}

// scanUsesGitHub: a scan calls GitHub to upload SARIF and, with on-leak:
// reset, to write the replacement into a repository secret.
func scanUsesGitHub(c actionConfig) bool {
	return c.uploadSARIF || c.onLeak == respond.ActionReset
}

// workspaceRoot opens the workspace, GITHUB_WORKSPACE (else the current
// directory): what the path, baseline and sarif-file inputs name things
// in, and what nothing the step writes may leave.
func workspaceRoot(getenv func(string) string) (string, *safefile.Root, error) {
	ws := getenv("GITHUB_WORKSPACE")
	if ws == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", nil, err
		}
		ws = wd
	}
	ws = filepath.Clean(ws)
	r, err := safefile.OpenRoot(ws)
	if err != nil {
		return "", nil, fmt.Errorf("GITHUB_WORKSPACE: %w", err)
	}
	return ws, r, nil
}

// inWorkspace checks an input that names a path in the workspace and
// returns it cleaned, relative to the workspace: an absolute path (in a
// container action the host's paths do not even exist) and one that climbs
// out with ".." are refused, and so is one with a control character.
// Links on the way are refused where the path is opened (safefile).
func inWorkspace(name, p string) (string, error) {
	if p == "" {
		return "", nil
	}
	if strings.ContainsFunc(p, unicode.IsControl) {
		// Often built from the event (${{ github.head_ref }}): a line
		// break there would make a file whose name carries workflow
		// commands, and an output that passes them on.
		return "", inputError(name, "%q holds a line break or another control character; give a plain path", p)
	}
	if filepath.IsAbs(p) {
		return "", inputError(name, "%q is an absolute path; give a path relative to the workspace", p)
	}
	clean := filepath.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", inputError(name, "%q leaves the workspace; give a path inside it", p)
	}
	return clean, nil
}

// parseScanInputs reads the scan command's paths and range; it runs after
// checkScanInputs, first thing in the step. root is the workspace.
func parseScanInputs(getenv func(string) string, root *safefile.Root, ws string) (actionScanConfig, error) {
	c := actionScanConfig{workspace: ws}
	rel, err := inWorkspace("path", input(getenv, "path"))
	if err != nil {
		return c, err
	}
	if err := root.CheckDir(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// A missing directory is the scan's to explain.
		return c, inputError("path", "%v", err)
	}
	c.path = filepath.Join(ws, rel)
	c.rng = input(getenv, "range")
	if c.rng != "" && !isRange(c.rng) {
		return c, inputError("range", "%q: write it as BASE..HEAD, e.g. origin/main..HEAD", c.rng)
	}
	if c.baseline, err = readableInput(root, getenv, "baseline"); err != nil {
		return c, err
	}
	if c.config, err = readableInput(root, getenv, "config"); err != nil {
		return c, err
	}
	if c.sarifFile, err = inWorkspace("sarif-file", input(getenv, "sarif-file")); err != nil {
		return c, err
	}
	return c, nil
}

// actionScan is the Action's scan command: the checkout's whole history,
// or only what a pull request adds; findings as error annotations (the first
// ten: the runner shows no more) and a job summary table of all of them; a
// SARIF file if asked; exit code 2 for findings.
func actionScan(ctx context.Context, e *Env, wf *ghactions.Workflow, cfg actionConfig) error {
	ws, root, err := workspaceRoot(e.Getenv)
	if err != nil {
		return err
	}
	defer root.Close()
	sc, err := parseScanInputs(e.Getenv, root, ws)
	if err != nil {
		return err
	}
	sc.allowBare = cfg.allowBare
	f := scanFlags{format: "text", allowPartial: cfg.allowPartial, minConfidence: cfg.minConfidence, root: root, progress: newProgressLine(e, false),
		maxObjectSize: sizeFlag{cfg.maxObjectSize}, maxDeltaSize: sizeFlag{cfg.maxDeltaSize}, maxMemory: sizeFlag{cfg.maxMemory}, allowBare: cfg.allowBare}
	what := "the whole history"
	ev, isPR, err := ghactions.ReadPREvent(e.Getenv)
	switch {
	case err != nil:
		return err
	case sc.rng != "":
		f.rng = sc.rng
		what = "the commits in " + sc.rng
	case isPR:
		f.rng = ev.Base + ".." + ev.Head
		what = "the commits of the pull request"
		if ev.Number > 0 {
			what += fmt.Sprintf(" #%d", ev.Number)
		}
	}
	in, err := trustedScanInputs(sc, root, ev, isPR)
	if err != nil {
		return err
	}
	sc.trust = in.notes
	sc.links = newServerLinks(e.Getenv)
	sc.pr = isPR && sc.rng == ""
	in.repository = actionRepository(e.Getenv)
	cacheDir := actionCache(wf, e.Getenv, cfg, &f)
	rep, err := scanRepo(ctx, e, sc.path, f, &in.scanInputs)
	if cacheDir != "" {
		// The container runs as root; actions/cache/save, on the host as
		// the runner's user, must read what the scan wrote.
		if cerr := root.ChownDir(cacheDir); cerr != nil && !errors.Is(cerr, fs.ErrNotExist) {
			wf.Annotate("warning", "vastguard", safetext.OneLine("cache: could not give "+cacheDir+" to the workspace's owner, so actions/cache/save may not read it: "+cerr.Error()))
		}
	}
	if err != nil {
		if errors.Is(err, scan.ErrShallow) || errors.Is(err, scan.ErrMissingRevision) {
			return fmt.Errorf("%w. In the workflow: uses: actions/checkout@v4 with fetch-depth: 0", err)
		}
		if errors.Is(err, scan.ErrPartial) {
			return errors.New("scan: the checkout is a partial clone: objects left on the server cannot be scanned; drop filter: from actions/checkout, or set allow-partial: true to scan what is present")
		}
		return err
	}
	if cfg.verify && len(rep.Findings) > 0 {
		if err := actionRespond(ctx, e, wf, cfg, rep); err != nil {
			return err
		}
	}
	if sc.sarifFile != "" {
		// A file that cannot be written (a link or a directory a pull
		// request put at its name) must not hide the findings: they are
		// reported, then the step fails.
		if err := writeSARIF(root, sc.sarifFile, rep); err != nil {
			sc.sarifErr = inputError("sarif-file", "%v", err)
		}
	}
	var uploadErr error
	sarifID := ""
	if cfg.uploadSARIF {
		sarifID, uploadErr = uploadSARIF(ctx, e, cfg, rep)
		if uploadErr == nil {
			sc.uploaded = sarifID
		}
	}
	exit := findingsExit(rep)
	// The job summary is written first: a summary file an earlier step
	// swapped for a FIFO or a link is not written, and that is a failure
	// like the others.
	summaryErr := wf.Summary(scanSummary(printable(rep), what, sc))
	// A failed write or upload is an error annotation issued before the
	// findings', so the runner's cap on annotations cannot hide it; with
	// findings their exit code says more, else the step fails with it.
	failures := []error{}
	for _, err := range []error{sc.sarifErr, uploadErr, summaryErr} {
		if err != nil {
			failures = append(failures, err)
		}
	}
	if exit != nil {
		for _, err := range failures {
			wf.Annotate("error", "vastguard", safetext.OneLine(err.Error()))
		}
	}
	reportScan(wf, rep, sc)
	// Outputs are read by steps on the host, where the container's
	// /github/workspace is the workspace: give the path relative to it.
	sarifOut := sc.sarifFile
	if sc.sarifErr != nil {
		sarifOut = ""
	}
	if err := wf.SetOutput("findings", strconv.Itoa(len(rep.Findings)), "sarif-file", sarifOut, "sarif-id", sarifID); err != nil {
		return fmt.Errorf("setting the outputs: %w", err)
	}
	if exit == nil && len(failures) > 0 {
		return errors.Join(failures...)
	}
	return exit
}

// writeSARIF writes the report to name in the workspace as a new file,
// making the directories on the way, with no link followed, owned as the
// workspace is.
func writeSARIF(root *safefile.Root, name string, rep *scan.Report) error {
	f, err := root.Create(name, safefile.Options{Perm: 0o644, MakeDirs: true, Chown: true})
	if err != nil {
		return err
	}
	if err := scan.WriteSARIF(f, rep, sarifTool(), nil); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// uploadSARIF sends the report to GitHub code scanning for the commit and
// ref the workflow runs on (for a pull request, its merge commit and
// refs/pull/N/merge, as GitHub expects).
func uploadSARIF(ctx context.Context, e *Env, cfg actionConfig, rep *scan.Report) (string, error) {
	owner, repo, ok := strings.Cut(e.Getenv("GITHUB_REPOSITORY"), "/")
	sha, ref := e.Getenv("GITHUB_SHA"), e.Getenv("GITHUB_REF")
	if !ok || sha == "" || ref == "" {
		return "", errors.New("upload-sarif: GITHUB_REPOSITORY, GITHUB_SHA and GITHUB_REF must be set (they are in a workflow run)")
	}
	sarif, err := scan.SARIF(rep, sarifTool(), nil)
	if err != nil {
		return "", err
	}
	g, err := newGitHub(e, cfg.githubToken, githubTokenInput, "")
	if err != nil {
		return "", inputError("github-token", "%v", err)
	}
	up, err := g.UploadSARIF(ctx, owner, repo, sarif, sha, ref)
	if err != nil {
		return "", fmt.Errorf("upload-sarif: %w", g.explain(err))
	}
	return up.ID, nil
}

// actionRespond verifies the found keys and, with on-leak revoke or reset,
// acts on the live ones.
func actionRespond(ctx context.Context, e *Env, wf *ghactions.Workflow, cfg actionConfig, rep *scan.Report) error {
	v := respond.NewVerifier(leakedKeyDialer(ctx, e, cfg.apiURL))
	checks := v.VerifyReport(ctx, rep)
	if cfg.onLeak == respond.ActionReport {
		return nil
	}
	r := &respond.Responder{Verifier: v, Action: cfg.onLeak, Perms: cfg.replPerms, AllowFull: cfg.allowFull,
		Name: replacementName(e)}
	if cfg.onLeak == respond.ActionReset {
		owner, repo, ok := strings.Cut(e.Getenv("GITHUB_REPOSITORY"), "/")
		if !ok {
			return fmt.Errorf("GITHUB_REPOSITORY is not OWNER/NAME, so the secret %s cannot be written", cfg.rotateSecret)
		}
		g, err := newGitHub(e, cfg.githubToken, githubTokenInput, "")
		if err != nil {
			return inputError("github-token", "%v", err)
		}
		r.Sink = repoSecretSink{g: g, owner: owner, repo: repo, secret: cfg.rotateSecret}
		// The replacement is masked before anything else can show it.
		r.Reveal = wf.Mask
	}
	if cfg.apiKey != "" {
		a, err := actionAPI(ctx, e, cfg, vast.DefaultRetry)
		if err != nil {
			return err
		}
		r.Manager, r.ManagerSHA256 = a, scan.KeyHash(cfg.apiKey)
	}
	if note := r.Prepare(ctx); note != "" {
		wf.Annotate("warning", "vastguard", note)
	}
	r.Respond(ctx, rep, checks)
	return nil
}

// reportScan writes the step's log and annotations for rep (the job
// summary is actionScan's). Everything shown comes from rep's printable
// form; an annotation points at the finding's real path (ghactions leaves
// out a path it would have to change).
func reportScan(wf *ghactions.Workflow, rep *scan.Report, sc actionScanConfig) {
	pr := printable(rep)
	var text strings.Builder
	scan.WriteText(&text, pr)
	wf.Untrusted(text.String())
	anns := make([]ghactions.Annotation, len(pr.Findings))
	for i, f := range pr.Findings {
		anns[i] = ghactions.Annotation{Title: "Vast.ai API key (" + f.Rule + ")", Message: scan.Message(f)}
		if f.Path != "" && (f.Source == scan.SourceFile || f.Source == scan.SourceStaged) {
			anns[i].File, anns[i].Line = rep.Findings[i].Path, max(f.Line, 1)
		}
	}
	wf.AnnotateEach("error", anns)
	if sc.pr && rep.Stats.Allowed > 0 {
		wf.Annotate("warning", "vastguard", fmt.Sprintf("%d keys in this pull request's changes are marked vastguard:allow and not reported: a reviewer should confirm each is not a real key", rep.Stats.Allowed))
	}
	for _, x := range pr.Responses {
		id := ""
		if x.KeyID != 0 {
			id = fmt.Sprintf(" (key %d)", x.KeyID)
		}
		if x.Done {
			wf.Annotate("warning", "vastguard response", fmt.Sprintf("leaked key %s%s: %s: %s", x.Redacted, id, x.Outcome, x.Detail))
		} else {
			wf.Annotate("error", "vastguard response", fmt.Sprintf("leaked key %s%s may still be live: %s: %s", x.Redacted, id, x.Outcome, x.Detail))
		}
	}
}

// maxSummaryRows keeps the job summary well under the runner's 1 MiB.
const maxSummaryRows = 1000

func scanSummary(rep *scan.Report, what string, sc actionScanConfig) string {
	var b strings.Builder
	st := rep.Stats
	if len(rep.Findings) == 0 {
		fmt.Fprintf(&b, "### vastguard: no Vast.ai API keys\n\nScanned %s: %d commits, %d blobs.", what, st.Commits, st.Blobs)
	} else {
		keys := map[string]bool{}
		for _, f := range rep.Findings {
			keys[f.KeySHA256] = true
		}
		fmt.Fprintf(&b, "### vastguard: %d Vast.ai API %s in %d %s\n\nScanned %s: %d commits, %d blobs. "+
			"A key in git history stays leaked after the file is deleted: revoke each one (`vastguard revoke`, or the Vast console), "+
			"then accept it with a baseline of its sha256 (`vastguard scan --write-baseline FILE` writes one).\n\n", len(keys), plural(len(keys), "key", "keys"), len(rep.Findings), plural(len(rep.Findings), "place", "places"), what, st.Commits, st.Blobs)
		b.WriteString("| Key | sha256 | Where | Commit | Author | Date | Rule | Confidence | Verification |\n|---|---|---|---|---|---|---|---|---|\n")
		for i, f := range rep.Findings {
			if i == maxSummaryRows {
				fmt.Fprintf(&b, "\n%d more findings are in the JSON or SARIF report.\n", len(rep.Findings)-i)
				break
			}
			where := scan.Location(f)
			if f.Line > 0 {
				where += fmt.Sprintf(":%d", f.Line)
			}
			where = safetext.MarkdownPath(where)
			commit := safetext.MarkdownCode(shortID(f.Commit))
			switch {
			case f.Source == scan.SourceFile && f.Commit != "" && onServer(f):
				where = markdownLink(where, sc.links.file(f.Commit, f.Path, f.Line))
				commit = markdownLink(commit, sc.links.commit(f.Commit))
			case f.Source == scan.SourceCommitMessage && onServer(f):
				where = markdownLink(where, sc.links.commit(f.Commit))
				commit = markdownLink(commit, sc.links.commit(f.Commit))
			case f.Source == scan.SourceTagMessage:
				where = markdownLink(where, sc.links.tag(f.Tag))
				commit = markdownLink(commit, sc.links.commit(f.Commit))
			case f.Source == scan.SourceActionsLog && f.Log != nil && strings.HasPrefix(f.Log.RunURL, "https://"):
				where = markdownLink(where, f.Log.RunURL)
				commit = "-"
			case f.Source == scan.SourceFile && f.Commit != "":
				// Reached only from this clone's stash, notes or reflog:
				// the server has no page for it.
				where += " (not on the server: " + safetext.MarkdownCell(f.Ref) + ")"
			}
			date := ""
			if !f.Date.IsZero() {
				date = f.Date.UTC().Format("2006-01-02")
			}
			state := verificationText(f)
			if f.Example != "" && f.Verification != scan.Live {
				state = "example: " + f.Example
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				safetext.MarkdownCode(f.Redacted), safetext.MarkdownCode("sha256:"+f.KeySHA256), where, commit, safetext.MarkdownCell(f.Author), date, safetext.MarkdownCode(f.Rule), f.Confidence, safetext.MarkdownCell(state))
		}
	}
	if len(rep.Responses) > 0 {
		b.WriteString("\n\n#### Response to the leaked keys\n\n| Key | sha256 | Key id | Action | Outcome | Detail |\n|---|---|---|---|---|---|\n")
		for _, x := range rep.Responses {
			id := "-"
			if x.KeyID != 0 {
				id = strconv.FormatInt(x.KeyID, 10)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", safetext.MarkdownCode(x.Redacted), safetext.MarkdownCode("sha256:"+x.KeySHA256), id, x.Action, safetext.MarkdownCell(x.Outcome), safetext.MarkdownMessage(x.Detail))
		}
		for _, x := range rep.Responses {
			switch {
			case x.Activity != nil:
				b.WriteString("\n\n" + activityMarkdown("What leaked key "+safetext.MarkdownCode(x.Redacted)+" did before it was revoked (audit log)", x.Activity))
			case x.ActivityNote != "":
				b.WriteString("\n\nAudit log for " + safetext.MarkdownCode(x.Redacted) + ": " + safetext.MarkdownCell(x.ActivityNote) + ".")
			}
		}
	}
	var notes []string
	if st.SkippedBinaries > 0 {
		notes = append(notes, fmt.Sprintf("%d binary blobs skipped", st.SkippedBinaries))
	}
	if st.BinaryBlobs > 0 {
		notes = append(notes, fmt.Sprintf("%d binary blobs scanned for printable text", st.BinaryBlobs))
	}
	if st.Allowed > 0 {
		notes = append(notes, fmt.Sprintf("%d keys allowed inline with `vastguard:allow`", st.Allowed))
	}
	if st.Unreachable > 0 {
		notes = append(notes, fmt.Sprintf("%d keys only in objects no branch or tag reaches (listed above as unreachable)", st.Unreachable))
	}
	if st.Missing > 0 {
		notes = append(notes, fmt.Sprintf("%d objects the history names are missing from the clone and were not scanned", st.Missing))
	}
	if st.Partial {
		notes = append(notes, "partial clone: objects left on the server were not scanned")
	}
	if n := st.CacheNote(); n != "" {
		notes = append(notes, n)
	}
	if st.Excluded > 0 {
		notes = append(notes, fmt.Sprintf("%d findings at paths the configuration excludes", st.Excluded))
	}
	if st.Disabled > 0 {
		notes = append(notes, fmt.Sprintf("%d findings of rules the configuration turns off", st.Disabled))
	}
	if st.BelowConfidence > 0 {
		notes = append(notes, fmt.Sprintf("%d findings below the configuration's min-confidence", st.BelowConfidence))
	}
	if st.Examples > 0 {
		notes = append(notes, fmt.Sprintf("%d findings of known example values (listed, not failing)", st.Examples))
	}
	if rep.Baseline != nil {
		notes = append(notes, fmt.Sprintf("baseline: %d suppressed, %d stale entries", rep.Baseline.Suppressed, len(rep.Baseline.Stale)))
	}
	for _, n := range sc.trust {
		notes = append(notes, safetext.MarkdownCell(n))
	}
	switch {
	case sc.sarifErr != nil:
		notes = append(notes, "**the SARIF file was not written**: "+safetext.MarkdownCell(sc.sarifErr.Error()))
	case sc.sarifFile != "":
		notes = append(notes, "SARIF written to "+safetext.MarkdownCode(sc.sarifFile))
	}
	if sc.uploaded != "" {
		notes = append(notes, "uploaded to code scanning (upload "+safetext.MarkdownCode(sc.uploaded)+"); closing an alert there does not make its key safe: revoke the key")
	}
	if len(notes) > 0 {
		b.WriteString("\n\n" + strings.Join(notes, "; ") + ".")
	}
	return b.String()
}

func verificationText(f scan.Finding) string {
	if f.VerificationDetail != "" {
		return f.Verification + ": " + f.VerificationDetail
	}
	return f.Verification
}

func shortID(h string) string {
	if len(h) > 10 {
		return h[:10]
	}
	if h == "" {
		return "staged"
	}
	return h
}

// readableInput is the path input name, in the workspace, checked to open
// there now (through root: no link followed), so that a missing baseline
// or configuration fails the step before the scan; "" when not given.
func readableInput(root *safefile.Root, getenv func(string) string, name string) (string, error) {
	p, err := inWorkspace(name, input(getenv, name))
	if err != nil || p == "" {
		return p, err
	}
	f, err := root.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", inputError(name, "%s cannot be read: no such file", input(getenv, name))
		}
		return "", inputError(name, "%v", err)
	}
	f.Close()
	return p, nil
}
