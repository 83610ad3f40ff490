#!/usr/bin/env bash
# Measures eddy, alone and against its peers, and rewrites the README's Performance section
# with the result, in one command:
#
#   bench/performance.sh
#
# It builds eddy and eddy-bench (release), starts moto, dynalite and Dynoxide with
# bench/peers.sh (stopping them again once the phases that use them are done, or on exit),
# and runs eddy-bench once per phase. Each phase writes its own files into OUT_DIR:
#
#   peers    performance.{json,svg,md}        put, get, query, update, batch-write, scan and
#            transact-write on eddy-memory, eddy-disk, bare and the peers (the README's chart)
#   streams  performance-streams.{json,svg,md}  the write workloads on each eddy target without
#            and with a NEW_AND_OLD_IMAGES stream, in turns, and what the stream costs
#   4kb      performance-4kb.{json,svg,md}    put and get of ~4 KB items on eddy and Dynoxide
#   drain    performance-drain.{json,svg,md}  GetRecords draining a 100k-record backlog
#   startup  performance-startup.{json,md}    spawn to first answer, empty data directory
#   memory   performance-memory.{json,md}     RSS with 100k and 1M items loaded, and restarts
#            of the on-disk target with them
#
# Then the README's text between <!-- performance:begin --> and <!-- performance:end --> is
# replaced by the peers' chart and every phase's Markdown that OUT_DIR holds, in the order
# above, each under a short heading with the aims it answers.
#
# PHASES picks the phases to run; the others are not measured, and their files from an earlier
# run, if any, still go into the section (the last line of the section names them). So one
# part can be refreshed without measuring the rest again, and `PHASES= bench/performance.sh`
# only reassembles the section. Each part's first line gives its setting and day, and its last
# line its machine, so a part kept from another day or machine says so; delete its files in
# OUT_DIR to drop it from the section.
#
# At the defaults the phases take about 23 minutes on 2 cores (the script prints its estimate
# first): a run takes its full duration however slow the target, so the time is mostly
# workloads x targets x RUNS x (DURATION + WARMUP), plus preloading tables (slowest on moto)
# and, in the memory phase, loading a million items per target.
#
# Environment, to change what is measured or where it goes:
#   PHASES='peers streams 4kb drain startup memory'  phases to run ('' for none)
#   RUNS=3  DURATION=5s  WARMUP=1s  CONNECTIONS=32   passed to eddy-bench (RUNS is also the
#                                                     number of restarts in memory)
#   TARGETS=eddy-memory,eddy-disk                     eddy targets of every phase (the peers
#                                                     phase adds PEERS_PHASE_EXTRA)
#   PEERS_PHASE_EXTRA=eddy-fsync,bare                 targets only the peers phase measures
#   WORKLOADS=put,get,query,update,batch-write,scan,transact-write   the peers phase's
#   STREAM_WORKLOADS=put,update,batch-write,transact-write           the streams phase's
#   KEYS=10000                                        items preloaded for get, query, update
#                                                     and scan (eddy-bench --keys)
#   DRAIN_KEYS=100000  STARTUP_RUNS=10  RSS_ITEMS=100000,1000000
#   PEERS='moto dynalite dynoxide'                    peers to start ('' for none; the 4kb
#                                                     phase uses Dynoxide only)
#   OUT_DIR=bench/results                             where the phase files go
#   README=README.md                                  the file whose section is rewritten
#   UPDATE_README=1                                   0 leaves the README alone (trial runs)
#   BUILD=1                                           0 uses target/release as it is

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ALL_PHASES=(peers streams 4kb drain startup memory)
PHASES=${PHASES-${ALL_PHASES[*]}}
RUNS=${RUNS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONNECTIONS=${CONNECTIONS:-32}
TARGETS=${TARGETS:-eddy-memory,eddy-disk}
PEERS_PHASE_EXTRA=${PEERS_PHASE_EXTRA-eddy-fsync,bare}
WORKLOADS=${WORKLOADS:-put,get,query,update,batch-write,scan,transact-write}
STREAM_WORKLOADS=${STREAM_WORKLOADS:-put,update,batch-write,transact-write}
KEYS=${KEYS:-10000}
DRAIN_KEYS=${DRAIN_KEYS:-100000}
STARTUP_RUNS=${STARTUP_RUNS:-10}
RSS_ITEMS=${RSS_ITEMS:-100000,1000000}
PEERS=${PEERS-moto dynalite dynoxide}
OUT_DIR=${OUT_DIR:-bench/results}
README=${README:-README.md}
UPDATE_README=${UPDATE_README:-1}
BUILD=${BUILD:-1}

BEGIN='<!-- performance:begin -->'
END='<!-- performance:end -->'
BENCH=target/release/eddy-bench

say() { echo "performance: $*" >&2; }
die() { say "$*"; exit 1; }

# Whether word $1 is among the rest.
among() {
    local w=$1 x
    shift
    for x in "$@"; do [[ $x == "$w" ]] && return 0; done
    return 1
}

# shellcheck disable=SC2206 # word lists
phases=($PHASES)
# shellcheck disable=SC2206
peers=($PEERS)
for p in "${phases[@]}"; do
    among "$p" "${ALL_PHASES[@]}" || die "unknown phase '$p' (${ALL_PHASES[*]})"
done
chosen() { among "$1" "${phases[@]}"; }
# The arguments, comma-separated.
joined() {
    local out
    printf -v out '%s, ' "$@"
    echo "${out%, }"
}

# A phase's files: OUT_DIR/performance.* for the peers, performance-PHASE.* for the others.
base() {
    if [[ $1 == peers ]]; then echo "$OUT_DIR/performance"; else echo "$OUT_DIR/performance-$1"; fi
}

# Fail before the long part if the section cannot be rewritten afterwards.
if [[ $UPDATE_README == 1 ]]; then
    [[ -f $README ]] || die "no $README (UPDATE_README=0 to measure only)"
    [[ $(grep -cxF "$BEGIN" "$README") == 1 && $(grep -cxF "$END" "$README") == 1 ]] ||
        die "$README needs one line '$BEGIN' and one '$END'"
    (($(grep -nxF "$BEGIN" "$README" | cut -d: -f1) < $(grep -nxF "$END" "$README" | cut -d: -f1))) ||
        die "$README: '$BEGIN' must come before '$END'"
fi

# --- the estimate --------------------------------------------------------------------------

# Seconds in an eddy-bench duration: 5s, 500ms, 1m or a bare number.
seconds() {
    awk -v d="$1" 'BEGIN {
        s = 1
        if (d ~ /ms$/) { s = 0.001; sub(/ms$/, "", d) }
        else if (d ~ /s$/) { sub(/s$/, "", d) }
        else if (d ~ /m$/) { s = 60; sub(/m$/, "", d) }
        print d * s
    }'
}
# Items in a comma-separated list.
count() { awk -F, '{ print NF }' <<<"$1"; }

