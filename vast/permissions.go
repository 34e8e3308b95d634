package vast

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// Categories are the eleven public permission categories of the Vast API, in
// the order vast-api.md §3 lists them.
var Categories = []string{
	"instance_read", "instance_write",
	"user_read", "user_write",
	"billing_read", "billing_write",
	"machine_read", "machine_write",
	"misc",
	"team_read", "team_write",
}

// Presets maps each permissions preset name to the categories it grants,
// each in full (an empty object).
var Presets = map[string][]string{
	// read-only: every *_read category.
	"read-only": {"instance_read", "user_read", "billing_read", "machine_read", "team_read"},
	// instance-management: run and manage instances, search offers.
	"instance-management": {"instance_read", "instance_write", "misc"},
	// autoscaler: what a production scaler needs, and no billing.
	"autoscaler": {"instance_read", "instance_write", "misc"},
	// full: every category. Refused unless full access is explicitly allowed.
	"full": Categories,
}

// PresetNames lists the preset names in a stable order, for messages.
var PresetNames = []string{"read-only", "instance-management", "autoscaler", "full"}

// ErrFullAccess is matched (errors.Is) by the error ParsePermissions returns
// for a full-access request that was not explicitly allowed.
var ErrFullAccess = errors.New("full access not allowed")

// PermissionsError says which part of a permissions value is wrong and why.
type PermissionsError struct {
	Part    string // e.g. `api.instance_read."api.instance.show".constraints.id`; empty for the whole value
	Problem string
	err     error
}

func (e *PermissionsError) Error() string {
	if e.Part == "" {
		return "permissions: " + e.Problem
	}
	// The part comes from the input; a key pasted there by mistake must not
	// reach a log.
	return fmt.Sprintf("permissions: %s: %s", Redact(e.Part), e.Problem)
}

func (e *PermissionsError) Unwrap() error { return e.err }

// Permissions is a validated permissions object in the API's format,
// {"api": {"<category>": {...}, ...}}. The zero value grants nothing and is
// refused by CreateKey.
type Permissions struct {
	raw  json.RawMessage // canonical JSON of the whole object
	cats map[string]json.RawMessage
}

// ParsePermissions accepts a preset name (see Presets) or a JSON object
// {"api": {...}} and validates it locally: only the known categories, each
// an object whose entries are operations ("api.instance.show") holding at
// most "constraints" (field -> {"eq"|"lte"|"gte": value}) and "params".
//
// A request for every category unconstrained (the "full" preset, or JSON
// that amounts to it) is refused with an error matching ErrFullAccess unless
// allowFull is true. The error names the part that is wrong.
func ParsePermissions(spec string, allowFull bool) (Permissions, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Permissions{}, &PermissionsError{Problem: fmt.Sprintf("empty; use a preset (%s) or a JSON object {\"api\": {...}}", strings.Join(PresetNames, ", "))}
	}
	var p Permissions
	if spec[0] != '{' {
		cats, ok := Presets[spec]
		if !ok {
			return Permissions{}, &PermissionsError{Problem: fmt.Sprintf("unknown preset %q; use one of %s, or a JSON object {\"api\": {...}}", spec, strings.Join(PresetNames, ", "))}
		}
		p = fromCategories(cats)
	} else {
		var err error
		if p, err = parsePermissionsJSON(spec); err != nil {
			return Permissions{}, err
		}
	}
	if p.IsFull() && !allowFull {
		return Permissions{}, &PermissionsError{Problem: "this grants full access (every category, including user_write and billing_write); allow it explicitly (allow-full-access: true / --allow-full-access) or choose a narrower preset", err: ErrFullAccess}
	}
	return p, nil
}

// MustPermissions is ParsePermissions for values known to be valid, such as
// presets in tests; it panics on error.
func MustPermissions(spec string, allowFull bool) Permissions {
	p, err := ParsePermissions(spec, allowFull)
	if err != nil {
		panic(err)
	}
	return p
}

func fromCategories(cats []string) Permissions {
	m := make(map[string]json.RawMessage, len(cats))
	for _, c := range cats {
		m[c] = json.RawMessage(`{}`)
	}
	return build(m)
}

