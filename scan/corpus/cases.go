package corpus

// Sources of the shape families. Repositories are cited by owner/name and
// path; "code search" cites the public-code query that showed the shape
// (vastguard's helpers searched public GitHub code for each).
const (
	srcVastCLI     = "vast-ai/vast-cli README.md and vast.py (VAST_API_KEY, set api-key, --api-key)"
	srcVastPython  = "vast-ai/vast-python README.md (./vast.py set api-key)"
	srcVasttools   = "jjziets/vasttools README.md (./vast set api-key, host install), SetIdleJob.py (--api-key)"
	srcHostInstall = "jjziets/vasttools README.md and Vast host setup docs (wget https://console.vast.ai/install -O install; sudo python3 install KEY)"
	srcDstack      = "dstackai/dstack docs/docs/configuration/server.md (- type: vastai / creds: / api_key:)"
	srcDstackJSON  = "dstackai/dstack src/tests/_internal/pydantic_compat/fixtures/parsing/backend_config/vastai.input.json"
	srcMedarion    = "xone247/medarion VAST_API_KEY_DEPLOYMENT.md (export, systemd Environment=, .env, echo > .env, X-API-Key)"
	srcSkill       = "LiorZ/vastai-claude-skill skills/vastai-setup/SKILL.md (vastai set api-key, export VAST_API_KEY, vastai create env-var)"
	srcKian        = "KianShah/vast-ai-api README.md (VAST_AI_API_KEY)"
	srcSuperAgent  = "vasic-digital/SuperAgent skills/plugins/saas-packs/vastai-pack/vastai-install-auth/SKILL.md (VASTAI_API_KEY in .env)"
	srcVastLogs    = "vast-ai/vast-cli history: error.txt, failed_machines.txt (429 Client Error ... for url: ...?api_key=)"
	srcVastJSON    = "vast-ai/vast-cli history: show.json (jupyter_token), create_machine_json/create_machine.json (kaalia args auth)"
	srcVastSpec    = "vast-ai/vast-cli OpenAPI spec (Jupyter token and response signature examples)"
	srcURLKey      = "vast-ai/vast-cli#470 and PR #471 (vastai 1.0.13-1.4.3 put api_key in every request URL); skypilot-org/skypilot#10209"
	srcAnchors     = "docs/anchors-scanners.md section 1 (VastAI(api_key=...), ~/.vast_api_key, ~/.config/vastai/vast_api_key)"
	srcSDKDocs     = "vast-ai/vast-cli SDK docs (from vastai import VastAI; VastAI(api_key=...))"
	srcCodeEnvOr   = "code search: os.getenv(\"VAST_API_KEY\") or / os.environ.get(\"VAST_API_KEY\", ...)"
	srcCodeJSOr    = "code search: process.env.VAST_API_KEY || '<hex>' (a proxy server), and the default on the next line"
	srcCodePS      = "code search: $env:VAST_API_KEY = \"...\", $env:VASTAPIKEY, vastai set api-key $env:VASTAI_API_KEY | Out-Null"
	srcCodeCmd     = "code search: set VAST_API_KEY=..., setx VAST_API_KEY \"...\" in .bat files"
	srcCodeTyped   = "code search: typed key constants (VASTAI_API_KEY = \"<hex>\" in Python; Kotlin/Swift/Rust/TS apiKey constants)"
	srcCodeKeyFile = "code search: echo \"...\" > ~/.vast_api_key; .secrets/vast_api_key; ~/.vast.key"
	srcCodeConsul  = "code search: consul kv get creds/vast/api_key; sops key = \"vast_api_key\""
	srcCodeCfgJSON = "code search: with open(\"vast_config.json\") as f: VAST_API_KEY = vast_config[\"api_key\"]"
	srcCodeSDK     = "code search: vastai_sdk.VastAI(api_key=...), new VastAIApi(process.env.VAST_API_KEY)"
	srcCodeBearer  = "code search: headers={\"Authorization\": f\"Bearer {VAST_KEY}\"} with https://console.vast.ai/api/v0/instances/"
	srcCodeContain = "code search: CONTAINER_API_KEY and CONTAINER_ID read from /proc/1/environ on Vast instances"
	srcCodeButton  = "code search: OPEN_BUTTON_TOKEN (Vast instance portal token, appended as ?token=)"
	srcCodeJupyter = "code search: JUPYTER_TOKEN on Vast templates; jupyter_token in vastai show instance --raw"
	srcCodeKaalia  = "code search: /var/lib/vastai_kaalia/machine_id (kaalia-internal hash, not a key)"
	srcCodeWrangle = "code search: wrangler test bindings VAST_API_KEY beside HEARTBEAT_TOKEN and ADMIN_TOKEN"
	srcCodeSecrets = "code search: openssl rand -hex 32 for SECRET_KEY, JWT_SECRET, WEBHOOK_SECRET in .env.example files of GPU apps"
	srcCodeRunpod  = "code search: RUNPOD_API_KEY next to VAST_API_KEY in multi-cloud GPU configs"
	srcHotaisle    = "dstackai/dstack docs (a hotaisle backend's api_key in the same file as the vastai backend)"
	srcAutorent    = "code search: VASTAI_AWS_ACCESS_KEY / VASTAI_AWS_SECRET_KEY passed to Vast instances"
	srcVastAds     = "montevideo-tech/vast-2-sgai (IAB VAST video-ad tags: another 'VAST')"
	srcLockfiles   = "vast-ai/vast-cli poetry.lock, requirements pins, Dockerfiles FROM vastai/* images by digest"
	srcK8s         = "Kubernetes docs (env name/value, Secret data/stringData) applied to VAST_API_KEY as public manifests do"
	srcCI          = "GitHub Actions and GitLab CI env blocks with VAST_API_KEY (code search)"
	srcTerraform   = "code search: Terraform variables and provider blocks for Vast (variable \"vast_api_key\", provider \"vastai\")"
	srcRecordings  = "VCR cassettes, HAR and Postman collections of requests to console.vast.ai (Authorization: Bearer, ?api_key=)"
	srcNotebook    = "Jupyter notebooks (JSON-escaped source) running !vastai set api-key and os.environ[\"VAST_API_KEY\"]"
	srcSideStores  = "issue 10: commit and tag messages, notes and stashes (\"old vast key was KEY\")"
	srcBinary      = "issue 10: committed SQLite files, pickles and binaries built with -ldflags -X"
	srcPlaceholder = "code search: vastai set api-key 0000..., VAST_API_KEY=0123456789abcdef..., 0x-prefixed and uppercase hex"
)

