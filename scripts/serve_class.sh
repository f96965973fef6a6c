#!/usr/bin/env bash
# A whole class at once: N Streamlit replicas of app.py behind nginx, with sticky sessions.
#
#     bash scripts/serve_class.sh N [PORT]      # e.g. scripts/serve_class.sh 2  ->  http://127.0.0.1:8080/
#
# Starts N replicas on 127.0.0.1, ports PORT+1 .. PORT+N (headless, MALLOC_ARENA_MAX=2, one shared
# server.cookieSecret), waits until each answers /_stcore/health, writes an nginx config from
# deploy/nginx.conf.template into a run directory, and runs Debian's nginx on 127.0.0.1:PORT in the
# foreground of this script (never as a system service, never with the system's config). Ctrl-C,
# SIGTERM or any exit stops nginx and every replica.
#
# Environment:
#   CLASS_RUN_DIR                   run directory (config, logs, pid files); default: a new temp dir,
#                                   removed on exit unless CLASS_KEEP_RUN_DIR=1 or it was given
#   STREAMLIT_SERVER_COOKIE_SECRET  shared secret for signed cookies; default: a random one per start
#   CLASS_COOKIE                    name of the sticky cookie; default: class_replica
#   CLASS_BIND                      address for nginx and the replicas; default: 127.0.0.1
#   PYTHON                          interpreter with streamlit; default: python3
#   Any other STREAMLIT_* variable reaches every replica, e.g. STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL.
set -euo pipefail

usage() { echo "usage: $0 N [PORT]   (N replicas behind nginx on 127.0.0.1:PORT, default 8080)" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
N="$1"; PORT="${2:-8080}"
[[ "$N" =~ ^[1-9][0-9]*$ ]] && [[ "$PORT" =~ ^[0-9]+$ ]] || usage
[ "$N" -le 32 ] || { echo "N=$N: at most 32 replicas" >&2; exit 2; }
[ $((PORT + N)) -le 65535 ] || { echo "PORT+N must be at most 65535" >&2; exit 2; }

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
BIND="${CLASS_BIND:-127.0.0.1}"
COOKIE="${CLASS_COOKIE:-class_replica}"
[[ "$COOKIE" =~ ^[A-Za-z0-9_]+$ ]] || { echo "CLASS_COOKIE must be letters, digits and _" >&2; exit 2; }

NGINX="$(command -v nginx || true)"
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
if [ -z "$NGINX" ]; then
    cat >&2 <<'MSG'
nginx is not installed. It comes from Debian's package (the service is not needed; this script runs
nginx itself, with its own config):
    apt-get update && apt-get install -y --no-install-recommends nginx
MSG
    exit 3
fi

port_busy() {  # exit 0 if something listens on $BIND:$1
    "$PYTHON" - "$BIND" "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(0)
sys.exit(1)
PY
}
for ((i = 0; i <= N; i++)); do
    if port_busy $((PORT + i)); then
        echo "port $((PORT + i)) on $BIND is in use (nginx takes PORT, the replicas PORT+1..PORT+N)" >&2
        exit 4
    fi
done

if [ -n "${CLASS_RUN_DIR:-}" ]; then
    RUN_DIR="$CLASS_RUN_DIR"; mkdir -p "$RUN_DIR"; KEEP=1
else
    RUN_DIR="$(mktemp -d -t serve_class.XXXXXX)"; KEEP="${CLASS_KEEP_RUN_DIR:-0}"
fi
RUN_DIR="$(cd "$RUN_DIR" && pwd)"
mkdir -p "$RUN_DIR/tmp"
chmod 755 "$RUN_DIR" "$RUN_DIR/tmp"   # nginx's workers run as nobody when started by root

if [ -z "${STREAMLIT_SERVER_COOKIE_SECRET:-}" ]; then
    STREAMLIT_SERVER_COOKIE_SECRET="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')"
fi
export STREAMLIT_SERVER_COOKIE_SECRET
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"   # see the README's Serving section

