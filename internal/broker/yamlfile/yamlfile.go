// Package yamlfile decodes the broker's YAML files (its config and its
// policy) strictly: an unknown or misspelt field is an error naming the file,
// the line and the field's path, on one line, so a typo in a policy can never
// silently drop a condition.
//
// yaml.v3's own KnownFields check reports Go type names across several
// lines; this walks the document beside the target type instead, reading the
// same yaml tags. It imports nothing of the project's.
package yamlfile

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a problem at one place in a file.
type Error struct {
	File string
	Line int    // 0 if unknown
	Path string // e.g. rules[1].match.ref; empty for the whole file
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Decode decodes data (named file in messages) into out, a pointer to a
// struct. Fields of type yaml.Node are left for the caller to interpret.
func Decode(file string, data []byte, out any) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return atLine(file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 {
		return &Error{File: file, Msg: "is empty"}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return &Error{File: file, Line: doc.Line, Msg: "must be a mapping of fields"}
	}
	if err := checkKnown(file, doc, reflect.TypeOf(out).Elem(), ""); err != nil {
		return err
	}
	if err := doc.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			return atLine(file, te.Errors[0])
		}
		return &Error{File: file, Msg: oneLine(err.Error())}
	}
	return nil
}

var nodeType = reflect.TypeOf(yaml.Node{})

func checkKnown(file string, n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // Decode reports the type mismatch
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[name] = f.Type
			names = append(names, name)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				slices.Sort(names)
				return &Error{File: file, Line: k.Line, Path: path, Msg: fmt.Sprintf("unknown field %q (known: %s)", k.Value, strings.Join(names, ", "))}
			}
			if err := checkKnown(file, v, ft, join(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, c := range n.Content {
			if err := checkKnown(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkKnown(file, n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	}
	return nil
}

var lineMsg = regexp.MustCompile(`^line (\d+): (.*)$`)

// atLine turns yaml.v3's "line N: msg" into an Error at line N.
func atLine(file, msg string) error {
	msg = oneLine(msg)
	if m := lineMsg.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: n, Msg: m[2]}
	}
	return &Error{File: file, Msg: msg}
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
