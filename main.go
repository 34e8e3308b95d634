// Vastguard mints short-lived Vast.ai API keys for GitHub Actions jobs and
// finds, checks and revokes Vast.ai keys committed to git history.
//
// Usage:
//
//	vastguard scan [PATH | -] [flags]
//	vastguard revoke [flags]
//	vastguard keys list [flags]
//	vastguard keys create --name NAME --permissions PERMS [flags]
//	vastguard keys delete ID [flags]
//	vastguard keys reset --yes [flags]
//	vastguard sweep [flags]
//	vastguard audit [flags]
//	vastguard repos --org NAME [flags]
//	vastguard broker --config FILE [flags]
//	vastguard action
//	vastguard demo
//	vastguard version
//
// (The list is internal/command's command table; a test keeps it so.
// `vastguard help COMMAND` shows a command's flags.)
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
//
// main is only the process: signals, the real environment, and the exit
// code. Everything else is in internal/command; see the README's Code map.
package main

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vastguard/vastguard/internal/command"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := command.Run(ctx, &command.Env{
		Args:   os.Args,
		Getenv: os.Getenv,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		HTTP:   &http.Client{},
		Now:    time.Now,
		Notify: notify,
	})
	stop()
	os.Exit(command.ExitCode(err, os.Stderr))
}

// notify subscribes to signals on the command's behalf (the broker's
// SIGHUP), only while it asks.
func notify(sig ...os.Signal) (<-chan os.Signal, func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, sig...)
	return c, func() { signal.Stop(c) }
}