// planted are the leak shapes: each case holds one Vast key (@K@).
var planted = []Case{
	// env files and shells
	{ID: "p001", Family: "dotenv", Source: srcVastCLI, Path: ".env", Text: "DEBUG=1\nVAST_API_KEY=@K@\n"},
	{ID: "p002", Family: "shell export quoted", Source: srcMedarion, Path: "scripts/env.sh", Text: "#!/bin/sh\nexport VAST_API_KEY=\"@K@\"\npython3 run_api.py\n"},
	{ID: "p003", Family: "dotenv VASTAI_ prefix", Source: srcSuperAgent, Path: ".env.production", Text: "NODE_ENV=production\nVASTAI_API_KEY=@K@\n"},
	{ID: "p004", Family: "dotenv VAST_AI_ prefix", Source: srcKian, Path: "config/.env", Text: "VAST_AI_API_KEY=@K@\n"},
	{ID: "p005", Family: "dotenv glued name", Source: srcCodePS, Path: "local.env", Text: "VASTAPIKEY=@K@\nREDIS_PORT=6379\n"},
	{ID: "p006", Family: "dotenv app-prefixed name", Source: "code search: MYELIN_VASTAI_API_KEY, KOLM_VAST_TOKEN", Path: ".env", Text: "MYELIN_VASTAI_API_KEY=@K@\n"},
	{ID: "p007", Family: "systemd Environment=", Source: srcMedarion, Path: "deploy/api.service", Text: "[Service]\nEnvironment=\"VAST_API_KEY=@K@\"\nExecStart=/usr/bin/python3 run_api_on_vast.py\n"},
	{ID: "p008", Family: "echo into .env", Source: srcMedarion, Path: "setup.sh", Text: "echo 'VAST_API_KEY=\"@K@\"' > /workspace/.env\n"},
	{ID: "p009", Family: "env prefix on a command", Source: srcMedarion, Path: "run.sh", Text: "VAST_API_KEY=\"@K@\" python3 run_api_on_vast.py &\n"},
	{ID: "p010", Family: "shell :- default", Source: "code search: ${VAST_API_KEY:-...}, : \"${VAST_API_KEY:?Must set VAST_API_KEY}\"", Path: "bin/launch", Text: "#!/usr/bin/env bash\nVAST_API_KEY=\"${VAST_API_KEY:-@K@}\"\nexport VAST_API_KEY\n"},
	{ID: "p011", Family: "shell := default", Source: "code search: : \"${VAST_API_KEY:?Must set VAST_API_KEY}\"", Path: "bin/autoscale.sh", Text: "set -euo pipefail\n: \"${VAST_API_KEY:=@K@}\"\n"},
	{ID: "p012", Family: "dotenv CRLF", Source: srcVastCLI, Path: "deploy/win.env", Text: "A=1\r\nVAST_API_KEY=@K@\r\nB=2\r\n"},
	{ID: "p013", Family: "dotenv trailing comment", Source: srcVastCLI, Path: "ops/.env", Text: "VAST_API_KEY=@K@ # prod account\n"},
	{ID: "p014", Family: "fish set -gx", Source: srcVastCLI, Path: "config.fish", Text: "set -gx VAST_API_KEY @K@\n"},
	{ID: "p015", Family: "Makefile ?=", Source: srcVastCLI, Path: "Makefile", Text: "VAST_API_KEY ?= @K@\n\nrent:\n\tvastai search offers\n"},
	// Windows shells
	{ID: "p016", Family: "PowerShell $env:", Source: srcCodePS, Path: "setup.ps1", Text: "# Vast.ai\n$env:VAST_API_KEY = \"@K@\"\npython vast_krea2_client.py\n"},
	{ID: "p017", Family: "PowerShell SetEnvironmentVariable", Source: srcCodePS, Path: "tools/set_key.ps1", Text: "[Environment]::SetEnvironmentVariable(\"VAST_API_KEY\", \"@K@\", \"User\")\n"},
	{ID: "p018", Family: "cmd set", Source: srcCodeCmd, Path: "run.bat", Text: "@echo off\nset VAST_API_KEY=@K@\npython test_vast_integration.py\n"},
	{ID: "p019", Family: "cmd setx", Source: srcCodeCmd, Path: "install.cmd", Text: "setx VAST_API_KEY \"@K@\"\n"},
	{ID: "p020", Family: "PowerShell vastai set api-key", Source: srcCodePS, Path: "start.ps1", Text: "vastai set api-key @K@ 2>&1 | Out-Null\nWrite-Host \"   [OK] API key configured\"\n"},
	{ID: "p021", Family: "PowerShell Set-Content key file", Source: srcCodePS, Path: "init.ps1", Text: "Set-Content -Path \"$HOME\\.config\\vastai\\vast_api_key\" -Value \"@K@\"\n"},
	{ID: "p022", Family: "PowerShell UTF-16 file", Source: srcCodePS + " (Windows PowerShell 5 writes UTF-16 with a BOM)", Path: "profile.ps1", UTF16: true, Text: "$env:VAST_API_KEY = '@K@'\r\n"},
	// the Vast CLIs, old and new
	{ID: "p023", Family: "vastai set api-key", Source: srcVastCLI, Path: "README.md", Text: "## Setup\n\n```bash\npip install vastai\nvastai set api-key @K@\n```\n"},
	{ID: "p024", Family: "./vast set api-key (old CLI)", Source: srcVasttools, Path: "docs/autoverify.md", Text: "   - Set your Vast.ai API key:\n     ```bash\n     ./vast set api-key @K@\n     ```\n"},
	{ID: "p025", Family: "./vast.py set api-key (old CLI)", Source: srcVastPython, Path: "INSTALL.md", Text: "wget https://raw.githubusercontent.com/vast-ai/vast-python/master/vast.py; chmod +x vast.py;\n./vast.py set api-key @K@\n"},
	{ID: "p026", Family: "python3 vast.py set api-key", Source: "code search: python3 /tmp/vast.py set api-key <YOUR_KEY>", Path: "notes/zorin.md", Text: "- API key saved: `python3 /tmp/vast.py set api-key @K@`\n"},
	{ID: "p027", Family: "uvx vastai set api-key", Source: "code search: uvx vastai set api-key <key>", Path: "SETUP.md", Text: "# vastai CLI must be configured: `uvx vastai set api-key @K@`\n"},
	{ID: "p028", Family: "notebook !vastai set api-key", Source: srcNotebook, Path: "train.ipynb", Text: "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"source\": [\n    \"!pip install vastai\\n\",\n    \"!vastai set api-key @K@\\n\"\n   ]\n  }\n ]\n}\n"},
	{ID: "p029", Family: "Dockerfile RUN vastai set api-key", Source: srcVastCLI, Path: "Dockerfile", Text: "FROM python:3.12-slim\nRUN pip install vastai && vastai set api-key @K@\n"},
	{ID: "p030", Family: "vastai --api-key", Source: srcVastCLI, Path: "search.sh", Text: "vastai search offers 'gpu_name=RTX_4090 num_gpus=1' --api-key @K@ -o 'dph_total'\n"},
	{ID: "p031", Family: "vast.py --api-key=", Source: srcVastPython, Path: "cron.sh", Text: "./vast.py show instances --api-key=@K@ --raw > instances.json\n"},
	{ID: "p032", Family: "vastai --api-key on a continued line", Source: srcVastCLI, Path: "launch.sh", Text: "vastai create instance 123456 \\\n  --image pytorch/pytorch \\\n  --disk 40 \\\n  --api-key @K@\n"},
	{ID: "p033", Family: "script --api-key in a Vast tool", Source: srcVasttools, Path: "SetIdleJob.md", Text: "python3 SetIdleJob.py --image nvidia/cuda:12.4.1-runtime-ubuntu22.04 --disk 16 --args 'env | grep _ >> /etc/environment; echo ${VAST_CONTAINERLABEL:2}' --api-key @K@\n"},
	{ID: "p034", Family: "echo into ~/.vast_api_key", Source: srcCodeKeyFile, Path: "bootstrap.sh", Text: "echo @K@ > ~/.vast_api_key\nchmod 600 ~/.vast_api_key\n"},
	{ID: "p035", Family: "tee into the vastai key file", Source: srcAnchors, Path: "provision.sh", Text: "mkdir -p ~/.config/vastai\necho \"@K@\" | tee ~/.config/vastai/vast_api_key >/dev/null\n"},
	{ID: "p036", Family: "heredoc into the vastai key file", Source: srcAnchors, Path: "cloud-init.sh", Text: "cat > ~/.config/vastai/vast_api_key <<EOF\n@K@\nEOF\n"},
	{ID: "p037", Family: "argv list set api-key", Source: srcVastCLI + " (called from Python)", Path: "setup_vast.py", Text: "import subprocess\nsubprocess.run([\"vastai\", \"set\", \"api-key\", \"@K@\"], check=True)\n"},
	{ID: "p038", Family: "argv list --api-key", Source: srcVastCLI + " (called from Python)", Path: "poll.py", Text: "out = subprocess.check_output([\"vastai\", \"show\", \"instances\", \"--api-key\", \"@K@\", \"--raw\"])\n"},
	{ID: "p039", Family: "Vast host installer", Source: srcHostInstall, Path: "host-setup.sh", Text: "sudo apt install python3 -y\nsudo wget https://console.vast.ai/install -O install; sudo python3 install @K@; history -d $((HISTCMD-1));\n"},
	{ID: "p040", Family: "Vast host installer, saved script", Source: "code search: sudo python3 /tmp/vast_host_installer.py <API_KEY> --interactive", Path: "docs/host.md", Text: "sudo wget https://console.vast.ai/install -O /tmp/vast_host_installer.py\nsudo python3 /tmp/vast_host_installer.py @K@ --interactive\n"},
	// SDKs and code
	{ID: "p041", Family: "Python VastAI(api_key=)", Source: srcSDKDocs, Path: "client.py", Text: "from vastai import VastAI\n\nclient = VastAI(api_key=\"@K@\")\nprint(client.show_instances())\n"},
	{ID: "p042", Family: "Python VastAI positional", Source: srcSDKDocs, Path: "quick.py", Text: "v = VastAI('@K@')\n"},
	{ID: "p043", Family: "Python vastai_sdk.VastAI", Source: srcCodeSDK, Path: "logs.py", Text: "import vastai_sdk\nclient = vastai_sdk.VastAI(api_key=\"@K@\")\n"},
	{ID: "p044", Family: "Python constant", Source: srcCodeTyped, Path: "train_remote.py", Text: "# Vast.ai API Configuration\nVASTAI_API_KEY = \"@K@\"\nVASTAI_API_BASE = \"https://console.vast.ai/api/v0\"\n"},
	{ID: "p045", Family: "Python getenv() or default", Source: srcCodeEnvOr, Path: "backend/providers.py", Text: "api_key = os.getenv(\"VAST_API_KEY\") or \"@K@\"\n"},
	{ID: "p046", Family: "Python environ.get default", Source: srcCodeEnvOr, Path: "settings.py", Text: "VAST_KEY = os.environ.get(\"VAST_API_KEY\", \"@K@\")\n"},
	{ID: "p047", Family: "Python annotated constant", Source: srcCodeTyped, Path: "cfg.py", Text: "VAST_API_KEY: str = \"@K@\"\n"},
	{ID: "p048", Family: "Python os.environ[] =", Source: srcNotebook, Path: "bootstrap.py", Text: "import os\nos.environ[\"VAST_API_KEY\"] = \"@K@\"\n"},
	{ID: "p049", Family: "Python setdefault", Source: srcCodeEnvOr, Path: "conftest.py", Text: "os.environ.setdefault(\"VAST_API_KEY\", \"@K@\")\n"},
	{ID: "p050", Family: "Python value on the next line", Source: srcCodeTyped, Path: "keys.py", Text: "VAST_API_KEY = (\n    \"@K@\"\n)\n"},
	{ID: "p051", Family: "JS env || default", Source: srcCodeJSOr, Path: "proxy.js", Text: "const VAST_URL = process.env.VAST_AI_URL || 'http://127.0.0.1:3001';\nconst API_KEY = process.env.VAST_API_KEY || '@K@';\n"},
	{ID: "p052", Family: "JS env || default on the next line", Source: srcCodeJSOr, Path: "lib/vast.js", Text: "function getKey() {\n  return (\n    process.env.VAST_API_KEY ||\n    \"@K@\"\n  );\n}\n"},
	{ID: "p053", Family: "TS env ?? default", Source: "code search: import.meta.env.VITE_API_KEY ?? '<hex>'", Path: "src/env.ts", Text: "export const vastKey = process.env.VAST_API_KEY ?? \"@K@\";\n"},
	{ID: "p054", Family: "TS typed const", Source: srcCodeTyped, Path: "src/vast.ts", Text: "export const VAST_API_KEY: string = \"@K@\";\n"},
	{ID: "p055", Family: "TS client constructor", Source: srcCodeSDK, Path: "src/engines.ts", Text: "const api = new VastAIApi(\"@K@\");\n"},
	{ID: "p056", Family: "Go typed var", Source: srcCodeTyped, Path: "internal/gpu/vast.go", Text: "package gpu\n\nvar vastAPIKey string = \"@K@\"\n"},
	{ID: "p057", Family: "Go os.Setenv", Source: srcCodeTyped, Path: "cmd/rent/main_test.go", Text: "func init() { os.Setenv(\"VAST_API_KEY\", \"@K@\") }\n"},
	{ID: "p058", Family: "Go cmp.Or default", Source: srcCodeEnvOr, Path: "cmd/rent/main.go", Text: "key := cmp.Or(os.Getenv(\"VAST_API_KEY\"), \"@K@\")\n"},
	{ID: "p059", Family: "Rust &str const", Source: srcCodeTyped, Path: "src/provider.rs", Text: "const VAST_API_KEY: &str = \"@K@\";\n"},
	{ID: "p060", Family: "Rust env::var unwrap_or", Source: srcCodeTyped, Path: "src/main.rs", Text: "let key = std::env::var(\"VAST_API_KEY\").unwrap_or(\"@K@\".to_string());\n"},
	{ID: "p061", Family: "Rust struct field in a Vast client", Source: "code search: format!(\"Bearer {}\", self.config.vast_api_key)", Path: "src/config.rs", Text: "ProviderConfig {\n    vast_api_key: Some(\"@K@\".into()),\n}\n"},
	{ID: "p062", Family: "Kotlin val typed", Source: srcCodeTyped, Path: "app/src/main/java/Keys.kt", Text: "object Keys {\n    val VAST_API_KEY: String = \"@K@\"\n}\n"},
	{ID: "p063", Family: "Kotlin elvis default", Source: srcCodeTyped, Path: "app/src/main/java/Env.kt", Text: "val key = System.getenv(\"VAST_API_KEY\") ?: \"@K@\"\n"},
	{ID: "p064", Family: "Swift typed let", Source: srcCodeTyped, Path: "Sources/App/Secrets.swift", Text: "struct Secrets {\n    static let vastApiKey: String = \"@K@\"\n}\n"},
	{ID: "p065", Family: "Swift environment ?? default", Source: srcCodeTyped, Path: "Sources/App/Config.swift", Text: "let key = ProcessInfo.processInfo.environment[\"VAST_API_KEY\"] ?? \"@K@\"\n"},
	{ID: "p066", Family: "Java static final", Source: srcCodeTyped, Path: "src/main/java/VastConfig.java", Text: "public class VastConfig {\n    private static final String VAST_API_KEY = \"@K@\";\n}\n"},
	{ID: "p067", Family: "Java getOrDefault", Source: srcCodeTyped, Path: "src/main/java/Main.java", Text: "String key = System.getenv().getOrDefault(\"VAST_API_KEY\", \"@K@\");\n"},
	{ID: "p068", Family: "C# const", Source: srcCodeTyped, Path: "Gpu/VastSettings.cs", Text: "public const string VastApiKey = \"@K@\";\n"},
	{ID: "p069", Family: "C# env ?? default", Source: srcCodeTyped, Path: "Gpu/Program.cs", Text: "var key = Environment.GetEnvironmentVariable(\"VAST_API_KEY\") ?? \"@K@\";\n"},
	{ID: "p070", Family: "Ruby ENV.fetch default", Source: srcCodeTyped, Path: "config/initializers/gpu.rb", Text: "VAST_KEY = ENV.fetch(\"VAST_API_KEY\", \"@K@\")\n"},
	{ID: "p071", Family: "Ruby ||=", Source: srcCodeTyped, Path: "lib/tasks/rent.rake", Text: "ENV[\"VAST_API_KEY\"] ||= \"@K@\"\n"},
	{ID: "p072", Family: "PHP define", Source: srcCodeTyped, Path: "config.php", Text: "<?php\ndefine('VAST_API_KEY', '@K@');\n"},
	{ID: "p073", Family: "PHP array =>", Source: srcCodeTyped, Path: "config/services.php", Text: "return [\n    'vast_api_key' => '@K@',\n];\n"},
	{ID: "p074", Family: "Python Bearer header to console.vast.ai", Source: srcCodeBearer, Path: "status.py", Text: "req = urllib.request.Request(\n    f\"https://console.vast.ai/api/v0/instances/{iid}/\",\n    headers={\"Authorization\": \"Bearer @K@\"},\n)\n"},
	{ID: "p075", Family: "curl Bearer", Source: srcAnchors, Path: "check.sh", Text: "curl -s -H \"Authorization: Bearer @K@\" https://console.vast.ai/api/v0/users/current/\n"},
	{ID: "p076", Family: "URL api_key in a comment", Source: "vast-ai/vast-cli vast.py (2022: # req_url = \"https://vast.ai/api/v0/users/current/?api_key=...\")", Path: "vast_client.py", Text: "def show_user(args):\n    # req_url = \"https://vast.ai/api/v0/users/current/?api_key=@K@\"\n    pass\n"},
	{ID: "p077", Family: "log: 429 for url ?api_key=", Source: srcVastLogs, Path: "failed_machines.txt", Text: "16399: CUDA version < 12.4\n29595: 429 Client Error: Too Many Requests for url: https://console.vast.ai/api/v0/bundles/?api_key=@K@\n"},
	{ID: "p078", Family: "log: error with request URL", Source: srcVastLogs, Path: "error.txt", Text: "Error parsing JSON output from request: https://console.vast.ai/api/v0/offers/?machine_id=24126&verified=any&rentable=true&api_key=@K@\n<!DOCTYPE html>\n"},
	{ID: "p079", Family: "log: http.client debug request line", Source: srcURLKey, Path: "debug.log", Text: "send: b'GET /api/v0/users/current/?api_key=@K@ HTTP/1.1\\r\\nHost: console.vast.ai\\r\\nUser-Agent: python-requests/2.31.0\\r\\n\\r\\n'\n"},
	{ID: "p080", Family: "percent-encoded URL", Source: srcURLKey, Path: "redirects.txt", Text: "next=https%3A%2F%2Fconsole.vast.ai%2Fapi%2Fv0%2Finstances%2F%3Fapi_key%3D@K@\n"},
	// config files
	{ID: "p081", Family: "YAML vast_api_key (Ansible vars)", Source: srcCodeConsul, Path: "group_vars/gpu.yml", Text: "gpu_count: 2\nvast_api_key: @K@\n"},
	{ID: "p082", Family: "YAML section vast:", Source: "skypilot-org/skypilot and similar configs (a vast: section with an api_key)", Path: "config.yaml", Text: "runpod:\n  enabled: false\nvast:\n  enabled: true\n  api_key: \"@K@\"\n"},
	{ID: "p083", Family: "dstack backend type vastai", Source: srcDstack, Path: "server/config.yml", Text: "projects:\n- name: main\n  backends:\n  - type: vastai\n    creds:\n      type: api_key\n      api_key: @K@\n"},
	{ID: "p084", Family: "dstack JSON backend", Source: srcDstackJSON, Path: "backend.json", Text: "{\n  \"type\": \"vastai\",\n  \"regions\": [\"Poland\", \"Sweden\"],\n  \"creds\": {\"type\": \"api_key\", \"api_key\": \"@K@\"}\n}\n"},
	{ID: "p085", Family: "TOML [vast]", Source: "code search: [vast] / [providers.vastai] sections in pyproject-style configs", Path: "settings.toml", Text: "[general]\nname = \"renders\"\n\n[vast]\napi_key = \"@K@\"\n"},
	{ID: "p086", Family: "INI [vastai]", Source: "code search: [vastai] sections in .ini/.cfg files", Path: "gpu.cfg", Text: "[vastai]\ntoken = @K@\nregion = EU\n"},
	{ID: "p087", Family: "generic api_key in vast_config.json", Source: srcCodeCfgJSON, Path: "vast_config.json", Text: "{\n  \"api_key\": \"@K@\",\n  \"max_price\": 0.4\n}\n"},
	{ID: "p088", Family: "generic API_KEY in vastai.env", Source: "issue 10 (vastai.env) and code search: vastai.env files", Path: "env/vastai.env", Text: "API_KEY=@K@\n"},
	{ID: "p089", Family: "bare value in secrets/vast.txt", Source: "issue 10 (secrets/vast.txt) and code search: .secrets/vast_api_key", Path: "secrets/vast.txt", Text: "@K@\n"},
	{ID: "p090", Family: "generic api_key read by Vast code next to it", Source: srcCodeCfgJSON, Path: "config.json", Text: "{\"api_key\": \"@K@\", \"gpu\": \"RTX_4090\"}\n",
		Extra: map[string]string{"run.py": "import json\nfrom vastai import VastAI\n\ncfg = json.load(open(\"config.json\"))\nclient = VastAI(api_key=cfg[\"api_key\"])\n"}},
	{ID: "p091", Family: ".NET appsettings section", Source: "code search: appsettings.json sections for GPU providers", Path: "appsettings.json", Text: "{\n  \"Logging\": {\"LogLevel\": {\"Default\": \"Information\"}},\n  \"Vast\": {\n    \"ApiKey\": \"@K@\"\n  }\n}\n"},
	{ID: "p092", Family: ".NET app.config add key/value", Source: "code search: <add key=\"...ApiKey\" value=\"...\" /> in app.config", Path: "App.config", Text: "<configuration>\n  <appSettings>\n    <add key=\"VastApiKey\" value=\"@K@\" />\n  </appSettings>\n</configuration>\n"},
	{ID: "p093", Family: "Java properties", Source: srcCodeTyped, Path: "src/main/resources/application.properties", Text: "server.port=8080\nvast.api.key=@K@\n"},
	{ID: "p094", Family: "Android strings.xml", Source: "code search: <string name=\"..._api_key\"> in res/values/strings.xml", Path: "app/src/main/res/values/strings.xml", Text: "<resources>\n    <string name=\"vast_api_key\">@K@</string>\n</resources>\n"},
	{ID: "p095", Family: "Helm values section", Source: "code search: Helm values with provider sections (vast: apiKey:)", Path: "charts/worker/values.yaml", Text: "replicaCount: 1\nvast:\n  apiKey: @K@\n  maxPrice: 0.5\n"},
	{ID: "p096", Family: "docker-compose list env", Source: srcCI, Path: "docker-compose.yml", Text: "services:\n  scheduler:\n    image: acme/scheduler\n    environment:\n      - VAST_API_KEY=@K@\n"},
	{ID: "p097", Family: "docker-compose map env", Source: srcCI, Path: "compose.yaml", Text: "services:\n  worker:\n    environment:\n      VAST_API_KEY: \"@K@\"\n"},
	{ID: "p098", Family: "Kubernetes env name/value", Source: srcK8s, Path: "k8s/deploy.yaml", Text: "      containers:\n      - name: scheduler\n        env:\n        - name: VAST_API_KEY\n          value: \"@K@\"\n"},
	{ID: "p099", Family: "Kubernetes Secret stringData", Source: srcK8s, Path: "k8s/secret.yaml", Text: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gpu\nstringData:\n  VAST_API_KEY: @K@\n"},
	{ID: "p100", Family: "Kubernetes Secret data base64", Source: srcK8s, Path: "k8s/secret-data.yaml", Text: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gpu\ndata:\n  VAST_API_KEY: @B64@\n"},
	{ID: "p101", Family: "Kubernetes Secret named for Vast, generic key", Source: srcK8s, Path: "k8s/creds.yaml", Text: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: vastai-credentials\ntype: Opaque\ndata:\n  api-key: @B64@\n"},
	{ID: "p102", Family: "Terraform variable default", Source: srcTerraform, Path: "infra/variables.tf", Text: "variable \"vast_api_key\" {\n  type      = string\n  sensitive = true\n  default   = \"@K@\"\n}\n"},
	{ID: "p103", Family: "Terraform provider block", Source: srcTerraform, Path: "infra/main.tf", Text: "provider \"vastai\" {\n  api_key = \"@K@\"\n}\n"},
	{ID: "p104", Family: "Terraform tfvars", Source: srcTerraform, Path: "infra/prod.tfvars", Text: "region         = \"eu\"\nvastai_api_key = \"@K@\"\n"},
	{ID: "p105", Family: "GitHub Actions env", Source: srcCI, Path: ".github/workflows/train.yml", Text: "jobs:\n  train:\n    runs-on: ubuntu-latest\n    env:\n      VAST_API_KEY: @K@\n    steps:\n      - run: vastai show instances\n"},
	{ID: "p106", Family: "GitHub Actions action input", Source: srcCI, Path: ".github/workflows/gpu.yml", Text: "    steps:\n      - uses: acme/rent-gpu@v1\n        with:\n          vast-api-key: @K@\n"},
	{ID: "p107", Family: "GitLab CI variables", Source: srcCI, Path: ".gitlab-ci.yml", Text: "variables:\n  VAST_API_KEY: \"@K@\"\n\ntrain:\n  script:\n    - vastai show instances\n"},
	{ID: "p108", Family: "gh secret set --body", Source: "GitHub CLI docs (gh secret set NAME --body VALUE) applied to VAST_API_KEY", Path: "ci/setup-secrets.sh", Text: "gh secret set VAST_API_KEY --body \"@K@\"\n"},
	{ID: "p109", Family: "aws secretsmanager --secret-string", Source: "AWS CLI docs (create-secret --name --secret-string) applied to a Vast key", Path: "ci/aws.sh", Text: "aws secretsmanager create-secret --name vast-api-key --secret-string @K@\n"},
	{ID: "p110", Family: "vault kv put under a vast path", Source: srcCodeConsul, Path: "ops/vault.sh", Text: "vault kv put secret/vast api_key=@K@\n"},
	{ID: "p111", Family: "consul kv put creds/vast/api_key", Source: srcCodeConsul, Path: "ops/consul.sh", Text: "consul kv put creds/vast/api_key @K@\n"},
	{ID: "p112", Family: "docker run -e", Source: srcCI, Path: "run-worker.sh", Text: "docker run -d -e VAST_API_KEY=@K@ acme/worker:latest\n"},
	{ID: "p113", Family: "Postman variable", Source: srcRecordings, Path: "postman/vast.postman_collection.json", Text: "{\n  \"variable\": [\n    {\"key\": \"vast_api_key\", \"value\": \"@K@\", \"type\": \"string\"}\n  ]\n}\n"},
	{ID: "p114", Family: "Postman bearer header", Source: srcRecordings, Path: "postman/collection.json", Text: "{\"item\": [{\"request\": {\"method\": \"GET\",\n  \"header\": [{\"key\": \"Authorization\", \"value\": \"Bearer @K@\"}],\n  \"url\": {\"raw\": \"https://console.vast.ai/api/v0/instances/\"}}}]}\n"},
	{ID: "p115", Family: "HAR request header", Source: srcRecordings, Path: "session.har", Text: "{\"log\": {\"entries\": [{\"request\": {\n  \"method\": \"GET\",\n  \"url\": \"https://console.vast.ai/api/v0/users/current/\",\n  \"headers\": [\n    {\"name\": \"Authorization\", \"value\": \"Bearer @K@\"}\n  ]}}]}}\n"},
	{ID: "p116", Family: "VCR cassette bearer", Source: srcRecordings, Path: "tests/cassettes/show_user.yaml", Text: "interactions:\n- request:\n    body: null\n    headers:\n      Authorization:\n      - Bearer @K@\n    method: GET\n    uri: https://console.vast.ai/api/v0/users/current/\n"},
	{ID: "p117", Family: "VCR cassette URL api_key", Source: srcRecordings + "; " + srcURLKey, Path: "tests/cassettes/offers.yaml", Text: "interactions:\n- request:\n    method: GET\n    uri: https://console.vast.ai/api/v0/bundles/?q=%7B%7D&api_key=@K@\n"},
	{ID: "p118", Family: "notebook JSON-escaped env", Source: srcNotebook, Path: "notebooks/rent.ipynb", Text: "{\"cells\": [{\"cell_type\": \"code\", \"source\": [\"import os\\n\", \"os.environ[\\\"VAST_API_KEY\\\"] = \\\"@K@\\\"\\n\"]}]}\n"},
	{ID: "p119", Family: "notebook output with a logged URL", Source: srcNotebook + "; " + srcURLKey, Path: "notebooks/debug.ipynb", Text: "{\"outputs\": [{\"name\": \"stderr\", \"text\": [\"requests.exceptions.HTTPError: 500 Server Error for url: https://console.vast.ai/api/v0/instances/?owner=me&api_key=@K@\\n\"]}]}\n"},
	{ID: "p120", Family: "Vast instance CONTAINER_API_KEY in an env dump", Source: srcCodeContain, Path: "logs/instance-env.txt", Text: "CONTAINER_ID=13519985\nCONTAINER_API_KEY=@K@\nVAST_CONTAINERLABEL=C.13519985\nPUBLIC_IPADDR=203.0.113.7\n"},
	{ID: "p121", Family: "YAML block scalar", Source: srcK8s, Path: "vars/secrets.yml", Text: "vast_api_key: |\n  @K@\n"},
	{ID: "p122", Family: "YAML list under a Vast name", Source: srcCodeConsul, Path: "vars/keys.yml", Text: "vast_api_keys:\n  - @K@\n"},
	{ID: "p123", Family: "TOML dotted section", Source: "code search: [providers.vastai] sections", Path: "providers.toml", Text: "[providers.runpod]\nenabled = false\n\n[providers.vastai]\nkey = \"@K@\"\n"},
	{ID: "p124", Family: "JSON map", Source: srcCodeTyped, Path: "secrets.json", Text: "{\n  \"VAST_API_KEY\": \"@K@\",\n  \"REGION\": \"eu\"\n}\n"},
	{ID: "p125", Family: "minified JS bundle", Source: "code search: bundled frontends with inlined keys", Path: "dist/app.min.js", Text: "var a=1;const cfg={vastKey:\"@K@\",b:2};function x(){}\n"},
	{ID: "p126", Family: "HTML-escaped in docs", Source: "generated API docs (HTML-escaped examples)", Path: "site/setup.html", Text: "<pre><code>VAST_API_KEY=&quot;@K@&quot;</code></pre>\n"},
	{ID: "p127", Family: "Ansible default() filter", Source: srcCodeConsul, Path: "roles/gpu/tasks/main.yml", Text: "- name: start worker\n  environment:\n    VAST_API_KEY: \"{{ lookup('env', 'VAST_API_KEY') | default('@K@') }}\"\n"},
	{ID: "p128", Family: "Markdown table", Source: "README tables of settings (code search)", Path: "docs/settings.md", Text: "| Setting | Value |\n|---|---|\n| VAST_API_KEY | @K@ |\n"},
	{ID: "p129", Family: "Markdown prose", Source: srcSideStores, Path: "docs/handover.md", Text: "Our **Vast API key:** `@K@` (rotate after the demo)\n"},
	{ID: "p130", Family: "JSON create-api-key response", Source: "Vast API docs (POST /api/v0/auth/apikeys/ returns {\"key\": ...}) recorded in a fixture", Path: "fixtures/vast_create_key.json", Text: "{\"id\": 12345, \"key\": \"@K@\", \"name\": \"ci\"}\n"},
	{ID: "p139", Family: "base64 of an .env file in a Secret", Source: srcK8s + " (kubectl create secret generic --from-env-file, data: app.env: <base64>)", Path: "k8s/env-secret.yaml", Text: "apiVersion: v1\nkind: Secret\ndata:\n  app.env: @B64ENV@\n"},
	{ID: "p140", Family: "base64 wrapped at 76 columns", Source: "base64(1) output pasted into a CI variable file", Path: "ci/secrets.b64", Text: "@B64ENVWRAP@\n"},
	// side stores
	{ID: "p131", Family: "commit message prose", Source: srcSideStores, Where: InMessage, Text: "rotate creds\n\nold vast key was @K@\n"},
	{ID: "p132", Family: "commit message label", Source: srcSideStores, Where: InMessage, Text: "ops: notes\n\nVast API key: @K@\n"},
	{ID: "p133", Family: "tag message set api-key", Source: srcSideStores, Where: InTag, Text: "release 1.2\n\nvastai set api-key @K@\n"},
	{ID: "p134", Family: "git note prose", Source: srcSideStores, Where: InNote, Text: "debug: rotated the vast.ai key @K@\n"},
	{ID: "p135", Family: "older stash entry", Source: srcSideStores, Where: InStash, Path: "wip.sh", Text: "export VAST_API_KEY=@K@\n"},
	// binary files
	{ID: "p136", Family: "SQLite settings row", Source: srcBinary, Path: "cache/settings.db", Text: "@BIN@", Binary: func(k string) string { return sqliteSettings("vast_api_key", k) }},
	{ID: "p137", Family: "Python pickle", Source: srcBinary, Path: "state/config.pkl", Text: "@BIN@", Binary: func(k string) string { return pickleDict("VAST_API_KEY", k) }},
	{ID: "p138", Family: "Go binary -ldflags -X", Source: srcBinary, Path: "bin/gpu-runner", Text: "@BIN@", Binary: func(k string) string { return goBinary("-X main.vastAPIKey=" + k) }},
}

// lookalikes are 64-hex values (@H@) that are not Vast keys, in files and
// messages about Vast.
var lookalikes = []Case{
	{ID: "l001", Family: "image digest", Source: srcLockfiles, Path: "k8s/pod.yaml", Text: "    image: vastai/pytorch@sha256:@H@\n"},
	{ID: "l002", Family: "Dockerfile FROM digest", Source: srcLockfiles, Path: "Dockerfile", Text: "FROM vastai/base-image@sha256:@H@ # vast base\n"},
	{ID: "l003", Family: "requirements hash pin", Source: srcLockfiles, Path: "requirements.txt", Text: "vastai==0.2.6 \\\n    --hash=sha256:@H@\n"},
	{ID: "l004", Family: "poetry.lock hash", Source: srcLockfiles, Path: "poetry.lock", Text: "[[package]]\nname = \"vastai\"\nfiles = [\n    {file = \"vastai-0.2.6.tar.gz\", hash = \"sha256:@H@\"},\n]\n"},
	{ID: "l005", Family: "Cargo.lock checksum", Source: srcLockfiles, Path: "Cargo.lock", Text: "[[package]]\nname = \"vast-client\"\nversion = \"0.1.0\"\nchecksum = \"@H@\"\n"},
	{ID: "l006", Family: "git LFS pointer", Source: "git-lfs spec; model files in Vast projects", Path: "models/vast-run.bin", Text: "version https://git-lfs.github.com/spec/v1\noid sha256:@H@\nsize 123456 # vast\n"},
	{ID: "l007", Family: "sha256sum listing", Source: srcLockfiles, Path: "release/SHA256SUMS.txt", Text: "@H@  vastai-linux-amd64.tar.gz\n"},
	{ID: "l008", Family: "hash of the key", Source: "vastguard baselines; code that stores a key's SHA-256", Path: "audit.yml", Text: "vast_api_key_sha256: @H@\n"},
	{ID: "l009", Family: "key hash env", Source: "code search: API key hashes stored beside keys", Path: "hashes.env", Text: "VAST_API_KEY_HASH=@H@\n"},
	{ID: "l010", Family: "jupyter_token in show instance JSON", Source: srcVastJSON, Path: "show.json", Text: "{\n \"is_bid\": false,\n \"jupyter_token\": \"@H@\",\n \"logo\": \"/static/logos/vastai_small2.png\"\n}\n"},
	{ID: "l011", Family: "JUPYTER_TOKEN in a Vast env dump", Source: srcCodeJupyter, Path: "logs/env.txt", Text: "VAST_CONTAINERLABEL=C.123\nJUPYTER_TOKEN=@H@\n"},
	{ID: "l012", Family: "OPEN_BUTTON_TOKEN", Source: srcCodeButton, Path: "logs/portal.env", Text: "VAST_TCP_PORT_8080=41234\nOPEN_BUTTON_TOKEN=@H@\n"},
	{ID: "l013", Family: "Jupyter instance URL ?token=", Source: srcCodeJupyter, Path: "docs/connect.md", Text: "Open the Vast instance at https://203.0.113.7:41234/lab?token=@H@\n"},
	{ID: "l014", Family: "instance portal URL ?token=", Source: srcCodeButton, Path: "notes/portal.md", Text: "Vast portal: http://203.0.113.7:1111/?token=@H@\n"},
	{ID: "l015", Family: "kaalia daemon auth", Source: srcVastJSON, Path: "machine.json", Text: "{\n    \"last_kaalia_metadata\": \"{\\\"args\\\": {\\\"auth\\\": \\\"@H@\\\", \\\"backend\\\": \\\"DKR\\\", \\\"installpath\\\": \\\"/home/u/vast/\\\"}}\"\n}\n"},
	{ID: "l016", Family: "kaalia machine_id file", Source: srcCodeKaalia, Path: "backup/var/lib/vastai_kaalia/machine_id", Text: "@H@\n"},
	{ID: "l017", Family: "kaalia machine_id in docs", Source: srcCodeKaalia, Path: "docs/host.md", Text: "- Machine ID file: `/var/lib/vastai_kaalia/machine_id` -> `@H@` (kaalia-internal hash)\n"},
	{ID: "l018", Family: "SECRET_KEY from openssl rand", Source: srcCodeSecrets, Path: "deploy/.env.example", Text: "# openssl rand -hex 32\nSECRET_KEY=@H@\nVAST_API_KEY=${VAST_API_KEY}\n"},
	{ID: "l019", Family: "ADMIN_TOKEN beside VAST_API_KEY", Source: srcCodeWrangle, Path: "wrangler.test.ts", Text: "bindings: {\n  VAST_API_KEY: 'test-key',\n  ADMIN_TOKEN: '@H@',\n}\n"},
	{ID: "l020", Family: "WEBHOOK_SECRET", Source: srcCodeSecrets, Path: "worker/.env", Text: "VAST_API_BASE=https://console.vast.ai/api/v0\nWEBHOOK_SECRET=@H@\n"},
	{ID: "l021", Family: "JWT_SECRET", Source: srcCodeSecrets, Path: "api/.env", Text: "# vast.ai GPU backend\nJWT_SECRET=@H@\n"},
	{ID: "l022", Family: "SESSION_SECRET", Source: srcCodeSecrets, Path: "web/config.js", Text: "// talks to vast.ai\nmodule.exports = { sessionSecret: '@H@' };\n"},
	{ID: "l023", Family: "ENCRYPTION_KEY", Source: srcCodeSecrets, Path: "app/settings.py", Text: "from vastai import VastAI\nENCRYPTION_KEY = \"@H@\"\n"},
	{ID: "l024", Family: "HEARTBEAT_TOKEN", Source: srcCodeWrangle, Path: "vitest.config.ts", Text: "VAST_API_KEY: 'test-key',\nHEARTBEAT_TOKEN: '@H@',\n"},
	{ID: "l025", Family: "RUNPOD_API_KEY next to Vast", Source: srcCodeRunpod, Path: "providers.env", Text: "VAST_API_KEY=${VAST_API_KEY}\nRUNPOD_API_KEY=@H@\n"},
	{ID: "l026", Family: "hotaisle backend key (dotted hex)", Source: srcHotaisle, Path: "docs/backends.md", Text: "    - type: vastai\n      creds:\n        type: api_key\n        api_key: $VAST_KEY\n    - type: hotaisle\n      creds:\n        type: api_key\n        api_key: @H2@.@H@\n"},
	{ID: "l027", Family: "runpod backend block beside vastai", Source: srcDstack, Path: "server/multi.yml", Text: "backends:\n  - type: vastai\n    creds:\n      type: api_key\n      api_key: ${{ env.VAST_KEY }}\n  - type: runpod\n    creds:\n      type: api_key\n      api_key: @H@\n"},
	{ID: "l028", Family: "vastai create env-var for another secret", Source: srcSkill, Path: "setup-env.sh", Text: "vastai create env-var WEBHOOK_SECRET @H@\n"},
	{ID: "l029", Family: "vastai create instance -e JUPYTER_TOKEN", Source: srcCodeJupyter, Path: "launch-jupyter.sh", Text: "vastai create instance 123 --image jupyter/base --env '-e JUPYTER_TOKEN=@H@ -p 8888:8888'\n"},
	{ID: "l030", Family: "git commit id (SHA-256 repository)", Source: "git hash-function-transition (SHA-256 object ids) in deploy scripts", Path: "deploy.sh", Text: "git clone https://github.com/vast-ai/vast-cli && cd vast-cli\ngit checkout @H@\n"},
	{ID: "l031", Family: "Terraform lock zh: hash", Source: srcTerraform + " (.terraform.lock.hcl)", Path: "infra/.terraform.lock.hcl", Text: "provider \"registry.terraform.io/acme/vastai\" {\n  version = \"0.3.0\"\n  hashes = [\n    \"zh:@H@\",\n  ]\n}\n"},
	{ID: "l032", Family: "Homebrew formula sha256", Source: "Homebrew formulae (sha256 \"...\") for CLIs such as vastai", Path: "Formula/vastai.rb", Text: "class Vastai < Formula\n  url \"https://files.pythonhosted.org/vastai-0.2.6.tar.gz\"\n  sha256 \"@H@\"\nend\n"},
	{ID: "l033", Family: "Bazel http_archive sha256", Source: "Bazel http_archive(sha256 = ...)", Path: "WORKSPACE", Text: "http_archive(\n    name = \"vast_cli\",\n    sha256 = \"@H@\",\n)\n"},
	{ID: "l034", Family: "docker container id", Source: "dstackai/dstack docs (container_id = '<64 hex>' in an example script)", Path: "scripts/attach.py", Text: "# attach to the vast worker\ncontainer_id = '@H@'  # Replace with yours\n"},
	{ID: "l035", Family: "Kubernetes containerID", Source: srcK8s + " (pod status)", Path: "k8s/pod-status.yaml", Text: "  containerStatuses:\n  - containerID: containerd://@H@\n    image: vastai/worker:1\n"},
	{ID: "l036", Family: "wallet PRIVATE_KEY in a Vast mining script", Source: "code search: mining scripts on Vast hosts", Path: "mine.env", Text: "# vast.ai miner\nPRIVATE_KEY=@H@\n"},
	{ID: "l037", Family: "OpenAPI Jupyter token example", Source: srcVastSpec, Path: "openapi.yaml", Text: "        jupyter_token:\n          type: string\n          description: Jupyter token for the instance.\n          example: @H@\n"},
	{ID: "l038", Family: "OpenAPI signature example", Source: srcVastSpec, Path: "spec/vast.yaml", Text: "                    signature:\n                      description: signature authenticating the response\n                      example: @H@\n"},
	{ID: "l039", Family: "etag in a Vast API recording", Source: srcRecordings, Path: "tests/cassettes/etag.yaml", Text: "    uri: https://console.vast.ai/api/v0/instances/\n  response:\n    headers:\n      ETag:\n      - \"@H@\"\n"},
	{ID: "l040", Family: "nonce", Source: "code search: nonce values in request fixtures", Path: "fixtures/vast_request.json", Text: "{\"url\": \"https://console.vast.ai/api/v0/\", \"nonce\": \"@H@\"}\n"},
	{ID: "l041", Family: "Bearer to another host in a Vast script", Source: srcCodeRunpod, Path: "multi_cloud.sh", Text: "# vast first, then runpod\ncurl -H \"Authorization: Bearer @H@\" https://api.runpod.io/graphql\n"},
	{ID: "l042", Family: "api_key parameter to another host in a Vast log", Source: srcVastLogs, Path: "logs/monitor.log", Text: "vast worker up; ping https://api.example-monitor.com/v1/ping?api_key=@H@\n"},
	{ID: "l043", Family: "X-API-Key to the app on a Vast instance", Source: srcMedarion, Path: "docs/VAST_TEST.md", Text: "curl -H \"X-API-Key: @H@\" http://203.0.113.7:3001/health\n"},
	{ID: "l044", Family: "VASTAI_-prefixed name for AWS", Source: srcAutorent, Path: "autorent.env", Text: "VASTAI_AWS_SECRET_KEY=@H@\n"},
	{ID: "l045", Family: "placeholder zeros", Source: srcPlaceholder, Path: "docs/setup.md", Text: "Run `vastai set api-key @Z@` with your own key.\n"},
	{ID: "l046", Family: "placeholder repeated alphabet", Source: srcPlaceholder, Path: "example.env", Text: "VAST_API_KEY=@P@\n"},
	{ID: "l047", Family: "upper-case hex", Source: srcPlaceholder, Path: "upper.env", Text: "VAST_API_KEY=@HU@\n"},
	{ID: "l048", Family: "0x-prefixed hex", Source: srcPlaceholder, Path: "wallet.env", Text: "VAST_API_KEY=0x@H@\n"},
	{ID: "l049", Family: "SHA-512 hex (128 characters)", Source: srcLockfiles, Path: "digests.env", Text: "VAST_API_KEY=@H@@H2@\n"},
	{ID: "l050", Family: "SQLite checksum column", Source: srcBinary, Path: "cache/files.db", Text: "@BIN@", Binary: func(h string) string { return sqliteSettings("vastai-0.2.6.tar.gz.checksum", h) }},
	{ID: "l051", Family: "PNG text chunk with a digest", Source: srcBinary, Path: "assets/logo.png", Text: "@BIN@", Binary: func(h string) string { return pngWithText("Comment\x00vastai build sha256:" + h) }},
	{ID: "l052", Family: "IAB VAST ad tag with an ad-server key", Source: srcVastAds, Path: "ads/preroll.xml", Text: "<VAST version=\"4.0\"><Ad><InLine><Impression><![CDATA[https://ads.example.net/imp?api_key=@H@]]></Impression></InLine></Ad></VAST>\n"},
	{ID: "l053", Family: "commit message image digest", Source: srcLockfiles, Where: InMessage, Text: "vast: bump worker image\n\nvastai/worker@sha256:@H@\n"},
	{ID: "l054", Family: "commit message revert id", Source: "git revert messages (This reverts commit <id>) in SHA-256 repositories", Where: InMessage, Text: "Revert \"vast: retry offers\"\n\nThis reverts commit @H@.\n"},
	{ID: "l055", Family: "api_key_hash in a user record", Source: "Vast API users/current JSON recorded in fixtures", Path: "fixtures/user.json", Text: "{\"id\": 1, \"email\": \"a@b.c\", \"api_key_hash\": \"@H@\", \"balance\": 10}\n"},
	{ID: "l056", Family: "session id in a Vast log", Source: srcVastLogs, Path: "logs/vast.log", Text: "2026-01-02 vastai: session_id=@H@ connected\n"},
	{ID: "l057", Family: "ssh host key fingerprint (hex)", Source: "ssh-keygen -l -E sha256 output copied into Vast SSH notes", Path: "docs/ssh.md", Text: "Vast instance host key fingerprint: @H@\n"},
	{ID: "l059", Family: "data URI image in a Vast dashboard", Source: "code search: inline data:image/png;base64 logos in GPU dashboards", Path: "web/logo.html", Text: "<!-- vast.ai dashboard -->\n<img src=\"data:image/png;base64,@B64RAND@\">\n"},
	{ID: "l058", Family: "Jupyter token in a notebook output", Source: srcCodeJupyter, Path: "notebooks/connect.ipynb", Text: "{\"outputs\": [{\"text\": [\"Jupyter on your vast instance: http://203.0.113.7:8888/?token=@H@\\n\"]}]}\n"},
}
