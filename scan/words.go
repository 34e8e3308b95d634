package scan

import (
	"strings"
)

// The vocabulary the detectors weigh a name with, as data. A name (an
// identifier, a key, a flag, a header, a path or a short phrase) is split
// into lowercase words (see splitWords); each table below says what a word
// means for whether a 64-hex value bound to that name is a Vast API key.
//
// Sources: the shapes in public code listed in the corpus generator
// (scan/corpus), the Vast CLI and SDK (vast-ai/vast-cli), the anchors'
// rules (docs/anchors-scanners.md) and the look-alikes found next to Vast
// keys in vast-ai/vast-cli, dstackai/dstack and jjziets/vasttools.

// keyWords make a name say "API credential".
var keyWords = wordSet("key", "keys", "apikey", "apikeys", "token", "tokens", "apitoken", "accesstoken",
	"authtoken", "bearer", "authorization", "credential", "credentials", "cred", "creds", "secret", "secrets")

// genericKeyWords are the key words strong enough on their own, without the
// word vast, to call a value a key when the file or section is about Vast.
// "secret" alone is not one of them: SECRET_KEY, WEBHOOK_SECRET and the like
// are made by the project itself (openssl rand -hex 32).
var genericKeyWords = wordSet("key", "apikey", "token", "apitoken", "accesstoken", "authtoken", "bearer",
	"authorization", "credential", "credentials", "cred", "creds")

// neutralWords qualify a key name without saying whose key it is
// (MY_API_KEY, DEFAULT_TOKEN, os.environ, self.api_key).
var neutralWords = wordSet("api", "my", "your", "our", "the", "a", "an", "default", "dev", "development", "prod",
	"production", "staging", "stage", "test", "testing", "local", "remote", "cloud", "gpu", "gpus", "provider",
	"account", "user", "personal", "main", "primary", "secondary", "backup", "old", "new", "current", "global",
	"env", "environ", "environment", "var", "vars", "variable", "config", "cfg", "conf", "settings", "setting",
	"app", "access", "auth", "read", "write", "readonly", "scoped", "cli", "sdk", "os", "process", "self",
	"this", "cls", "ctx", "options", "opts", "args", "params", "kwargs", "container", "instance", "value",
	"str", "const", "let", "val", "export", "set", "setx", "get", "getenv", "fetch", "final",
	"static", "private_", "public_", "readonly_", "string_", "define", "is", "was", "here", "in", "for", "of",
	"with", "and", "or", "to", "from", "rent", "renting", "compute", "x", "v0", "v1", "data", "string",
	// front-end build prefixes: NEXT_PUBLIC_, VITE_, REACT_APP_, EXPO_PUBLIC_
	"next", "public", "vite", "react", "nuxt", "expo", "gatsby", "svelte", "private")

// negativeWords mark a name for something that is not an account API key:
// digests and ids, instance and daemon tokens, and secrets a project makes
// for itself. Any one of them rejects the binding, with or without vast.
var negativeWords = wordSet(
	// digests, checksums and ids
	"sha", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3", "md5", "blake2", "blake2b", "blake2s", "blake3",
	"hash", "hashes", "hashed", "digest", "digests", "checksum", "checksums", "crc", "crc32", "integrity",
	"fingerprint", "fingerprints", "shasum", "sha256sum", "sum", "sums", "oid", "etag", "commit", "commits",
	"rev", "revision", "ref", "sri", "id", "ids", "uuid", "guid", "machineid", "containerid", "txid", "tx",
	"block", "salt", "nonce", "seed", "iv", "pepper",
	// instance, portal and host-daemon tokens (not account keys)
	"jupyter", "notebook", "notebookapp", "openbutton", "button", "portal", "kaalia", "daemon", "heartbeat",
	// secrets a project makes for itself
	"webhook", "webhooks", "hmac", "signing", "signature", "sig", "jwt", "session", "cookie", "csrf", "xsrf",
	"encrypt", "encryption", "encrypted", "cipher", "aes", "privkey", "pubkey", "ssh", "gpg",
	"pgp", "password", "passwd", "pass", "pwd", "admin", "bot", "otp", "totp", "mfa", "recovery", "license",
	"cache", "invite", "refresh", "nextauth", "django", "flask", "rails", "laravel")

