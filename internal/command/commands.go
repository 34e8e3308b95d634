package command

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vastguard/vastguard/internal/ghactions"
)

// runFunc runs a command with the positional arguments left after its flags.
type runFunc func(ctx context.Context, e *Env, args []string) error

// Command is one row of the command table: a command of the CLI, of the
// Action's command input, or of both. The table drives dispatch, generates
// `vastguard help`, the unknown-command messages, the Action's command
// validation, and the command input's description in action.yml and the
// README (a test checks those files against it). A row maps onto a cobra
// command: Name and Use, Short, Flags (a flag set builder whose result runs
// it), Sub for children.
type Command struct {
	Name string
	// Use is the synopsis that -h prints after "Usage: vastguard ".
	Use string
	// List is the synopsis as `vastguard help` lists it, when it is not
	// Use; a "\n" breaks it onto an indented second line.
	List    string
	Short   string   // what it does, for `vastguard help`
	Aliases []string // other names it answers to
	Hidden  bool     // not listed in help or in the unknown-command message

	// The CLI face; a row has one of Flags, Run and Sub, or none (an
	// Action-only command).
	//
	// Flags defines the command's flags on fs (help and errors as
	// newFlagSet sets them up) and returns the function that runs it once
	// they are parsed.
	Flags func(fs *flag.FlagSet) runFunc
	// Run runs a command that reads its arguments itself.
	Run runFunc
	// Sub are subcommands (vastguard keys list).
	Sub []*Command

	// Action is the Action face; nil when the command input does not take
	// this command.
	Action *ActionCommand
}

// ActionCommand is a command of the Action's command input.
type ActionCommand struct {
	// What it does, for the command input's description:
	// "mint (What), scan (What), ...".
	What string
	// See points at the README section about it, after its name in the
	// README's Inputs table; "" for none.
	See string
	// NeedsKey says the api-key input is required.
	NeedsKey bool
	// Check applies the command's own rules to the inputs, after every
	// input's own rules have passed; nil for none.
	Check func(c actionConfig) error
	Run   func(ctx context.Context, e *Env, wf *ghactions.Workflow, cfg actionConfig) error
}

// commands is the table, in the order of `vastguard help`. It is filled by
// init because its rows' functions (help, action) read it.
var commands []*Command

func init() {
	commands = []*Command{
		{Name: "mint", Action: &ActionCommand{What: "a scoped key for this job, deleted in the post step", NeedsKey: true, Run: actionMint}},
		{
			Name:  "scan",
			Use:   "scan [PATH] [--since REV | --range A..B | --staged] [--format text|json|sarif] [--output FILE] [--baseline FILE]",
			List:  "scan [PATH] [--since REV | --range A..B | --staged] [--format text|json|sarif]\n[--output FILE] [--baseline FILE] [--verify]",
			Short: "find Vast.ai keys in a repository's whole history",
			Flags: scanCommand,
			Action: &ActionCommand{What: "find Vast.ai keys committed to the repository's history", See: "(see [Scanning](#scanning-for-leaked-keys))",
				Check: checkScanInputs, Run: actionScan},
		},
		{
			Name:  "revoke",
			Use:   "revoke [--key-file FILE] [--dry-run] [--replace (--output FILE | --rotate-secret NAME --repo OWNER/NAME)] < leaked-keys",
			List:  "revoke [--key-file FILE] [--dry-run] [--replace (--output FILE | --rotate-secret NAME --repo O/R)]",
			Short: "check leaked keys (read from stdin) and delete the live ones",
			Flags: revokeCommand,
		},
		{Name: "keys", Sub: []*Command{
			{Name: "list", Use: "keys list [--json] [--api-key K] [--api-url U]", List: "keys list [--json]", Short: "list the account's API keys", Flags: keysListCommand},
			{Name: "create", Use: "keys create --name NAME --permissions PRESET|JSON [--allow-full-access] [--output FILE]",
				List: "keys create --name N --permissions P [--allow-full-access] [--output FILE]", Flags: keysCreateCommand},
			{Name: "delete", Use: "keys delete ID", Short: "delete a key by id", Flags: keysDeleteCommand},
			{Name: "reset", Use: "keys reset --yes [--output FILE]", Short: "replace the key in use with a new one", Flags: keysResetCommand},
		}},
		{
			Name: "sweep", Use: "sweep [--dry-run] [--api-key K] [--api-url U]", List: "sweep [--dry-run]",
			Short: "delete expired keys the Action minted", Flags: sweepCommand,
			Action: &ActionCommand{What: "delete expired keys this action minted", NeedsKey: true, Run: actionSweep},
		},
		{
			Name: "audit", Use: "audit [--json] [--api-key K] [--api-url U]", List: "audit [--json]",
			Short: "flag full-access, user_write, old and expired keys", Flags: auditCommand,
			Action: &ActionCommand{What: "flag risky keys", NeedsKey: true, Run: actionAudit},
		},
		{
			Name: "repos", Use: "repos --org NAME [--include-archived] [--include-forks] [--token T] [--github-api-url U]",
			List: "repos --org NAME [--include-archived] [--include-forks]", Short: "an organisation's repositories as a JSON matrix", Flags: reposCommand,
			Action: &ActionCommand{What: "list an organisation's repositories as a matrix", See: "(see [Organisation-wide scans](#organisation-wide-scans))",
				Check: checkReposInputs, Run: actionRepos},
		},
		{Name: "action", Use: "action", Short: "the GitHub Action's main step (reads INPUT_*)", Run: runAction},
		{Name: "demo", Use: "demo", Short: "the whole story on an embedded fake API", Flags: demoCommand},
		{Name: "version", Use: "version", Aliases: []string{"--version", "-version"}, Run: runVersion},
		{Name: "help", Use: "help", Aliases: []string{"-h", "--help"}, Hidden: true, Run: runHelp},
	}
	actionInputs = inputTable()
}

