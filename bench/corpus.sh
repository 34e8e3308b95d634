#!/usr/bin/env bash
# The leak-shape corpus (scan/corpus: shapes and look-alikes from public
# code, values made at run time) built into a git repository and scanned by
# vastguard and by gitleaks, with its default rules and with a Vast-only
# rule (Kingfisher's kingfisher.vastai.1 in RE2 syntax); prints the table of
# what each tool finds per case, then recall and false alarms. Then the
# same for the held-out corpus (scan/corpus/heldout: written apart from the
# engine), one git repository per case.
#
#   bench/corpus.sh [all|first|heldout]
#
# Environment: SEED (default bench), OUT (default bench/out).
# Installs gitleaks with `go install` if absent.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-all}
case "$MODE" in all|first|heldout) ;; *) echo "corpus: use all, first or heldout" >&2; exit 1 ;; esac
SEED=${SEED:-bench}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

command -v git >/dev/null || { echo "corpus: git is required" >&2; exit 1; }
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT/vastguard" .
GITLEAKS=$(command -v gitleaks || true)
if [ -z "$GITLEAKS" ]; then
	GOBIN="$OUT" go install github.com/zricethezav/gitleaks/v8@latest
	GITLEAKS="$OUT/gitleaks"
fi
cat > "$OUT/gitleaks-vast.toml" <<'TOML'
title = "Vast.ai only"
[[rules]]
id = "vast-api-key"
description = "Vast.ai API key"
regex = '''(?i)vast(?:\.ai)?(?:.|[\n\r]){0,16}?(?:secret|private|access|key|token)(?:.|[\n\r]){0,16}?\b([a-f0-9]{64})\b'''
secretGroup = 1
entropy = 3.5
keywords = ["vast"]
TOML

if [ "$MODE" != heldout ]; then
repo="$OUT/corpus-$SEED"
rm -rf "$repo"
go run ./bench/corpus -seed "$SEED" -out "$repo" -manifest "$OUT/corpus-manifest.json"

rc=0
"$OUT/vastguard" scan "$repo" --format json --output "$OUT/corpus-vastguard.json" >/dev/null || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
	echo "corpus: vastguard failed (exit $rc)" >&2
	exit 1
fi
# --redact: the report files hold no value.
"$GITLEAKS" git "$repo" --no-banner --log-level error --redact --exit-code 0 \
	--report-format json --report-path "$OUT/corpus-gitleaks.json"
"$GITLEAKS" git "$repo" --no-banner --log-level error --redact --exit-code 0 -c "$OUT/gitleaks-vast.toml" \
	--report-format json --report-path "$OUT/corpus-gitleaks-vast.json"
echo "gitleaks: $(go version -m "$GITLEAKS" | awk '$1 == "mod" {print $3}')"
go run ./bench/corpus -table -manifest "$OUT/corpus-manifest.json" -vastguard "$OUT/corpus-vastguard.json" \
	-gitleaks "$OUT/corpus-gitleaks.json" -gitleaks-vast "$OUT/corpus-gitleaks-vast.json"
fi

if [ "$MODE" != first ]; then
	held="$OUT/heldout-$SEED"
	reports="$OUT/heldout-reports"
	rm -rf "$held" "$reports"
	mkdir -p "$reports/vastguard" "$reports/gitleaks" "$reports/gitleaks-vast"
	go run ./bench/heldout -build -out "$held" -manifest "$OUT/heldout-manifest.json" -seed "$SEED"
	for d in "$held"/*/; do
		id=$(basename "$d")
		rc=0
		"$OUT/vastguard" scan "$d" --format json --output "$reports/vastguard/$id.json" >/dev/null || rc=$?
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
			echo "corpus: vastguard failed on $id (exit $rc)" >&2
			exit 1
		fi
		# Not --redact: the table hashes the 64-hex runs gitleaks reports to
		# tell which case value it found; the values are random test values.
		"$GITLEAKS" git "$d" --no-banner --log-level error --exit-code 0 \
			--report-format json --report-path "$reports/gitleaks/$id.json"
		"$GITLEAKS" git "$d" --no-banner --log-level error --exit-code 0 -c "$OUT/gitleaks-vast.toml" \
			--report-format json --report-path "$reports/gitleaks-vast/$id.json"
	done
	echo "held-out corpus (gitleaks $(go version -m "$GITLEAKS" | awk '$1 == "mod" {print $3}')):"
	go run ./bench/heldout -table -manifest "$OUT/heldout-manifest.json" -reports "$reports"
fi
