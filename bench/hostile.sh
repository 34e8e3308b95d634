#!/usr/bin/env bash
# Hostile repositories: generates each crafted class (scan/internal/hostile:
# delta bombs, a 1.5 M-deep delta chain, huge objects, FIFOs and links to
# /dev/zero where git expects files) and scans it in a process of its own,
# printing what the scan said, its wall time and its peak RSS (as GNU time
# measures it).
#
#   bench/hostile.sh [CLASS...]          every class by default
#   HOSTILE=/path/to/hostile bench/hostile.sh   run another build of the tool
#                                        (e.g. one built against older code)
#   TIMEOUT=20 VMEM_KB=6000000           kill a scan after TIMEOUT seconds, cap
#                                        its address space (a scan without
#                                        budgets can otherwise take the machine)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/out/hostile}
TIMEOUT=${TIMEOUT:-120}
VMEM_KB=${VMEM_KB:-12000000}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is required (apt-get install time)" >&2; exit 1; }
if [ -z "${HOSTILE:-}" ]; then
	HOSTILE="$OUT/hostile"
	CGO_ENABLED=0 go build -trimpath -o "$HOSTILE" ./scan/internal/hostile
fi
classes=("$@")
if [ ${#classes[@]} -eq 0 ]; then
	classes=(bomb bomb-at-budget comb chain huge-commit huge-blob fifo-head fifo-alternates fifo-loose fifo-packed-refs devzero-gitfile devzero-head devzero-config devzero-idx devzero-commondir)
fi
printf '%-18s %8s %9s  %s\n' class seconds "peak MiB" result
for c in "${classes[@]}"; do
	dir="$OUT/$c"
	if [ ! -f "$dir.scan" ]; then
		rm -rf "$dir"
		"$HOSTILE" gen "$c" "$dir" > "$dir.scan"
	fi
	target=$(cat "$dir.scan")
	set +e
	( ulimit -v "$VMEM_KB"; exec /usr/bin/time -f "%e %M" -o "$OUT/time.txt" timeout -s KILL "$TIMEOUT" "$HOSTILE" scan -workers 2 "$target" ) > "$OUT/result.json" 2> "$OUT/stderr.txt"
	status=$?
	set -e
	read -r secs kb < <(tail -n 1 "$OUT/time.txt" | grep -E '^[0-9.]+ [0-9]+$' || echo "? 0")
	if [ -s "$OUT/result.json" ]; then
		result=$(sed -e 's/"peak_rss_kib":[0-9]*,\{0,1\}//' -e 's/,"seconds":[0-9.e-]*//' "$OUT/result.json" | cut -c1-160)
	elif [ "$status" = 137 ] || grep -q 'Command terminated by signal 9' "$OUT/time.txt"; then
		result="killed after ${TIMEOUT}s (blocked or still running)"
		secs=">$TIMEOUT"
	else
		result="crashed (exit $status): $(grep -m1 -E 'fatal error|panic|runtime:|out of memory' "$OUT/stderr.txt" | cut -c1-100)"
	fi
	printf '%-18s %8s %9.0f  %s\n' "$c" "$secs" "$(echo "$kb/1024" | bc -l)" "$result"
done
