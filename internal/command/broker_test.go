package command

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/vastguard/vastguard/internal/broker"
)

// container is what an example in deploy/ runs: the image's entrypoint
// with these arguments, this environment, and these files at these paths.
type container struct {
	where string
	args  []string
	env   []string          // variable names set
	files map[string]string // container path -> host file holding its content
}

// composeContainer reads deploy/compose.yaml's broker service.
func composeContainer(t *testing.T) container {
	t.Helper()
	path := filepath.Join(root, "deploy", "compose.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			Command     []string          `yaml:"command"`
			Entrypoint  any               `yaml:"entrypoint"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s, ok := f.Services["broker"]
	if !ok || s.Entrypoint != nil {
		t.Fatalf("%s: no broker service, or one that replaces the image's entrypoint", path)
	}
	c := container{where: path, args: s.Command, files: map[string]string{}}
	for k := range s.Environment {
		c.env = append(c.env, k)
	}
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && strings.HasPrefix(parts[0], ".") {
			c.files[parts[1]] = filepath.Join(filepath.Dir(path), parts[0])
		}
	}
	return c
}

// kubernetesContainer reads deploy/kubernetes/broker.yaml's Deployment,
// writing its ConfigMap's files and the Secret's mounted items (as
// placeholders) to dir.
func kubernetesContainer(t *testing.T, dir string) container {
	t.Helper()
	path := filepath.Join(root, "deploy", "kubernetes", "broker.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type volume struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		Secret *struct {
			Items []struct {
				Key  string `yaml:"key"`
				Path string `yaml:"path"`
			} `yaml:"items"`
		} `yaml:"secret"`
	}
	var (
		configMaps = map[string]map[string]string{}
		c          = container{where: path, files: map[string]string{}}
		found      bool
		volumes    []volume
		mounts     []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		}
	)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
			Data map[string]string `yaml:"data"`
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Command []string `yaml:"command"`
							Args    []string `yaml:"args"`
							Env     []struct {
								Name string `yaml:"name"`
							} `yaml:"env"`
							VolumeMounts []struct {
								Name      string `yaml:"name"`
								MountPath string `yaml:"mountPath"`
							} `yaml:"volumeMounts"`
						} `yaml:"containers"`
						Volumes []volume `yaml:"volumes"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch doc.Kind {
		case "ConfigMap":
			configMaps[doc.Metadata.Name] = doc.Data
		case "Deployment":
			cs := doc.Spec.Template.Spec.Containers
			if len(cs) != 1 || cs[0].Command != nil {
				t.Fatalf("%s: want one container, keeping the image's entrypoint", path)
			}
			found = true
			c.args = cs[0].Args
			for _, e := range cs[0].Env {
				c.env = append(c.env, e.Name)
			}
			mounts = cs[0].VolumeMounts
			volumes = doc.Spec.Template.Spec.Volumes
		}
	}
	if !found {
		t.Fatalf("%s: no Deployment", path)
	}
	for _, m := range mounts {
		for _, v := range volumes {
			switch {
			case v.Name != m.Name:
			case v.ConfigMap != nil:
				for name, content := range configMaps[v.ConfigMap.Name] {
					host := filepath.Join(dir, name)
					if err := os.WriteFile(host, []byte(content), 0o600); err != nil {
						t.Fatal(err)
					}
					c.files[m.MountPath+"/"+name] = host
				}
			case v.Secret != nil:
				for _, it := range v.Secret.Items {
					host := filepath.Join(dir, "secret-"+it.Path)
					if err := os.WriteFile(host, []byte("a-management-key-placeholder\n"), 0o600); err != nil {
						t.Fatal(err)
					}
					c.files[m.MountPath+"/"+it.Path] = host
				}
			}
		}
	}
	return c
}