// otherProviders name another service's credential. In a name, a section
// or a URL they take the value away from Vast.
var otherProviders = wordSet("aws", "amazon", "gcp", "google", "gcloud", "azure", "github", "gh", "ghp", "gitlab",
	"bitbucket", "openai", "anthropic", "claude", "gemini", "mistral", "groq", "cohere", "together", "fireworks",
	"replicate", "deepseek", "openrouter", "perplexity", "xai", "grok", "runpod", "lambda", "lambdalabs",
	"hotaisle", "paperspace", "coreweave", "tensordock", "fluidstack", "jarvislabs", "vultr", "hetzner",
	"linode", "digitalocean", "cloudflare", "cf", "ngrok", "tailscale", "hf", "huggingface", "wandb", "comet",
	"neptune", "slack", "discord", "telegram", "twilio", "sendgrid", "mailgun", "stripe", "paypal", "supabase",
	"firebase", "mongo", "mongodb", "redis", "postgres", "postgresql", "pg", "mysql", "db", "database",
	"sentry", "datadog", "newrelic", "pinecone", "weaviate", "qdrant", "civitai", "modal", "salad", "akash",
	"oci", "oracle", "ibm", "alibaba", "aliyun", "tencent", "baidu", "yandex", "kaggle", "docker", "dockerhub",
	"npm", "pypi", "nuget", "gcr", "ecr", "ghcr", "quay", "s3", "r2", "b2", "minio", "smtp", "mail", "email",
	"sms", "notion", "airtable", "zapier", "n8n", "langsmith", "langchain", "elevenlabs", "assemblyai",
	"deepgram", "serpapi", "tavily", "brave", "bing", "jina", "unsplash", "youtube", "spotify", "twitter",
	"facebook", "instagram", "shopify", "algolia", "mapbox", "mixpanel", "okta", "auth0", "clerk",
	"ethereum", "eth", "bitcoin", "btc", "wallet", "mnemonic", "infura", "alchemy", "etherscan", "nicehash",
	"ad", "ads", "adserver", "vpaid", "vmap", "tenzir",
	"dstack", "skypilot", "crusoe", "nebius", "scaleway", "ovh", "massedcompute",
	// VAST Data (vast-data/terraform-provider-vastdata, vast-csi): another
	// company's storage clusters, not Vast.ai
	"vastdata", "vastdb", "vastcosi",
	// model servers people run on a Vast instance: their keys are the
	// server's own (VLLM_API_KEY, an OpenClaw "vllm" provider)
	"vllm", "ollama", "sglang", "litellm", "llamacpp", "tgi", "openclaw")

// typeWords are type annotations that sit between a name and its value
// (const X: string =, let x: &str =, val x: String =, var x string =).
var typeWords = wordSet("string", "str", "&str", "text", "any", "final", "optional", "option", "char",
	"const", "unicode", "bytes", "secretstr", "securestring", "static", "readonly", "nsstring")

// slotWords are generic value slots whose name is given elsewhere: a
// sibling name/key (Kubernetes and ECS env entries, .NET appSettings,
// Postman variables), or the enclosing block's label (Terraform variable
// defaults).
var slotWords = wordSet("value", "default", "val", "defaultvalue", "secretvalue", "secretstring",
	"stringvalue", "content", "literal", "body", "parametervalue", "optionvalue")

// ownerWords name the sibling that says what a slot holds.
var ownerWords = wordSet("name", "key", "id", "variable", "parameterkey", "optionname", "secretname", "env",
	"envname", "label", "envvar", "alias", "validationalias", "configpath", "settingname", "secretid")

// discriminatorWords are the keys that say which service a block is for
// (- type: vastai, provider: vast, name: vast-credentials).
var discriminatorWords = wordSet("type", "provider", "name", "kind", "service", "backend", "platform", "cloud",
	"vendor", "source", "target", "plugin", "driver", "integration")

// fallbackCallees are calls whose last argument is a default value for the
// name in their receiver or first argument (unwrap_or, getOrDefault,
// cmp.Or, ENV.fetch).
var fallbackCallees = wordSet("unwrap_or", "unwrapor", "unwrap_or_else", "or", "orelse", "getordefault",
	"get", "fetch", "getenv", "default", "withdefault", "setdefault", "env", "config", "getvariable",
	"lookup", "environ.get", "getenvironmentvariable", "setenv", "putenv", "define", "setenvironmentvariable",
	"variable.get", "coalesce")

// setKeyVerbs are the CLI subcommands that store a key (vastai set api-key).
var setKeyVerbs = wordSet("api-key", "api_key", "apikey")

// keyFlags are the CLI flags that pass a key (vastai --api-key KEY).
var keyFlags = wordSet("api-key", "api_key", "apikey", "key", "token", "api-token", "vast-api-key",
	"vastai-api-key", "vast-key", "vast-token", "auth-token", "access-token")

