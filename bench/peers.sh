#!/usr/bin/env bash
# Installs and starts the DynamoDB-compatible servers a user might pick instead of eddy, on
# free loopback ports, so eddy-bench can drive them with --endpoint.
#
#   bench/peers.sh [start] [moto|dynalite|dynoxide ...]   install what is missing, start the
#                                                     peers (all three by default), print
#                                                     "NAME=URL" per peer on stdout
#   bench/peers.sh install [PEER ...]                 install only
#   bench/peers.sh status                             the peers this script has running
#   bench/peers.sh stop                               stop every peer it started
#
# Everything lives in bench/.peers/ (git-ignored): moto[server] in a venv (PyPI), dynalite in
# node_modules (npm), dynoxide-rs built by `cargo install --root` (crates.io). All three keep
# their data in memory. Each `start` records its pids and logs in a fresh bench/.peers/run.XXXXXX/,
# and `stop` ends those processes (their process groups) and removes the directory. With
# PEERS_RUN_DIR=DIR, `start` records them in DIR instead, and `status` and `stop` see only
# DIR's peers: a script stops its own peers and leaves anyone else's running.
#
# "NAME=URL" is what eddy-bench's --endpoint takes, so reports name each peer. All peers
# against both eddy engines:
#   eps=$(bench/peers.sh | sed 's/^/--endpoint=/')
#   cargo run --release -p eddy-bench -- --target eddy-memory,eddy-disk $eps
#   bench/peers.sh stop
#
# eddy-bench sends X-Amz-Date (dynalite and Dynoxide require it) and reconnects after a
# "Connection: close" answer (moto_server closes every connection; that cost is counted).
#
# Versions: MOTO_SPEC (default 'moto[server]'), DYNALITE_SPEC (default dynalite) and
# DYNOXIDE_VERSION (default: newest) choose what gets installed; delete bench/.peers/ to
# reinstall.

set -euo pipefail

ALL_PEERS=(moto dynalite dynoxide)
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS_DIR="$BENCH_DIR/.peers"
READY_TIMEOUT=${READY_TIMEOUT:-60}

say() { echo "peers: $*" >&2; }
die() { say "$*"; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }

valid_peer() {
    local p
    for p in "${ALL_PEERS[@]}"; do [[ $1 == "$p" ]] && return 0; done
    return 1
}

# --- install -------------------------------------------------------------------------------

install_moto() {
    [[ -x $PEERS_DIR/venv/bin/moto_server ]] && return 0
    need python3 "moto needs Python 3 (python3 -m venv)"
    say "installing ${MOTO_SPEC:-moto[server]} into $PEERS_DIR/venv"
    python3 -m venv "$PEERS_DIR/venv"
    "$PEERS_DIR/venv/bin/pip" install --quiet "${MOTO_SPEC:-moto[server]}" >&2
}

install_dynalite() {
    [[ -x $PEERS_DIR/node_modules/.bin/dynalite ]] && return 0
    need npm "dynalite needs Node.js and npm"
    say "installing ${DYNALITE_SPEC:-dynalite} into $PEERS_DIR/node_modules"
    npm install --prefix "$PEERS_DIR" --no-audit --no-fund --loglevel=error \
        "${DYNALITE_SPEC:-dynalite}" >&2
}

install_dynoxide() {
    [[ -x $PEERS_DIR/cargo/bin/dynoxide ]] && return 0
    need cargo "dynoxide is built from crates.io with cargo"
    say "building dynoxide-rs${DYNOXIDE_VERSION:+ $DYNOXIDE_VERSION} into $PEERS_DIR/cargo (takes minutes)"
    cargo install --locked --root "$PEERS_DIR/cargo" \
        ${DYNOXIDE_VERSION:+--version "$DYNOXIDE_VERSION"} dynoxide-rs >&2
}

# --- start ---------------------------------------------------------------------------------

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The command line that serves peer $1 on 127.0.0.1:$2, in memory.
peer_command() {
    case $1 in
        moto) echo "$PEERS_DIR/venv/bin/moto_server -H 127.0.0.1 -p $2" ;;
        dynalite) echo "npx --no -- dynalite --host 127.0.0.1 --port $2" ;;
        dynoxide) echo "$PEERS_DIR/cargo/bin/dynoxide --host 127.0.0.1 --port $2" ;;
    esac
}

# Any HTTP answer to a ListTables means the server is up. The headers are those an SDK sends
# (dynalite refuses a request without X-Amz-Date).
answers() {
    local code
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' -X POST \
        -H 'Content-Type: application/x-amz-json-1.0' \
        -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
        -H 'X-Amz-Date: 20260101T000000Z' \
        -H 'Authorization: AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
        -d '{}' "$1") || true
    [[ $code != 000 && -n $code ]]
}

