package command

import (
	"context"
	"fmt"
	vgversion "github.com/vastguard/vastguard/internal/version"
	"strings"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/internal/ghactions"
)

// runFunc runs a command with the positional arguments left after its flags.
type runFunc func(ctx context.Context, e *Env, args []string) error

// Command is one row of the command table: a command of the CLI, of the
// Action's command input, or of both. The table is the one list of
// commands: each CLI row becomes a cobra command (cli.go), so it drives
// dispatch, every help text, completion and the unknown-command messages;
// it also drives the Action's command validation and the command input's
// description in action.yml and the README (a test checks those files
// against it).
type Command struct {
	Name string
	// Args is what the synopsis shows after the name, before "[flags]":
	// positional arguments and required flags ("[PATH]", "ID", "--org NAME").
	Args    string
	Short   string // one line, for the command lists
	Long    string // the command's own help, when Short is not enough
	Example string // shell lines for the command's help, indented two spaces
	Aliases []string
	// Dirs completes the positional argument in a shell to a directory
	// (scan's PATH); otherwise positional arguments complete to nothing.
	Dirs bool

	// The CLI face: Flags or Sub for a CLI command, neither for an
	// Action-only one.
	//
	// Flags defines the command's flags on fs and returns the function that
	// runs it once they are parsed.
	Flags func(fs *pflag.FlagSet) runFunc
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
	// NeedsKey says the api-key input is required (unless Broker and
	// broker-url is given).
	NeedsKey bool
	// Broker says the command can mint through a broker (broker-url)
	// instead of with api-key; other commands refuse broker-url.
	Broker bool
	// Check applies the command's own rules to the inputs, after every
	// input's own rules have passed; nil for none.
	Check func(c actionConfig) error
	// UsesGitHubToken says whether the command, given the inputs, calls
	// GitHub with github-token; nil for never. A command that does not
	// sees no GitHub token at all (see actionMain).
	UsesGitHubToken func(c actionConfig) bool
	Run             func(ctx context.Context, e *Env, wf *ghactions.Workflow, cfg actionConfig) error
}

// commands is the table, in the order of `vastguard help`. It is filled by
// init because its rows' functions (action) read it.
var commands []*Command

