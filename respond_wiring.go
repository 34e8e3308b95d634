package main

import (
	"context"
	"fmt"

	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
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

// leakedKeyDialer gives respond a client for each leaked key.
func leakedKeyDialer(e *env, apiURL string) respond.Dialer {
	return func(key string, retry vast.RetryPolicy) (respond.Client, error) {
		opts := []vast.Option{vast.WithBaseURL(apiURL), vast.WithUserAgent("vastguard/" + version()), vast.WithRetry(retry)}
		if e.http != nil {
			opts = append(opts, vast.WithHTTPClient(e.http))
		}
		if e.now != nil {
			opts = append(opts, vast.WithClock(e.now))
		}
		if e.sleep != nil {
			opts = append(opts, vast.WithSleep(e.sleep))
		}
		c, err := vast.New(key, opts...)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}