# The measured time is exact (every run lasts its duration); the rest is a rough allowance
# for starting servers and preloading, from runs on 2 cores: 10k items take about 10 s on
# moto, 3 s on dynalite, 1 s on Dynoxide and well under 1 s on eddy, which loads some 50k
# items/s.
run_s=$(awk -v r="$RUNS" -v d="$(seconds "$DURATION")" -v w="$(seconds "$WARMUP")" 'BEGIN { print r * (d + w) }')
n_targets=$(count "$TARGETS")
with_dynoxide=0
among dynoxide "${peers[@]}" && with_dynoxide=1
peer_setup=2
among moto "${peers[@]}" && peer_setup=$((peer_setup + 10))
among dynalite "${peers[@]}" && peer_setup=$((peer_setup + 3))
peer_setup=$((peer_setup + with_dynoxide))
estimate() {
    local w t
    case $1 in
        peers)
            w=$(count "$WORKLOADS")
            t=$((n_targets + $(count "$PEERS_PHASE_EXTRA") + ${#peers[@]}))
            awk -v w="$w" -v t="$t" -v r="$run_s" -v s="$peer_setup" -v k="$KEYS" \
                'BEGIN { print w * (t * r + s * k / 10000) }'
            ;;
        streams)
            w=$(count "$STREAM_WORKLOADS")
            awk -v w="$w" -v t="$n_targets" -v r="$run_s" 'BEGIN { print w * (2 * t * r + 2) }'
            ;;
        4kb) awk -v t="$((n_targets + with_dynoxide))" -v r="$run_s" 'BEGIN { print 2 * t * r + 10 }' ;;
        drain) awk -v t="$n_targets" -v r="$run_s" -v k="$DRAIN_KEYS" 'BEGIN { print t * (r + k / 40000 + 2) }' ;;
        startup) awk -v t="$n_targets" -v n="$STARTUP_RUNS" 'BEGIN { print t * n * 0.05 + 2 }' ;;
        memory)
            awk -v t="$n_targets" -v items="$RSS_ITEMS" -v r="$RUNS" 'BEGIN {
                n = split(items, c, ","); total = 0
                for (i = 1; i <= n; i++) total += c[i]
                print t * (total / 50000 + n * (r + 2))
            }'
            ;;
    esac
}
minutes() { awk -v s="$1" 'BEGIN { printf "%.1f", s / 60 }'; }
total=0
parts=()
for p in "${phases[@]}"; do
    s=$(estimate "$p")
    total=$(awk -v a="$total" -v b="$s" 'BEGIN { print a + b }')
    parts+=("$p $(minutes "$s")")
