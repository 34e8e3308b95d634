package scan

import (
	"fmt"
	"path"
)

// Location is where a finding is, for people, on one line: the file's
// path (an archive entry as "a.zip!b/c"), "(commit message)", "(tag v1.0
// message)", "(unreachable blob 1a2b3c4d5e)", "(stdin)", or a run's log
// ("run 123 build/2_Run tests.txt"). The line number is not included.
func Location(f Finding) string {
	switch f.Source {
	case SourceCommitMessage:
		return "(commit message)"
	case SourceTagMessage:
		return "(tag " + f.Tag + " message)"
	case SourceUnreachable:
		if f.Blob == "" && f.Commit != "" {
			return "(unreachable commit " + short(f.Commit) + " message)"
		}
		return "(unreachable blob " + short(f.Blob) + ")"
	case SourceStdin:
		return "(stdin)"
	case SourceActionsLog:
		if f.Log != nil {
			return fmt.Sprintf("run %d %s", f.Log.RunID, f.Path)
		}
	}
	return f.Path
}

// pathGroup is the per-path summary's row a finding counts in: its file,
// or one row for each kind of place that is not a file.
func pathGroup(f Finding) string {
	switch f.Source {
	case SourceCommitMessage:
		return "(commit messages)"
	case SourceTagMessage:
		return "(tag messages)"
	case SourceUnreachable:
		return "(unreachable objects)"
	case SourceStdin:
		return "(stdin)"
	case SourceActionsLog:
		if f.Log != nil {
			name := fmt.Sprintf("run %d", f.Log.RunID)
			if f.Log.Workflow != "" {
				name += " (" + f.Log.Workflow + ")"
			}
			return name + " job " + f.Log.Job
		}
		return "(logs) " + path.Dir(f.Path)
	}
	return f.Path
}
