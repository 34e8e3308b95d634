package broker_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/vastguard/vastguard/internal/broker"
	"github.com/vastguard/vastguard/internal/broker/policy"
)

// The examples in deploy/ are valid as shipped.
func TestDeployExamples(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, cfgPath string) {
		t.Helper()
		cfg, err := broker.LoadConfig(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		p, err := policy.Load(filepath.Join(filepath.Dir(cfgPath), cfg.PolicyFile), policy.Options{Issuers: []string{"https://token.actions.githubusercontent.com"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Rules()) == 0 {
			t.Errorf("%s: the example policy has no rules", cfgPath)
		}
	}
	t.Run("compose", func(t *testing.T) { check(t, "../../deploy/broker.yaml") })
	t.Run("kubernetes", func(t *testing.T) {
		data, err := os.ReadFile("../../deploy/kubernetes/broker.yaml")
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dir := t.TempDir()
		found := false
		for {
			var doc struct {
				Kind string            `yaml:"kind"`
				Data map[string]string `yaml:"data"`
			}
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			if doc.Kind != "ConfigMap" {
				continue
			}
			found = true
			for name, content := range doc.Data {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
		if !found {
			t.Fatal("no ConfigMap")
		}
		check(t, filepath.Join(dir, "broker.yaml"))
	})
}
