package scan_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// story builds the fixture every history test uses: each way a key can hide
// in a history, and each look-alike that must not be reported. It returns
// the repository; keys are scantest.Key(n).
func story(t testing.TB) *scantest.Repo {
	r := scantest.New(t)
	k := scantest.Key
	// 1: committed in .env, deleted in the next commit: reported once, at
	// the first commit.
	r.Commit("initial import", scantest.Files{
		"README.md":   "# gpu jobs on vast.ai\n",
		"app/.env":    "DEBUG=1\nVAST_API_KEY=" + k(1) + "\n",
		"app/main.py": "from vastai import VastAI\nvast = VastAI(api_key=os.environ['VAST_API_KEY'])\n",
	})
	r.Commit("drop the key", scantest.Files{"app/.env": "DEBUG=1\n"})
	// Look-alikes next to the word vast: none is a key.
	r.Commit("pin images and deps", scantest.Files{
		"Dockerfile":       "FROM vastai/pytorch@sha256:" + fakeDigest(1) + "\n",
		"requirements.txt": "vastai==0.2.6 --hash=sha256:" + fakeDigest(2) + "\n",
		"Cargo.lock":       "[[package]]\nname = \"vast\"\nchecksum = \"" + fakeDigest(3) + "\"\n",
		"model.bin":        "version https://git-lfs.github.com/spec/v1\noid sha256:" + fakeDigest(4) + "\nsize 12345\n",
		"SHA512SUMS":       fakeDigest(5) + fakeDigest(6) + "  vast-cli.tar.gz\n",
		"docs/setup.md":    "Run `vastai set api-key " + strings.Repeat("0", 64) + "` with your own key.\n",
	})
	// 2: a notebook with a JSON-escaped key, and a CRLF env file.
	r.Commit("add notebook", scantest.Files{
		"notebooks/train.ipynb": `{"cells": [{"source": ["import os\n", "os.environ[\"VAST_API_KEY\"] = \"` + k(2) + `\"\n"]}]}`,
		"deploy/prod.env":       "A=1\r\nVASTAI_API_KEY=" + k(3) + "\r\n",
	})
	// 3: the vastai CLI key file itself, and a renamed copy.
	r.Commit("oops, key file", scantest.Files{"home/.config/vastai/vast_api_key": k(4)})
	r.Commit("move it", scantest.Files{"home/.config/vastai/vast_api_key": scantest.Delete, "secrets/vast_api_key": k(4)})
	// 4: only on an unmerged branch.
	r.Branch("experiment")
	r.Commit("try the sdk", scantest.Files{"exp/run.py": "vast = VastAI(api_key=\"" + k(5) + "\")\n"})
	r.Checkout("main")
	// 5: only in a merge resolution.
	r.Branch("feature")
	r.Commit("feature work", scantest.Files{"feature.txt": "one\n"})
	r.Checkout("main")
	r.Commit("main work", scantest.Files{"feature.txt": "two\n"})
	r.Merge("feature", "merge feature", scantest.Files{"feature.txt": "resolved\ncurl -H 'Authorization: Bearer " + k(6) + "' https://console.vast.ai/api/v0/instances/\n"})
	// 6: only in a commit message.
	r.Commit("rotate creds\n\nold key was VAST_API_KEY="+k(7)+"\n", scantest.Files{"CHANGELOG": "rotated\n"})
	// 7: only behind a tag: the branch is deleted, an annotated tag keeps it.
	r.Branch("release-tmp")
	tagged := r.Commit("release config", scantest.Files{"release/config.yaml": "vast:\n  url: https://console.vast.ai/api/v0/?api_key=" + k(8) + "\n"})
	r.Tag("v1.0.0", tagged, "release 1.0.0")
	r.Checkout("main")
	r.DeleteBranch("release-tmp")
	// 8: in an annotated tag's message.
	r.Tag("v1.0.1", r.Head(), "hotfix\n\nvastai set api-key "+k(9)+"\n")
	// 9: in the stash (an older entry, reachable only through the reflog).
	r.Stash("wip", scantest.Files{"wip.sh": "vastai --api-key " + k(10) + " show instances\n"})
	r.Stash("wip 2", scantest.Files{"wip.sh": "echo nothing\n"})
	// 10: in a git note.
	r.Note(r.Head(), "debug: VAST_API_KEY="+k(11)+"\n")
	// 11: medium confidence (generic key in a file that mentions vast), an
	// inline allow, and a binary file.
	r.Commit("client", scantest.Files{
		"client/vast.go":    "package client // talks to vast.ai\nconst apiKey = \"" + k(12) + "\"\n",
		"tests/fixture.env": "VAST_API_KEY=" + k(13) + " # vastguard:allow test fixture\n",
		"assets/blob.dat":   "\x00\x01VAST_API_KEY=" + k(14) + "\n",
		"client/go.sum":     "example.com/vast v1.0.0 h1:x\napi_key = " + k(15) + "\n",
	})
	// 12: an unchanged directory moved: the key appears at a new path.
	r.Commit("rename deploy dir", scantest.Files{"deploy/prod.env": scantest.Delete, "ops/prod.env": "A=1\r\nVASTAI_API_KEY=" + k(3) + "\r\n"})
	r.CheckoutWorktree()
	return r
}

