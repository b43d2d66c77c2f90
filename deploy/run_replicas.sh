#!/usr/bin/env bash
# Start N replicas of the app and nginx in front of them (sticky sessions, websockets), all on
# loopback, every port chosen free. Stops everything it started when it is interrupted
# (Ctrl-C, SIGTERM), when nginx exits, or after --max-seconds.
#
#   deploy/run_replicas.sh [--replicas N] [--run-dir DIR] [--port PORT] [--max-seconds S] [--redis]
#
# Class mode's rooms live in the store named by MAXPOOL_ROOM_STORE (the replicas inherit it).
# --redis starts a redis-server of its own on a free loopback port (no persistence) for them,
# prints "REDIS redis://127.0.0.1:<port>/0" and stops it with the rest. Without either, the
# replicas share the SQLite file data/rooms.sqlite3 of this checkout (fine on one machine).
#
# Prints one line per replica, "REPLICA <i> http://127.0.0.1:<port> <pid>", then
# "READY http://127.0.0.1:<port>" once nginx answers; open that address in a browser.
# Needs nginx (Debian: apt-get install nginx) and the app's requirements.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PYTHON="${PYTHON:-python3}"
REPLICAS=2
RUN_DIR=""
PORT=""
MAX_SECONDS=0
REDIS=0

while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) REPLICAS="$2"; shift 2 ;;
    --run-dir) RUN_DIR="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --max-seconds) MAX_SECONDS="$2"; shift 2 ;;
    --redis) REDIS=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

NGINX="$(command -v nginx || true)"
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
if [ -z "$NGINX" ]; then
  echo "nginx is not installed (Debian: apt-get install nginx)" >&2
  exit 3
fi

RUN_DIR="${RUN_DIR:-$(mktemp -d -t maxpool-replicas.XXXXXX)}"
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"
chmod 755 "$RUN_DIR"   # nginx workers (an unprivileged user when started as root) must reach it

# Free loopback ports: bind port 0 for each, all held until every one is chosen, so none repeats.
free_ports() {
  "$PYTHON" - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

wait_http() {  # url timeout_seconds
  "$PYTHON" - "$1" "$2" <<'PY'
import sys, time, urllib.request
url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        time.sleep(0.25)
sys.exit(1)
PY
}

PIDS=()
NGINX_PID=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID" 2>/dev/null || true; fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "$NGINX_PID" "${PIDS[@]}"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

if [ "$REDIS" = 1 ]; then
  REDIS_SERVER="$(command -v redis-server || true)"
  [ -z "$REDIS_SERVER" ] && [ -x /usr/bin/redis-server ] && REDIS_SERVER=/usr/bin/redis-server
  if [ -z "$REDIS_SERVER" ]; then
    echo "redis-server is not installed (Debian: apt-get install redis-server)" >&2
    exit 3
  fi
  read -r REDIS_PORT <<<"$(free_ports 1)"
  "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$RUN_DIR" \
    --loglevel warning >"$RUN_DIR/redis.log" 2>&1 &
  PIDS+=($!)
  # Listening before the replicas' ports are chosen, so that none of them can take its port.
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break; sleep 0.1; done
  export MAXPOOL_ROOM_STORE="redis://127.0.0.1:$REDIS_PORT/0"
  echo "REDIS $MAXPOOL_ROOM_STORE"
fi

read -r -a PORTS <<<"$(free_ports $((REPLICAS + 1)))"
PORT="${PORT:-${PORTS[$REPLICAS]}}"

ADDRESSES=()
for i in $(seq 1 "$REPLICAS"); do
  p="${PORTS[$((i - 1))]}"
  (cd "$ROOT" && exec "$PYTHON" -m streamlit run app.py --server.address 127.0.0.1 --server.port "$p" \
      --server.headless true --browser.gatherUsageStats false) >"$RUN_DIR/replica-$i.log" 2>&1 &
  PIDS+=($!)
  ADDRESSES+=("127.0.0.1:$p")
done
for i in $(seq 1 "$REPLICAS"); do
  p="${PORTS[$((i - 1))]}"
  if ! wait_http "http://127.0.0.1:$p/_stcore/health" 90; then
    echo "replica $i on port $p did not become healthy; its log:" >&2
    tail -n 30 "$RUN_DIR/replica-$i.log" >&2
    exit 4
  fi
  echo "REPLICA $i http://127.0.0.1:$p ${PIDS[$((i - 1))]}"
done

# Fill in the template: the run folder, the listen address, and per replica its server line, its own
# upstream (itself first, the others as backups), its cookie value and the pattern that recognises it
# in $upstream_addr. A replica is marked down for 5 s after 2 failed connections in a row.
"$PYTHON" - "$HERE/nginx.conf.template" "$RUN_DIR/nginx.conf" "$RUN_DIR" "127.0.0.1:$PORT" "${ADDRESSES[@]}" <<'PY'
import re
import sys

template, out, run_dir, listen, *addresses = sys.argv[1:]
health = "max_fails=2 fail_timeout=5s"
names = [f"replica{i}" for i in range(1, len(addresses) + 1)]
pinned = [
    f"upstream {name} {{ server {a} {health}; " + " ".join(f"server {b} backup;" for b in addresses if b != a) + " }"
    for name, a in zip(names, addresses)
]
fill = {
    "@RUN_DIR@": run_dir,
    "@LISTEN@": listen,
    "@UPSTREAMS@": " ".join(f"server {a} {health};" for a in addresses),
    "@PINNED@": "\n    ".join(pinned),
    "@ROUTES@": " ".join(f"{name} {name};" for name in names),
    "@SERVED@": " ".join(f'"~(^|, ){re.escape(a)}$" {name};' for name, a in zip(names, addresses)),
}
lines = open(template).read().splitlines(keepends=True)
for n, line in enumerate(lines):
    if not line.lstrip().startswith("#"):  # the header comment names the placeholders: keep it readable
        for key, value in fill.items():
            line = line.replace(key, value)
        lines[n] = line
open(out, "w").write("".join(lines))
PY
"$NGINX" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/error.log"
"$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/error.log" -g 'daemon off;' &
NGINX_PID=$!
if ! wait_http "http://127.0.0.1:$PORT/_stcore/health" 30; then
  echo "nginx did not answer on port $PORT; its error log:" >&2
  tail -n 30 "$RUN_DIR/error.log" >&2
  exit 5
fi
echo "NGINX $NGINX_PID $RUN_DIR/nginx.conf"
echo "READY http://127.0.0.1:$PORT"

START=$SECONDS
while kill -0 "$NGINX_PID" 2>/dev/null; do
  if [ "$MAX_SECONDS" -gt 0 ] && [ $((SECONDS - START)) -ge "$MAX_SECONDS" ]; then
    echo "stopping after --max-seconds $MAX_SECONDS" >&2
    break
  fi
  sleep 1
done
