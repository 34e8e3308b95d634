package ghactions

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// File commands are how a step hands values to the runner: it appends
// records to the files named by GITHUB_OUTPUT, GITHUB_ENV and GITHUB_STATE,
// and the runner reads them when the step ends (even one that crashed).
// A record is NAME=VALUE, or, for any value, a heredoc:
//
//	NAME<<DELIMITER
//	VALUE
//	DELIMITER
//
// The runner ends the heredoc at the first line equal to the delimiter, so
// a value containing that line could smuggle in further records (an output
// or an environment variable of its choosing). go-githubactions v1.3.1
// always uses one fixed delimiter; FileCommandWriter uses a fresh random one per
// record, as the actions toolkit does, and refuses a value that contains it.

// fileCommandName is what a record name may look like: an environment
// variable, output or state name. No "=", "<<", space or line break can
// reach the runner's parser.
var fileCommandName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// NewDelimiter returns "ghadelimiter_" and 32 random hex characters.
func NewDelimiter() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return "ghadelimiter_" + hex.EncodeToString(b[:])
}

// FormatFileCommand returns one heredoc record for name and value, with
// delim as its delimiter. It refuses a name that is not a plain identifier
// and a value that contains the delimiter or a carriage return.
func FormatFileCommand(name, value, delim string) (string, error) {
	if !fileCommandName.MatchString(name) {
		return "", fmt.Errorf("file command: %q is not a valid name (letters, digits, _ and -; no spaces or line breaks)", name)
	}
	if !strings.HasPrefix(delim, "ghadelimiter_") || strings.ContainsAny(delim, "\r\n") {
		return "", fmt.Errorf("file command: bad delimiter")
	}
	if strings.Contains(value, delim) || strings.Contains(name, delim) {
		return "", fmt.Errorf("file command %s: the value contains the delimiter; refusing to write it", name)
	}
	if strings.Contains(value, "\r") {
		// The runner reads these files line by line with .NET's
		// ReadLine, which ends a line at a lone CR too: the value would
		// not read back as written.
		return "", fmt.Errorf("file command %s: the value contains a carriage return, which the runner would read as a line break; refusing to write it", name)
	}
	return name + "<<" + delim + "\n" + value + "\n" + delim + "\n", nil
}

// FileCommandWriter appends records to the runner's file-command files.
type FileCommandWriter struct {
	// Getenv finds the files (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE).
	Getenv func(string) string
	// Delim makes each record's delimiter; nil means NewDelimiter. Tests
	// may fix it.
	Delim func() string
}

// Write appends one record for each name/value pair to the file named by
// the environment variable fileVar, in one write call so a crash cannot
// leave half a record. It fails if fileVar is unset: outside a runner there
// is nowhere to write.
func (w *FileCommandWriter) Write(fileVar string, pairs ...string) error {
	if len(pairs)%2 != 0 {
		return errors.New("file command: odd number of name/value arguments")
	}
	path := w.Getenv(fileVar)
	if path == "" {
		return fmt.Errorf("%s is not set: this runs as a step of a GitHub Actions job", fileVar)
	}
	newDelim := w.Delim
	if newDelim == nil {
		newDelim = NewDelimiter
	}
	var b strings.Builder
	for i := 0; i < len(pairs); i += 2 {
		rec, err := FormatFileCommand(pairs[i], pairs[i+1], newDelim())
		if err != nil {
			return err
		}
		b.WriteString(rec)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("%s: %w", fileVar, err)
	}
	_, err = f.WriteString(b.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", fileVar, err)
	}
	return nil
}
