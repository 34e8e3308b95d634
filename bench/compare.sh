#!/usr/bin/env bash
# Where users wait, on the same repositories, in one table: a full-history
# scan, pull-request ranges of 10, 100 and 1000 commits, a pre-commit
# (--staged) check and incremental rescans (--cache), each beside git's own
# cost for the same reading and beside gitleaks (one Vast rule) and
# TruffleHog when installed. Every figure is the median of RUNS runs, the
# tools taking turns run by run.
#
#   bench/compare.sh                      # a tiny and a 5000-commit generated history
#   bench/compare.sh /path/to/repo ...    # plus real repositories (bare or not)
#
# git's own cost ("git s"):
#   full         git cat-file --batch-all-objects --batch --unordered
#   range N      git rev-list --objects BASE..HEAD | git cat-file --batch  (BASE = HEAD~N)
#   staged       git diff --cached
#   incremental  unchanged: the full row's read; +10 commits: the range of what they added
# "x git" is wall time over git's; "cpu x git" the same for user+system time,
# which other load on the machine disturbs less.
#
# Each repository given is mirrored once into OUT (--no-hardlinks); a
# partial clone's missing blobs stay missing for vastguard, and read as
# empty for git and gitleaks through replace refs. The staged row runs in a
# clone of the mirror (--shared) with three files edited and a file with a
# generated key staged; the incremental rows add ten commits to the mirror
# on refs/heads/bench-new, by plumbing.
#
# Environment: RUNS (default 5), COMMITS (default 5000), TINY (default 100),
# OUT (default $TMPDIR/vastguard-bench: outside the checkout, since a scan
# refuses a bare repository inside a work tree, as git does with
# safe.bareRepository=explicit), SKIP_FULL_PEERS=1 to leave gitleaks and TruffleHog
# out of the full-history row (minutes on a large repository).
# Needs git and /usr/bin/time; installs gitleaks with `go install` if absent.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
COMMITS=${COMMITS:-5000}
TINY=${TINY:-100}
OUT=${OUT:-${TMPDIR:-/tmp}/vastguard-bench}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

