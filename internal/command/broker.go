package command

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"syscall"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/internal/broker"
	vgversion "github.com/vastguard/vastguard/internal/version"
	"github.com/vastguard/vastguard/vast"
)

// brokerCommand is `vastguard broker --config FILE`: the key broker
// (internal/broker) with the project's key names, serving until ctx ends
// (SIGINT or SIGTERM, through main), reloading its policy on SIGHUP.
func brokerCommand(fs *pflag.FlagSet) runFunc {
	config := fs.StringP("config", "c", "", "the broker's YAML config `FILE` (see deploy/broker.yaml)")
	logFormat := fs.String("log-format", "text", "write the log on stderr as `FORMAT`: text, or json (one object a line, for a log collector)")
	fileFlag(fs, "config")
	enumFlag(fs, "log-format", "text", "json")
	return func(ctx context.Context, e *Env, pos []string) error {
		if len(pos) > 0 {
			return usagef("broker takes no arguments (got %q); give the config as --config FILE", pos[0])
		}
		if *config == "" {
			return usagef("broker: --config FILE is required (deploy/broker.yaml is a commented example)")
		}
		if *logFormat != "text" && *logFormat != "json" {
			return usagef("broker: --log-format %q: use text or json", *logFormat)
		}
		return runBroker(ctx, e, *config, *logFormat)
	}
}

// runBroker starts the broker of the config at configPath and serves until
// ctx ends. Everything that can be wrong at start (the config, the
// management key, the policy, the store, the address) is one line and exit
// code 1 before anything listens.
func runBroker(ctx context.Context, e *Env, configPath, logFormat string) error {
	logger := brokerLogger(e, logFormat)
	cfg, err := broker.LoadConfig(configPath)
	if err != nil {
		return err
	}
	vc, err := broker.NewVastClient(cfg, e.Getenv, os.ReadFile, vast.WithUserAgent(vgversion.UserAgent("vastguard-broker")))
	if err != nil {
		return err
	}
	// The broker's clock is e's; its sleeps are real ones (the reaper's
	// loop and Vast's pacing wait on them), whatever e.Sleep does.
	b, err := broker.New(ctx, cfg, broker.Deps{Vast: vc, Namer: broker.KeyNames, Now: e.Now, Logger: logger, Getenv: e.Getenv, ReadFile: os.ReadFile})
	if err != nil {
		return err
	}
	defer b.Close()
	addr := b.Config().Listen
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("broker: listen on %s: %w", addr, err)
	}
	if e.Notify != nil {
		hup, stop := e.Notify(syscall.SIGHUP)
		defer stop()
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					logger.Info("SIGHUP: reloading the policy")
					b.Reload() // logs what it did, and why not
				}
			}
		}()
	}
	err = b.Serve(ctx, ln)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("broker: %w", err)
	}
	logger.Info("broker stopped")
	return nil
}

// brokerLogger is the broker's log on e.Stderr. Every string it writes,
// the message included, passes vast.Redact: the broker logs no key by
// design, and this makes sure of it.
func brokerLogger(e *Env, format string) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		switch a.Value.Kind() {
		case slog.KindString:
			a.Value = slog.StringValue(vast.Redact(a.Value.String()))
		case slog.KindAny:
			switch v := a.Value.Any().(type) {
			case error:
				a.Value = slog.StringValue(vast.Redact(v.Error()))
			case fmt.Stringer:
				a.Value = slog.StringValue(vast.Redact(v.String()))
			case []string:
				out := make([]string, len(v))
				for i, s := range v {
					out[i] = vast.Redact(s)
				}
				a.Value = slog.AnyValue(out)
			}
		}
		return a
	}}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(e.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.Stderr, opts))
}
