module github.com/vastguard/vastguard

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/sethvargo/go-githubactions v1.3.1
	gopkg.in/yaml.v3 v3.0.1
)