// slotFlags are the flags of secret stores that take a value whose name is
// another argument (gh secret set NAME --body VALUE).
var slotFlags = wordSet("body", "value", "data", "secret-string", "string-value", "from-literal", "secret",
	"val", "v", "b")

// vastPrograms are the Vast CLIs, as invoked: vastai, vast, vast.py.
var vastPrograms = wordSet("vastai", "vast", "vast.py", "vastai.exe", "vast-cli", "vastai-cli")

func wordSet(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// splitWords splits a name into lowercase words at every non-alphanumeric
// byte and at camelCase boundaries: "VAST_API_KEY", "vastApiKey",
// "vast.api.key" and "VastAPIKey" all give vast, api, key. Bytes outside
// ASCII split words too.
func splitWords(s string) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			out = append(out, strings.ToLower(s[start:end]))
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		p := s[i-1]
		upper := c >= 'A' && c <= 'Z'
		switch {
		case upper && p >= 'a' && p <= 'z':
			flush(i) // vastApi
			start = i
		case upper && p >= 'A' && p <= 'Z' && i+1 < len(s) && s[i+1] >= 'a' && s[i+1] <= 'z' && i-start > 1:
			flush(i) // VASTApi -> VAST, Api; but not "AI" in "VastAI"
			start = i
		}
	}
	flush(len(s))
	return joinAPIKey(out)
}

// joinAPIKey keeps "api" "key" as separate words but also recognises glued
// forms: "apikey", "vastapikey", "vastaikey", "vastkey", "vasttoken".
func joinAPIKey(ws []string) []string {
	for i, w := range ws {
		if strings.HasPrefix(w, "vast") && len(w) > 4 {
			rest := w[4:]
			if strings.HasPrefix(rest, "ai") && rest != "ai" {
				rest = rest[2:]
			}
			switch rest {
			case "ai":
				ws[i] = "vastai"
			case "apikey", "key", "token", "apitoken", "secret":
				// VASTAPIKEY: vast plus the key word.
				ws = append(ws[:i:i], append([]string{"vast", rest}, ws[i+1:]...)...)
				return ws
			}
		}
	}
	return ws
}

// isVastWord reports whether a word names Vast: vast, vastai.
func isVastWord(w string) bool { return w == "vast" || w == "vastai" }

// nameClass is what the words of a name say.
type nameClass struct {
	vast     bool // a word names Vast
	key      bool // a word says key, token, secret or credential
	generic  bool // a key word strong enough alone (api_key, token, Bearer)
	negative bool // a word says digest, id, instance token or a self-made secret
	other    bool // a word names another service
	unknown  bool // a word is none of the above: the name qualifies the key with something else
	apikey   bool // the words "api" and "key" (or apikey): the name is an API key's
	secret   bool // a word says secret
	token    bool // a word says token (api_token, access_token, token)
}

func classify(words []string) nameClass {
	var c nameClass
	api := false
	for i, w := range words {
		if (w == "public" || w == "private" || w == "pub" || w == "priv") && i+1 < len(words) && words[i+1] == "key" {
			c.negative = true // PUBLIC_KEY, private_key: a key pair's half
		}
		switch {
		case isVastWord(w):
			c.vast = true
		case negativeWords[w]:
			c.negative = true
		case otherProviders[w]:
			c.other = true
		case keyWords[w]:
			c.key = true
			if w == "secret" || w == "secrets" {
				c.secret = true
			}
			if w == "token" || w == "apitoken" || w == "accesstoken" || w == "authtoken" || w == "bearer" || w == "authorization" {
				c.token = true
			}
			if genericKeyWords[w] {
				c.generic = true
			}
			if w == "apikey" || w == "apitoken" {
				c.apikey = true
			}
			if w == "key" && api {
				c.apikey = true
			}
		case w == "api":
			api = true
		case neutralWords[w]:
		case isNumber(w):
		default:
			c.unknown = true
		}
	}
	return c
}

func isNumber(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}

// vastKeyName: the words name Vast and a key, and nothing else's.
func (c nameClass) vastKeyName() bool { return c.vast && c.key && !c.negative && !c.other }

// apiCredentialName: the words say API key or token outright (api_key,
// apiKey, api_token, token, Bearer), not just "key", which also names map
// keys, cache keys and test-table fields.
func (c nameClass) apiCredentialName() bool { return c.apikey || c.token }

// genericKeyName: the words say API key or token and nothing about whose.
// A "secret" among them (SECRET_KEY, CLIENT_SECRET, API_SECRET) is a
// secret the project made for itself, not a provider's key.
func (c nameClass) genericKeyName() bool {
	return c.generic && !c.secret && !c.vast && !c.negative && !c.other && !c.unknown
}
