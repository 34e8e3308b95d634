#!/usr/bin/env bash
# Replay: a bare repository holding the last N commits of SRC's first-parent
# history (default 4000), rewritten onto a new root with their own trees,
# authors, dates and messages, and two Vast keys planted along the way (a
# third and two thirds of the way in, each removed by the next commit), so
# that a full scan attributes findings. Keys are made now from
# /dev/urandom; their SHA-256 go to DST.planted, never the keys.
#
#   bench/replay.sh /path/to/prometheus.git 4000 bench/out/replay-4000.git
#
# The result is packed on its own (no alternates), as a clone would be.
set -euo pipefail
src=$(cd "$1" && pwd)
n=${2:-4000}
dst=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
[ -e "$dst" ] && { echo "replay: $dst exists" >&2; exit 1; }
tmp="$dst.tmp"
rm -rf "$tmp"
git init -q --bare "$tmp"
echo "$src/objects" > "$tmp/objects/info/alternates"
g() { git -C "$tmp" "$@"; }
mapfile -t commits < <(git -C "$src" rev-list --first-parent -n "$n" HEAD | tac)
: > "$dst.planted"
plant() { # tree path -> tree with a key file at path
	local key blob
	key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf '%s' "$key" | sha256sum | cut -d' ' -f1 >> "$dst.planted"
	blob=$(printf 'VAST_API_KEY=%s\n' "$key" | g hash-object -w --stdin)
	GIT_INDEX_FILE="$tmp/plant.index" g read-tree "$1"
	GIT_INDEX_FILE="$tmp/plant.index" g update-index --add --cacheinfo "100644,$blob,$2"
	GIT_INDEX_FILE="$tmp/plant.index" g write-tree
	rm -f "$tmp/plant.index"
}
parent=
for i in "${!commits[@]}"; do
	c=${commits[i]}
	tree=$(g rev-parse "$c^{tree}")
	case $i in
	$((n / 3))) tree=$(plant "$tree" deploy/staging/.env) ;;
	$((2 * n / 3))) tree=$(plant "$tree" vast.env) ;;
	esac
	# The commit's own headers, with the new tree and parent and without
	# signatures (which would no longer verify).
	parent=$(g cat-file commit "$c" | awk -v tree="$tree" -v parent="$parent" '
		body { print; next }
		/^$/ { body = 1; print; next }
		/^tree / { print "tree " tree; if (parent != "") print "parent " parent; next }
		/^parent / { next }
		/^(gpgsig|gpgsig-sha256|mergetag) / { skip = 1; next }
		/^ / && skip { next }
		{ skip = 0; print }
	' | g hash-object -t commit -w --stdin)
done
g update-ref refs/heads/main "$parent"
g symbolic-ref HEAD refs/heads/main
# One pack of everything reachable. A blob SRC lacks (a partial clone's)
# stays missing, and the pack is marked a promisor pack, as SRC's is.
pack=$(g pack-objects --all --missing=allow-any -q "$tmp/objects/pack/pack" </dev/null)
g prune-packed
rm "$tmp/objects/info/alternates"
missing=$(g rev-list --objects --all --missing=print | grep -c '^?' || true)
if [ "$missing" -gt 0 ]; then
	touch "$tmp/objects/pack/pack-$pack.promisor"
	g config remote.origin.promisor true
fi
mv "$tmp" "$dst"
g() { git -C "$dst" "$@"; }
echo "replay: $(g rev-list --count HEAD) commits, $(g count-objects -v | awk '/size-pack/ {printf "%.0f MiB", $2 / 1024}') packed, $missing blobs missing (as in SRC), $(wc -l < "$dst.planted") keys planted" >&2
