package scan

import "testing"

// TestDetectorVersionInvalidates: the cache's version moves with
// DetectorVersion and with any field of any detector. Not parallel: it
// changes a package variable while no parallel test runs.
func TestDetectorVersionInvalidates(t *testing.T) {
	base := cacheVersion(Detectors)
	if cacheVersion(Detectors) != base {
		t.Fatal("the version is not stable")
	}
	old := DetectorVersion
	DetectorVersion = old + "-next"
	bumped := cacheVersion(Detectors)
	DetectorVersion = old
	if bumped == base {
		t.Error("bumping DetectorVersion kept the cache version")
	}
	changed := append([]Detector(nil), Detectors...)
	changed[0].Confidence = Medium
	if cacheVersion(changed) == base {
		t.Error("a detector's confidence changed and the cache version did not")
	}
	if cacheVersion(Detectors[1:]) == base {
		t.Error("a detector removed and the cache version did not change")
	}
}
