package main

import (
	"bufio"
	"bytes"
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
// always uses one fixed delimiter; fileCommand uses a fresh random one per
// record, as the actions toolkit does, and refuses a value that contains it.

// fileCommandName is what a record name may look like: an environment
// variable, output or state name. No "=", "<<", space or line break can
// reach the runner's parser.
var fileCommandName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// newDelimiter returns "ghadelimiter_" and 32 random hex characters.
func newDelimiter() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return "ghadelimiter_" + hex.EncodeToString(b[:])
}

// formatFileCommand returns one heredoc record for name and value, with
// delim as its delimiter. It refuses a name that is not a plain identifier
// and a value that contains the delimiter.
func formatFileCommand(name, value, delim string) (string, error) {
	if !fileCommandName.MatchString(name) {
		return "", fmt.Errorf("file command: %q is not a valid name (letters, digits, _ and -; no spaces or line breaks)", name)
	}
	if !strings.HasPrefix(delim, "ghadelimiter_") || strings.ContainsAny(delim, "\r\n") {
		return "", fmt.Errorf("file command: bad delimiter")
	}
	if strings.Contains(value, delim) || strings.Contains(name, delim) {
		return "", fmt.Errorf("file command %s: the value contains the delimiter; refusing to write it", name)
	}
	return name + "<<" + delim + "\n" + value + "\n" + delim + "\n", nil
}

// fileCommandWriter appends records to the runner's file-command files.
// getenv finds the files (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE).
type fileCommandWriter struct {
	getenv func(string) string
	delim  func() string // newDelimiter; tests may fix it
}

// write appends one record for each name/value pair to the file named by
// the environment variable fileVar, in one write call so a crash cannot
// leave half a record. It fails if fileVar is unset: outside a runner there
// is nowhere to write.
func (w *fileCommandWriter) write(fileVar string, pairs ...string) error {
	if len(pairs)%2 != 0 {
		return errors.New("file command: odd number of name/value arguments")
	}
	path := w.getenv(fileVar)
	if path == "" {
		return fmt.Errorf("%s is not set: this runs as a step of a GitHub Actions job", fileVar)
	}
	newDelim := w.delim
	if newDelim == nil {
		newDelim = newDelimiter
	}
	var b strings.Builder
	for i := 0; i < len(pairs); i += 2 {
		rec, err := formatFileCommand(pairs[i], pairs[i+1], newDelim())
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

// fileCommandRecord is one NAME/VALUE record read back from a file-command
// file.
type fileCommandRecord struct {
	Name, Value string
}

// parseFileCommands reads a file-command file the way the runner does
// (actions/runner FileCommandManager, EnvFileKeyValuePairs): each record is
// NAME=VALUE on one line, or NAME<<DELIMITER, the value's lines, and a line
// equal to DELIMITER. Empty lines between records are skipped; a CR before a
// line feed is dropped. Records are returned in file order; where a name
// repeats, the runner keeps the last one. The demo and the tests use it to
// hand STATE_* to the post step as the runner would.
func parseFileCommands(data []byte) ([]fileCommandRecord, error) {
	var out []fileCommandRecord
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		line++
		return strings.TrimSuffix(sc.Text(), "\r"), true
	}
	for {
		l, ok := next()
		if !ok {
			break
		}
		if l == "" {
			continue
		}
		eq := strings.Index(l, "=")
		hd := strings.Index(l, "<<")
		switch {
		case eq >= 0 && (hd < 0 || eq < hd):
			name := l[:eq]
			if name == "" {
				return nil, fmt.Errorf("line %d: empty name", line)
			}
			out = append(out, fileCommandRecord{name, l[eq+1:]})
		case hd >= 0:
			name, delim := l[:hd], l[hd+2:]
			if name == "" || delim == "" {
				return nil, fmt.Errorf("line %d: invalid heredoc header", line)
			}
			start := line
			var val []string
			closed := false
			for {
				v, ok := next()
				if !ok {
					break
				}
				if v == delim {
					closed = true
					break
				}
				val = append(val, v)
			}
			if !closed {
				return nil, fmt.Errorf("line %d: heredoc %s is not closed by %s", start, name, delim)
			}
			out = append(out, fileCommandRecord{name, strings.Join(val, "\n")})
		default:
			return nil, fmt.Errorf("line %d: neither NAME=VALUE nor NAME<<DELIMITER", line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// fileCommandMap is parseFileCommands as a map, the last record winning.
func fileCommandMap(data []byte) (map[string]string, error) {
	recs, err := parseFileCommands(data)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(recs))
	for _, r := range recs {
		m[r.Name] = r.Value
	}
	return m, nil
}
