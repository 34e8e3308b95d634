package heldout

import (
	"github.com/vastguard/vastguard/scan/scantest"
)

const (
	srcRoute     = "find_string 'run.vast.ai/route' (POST https://run.vast.ai/route/ {endpoint, api_key, cost}: serverless clients send the account key in the body)"
	srcMCP       = "find_string '\"VAST_API_KEY\": \"' (mcpServers: {\"vast-agent\": {\"command\": ..., \"env\": {\"VAST_API_KEY\": \"...\"}}})"
	srcPydantic  = "find_string 'VAST_AI_API_KEY' (vast_ai_api_key: str | None = Field(default=None, alias=\"VAST_AI_API_KEY\"))"
	srcDataclass = "find_string 'vast_api_key:' (@dataclass class ScalerConfig: vast_api_key: str)"
	srcSSM       = "find_string 'VASTAI_API_KEY' (aws ssm get-parameter --name /ominis/vastai/api-key --with-decryption)"
	srcTokenName = "find_string 'console.vast.ai/api/v0' (Env: KOLM_VAST_TOKEN (or VAST_API_KEY)); search (VAST_BEARER_TOKEN beside console.vast.ai/api/v0/instances/{id}/ssh/)"
	srcReader    = "find_string 'console.vast.ai/api/v0' (VastManager(config_path=\"config.yaml\", api_key_path=\"api_key.txt\") reads the key file next to it)"
	srcVastData  = "vast-data/vast-csi charts/vastcosi/templates/secret.yaml (checksum/vast-vms-authority-secret: {{ sha256sum }}) and vast-data/terraform-provider-vastdata docs (VAST Data, another company)"
	srcNetrc     = "requests and curl read ~/.netrc (machine HOST login USER password SECRET) for any host, console.vast.ai included"
	srcIDE       = "IDE run configurations (.idea/workspace.xml <env name= value=>, .vscode/settings.json), as committed by mistake"
	srcMobile    = "Android Gradle buildConfigField and iOS Info.plist <key>/<string> pairs holding API keys"
	srcCSV       = "password-manager CSV exports (Bitwarden: folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp)"
	srcEml       = "saved e-mails (.eml) are quoted-printable: = becomes =3D, long lines end in a soft break ="
	srcBaseline  = "vastguard README (scan --baseline accepted.txt: one key_sha256 per line; JSON reports carry key_sha256)"
	srcGemlock   = "Bundler 2.5+ Gemfile.lock CHECKSUMS section (name (version) sha256=...)"
)

