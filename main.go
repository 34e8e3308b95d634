// Vastguard mints short-lived Vast.ai API keys for GitHub Actions jobs and
// finds, checks and revokes Vast.ai keys committed to git history.
//
// Usage:
//
//	vastguard scan [PATH] [--since REV | --range A..B | --staged] [--format text|json|sarif] [--output FILE] [--baseline FILE] [--verify]
//	vastguard revoke [--key-file FILE] [--dry-run] [--replace (--output FILE | --rotate-secret NAME --repo OWNER/NAME)]
//	vastguard keys list [--json]
//	vastguard keys create --name NAME --permissions PRESET|JSON [--allow-full-access] [--output FILE]
//	vastguard keys delete ID
//	vastguard keys reset [--output FILE]
//	vastguard sweep [--dry-run]
//	vastguard audit [--json]
//	vastguard repos --org NAME [--include-archived] [--include-forks]
//	vastguard action
//	vastguard demo
//	vastguard version
//
// The API key comes from --api-key, else VAST_API_KEY, else the vastai CLI's
// key file ($XDG_CONFIG_HOME/vastai/vast_api_key, default
// ~/.config/vastai/vast_api_key); the API from --api-url, else VAST_URL, else
// https://console.vast.ai.
//
// As a GitHub Action (action.yml), the image runs "/vastguard action" as the
// main step, which mints a scoped key, and the same binary as
// /vastguard-post as the post step, which deletes it.
//
// Exit codes everywhere: 0 success or clean, 1 the tool failed, 2 findings,
// 3 a finding is a live key.
package main

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, &env{
		args:   os.Args,
		getenv: os.Getenv,
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		http:   &http.Client{},
		now:    time.Now,
	})
	stop()
	os.Exit(exitCode(err, os.Stderr))
}
