package gitobj

import (
	"errors"
	"fmt"
)

// Limits are the budgets a repository's content must fit in. A zero field
// takes its default; the defaults are far above what git itself writes, so
// only a corrupt or hostile repository meets them.
type Limits struct {
	// MaxObjectSize is the largest object read at all, streamed or held.
	// Default 8 GiB.
	MaxObjectSize int64
	// MaxDeltaSize is the largest object held whole in memory: a delta,
	// the object rebuilt from it, and its base (git itself never deltifies
	// a file over core.bigFileThreshold, 512 MiB by default). An object
	// without a delta above it is streamed instead, if the visitor streams.
	// Default 1 GiB.
	MaxDeltaSize int64
	// MaxMemory bounds the inflated objects ForEach holds at once, beyond
	// an allowance of PerWorkerMemory per worker: a worker that needs
	// more holds the walk's one large-memory token, and a delta chain that
	// needs more than MaxMemory at once is refused. Default 3 × MaxDeltaSize.
	MaxMemory int64
}

// Defaults of Limits.
const (
	DefaultMaxObjectSize int64 = 8 << 30
	DefaultMaxDeltaSize  int64 = 1 << 30
)

// PerWorkerMemory is what each ForEach worker may hold without the
// large-memory token.
const PerWorkerMemory int64 = 32 << 20

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.MaxObjectSize <= 0 {
		l.MaxObjectSize = DefaultMaxObjectSize
	}
	if l.MaxDeltaSize <= 0 {
		l.MaxDeltaSize = DefaultMaxDeltaSize
	}
	if l.MaxMemory <= 0 {
		l.MaxMemory = 3 * l.MaxDeltaSize
	}
	return l
}

// ErrLimit is matched (errors.Is) by every error about content over a
// budget; the error itself is a *LimitError.
var ErrLimit = errors.New("limit exceeded")

// LimitError is content over a budget: a Size that Limit, named by Knob,
// does not allow for What.
type LimitError struct {
	What  string // the object or file, e.g. "pack-1a2b.pack: object 3c4d…"
	Need  string // what is over, e.g. "a delta result"
	Size  int64
	Limit int64
	Knob  string // the budget, e.g. "MaxDeltaSize"
}

func (e *LimitError) Error() string {
	need := e.Need
	if need == "" {
		need = "it"
	}
	return fmt.Sprintf("%s: %s of %s is over the %s limit (%s); a real repository stays far below it, so the repository is corrupt or hostile (raise the limit only if you trust it)",
		e.What, need, Bytes(e.Size), Bytes(e.Limit), e.Knob)
}

// Is makes errors.Is(err, ErrLimit) hold.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// Bytes formats a size for people: "512 B", "3.0 MiB", "1.0 GiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}
