#!/usr/bin/env bash
# eddy on PostgreSQL with 1, 2 and 3 nodes, against the embedded engine, in one command:
#
#   bench/nodes.sh
#
# It starts a throwaway PostgreSQL (scripts/postgres, from Debian's `postgresql` package) and,
# for each node count, that many eddy processes on a database of their own behind haproxy
# (Debian's `haproxy` package), which sends each request to a node at random, with no
# affinity, as a load balancer in front of stateless nodes would. Then one eddy-bench run
# measures every cluster and eddy-disk (embedded fjall), the targets taking turns, and writes
# its report beside the others (JSON, Markdown and SVG).
#
# On one machine every node shares the same cores with PostgreSQL, haproxy and the load
# generator, so the figures show what a node costs, not how far several machines go.
# eddy-bench reports CPU and memory for the process listening on a target's port, which for
# the clusters is haproxy: those two columns are the balancer's, not eddy's. Its report is
# not committed (bench/results/ keeps only bench/performance.sh's).
#
# Environment:
#   NODES='1 2 3'                        node counts, one cluster each
#   WORKLOADS=put,get,query,get-records  passed to eddy-bench, with:
#   RUNS=3  DURATION=5s  WARMUP=1s  CONNECTIONS=32  KEYS=10000  STREAMS=on
#   OUT=bench/results/nodes.json         the report (.md and .svg beside it)
#   BUILD=1                              0 uses target/release as it is

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

NODES=${NODES:-1 2 3}
WORKLOADS=${WORKLOADS:-put,get,query,get-records}
RUNS=${RUNS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONNECTIONS=${CONNECTIONS:-32}
KEYS=${KEYS:-10000}
STREAMS=${STREAMS:-on}
OUT=${OUT:-bench/results/nodes.json}
BUILD=${BUILD:-1}

command -v haproxy >/dev/null || { echo "bench/nodes.sh needs haproxy (apt-get install haproxy)" >&2; exit 1; }
command -v psql >/dev/null || { echo "bench/nodes.sh needs psql (apt-get install postgresql)" >&2; exit 1; }

if [ "$BUILD" = 1 ]; then
    cargo build --release -p eddy -p eddy-bench
fi

work=$(mktemp -d /tmp/eddy-nodes.XXXXXX)
# PostgreSQL runs as its own user when this runs as root, and keeps its cluster in here.
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    [ -d "$work/pg/data" ] && scripts/postgres stop "$work/pg"
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_healthy() {
    for _ in $(seq 100); do
        curl -fs "http://$1/_eddy/health" >/dev/null && return 0
        sleep 0.1
    done
    echo "eddy at $1 did not become healthy; its log: $work/$2.log" >&2
    exit 1
}

admin=$(scripts/postgres start "$work/pg") || {
    echo "PostgreSQL did not start (scripts/postgres needs Debian's postgresql package)" >&2
    exit 1
}

endpoints=()
fronts=()
{
    printf 'defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n'
} >"$work/haproxy.cfg"
for count in $NODES; do
    psql -q "$admin" -c "CREATE DATABASE nodes_$count"
    url="${admin%/*}/nodes_$count"
    front=$(free_port)
    fronts+=("$front")
    printf 'frontend f%s\n  bind 127.0.0.1:%s\n  default_backend b%s\nbackend b%s\n  balance random\n' \
        "$count" "$front" "$count" "$count" >>"$work/haproxy.cfg"
    for node in $(seq "$count"); do
        port=$(free_port)
        target/release/eddy serve --storage "$url" --listen "127.0.0.1:$port" \
            >"$work/node-$count-$node.log" 2>&1 &
        pids+=($!)
        wait_healthy "127.0.0.1:$port" "node-$count-$node"
        printf '  server n%s 127.0.0.1:%s\n' "$node" "$port" >>"$work/haproxy.cfg"
    done
    if [ "$count" = 1 ]; then
        endpoints+=("--endpoint=postgres-1-node=http://127.0.0.1:$front")
    else
        endpoints+=("--endpoint=postgres-$count-nodes=http://127.0.0.1:$front")
    fi
done
haproxy -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)
for front in "${fronts[@]}"; do
    wait_healthy "127.0.0.1:$front" haproxy
done

target/release/eddy-bench --target eddy-disk "${endpoints[@]}" \
    --workload "$WORKLOADS" --runs "$RUNS" --duration "$DURATION" --warmup "$WARMUP" \
    --connections "$CONNECTIONS" --keys "$KEYS" --streams "$STREAMS" --out "$OUT"
