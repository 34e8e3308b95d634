#!/usr/bin/env bash
# The outside team's attacks (issue 15), measured: each attack test runs
# alone in a test binary of its own (the program runs in-process, so the
# binary's peak RSS is the program's), and the large inputs run through the
# built vastguard: a 10 GiB line on standard input, a gzip of 16 GiB of
# zeros, a directory holding a zip bomb. For each: wall time, peak RSS (GNU
# time) and the outcome.
#
#   bench/attack.sh                      every attack
#   bench/attack.sh TestAttackEventPayload/a_link   one (a -test.run pattern)
#   TEST_BIN=/tmp/old.test VASTGUARD=/tmp/old bench/attack.sh
#                                        measure other builds (e.g. the code
#                                        before the fixes)
#   TIMEOUT=120 VMEM_KB=8000000          kill a run after TIMEOUT seconds, cap
#                                        its address space
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/out/attack}
TIMEOUT=${TIMEOUT:-120}
VMEM_KB=${VMEM_KB:-8000000}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is required (apt-get install time)" >&2; exit 1; }
if [ -z "${TEST_BIN:-}" ]; then
	TEST_BIN="$OUT/vastguard.test"
	go test -c -o "$TEST_BIN" .
fi
if [ -z "${VASTGUARD:-}" ]; then
	VASTGUARD="$OUT/vastguard"
	CGO_ENABLED=0 go build -trimpath -o "$VASTGUARD" .
fi

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	tests=(
		'TestAttackEventPayload/^a_FIFO$' 'TestAttackEventPayload/^a_link_to_/dev/zero$' 'TestAttackEventPayload/^a_200_MiB_payload$'
		'TestAttackRunnerFiles/^GITHUB_OUTPUT_fifo$' 'TestAttackRunnerFiles/^GITHUB_OUTPUT_symlink$'
		'TestAttackRunnerFiles/^GITHUB_STEP_SUMMARY_fifo$' 'TestAttackRunnerFiles/^GITHUB_STEP_SUMMARY_symlink$'
		'TestAttackPRBuildWritesConfig' 'TestAttackPRHidesItsKey' 'TestAttackInputsWithLineBreaks'
		'TestAttackSummaryTable' 'TestAttackGitEnvironment' 'TestAttackSubmoduleAndDecoys' 'TestActionBareDecoyUnderPath'
		'TestAttackCloneHidesKeys' 'TestAttackCloneGitFiles' 'TestAttackPackDisagrees'
		'TestAttackNoGitArchives' 'TestAttackStdinLongLine'
		'TestAttackGitHubAnswers/^the_run_list_never_answers$' 'TestAttackGitHubAnswers/^the_run_list_answers_forever$'
		'TestAttackGitHubAnswers/^the_run_list_is_3_GiB$' 'TestAttackGitHubAnswers/^the_logs_endpoint_never_answers$'
		'TestAttackGitHubAnswers/^the_log_storage_stalls$' 'TestAttackGitHubAnswers/^the_logs_redirect_to_http.*$'
		'TestAttackLogArchiveBomb' 'TestAttackSARIFUploadHangs' 'TestAttackVerifyManyKeys' 'TestAttackVerifyHungAPI'
		'TestScannerPanic'
		stdin-10GiB-line gzip-16GiB-stdin zip-bomb-dir
	)
fi

measure() { # name, command...
	local name=$1
	shift
	set +e
	( ulimit -v "$VMEM_KB"; exec /usr/bin/time -f "%e %M" -o "$OUT/time.txt" timeout -s KILL "$TIMEOUT" "$@" ) > "$OUT/out.txt" 2>&1
	local status=$?
	set -e
	local secs kb result
	read -r secs kb < <(grep -E '^[0-9.]+ [0-9]+$' "$OUT/time.txt" | tail -n 1 || echo "? 0")
	if [ "$status" = 137 ] || grep -q 'Command terminated by signal 9' "$OUT/time.txt"; then
		result="killed after ${TIMEOUT}s (blocked or still running)"
		secs=">$TIMEOUT"
	elif grep -q -E '^(--- FAIL|FAIL)' "$OUT/out.txt"; then
		result="FAIL: $(grep -m1 -E '^\s+attack_[a-z_]+\.go:[0-9]+: ' "$OUT/out.txt" | sed -E 's/^\s+//' | cut -c1-110 || true)"
	elif grep -q -E 'fatal error|^panic:|out of memory' "$OUT/out.txt"; then
		result="crashed (exit $status): $(grep -m1 -E 'fatal error|^panic:|out of memory' "$OUT/out.txt" | cut -c1-100 || true)"
	elif [ "$status" = 0 ] && grep -q -E '^PASS$' "$OUT/out.txt"; then
		result="PASS"
	else
		result="exit $status: $(grep -v -E '^(PASS|ok|=== |--- PASS)' "$OUT/out.txt" | head -n 1 | cut -c1-110 || true)"
	fi
	printf '%-58s %8s %9.0f  %s\n' "$name" "$secs" "$(echo "$kb/1024" | bc -l)" "$result"
}

printf '%-58s %8s %9s  %s\n' attack seconds "peak MiB" outcome
for t in "${tests[@]}"; do
	case $t in
	stdin-10GiB-line)
		measure "$t" bash -c "head -c 10G /dev/zero | tr '\\0' a | '$VASTGUARD' scan - -q"
		;;
	gzip-16GiB-stdin)
		[ -f "$OUT/zeros.gz" ] || head -c 16G /dev/zero | gzip -1 > "$OUT/zeros.gz"
		measure "$t" bash -c "'$VASTGUARD' scan - -q < '$OUT/zeros.gz'"
		;;
	zip-bomb-dir)
		if [ ! -f "$OUT/bomb/bomb.zip" ]; then
			# Six entries of 1 GiB of zeros each, about 6 MiB in all,
			# written as a stream (no 6 GiB on disk).
			mkdir -p "$OUT/bomb"
			python3 - "$OUT/bomb/bomb.zip" <<'PY'
import sys, zipfile
zero = bytes(1 << 20)
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for i in range(6):
        with z.open(f"z{i}.bin", "w", force_zip64=True) as w:
            for _ in range(1024):
                w.write(zero)
PY
		fi
		measure "$t" "$VASTGUARD" scan --no-git -q "$OUT/bomb"
		;;
	*/*)
		measure "$t" "$TEST_BIN" -test.run "^${t%%/*}\$/${t#*/}" -test.count=1 -test.timeout=0
		;;
	*)
		measure "$t" "$TEST_BIN" -test.run "^$t\$" -test.count=1 -test.timeout=0
		;;
	esac
done
