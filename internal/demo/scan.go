package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vastguard/vastguard/scan/scantest"
)

// demoTB lets the demo build repositories with scantest outside a test.
type demoTB struct {
	dir string
	n   int
}

func (d *demoTB) Helper() {}

func (d *demoTB) TempDir() string {
	d.n++
	p := filepath.Join(d.dir, fmt.Sprintf("repo%d", d.n))
	if err := os.MkdirAll(p, 0o755); err != nil {
		panic(demoFailure{err})
	}
	return p
}

func (d *demoTB) Fatalf(format string, args ...any) { panic(demoFailure{fmt.Errorf(format, args...)}) }

type demoFailure struct{ err error }

// buildDemoRepo makes the leaky repository of the scan chapter: a key
// committed and deleted the next day, one on a feature branch nobody
// merged, and one in a notebook's JSON.
func buildDemoRepo(dir string) (*scantest.Repo, error) {
	return buildRepoWith(filepath.Join(dir, "leaky"), func(r *scantest.Repo) {
		r.Commit("train on vast.ai", scantest.Files{
			"README.md": "# gpu-train\nTrains on Vast.ai GPUs.\n",
			"train.py":  "from vastai import VastAI\n\nvast = VastAI(api_key=\"" + scantest.Key(101) + "\")\nvast.launch_instance(gpu_name=\"RTX_4090\")\n",
		})
		r.Commit("read the key from the environment", scantest.Files{
			"train.py": "import os\nfrom vastai import VastAI\n\nvast = VastAI(api_key=os.environ[\"VAST_API_KEY\"])\nvast.launch_instance(gpu_name=\"RTX_4090\")\n",
		})
		r.Commit("add a notebook", scantest.Files{
			"explore.ipynb": `{"cells": [{"cell_type": "code", "source": ["!pip install vastai\n", "!vastai set api-key ` + scantest.Key(102) + `\n"]}]}`,
		})
		r.Branch("try-autoscaler")
		r.Commit("autoscaler config", scantest.Files{"deploy/.env": "VAST_API_KEY=" + scantest.Key(103) + "\nMAX_GPUS=8\n"})
		r.Checkout("main")
		r.Pack()
		r.CheckoutWorktree()
	})
}

func demoScan(ctx context.Context, d *demo) error {
	r, err := buildDemoRepo(d.dir)
	if err != nil {
		return err
	}
	d.repoKeys = append(d.repoKeys, scantest.Key(101), scantest.Key(102), scantest.Key(103))
	d.say("A repository where a key was committed and removed the next day, another sits in a notebook,")
	d.say("and a third only on a branch nobody merged. A scan of the whole history finds all three:")
	if _, err := d.vastguard(ctx, nil, "scan", r.Dir); err != nil && d.exitCode(err) != exitFindings {
		return err
	}
	d.say("\nExit code 2 fails a CI job. The same findings as JSON (first finding) and as SARIF for code scanning:")
	out, err := d.quiet(ctx, "scan", r.Dir, "--format", "json")
	if err != nil && d.exitCode(err) != exitFindings {
		return err
	}
	lines := strings.Split(out, "\n")
	end := len(lines)
	for i, l := range lines {
		if strings.HasPrefix(l, "    }") {
			end = i + 1
			break
		}
	}
	fmt.Fprint(d.out, indent(strings.Join(lines[:min(end, len(lines))], "\n")+"\n  ...\n"))
	sarifPath := filepath.Join(d.dir, "vastguard.sarif")
	out, err = d.quiet(ctx, "scan", r.Dir, "--format", "sarif", "--output", sarifPath)
	if err != nil && d.exitCode(err) != exitFindings {
		return err
	}
	if i := strings.LastIndex(strings.TrimSuffix(out, "\n"), "\n"); i >= 0 {
		out = out[i+1:]
	}
	fmt.Fprint(d.out, indent("... (the same text summary)\n"+out))
	base := filepath.Join(d.dir, "baseline.txt")
	d.say("\nOnce the first key is revoked, a baseline of its key_sha256 accepts it; the JSON report has each")
	d.say("finding's whole hash, which is what a baseline line holds:")
	if err := d.writeBaseline(ctx, r.Dir, base, "train.py", "revoked on the day it leaked"); err != nil {
		return err
	}
	d.say("The other two still fail:")
	if _, err := d.vastguard(ctx, nil, "scan", r.Dir, "--baseline", base); err != nil && d.exitCode(err) != exitFindings {
		return err
	}
	return nil
}
