#!/usr/bin/env bash
# Compare vastguard's full-history scan with the floor (what git itself
# needs to read every object once: git cat-file --batch-all-objects --batch)
# and with gitleaks running a Vast-only rule, on the same repositories, in
# one run. Reports the median wall time and peak RSS of RUNS runs, and each
# tool's time as a multiple of the floor.
#
#   bench/compare.sh                      # a generated 5000-commit history
#   bench/compare.sh /path/to/repo ...    # plus real repositories (e.g. a clone of cli/cli)
#
# Environment: RUNS (default 5), COMMITS (default 5000), OUT (default bench/out).
# Needs git and /usr/bin/time; installs gitleaks with `go install` if absent.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
COMMITS=${COMMITS:-5000}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

command -v git >/dev/null || { echo "bench: git is required" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is required (apt-get install time)" >&2; exit 1; }

# The binary exactly as the Dockerfile builds it.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT/vastguard" .

GITLEAKS=$(command -v gitleaks || true)
if [ -z "$GITLEAKS" ]; then
	GOBIN="$OUT" go install github.com/zricethezav/gitleaks/v8@latest
	GITLEAKS="$OUT/gitleaks"
fi

# gitleaks with one rule: the only public Vast rule (Kingfisher's
# kingfisher.vastai.1), in RE2 syntax, with its entropy floor.
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

repos=("$@")
if [ ${#repos[@]} -eq 0 ] || [ -n "${GENERATE:-}" ]; then
	gen="$OUT/gen-$COMMITS.git"
	if [ ! -d "$gen" ]; then
		echo "generating a $COMMITS-commit history in $gen ..." >&2
		git init -q --bare "$gen"
		go run ./bench/genrepo -commits "$COMMITS" -planted "$gen.planted" | git -C "$gen" fast-import --quiet
		git -C "$gen" gc --quiet
	fi
	repos=("$gen" "${repos[@]}")
fi

# measure CMD...: runs it RUNS times, prints "median_seconds max_rss_kb".
measure() {
	local times=() rss=0 t r
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >/dev/null 2>&1 || true
		read -r t r < <(tail -n 1 "$OUT/time.txt")
		times+=("$t")
		[ "$r" -gt "$rss" ] && rss=$r
	done
	printf '%s\n' "${times[@]}" | sort -n | awk -v rss="$rss" '{a[NR]=$1} END {printf "%s %d\n", a[int((NR+1)/2)], rss}'
}

printf '%-28s %8s %8s %10s %8s %s\n' repository tool seconds "x floor" "RSS MiB" findings
for repo in "${repos[@]}"; do
	name=$(basename "$repo")
	read -r floor_s floor_rss < <(measure git -C "$repo" cat-file --batch-all-objects --batch)
	read -r vg_s vg_rss < <(measure "$OUT/vastguard" scan "$repo" --allow-partial --format json --output "$OUT/vastguard.json")
	read -r gl_s gl_rss < <(measure "$GITLEAKS" git "$repo" --no-banner --log-level error -c "$OUT/gitleaks-vast.toml" --exit-code 0 --report-format json --report-path "$OUT/gitleaks.json")
	vg_n=$(grep -c '"key_sha256"' "$OUT/vastguard.json" || true)
	gl_n=$(grep -c '"RuleID"' "$OUT/gitleaks.json" || true)
	ratio() { awk -v a="$1" -v b="$floor_s" 'BEGIN {if (b > 0) printf "%.2f", a/b; else print "-"}'; }
	mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k/1024}'; }
	printf '%-28s %8s %8s %10s %8s %s\n' "$name" floor "$floor_s" 1.00 "$(mib "$floor_rss")" -
	printf '%-28s %8s %8s %10s %8s %s\n' "" vastguard "$vg_s" "$(ratio "$vg_s")" "$(mib "$vg_rss")" "$vg_n"
	printf '%-28s %8s %8s %10s %8s %s\n' "" gitleaks "$gl_s" "$(ratio "$gl_s")" "$(mib "$gl_rss")" "$gl_n"
	if [ -f "$repo.planted" ]; then
		missed=0
		while read -r h; do grep -q "$h" "$OUT/vastguard.json" || missed=$((missed + 1)); done < "$repo.planted"
		echo "  planted keys: $(wc -l < "$repo.planted"), missed by vastguard: $missed"
	fi
done
