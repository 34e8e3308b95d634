#!/usr/bin/env bash
# Scale: a generated history of COMMITS commits (default 100000) ending with
# one BIG_MB MiB text file (default 200), scanned whole; prints wall time and
# peak RSS of vastguard beside the floor (git cat-file --batch-all-objects
# --batch). Memory must stay bounded: objects over 32 MiB are streamed, and
# nothing holds a whole history's content.
set -euo pipefail
cd "$(dirname "$0")/.."
COMMITS=${COMMITS:-100000}
BIG_MB=${BIG_MB:-200}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is required (apt-get install time)" >&2; exit 1; }
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT/vastguard" .
repo="$OUT/scale-$COMMITS-$BIG_MB.git"
if [ ! -d "$repo" ]; then
	echo "generating $COMMITS commits and a $BIG_MB MiB file in $repo ..." >&2
	git init -q --bare "$repo"
	go run ./bench/genrepo -commits "$COMMITS" -big-blob "$BIG_MB" -planted "$repo.planted" | git -C "$repo" fast-import --quiet
fi
git -C "$repo" count-objects -vH | grep -E 'in-pack|size-pack' >&2
run() {
	/usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >/dev/null 2>&1 || true
	tail -n 1 "$OUT/time.txt"
}
read -r fs fm < <(run git -C "$repo" cat-file --batch-all-objects --batch)
read -r vs vm < <(run "$OUT/vastguard" scan "$repo" --format json --output "$OUT/scale.json")
found=$(grep -c '"key_sha256"' "$OUT/scale.json" || true)
printf '%-10s %8s %10s\n' tool seconds "peak MiB"
printf '%-10s %8s %10.0f\n' floor "$fs" "$(echo "$fm/1024" | bc -l)"
printf '%-10s %8s %10.0f\n' vastguard "$vs" "$(echo "$vm/1024" | bc -l)"
echo "findings: $found (planted: $(wc -l < "$repo.planted"))"
