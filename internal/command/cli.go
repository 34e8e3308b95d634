package command

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command line is cobra's (with pflag), as gh, kubectl and gitleaks
// use: --long and -s flags with their types and defaults in the help,
// `vastguard help CMD` and `CMD --help`, suggestions for a mistyped
// command, and completion scripts for bash, zsh, fish and PowerShell. The
// tree is built from the command table for each Run (no global commands),
// so the table stays the one list; what vastguard adds to cobra is its
// error style: a mistake on the command line is one line on stderr naming
// what to fix, exit code 1, and nothing on stdout.

func init() {
	// The table's order is the help's order.
	cobra.EnableCommandSorting = false
}

const rootShort = "vastguard: mint short-lived Vast.ai API keys for CI, and find leaked ones."

// rootFooter ends `vastguard help`.
const rootFooter = `Key: --api-key, else VAST_API_KEY, else ~/.config/vastai/vast_api_key.
API: --api-url, else VAST_URL, else https://console.vast.ai.
Exit codes: 0 ok, 1 the tool failed, 2 findings, 3 a live key was found.
Shell completion: vastguard completion bash|zsh|fish|powershell --help.`

// helpTemplate and usageTemplate are every command's help: the
// description, the synopsis, subcommands, examples, flags (wrapped at 80
// columns), and the root's footer.
const helpTemplate = `{{with (or .Long .Short)}}{{. | trimTrailingWhitespaces}}

{{end}}{{.UsageString}}`

const usageTemplate = `Usage:
{{- if .HasAvailableSubCommands}}
  {{.CommandPath}} COMMAND [flags]
{{- else}}
  {{.UseLine}}
{{- end}}
{{- if .HasAvailableSubCommands}}

Commands:
{{- range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding}} {{.Short}}
{{- end}}{{end}}
{{- end}}
{{- if .HasExample}}

Examples:
{{.Example}}
{{- end}}
{{- if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsagesWrapped 80 | trimTrailingWhitespaces}}
{{- end}}
{{- with index .Annotations "footer"}}

{{.}}
{{- end}}
{{- if .HasAvailableSubCommands}}

Run "{{.CommandPath}} COMMAND --help" for more about a command.
{{- end}}
`

// newCLI builds the command tree for one run with e.
func newCLI(e *Env) *cobra.Command {
	root := &cobra.Command{
		Use:                        "vastguard",
		Short:                      rootShort,
		Version:                    version(),
		Annotations:                map[string]string{"footer": rootFooter},
		Args:                       cobra.ArbitraryArgs,
		RunE:                       groupRun,
		SilenceErrors:              true,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2,
	}
	root.SetIn(e.Stdin)
	root.SetOut(e.Stdout)
	root.SetErr(e.Stderr)
	root.SetHelpTemplate(helpTemplate)
	root.SetUsageTemplate(usageTemplate)
	root.SetVersionTemplate("vastguard {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef("%s%v (see %s --help)", where(c), err, c.CommandPath())
	})
	for _, c := range commands {
		if c.isCLI() {
			root.AddCommand(c.cobra(e))
		}
	}
	root.SetHelpCommand(helpCommand(root))
	root.InitDefaultCompletionCmd()
	if comp, _, err := root.Find([]string{"completion"}); err == nil && comp != root {
		comp.Short = "print a shell completion script (bash, zsh, fish, powershell)"
		comp.Args = cobra.ArbitraryArgs
		comp.RunE = groupRun
		comp.SuggestionsMinimumDistance = 1 // shell names are short: tcsh is none of them
	}
	return root
}

// cobra is the row as a cobra command, with its subcommands.
func (c *Command) cobra(e *Env) *cobra.Command {
	use := c.Name
	if c.Args != "" {
		use += " " + c.Args
	}
	cc := &cobra.Command{
		Use:                        use,
		Short:                      c.Short,
		Long:                       c.Long,
		Example:                    c.Example,
		Aliases:                    c.Aliases,
		Args:                       cobra.ArbitraryArgs,
		SuggestionsMinimumDistance: 2,
		ValidArgsFunction:          cobra.NoFileCompletions,
	}
	if c.Sub != nil {
		cc.RunE = groupRun
		for _, s := range c.Sub {
			cc.AddCommand(s.cobra(e))
		}
		return cc
	}
	fs := cc.Flags()
	run := c.Flags(fs)
	cc.DisableFlagsInUseLine = !fs.HasFlags()
	if c.Dirs {
		cc.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveFilterDirs
		}
	}
	cc.RunE = func(cc *cobra.Command, args []string) error {
		return run(cc.Context(), e, args)
	}
	return cc
}