func build(cats map[string]json.RawMessage) Permissions {
	names := make([]string, 0, len(cats))
	for c := range cats {
		names = append(names, c)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString(`{"api":{`)
	for i, c := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c)
		b.Write(k)
		b.WriteByte(':')
		var compact bytes.Buffer
		if json.Compact(&compact, cats[c]) != nil {
			compact.WriteString("{}")
		}
		b.Write(compact.Bytes())
	}
	b.WriteString(`}}`)
	return Permissions{raw: b.Bytes(), cats: cats}
}

func parsePermissionsJSON(spec string) (Permissions, error) {
	if err := checkDuplicates(spec); err != nil {
		return Permissions{}, err
	}
	dec := json.NewDecoder(strings.NewReader(spec))
	dec.UseNumber()
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return Permissions{}, &PermissionsError{Problem: "not valid JSON: " + jsonProblem(err)}
	}
	if dec.More() {
		return Permissions{}, &PermissionsError{Problem: "not valid JSON: text after the closing brace"}
	}
	for k := range top {
		if k != "api" {
			return Permissions{}, &PermissionsError{Part: k, Problem: `unknown top-level key; the only one is "api"`}
		}
	}
	apiRaw, ok := top["api"]
	if !ok {
		return Permissions{}, &PermissionsError{Problem: `missing the top-level "api" object, e.g. {"api": {"instance_read": {}}}`}
	}
	var cats map[string]json.RawMessage
	if err := json.Unmarshal(apiRaw, &cats); err != nil || cats == nil {
		return Permissions{}, &PermissionsError{Part: "api", Problem: "must be an object of categories"}
	}
	if len(cats) == 0 {
		return Permissions{}, &PermissionsError{Part: "api", Problem: "grants nothing; name at least one category (" + strings.Join(Categories, ", ") + ")"}
	}
	for _, c := range sortedKeys(cats) {
		if !slices.Contains(Categories, c) {
			return Permissions{}, &PermissionsError{Part: "api." + c, Problem: "unknown category; known: " + strings.Join(Categories, ", ")}
		}
		if err := checkCategory("api."+c, cats[c]); err != nil {
			return Permissions{}, err
		}
	}
	return build(cats), nil
}

func checkCategory(part string, raw json.RawMessage) error {
	var ops map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil || ops == nil {
		return &PermissionsError{Part: part, Problem: "must be an object ({} grants the whole category)"}
	}
	for _, op := range sortedKeys(ops) {
		opPart := part + "." + quoteIfDotted(op)
		if !strings.HasPrefix(op, "api.") {
			return &PermissionsError{Part: opPart, Problem: `unknown entry; entries are operations such as "api.instance.show"`}
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(ops[op], &body); err != nil || body == nil {
			return &PermissionsError{Part: opPart, Problem: `must be an object, e.g. {"constraints": {"id": {"eq": 1227}}}`}
		}
		for _, k := range sortedKeys(body) {
			switch k {
			case "constraints":
				if err := checkConstraints(opPart+".constraints", body[k]); err != nil {
					return err
				}
			case "params":
				var params map[string]json.RawMessage
				if err := json.Unmarshal(body[k], &params); err != nil || params == nil {
					return &PermissionsError{Part: opPart + ".params", Problem: "must be an object"}
				}
			default:
				return &PermissionsError{Part: opPart + "." + quoteIfDotted(k), Problem: `unknown key; use "constraints" (or "params")`}
			}
		}
	}
	return nil
}

func checkConstraints(part string, raw json.RawMessage) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return &PermissionsError{Part: part, Problem: `must be an object of fields, e.g. {"id": {"eq": 1227}}`}
	}
	if len(fields) == 0 {
		return &PermissionsError{Part: part, Problem: "is empty; name at least one field or drop it"}
	}
	for _, f := range sortedKeys(fields) {
		fPart := part + "." + quoteIfDotted(f)
		var opsMap map[string]json.RawMessage
		if err := json.Unmarshal(fields[f], &opsMap); err != nil || opsMap == nil {
			return &PermissionsError{Part: fPart, Problem: `must be an object of operators, e.g. {"eq": 1227}`}
		}
		if len(opsMap) == 0 {
			return &PermissionsError{Part: fPart, Problem: "has no operator; use eq, lte or gte"}
		}
		for _, o := range sortedKeys(opsMap) {
			switch o {
			case "eq", "lte", "gte":
			default:
				return &PermissionsError{Part: fPart + "." + quoteIfDotted(o), Problem: "unknown operator; use eq, lte or gte"}
			}
			v := bytes.TrimSpace(opsMap[o])
			if len(v) == 0 || (v[0] != '"' && v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
				return &PermissionsError{Part: fPart + "." + o, Problem: "must be a number or a string"}
			}
		}
	}
	return nil
}

