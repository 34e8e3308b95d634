package scan_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

var (
	sarifSchemaOnce sync.Once
	sarifSchema     *jsonschema.Schema
	sarifSchemaErr  error
)

// schema compiles the vendored SARIF 2.1.0 schema (testdata/README.md
// says where it comes from), with its formats (uri, uri-reference,
// date-time) asserted.
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sarifSchemaOnce.Do(func() {
		f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
		if err != nil {
			sarifSchemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			sarifSchemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
		if err := c.AddResource(url, doc); err != nil {
			sarifSchemaErr = err
			return
		}
		sarifSchema, sarifSchemaErr = c.Compile(url)
	})
	if sarifSchemaErr != nil {
		t.Fatal(sarifSchemaErr)
	}
	return sarifSchema
}

// checkSARIF validates a log against the SARIF 2.1.0 schema and against
// what GitHub code scanning requires of it (validateSARIF).
func checkSARIF(t *testing.T, name string, b []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not JSON: %v", name, err)
	}
	if err := schema(t).Validate(doc); err != nil {
		t.Errorf("%s does not validate against the SARIF 2.1.0 schema:\n%v", name, err)
	}
	if problems := validateSARIF(b); len(problems) > 0 {
		t.Errorf("%s is not what code scanning accepts:\n%s", name, strings.Join(problems, "\n"))
	}
}

// The schema test must be able to fail: a log missing what the schema
// requires is refused.
func TestSARIFSchemaRefusesBadLogs(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"no version":             `{"runs": []}`,
		"result without message": `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}]}`,
		"bad level":              `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}`,
		"uri with a space":       `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "informationUri": "not a uri"}}, "results": []}]}`,
	} {
		d, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if schema(t).Validate(d) == nil {
			t.Errorf("%s: the schema accepted it", name)
		}
	}
}

// TestSARIFSchema: every kind of finding (files, messages, unreachable
// objects, staged, directory, archive entries, stdin, CI logs; live,
// invalid, unknown, examples) makes a log valid under the SARIF 2.1.0
// schema and code scanning's rules.
func TestSARIFSchema(t *testing.T) {
	t.Parallel()
	tool := scan.Tool{Name: "vastguard", Version: "1.2.3", InformationURI: "https://github.com/vastguard/vastguard"}
	r := story(t)
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep.Repository = &scan.Repository{URI: "https://github.com/acme/gpu", Revision: r.Head().String(), Branch: "refs/heads/main"}
	for i := range rep.Findings {
		switch i % 4 {
		case 1:
			rep.Findings[i].Verification, rep.Findings[i].VerificationDetail = scan.Live, "account 7"
		case 2:
			rep.Findings[i].Verification = scan.Invalid
		case 3:
			rep.Findings[i].Verification, rep.Findings[i].VerificationDetail = scan.Unknown, "403: a scoped key"
		}
	}
	rep.Findings[0].Example = "the docs' example"
	b, err := scan.SARIF(rep, tool, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSARIF(t, "history", b)

	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{
		"a.env":          []byte("VAST_API_KEY=" + scantest.Key(1) + "\n"),
		"dist/app.zip":   zipOf(t, map[string]string{"cfg/.env": "VAST_API_KEY=" + scantest.Key(2) + "\n"}),
		"with space.env": []byte("VAST_API_KEY=" + scantest.Key(3) + "\n"),
	})
	drep, err := scan.ScanDir(t.Context(), dir, scan.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	drep.Merge(mustReader(t, "VAST_API_KEY="+scantest.Key(4)+"\n"))
	drep.Merge(mustLog(t, 77, map[string]string{"build/2_Run.txt": "2026-01-01T00:00:00.0000000Z VAST_API_KEY=" + scantest.Key(5) + "\n"}))
	drep.Stats.UnscannedCount = 1
	drep.Stats.Unscanned = []scan.Unscanned{{Path: "x.zip", Reason: "encrypted entry"}}
	b, err = scan.SARIF(drep, tool, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSARIF(t, "directory, stdin and logs", b)
	var log struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
					LogicalLocations []struct {
						FullyQualifiedName string `json:"fullyQualifiedName"`
					} `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, res := range log.Runs[0].Results {
		l := res.Locations[0]
		s := l.PhysicalLocation.ArtifactLocation.URI
		for _, lg := range l.LogicalLocations {
			s += " | " + lg.FullyQualifiedName
		}
		got = append(got, s)
	}
	want := []string{
		"a.env",
		"dist/app.zip | dist/app.zip!cfg/.env",
		"with%20space.env",
		scan.NoFileURI + " | standard input",
		scan.NoFileURI + " | run 77 log build/2_Run.txt",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("locations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