PIDS=()
NGINX_PID=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -TERM "$NGINX_PID" 2>/dev/null || true   # fast shutdown of the master and its workers
    fi
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do   # up to 10 s for a clean exit
        local alive=0
        for pid in "${PIDS[@]}" $NGINX_PID; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.2
    done
    for pid in "${PIDS[@]}" $NGINX_PID; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "$KEEP" = 1 ]; then echo "stopped; logs in $RUN_DIR" >&2; else rm -rf "$RUN_DIR"; echo "stopped" >&2; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$ROOT"
SERVERS=""
for ((i = 1; i <= N; i++)); do
    p=$((PORT + i))
    "$PYTHON" -m streamlit run app.py --server.headless=true --server.address="$BIND" --server.port="$p" \
        --browser.gatherUsageStats=false >"$RUN_DIR/replica-$i.log" 2>&1 &
    PIDS+=($!)
    echo $! >"$RUN_DIR/replica-$i.pid"
    SERVERS+="        server $BIND:$p max_fails=3 fail_timeout=10s;"$'\n'
done

for ((i = 1; i <= N; i++)); do
    p=$((PORT + i)); ok=0
    for _ in $(seq 300); do   # 60 s each
        kill -0 "${PIDS[$((i - 1))]}" 2>/dev/null || { echo "replica $i exited; see $RUN_DIR/replica-$i.log" >&2; tail -20 "$RUN_DIR/replica-$i.log" >&2; exit 5; }
        if [ "$("$PYTHON" -c "import urllib.request as u; print(u.urlopen('http://$BIND:$p/_stcore/health', timeout=2).read().decode())" 2>/dev/null)" = ok ]; then
            ok=1; break
        fi
        sleep 0.2
    done
    [ "$ok" = 1 ] || { echo "replica $i on port $p did not answer /_stcore/health in 60 s" >&2; exit 5; }
    echo "replica $i ready on http://$BIND:$p/ (pid ${PIDS[$((i - 1))]})"
done

"$PYTHON" - "$ROOT/deploy/nginx.conf.template" "$RUN_DIR/nginx.conf" "$RUN_DIR" "$BIND" "$PORT" "$COOKIE" "$SERVERS" <<'PY'
import sys
template, out, run_dir, bind, port, cookie, servers = sys.argv[1:]
text = open(template).read()
for key, value in {"RUN_DIR": run_dir, "BIND": bind, "PORT": port, "COOKIE": cookie,
                   "SERVERS": servers.rstrip("\n")}.items():
    text = text.replace(f"@{key}@", value)
assert "@" not in text.replace("@PLACEHOLDERS@", ""), "a placeholder was left in the nginx config"
open(out, "w").write(text)
PY
"$NGINX" -t -q -p "$RUN_DIR" -e "$RUN_DIR/nginx-error.log" -c "$RUN_DIR/nginx.conf"
"$NGINX" -p "$RUN_DIR" -e "$RUN_DIR/nginx-error.log" -c "$RUN_DIR/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
echo "$NGINX_PID" >"$RUN_DIR/nginx-master.pid"

for _ in $(seq 100); do
    kill -0 "$NGINX_PID" 2>/dev/null || { echo "nginx exited; see $RUN_DIR/nginx-error.log" >&2; cat "$RUN_DIR/nginx-error.log" >&2; exit 6; }
    if [ "$("$PYTHON" -c "import urllib.request as u; print(u.urlopen('http://$BIND:$PORT/healthz', timeout=2).read().decode())" 2>/dev/null)" = ok ]; then
        echo "serving $N replicas on http://$BIND:$PORT/ (health: /healthz; run dir $RUN_DIR; Ctrl-C stops all)"
        echo "ready" >"$RUN_DIR/ready"
        wait "$NGINX_PID" || true   # until nginx ends or a signal arrives (then the trap cleans up)
        echo "nginx stopped" >&2
        exit 1
    fi
    sleep 0.1
done
echo "nginx did not answer /healthz on port $PORT in 10 s" >&2
exit 6