func batch2() []Case {
	return []Case{
		{"netrc-machine", "config", srcNetrc, "K", file(".netrc", "machine github.com\n  login dev\n  password ghp_example\nmachine console.vast.ai\n  login me@example.com\n  password {{1}}\n")},
		{"aws-ssm-put-parameter", "cli", srcSSM, "K", file("infrastructure/seed-params.sh", "#!/bin/sh\naws ssm put-parameter --name /ominis/vastai/api-key --type SecureString --overwrite --value {{1}}\n")},
		{"vault-kv-put", "cli", srcConsul, "K", file("ops/vault-seed.sh", "#!/bin/sh\nvault kv put secret/gpu/vast api_key={{1}}\n")},
		{"modal-secret-create", "cli", srcSecretMgr, "K", file("docs/modal.md", "```sh\nmodal secret create vast-credentials VAST_API_KEY={{1}}\n```\n")},
		{"argparse-default", "code", srcSecretMgr, "K", file("tools/rent.py", "import argparse\n\nparser = argparse.ArgumentParser()\nparser.add_argument(\"--vast-api-key\", default=\"{{1}}\", help=\"Vast.ai API key\")\nargs = parser.parse_args()\n")},
		{"click-option-default", "code", srcSecretMgr, "K", file("cli/main.py", "import click\n\n@click.command()\n@click.option(\"--api-key\", envvar=\"VAST_API_KEY\", default=\"{{1}}\", show_default=False)\ndef main(api_key):\n    pass\n")},
		{"pydantic-field-alias", "code", srcPydantic, "K", file("app/settings.py", "from pydantic import BaseModel, Field\n\nclass DefaultsCompute(BaseModel):\n    vast_ai_api_key: str | None = Field(default=\"{{1}}\", alias=\"VAST_AI_API_KEY\")\n")},
		{"dataclass-default", "code", srcDataclass, "K", file("scaler/config.py", "from dataclasses import dataclass\n\n@dataclass\nclass ScalerConfig:\n    vast_api_key: str = \"{{1}}\"\n    gpu_template_id: str = \"\"\n")},
		{"gha-action-input", "ci", srcCompose, "K", file(".github/workflows/gpu.yml", "jobs:\n  gpu:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: acme/setup-vastai@v1\n        with:\n          api-key: {{1}}\n      - run: vastai show user\n")},
		{"jenkinsfile-environment", "ci", srcCompose, "K", file("Jenkinsfile", "pipeline {\n  agent any\n  environment {\n    VAST_API_KEY = '{{1}}'\n  }\n  stages {\n    stage('train') { steps { sh 'python rent.py' } }\n  }\n}\n")},
		{"azure-pipelines-variables", "ci", srcCompose, "K", file("azure-pipelines.yml", "variables:\n- name: VAST_API_KEY\n  value: {{1}}\n- name: GPU\n  value: RTX_4090\nsteps:\n- script: pip install vastai && python rent.py\n")},
		{"dockerfile-heredoc", "config", srcPip, "K", file("images/trainer/Dockerfile", "# syntax=docker/dockerfile:1\nFROM python:3.12-slim\nRUN <<EOF\npip install vastai\nvastai set api-key {{1}}\nEOF\n")},
		{"crontab-env", "config", srcKaalia, "K", file("deploy/crontab", "SHELL=/bin/bash\n*/10 * * * * VAST_API_KEY={{1}} /usr/local/bin/relist.sh >> /var/log/relist.log 2>&1\n")},
		{"notebook-env-magic", "encoding", srcNotebook, "K", file("colab/rent_gpu.ipynb", "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\n    \"%env VAST_API_KEY={{1}}\\n\",\n    \"!pip install -q vastai\"\n   ]\n  }\n ],\n \"nbformat\": 4,\n \"nbformat_minor\": 0\n}\n")},
		{"r-sys-setenv", "code", srcCmd, "K", file("analysis/rent.R", "library(httr)\nSys.setenv(VAST_API_KEY = \"{{1}}\")\nres <- GET(\"https://console.vast.ai/api/v0/users/current/\")\n")},
		{"julia-env", "code", srcCmd, "K", file("scripts/rent.jl", "ENV[\"VAST_API_KEY\"] = \"{{1}}\"\nrun(`vastai show user`)\n")},
		{"perl-env", "code", srcCmd, "K", file("bin/rent.pl", "#!/usr/bin/perl\n$ENV{VAST_API_KEY} = '{{1}}';\nsystem('vastai', 'show', 'user');\n")},
		{"android-buildconfig", "code", srcMobile, "K", file("app/build.gradle", "android {\n    defaultConfig {\n        applicationId \"com.acme.gpu\"\n        buildConfigField \"String\", \"VAST_API_KEY\", \"\\\"{{1}}\\\"\"\n    }\n}\n")},
		{"ios-plist", "config", srcMobile, "K", file("GPUApp/Info.plist", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n\t<key>CFBundleName</key>\n\t<string>GPUApp</string>\n\t<key>VastAPIKey</key>\n\t<string>{{1}}</string>\n</dict>\n</plist>\n")},
		{"xml-attribute", "config", srcCloudAPI, "K", file("conf/providers.xml", "<providers>\n  <vast baseUrl=\"https://console.vast.ai/api/v0\" apiKey=\"{{1}}\" enabled=\"true\"/>\n</providers>\n")},
		{"jetbrains-run-env", "config", srcIDE, "K", file(".idea/workspace.xml", "<project version=\"4\">\n  <component name=\"RunManager\">\n    <configuration name=\"rent\" type=\"PythonConfigurationType\">\n      <envs>\n        <env name=\"PYTHONUNBUFFERED\" value=\"1\" />\n        <env name=\"VAST_API_KEY\" value=\"{{1}}\" />\n      </envs>\n    </configuration>\n  </component>\n</project>\n")},
		{"dotnet-user-secrets", "cli", srcCloudAPI, "K", file("docs/dev-setup.md", "```sh\ndotnet user-secrets set \"Vast:ApiKey\" \"{{1}}\"\n```\n")},
		{"py-write-key-file", "code", srcVastCLI, "K", file("setup_vast.py", "from pathlib import Path\n\np = Path(\"~/.config/vastai/vast_api_key\").expanduser()\np.parent.mkdir(parents=True, exist_ok=True)\np.write_text(\"{{1}}\")\n")},
		{"node-write-key-file", "code", srcVastCLI, "K", file("scripts/login.js", "const fs = require('fs');\nconst path = require('path');\nconst os = require('os');\nfs.writeFileSync(path.join(os.homedir(), '.vast_api_key'), '{{1}}');\n")},
		{"mcp-config-env", "config", srcMCP, "K", file(".cursor/mcp.json", "{\n  \"mcpServers\": {\n    \"vast-agent\": {\n      \"command\": \"node\",\n      \"args\": [\"/opt/vast-agent/dist/index.js\"],\n      \"env\": { \"VAST_AGENT_TRANSPORT\": \"stdio\", \"VAST_API_KEY\": \"{{1}}\" }\n    }\n  }\n}\n")},
		{"vscode-settings-dotted", "config", srcIDE, "K", file(".vscode/settings.json", "{\n  \"editor.formatOnSave\": true,\n  \"vastai.apiKey\": \"{{1}}\"\n}\n")},
		{"go-struct-literal", "code", srcMulti, "K", file("internal/providers/default.go", "package providers\n\nvar defaults = []Provider{\n\t{Name: \"vast\", BaseURL: \"https://console.vast.ai/api/v0\", APIKey: \"{{1}}\"},\n}\n")},
		{"json-providers-array", "config", srcMulti, "KD", file("config/clouds.json", "[\n  {\"provider\": \"vastai\", \"api_key\": \"{{1}}\"},\n  {\"provider\": \"runpod\", \"api_key\": \"{{2}}\"}\n]\n")},
		{"dstack-two-backends", "config", srcDstack, "KD", file("server/config.yml", "projects:\n- name: main\n  backends:\n  - type: vastai\n    creds:\n      type: api_key\n      api_key: {{1}}\n  - type: runpod\n    creds:\n      type: api_key\n      api_key: {{2}}\n")},
		{"serverless-route-body", "http", srcRoute, "K", file("client/route.py", "import requests\n\nresp = requests.post(\"https://run.vast.ai/route/\", json={\"endpoint\": \"my-tts\", \"api_key\": \"{{1}}\", \"cost\": 100})\n")},
		{"vast-bearer-token-env", "config", srcTokenName, "K", file("worker/.env", "VAST_CONTAINERLABEL=C.27844189\nVAST_BEARER_TOKEN={{1}}\n")},
		{"prefixed-vast-token-env", "config", srcTokenName, "K", file(".env.kolm", "KOLM_VAST_TOKEN={{1}}\nKOLM_REGION=eu\n")},
		{"bitwarden-csv", "prose", srcCSV, "K", file("backup/bitwarden_export.csv", "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n,,login,GitHub,,,0,https://github.com,dev,hunter2,\n,,login,Vast.ai API,,,0,https://cloud.vast.ai/manage-keys/,me@example.com,{{1}},\n")},
		{"reader-api-key-txt", "config", srcReader, "K", files(map[string]string{"api_key.txt": "{{1}}\n", "vast_manager.py": "import requests\n\nVAST_BASE = \"https://console.vast.ai/api/v0\"\n\nclass VastManager:\n    def __init__(self, config_path=\"config.yaml\", api_key_path=\"api_key.txt\"):\n        with open(api_key_path) as f:\n            self.api_key = f.read().strip()\n"})},
		{"long-distance-header", "http", srcGetenvDef, "K", file("gpu/client.py", "import requests\n\nHEADERS = {\"Authorization\": \"Bearer {{1}}\"}\n"+filler(40)+"\ndef instances():\n    return requests.get(\"https://console.vast.ai/api/v0/instances/\", headers=HEADERS).json()\n")},
		{"tf-var-env", "iac", srcTF, "K", file("infra/.envrc", "export TF_VAR_vast_api_key={{1}}\n")},
		{"eml-quoted-printable", "encoding", srcEml, "K", file("mail/onboarding.eml", "From: ops@example.com\nTo: dev@example.com\nSubject: GPU access\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nHi, add this to your .env for the Vast.ai farm:\n\nVAST_API_KEY=3D{{1}}\n\nThanks=\n")},
		{"docker-inspect-env", "log", srcDocker, "K", file("debug/inspect.json", "[\n  {\n    \"Name\": \"/scheduler\",\n    \"Config\": {\n      \"Env\": [\n        \"PATH=/usr/local/bin:/usr/bin\",\n        \"VASTAI_API_KEY={{1}}\"\n      ]\n    }\n  }\n]\n")},
		{"create-instance-continued-api-key", "cli", srcOnstart, "K", file("scripts/create.sh", "#!/bin/bash\nvastai create instance 25475069 \\\n  --image ghcr.io/ai-dock/comfyui:latest-jupyter \\\n  --env '-p 3000:3000 -e DATA_DIRECTORY=/workspace/' \\\n  --disk 60 \\\n  --api-key {{1}}\n")},

		// ---- look-alikes ----
		{"helm-checksum-annotation", "lookalike", srcVastData, "D", file("rendered/vastcosi-secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: csi-vast-ca-bundle\n  annotations:\n    checksum/vast-vms-authority-secret: {{1}}\n")},
		{"vastdata-provider-token", "lookalike", srcVastData, "D", file("vastdata/provider.tf", "provider \"vastdata\" {\n  host      = var.vast_host\n  port      = 443\n  api_token = \"{{1}}\"\n}\n")},
		{"vast-section-tls-pin", "lookalike", srcHash, "D", file("config/broker.toml", "[vast]\napi_key_env = \"VAST_API_KEY\"\nbase_url = \"https://console.vast.ai/api/v0\"\ntls_pin_sha256 = \"{{1}}\"\n")},
		{"notebook-token-hex-output", "lookalike", srcNotebook, "D", file("notebooks/launch.ipynb", "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"metadata\": {},\n   \"outputs\": [{\"name\": \"stdout\", \"output_type\": \"stream\", \"text\": [\"{{1}}\\n\"]}],\n   \"source\": [\"import secrets\\n\", \"token = secrets.token_hex(32)\\n\", \"print(token)\"]\n  },\n  {\n   \"cell_type\": \"code\",\n   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\"!vastai create instance $OFFER --image jupyter/base-notebook --env \\\"-e JUPYTER_TOKEN=$token\\\"\"]\n  }\n ],\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n")},
		{"vastguard-baseline", "lookalike", srcBaseline, "D", file("security/accepted.txt", "# Vast keys already revoked (key_sha256 from vastguard scan)\n{{1}}\n")},
		{"vastguard-report", "lookalike", srcBaseline, "D", file("reports/vastguard.json", "{\"version\":1,\"findings\":[{\"rule\":\"vast-env-assignment\",\"key_sha256\":\"{{1}}\",\"redacted\":\"a1b2…c3d4\",\"path\":\".env\",\"verification\":\"invalid\"}]}\n")},
		{"vast-jupyter-token-file", "lookalike", srcJupyterEnv, "D", file("secrets/vast_jupyter_token", "{{1}}\n")},
		{"docker-pull-digest", "lookalike", srcBaseImage, "D", file("host/prefetch.sh", "#!/bin/sh\n# pre-cache the images Vast.ai renters start\ndocker pull vastai/pytorch@sha256:{{1}}\n")},
		{"gemfile-lock-checksums", "lookalike", srcGemlock, "D", file("Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    vastai (0.1.0)\n\nCHECKSUMS\n  vastai (0.1.0) sha256={{1}}\n\nBUNDLED WITH\n   2.5.10\n")},
		{"release-asset-digest", "lookalike", srcPip, "D", file("releases/vast-cli.json", "{\"tag_name\": \"v0.3.1\", \"assets\": [{\"name\": \"vastai-0.3.1-py3-none-any.whl\", \"digest\": \"sha256:{{1}}\"}]}\n")},
		{"vast-section-dataset-digest", "lookalike", srcHash, "D", file("train.yaml", "vast:\n  image: pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime\n  disk: 80\n  dataset_sha256: {{1}}\n")},
		{"vast-section-key-hash", "lookalike", srcHash, "D", file("deploy/vast.yaml", "vast:\n  api_key_env: VAST_API_KEY\n  # sha256 of the key, to check the right one is loaded\n  api_key_sha256: {{1}}\n")},
	}
}

// filler is n lines of unrelated code.
func filler(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		s += "# helper line for the scheduler's bookkeeping\n"
	}
	return s
}

var _ = scantest.Files{}
