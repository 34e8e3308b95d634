package vast

import (
	"fmt"
	"io"
)

// Secret is an API key value. It formats as its redacted form under every
// fmt verb and in JSON, so a Key or Secret that reaches a log line, an error
// or an encoder by mistake shows only "..." and the last four characters (as
// the Vast CLI displays keys). Reveal returns the value itself.
type Secret string

// Reveal returns the key value. Call it only where the value must go: an
// Authorization header, a masked Actions output, a 0600 file.
func (s Secret) Reveal() string { return string(s) }

// Redacted returns "..." followed by the last four characters, or "..." alone
// for values too short to show any part of.
func (s Secret) Redacted() string {
	if len(s) < 12 {
		return "..."
	}
	return "..." + string(s[len(s)-4:])
}

// String returns the redacted form.
func (s Secret) String() string { return s.Redacted() }

// GoString returns the redacted form, quoted.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.Redacted()) }

// Format writes the redacted form for every verb, so no fmt verb can print
// the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.Redacted())
		return
	}
	io.WriteString(f, s.Redacted())
}

// MarshalText returns the redacted form; encoders never see the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.Redacted()), nil }