command -v git >/dev/null || { echo "bench: git is required" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is required (apt-get install time)" >&2; exit 1; }

# The binary exactly as the Dockerfile builds it.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT/vastguard" .
VG="$OUT/vastguard"
# Incremental scans, with a key of the bench's own (never ~/.config's).
INCR="$VG scan --allow-partial --quiet --format json --cache"
[ -f "$OUT/cache.key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$OUT/cache.key"
export VASTGUARD_CACHE_KEY
VASTGUARD_CACHE_KEY=$(cat "$OUT/cache.key")

GITLEAKS=$(command -v gitleaks || true)
if [ -z "$GITLEAKS" ]; then
	GOBIN="$OUT" go install github.com/zricethezav/gitleaks/v8@latest
	GITLEAKS="$OUT/gitleaks"
fi
TRUFFLEHOG=$(command -v trufflehog || true)

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
GL="$GITLEAKS git --no-banner --log-level error -c $OUT/gitleaks-vast.toml --exit-code 0 --report-format json --report-path $OUT/gl.json"
TH="$TRUFFLEHOG git --no-update --no-verification --json"

generate() { # name commits [genrepo flags]
	local gen="$OUT/$1.git" n=$2
	shift 2
	if [ ! -d "$gen" ]; then
		echo "generating a $n-commit history in $gen ..." >&2
		git init -q --bare "$gen"
		go run ./bench/genrepo -commits "$n" -planted "$gen.planted" "$@" | git -C "$gen" fast-import --quiet
		git -C "$gen" gc --quiet
	fi
	git -C "$gen" symbolic-ref HEAD refs/heads/main
	echo "$gen"
}
repos=("$@")
if [ ${#repos[@]} -eq 0 ] || [ -n "${GENERATE:-}" ]; then
	repos=("$(generate "gen-$TINY" "$TINY" -plant-every 30)" "$(generate "gen-$COMMITS" "$COMMITS")" "${repos[@]}")
fi

# cpu_of FILE prints the user+system seconds of a `times` listing's
# children line, to the millisecond (/usr/bin/time only gives 10 ms).
# `times` runs in this shell (a subshell would list its own children).
cpu_of() {
	awk 'NR == 2 {
		split($1, u, /[ms]/); split($2, s, /[ms]/)
		printf "%.3f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2]
	}' "$1"
}

# run_once FILE CMD: runs CMD once; appends "wall cpu rss_kb" to FILE.
run_once() {
	local t0 t1 m
	times > "$OUT/times0.txt"
	t0=$EPOCHREALTIME
	local cmd=$2
	case $cmd in *'|'* | *'>'*) ;; *) cmd="exec $cmd" ;; esac # one process less to count
	/usr/bin/time -f "%M" -o "$OUT/time.txt" bash -c "$cmd" >/dev/null 2>&1 || true
	t1=$EPOCHREALTIME
	times > "$OUT/times1.txt"
	m=$(tail -n 1 "$OUT/time.txt")
	awk -v a="$t0" -v b="$t1" -v c="$(cpu_of "$OUT/times0.txt")" -v d="$(cpu_of "$OUT/times1.txt")" -v m="$m" 'BEGIN {printf "%.4f %.3f %d\n", b - a, d - c, m}' >> "$1"
}

# bench LABEL CMD ...: runs the commands RUNS times, taking turns, and sets
# WALL, CPU and RSS of each label to the medians (RSS: the largest). A
# function prep_LABEL, if defined, runs before each of LABEL's runs,
# outside the timing.
declare -A WALL CPU RSS
bench() {
	local args=("$@") n=$# i r label
	for ((i = 0; i < n; i += 2)); do : > "$OUT/m.${args[i]}"; done
	for r in $(seq "$RUNS"); do
		for ((i = 0; i < n; i += 2)); do
			label=${args[i]}
			if declare -F "prep_$label" >/dev/null; then "prep_$label"; fi
			run_once "$OUT/m.$label" "${args[i + 1]}"
		done
	done
	for ((i = 0; i < n; i += 2)); do
		label=${args[i]}
		WALL[$label]=$(sort -n -k1,1 "$OUT/m.$label" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
		CPU[$label]=$(sort -n -k2,2 "$OUT/m.$label" | awk '{a[NR] = $2} END {print a[int((NR + 1) / 2)]}')
		RSS[$label]=$(awk 'BEGIN {m = 0} $3 > m {m = $3} END {printf "%.0f", m / 1024}' "$OUT/m.$label")
	done
}

printf '%-22s %-24s %8s %10s %7s %7s %8s %10s %7s %10s %7s  %s\n' repository scenario "git s" "vastguard" "x git" "cpu x" "RSS MiB" gitleaks "x git" trufflehog "x git" "found (vastguard/gitleaks)"
# row REPO SCENARIO [NOTE]: prints the last bench's medians. A peer's
# figure can be given as PEER_GL / PEER_TH instead of measured.
row() {
	local ratio gl glx th thx found
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
	gl=${PEER_GL:-${WALL[gitleaks]:--}}
	th=${PEER_TH:-${WALL[trufflehog]:--}}
	glx=-; thx=-
	[ "$gl" != - ] && glx=$(ratio "$gl" "${WALL[git]}")
	[ "$th" != - ] && thx=$(ratio "$th" "${WALL[git]}")
	found=$(grep -c '"key_sha256"' "$OUT/vg.json" 2>/dev/null || true)
	if [ "${WALL[gitleaks]:--}" != - ] && [ -z "${PEER_GL:-}" ]; then
		found="${found:-0}/$(grep -c '"RuleID"' "$OUT/gl.json" 2>/dev/null || true)"
	fi
	printf '%-22s %-24s %8s %10s %7s %7s %8s %10s %7s %10s %7s  %s %s\n' "$1" "$2" "${WALL[git]}" "${WALL[vastguard]}" \
		"$(ratio "${WALL[vastguard]}" "${WALL[git]}")" "$(ratio "${CPU[vastguard]}" "${CPU[git]}")" "${RSS[vastguard]}" \
		"$gl" "$glx" "$th" "$thx" "$found" "${3:-}"
	unset 'WALL[gitleaks]' 'WALL[trufflehog]'
}

for src in "${repos[@]}"; do
	src=$(cd "$src" && pwd)
	name=$(basename "$src" .git)
	# A fetched snapshot is .../OWNER+NAME/repo: name it by its directory.
	[ "$name" = repo ] && name=$(basename "$(dirname "$src")")
	# What OUT holds for name (mirror, work tree, caches) must be of src:
	# two repositories of one name would otherwise share a mirror.
	if [ "$(dirname "$src")" != "$OUT" ] && [ "$(cat "$OUT/$name.source" 2>/dev/null)" != "$src" ]; then
		rm -rf "$OUT/$name.mirror" "$OUT/$name.wt" "$OUT/$name.cache" "$OUT/$name.cache.before" "$OUT/$name.bench-index"
		echo "$src" > "$OUT/$name.source"
	fi
	# The bench works on its own mirror of each repository. A partial
	# clone's missing blobs read as empty through replace refs, so that
	# git log -p (gitleaks), a checkout and git diff work; vastguard reads
	# the objects themselves and sees them missing.
	repo=$src
	if [ "$(dirname "$src")" != "$OUT" ]; then
		repo="$OUT/$name.mirror"
		if [ ! -d "$repo" ]; then
			rm -rf "$repo.tmp"
			git clone -q --mirror --no-hardlinks "$src" "$repo.tmp"
			empty=$(git -C "$repo.tmp" hash-object -w --stdin </dev/null)
			git -C "$repo.tmp" rev-list --objects --all --missing=print | sed -n 's/^?//p' | while read -r sha; do
				git -C "$repo.tmp" update-ref "refs/replace/$sha" "$empty"
			done
			mv "$repo.tmp" "$repo"
		fi
	fi
	g="git -C $repo"

	# Full history.
	peers=()
	if [ -z "${SKIP_FULL_PEERS:-}" ]; then
		peers=(gitleaks "$GL $repo")
		[ -n "$TRUFFLEHOG" ] && peers+=(trufflehog "$TH file://$repo > $OUT/th.json")
	fi
	bench git "$g cat-file --batch-all-objects --batch --unordered" \
		vastguard "$VG scan $repo --allow-partial --format json --output $OUT/vg.json" "${peers[@]}"
	full_vg=${WALL[vastguard]} full_vg_cpu=${CPU[vastguard]} full_git=${WALL[git]} full_gl=${WALL[gitleaks]:--} full_th=${WALL[trufflehog]:--}
	row "$name" "full history"
	if [ -f "$repo.planted" ]; then
		missed=0
		while read -r h; do grep -q "$h" "$OUT/vg.json" || missed=$((missed + 1)); done < "$repo.planted"
		echo "  planted keys: $(wc -l < "$repo.planted"), missed by vastguard: $missed"
	fi

	# Pull-request ranges.
	for n in 10 100 1000; do
		base=$($g rev-parse --verify -q "HEAD~$n" || true)
		[ -n "$base" ] || continue
		count=$($g rev-list --count "$base..HEAD")
		peers=(gitleaks "$GL --log-opts=$base..HEAD $repo")
		[ -n "$TRUFFLEHOG" ] && peers+=(trufflehog "$TH --since-commit $base file://$repo > $OUT/th.json")
		bench git "$g rev-list --objects --missing=allow-any $base..HEAD | cut -d' ' -f1 | $g cat-file --batch" \
			vastguard "$VG scan $repo --allow-partial --range $base..HEAD --format json --output $OUT/vg.json" "${peers[@]}"
		row "$name" "range HEAD~$n ($count commits)"
	done

	# A work tree for the pre-commit check: a clone borrowing the mirror's
	# objects (so what it stages stays its own) and its replace refs.
	wt="$OUT/$name.wt"
	if [ ! -d "$wt" ]; then
		rm -rf "$wt.tmp"
		git clone -q --shared --no-checkout "$repo" "$wt.tmp"
		git -C "$wt.tmp" fetch -q origin 'refs/replace/*:refs/replace/*'
		git -C "$wt.tmp" checkout -q
		mv "$wt.tmp" "$wt"
		# Three files edited in different directories, and a new file with
		# a key made now.
		mapfile -t edit < <(git -C "$wt" ls-files | awk -F/ 'NF > 1 && !seen[$1]++' | while read -r f; do [ -f "$wt/$f" ] && [ ! -L "$wt/$f" ] && echo "$f"; done | tail -n 3)
		for f in "${edit[@]}"; do echo "edited for the benchmark" >> "$wt/$f"; done
		printf 'VAST_API_KEY=%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$wt/bench-staged.env"
		git -C "$wt" add -- "${edit[@]}" bench-staged.env
	fi
	peers=(gitleaks "$GITLEAKS git --pre-commit --staged --no-banner --log-level error -c $OUT/gitleaks-vast.toml --exit-code 0 --report-format json --report-path $OUT/gl.json $wt")
	bench git "git -C $wt diff --cached" \
		vastguard "$VG scan $wt --staged --format json --output $OUT/vg.json" "${peers[@]}"
	row "$name" "staged ($(git -C "$wt" diff --cached --name-only | wc -l) files)"

	# of_full: the last vastguard figure as a share of its full scan's.
	of_full() {
		awk -v a="${WALL[vastguard]}" -v b="$full_vg" -v c="${CPU[vastguard]}" -v d="$full_vg_cpu" \
			'BEGIN {printf "%.1f%% wall, %.1f%% cpu", 100 * a / b, (d > 0 ? 100 * c / d : 0)}'
	}
	# Incremental: the first scan writes the cache; a rescan of the same
	# clone; a rescan after ten new commits (from a copy of the cache as it
	# was before them).
	cache="$OUT/$name.cache"
	prep_vastguard() { rm -rf "$cache"; }
	bench git "git -C $repo cat-file --batch-all-objects --batch --unordered" \
		vastguard "$INCR $cache --output $OUT/vg.json $repo"
	unset -f prep_vastguard
	PEER_GL=$full_gl PEER_TH=$full_th row "$name" "incremental, first" "(cache written; peers: full row)"
	if ! git -C "$repo" rev-parse -q --verify refs/heads/bench-new >/dev/null; then
		cp -r "$cache" "$cache.before"
		# Ten commits, each editing three files, by plumbing on a side index.
		parent=$(git -C "$repo" rev-parse HEAD)
		mapfile -t files < <(git -C "$repo" ls-tree -r HEAD | awk '$1 == "100644" {print $3 " " $4}' | while read -r sha path; do git -C "$repo" cat-file -e "$sha" 2>/dev/null && echo "$sha $path"; done | head -n 30)
		idx="$OUT/$name.bench-index"
		for i in $(seq 10); do
			GIT_INDEX_FILE=$idx git -C "$repo" read-tree "$parent"
			for j in 0 1 2; do
				read -r sha path <<<"${files[$(((i * 3 + j) % ${#files[@]}))]}"
				new=$( (git -C "$repo" cat-file blob "$sha"; echo "bench edit $i") | git -C "$repo" hash-object -w --stdin)
				GIT_INDEX_FILE=$idx git -C "$repo" update-index --cacheinfo "100644,$new,$path"
			done
			tree=$(GIT_INDEX_FILE=$idx git -C "$repo" write-tree)
			parent=$(git -C "$repo" commit-tree "$tree" -p "$parent" -m "bench edit $i")
		done
		git -C "$repo" update-ref refs/heads/bench-new "$parent"
		rm -f "$idx"
	fi
	[ -d "$cache.before" ] || { echo "bench: $cache.before is missing; remove $repo to start over" >&2; exit 1; }
	$INCR "$cache" --output "$OUT/vg.json" "$repo" >/dev/null 2>&1 || true # take in the new commits, untimed
	bench git "git -C $repo cat-file --batch-all-objects --batch --unordered" \
		vastguard "$INCR $cache --output $OUT/vg.json $repo"
	PEER_GL=$full_gl PEER_TH=$full_th row "$name" "incremental, unchanged" "($(of_full) of vastguard's full scan; peers: full row)"
	prep_vastguard() { rm -rf "$cache" && cp -r "$cache.before" "$cache"; }
	peers=(gitleaks "$GL --log-opts=HEAD..bench-new $repo")
	bench git "git -C $repo rev-list --objects HEAD..bench-new | cut -d' ' -f1 | git -C $repo cat-file --batch" \
		vastguard "$INCR $cache --output $OUT/vg.json $repo" "${peers[@]}"
	unset -f prep_vastguard
	row "$name" "incremental, +10 commits" "($(of_full) of vastguard's full scan; gitleaks: the range)"
done