# Running, and not a zombie waiting to be reaped.
alive() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $state != Z* ]]
}

# The process group of pid $1 ("" if it is gone).
pgid_of() { ps -o pgid= -p "$1" 2>/dev/null | tr -d ' '; }

# Pid $1 is running and still leads the process group start_peer made for it (a pid reused
# by something else since is not ours).
ours() { alive "$1" && [[ $(pgid_of "$1") == "$1" ]]; }

start_peer() {
    local name=$1 run=$2 port url pid waited=0
    port=$(free_port)
    url="http://127.0.0.1:$port"
    # setsid: each peer leads its own process group, so stop also ends what it spawned
    # (npx starts node as a child).
    (cd "$PEERS_DIR" && exec setsid $(peer_command "$name" "$port")) \
        >"$run/$name.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$run/$name.pid"
    echo "$url" >"$run/$name.url"
    until answers "$url"; do
        if ! alive "$pid"; then
            say "$name exited before answering; the end of $run/$name.log:"
            tail -n 20 "$run/$name.log" >&2
            return 1
        fi
        if ((waited >= READY_TIMEOUT * 5)); then
            say "$name did not answer on $url within ${READY_TIMEOUT}s; see $run/$name.log"
            return 1
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    say "$name (pid $pid) answers on $url"
    echo "$name=$url"
}

cmd_start() {
    local peers=("$@") p run failed=0
    ((${#peers[@]})) || peers=("${ALL_PEERS[@]}")
    for p in "${peers[@]}"; do valid_peer "$p" || die "unknown peer '$p' (${ALL_PEERS[*]})"; done
    need curl "used to wait until each peer answers"
    need setsid "util-linux's setsid starts each peer in its own process group"
    mkdir -p "$PEERS_DIR"
    for p in "${peers[@]}"; do "install_$p"; done
    if [[ -n ${PEERS_RUN_DIR:-} ]]; then
        run=${PEERS_RUN_DIR%/}
        mkdir -p "$run"
    else
        run=$(mktemp -d "$PEERS_DIR/run.XXXXXX")
    fi
    for p in "${peers[@]}"; do
        start_peer "$p" "$run" || failed=1
    done
    if ((failed)); then
        say "some peers did not start; the others keep running (bench/peers.sh stop ends them)"
        return 1
    fi
}

cmd_install() {
    local peers=("$@") p
    ((${#peers[@]})) || peers=("${ALL_PEERS[@]}")
    for p in "${peers[@]}"; do valid_peer "$p" || die "unknown peer '$p' (${ALL_PEERS[*]})"; done
    mkdir -p "$PEERS_DIR"
    for p in "${peers[@]}"; do "install_$p"; done
}

# --- status and stop -----------------------------------------------------------------------

# Each with a trailing slash.
run_dirs() {
    if [[ -n ${PEERS_RUN_DIR:-} ]]; then
        [[ -d $PEERS_RUN_DIR ]] && echo "${PEERS_RUN_DIR%/}/"
    else
        compgen -G "$PEERS_DIR/run.*/"
    fi || true
}

cmd_status() {
    local run f name pid
    for run in $(run_dirs); do
        for f in "$run"*.pid; do
            [[ -e $f ]] || continue
            name=$(basename "$f" .pid)
            pid=$(cat "$f")
            if ours "$pid"; then
                echo "$name=$(cat "$run$name.url") pid $pid"
            else
                echo "$name=$(cat "$run$name.url") stopped (log: $run$name.log)"
            fi
        done
    done
}

cmd_stop() {
    local run f name pid i
    for run in $(run_dirs); do
        for f in "$run"*.pid; do
            [[ -e $f ]] || continue
            name=$(basename "$f" .pid)
            pid=$(cat "$f")
            if ! ours "$pid"; then
                say "$name (pid $pid) is not running"
                continue
            fi
            kill -TERM -- "-$pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do
                alive "$pid" || break
                sleep 0.1
            done
            if alive "$pid"; then
                say "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
                kill -KILL -- "-$pid" 2>/dev/null || true
            fi
            say "stopped $name (pid $pid)"
        done
        rm -rf "$run"
    done
}

case ${1:-start} in
    start) shift || true; cmd_start "$@" ;;
    install) shift; cmd_install "$@" ;;
    status) cmd_status ;;
    stop) cmd_stop ;;
    -h | --help | help) sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
    *)
        valid_peer "$1" && { cmd_start "$@"; exit; }
        die "usage: bench/peers.sh [start|install|status|stop] [moto|dynalite|dynoxide ...]"
        ;;
esac
