package runnertest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFileCommandsLikeTheRunner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []Record
		wantErr string
	}{
		{"empty file", "", nil, ""},
		{"name=value", "a=1\nb=two words\n", []Record{{"a", "1"}, {"b", "two words"}}, ""},
		{"value with = and <<", "a=x=y<<z\n", []Record{{"a", "x=y<<z"}}, ""},
		{"heredoc", "key<<EOF\nline 1\nline 2\nEOF\n", []Record{{"key", "line 1\nline 2"}}, ""},
		{"heredoc with empty value", "key<<EOF\nEOF\n", []Record{{"key", ""}}, ""},
		{"heredoc with an empty line", "key<<EOF\n\nEOF\n", []Record{{"key", ""}}, ""},
		{"CRLF", "a=1\r\nk<<D\r\nv\r\nD\r\n", []Record{{"a", "1"}, {"k", "v"}}, ""},
		{"blank lines between records", "\na=1\n\n\nb=2\n", []Record{{"a", "1"}, {"b", "2"}}, ""},
		{"no trailing newline", "k<<D\nv\nD", []Record{{"k", "v"}}, ""},
		{"repeats kept in order", "a=1\na=2\n", []Record{{"a", "1"}, {"a", "2"}}, ""},
		{"unclosed heredoc", "k<<D\nv\n", nil, "line 1: heredoc k is not closed by D"},
		{"garbage", "hello\n", nil, "line 1: neither NAME=VALUE nor NAME<<DELIMITER"},
		{"empty name", "=v\n", nil, "line 1: empty name"},
		{"empty delimiter", "k<<\nv\n", nil, "line 1: invalid heredoc header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFileCommands([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
