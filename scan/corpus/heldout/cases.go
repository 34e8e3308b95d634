package heldout

import (
	"encoding/base64"

	"github.com/vastguard/vastguard/scan/scantest"
)

// Where a shape was seen. "find_string N" is the id of a public file the
// code index returned for the quoted query (the index names no repository
// for those); repository/path otherwise.
const (
	srcMedarion   = "xone247/medarion VAST_API_KEY_DEPLOYMENT.md (a real key in .env, systemd, echo > .env and a bare block under '## API Key')"
	srcCrypto     = "dhayanand-ss/crypto-ml-training-standalone VASTAI_SETUP_COMPLETE.md (.env, docker-compose, PowerShell printenv | Select-String)"
	srcVastCLI    = "vast-ai/vast-cli vast.py (APIKEY_FILE, ~/.vast_api_key, --explain prints the request and its headers, 'api-key created {...}')"
	srcVastPython = "vast-ai/vast-python README.md (./vast.py set api-key, the key is a long hexadecimal number)"
	srcVasttools  = "jjziets/vasttools README.md (./vast set api-key KEY; python3 SetIdleJob.py ... --args '...' --api-key KEY)"
	srcDocsHello  = "vast-ai/docs api-reference/hello-world.mdx (curl -H 'Authorization: Bearer $VAST_API_KEY' console.vast.ai/api/v0/...)"
	srcOpenclaw   = "vast-ai/docs examples/ai-agents/openclaw.mdx (ssh ... 'echo $OPEN_BUTTON_TOKEN' prints a 64-hex token; VLLM_API_KEY; openclaw.json)"
	srcOpenAPI    = "vast-ai/docs api-reference/openapi.yaml (jupyter_token: example: <64 hex>)"
	srcDstack     = "dstackai/dstack docs/docs/reference/server/config.yml.md (backends: - type: vastai, creds: api_key)"
	srcKorean     = "find_string 'VAST_API_KEY' (VastConfig.create_persistent_config(env_name=\"VAST_API_KEY\", config_path=\"vast.api_key\", default_value=...))"
	srcMaster     = "find_string 'VastAI(api_key' (API_KEY = MASTER_CONFIG.get(\"vastai_api_key\", \"<64 hex>\"))"
	srcTitan      = "find_string 'vastai_api_key =' (VASTAI_API_KEY = \"<64 hex>\" beside VASTAI_API_BASE)"
	srcKaalia     = "find_string 'vastai_kaalia/api_key' (the host daemon keeps the account key in /var/lib/vastai_kaalia/api_key; scripts copy it to ~/.vast_api_key and call vast.ai/api/v0/machines/?api_key=)"
	srcMachineID  = "find_string '/var/lib/vastai_kaalia/machine_id' (the daemon's machine key, read as mach_api_key / machine_api_key and sent to console.vast.ai/api/daemon/)"
	srcInstaller  = "find_string 'console.vast.ai/install' (wget https://console.vast.ai/install -O install; sudo python3 install KEY --interactive; /tmp/vast_host_installer.py)"
	srcBaseImage  = "find_string 'vastai/base-image@sha256' (image_ref=..., Rust const IMAGE: &str = ..., template {'image': 'vastai/base-image@sha256', 'tag': <64 hex>})"
	srcOpenssl    = "search 'openssl rand -hex 32 ... SECRET_KEY' (generate-env-keys.sh: SECRET_KEY, JWT_SECRET, ADMIN_API_KEY, CRON_SECRET from openssl rand -hex 32)"
	srcWrangler   = "find_string 'VAST_API_KEY' (a Worker's test bindings: VAST_API_KEY, HEARTBEAT_TOKEN, ADMIN_TOKEN, VAST_API_BASE)"
	srcFallback   = "find_string 'VAST_AI_API_KEY' (process.env.VAST_AI_API_KEY || \"\", os.getenv(\"VAST_API_KEY\", \"\"))"
	srcBearerJS   = "find_string '\"Bearer \" + vast' (fetch(\"https://console.vast.ai/api/v0/instances?owner=me\", {headers: {Authorization: \"Bearer \" + VAST_API_KEY}}))"
	srcURLKey     = "vast-ai/vast-cli#470 and skypilot-org/skypilot#10209 (vastai 1.0.13-1.4.3 put api_key= in every request URL; logs repeat it)"
	srcVastKey    = "find_string 'VAST_KEY=' (VAST_KEY=\"${VASTAPIKEY:-${VAST_API_KEY:-}}\"; \"$VASTAI_BIN\" set api-key \"$VAST_KEY\")"
	srcSecretMgr  = "find_string 'vast-api-key' (secret manager name vast-api-key, key file ~/.config/promptharbor/vast_api_key, vast-api-key.env, --vast-api-key)"
	srcConsul     = "find_string '.vast_api_key' (consul kv get creds/vast/api_key; echo KEY > ~/.vast_api_key; .secrets/vast_api_key)"
	srcCmd        = "search '$env:VAST_API_KEY powershell' (set /p VAST_API_KEY=, setx VAST_API_KEY \"%VAST_API_KEY%\", set VAST_API_KEY=...)"
	srcPS         = "search '$env:VAST_API_KEY powershell' (set_vastai_key.ps1, Get-Content .env | Select-String VASTAI_API_KEY; vastai set api-key $env:VASTAI_API_KEY)"
	srcSDK        = "vast-ai/vast-sdk README.md (vastai_sdk.VastAI(\"My-magnificent-key\"); >>> VAST_API_KEY = \"...\" in a REPL)"
	srcCompose    = "find_string 'VASTAI_API_KEY' (docker-compose.airflow.yml: VASTAI_API_KEY: ${VASTAI_API_KEY})"
	srcVLLM       = "search 'vast.ai api key docker-compose' (local-llm-tests: HF_TOKEN=hf_xxx VLLM_API_KEY=... on a Vast box)"
	srcXAPIKey    = "xone247/medarion VAST_API_KEY_DEPLOYMENT.md (curl -H \"X-API-Key: <64 hex>\" http://194.228.55.129:3001/api/ai/query: the app's own key)"
	srcJupyterEnv = "vast-ai/docs guides/instances/connect/networking.mdx (-e JUPYTER_TOKEN=TOKEN; create_instance.yaml --env JUPYTER_TOKEN=...)"
	srcOnstart    = "search 'vastai create instance --onstart-cmd' (vastai create instance ID --image ... --env '-e HF_TOKEN=... -e WEB_PASSWORD=...' --onstart-cmd '...')"
	srcPip        = "find_string 'vastai==' (pinned vastai in requirements and Dockerfiles)"
	srcTemplate   = "search 'vastai create instance' (template_hash_id beside an ask PUT to console.vast.ai/api/v0/asks/)"
	srcCloudAPI   = "find_string 'cloud.vast.ai/api/v0' (VAST_API_BASE = 'https://cloud.vast.ai/api/v0'; Authorization: `Bearer ${key}`)"
	srcAnsible    = "search 'ansible vars vast_api_key' (Ansible host playbooks: 'Add your Vast API key to playbooks/Install.yaml line 168')"
	srcHostJSON   = "vast-ai/vast-cli vast.py show instance --raw fields (jupyter_token, ssh_host sshN.vast.ai, machine_id)"
	srcPyworker   = "find_string 'cloud.vast.ai/api/v0' (pyworker: REPORT_ADDR=https://cloud.vast.ai/api/v0,https://run.vast.ai and a worker's own tokens)"
	srcHistory    = "find_string '!vastai set api-key' (tests keep 'set api-key sk-secret' and '!vastai set api-key' lines out of shell history)"
	srcRustBearer = "find_string '.vast_api_key' (format!(\"Bearer {}\", self.config.vast_api_key) in a Rust client)"
	srcCSharp     = "find_string '\"Bearer \" + vast' (C# RestSharp request.AddHeader(\"authorization\", \"bearer \" + token))"
	srcGetenvDef  = "find_string 'VAST_API_KEY' (VAST_KEY = os.environ.get(\"VAST_API_KEY\", \"\"); headers={\"Authorization\": f\"Bearer {VAST_KEY}\"})"
	srcVCR        = "vcrpy and VCR (Ruby) cassette formats (request: headers: Authorization: - Bearer ...; uri: ...), used to record API clients' tests"
	srcHAR        = "HAR 1.2 (browser devtools export: request.url, request.headers[{name, value}]) of a session on cloud.vast.ai"
	srcPostman    = "Postman collection v2.1 format (auth.bearer[{key: token, value}], url.host split into [\"console\",\"vast\",\"ai\"])"
	srcBruno      = "Bruno .bru request files (get { url: ... } auth:bearer { token: ... })"
	srcInsomnia   = "Insomnia v4 export (resources[{_type: request, url, authentication: {type: bearer, token}}])"
	srcRESTClient = "VS Code REST Client .http files (GET URL, then header lines)"
	srcK8s        = "Kubernetes Secret (stringData, base64 data) and Deployment env (name/value), as Helm charts of GPU schedulers ship them"
	srcTF         = "Terraform variable default / tfvars / provider blocks, as GPU-marketplace Terraform providers document them"
	srcWindows    = "Windows: regedit .reg exports and Windows PowerShell 5 Out-File/profile scripts are UTF-16LE with a BOM"
	srcURLLib     = "urllib3 DEBUG logging ('https://console.vast.ai:443 \"GET /api/v0/...?api_key=... HTTP/1.1\" 200'), as requests-based CLIs log"
	srcLFS        = "git-lfs pointer files (version https://git-lfs.github.com/spec/v1, oid sha256:...)"
	srcLock       = "lock files: poetry.lock, uv.lock, Cargo.lock, .terraform.lock.hcl (zh:), requirements --hash=sha256:"
	srcDocker     = "docker ps --no-trunc / docker inspect output on a Vast host (C.<id> containers; 64-hex container ids)"
	srcMiner      = "samotpoint/XENGPUMiner-monitoring vast-optimizer (miners on Vast: wallet keys beside VAST_AI_API_KEY)"
	srcMulti      = "find_string 'VAST_AI_API_KEY' (multi-cloud GPU tools: VAST_AI_API_KEY, RUNPOD_API_KEY, LAMBDA_LABS_API_KEY, TENSORDOCK side by side)"
	srcHash       = "find_string 'vastai/base-image@sha256' (WORKER_ARCHIVE_SHA256 = ...; a template's lock payload with sha256 pins)"
	srcWebhook    = "search 'vast.ai autoscaler webhook' (a scaler's own WEBHOOK_SECRET and X-Signature: sha256=... headers)"
	srcNotebook   = "Jupyter .ipynb (nbformat 4): cell sources and stream outputs are JSON strings, one line each"
)