func init() {
	commands = []*Command{
		{Name: "mint", Action: &ActionCommand{What: "a scoped key for this job, deleted in the post step", NeedsKey: true, Broker: true, Run: actionMint}},
		{
			Name: "scan", Args: "[PATH | -]", Dirs: true,
			Short: "find Vast.ai keys in a repository's whole history, a directory, stdin or CI logs",
			Long: `Find Vast.ai API keys committed anywhere in the repository at PATH (default: the
current directory): every branch, tag, stash, note, commit and tag message, and
objects nothing reaches; or only what --since REV or --range A..B introduced, or
the changes --staged for commit. With --no-git, PATH is a plain directory (or a
file) and the zip, tar and gzip archives in it are opened; "-" reads standard
input (a CI log piped in); --github-actions-logs OWNER/REPO downloads and scans
a repository's workflow run logs. Findings carry the key's SHA-256 and its last
four characters, never the key.

.vastguard.yaml at the root scanned (or --config FILE) can exclude paths, turn
rules off, set min-confidence and the baseline, and list known example values.

Exit codes: 0 clean, 1 the tool failed, 2 keys found, 3 a found key is live
(with --verify).`,
			Example: `  vastguard scan                            # the whole history of the repository here
  vastguard scan path/to/repo -f sarif -o vastguard.sarif
  vastguard scan --range origin/main..HEAD  # what a pull request introduced
  vastguard scan --staged                   # a pre-commit hook
  vastguard scan --write-baseline .vastguard-baseline   # accept what is there now
  vastguard scan --verify -b accepted.txt   # is each key live? accept those listed
  vastguard scan --no-git ./unpacked-release
  gh run view 123 --log | vastguard scan -
  vastguard scan --github-actions-logs acme/gpu --since 30d`,
			Flags: scanCommand,
			Action: &ActionCommand{What: "find Vast.ai keys committed to the repository's history", See: "(see [Scanning](#scanning-for-leaked-keys))",
				Check: checkScanInputs, UsesGitHubToken: scanUsesGitHub, Run: actionScan},
		},
		{
			Name:  "revoke",
			Short: "check leaked keys (read from stdin) and delete the live ones",
			Long: `Read leaked keys, one a line, from standard input or --key-file (never from the
command line, where ps would show them), check each with the Vast API, and delete
the live ones: with the management key (VAST_API_KEY, --api-key or the vastai key
file) when the key is of the same account, else with the leaked key itself. With
--replace, a replacement with the same permissions is made and stored first.`,
			Example: `  vastguard revoke < leaked.txt
  vastguard revoke --key-file leaked.txt --dry-run
  vastguard revoke --replace -o new.key < leaked.txt
  vastguard revoke --replace --rotate-secret VAST_API_KEY --repo acme/gpu < leaked.txt`,
			Flags: revokeCommand,
		},
		{Name: "keys", Short: "list, create, delete and reset the account's API keys", Sub: []*Command{
			{Name: "list", Short: "list the account's API keys", Flags: keysListCommand},
			{Name: "create", Args: "--name NAME --permissions PERMS", Short: "create a key and print it once",
				Long: `Create an API key with the given permissions and print it once (or write it to
--output, mode 0600, and print only its id). PERMS is a preset (read-only,
instance-management, autoscaler, full) or the API's JSON format {"api": {...}}.`,
				Example: `  vastguard keys create --name ci-gpu --permissions instance-management
  vastguard keys create --name ci-read --permissions read-only -o ci.key`,
				Flags: keysCreateCommand},
			{Name: "delete", Args: "ID", Short: "delete a key by id", Flags: keysDeleteCommand},
			{Name: "reset", Args: "--yes", Short: "replace the key in use with a new one",
				Long: `Reset the key in use (PUT /api/v0/commands/reset_apikey/): the old value stops
working at once and the new one is printed once (or written to --output, mode
0600). Which key the API resets, the caller's or the account's main key, is not
verified, so nothing is done without --yes; afterwards it checks whether the old
value still works and says which key was reset.`,
				Flags: keysResetCommand},
		}},
		{
			Name: "sweep", Short: "delete expired keys the Action or the broker minted", Flags: sweepCommand,
			Action: &ActionCommand{What: "delete expired keys this action or a vastguard broker minted", NeedsKey: true, Run: actionSweep},
		},
		{
			Name: "audit", Short: "flag full-access, user_write, old and expired keys", Flags: auditCommand,
			Long: `List the account's keys and flag those with full access, with user_write, older
than 90 days, or minted by the Action and expired. Exit code 2 when a key is
flagged.`,
			Action: &ActionCommand{What: "flag risky keys", NeedsKey: true, Run: actionAudit},
		},
		{
			Name: "repos", Args: "--org NAME", Short: "an organisation's repositories as a JSON matrix", Flags: reposCommand,
			Action: &ActionCommand{What: "list an organisation's repositories as a matrix", See: "(see [Organisation-wide scans](#organisation-wide-scans))",
				Check: checkReposInputs, UsesGitHubToken: func(actionConfig) bool { return true }, Run: actionRepos},
		},
		{
			Name: "broker", Args: "--config FILE",
			Short: "run the key broker: keys for workflows' OIDC tokens",
			Long: `Run the key broker: an HTTP service that holds the Vast management key and
mints short-lived keys for GitHub Actions jobs that prove who they are with the
job's OIDC token, under a deny-by-default policy, and deletes every key at its
expiry whether or not the job's post step ran. FILE is its YAML config
(deploy/broker.yaml is a commented example): listen address, store (sqlite:PATH
or postgres://...), audience, issuers, the policy file, and where the
management key comes from (env: VAR or file: PATH).

SIGHUP reloads the policy (a bad file keeps the policy in force, and the log
says why); SIGINT or SIGTERM stop it gracefully. The log goes to stderr and
never holds a key or a token.`,
			Example: `  vastguard broker --config broker.yaml
  vastguard broker -c /etc/vastguard/broker.yaml --log-format json`,
			Flags: brokerCommand,
		},
		{Name: "action", Short: "the GitHub Action's main step (reads INPUT_*)", Flags: noFlags(runAction),
			Long: `The GitHub Action's main step: action.yml runs it, and it reads the step's
inputs from INPUT_* as the runner sets them. Run as vastguard-post (the Action's
post step), the program deletes the key the main step minted, whatever its
arguments.`},
		{Name: "demo", Short: "the whole story on an embedded fake API", Flags: demoCommand},
		{Name: "version", Short: "print the version", Flags: noFlags(runVersion)},
	}
	actionInputs = inputTable()
}

// isCLI reports whether the CLI has the command.
func (c *Command) isCLI() bool { return c.Flags != nil || c.Sub != nil }

// noFlags is the Flags of a command without flags of its own.
func noFlags(run runFunc) func(*pflag.FlagSet) runFunc {
	return func(*pflag.FlagSet) runFunc { return run }
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

func runVersion(_ context.Context, e *Env, _ []string) error {
	fmt.Fprintln(e.Stdout, "vastguard", vgversion.String())
	return nil
}
