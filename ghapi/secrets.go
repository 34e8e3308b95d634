package ghapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/go-github/v62/github"
	"golang.org/x/crypto/nacl/box"
)

// MaxSecretSize is the largest secret value SetRepoSecret sends: GitHub's
// documented 48 KB, read as 48,000 bytes.
const MaxSecretSize = 48_000

// SecretsHint is what a secret write needs, said whenever GitHub refuses
// one: the built-in GITHUB_TOKEN can never write secrets.
const SecretsHint = "writing a repository secret needs a token that may write secrets: a fine-grained personal access token or GitHub App token with \"Secrets: write\" on this repository (classic PAT: the repo scope); the built-in GITHUB_TOKEN cannot write secrets"

func secretHints(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "GitHub did not accept the token (mistyped, expired or revoked); " + SecretsHint
	case http.StatusForbidden:
		return SecretsHint
	case http.StatusNotFound:
		return "the repository does not exist or the token cannot see it; " + SecretsHint
	}
	return ""
}

var secretNameRule = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidateSecretName checks GitHub's rules for a secret name: letters,
// digits and underscores only, not starting with a digit, and not starting
// with GITHUB_ (in any case; GitHub stores names in upper case).
func ValidateSecretName(name string) error {
	switch {
	case name == "":
		return errors.New("the secret name is empty")
	case !secretNameRule.MatchString(name):
		return fmt.Errorf("%q is not a valid secret name: use only letters, digits and underscores, and do not start with a digit", name)
	case strings.HasPrefix(strings.ToUpper(name), "GITHUB_"):
		return fmt.Errorf("%q is not a valid secret name: names starting with GITHUB_ are reserved", name)
	}
	return nil
}

// SetRepoSecret creates or updates the Actions secret name of a
// repository: it fetches the repository's public key, seals value to it
// with a NaCl sealed box (libsodium's crypto_box_seal, as GitHub requires)
// and writes it. GitHub answers 201 for a new secret and 204 for an
// updated one; both are success.
//
// The name is checked with ValidateSecretName and the value must be 1 to
// MaxSecretSize bytes (ErrTooLarge beyond), before any request. The value
// never appears in an error. When GitHub answers 401, 403 or 404, the
// *Error's Hint says what is needed: a fine-grained PAT or App token with
// "Secrets: write" (classic PAT: repo); the built-in GITHUB_TOKEN cannot
// write secrets.
//
// GitHub API: GET /repos/{owner}/{repo}/actions/secrets/public-key, then
// PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}
func (c *Client) SetRepoSecret(ctx context.Context, owner, repo, name, value string) error {
	op := fmt.Sprintf("write secret %s to %s/%s", name, owner, repo)
	if err := checkRepo(owner, repo); err != nil {
		return fmt.Errorf("write secret to %s/%s: %w", owner, repo, err)
	}
	if err := ValidateSecretName(name); err != nil {
		return fmt.Errorf("write secret to %s/%s: %w", owner, repo, err)
	}
	switch {
	case value == "":
		return fmt.Errorf("%s: the value is empty", op)
	case len(value) > MaxSecretSize:
		return fmt.Errorf("%s: the value is %d bytes, over GitHub's limit of %d (48 KB): %w", op, len(value), MaxSecretSize, ErrTooLarge)
	}

	pk, _, err := c.gh.Actions.GetRepoPublicKey(ctx, owner, repo)
	if err != nil {
		return c.wrap(op+": get the repository's public key", err, secretHints, value)
	}
	raw, err := base64.StdEncoding.DecodeString(pk.GetKey())
	if err != nil || len(raw) != 32 || pk.GetKeyID() == "" {
		return &Error{Op: op, Status: http.StatusOK, Message: "the repository's public key is not a base64 32-byte key with a key_id"}
	}
	var recipient [32]byte
	copy(recipient[:], raw)
	sealed, err := box.SealAnonymous(nil, []byte(value), &recipient, rand.Reader)
	if err != nil {
		return fmt.Errorf("%s: sealing the value: %w", op, err)
	}
	_, err = c.gh.Actions.CreateOrUpdateRepoSecret(ctx, owner, repo, &github.EncryptedSecret{
		Name:           name,
		KeyID:          pk.GetKeyID(),
		EncryptedValue: base64.StdEncoding.EncodeToString(sealed),
	})
	if err != nil {
		return c.wrap(op, err, secretHints, value)
	}
	return nil
}