// Cases is the held-out corpus: the first batch, then the second
// (written after the first blind run, still before reading the engine).
func Cases() []Case {
	return append(batch1(), batch2()...)
}

func batch1() []Case {
	return []Case{
		// ---- env files, shells, config formats ----
		{"dotenv-medarion", "config", srcMedarion, "K", file(".env", "AI_MODE=vast\nVAST_AI_URL=http://194.228.55.129:3001\nVAST_API_KEY={{1}}\n")},
		{"systemd-environment", "config", srcMedarion, "K", file("deploy/medarion-api.service", "[Unit]\nDescription=Medarion API\n\n[Service]\nEnvironment=\"VAST_API_KEY={{1}}\"\nExecStart=/usr/bin/python3 run_api_on_vast.py\n\n[Install]\nWantedBy=multi-user.target\n")},
		{"echo-into-workspace-env", "cli", srcMedarion, "K", file("docs/DEPLOY.md", "### Option 4: Create .env File on Vast.ai\n\n```bash\necho 'VAST_API_KEY=\"{{1}}\"' > /workspace/.env\n```\n")},
		{"bare-key-under-heading", "prose", srcMedarion, "K", file("VAST_API_KEY_DEPLOYMENT.md", "# Vast.ai API Key Deployment Instructions\n\n## API Key\n```\n{{1}}\n```\n\n## Configured on cPanel\n\nThe API key has been added to the .env file.\n")},
		{"printenv-select-string", "windows", srcCrypto, "K", file("VASTAI_SETUP_COMPLETE.md", "### 3. Verify the API Key is Loaded\n\n```powershell\ndocker exec airflow-scheduler-1 printenv | Select-String -Pattern \"VASTAI\"\n```\n\nYou should see:\n```\nVASTAI_API_KEY={{1}}\n```\n")},
		{"compose-environment-list", "config", srcCompose, "K", file("docker-compose.yml", "services:\n  scheduler:\n    image: apache/airflow:2.9.1\n    environment:\n      - AIRFLOW__CORE__EXECUTOR=LocalExecutor\n      - VASTAI_API_KEY={{1}}\n      - VASTAI_DOCKER_IMAGE=dhayanandss/mlops:latest\n")},
		{"compose-environment-map", "config", srcCompose, "K", file("docker-compose.airflow.yml", "services:\n  airflow-webserver:\n    environment:\n      AIRFLOW_UID: \"50000\"\n      VASTAI_API_KEY: \"{{1}}\"\n")},
		{"dockerfile-env-space", "config", srcPip, "K", file("Dockerfile", "FROM python:3.11-slim\nRUN pip install --no-cache-dir vastai==0.2.6\nENV VAST_API_KEY {{1}}\nCMD [\"python\", \"scheduler.py\"]\n")},
		{"dockerfile-arg", "config", srcPip, "K", file("docker/worker.Dockerfile", "FROM vastai/base-image:cuda-12.1\nARG VASTAI_API_KEY={{1}}\nRUN vastai set api-key ${VASTAI_API_KEY}\n")},
		{"docker-run-e", "cli", srcOnstart, "K", file("scripts/run-local.sh", "#!/bin/bash\ndocker run --rm -it \\\n  -e VAST_API_KEY={{1}} \\\n  -e OFFER_QUERY='gpu_name=RTX_4090 num_gpus=1' \\\n  ghcr.io/acme/vast-autoscaler:latest\n")},
		{"envrc-export", "config", srcVastKey, "K", file(".envrc", "layout python3\nexport VAST_API_KEY={{1}}\nexport VAST_DISK=60\n")},
		{"nested-default", "config", srcVastKey, "K", file("scripts/launch.sh", "#!/usr/bin/env bash\nset -euo pipefail\nVAST_KEY=\"${VASTAPIKEY:-${VAST_API_KEY:-{{1}}}}\"\nif [[ -n \"$VAST_KEY\" ]]; then\n  \"$VASTAI_BIN\" set api-key \"$VAST_KEY\"\nfi\n")},
		{"colon-assign-default", "config", srcVastKey, "K", file("bin/provision", "#!/bin/sh\n: \"${VAST_API_KEY:={{1}}}\"\nexport VAST_API_KEY\nvastai show user\n")},
		{"fish-set-gx", "config", srcCmd, "K", file(".config/fish/conf.d/vast.fish", "set -gx VAST_API_KEY {{1}}\nset -gx VAST_SSH_KEY ~/.ssh/id_ed25519_vast\n")},
		{"csh-setenv", "config", srcCmd, "K", file("env/gpu.csh", "setenv VASTAI_API_KEY {{1}}\nsetenv CUDA_VISIBLE_DEVICES 0\n")},
		{"makefile-conditional", "config", srcVastKey, "K", file("Makefile", "VAST_API_KEY ?= {{1}}\nIMAGE ?= ghcr.io/acme/train:latest\n\nrent:\n\tVAST_API_KEY=$(VAST_API_KEY) python3 rent.py --image $(IMAGE)\n")},
		{"justfile-export", "config", srcVastKey, "K", file("justfile", "export VAST_API_KEY := \"{{1}}\"\n\nrent:\n    vastai search offers 'gpu_name=RTX_4090'\n")},
		{"supervisor-environment", "config", srcMedarion, "K", file("deploy/supervisord.conf", "[program:scaler]\ncommand=/opt/venv/bin/python scaler.py\nenvironment=VAST_API_KEY=\"{{1}}\",LOG_LEVEL=\"info\"\nautorestart=true\n")},
		{"pm2-ecosystem", "config", srcMedarion, "K", file("ecosystem.config.js", "module.exports = {\n  apps: [{\n    name: 'gpu-broker',\n    script: 'server.js',\n    env: {\n      NODE_ENV: 'production',\n      VAST_API_KEY: '{{1}}',\n    },\n  }],\n};\n")},
		{"toml-vastai-section", "config", srcDstack, "K", file("config/providers.toml", "[runpod]\nenabled = false\n\n[vastai]\nenabled = true\napi_key = \"{{1}}\"\nmax_price_per_hour = 0.45\n")},
		{"ini-vast-section", "config", srcDstack, "K", file("setup.cfg", "[metadata]\nname = gpu-jobs\n\n[vast]\napikey = {{1}}\nregion = any\n")},
		{"spring-yaml", "config", srcCloudAPI, "K", file("src/main/resources/application.yml", "vast:\n  base-url: https://console.vast.ai/api/v0\n  api-key: {{1}}\nspring:\n  application:\n    name: gpu-broker\n")},
		{"java-properties", "config", srcCloudAPI, "K", file("src/main/resources/application.properties", "server.port=8080\nvast.api.url=https://console.vast.ai/api/v0\nvast.api.key={{1}}\n")},
		{"appsettings-json", "config", srcCloudAPI, "K", file("appsettings.Development.json", "{\n  \"Logging\": { \"LogLevel\": { \"Default\": \"Information\" } },\n  \"Vast\": {\n    \"BaseUrl\": \"https://console.vast.ai/api/v0/\",\n    \"ApiKey\": \"{{1}}\"\n  }\n}\n")},
		{"dstack-backend", "config", srcDstack, "K", file(".dstack/server/config.yml", "projects:\n- name: main\n  backends:\n  - type: vastai\n    creds:\n      type: api_key\n      api_key: {{1}}\n")},
		{"wrangler-vars", "config", srcWrangler, "KD", file("wrangler.toml", "name = \"vast-broker\"\nmain = \"src/index.ts\"\n\n[vars]\nVAST_API_BASE = \"https://console.vast.ai/api/v0\"\nVAST_API_KEY = \"{{1}}\"\nADMIN_TOKEN = \"{{2}}\"\n")},
		{"nix-environment", "config", srcCmd, "K", file("hosts/gpu/configuration.nix", "{ config, pkgs, ... }:\n{\n  environment.systemPackages = [ pkgs.python3 ];\n  environment.variables.VAST_API_KEY = \"{{1}}\";\n}\n")},
		{"pulumi-config", "iac", srcTF, "K", file("Pulumi.dev.yaml", "config:\n  gpu-fleet:region: any\n  gpu-fleet:vastApiKey: {{1}}\n")},

		// ---- CI ----
		{"github-workflow-env", "ci", srcCompose, "K", file(".github/workflows/train.yml", "name: train\non: workflow_dispatch\njobs:\n  train:\n    runs-on: ubuntu-latest\n    env:\n      VAST_API_KEY: {{1}}\n    steps:\n      - uses: actions/checkout@v4\n      - run: pip install vastai && python rent.py\n")},
		{"gitlab-ci-variables", "ci", srcCompose, "K", file(".gitlab-ci.yml", "variables:\n  VASTAI_API_KEY: \"{{1}}\"\n  GPU: RTX_4090\n\ntrain:\n  image: python:3.11\n  script:\n    - pip install vastai\n    - vastai search offers \"gpu_name=$GPU\"\n")},
		{"workflow-run-set-api-key", "ci", srcPS, "K", file(".github/workflows/benchmark.yml", "jobs:\n  bench:\n    runs-on: ubuntu-latest\n    steps:\n      - name: Configure Vast\n        run: |\n          pip install vastai\n          vastai set api-key {{1}}\n          vastai show user\n")},
		{"gh-secret-set", "ci", srcSecretMgr, "K", file("scripts/bootstrap-ci.sh", "#!/bin/sh\ngh secret set VAST_API_KEY --repo acme/trainer --body \"{{1}}\"\n")},

		// ---- infrastructure as code ----
		{"k8s-secret-stringdata", "iac", srcK8s, "K", file("deploy/k8s/vast-secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: vast-credentials\ntype: Opaque\nstringData:\n  VAST_API_KEY: {{1}}\n")},
		{"k8s-secret-data-base64", "encoding", srcK8s, "K", file("deploy/k8s/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: scheduler\ndata:\n  vast-api-key: {{b64:1}}\n")},
		{"k8s-deployment-env", "iac", srcK8s, "K", file("charts/scaler/templates/deployment.yaml", "spec:\n  template:\n    spec:\n      containers:\n        - name: scaler\n          image: ghcr.io/acme/scaler:1.2\n          env:\n            - name: VAST_API_KEY\n              value: \"{{1}}\"\n            - name: VAST_MAX_INSTANCES\n              value: \"4\"\n")},
		{"helm-values", "iac", srcK8s, "K", file("charts/scaler/values.yaml", "replicaCount: 1\nimage:\n  repository: ghcr.io/acme/scaler\nvast:\n  enabled: true\n  apiKey: {{1}}\n  maxPricePerHour: 0.5\n")},
		{"kubectl-from-literal", "cli", srcK8s, "K", file("docs/install.md", "Create the secret the scheduler reads:\n\n```sh\nkubectl create secret generic vast --from-literal=api-key={{1}} -n gpu\n```\n")},
		{"terraform-variable-default", "iac", srcTF, "K", file("infra/variables.tf", "variable \"vast_api_key\" {\n  description = \"Vast.ai API key\"\n  type        = string\n  sensitive   = true\n  default     = \"{{1}}\"\n}\n")},
		{"terraform-tfvars", "iac", srcTF, "K", file("infra/prod.auto.tfvars", "region       = \"any\"\nvast_api_key = \"{{1}}\"\n")},
		{"terraform-provider-block", "iac", srcTF, "K", file("infra/main.tf", "terraform {\n  required_providers {\n    vastai = {\n      source = \"example/vastai\"\n    }\n  }\n}\n\nprovider \"vastai\" {\n  api_key = \"{{1}}\"\n}\n")},
		{"ansible-group-vars", "iac", srcAnsible, "K", file("group_vars/gpu_hosts.yml", "ansible_user: ubuntu\nvast_api_key: \"{{1}}\"\nvast_port_range: \"40000-40019\"\n")},
		{"ansible-host-install", "iac", srcAnsible, "K", file("playbooks/Install.yaml", "- name: Install the Vast host daemon\n  hosts: all\n  become: true\n  tasks:\n    - name: run installer\n      shell: wget https://console.vast.ai/install -O install; python3 install {{1}}; history -d $((HISTCMD-1))\n")},
		{"host-installer-script", "cli", srcInstaller, "K", file("host/README.md", "```bash\nsudo wget https://console.vast.ai/install -O /tmp/vast_host_installer.py\nsudo python3 /tmp/vast_host_installer.py {{1}} --interactive\n```\n")},
		{"kaalia-api-key-file", "config", srcKaalia, "K", file("backup/var/lib/vastai_kaalia/api_key", "{{1}}\n")},

		// ---- Windows shells ----
		{"cmd-set", "windows", srcCmd, "K", encoded("setup_vast.bat", crlf, "@echo off\necho Setting up Vast.ai API key...\nset VAST_API_KEY={{1}}\npython runpod_escape.py\n")},
		{"cmd-setx", "windows", srcCmd, "K", encoded("scripts/setenv.cmd", crlf, "@echo off\nsetx VASTAI_API_KEY \"{{1}}\"\n")},
		{"powershell-env", "windows", srcPS, "K", file("set_vastai_key.ps1", "# Script to set VASTAI_API_KEY environment variable\n$env:VASTAI_API_KEY = \"{{1}}\"\nvastai set api-key $env:VASTAI_API_KEY 2>&1 | Out-Null\n")},
		{"powershell-setenvironmentvariable", "windows", srcPS, "K", file("tools/install.ps1", "[Environment]::SetEnvironmentVariable('VAST_API_KEY', '{{1}}', 'User')\nWrite-Host \"[OK] API key configured\" -ForegroundColor Green\n")},
		{"powershell-utf16-profile", "encoding", srcWindows, "K", encoded("Microsoft.PowerShell_profile.ps1", utf16le, "Import-Module posh-git\n$env:VAST_API_KEY = '{{1}}'\nSet-Alias vast vastai\n")},
		{"regedit-export-utf16", "encoding", srcWindows, "K", encoded("env-backup.reg", utf16le, "Windows Registry Editor Version 5.00\n\n[HKEY_CURRENT_USER\\Environment]\n\"VASTAI_API_KEY\"=\"{{1}}\"\n\"Path\"=\"C:\\\\Users\\\\dev\\\\bin\"\n")},
		{"powershell-history", "windows", srcHistory, "K", file("AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt", "cd C:\\src\\trainer\npip install vastai\nvastai set api-key {{1}}\nvastai search offers 'gpu_name=RTX_4090'\n")},

		// ---- typed and untyped source constants ----
		{"ts-typed-const", "code", srcCloudAPI, "K", file("src/lib/vast.ts", "const VAST_API_BASE = 'https://cloud.vast.ai/api/v0';\nexport const VAST_API_KEY: string = \"{{1}}\";\n")},
		{"rust-static-str", "code", srcRustBearer, "K", file("src/vast.rs", "pub static VAST_TOKEN: &'static str = \"{{1}}\";\n\npub fn auth() -> String {\n    format!(\"Bearer {}\", VAST_TOKEN)\n}\n")},
		{"go-var-typed", "code", srcCloudAPI, "K", file("internal/vast/client.go", "package vast\n\nconst defaultBaseURL = \"https://console.vast.ai/api/v0\"\n\nvar APIKey string = \"{{1}}\"\n")},
		{"kotlin-const-val", "code", srcCloudAPI, "K", file("app/src/main/java/com/acme/gpu/Vast.kt", "package com.acme.gpu\n\nprivate const val VAST_API_KEY = \"{{1}}\"\n")},
		{"swift-let", "code", srcCloudAPI, "K", file("Sources/GPU/VastClient.swift", "import Foundation\n\nlet vastAPIKey: String = \"{{1}}\"\nlet vastBase = URL(string: \"https://console.vast.ai/api/v0\")!\n")},
		{"csharp-const", "code", srcCSharp, "K", file("src/Gpu/VastSettings.cs", "namespace Gpu;\n\npublic static class VastSettings\n{\n    public const string ApiKey = \"{{1}}\";\n    public const string BaseUrl = \"https://console.vast.ai/api/v0/\";\n}\n")},
		{"java-static-final", "code", srcCloudAPI, "K", file("src/main/java/com/acme/VastClient.java", "package com.acme;\n\npublic class VastClient {\n    private static final String VAST_API_KEY = \"{{1}}\";\n}\n")},
		{"c-define", "code", srcCloudAPI, "K", file("firmware/vast_config.h", "#ifndef VAST_CONFIG_H\n#define VAST_CONFIG_H\n#define VAST_API_KEY \"{{1}}\"\n#endif\n")},
		{"dart-const", "code", srcCloudAPI, "K", file("lib/config.dart", "const String vastApiKey = '{{1}}';\nconst String vastBaseUrl = 'https://console.vast.ai/api/v0';\n")},
		{"python-final", "code", srcTitan, "K", file("titan/settings.py", "from typing import Final\n\nVASTAI_API_KEY: Final[str] = \"{{1}}\"\nVASTAI_API_BASE: Final = \"https://console.vast.ai/api/v0\"\n")},
		{"php-define", "code", srcCloudAPI, "K", file("config/vast.php", "<?php\ndefine('VAST_API_KEY', '{{1}}');\n")},
		{"ruby-env-or-assign", "code", srcFallback, "K", file("config/initializers/vast.rb", "ENV['VAST_API_KEY'] ||= '{{1}}'\n")},
		{"elixir-config", "code", srcCloudAPI, "K", file("config/runtime.exs", "import Config\n\nconfig :gpu_broker, :vast,\n  base_url: \"https://console.vast.ai/api/v0\",\n  api_key: \"{{1}}\"\n")},

		// ---- fallbacks, calls and dict literals ----
		{"py-getenv-default", "code", srcGetenvDef, "K", file("status.py", "import os\n\nVAST_KEY = os.environ.get(\"VAST_API_KEY\", \"{{1}}\")\n")},
		{"py-setdefault", "code", srcGetenvDef, "K", file("notebooks/setup.py", "import os\nos.environ.setdefault(\"VAST_API_KEY\", \"{{1}}\")\n")},
		{"py-dict-get-default", "code", srcMaster, "K", file("master.py", "API_KEY = MASTER_CONFIG.get(\"vastai_api_key\", \"{{1}}\")\nsdk = VastAI(api_key=API_KEY)\n")},
		{"py-persistent-config", "code", srcKorean, "K", file("config/vast_config.py", "class VastConfig(BaseConfig):\n    def initialize(self):\n        self.VAST_API_KEY = self.create_persistent_config(\n            env_name=\"VAST_API_KEY\",\n            config_path=\"vast.api_key\",\n            default_value=\"{{1}}\",\n            file_path=\"vast_api_key.txt\",\n        )\n")},
		{"py-monkeypatch-setenv", "code", srcGetenvDef, "K", file("tests/test_vast.py", "def test_offers(monkeypatch):\n    monkeypatch.setenv(\"VAST_API_KEY\", \"{{1}}\")\n    assert search_offers()\n")},
		{"js-nullish-default", "code", srcFallback, "K", file("src/providers.js", "export function vastKey() {\n  return process.env.VAST_AI_API_KEY ?? '{{1}}';\n}\n")},
		{"java-getordefault", "code", srcFallback, "K", file("src/main/java/com/acme/Keys.java", "String key = System.getenv().getOrDefault(\"VAST_API_KEY\", \"{{1}}\");\n")},
		{"go-cmp-or", "code", srcFallback, "K", file("cmd/rent/main.go", "package main\n\nimport (\n\t\"cmp\"\n\t\"os\"\n)\n\nvar vastKey = cmp.Or(os.Getenv(\"VAST_API_KEY\"), \"{{1}}\")\n")},
		{"php-getenv-elvis", "code", srcFallback, "K", file("public/index.php", "<?php\n$vastKey = getenv('VAST_API_KEY') ?: '{{1}}';\n")},
		{"py-providers-dict", "code", srcMulti, "K", file("providers.py", "PROVIDERS = {\n    \"vast\": {\n        \"base_url\": \"https://console.vast.ai/api/v0\",\n        \"api_key\": \"{{1}}\",\n    },\n}\n")},
		{"sdk-positional", "code", srcSDK, "K", file("scripts/offers.py", "import vastai_sdk\n\nv = vastai_sdk.VastAI(\"{{1}}\")\nprint(v.search_offers())\n")},
		{"python-repl-transcript", "prose", srcSDK, "K", file("docs/quickstart.md", "```python\n>>> import vastai_sdk\n>>> VAST_API_KEY = \"{{1}}\"\n>>> v = vastai_sdk.VastAI(VAST_API_KEY)\n>>> v.search_offers()\n```\n")},
		{"rust-client-new", "code", srcRustBearer, "K", file("src/bin/broker.rs", "fn main() {\n    let client = VastClient::new(config(), ApiToken::new(\"{{1}}\").unwrap()).unwrap();\n    client.run();\n}\n")},
		{"js-fetch-bearer", "http", srcBearerJS, "K", file("scripts/cleanup.mjs", "const instances = await fetch(\"https://console.vast.ai/api/v0/instances?owner=me\", {\n  headers: { \"Authorization\": \"Bearer {{1}}\" }\n}).then(r => r.json());\n")},
		{"py-requests-headers-var", "http", srcGetenvDef, "K", file("vast_status.py", "import urllib.request\n\nBASE = \"https://console.vast.ai/api/v0\"\nHEADERS = {\"Authorization\": \"Bearer {{1}}\", \"Accept\": \"application/json\"}\n\n\ndef get_instance(iid):\n    req = urllib.request.Request(f\"{BASE}/instances/{iid}/\", headers=HEADERS)\n")},
		{"csharp-authheader", "http", srcCSharp, "K", file("src/VastApi.cs", "var http = new HttpClient { BaseAddress = new Uri(\"https://console.vast.ai/api/v0/\") };\nhttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(\"Bearer\", \"{{1}}\");\n")},
		{"go-header-set", "http", srcCloudAPI, "K", file("internal/vast/do.go", "package vast\n\nfunc newRequest() (*http.Request, error) {\n\treq, err := http.NewRequest(\"GET\", \"https://console.vast.ai/api/v0/instances/\", nil)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\treq.Header.Set(\"Authorization\", \"Bearer {{1}}\")\n\treturn req, nil\n}\n")},
		{"py-params-api-key", "http", srcURLKey, "K", file("offers.py", "import requests\n\nr = requests.get(\n    \"https://console.vast.ai/api/v0/bundles/\",\n    params={\"q\": QUERY, \"api_key\": \"{{1}}\"},\n)\n")},
		{"f-string-url-key", "http", srcURLKey, "K", file("old_client.py", "url = f\"https://console.vast.ai/api/v0/instances/?owner=me&api_key={{1}}\"\n")},
		{"curl-machines-api-key", "http", srcKaalia, "K", file("reliability.sh", "#!/bin/bash\ncurl --compressed -m 5 --silent -L \"https://vast.ai/api/v0/machines/?api_key={{1}}\" | jq '.machines[].reliability2'\n")},

		// ---- the CLI ----
		{"cli-legacy-readme", "cli", srcVasttools, "K", file("README.md", "## Setup\n\nDownload the latest vastcli and set your API key\n\n   - Set your Vast.ai API key:\n     ```\n     ./vast set api-key {{1}}\n     ```\n")},
		{"cli-python-vast-py", "cli", srcVastPython, "K", file("docs/setup.md", "Copy the command under \"Login / Set API Key\":\n\n    python3 vast.py set api-key {{1}}\n")},
		{"cli-api-key-flag-equals", "cli", srcVastCLI, "K", file("cron/relist.sh", "#!/bin/bash\nvastai show machines --raw --api-key={{1}} > /tmp/machines.json\n")},
		{"cli-uvx", "cli", srcHistory, "K", file("SETUP.md", "```sh\nuvx --from vastai==1.8.3 vastai set api-key {{1}}\n```\n")},
		{"cli-subprocess-list", "cli", srcVastCLI, "K", file("rent.py", "import subprocess\n\nout = subprocess.run([\"vastai\", \"--api-key\", \"{{1}}\", \"show\", \"instances\", \"--raw\"], capture_output=True)\n")},
		{"third-party-script-api-key", "cli", srcVasttools, "K", file("docs/idle-job.md", "Set an idle job on every machine:\n\n```\npython3 SetIdleJob.py --image nvidia/cuda:12.4.1-runtime-ubuntu22.04 --disk 16 --args 'env | grep _ >> /etc/environment; ./miner --algo kawpow --user ${VAST_CONTAINERLABEL:2}' --api-key {{1}}\n```\n")},
		{"key-file-vastai-config", "cli", srcVastCLI, "K", file(".config/vastai/vast_api_key", "{{1}}")},
		{"echo-legacy-key-file", "cli", srcConsul, "K", file("docs/SECRETS.md", "### Vast.ai\n\n```bash\n# Also configure Vast.ai CLI (uses its own location)\necho \"{{1}}\" > ~/.vast_api_key\n```\n")},
		{"secrets-dir-key-file", "config", srcConsul, "K", file(".secrets/vast_api_key", "{{1}}\n")},
		{"vast-api-key-env-file", "config", srcSecretMgr, "K", file("tools/vast-api-key.env", "VAST_API_KEY={{1}}\n")},
		{"consul-kv-put", "cli", srcConsul, "K", file("ops/seed-consul.sh", "#!/bin/sh\nconsul kv put creds/vast/api_key {{1}}\n")},
		{"gcloud-secret-add", "cli", srcSecretMgr, "K", file("ops/secrets.sh", "#!/bin/sh\necho -n \"{{1}}\" | gcloud secrets versions add vast-api-key --data-file=-\n")},
		{"flag-vast-api-key", "cli", srcSecretMgr, "K", file("INSTALL.md", "```bash\nbash install/main.sh --profile fresh-two-disk --with-vast-cli --vast-api-key {{1}} --apply\n```\n")},
		{"explain-headers-log", "log", srcVastCLI, "K", file("logs/explain.txt", "vastai show instances --explain\n\n[INFO]  Prepared Request:\nGET https://console.vast.ai/api/v0/instances/?owner=me\nHeaders: {\n \"Authorization\": \"Bearer {{1}}\"\n}\nBody: null\n")},
		{"create-api-key-output", "log", srcVastCLI, "K", file("notes/keys.txt", "$ vastai create api-key --name ci --permission_file perms.json\napi-key created {'id': 412233, 'key': '{{1}}', 'permissions': False}\n")},

		// ---- logs and HTTP recordings ----
		{"urllib3-debug-log", "log", srcURLLib, "K", file("logs/scheduler.log", "2024-05-01 12:00:01,233 DEBUG urllib3.connectionpool Starting new HTTPS connection (1): console.vast.ai:443\n2024-05-01 12:00:01,611 DEBUG urllib3.connectionpool https://console.vast.ai:443 \"GET /api/v0/instances/?owner=me&api_key={{1}} HTTP/1.1\" 200 None\n")},
		{"log-url-encoded", "encoding", srcURLKey, "K", file("logs/proxy.log", "10.0.0.4 - - [01/May/2024:12:00:02 +0000] \"GET /fetch?target=https%3A%2F%2Fconsole.vast.ai%2Fapi%2Fv0%2Finstances%2F%3Fowner%3Dme%26api_key%3D{{1}} HTTP/1.1\" 200 5120\n")},
		{"vcrpy-cassette", "http", srcVCR, "K", file("tests/cassettes/test_show_user.yaml", "interactions:\n- request:\n    body: null\n    headers:\n      Accept:\n      - '*/*'\n      Authorization:\n      - Bearer {{1}}\n      User-Agent:\n      - python-requests/2.31.0\n    method: GET\n    uri: https://console.vast.ai/api/v0/users/current/\n  response:\n    status:\n      code: 200\n      message: OK\nversion: 1\n")},
		{"vcr-ruby-cassette-url", "http", srcVCR, "K", file("spec/fixtures/vcr/instances.yml", "---\nhttp_interactions:\n- request:\n    method: get\n    uri: https://console.vast.ai/api/v0/instances/?api_key={{1}}&owner=me\n    body:\n      encoding: US-ASCII\n      string: ''\n  response:\n    status:\n      code: 200\nrecorded_with: VCR 6.1.0\n")},
		{"cassette-create-key-response", "http", srcVCR, "K", file("tests/cassettes/create_key.yaml", "interactions:\n- request:\n    method: POST\n    uri: https://console.vast.ai/api/v0/auth/apikeys/\n  response:\n    body:\n      string: '{\"id\": 91234, \"key\": \"{{1}}\", \"permissions\": false}'\n    status:\n      code: 200\n")},
		{"har-bearer", "http", srcHAR, "K", file("captures/cloud.vast.ai.har", "{\n  \"log\": {\n    \"version\": \"1.2\",\n    \"entries\": [\n      {\n        \"request\": {\n          \"method\": \"GET\",\n          \"url\": \"https://cloud.vast.ai/api/v0/instances/?owner=me\",\n          \"headers\": [\n            {\"name\": \"accept\", \"value\": \"application/json\"},\n            {\"name\": \"authorization\", \"value\": \"Bearer {{1}}\"}\n          ]\n        }\n      }\n    ]\n  }\n}\n")},
		{"postman-collection-bearer", "http", srcPostman, "K", file("postman/vast.postman_collection.json", "{\n  \"info\": {\"name\": \"GPU\", \"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\"},\n  \"item\": [{\n    \"name\": \"instances\",\n    \"request\": {\n      \"auth\": {\"type\": \"bearer\", \"bearer\": [{\"key\": \"token\", \"value\": \"{{1}}\", \"type\": \"string\"}]},\n      \"method\": \"GET\",\n      \"url\": {\"raw\": \"https://console.vast.ai/api/v0/instances/\", \"protocol\": \"https\", \"host\": [\"console\", \"vast\", \"ai\"], \"path\": [\"api\", \"v0\", \"instances\", \"\"]}\n    }\n  }]\n}\n")},
		{"postman-environment", "http", srcPostman, "K", file("postman/gpu.postman_environment.json", "{\n  \"name\": \"gpu\",\n  \"values\": [\n    {\"key\": \"vast_base\", \"value\": \"https://console.vast.ai/api/v0\", \"enabled\": true},\n    {\"key\": \"vast_api_key\", \"value\": \"{{1}}\", \"type\": \"secret\", \"enabled\": true}\n  ]\n}\n")},
		{"bruno-request", "http", srcBruno, "K", file("bruno/vast/show-user.bru", "meta {\n  name: show user\n  type: http\n  seq: 1\n}\n\nget {\n  url: https://console.vast.ai/api/v0/users/current/\n  body: none\n  auth: bearer\n}\n\nauth:bearer {\n  token: {{1}}\n}\n")},
		{"insomnia-export", "http", srcInsomnia, "K", file("insomnia.json", "{\"_type\": \"export\", \"__export_format\": 4, \"resources\": [{\"_id\": \"req_1\", \"_type\": \"request\", \"name\": \"bundles\", \"method\": \"POST\", \"url\": \"https://console.vast.ai/api/v0/bundles/\", \"authentication\": {\"type\": \"bearer\", \"token\": \"{{1}}\"}}]}\n")},
		{"rest-client-http", "http", srcRESTClient, "K", file("requests/vast.http", "### who am I\nGET https://console.vast.ai/api/v0/users/current/\nAuthorization: Bearer {{1}}\nAccept: application/json\n")},
		{"httpie", "http", srcDocsHello, "K", file("docs/api.md", "```sh\nhttp GET https://console.vast.ai/api/v0/instances/ \"Authorization:Bearer {{1}}\"\n```\n")},
		{"curl-multiline-header-first", "http", srcDocsHello, "K", file("docs/rent.md", "```bash\ncurl -s -H \"Authorization: Bearer {{1}}\" \\\n  -H \"Content-Type: application/json\" \\\n  -X PUT \\\n  -d '{\"image\": \"pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime\", \"disk\": 20}' \\\n  \"https://console.vast.ai/api/v0/asks/OFFER_ID/\"\n```\n")},
		{"wget-header", "http", srcDocsHello, "K", file("scripts/balance.sh", "#!/bin/sh\nwget -qO- --header=\"Authorization: Bearer {{1}}\" https://console.vast.ai/api/v0/users/current/ | jq .credit\n")},

		// ---- history files, notebooks ----
		{"bash-history", "cli", srcHistory, "K", file(".bash_history", "ls\npip install vastai\nvastai set api-key {{1}}\nvastai search offers 'gpu_name=RTX_3090'\n")},
		{"zsh-extended-history", "cli", srcHistory, "K", file(".zsh_history", ": 1714564800:0;cd ~/src/trainer\n: 1714564812:0;export VAST_API_KEY={{1}}\n: 1714564830:0;python rent.py\n")},
		{"notebook-shell-cell", "encoding", srcNotebook, "K", file("notebooks/rent.ipynb", "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 1,\n   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\n    \"!pip install -q vastai\\n\",\n    \"!vastai set api-key {{1}}\"\n   ]\n  }\n ],\n \"metadata\": {},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n")},
		{"notebook-environ-escaped", "encoding", srcNotebook, "K", file("notebooks/train.ipynb", "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 2,\n   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\n    \"import os\\n\",\n    \"os.environ[\\\"VAST_API_KEY\\\"] = \\\"{{1}}\\\"\\n\",\n    \"from vastai import VastAI\\n\",\n    \"client = VastAI()\"\n   ]\n  }\n ],\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n")},
		{"notebook-cat-output", "encoding", srcNotebook, "K", file("notebooks/debug.ipynb", "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 3,\n   \"metadata\": {},\n   \"outputs\": [\n    {\n     \"name\": \"stdout\",\n     \"output_type\": \"stream\",\n     \"text\": [\n      \"{{1}}\\n\"\n     ]\n    }\n   ],\n   \"source\": [\n    \"!cat ~/.config/vastai/vast_api_key\"\n   ]\n  }\n ],\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n")},
		{"slack-export-prose", "prose", srcMedarion, "K", file("exports/general/2024-05-01.json", "[\n  {\"type\": \"message\", \"user\": \"U0123\", \"text\": \"here's the vast.ai key for the render farm: {{1}} (don't share)\", \"ts\": \"1714564800.000100\"}\n]\n")},
		{"markdown-table", "prose", srcSecretMgr, "K", file("docs/ENV.md", "| Variable | Value |\n| --- | --- |\n| `VAST_API_KEY` | `{{1}}` |\n| `HF_HOME` | `/workspace/hf` |\n")},
		{"issue-prose", "prose", srcVastPython, "K", file(".github/ISSUE_TEMPLATE/bug_report.md", "Steps: I ran `vastai show instances` and got 401.\nMy Vast API key is {{1}}, created yesterday.\n")},

		// ---- encodings ----
		{"base64-env-blob", "encoding", srcK8s, "K", encoded("deploy/env.b64", b64wrapped, "# scheduler environment\nVAST_API_KEY={{1}}\nVAST_MAX_INSTANCES=4\nLOG_LEVEL=info\n")},
		{"k8s-secret-dotenv-base64", "encoding", srcK8s, "K", func(r *scantest.Repo, v []string) {
			env := base64.StdEncoding.EncodeToString([]byte("VAST_API_KEY=" + v[0] + "\nREDIS_URL=redis://redis:6379\n"))
			r.Commit("add secret", scantest.Files{"deploy/app-env.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-env\ndata:\n  .env: " + env + "\n"})
		}},
		{"html-escaped-doc", "encoding", srcDocsHello, "K", file("site/setup.html", "<pre><code>vastai set api-key {{1}}\nexport VAST_API_KEY=&quot;{{1}}&quot;\n</code></pre>\n")},
		{"json-in-json-escaped", "encoding", srcWrangler, "K", file("vercel-env.json", "{\"env\": \"{\\\"VAST_API_KEY\\\":\\\"{{1}}\\\",\\\"NODE_ENV\\\":\\\"production\\\"}\"}\n")},

		// ---- git side-stores ----
		{"commit-message-rotation", "git", srcVastPython, "K", message("rotate vast key\n\nThe old vast api key {{1}} is revoked now.\n")},
		{"tag-message", "git", srcVastPython, "K", tag("v1.4.0\n\nCI uses VAST_API_KEY={{1}} for the benchmark job.\n")},
		{"git-note", "git", srcVastPython, "K", note("deployed with vastai set api-key {{1}}\n")},
		{"stash-env", "git", srcMedarion, "K", stash(".env", "VAST_API_KEY={{1}}\n")},
		{"deleted-in-history", "git", srcMedarion, "K", removed("config/vast.json", "{\"api_key\": \"{{1}}\"}\n")},
		{"filter-branch-original", "git", srcMedarion, "K", rewritten("scripts/rent.sh", "#!/bin/sh\nvastai --api-key {{1}} show instances\n")},
		{"merge-resolution-only", "git", srcMedarion, "K", merged(".env.production", "VAST_API_KEY={{1}}\n")},

		// ---- binary files ----
		{"sqlite-settings-row", "binary", srcMedarion, "K", raw("data/app.db", sqliteFile("CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT)", "INSERT INTO settings VALUES ('theme', 'dark')", "INSERT INTO settings VALUES ('vast_api_key', '{{1}}')"))},
		{"sqlite-state-json", "binary", srcMedarion, "K", raw(".vscode-state/state.vscdb", sqliteFile("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)", "INSERT INTO ItemTable VALUES ('acme.gpu-runner', '{\"provider\":\"vast\",\"vastApiKey\":\"{{1}}\"}')"))},
		{"pickle-dict", "binary", srcMedarion, "K", raw("cache/session.pkl", pickleDict("provider", "vast.ai", "vast_api_key", "{{1}}", "region", "any"))},
		{"pyc-constants", "binary", srcTitan, "K", raw("titan/__pycache__/settings.cpython-311.pyc", pyc([]string{"VASTAI_API_KEY", "VASTAI_API_BASE"}, []string{"{{1}}", "https://console.vast.ai/api/v0"}))},
		{"go-binary-ldflags", "binary", srcCloudAPI, "K", raw("dist/broker", goBinary("github.com/acme/broker", "-s -w -X main.vastAPIKey={{1}}", "application/jsonAuthorizationBearer https://console.vast.ai/api/v0{{1}}instances/?owner=me"))},

		// ================= look-alikes =================
		{"jupyter-url-token", "lookalike", srcJupyterEnv, "D", file("README.md", "Rent a box with `vastai create instance 1234567 --image pytorch/pytorch --jupyter --jupyter-lab`, then open\n\n    http://93.91.156.86:44050/lab?token={{1}}\n")},
		{"show-instance-raw-json", "lookalike", srcHostJSON, "D", file("fixtures/instance.json", "{\n  \"id\": 27844189,\n  \"actual_status\": \"running\",\n  \"ssh_host\": \"ssh4.vast.ai\",\n  \"ssh_port\": 44939,\n  \"jupyter_token\": \"{{1}}\",\n  \"machine_id\": 10921\n}\n")},
		{"openapi-jupyter-example", "lookalike", srcOpenAPI, "D", file("api-reference/openapi/yaml/show_instance.yaml", "components:\n  schemas:\n    Instance:\n      properties:\n        jupyter_token:\n          type: string\n          description: Jupyter token for the instance.\n          example: {{1}}\n")},
		{"dotenv-jupyter-token", "lookalike", srcJupyterEnv, "D", file(".env.example", "VAST_API_KEY=your_vast_api_key\nJUPYTER_TOKEN={{1}}\n")},
		{"create-instance-env-jupyter", "lookalike", srcJupyterEnv, "D", file("scripts/rent.sh", "#!/bin/bash\nvastai create instance \"$OFFER\" --image ghcr.io/ai-dock/comfyui:latest-jupyter --env '-p 8188:8188 -e JUPYTER_TOKEN={{1}} -e WEB_ENABLE_AUTH=false' --disk 60\n")},
		{"create-instance-onstart-notebook-token", "lookalike", srcOnstart, "D", file("launch.sh", "#!/bin/bash\nvastai create instance 25475069 --image pytorch/pytorch --onstart-cmd 'jupyter lab --allow-root --ip=0.0.0.0 --NotebookApp.token={{1}}'\n")},
		{"open-button-token-output", "lookalike", srcOpenclaw, "D", file("docs/openclaw.md", "```bash\nssh -p 33426 root@ssh5.vast.ai 'echo $OPEN_BUTTON_TOKEN'\n```\n\n```text\n{{1}}\n```\n\nSave this token, you will need it for all API requests.\n")},
		{"vllm-api-key-export", "lookalike", srcOpenclaw, "D", file("docs/openclaw-config.md", "Set the vLLM API key environment variable to the `OPEN_BUTTON_TOKEN` of your Vast.ai instance:\n\n```bash\nexport VLLM_API_KEY=\"{{1}}\"\n```\n")},
		{"openclaw-provider-apikey", "lookalike", srcOpenclaw, "D", file(".openclaw/openclaw.json", "{\n  \"models\": {\n    \"providers\": {\n      \"vllm\": {\n        \"baseUrl\": \"http://93.91.156.86:44050/v1\",\n        \"apiKey\": \"{{1}}\",\n        \"models\": [{\"id\": \"Qwen/Qwen3-8B\", \"name\": \"Qwen3 8B on Vast\"}]\n      }\n    }\n  }\n}\n")},
		{"instance-bearer-curl", "lookalike", srcOpenclaw, "D", file("docs/test-api.md", "Verify the API on your Vast.ai instance is responding:\n\n```bash\ncurl -s http://93.91.156.86:44050/v1/models \\\n    -H \"Authorization: Bearer {{1}}\"\n```\n")},
		{"machine-id-file", "lookalike", srcMachineID, "D", file("backup/var/lib/vastai_kaalia/machine_id", "{{1}}\n")},
		{"mach-api-key-payload", "lookalike", srcMachineID, "D", file("host/report_copy.py", "import requests\n\nmachine_api_key = \"{{1}}\"\npayload = {\"mach_api_key\": machine_api_key, \"task_name\": \"copy_direct\"}\nrequests.put(\"https://console.vast.ai/api/daemon/task/\", json=payload)\n")},
		{"dotenv-secret-key", "lookalike", srcOpenssl, "D", file(".env.production", "# Vast.ai\nVAST_API_KEY=\n# Django\nSECRET_KEY={{1}}\n")},
		{"dev-vars-admin-token", "lookalike", srcWrangler, "D", file(".dev.vars", "VAST_API_KEY=test-key\nHEARTBEAT_TOKEN=test-heartbeat\nADMIN_TOKEN={{1}}\nVAST_API_BASE=https://vast.test\n")},
		{"jwt-secret-compose", "lookalike", srcOpenssl, "D", file("docker-compose.prod.yml", "services:\n  api:\n    environment:\n      VAST_API_KEY: ${VAST_API_KEY}\n      JWT_SECRET: {{1}}\n")},
		{"webhook-secret", "lookalike", srcWebhook, "D", file("scaler/config.yaml", "vast:\n  api_key_env: VAST_API_KEY\n  max_instances: 4\nwebhook:\n  secret: {{1}}\n")},
		{"nextauth-secret", "lookalike", srcOpenssl, "D", file(".env.local", "NEXTAUTH_URL=http://localhost:3000\nNEXTAUTH_SECRET={{1}}\nVAST_API_KEY=\n")},
		{"encryption-key-hex", "lookalike", srcOpenssl, "D", file("dashboard/.env.example", "# openssl rand -hex 32\nENCRYPTION_KEY={{1}}\n# your key from https://cloud.vast.ai/manage-keys/\nVAST_API_KEY=\n")},
		{"generate-keys-output", "lookalike", srcOpenssl, "D", file("docs/keys.md", "Generate the app's own keys (the Vast.ai key comes from the console):\n\n```\n$ openssl rand -hex 32\n{{1}}\n```\n")},
		{"own-service-x-api-key", "lookalike", srcXAPIKey, "D", file("docs/TEST_API_ON_VAST.md", "## Test AI Query (the API runs on a Vast.ai instance)\n\n```bash\ncurl -X POST http://194.228.55.129:3001/api/ai/query \\\n  -H \"Content-Type: application/json\" \\\n  -H \"X-API-Key: {{1}}\" \\\n  -d '{\"query\":\"Hello, who are you?\"}'\n```\n")},
		{"vllm-key-on-vast-env", "lookalike", srcVLLM, "D", file("vast/bootstrap.env", "# copied to the Vast.ai box\nHF_TOKEN=hf_xxx\nVLLM_API_KEY={{1}}\n")},
		{"sha256sum-file", "lookalike", srcPip, "D", file("dist/SHA256SUMS", "{{1}}  vastai-0.3.1-py3-none-any.whl\n")},
		{"dockerfile-base-image-digest", "lookalike", srcBaseImage, "D", file("Dockerfile.worker", "FROM vastai/base-image@sha256:{{1}}\nENV VAST_API_KEY=\"\"\n")},
		{"rust-image-const", "lookalike", srcBaseImage, "D", file("src/execute.rs", "const IMAGE: &str =\n    \"vastai/base-image@sha256:{{1}}\";\n")},
		{"template-image-tag-digest", "lookalike", srcBaseImage, "D", file("templates/worker.json", "{\n  \"name\": \"cloud-run-worker\",\n  \"image\": \"vastai/base-image@sha256\",\n  \"tag\": \"{{1}}\",\n  \"private\": true\n}\n")},
		{"requirements-hash", "lookalike", srcLock, "D", file("requirements.txt", "vastai==0.3.1 \\\n    --hash=sha256:{{1}}\nrequests==2.31.0\n")},
		{"poetry-lock", "lookalike", srcLock, "D", file("poetry.lock", "[[package]]\nname = \"vastai\"\nversion = \"0.3.1\"\ndescription = \"Vast.ai Python CLI\"\nfiles = [\n    {file = \"vastai-0.3.1-py3-none-any.whl\", hash = \"sha256:{{1}}\"},\n]\n")},
		{"uv-lock", "lookalike", srcLock, "D", file("uv.lock", "[[package]]\nname = \"vastai-sdk\"\nversion = \"0.1.16\"\nsource = { registry = \"https://pypi.org/simple\" }\nsdist = { url = \"https://files.pythonhosted.org/packages/vastai_sdk-0.1.16.tar.gz\", hash = \"sha256:{{1}}\", size = 40211 }\n")},
		{"cargo-lock", "lookalike", srcLock, "D", file("Cargo.lock", "[[package]]\nname = \"vast-api\"\nversion = \"0.2.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{{1}}\"\n")},
		{"terraform-lock", "lookalike", srcLock, "D", file(".terraform.lock.hcl", "provider \"registry.terraform.io/example/vastai\" {\n  version = \"0.4.0\"\n  hashes = [\n    \"zh:{{1}}\",\n  ]\n}\n")},
		{"lfs-pointer", "lookalike", srcLFS, "D", file("models/vast_worker.safetensors", "version https://git-lfs.github.com/spec/v1\noid sha256:{{1}}\nsize 4294967296\n")},
		{"docker-ps-no-trunc", "lookalike", srcDocker, "D", file("logs/host-audit.txt", "$ docker ps --no-trunc --format '{{.ID}} {{.Names}}'\n{{1}} C.27844189\n# Vast.ai host: vastai_kaalia runs the renters' containers\n")},
		{"key-sha256-fingerprint", "lookalike", srcHash, "D", file("ci/check_key.sh", "#!/bin/sh\n# the Vast API key must hash to the pinned fingerprint\nEXPECTED_VAST_KEY_SHA256={{1}}\nprintf %s \"$VAST_API_KEY\" | sha256sum | grep -q \"$EXPECTED_VAST_KEY_SHA256\"\n")},
		{"test-expected-hash", "lookalike", srcHash, "D", file("tests/test_redact.py", "def test_key_hash():\n    vast_key = \"not-a-real-key\"\n    assert key_hash(vast_key) == \"{{1}}\"\n")},
		{"worker-archive-sha256", "lookalike", srcHash, "D", file("publish_template.py", "IMAGE = \"docker.io/vastai/base-image@sha256:\" + DIGEST\nWORKER_ARCHIVE_SHA256 = \"{{1}}\"\n")},
		{"webhook-signature-log", "lookalike", srcWebhook, "D", file("logs/webhook.log", "POST /hooks/vast-autoscaler 200\nX-Signature: sha256={{1}}\n")},
		{"model-checksum", "lookalike", srcHash, "D", file("serverless/vast-endpoint.json", "{\n  \"endpoint_name\": \"vast-tts\",\n  \"model\": \"kokoro-82m\",\n  \"model_sha256\": \"{{1}}\"\n}\n")},
		{"linode-token-multi", "lookalike", srcMulti, "D", file(".env.providers", "VAST_AI_API_KEY=\nRUNPOD_API_KEY=\nLINODE_TOKEN={{1}}\n")},
		{"runpod-key-same-file", "lookalike", srcMulti, "D", file("providers/config.py", "import os\n\nVAST_API_KEY = os.getenv(\"VAST_API_KEY\", \"\")\nRUNPOD_API_KEY = \"{{1}}\"\n")},
		{"dstack-other-backend", "lookalike", srcDstack, "D", file(".dstack/server/config.yml", "projects:\n- name: main\n  backends:\n  - type: vastai\n    creds:\n      type: api_key\n      api_key: ${VAST_API_KEY}\n  - type: tensordock\n    creds:\n      type: api_key\n      api_key: 8d9c2e4f\n      api_token: {{1}}\n")},
		{"lambda-key-toml", "lookalike", srcMulti, "D", file("gpu.toml", "[vastai]\napi_key_env = \"VAST_API_KEY\"\n\n[lambda]\napi_key = \"{{1}}\"\n")},
		{"miner-wallet-key", "lookalike", srcMiner, "D", file("vast-optimizer/.env", "VAST_AI_API_KEY=REPLACE_THIS_WITH_YOUR_VAST_API_KEY\nWALLET_PRIVATE_KEY={{1}}\n")},
		{"create-instance-env-hf-secret", "lookalike", srcOnstart, "D", file("start.sh", "#!/bin/bash\nvastai create instance \"$OFFER\" --image vllm/vllm-openai:latest --env \"-e VLLM_API_KEY={{1}} -e HF_HUB_ENABLE_HF_TRANSFER=1\"\n")},
		{"password-salt", "lookalike", srcOpenssl, "D", file("config/settings.py", "VAST_API_KEY = os.environ[\"VAST_API_KEY\"]\nPIN_SALT = \"{{1}}\"\n")},
		{"pyworker-tokens", "lookalike", srcPyworker, "D", file("pyworker/start.sh", "#!/bin/bash\nREPORT_ADDR=\"${REPORT_ADDR:-https://cloud.vast.ai/api/v0,https://run.vast.ai}\"\nWORKER_AUTH_TOKEN=\"{{1}}\"\n")},
		{"sqlite-jupyter-token", "lookalike", srcHostJSON, "D", raw("data/instances.db", sqliteFile("CREATE TABLE instances (id INTEGER, ssh_host TEXT, jupyter_token TEXT)", "INSERT INTO instances VALUES (27844189, 'ssh4.vast.ai', '{{1}}')"))},
		{"pickle-image-digest", "lookalike", srcBaseImage, "D", raw("cache/template.pkl", pickleDict("image", "vastai/base-image", "digest", "sha256:{{1}}"))},
		{"commit-message-digest", "lookalike", srcBaseImage, "D", message("pin vastai/base-image to sha256:{{1}}\n")},
		{"note-jupyter-url", "lookalike", srcJupyterEnv, "D", note("vast instance 27844189 jupyter: https://93.91.156.86:44050/?token={{1}}\n")},
	}
}