// isCLI reports whether the CLI has the command.
func (c *Command) isCLI() bool { return c.Flags != nil || c.Run != nil || c.Sub != nil }

// lookup finds a command of the CLI by name or alias.
func lookup(table []*Command, name string) *Command {
	for _, c := range table {
		if !c.isCLI() {
			continue
		}
		if c.Name == name {
			return c
		}
		for _, a := range c.Aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

// names lists the table's CLI commands that are not hidden, joined by sep.
func names(table []*Command, sep string) string {
	var out []string
	for _, c := range table {
		if c.isCLI() && !c.Hidden {
			out = append(out, c.Name)
		}
	}
	return strings.Join(out, sep)
}

// runCLI runs c with args; full is its name as typed ("keys list").
func (c *Command) runCLI(ctx context.Context, e *Env, full string, args []string) error {
	switch {
	case c.Sub != nil:
		if len(args) == 0 {
			return usagef("%s: missing subcommand (%s)", full, names(c.Sub, ", "))
		}
		s := lookup(c.Sub, args[0])
		if s == nil {
			return usagef("%s: unknown subcommand %q (%s)", full, args[0], names(c.Sub, ", "))
		}
		return s.runCLI(ctx, e, full+" "+s.Name, args[1:])
	case c.Flags != nil:
		fs := newFlagSet(e, full, "vastguard "+c.Use)
		run := c.Flags(fs)
		pos, err := parseFlags(fs, args)
		if err != nil {
			return err
		}
		return run(ctx, e, pos)
	}
	return c.Run(ctx, e, args)
}

// actionCommands are the rows of the Action's command input, in order.
func actionCommands() []*Command {
	var out []*Command
	for _, c := range commands {
		if c.Action != nil {
			out = append(out, c)
		}
	}
	return out
}

// actionCommandNamed is the Action command name, or nil.
func actionCommandNamed(name string) *Command {
	for _, c := range actionCommands() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// series joins items as a sentence does: "a, b, c or d".
func series(items []string, last string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + last + items[len(items)-1]
}

// actionCommandList is "mint, scan, sweep, audit or repos" (last: " or ").
func actionCommandList(last string) string {
	var n []string
	for _, c := range actionCommands() {
		n = append(n, c.Name)
	}
	return series(n, last)
}

// commandInputDesc is the command input's description in action.yml.
func commandInputDesc() string {
	var n []string
	for _, c := range actionCommands() {
		n = append(n, fmt.Sprintf("%s (%s)", c.Name, c.Action.What))
	}
	return "What to do: " + series(n, ", or ") + "."
}

// commandInputReadme is the command input's row in the README's Inputs
// table.
func commandInputReadme() string {
	var n []string
	for _, c := range actionCommands() {
		s := "`" + c.Name + "`"
		if c.Action.See != "" {
			s += " " + c.Action.See
		}
		n = append(n, s)
	}
	return series(n, " or ")
}

// usage is `vastguard help`, generated from the table.
func usage() string {
	var b strings.Builder
	b.WriteString("vastguard: mint short-lived Vast.ai API keys for CI, and find leaked ones.\n\nUsage:\n")
	for _, c := range commands {
		if !c.isCLI() || c.Hidden {
			continue
		}
		if c.Sub != nil {
			for _, s := range c.Sub {
				listLine(&b, s)
			}
			continue
		}
		listLine(&b, c)
	}
	b.WriteString(usageFooter)
	return b.String()
}

// listColumn is where the help listing's descriptions start.
const listColumn = 44

// listLine writes one command of the help listing: its synopsis (a second
// line indented under its arguments), then its description, on the same
// line when there is room.
func listLine(b *strings.Builder, c *Command) {
	syn := c.List
	if syn == "" {
		syn = c.Use
	}
	first, rest, wrapped := strings.Cut(syn, "\n")
	line := "  vastguard " + first
	if wrapped {
		name, _, _ := strings.Cut(first, " ")
		b.WriteString(line + "\n")
		line = strings.Repeat(" ", len("  vastguard "+name+" ")) + rest
	}
	switch {
	case c.Short == "":
		b.WriteString(line + "\n")
	case len(line) < listColumn-1:
		fmt.Fprintf(b, "%-*s%s\n", listColumn, line, c.Short)
	default:
		fmt.Fprintf(b, "%s\n%s%s\n", line, strings.Repeat(" ", listColumn), c.Short)
	}
}

const usageFooter = `
Key: --api-key, else VAST_API_KEY, else ~/.config/vastai/vast_api_key.
API: --api-url, else VAST_URL, else https://console.vast.ai.
Exit codes: 0 ok, 1 the tool failed, 2 findings, 3 a live key was found.
Run as vastguard-post (the Action's post step), it deletes the key the main
step minted, whatever its arguments.
`

func runHelp(_ context.Context, e *Env, _ []string) error {
	io.WriteString(e.Stdout, usage())
	return nil
}

func runVersion(_ context.Context, e *Env, _ []string) error {
	fmt.Fprintln(e.Stdout, "vastguard", version())
	return nil
}
