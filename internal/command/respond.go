package command

import (
	"context"
	"fmt"

	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/internal/safetext"
)

// repoSecretSink stores a replacement key in a repository secret.
type repoSecretSink struct {
	g                   *githubAPI
	owner, repo, secret string
}

func (s repoSecretSink) Store(ctx context.Context, value string) error {
	if err := s.g.explain(s.g.SetRepoSecret(ctx, s.owner, s.repo, s.secret, value)); err != nil {
		return fmt.Errorf("storing it in secret %s failed: %s", s.secret, safetext.OneLine(err.Error()))
	}
	return nil
}

func (s repoSecretSink) Describe() string {
	return fmt.Sprintf("repository secret %s of %s/%s", s.secret, s.owner, s.repo)
}

// fileSink writes a replacement key to a 0600 file.
type fileSink string

func (f fileSink) Store(_ context.Context, value string) error {
	sf, err := openSecretFile(string(f))
	if err != nil {
		return err
	}
	return sf.commit(value)
}

func (f fileSink) Describe() string { return string(f) }

// replacementName names a replacement after the key it replaces, at the
// environment's time.
func replacementName(e *Env) func(leaked int64) string {
	return func(id int64) string { return respond.ReplacementName(e.Now(), id) }
}