done
if ((${#phases[@]})); then
    say "phases: ${phases[*]}; estimate: about $(minutes "$total") min ($(joined "${parts[@]}")), plus building"
else
    say "no phases to run: reassembling the section from $OUT_DIR"
fi

# --- building and the peers ----------------------------------------------------------------

if ((${#phases[@]})); then
    if [[ $BUILD == 1 ]]; then
        say "building eddy and eddy-bench (release)"
        cargo build --release -p eddy -p eddy-bench
    fi
    [[ -x $BENCH && -x target/release/eddy ]] || die "no $BENCH or target/release/eddy (BUILD=1 builds them)"
fi

# The peers phase drives every peer, the 4kb phase only Dynoxide, the others none: Dynoxide
# is the nearest peer, and moto and dynalite would add some 3 minutes (moto preloading 40 MB
# slowly) to the 4kb phase for ratios the peers phase already gives at 200 bytes.
wanted=()
if chosen peers; then
    wanted=("${peers[@]}")
elif chosen 4kb && ((with_dynoxide)); then
    wanted=(dynoxide)
fi
declare -A peer_url=()
if ((${#wanted[@]})); then
    # The peers get a run directory of their own, so stopping them stops these peers and no
    # others that bench/peers.sh may have running.
    PEERS_RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/eddy-peers.XXXXXX")
    export PEERS_RUN_DIR
    trap 'bench/peers.sh stop' EXIT
    # An EXIT trap does not run on a signal that kills the shell; exiting on it does.
    trap 'exit 130' INT TERM
    # A peer that does not start ends the script (and the trap stops the others): a section
    # silently missing a peer would read as if it had never been compared.
    started=$(bench/peers.sh start "${wanted[@]}")
    while IFS='=' read -r name url; do
        if [[ -n $name ]]; then peer_url[$name]=$url; fi
    done <<<"$started"
fi
# --endpoint flags for the named peers that are running.
endpoints() {
    local p
    for p in "$@"; do
        if [[ -n ${peer_url[$p]:-} ]]; then echo "--endpoint=$p=${peer_url[$p]}"; fi
    done
}

# --- the phases ----------------------------------------------------------------------------

cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//') || true
machine="$(nproc) cores (nproc)${cpu:+, $cpu}, $(uname -sm)"

# Runs one phase's eddy-bench with the shared settings and the phase's own flags, then adds
# the machine to its Markdown, so that the part says where it was measured even when it is
# kept for a later section.
phase() {
    local name=$1 started=$SECONDS
    shift
    local b
    b=$(base "$name")
    say "phase $name: eddy-bench $*"
    "$BENCH" --connections "$CONNECTIONS" --runs "$RUNS" --duration "$DURATION" --warmup "$WARMUP" \
        --out "$b.json" --markdown "$b.md" "$@"
    printf '\nMachine: %s.\n' "$machine" >>"$b.md"
    say "phase $name took $(((SECONDS - started) / 60))m$(((SECONDS - started) % 60))s"
}

# Phases that use peers first, so that the peers can be stopped before the others.
if chosen peers; then
    # shellcheck disable=SC2046 # one flag per line
    phase peers --target "$TARGETS${PEERS_PHASE_EXTRA:+,$PEERS_PHASE_EXTRA}" $(endpoints "${peers[@]}") --workload "$WORKLOADS" --keys "$KEYS"
fi
if chosen 4kb; then
    # shellcheck disable=SC2046
    phase 4kb --target "$TARGETS" $(endpoints dynoxide) --workload put,get --item-bytes 4096 \
        --keys "$KEYS"
fi
if ((${#wanted[@]})); then bench/peers.sh stop; fi
if chosen streams; then
    phase streams --target "$TARGETS" --workload "$STREAM_WORKLOADS" --streams both --keys "$KEYS"
fi
if chosen drain; then phase drain --target "$TARGETS" --workload get-records --keys "$DRAIN_KEYS"; fi
if chosen startup; then phase startup --target "$TARGETS" --startup --startup-runs "$STARTUP_RUNS"; fi
if chosen memory; then phase memory --target "$TARGETS" --rss-items "$RSS_ITEMS"; fi
if ((${#phases[@]})); then say "all phases took $((SECONDS / 60))m$((SECONDS % 60))s"; fi

[[ $UPDATE_README == 1 ]] || exit 0

# --- the README's section ------------------------------------------------------------------

# The heading and the aims of each phase's part; the aims are eddy's, not checks.
heading() {
    case $1 in
        peers) echo "Against the peers" ;;
        streams) echo "What a stream costs" ;;
        4kb) echo "4 KB items" ;;
        drain) echo "Draining a stream" ;;
        startup) echo "Start-up" ;;
        memory) echo "Memory and restart" ;;
    esac
}
aims() {
    case $1 in
        peers) echo "Aims: PutItem, GetItem and Query at least 3x Dynoxide, 5x dynalite and 20x moto in ops/s, p99 under 2 ms in memory; GetItem at least 50% of \`bare\`, the generator's ceiling." ;;
        streams) echo "Each write on a table without a stream and on one with NEW_AND_OLD_IMAGES, in turns. Aim: the stream costs PutItem under 15% of its throughput (CPU per op is the steadier measure on a busy machine)." ;;
        4kb) echo "PutItem and GetItem as above, with items of ~4 KB." ;;
        drain) echo "How fast one consumer per shard reads a loaded stream: records/s of GetRecords from TRIM_HORIZON to the end." ;;
        startup) echo "Aim: under 20 ms with an empty data directory (the restart with 1M items on disk is under Memory and restart)." ;;
        memory) echo "Aims: RSS after 1M 200-byte items in memory under 2x the data (\`loaded/data\` of eddy-memory); a restart with 1M items on disk answering within 1 s." ;;
    esac
}

# Paths as the README links them, from the README's own directory.
link() { realpath -m --relative-to="$(dirname "$README")" "$1"; }

section=$(mktemp)
kept=()
{
    for p in "${ALL_PHASES[@]}"; do
        b=$(base "$p")
        [[ -f $b.md ]] || continue
        chosen "$p" || kept+=("$p")
        printf '\n### %s\n\n%s\n\n' "$(heading "$p")" "$(aims "$p")"
        if [[ -f $b.svg ]]; then
            if [[ $p == peers ]]; then
                printf '![Median ops/s per workload and target, log scale](%s)\n\n' "$(link "$b.svg")"
            else
                printf 'Chart: [%s](%s).\n\n' "$(basename "$b.svg")" "$(link "$b.svg")"
            fi
        fi
        # The parts' workload headings go one level under the phase's.
        sed 's/^### /#### /' "$b.md"
    done
} >"$section"
if [[ ! -s $section ]]; then
    rm -f "$section"
    die "no phase files in $OUT_DIR to put in the section"
fi
{
    echo
    printf 'Assembled %s by `bench/performance.sh`' "$(date -u +%Y-%m-%d)"
    if ((${#kept[@]})); then
        printf '; kept from an earlier run: %s' "$(joined "${kept[@]}")"
    fi
    printf '.\n\n'
} >>"$section"
rewritten=$(mktemp)
awk -v section="$section" -v begin="$BEGIN" -v end="$END" '
    $0 == begin { print; while ((getline line < section) > 0) print line; skipping = 1; next }
    $0 == end { skipping = 0 }
    !skipping { print }
' "$README" >"$rewritten"
# cat, not mv: the README keeps its mode.
cat "$rewritten" >"$README"
rm -f "$section" "$rewritten"
say "rewrote the Performance section of $README"
