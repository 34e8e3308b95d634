package keyname

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/vast"
)

var exp = time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)

func TestKeyNameFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Name
		want string
	}{
		{"a typical job", Name{"acme/gpu-tests", 9876543210, 1, "train", "mint", exp, "q7k2mx", false},
			"vastguard:acme/gpu-tests:run-9876543210-1:train:mint:exp-20261126T180000Z:q7k2mx"},
		{"an unnamed uses: step", Name{"acme/gpu-tests", 1, 2, "build", "__vastguard_vastguard_2", exp, "aaaaaa", false},
			"vastguard:acme/gpu-tests:run-1-2:build:__vastguard_vastguard_2:exp-20261126T180000Z:aaaaaa"},
		{"characters outside the alphabet", Name{"acme/x:y", 1, 1, "job with spaces", "l/a:b", exp, "bbbbbb", false},
			"vastguard:acme/x_y:run-1-1:job_with_spaces:l_a_b:exp-20261126T180000Z:bbbbbb"},
		{"nothing known (outside Actions)", Name{"", 0, 0, "", "", exp, "cccccc", false},
			"vastguard:_/_:run-0-0:_:_:exp-20261126T180000Z:cccccc"},
		{"expiry in another zone is written in UTC", Name{"a/b", 1, 1, "j", "s", exp.In(time.FixedZone("X", 3600)), "dddddd", false},
			"vastguard:a/b:run-1-1:j:s:exp-20261126T180000Z:dddddd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestKeyNameRoundTrip(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("j", 200)
	tests := []struct {
		name string
		in   Name
		want Name // what parsing the formatted name gives
	}{
		{"typical", Name{"acme/gpu-tests", 9876543210, 3, "train", "mint", exp, "q7k2mx", false}, Name{"acme/gpu-tests", 9876543210, 3, "train", "mint", exp, "q7k2mx", false}},
		{"cleaned fields", Name{"acme/x:y", 1, 1, "a b", "", exp, "q7k2mx", false}, Name{"acme/x_y", 1, 1, "a_b", "_", exp, "q7k2mx", false}},
		{"sub-second expiry is cut to the second", Name{"a/b", 1, 1, "j", "s", exp.Add(999 * time.Millisecond), "q7k2mx", false}, Name{"a/b", 1, 1, "j", "s", exp, "q7k2mx", false}},
		{"largest ids", Name{"a/b", 1<<63 - 1, 1<<63 - 1, "j", "s", exp, "q7k2mx", false}, Name{"a/b", 1<<63 - 1, 1<<63 - 1, "j", "s", exp, "q7k2mx", false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.in.String()
			got, ok := Parse(s)
			if !ok {
				t.Fatalf("Parse(%q) failed", s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if again := got.String(); again != s {
				t.Errorf("format(parse(name)) = %s, want %s", again, s)
			}
		})
	}

	t.Run("too long for the API: the longest fields are cut", func(t *testing.T) {
		t.Parallel()
		in := Name{strings.Repeat("o", 39) + "/" + strings.Repeat("r", 100), 1<<63 - 1, 1<<63 - 1, long, long, exp, "q7k2mx", false}
		s := in.String()
		if len(s) > vast.MaxNameLength {
			t.Fatalf("len = %d > %d: %s", len(s), vast.MaxNameLength, s)
		}
		got, ok := Parse(s)
		if !ok {
			t.Fatalf("Parse(%q) failed", s)
		}
		if got.Expires != exp || got.RunID != in.RunID || got.Nonce != "q7k2mx" || !strings.HasPrefix(got.Repository, strings.Repeat("o", 39)+"/rrr") {
			t.Errorf("parsed %+v", got)
		}
		for _, f := range []string{got.Job, got.Label} {
			if !strings.HasSuffix(f, "~") || len(f) < 10 {
				t.Errorf("cut field %q: want a readable prefix ending in ~", f)
			}
		}
		if got.String() != s {
			t.Errorf("cut name does not round-trip")
		}
	})
}

// FuzzKeyName: whatever the job's context, the name fits the API, parses,
// keeps the expiry and nonce exactly, and formats back to itself.
func FuzzKeyName(f *testing.F) {
	f.Add("acme/gpu-tests", int64(9876543210), int64(1), "train", "mint", int64(1795000000), false)
	f.Add("", int64(0), int64(0), "", "", int64(0), false)
	f.Add("a:b/c\nd", int64(-5), int64(7), strings.Repeat("x", 300), "::add-mask::", int64(4102444800), false)
	f.Add(strings.Repeat("o", 300), int64(1), int64(1), "j", strings.Repeat("~", 70), int64(1), false)
	f.Add("acme/gpu-tests", int64(9876543210), int64(1), "train", "mint", int64(1795000000), true)
	f.Add(strings.Repeat("o", 300), int64(1<<62), int64(1<<62), strings.Repeat("j", 300), strings.Repeat("l", 300), int64(4102444800), true)
	f.Fuzz(func(t *testing.T, repo string, run, attempt int64, job, label string, unix int64, broker bool) {
		e := time.Unix(unix%(1<<34), 0).UTC()
		if e.Year() < 1970 || e.Year() > 9999 {
			t.Skip()
		}
		in := Name{repo, run, attempt, job, label, e, "abcdef", broker}
		s := in.String()
		if len(s) > vast.MaxNameLength {
			t.Fatalf("len %d: %q", len(s), s)
		}
		got, ok := Parse(s)
		if !ok {
			t.Fatalf("Parse(%q) failed", s)
		}
		if got.Broker != broker || Minted(s) != broker {
			t.Errorf("Parse(%q).Broker = %v, Minted = %v; want %v", s, got.Broker, Minted(s), broker)
		}
		if !got.Expires.Equal(e) || got.Nonce != "abcdef" || got.RunID != max(run, 0) || got.Attempt != max(attempt, 0) {
			t.Errorf("parse(%q) = %+v", s, got)
		}
		if got.String() != s {
			t.Errorf("not idempotent: %q -> %q", s, got.String())
		}
	})
}

func TestParseKeyNameRefusesOtherNames(t *testing.T) {
	t.Parallel()
	good := "vastguard:acme/gpu-tests:run-9876543210-1:train:mint:exp-20261126T180000Z:q7k2mx"
	if _, ok := Parse(good); !ok {
		t.Fatal("the good name does not parse")
	}
	for _, s := range []string{
		"",
		"default",
		"laptop",
		"vastguard",
		"ci-9876543210",
		strings.Replace(good, "vastguard:", "vastguardx:", 1),
		strings.Replace(good, "vastguard:", "Vastguard:", 1),
		strings.Replace(good, "acme/gpu-tests", "acme-gpu-tests", 1),
		strings.Replace(good, "acme/gpu-tests", "acme/gpu/tests", 1),
		strings.Replace(good, "run-9876543210-1", "run-9876543210", 1),
		strings.Replace(good, "run-9876543210-1", "run-x-1", 1),
		strings.Replace(good, "run-9876543210-1", "run-09876543210-1", 1),
		strings.Replace(good, "run-9876543210-1", "run-99999999999999999999-1", 1),
		strings.Replace(good, ":train:", "::", 1),
		strings.Replace(good, ":train:", ":tr ain:", 1),
		strings.Replace(good, "exp-20261126T180000Z", "exp-2026-11-26T18:00:00Z", 1),
		strings.Replace(good, "exp-20261126T180000Z", "exp-20261326T180000Z", 1),
		strings.Replace(good, "exp-20261126T180000Z", "20261126T180000Z", 1),
		strings.Replace(good, "q7k2mx", "q7k2m", 1),
		strings.Replace(good, "q7k2mx", "Q7K2MX", 1),
		strings.Replace(good, "q7k2mx", "q7k2m1", 1),
		good + ":extra",
		good + " ",
		" " + good,
		strings.Replace(good, "train", strings.Repeat("t", 200), 1),
	} {
		if k, ok := Parse(s); ok {
			t.Errorf("Parse(%q) = %+v, want refused", s, k)
		}
	}
}

// TestBrokerNames: the broker's names are the Action's with their own
// prefix; Minted tells them apart, and nothing else counts as the broker's.
func TestBrokerNames(t *testing.T) {
	t.Parallel()
	action := Name{"acme/gpu-tests", 9876543210, 1, "train", "vast", exp, "q7k2mx", false}
	broker := action
	broker.Broker = true
	if got, want := broker.String(), "vastguard-broker:acme/gpu-tests:run-9876543210-1:train:vast:exp-20261126T180000Z:q7k2mx"; got != want {
		t.Errorf("broker name\n got %s\nwant %s", got, want)
	}
	for _, tt := range []struct {
		in         Name
		wantMinted bool
	}{{action, false}, {broker, true}} {
		s := tt.in.String()
		got, ok := Parse(s)
		if !ok {
			t.Fatalf("Parse(%q) failed", s)
		}
		if diff := cmp.Diff(tt.in, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", s, diff)
		}
		if Minted(s) != tt.wantMinted {
			t.Errorf("Minted(%q) = %v, want %v", s, !tt.wantMinted, tt.wantMinted)
		}
	}

	// The longest possible broker name still fits, cut the same way.
	long := Name{strings.Repeat("o", 39) + "/" + strings.Repeat("r", 100), 1<<63 - 1, 1<<63 - 1, strings.Repeat("j", 64), strings.Repeat("l", 64), exp, "q7k2mx", true}
	s := long.String()
	if len(s) > vast.MaxNameLength || !Minted(s) || !strings.HasPrefix(s, BrokerPrefix+":") {
		t.Errorf("long broker name (%d characters) %q: Minted %v", len(s), s, Minted(s))
	}

	good := broker.String()
	for _, s := range []string{
		"",
		"vastguard-broker",
		"vastguard-broker:acme",
		action.String(),
		strings.Replace(good, "vastguard-broker:", "vastguard-brokers:", 1),
		strings.Replace(good, "vastguard-broker:", "Vastguard-Broker:", 1),
		strings.Replace(good, "vastguard-broker:", "vastguard_broker:", 1),
		strings.Replace(good, "q7k2mx", "q7k2m", 1),
		good + ":extra",
		"vastguard-broker-" + good,
	} {
		if Minted(s) {
			t.Errorf("Minted(%q) = true, want false", s)
		}
	}
}
