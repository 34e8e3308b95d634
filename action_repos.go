package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/safetext"
)

// githubTokenInput names the github-token input in messages.
const githubTokenInput = "the github-token input"

// actionRepos is the Action's repos command: the organisation's
// repositories (not archived, not forks) as the output matrix, for a later
// job's strategy.matrix.
func actionRepos(ctx context.Context, e *env, wf *ghactions.Workflow, cfg actionConfig) error {
	matrix, notes, err := orgMatrix(ctx, e, cfg.org, ghapi.RepoFilter{}, cfg.githubToken, githubTokenInput, "")
	if err != nil {
		return err
	}
	for _, n := range notes {
		wf.Annotate("warning", "vastguard repos", n)
	}
	if err := wf.SetOutput("matrix", matrix); err != nil {
		return fmt.Errorf("setting the output matrix: %w", err)
	}
	n := strings.Count(matrix, `"`) / 2
	if n > 0 {
		n-- // the "repository" key
	}
	wf.Logf("%d repositories of %s in the matrix", n, cfg.org)
	wf.Summary(fmt.Sprintf("### vastguard repos\n\n%d repositories of %s to scan.", n, safetext.MarkdownCell(cfg.org)))
	return nil
}