// fakeDigest is a hash-shaped value that is not a key.
func fakeDigest(n int) string { return scantest.Key(1000 + n) }

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./scan -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got), rerun with -update if intended:\n%s", name, diff)
	}
}

// stable zeroes what changes between runs.
func stable(r *scan.Report) *scan.Report {
	r.Stats.Seconds = 0
	return r
}

// row is a finding reduced to what the story checks by hand.
type row struct {
	Key    int
	Path   string
	Source string
	Rule   string
	Conf   scan.Confidence
	Line   int
	Commit string // subject of the commit it is attributed to
	Ref    string
}

func TestStoryHistory(t *testing.T) {
	t.Parallel()
	keyNum := map[string]int{}
	for n := 1; n <= 20; n++ {
		keyNum[scan.KeyHash(scantest.Key(n))] = n
	}
	for _, packed := range []bool{false, true} {
		t.Run(fmt.Sprintf("packed=%v", packed), func(t *testing.T) {
			t.Parallel()
			r := story(t)
			if packed {
				r.Pack()
			}
			rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			subject := map[string]string{}
			for _, f := range rep.Findings {
				if f.Commit != "" {
					c, err := r.Git.CommitObject(plumbing.NewHash(f.Commit))
					if err == nil {
						subject[f.Commit] = strings.SplitN(c.Message, "\n", 2)[0]
					}
				}
			}
			var got []row
			for _, f := range rep.Findings {
				got = append(got, row{keyNum[f.KeySHA256], f.Path, f.Source, f.Rule, f.Confidence, f.Line, subject[f.Commit], f.Ref})
			}
			want := []row{
				{1, "app/.env", "file", "vast-env-assignment", scan.High, 2, "initial import", "HEAD"},
				{3, "deploy/prod.env", "file", "vast-env-assignment", scan.High, 2, "add notebook", "HEAD"},
				{2, "notebooks/train.ipynb", "file", "vast-env-assignment", scan.High, 1, "add notebook", "HEAD"},
				{4, "home/.config/vastai/vast_api_key", "file", "vast-key-file", scan.High, 1, "oops, key file", "HEAD"},
				{4, "secrets/vast_api_key", "file", "vast-key-file", scan.High, 1, "move it", "HEAD"},
				{5, "exp/run.py", "file", "vast-sdk-constructor", scan.High, 1, "try the sdk", "refs/heads/experiment"},
				{6, "feature.txt", "file", "vast-bearer", scan.High, 2, "merge feature", "HEAD"},
				{7, "", "commit-message", "vast-env-assignment", scan.High, 3, "rotate creds", "HEAD"},
				{8, "release/config.yaml", "file", "vast-url-api-key", scan.High, 2, "release config", "refs/tags/v1.0.0"},
				{10, "wip.sh", "file", "vast-cli-flag", scan.High, 1, "index on main", "stash@{1}"}, // git stash's index commit holds it first
				{11, r.Head().String(), "file", "vast-env-assignment", scan.High, 1, "Notes added by 'git notes add'", "refs/notes/commits"},
				// A binary file's printable text is scanned (the story once
				// expected it skipped).
				{14, "assets/blob.dat", "file", "vast-env-assignment", scan.High, 1, "client", "HEAD"},
				{12, "client/vast.go", "file", "generic-key-in-vast-file", scan.Medium, 2, "client", "HEAD"},
				{3, "ops/prod.env", "file", "vast-env-assignment", scan.High, 2, "rename deploy dir", "HEAD"},
				{9, "", "tag-message", "vast-cli-set-api-key", scan.High, 3, "client", "refs/tags/v1.0.1"},
			}
			// The note is on the commit that was HEAD when it was added.
			want[10].Path = got[10].Path
			// The tag names the commit it was made on.
			want[14].Commit = got[14].Commit
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			st := rep.Stats
			if st.SkippedBinaries != 0 || st.BinaryBlobs != 1 || st.Allowed != 1 || st.Unreachable != 0 || st.Missing != 0 || st.Commits != 19 || st.Refs != 10 {
				t.Errorf("stats = %+v", st)
			}
			for _, f := range rep.Findings {
				if f.Secret() != scantest.Key(keyNum[f.KeySHA256]) || f.Redacted != "..."+f.Secret()[60:] || f.Verification != scan.Unchecked {
					t.Errorf("finding %s: secret, redaction or verification wrong", f.Path)
				}
			}
			var js bytes.Buffer
			if err := scan.WriteJSON(&js, stable(rep)); err != nil {
				t.Fatal(err)
			}
			golden(t, "story.json", js.Bytes())
			sarif, err := scan.SARIF(rep, scan.Tool{Name: "vastguard", Version: "1.0.0", InformationURI: "https://github.com/vastguard/vastguard"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "story.sarif", append(sarif, '\n'))
			var text bytes.Buffer
			if err := scan.WriteText(&text, rep); err != nil {
				t.Fatal(err)
			}
			golden(t, "story.txt", text.Bytes())
			for n := 1; n <= 20; n++ {
				k := scantest.Key(n)
				for name, out := range map[string][]byte{"json": js.Bytes(), "sarif": sarif, "text": text.Bytes()} {
					if bytes.Contains(out, []byte(k)) {
						t.Errorf("%s output contains key %d", name, n)
					}
				}
			}
		})
	}
}