// where is the command's name in an error, "keys list: ", or "" for the
// root.
func where(c *cobra.Command) string {
	if !c.HasParent() {
		return ""
	}
	return strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ") + ": "
}

// groupRun runs a command that only holds others (the root, keys,
// completion): what follows it must name one of them.
func groupRun(c *cobra.Command, args []string) error {
	var subs []string
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() {
			subs = append(subs, s.Name())
		}
	}
	list := strings.Join(subs, ", ")
	switch {
	case len(args) == 0 && !c.HasParent():
		return usagef("no command given (see %s help)", c.Root().Name())
	case len(args) == 0:
		return usagef("%smissing subcommand (%s; see %s --help)", where(c), list, c.CommandPath())
	case !c.HasParent() && didYouMean(c, args[0]) != "":
		return usagef("unknown command %q%s (see %s help)", args[0], didYouMean(c, args[0]), c.Root().Name())
	case !c.HasParent():
		return usagef("unknown command %q (commands: %s; see %s help)", args[0], list, c.Root().Name())
	}
	return usagef("%sunknown subcommand %q%s (%s)", where(c), args[0], didYouMean(c, args[0]), list)
}

// didYouMean is ": did you mean scan?" for a near miss, else "".
func didYouMean(c *cobra.Command, typed string) string {
	s := c.SuggestionsFor(typed)
	if len(s) == 0 {
		return ""
	}
	return ": did you mean " + series(s, " or ") + "?"
}

// helpCommand is `vastguard help [COMMAND]`: cobra's, except that an
// unknown command is an error (exit code 1), not a help text.
func helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:                   "help [COMMAND]",
		Short:                 "help about a command",
		DisableFlagsInUseLine: true,
		Long:                  "Help about any command: vastguard help COMMAND is vastguard COMMAND --help.",
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, s := range target.Commands() {
				if s.IsAvailableCommand() {
					out = append(out, s.Name()+"\t"+s.Short)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				return usagef("help: unknown command %q%s (see %s help)", strings.Join(args, " "), didYouMean(target, rest[0]), root.Name())
			}
			target.InitDefaultHelpFlag()
			target.InitDefaultVersionFlag()
			return target.Help()
		},
	}
}

// The flags' completions, as annotations on the flags (pflag's own
// mechanism): the flag definitions stay in the feature files, and
// completion functions are registered only when a shell asks (cobra keeps
// them in a global map, which per-run registration would grow).
const valuesAnnotation = "vastguard_values"

// enumFlag says the flag takes one of values (its shell completions).
func enumFlag(fs *pflag.FlagSet, name string, values ...string) {
	must(fs.SetAnnotation(name, valuesAnnotation, values))
}

// fileFlag says the flags take file names: the shell completes files.
func fileFlag(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		must(fs.SetAnnotation(n, cobra.BashCompFilenameExt, []string{}))
	}
}

func must(err error) {
	if err != nil {
		panic(err) // a flag name that the table does not define: a bug
	}
}

// registerCompletions gives every flag of the tree its completions: the
// values of an enumFlag, files for a fileFlag, and nothing for the rest.
func registerCompletions(c *cobra.Command) {
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Value.Type() == "bool" || f.Name == "help" {
			return
		}
		if _, ok := f.Annotations[cobra.BashCompFilenameExt]; ok {
			return // cobra completes files
		}
		values := f.Annotations[valuesAnnotation]
		c.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
	})
	for _, s := range c.Commands() {
		registerCompletions(s)
	}
}

// checkDashes refuses a long flag written with one dash (-format): pflag
// would read it as -f with the value "ormat", and the old flag package
// accepted it, so old scripts would go wrong quietly.
func checkDashes(c *cobra.Command, args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if c.Flags().Lookup(name) != nil || name == "help" || (name == "version" && !c.HasParent()) {
			return usagef("%s%s: a long flag takes two dashes: --%s (see %s --help)", where(c), a, strings.TrimPrefix(a, "-"), c.CommandPath())
		}
	}
	return nil
}

// runCLI runs the command line args (without the program name).
func runCLI(ctx context.Context, e *Env, args []string) error {
	if args == nil {
		args = []string{} // cobra reads os.Args for nil
	}
	root := newCLI(e)
	root.SetArgs(args)
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		registerCompletions(root)
	} else if target, rest, err := root.Find(args); err == nil {
		if err := checkDashes(target, rest); err != nil {
			return err
		}
	}
	return root.ExecuteContext(ctx)
}
