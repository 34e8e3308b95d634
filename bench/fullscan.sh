#!/usr/bin/env bash
# Full-history scans against git's pack-order floor, in detail: for each
# repository, the floor (git cat-file --batch-all-objects --batch
# --unordered, one core), vastguard with 2 workers and with 1, and any other
# vastguard binaries named in OTHER (a build of main, say), taking turns run
# by run. Prints medians of RUNS runs of wall and CPU (user+system) time, each
# as a ratio to the floor's in the same run, the peak RSS, the 1-worker over
# 2-worker wall ratio, and the findings.
#
#   bench/fullscan.sh bench/out/gen-5000.git /path/to/prometheus.git
#   OTHER=bench/out/vg-main RUNS=7 bench/fullscan.sh REPO...
#
# Environment: RUNS (default 5), OUT (default bench/out), OTHER (extra
# binaries, space separated), VG (the binary; default: built from here).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is required (apt-get install time)" >&2; exit 1; }
if [ -z "${VG:-}" ]; then
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT/vastguard" .
	VG="$OUT/vastguard"
fi
[ $# -gt 0 ] || { echo "usage: bench/fullscan.sh REPO..." >&2; exit 1; }

# cpu_of FILE: user+system seconds of the children line of a `times` listing.
cpu_of() {
	awk 'NR == 2 {
		split($1, u, /[ms]/); split($2, s, /[ms]/)
		printf "%.3f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2]
	}' "$1"
}

# run_once FILE CMD...: appends "wall cpu rss_kb" of one run to FILE.
run_once() {
	local f=$1 t0 t1
	shift
	times > "$OUT/times0.txt"
	t0=$EPOCHREALTIME
	/usr/bin/time -f "%M" -o "$OUT/time.txt" "$@" >/dev/null 2>&1 || true
	t1=$EPOCHREALTIME
	times > "$OUT/times1.txt"
	awk -v a="$t0" -v b="$t1" -v c="$(cpu_of "$OUT/times0.txt")" -v d="$(cpu_of "$OUT/times1.txt")" -v m="$(tail -n 1 "$OUT/time.txt")" \
		'BEGIN {printf "%.4f %.3f %d\n", b - a, d - c, m}' >> "$f"
}

median() { sort -n -k"$2,$2" "$1" | awk -v k="$2" '{a[NR] = $k} END {print a[int((NR + 1) / 2)]}'; }
peak() { awk 'BEGIN {m = 0} $3 > m {m = $3} END {printf "%.0f", m / 1024}' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "-"}'; }

printf '%-22s %-26s %8s %8s %8s %8s %8s  %s\n' repository run wall "x git" cpu "cpu x" "RSS MiB" findings
for repo in "$@"; do
	repo=$(cd "$repo" && pwd)
	name=$(basename "$repo" .git)
	[ "$name" = repo ] && name=$(basename "$(dirname "$repo")")
	labels=(git vg2 vg1)
	declare -A CMD=(
		[git]="git -C $repo cat-file --batch-all-objects --batch --unordered"
		[vg2]="$VG scan $repo --allow-partial --workers 2 --quiet --format json --output $OUT/fs.vg2.json"
		[vg1]="$VG scan $repo --allow-partial --workers 1 --quiet --format json --output $OUT/fs.vg1.json"
	)
	k=0
	for o in ${OTHER:-}; do
		k=$((k + 1))
		labels+=("o$k")
		CMD[o$k]="$o scan $repo --allow-partial --workers 2 --quiet --format json --output $OUT/fs.o$k.json"
	done
	for l in "${labels[@]}"; do : > "$OUT/fs.m.$l"; done
	for _ in $(seq "$RUNS"); do
		for l in "${labels[@]}"; do
			# shellcheck disable=SC2086
			run_once "$OUT/fs.m.$l" ${CMD[$l]}
		done
	done
	gw=$(median "$OUT/fs.m.git" 1)
	gc=$(median "$OUT/fs.m.git" 2)
	for l in "${labels[@]}"; do
		w=$(median "$OUT/fs.m.$l" 1)
		c=$(median "$OUT/fs.m.$l" 2)
		found=-
		[ -f "$OUT/fs.$l.json" ] && found=$(grep -c '"key_sha256"' "$OUT/fs.$l.json" || true)
		what=$l
		case $l in
		git) what="floor (git cat-file)" ;;
		vg2) what="vastguard, 2 workers" ;;
		vg1) what="vastguard, 1 worker" ;;
		o*) what="$(basename "${CMD[$l]%% *}"), 2 workers" ;;
		esac
		printf '%-22s %-26s %8s %8s %8s %8s %8s  %s\n' "$name" "$what" "$w" "$(ratio "$w" "$gw")" "$c" "$(ratio "$c" "$gc")" "$(peak "$OUT/fs.m.$l")" "$found"
	done
	printf '%-22s %-26s %8s\n' "$name" "1 worker / 2 workers" "$(ratio "$(median "$OUT/fs.m.vg1" 1)" "$(median "$OUT/fs.m.vg2" 1)")"
	unset CMD
done