func quoteIfDotted(s string) string {
	if s == "" || strings.ContainsAny(s, ". \"[]") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// jsonProblem describes a JSON syntax error by position, without quoting the
// input (which may be anything a user pasted).
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("expected an object, found a %s", te.Value)
	}
	return err.Error()
}

// IsZero reports whether p grants nothing (the zero value).
func (p Permissions) IsZero() bool { return len(p.cats) == 0 }

// Categories returns the granted categories, sorted.
func (p Permissions) Categories() []string { return sortedKeys(p.cats) }

// Has reports whether p grants anything in category c.
func (p Permissions) Has(c string) bool { _, ok := p.cats[c]; return ok }

// Constrained reports whether category c carries operation entries
// (constraints) rather than granting the whole category.
func (p Permissions) Constrained(c string) bool {
	raw, ok := p.cats[c]
	if !ok {
		return false
	}
	var ops map[string]json.RawMessage
	_ = json.Unmarshal(raw, &ops)
	return len(ops) > 0
}

// IsFull reports whether p grants every category without constraints.
func (p Permissions) IsFull() bool {
	for _, c := range Categories {
		if !p.Has(c) || p.Constrained(c) {
			return false
		}
	}
	return true
}

// String is a short human description: the categories, with "(constrained)"
// after those narrowed by constraints.
func (p Permissions) String() string {
	if p.IsZero() {
		return "none"
	}
	var parts []string
	for _, c := range p.Categories() {
		if p.Constrained(c) {
			parts = append(parts, c+" (constrained)")
		} else {
			parts = append(parts, c)
		}
	}
	return strings.Join(parts, ", ")
}

// MarshalJSON returns the canonical {"api": {...}} object.
func (p Permissions) MarshalJSON() ([]byte, error) {
	if p.IsZero() {
		return []byte(`{"api":{}}`), nil
	}
	return p.raw, nil
}

// permissionsFromAPI reads the permissions the API reports for a key, which
// may be an object {"api": {...}}, a JSON string holding one, false (meaning
// full access, per the create response), or absent. known is false when the
// value says nothing usable.
func permissionsFromAPI(raw json.RawMessage) (p Permissions, full, known bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return Permissions{}, false, false
	}
	if string(raw) == "false" {
		return fromCategories(Categories), true, true
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return Permissions{}, false, false
		}
		raw = json.RawMessage(s)
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return Permissions{}, false, false
	}
	var cats map[string]json.RawMessage
	if json.Unmarshal(top["api"], &cats) != nil || cats == nil {
		return Permissions{}, false, false
	}
	// Keep only what is well-formed; the server's categories may grow.
	clean := make(map[string]json.RawMessage, len(cats))
	for c, v := range cats {
		clean[c] = v
	}
	p = build(clean)
	return p, p.IsFull(), true
}

// PermissionsDiff is how granted permissions differ from requested ones,
// as parts named like PermissionsError.Part ("api.user_write",
// `api.instance_read."api.instance.show"`).
type PermissionsDiff struct {
	// Broader are parts granted beyond the request: a category or an
	// operation not asked for, a category granted whole where only some
	// operations were asked for, or an operation whose constraints differ.
	Broader []string
	// Narrower are parts asked for and not granted.
	Narrower []string
}

// Empty reports whether the two sets are the same grant.
func (d PermissionsDiff) Empty() bool { return len(d.Broader) == 0 && len(d.Narrower) == 0 }

// String is e.g. "broader: api.user_write; narrower: api.misc", or "none".
func (d PermissionsDiff) String() string {
	var parts []string
	if len(d.Broader) > 0 {
		parts = append(parts, "broader: "+strings.Join(d.Broader, ", "))
	}
	if len(d.Narrower) > 0 {
		parts = append(parts, "narrower: "+strings.Join(d.Narrower, ", "))
	}
	if len(parts) == 0 {
		return "none"
	}
	return Redact(strings.Join(parts, "; "))
}

