package scan_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// TestFileAt reads files as a revision holds them, packed or loose, and
// refuses what is not a regular file within the size it is given.
func TestFileAt(t *testing.T) {
	t.Parallel()
	for _, packed := range []bool{false, true} {
		r := scantest.New(t)
		files := scantest.Files{
			".vastguard.yaml":  "min-confidence: high\n",
			"conf/deep/a.yaml": "a: 1\n",
			"big.txt":          strings.Repeat("x", 100),
		}
		if !packed {
			files["link.yaml"] = scantest.Symlink(".vastguard.yaml") // scantest packs no links
		}
		first := r.Commit("base", files)
		r.Commit("head", scantest.Files{".vastguard.yaml": "min-confidence: medium\n"})
		if packed {
			r.Pack()
		}
		c, _ := r.Git.CommitObject(first)
		tests := []struct {
			rev, name string
			want      string
			err       error  // matched with errors.Is
			msg       string // else the error contains it
		}{
			{rev: "HEAD", name: ".vastguard.yaml", want: "min-confidence: medium\n"},
			{rev: "HEAD~1", name: ".vastguard.yaml", want: "min-confidence: high\n"},
			{rev: first.String(), name: "conf/deep/a.yaml", want: "a: 1\n"},
			{rev: "HEAD", name: "conf/deep/none.yaml", err: fs.ErrNotExist},
			{rev: "HEAD", name: "conf/deep/a.yaml/x", err: fs.ErrNotExist},
			{rev: "HEAD", name: "../etc/passwd", err: fs.ErrNotExist},
			{rev: "HEAD", name: "conf", msg: "not a regular file"},
			{rev: "HEAD", name: "big.txt", msg: "100 bytes, more than 64"},
			{rev: "main~5", name: ".vastguard.yaml", err: scan.ErrMissingRevision},
			{rev: c.TreeHash.String(), name: ".vastguard.yaml", err: scan.ErrBadRange},
		}
		if !packed {
			tests = append(tests, struct {
				rev, name string
				want      string
				err       error
				msg       string
			}{rev: "HEAD", name: "link.yaml", msg: "not a regular file"})
		}
		for _, tt := range tests {
			got, err := scan.FileAt(r.Dir, tt.rev, tt.name, 64, scan.Options{})
			switch {
			case tt.err == nil && tt.msg == "":
				if err != nil {
					t.Errorf("packed %v: FileAt(%s, %s): %v", packed, tt.rev, tt.name, err)
				} else if diff := cmp.Diff(tt.want, string(got)); diff != "" {
					t.Errorf("packed %v: FileAt(%s, %s) (-want +got):\n%s", packed, tt.rev, tt.name, diff)
				}
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Errorf("packed %v: FileAt(%s, %s): err = %v, want %v", packed, tt.rev, tt.name, err, tt.err)
			case tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg)):
				t.Errorf("packed %v: FileAt(%s, %s): err = %v, want one saying %q", packed, tt.rev, tt.name, err, tt.msg)
			}
		}
	}
}
