package runnertest

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Record is one NAME/VALUE record read back from a file-command file.
type Record struct {
	Name, Value string
}

// ParseFileCommands reads a file-command file the way the runner does
// (actions/runner FileCommandManager, EnvFileKeyValuePairs): each record is
// NAME=VALUE on one line, or NAME<<DELIMITER, the value's lines, and a line
// equal to DELIMITER. Empty lines between records are skipped. Lines end as
// .NET's StreamReader.ReadLine ends them: at a line feed, a carriage
// return, or the two together. Records are returned in file order; where a name
// repeats, the runner keeps the last one. The demo and the tests use it to
// hand STATE_* to the post step as the runner would.
func ParseFileCommands(data []byte) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	sc.Split(readLines)
	line := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		line++
		return sc.Text(), true
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
			out = append(out, Record{name, l[eq+1:]})
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
			out = append(out, Record{name, strings.Join(val, "\n")})
		default:
			return nil, fmt.Errorf("line %d: neither NAME=VALUE nor NAME<<DELIMITER", line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// FileCommandMap is ParseFileCommands as a map, the last record winning.
func FileCommandMap(data []byte) (map[string]string, error) {
	recs, err := ParseFileCommands(data)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(recs))
	for _, r := range recs {
		m[r.Name] = r.Value
	}
	return m, nil
}

// readLines splits as .NET's ReadLine does: "\n", "\r" and "\r\n" each
// end a line.
func readLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil // a CR at the end of what was read: a LF may follow
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
