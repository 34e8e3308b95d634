package scan

import (
	"reflect"
	"regexp"
	"testing"
)

// TestDetectorVersionInvalidates: the cache's version moves with the
// detection code's version and with any field of any detector that
// decides what matches.
func TestDetectorVersionInvalidates(t *testing.T) {
	t.Parallel()
	base := cacheVersion(Detectors)
	if cacheVersion(Detectors) != base || versionOf(DetectorVersion, Detectors) != base {
		t.Fatal("the version is not stable")
	}
	if versionOf(DetectorVersion+"-next", Detectors) == base {
		t.Error("bumping DetectorVersion kept the cache version")
	}
	if cacheVersion(Detectors[1:]) == base {
		t.Error("a detector removed and the cache version did not change")
	}
	changes := map[string]func(d *Detector){
		"ID":         func(d *Detector) { d.ID += "-x" },
		"Confidence": func(d *Detector) { d.Confidence = Medium },
		"Via":        func(d *Detector) { d.Via = append(append([]Via(nil), d.Via...), ViaBare) },
		"Lines":      func(d *Detector) { d.Lines = LineAbove },
		"Bound":      func(d *Detector) { d.Bound = NameGeneric },
		"Scope":      func(d *Detector) { d.Scope = ScopeFile },
		"Base64":     func(d *Detector) { d.Base64 = !d.Base64 },
		"WholeFile":  func(d *Detector) { d.WholeFile = !d.WholeFile },
		"Path":       func(d *Detector) { d.Path = regexp.MustCompile(`x`) },
		"PathRule":   func(d *Detector) { d.PathRule = !d.PathRule },
	}
	describe := map[string]bool{"Name": true, "Description": true}
	typ := reflect.TypeFor[Detector]()
	for i := range typ.NumField() {
		f := typ.Field(i).Name
		if _, ok := changes[f]; !ok && !describe[f] {
			t.Errorf("Detector.%s is new: hash it in versionOf (if it changes what matches) and change it here", f)
		}
	}
	for f, change := range changes {
		changed := append([]Detector(nil), Detectors...)
		change(&changed[0])
		if cacheVersion(changed) == base {
			t.Errorf("a detector's %s changed and the cache version did not", f)
		}
	}
}