// TestDeployCommandLines: the compose and Kubernetes examples run the
// image's entrypoint (the Dockerfile's ENTRYPOINT, /vastguard) with
// arguments that the real command line takes: they name the broker
// command, its flags parse, and the config they name is mounted, loads,
// and finds its policy, its management key and its store DSN where the
// example puts them.
func TestDeployCommandLines(t *testing.T) {
	t.Parallel()
	dockerfile := readRootFile(t, "Dockerfile")
	if !regexp.MustCompile(`(?m)^ENTRYPOINT \["/vastguard"\]$`).MatchString(dockerfile) {
		t.Fatal(`the Dockerfile's ENTRYPOINT is not ["/vastguard"]: the examples' arguments follow it`)
	}
	for _, c := range []container{composeContainer(t), kubernetesContainer(t, t.TempDir())} {
		t.Run(filepath.Base(filepath.Dir(c.where))+"/"+filepath.Base(c.where), func(t *testing.T) {
			cli := newCLI(&Env{})
			target, rest, err := cli.Find(c.args)
			if err != nil || target.Name() != "broker" {
				t.Fatalf("%q: runs %v (%v), not the broker", c.args, target.CommandPath(), err)
			}
			if err := checkDashes(target, rest); err != nil {
				t.Fatal(err)
			}
			if err := target.ParseFlags(rest); err != nil {
				t.Fatalf("%q: %v", c.args, err)
			}
			if pos := target.Flags().Args(); len(pos) > 0 {
				t.Fatalf("%q: arguments %q left after the flags", c.args, pos)
			}
			cfgPath := target.Flags().Lookup("config").Value.String()
			host, ok := c.files[cfgPath]
			if !ok {
				t.Fatalf("--config %s is not mounted into the container (mounts: %v)", cfgPath, c.files)
			}
			data, err := os.ReadFile(host)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := broker.ParseConfig(cfgPath, data)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := c.files[filepath.Join(filepath.Dir(cfgPath), cfg.PolicyFile)]; !ok && !filepath.IsAbs(cfg.PolicyFile) {
				t.Errorf("the policy %s is not mounted beside the config", cfg.PolicyFile)
			}
			if cfg.StoreEnv != "" && !slices.Contains(c.env, cfg.StoreEnv) {
				t.Errorf("store_env %s is not in the container's environment %v", cfg.StoreEnv, c.env)
			}
			switch {
			case cfg.ManagementKeyEnv != "" && !slices.Contains(c.env, cfg.ManagementKeyEnv):
				t.Errorf("management_key.env %s is not in the container's environment %v", cfg.ManagementKeyEnv, c.env)
			case cfg.ManagementKeyFile != "":
				if _, ok := c.files[cfg.ManagementKeyFile]; !ok {
					t.Errorf("management_key.file %s is not mounted (mounts: %v)", cfg.ManagementKeyFile, c.files)
				}
			}
		})
	}
}

// TestBrokerLogRedacts: whatever reaches the broker's log, in its message,
// a string, an error or a list, a key-shaped value is redacted, in both
// formats.
func TestBrokerLogRedacts(t *testing.T) {
	t.Parallel()
	var b [32]byte
	rand.Read(b[:])
	key := hex.EncodeToString(b[:])
	for _, format := range []string{"text", "json"} {
		var out bytes.Buffer
		log := brokerLogger(&Env{Stderr: &out}, format)
		log.Error("a message with "+key, "name", "k-"+key, "error", fmt.Errorf("wrapped: %s", key), "issuers", []string{key})
		log.With("held", key).Info("with")
		if strings.Contains(out.String(), key) || strings.Count(out.String(), "[redacted]") != 5 {
			t.Errorf("%s log holds the key, or not its redacted forms:\n%s", format, out.String())
		}
	}
}

// TestBrokerCompletion: the broker's flags complete as the others do.
func TestBrokerCompletion(t *testing.T) {
	t.Parallel()
	out, _, code := runArgs("__complete", "broker", "--log-format", "")
	if code != 0 || !strings.Contains(out, "text\njson\n:4") {
		t.Errorf("--log-format completes to %q", out)
	}
	out, _, _ = runArgs("__complete", "broker", "--config", "")
	if !strings.HasSuffix(out, ":0\n") {
		t.Errorf("--config does not complete files: %q", out)
	}
}