// Compare tells how granted differs from p (the request). expanded is true
// when granted lists, for a category p asks for whole ({}), operations
// without constraints: the form a server may expand {} into, taken as the
// same grant.
func (p Permissions) Compare(granted Permissions) (d PermissionsDiff, expanded bool) {
	for _, c := range granted.Categories() {
		if !p.Has(c) {
			d.Broader = append(d.Broader, "api."+quoteIfDotted(c))
		}
	}
	for _, c := range p.Categories() {
		part := "api." + quoteIfDotted(c)
		if !granted.Has(c) {
			d.Narrower = append(d.Narrower, part)
			continue
		}
		want, got := operations(p.cats[c]), operations(granted.cats[c])
		switch {
		case len(want) == 0 && len(got) == 0:
		case len(want) == 0:
			for _, op := range sortedKeys(got) {
				if constrained(got[op]) {
					d.Narrower = append(d.Narrower, part+"."+quoteIfDotted(op)+" (constrained)")
				}
			}
			expanded = true
		case len(got) == 0:
			d.Broader = append(d.Broader, part+" (the whole category, not only the operations asked for)")
		default:
			for _, op := range sortedKeys(got) {
				opPart := part + "." + quoteIfDotted(op)
				w, ok := want[op]
				switch {
				case !ok:
					d.Broader = append(d.Broader, opPart)
				case !jsonEqual(w, got[op]):
					d.Broader = append(d.Broader, opPart+" (constraints differ)")
				}
			}
			for _, op := range sortedKeys(want) {
				if _, ok := got[op]; !ok {
					d.Narrower = append(d.Narrower, part+"."+quoteIfDotted(op))
				}
			}
		}
	}
	return d, expanded && d.Empty()
}

// operations decodes a category's object of operations; nil for {} or
// anything unreadable.
func operations(raw json.RawMessage) map[string]json.RawMessage {
	var ops map[string]json.RawMessage
	_ = json.Unmarshal(raw, &ops)
	return ops
}

// constrained reports whether an operation entry carries constraints or
// params (anything but an empty object).
func constrained(raw json.RawMessage) bool {
	var body map[string]json.RawMessage
	if json.Unmarshal(raw, &body) != nil {
		return true
	}
	for _, v := range body {
		if s := strings.TrimSpace(string(v)); s != "{}" && s != "null" {
			return true
		}
	}
	return false
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// maxDepth bounds the nesting checkDuplicates walks (encoding/json's own
// limit is 10000).
const maxDepth = 10000

// checkDuplicates refuses an object that names a member twice, at any
// depth: encoding/json (like the API's Python) keeps the last, so
// {"api": {"instance_read": {}, "instance_read": ...}} would silently grant
// something else than it reads as. It walks the tokens of a streaming
// json.Decoder with an explicit stack. Syntax errors are left to the
// decoder that follows, which describes them.
func checkDuplicates(spec string) error {
	type frame struct {
		object  bool
		seen    map[string]bool
		path    string
		index   int    // next element of an array
		key     string // the member whose value comes next
		wantKey bool   // an object expects a member name (or its end)
	}
	dec := json.NewDecoder(strings.NewReader(spec))
	dec.UseNumber()
	var stack []*frame
	join := func(path, seg string) string {
		if path == "" || strings.HasPrefix(seg, "[") {
			return path + seg
		}
		return path + "." + seg
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // end of input, or a syntax error reported later
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		d, isDelim := tok.(json.Delim)
		if isDelim && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if top != nil && top.wantKey {
			name, _ := tok.(string)
			if top.seen[name] {
				return &PermissionsError{Part: join(top.path, quoteIfDotted(name)), Problem: "named twice in one object; JSON keeps only the last, so say it once"}
			}
			top.seen[name], top.key, top.wantKey = true, name, false
			continue
		}
		// A value: of the top-level, an object member or an array element.
		path := ""
		switch {
		case top == nil:
		case top.object:
			path = join(top.path, quoteIfDotted(top.key))
			top.wantKey = true
		default:
			path = join(top.path, fmt.Sprintf("[%d]", top.index))
			top.index++
		}
		if isDelim {
			if len(stack) >= maxDepth {
				return &PermissionsError{Problem: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
			}
			stack = append(stack, &frame{object: d == '{', seen: map[string]bool{}, path: path, wantKey: d == '{'})
		}
	}
}
