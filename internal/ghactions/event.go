package ghactions

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/vastguard/vastguard/internal/safetext"
)

// PREvent is what a step needs from a pull request's event payload
// (GITHUB_EVENT_PATH): the commits that bound the pull request.
type PREvent struct {
	Number int
	Base   string // base commit id
	Head   string // head commit id
}

var commitID = regexp.MustCompile(`^[0-9a-f]{40}$`)

// prEventNames are the events whose payload names a pull request's base and
// head.
var prEventNames = map[string]bool{"pull_request": true, "pull_request_target": true, "merge_group": true}

// ParsePREvent reads the base and head commits from a pull_request,
// pull_request_target or merge_group payload. It never fails on unknown
// fields; it fails, naming what is missing, when the commits are absent or
// not 40-hex ids.
func ParsePREvent(eventName string, payload []byte) (PREvent, error) {
	eventName = safetext.OutsideOr(eventName, "(unnamed)")
	var ev struct {
		Number      int `json:"number"`
		PullRequest *struct {
			Number int `json:"number"`
			Base   struct {
				SHA string `json:"sha"`
			} `json:"base"`
			Head struct {
				SHA string `json:"sha"`
			} `json:"head"`
		} `json:"pull_request"`
		MergeGroup *struct {
			BaseSHA string `json:"base_sha"`
			HeadSHA string `json:"head_sha"`
		} `json:"merge_group"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return PREvent{}, fmt.Errorf("the %s event payload is not JSON: %v", eventName, jsonProblemShort(err))
	}
	var out PREvent
	switch {
	case eventName == "merge_group" && ev.MergeGroup != nil:
		out = PREvent{Base: ev.MergeGroup.BaseSHA, Head: ev.MergeGroup.HeadSHA}
	case ev.PullRequest != nil:
		out = PREvent{Number: ev.PullRequest.Number, Base: ev.PullRequest.Base.SHA, Head: ev.PullRequest.Head.SHA}
		if out.Number == 0 {
			out.Number = ev.Number
		}
	default:
		return PREvent{}, fmt.Errorf("the %s event payload has no pull_request (or merge_group) object", eventName)
	}
	if !commitID.MatchString(out.Base) || !commitID.MatchString(out.Head) {
		return PREvent{}, fmt.Errorf("the %s event payload does not name the base and head commits as 40-character ids", eventName)
	}
	return out, nil
}

// ReadPREvent reads GITHUB_EVENT_PATH for a pull request event; ok is false
// for other events.
func ReadPREvent(getenv func(string) string) (PREvent, bool, error) {
	name := getenv("GITHUB_EVENT_NAME")
	if !prEventNames[name] {
		return PREvent{}, false, nil
	}
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return PREvent{}, true, fmt.Errorf("GITHUB_EVENT_NAME is %s but GITHUB_EVENT_PATH is not set", name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return PREvent{}, true, fmt.Errorf("reading the %s event payload: %w", name, errors.Unwrap(err))
	}
	ev, err := ParsePREvent(name, b)
	return ev, true, err
}

func jsonProblemShort(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v at byte %d", se, se.Offset)
	}
	return "unexpected shape"
}
