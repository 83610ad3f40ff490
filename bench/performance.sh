#!/usr/bin/env bash
# Measures eddy against its peers and rewrites the README's Performance section with the
# result, in one command:
#
#   bench/performance.sh
#
# It builds eddy and eddy-bench (release), starts moto, dynalite and Dynoxide with
# bench/peers.sh (stopping them again on exit), and runs eddy-bench on eddy-memory, eddy-disk,
# the bare server and the three peers, targets in turns. eddy-bench writes
# bench/results/performance.json, performance.svg (the chart) and performance.md (a table per
# workload, and the eddy/peer ratios); then the README's text between
# <!-- performance:begin --> and <!-- performance:end --> is replaced by the chart, the tables
# and a line naming the machine, the day and this command.
#
# The defaults come to 9 minutes of load (5 workloads x 6 targets x 3 runs x (5s + 1s
# warm-up); a run takes its full duration however slow the target), plus preloading each
# table (slowest on moto) and starting the servers: 10 to 12 minutes in all.
#
# Environment, to change what is measured or where it goes:
#   RUNS=3  DURATION=5s  WARMUP=1s  CONNECTIONS=32   passed to eddy-bench
#   WORKLOADS=put,get,query,update,batch-write        eddy-bench --workload
#   TARGETS=eddy-memory,eddy-disk,bare                eddy-bench --target
#   PEERS='moto dynalite dynoxide'                    peers to start ('' for none)
#   OUT_DIR=bench/results                             where performance.{json,svg,md} go
#   README=README.md                                  the file whose section is rewritten
#   UPDATE_README=1                                   0 leaves the README alone (trial runs)

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RUNS=${RUNS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONNECTIONS=${CONNECTIONS:-32}
WORKLOADS=${WORKLOADS:-put,get,query,update,batch-write}
TARGETS=${TARGETS:-eddy-memory,eddy-disk,bare}
PEERS=${PEERS-moto dynalite dynoxide}
OUT_DIR=${OUT_DIR:-bench/results}
README=${README:-README.md}
UPDATE_README=${UPDATE_README:-1}

BEGIN='<!-- performance:begin -->'
END='<!-- performance:end -->'

say() { echo "performance: $*" >&2; }
die() { say "$*"; exit 1; }

# Fail before the long part if the section cannot be rewritten afterwards.
if [[ $UPDATE_README == 1 ]]; then
    [[ -f $README ]] || die "no $README (UPDATE_README=0 to measure only)"
    [[ $(grep -cxF "$BEGIN" "$README") == 1 && $(grep -cxF "$END" "$README") == 1 ]] ||
        die "$README needs one line '$BEGIN' and one '$END'"
    (($(grep -nxF "$BEGIN" "$README" | cut -d: -f1) < $(grep -nxF "$END" "$README" | cut -d: -f1))) ||
        die "$README: '$BEGIN' must come before '$END'"
fi

say "building eddy and eddy-bench (release)"
cargo build --release -p eddy -p eddy-bench

# The peers get a run directory of their own, so the trap stops these peers and no others
# that bench/peers.sh may have running.
endpoints=()
if [[ -n $PEERS ]]; then
    PEERS_RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/eddy-peers.XXXXXX")
    export PEERS_RUN_DIR
    trap 'bench/peers.sh stop' EXIT
    # An EXIT trap does not run on a signal that kills the shell; exiting on it does.
    trap 'exit 130' INT TERM
    # shellcheck disable=SC2086 # PEERS is a list of names
    peers=$(bench/peers.sh start $PEERS)
    while read -r peer; do
        if [[ -n $peer ]]; then endpoints+=("--endpoint=$peer"); fi
    done <<<"$peers"
fi

json=$OUT_DIR/performance.json
svg=$OUT_DIR/performance.svg
md=$OUT_DIR/performance.md
target/release/eddy-bench \
    --target "$TARGETS" "${endpoints[@]}" \
    --workload "$WORKLOADS" \
    --connections "$CONNECTIONS" --runs "$RUNS" --duration "$DURATION" --warmup "$WARMUP" \
    --out "$json" --chart "$svg" --markdown "$md"

[[ $UPDATE_README == 1 ]] || exit 0

cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//') || true
machine="$(nproc) cores (nproc)${cpu:+, $cpu}, $(uname -sm)"
# The chart's path as the README links it, from the README's own directory.
image=$(realpath -m --relative-to="$(dirname "$README")" "$svg")
section=$(mktemp)
{
    echo
    echo "![Median ops/s per workload and target, log scale]($image)"
    echo
    cat "$md"
    echo
    echo "Machine: $machine. Measured $(date -u +%Y-%m-%d) with \`bench/performance.sh\`."
    echo
} >"$section"
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
