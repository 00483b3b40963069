#!/usr/bin/env bash
# The MQTT QoS 1 throughput workload of bench/mqtt/run.sh against the same hub binary with the
# audit log off and on ([audit] enabled = false | true, fsync always), alternating runs on a
# fresh data directory each, and the on/off ratio of the medians.
#
#   bench/audit/qos1_audit.sh [--quick] [--rounds N]
#
# What the audit log adds on this path: one durable entry per CONNECT (the CONNACK waits for its
# fdatasync), one per SUBSCRIBE filter and per disconnect; nothing per PUBLISH (only denied ones
# are recorded). INGEST=true stores the readings too (QoS 1 then waits for the WAL as well).
# Environment: DURATION PAIRS PAYLOAD INFLIGHT PUB_WINDOW MQTT_VERSION BENCH_THREADS INGEST
# BENCH_BIN VERBUND_BIN.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_BIN=${BENCH_BIN:-$ROOT/build/tools/bench/verbund-bench}
VERBUND_BIN=${VERBUND_BIN:-$ROOT/build/src/server/verbund}
PYTHON=${PYTHON:-/usr/bin/python3}
DURATION=${DURATION:-10}
PAIRS=${PAIRS:-16}
PAYLOAD=${PAYLOAD:-64}
INFLIGHT=${INFLIGHT:-1024}
PUB_WINDOW=${PUB_WINDOW:-32}
MQTT_VERSION=${MQTT_VERSION:-4}
BENCH_THREADS=${BENCH_THREADS:-0}
INGEST=${INGEST:-false}
ROUNDS=${ROUNDS:-3}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) DURATION=3; ROUNDS=1 ;;
    --rounds) ROUNDS="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "qos1_audit.sh: $*" >&2; exit 1; }
[[ -x "$BENCH_BIN" ]] || die "no bench binary at $BENCH_BIN (ninja -C build verbund-bench)"
[[ -x "$VERBUND_BIN" ]] || die "no hub binary at $VERBUND_BIN (ninja -C build verbund)"

WORK=$(mktemp -d /tmp/verbund-audit-bench.XXXXXX)
HUB_PID=""
cleanup() {
  stop_hub
  rm -rf "$WORK/data"
}
trap cleanup EXIT

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
  local port=$1 i
  for i in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$HUB_PID" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

start_hub() {
  local audit=$1 port=$2
  rm -rf "$WORK/data"
  cat > "$WORK/verbund.toml" <<CONF
data_dir = "$WORK/data"

[mqtt]
listen = "127.0.0.1:$port"
tls_listen = ""
ws_listen = ""
receive_maximum = $INFLIGHT
max_queued_messages = 1000000

[http]
listen = "127.0.0.1:$(free_port)"
auth = false

[audit]
enabled = $audit
fsync = "always"

[ingest]
enabled = $INGEST
CONF
  "$VERBUND_BIN" --config "$WORK/verbund.toml" >> "$WORK/verbund-audit-$audit.out" 2>&1 &
  HUB_PID=$!
}

stop_hub() {
  if [[ -n "$HUB_PID" ]] && kill -0 "$HUB_PID" 2>/dev/null; then
    kill "$HUB_PID" 2>/dev/null || true
    for _ in $(seq 1 200); do kill -0 "$HUB_PID" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$HUB_PID" 2>/dev/null || true
    wait "$HUB_PID" 2>/dev/null || true
  fi
  HUB_PID=""
}

run_once() {
  local audit=$1 round=$2 port
  port=$(free_port)
  start_hub "$audit" "$port"
  wait_port "$port" || die "hub did not start (see $WORK/verbund-audit-$audit.out)"
  "$BENCH_BIN" --port "$port" --mqtt-version "$MQTT_VERSION" --threads "$BENCH_THREADS" \
      --publishers "$PAIRS" --subscribers "$PAIRS" --qos 1 --payload "$PAYLOAD" \
      --duration "$DURATION" --inflight "$PUB_WINDOW" --json --quiet |
    tail -n 1 > "$WORK/audit_${audit}_$round.json"
  local entries=""
  if [[ "$audit" == true ]]; then
    stop_hub  # the final tree head covers every entry
    entries=$("$ROOT/build/tools/verbundctl/verbundctl" audit sth --dir "$WORK/data/audit" 2>/dev/null |
              "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])' || echo "?")
  fi
  stop_hub
  echo "  audit=$audit round $round: $("$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.0f msg/s, p99 %s us" % (r["received_per_s"], r["latency_us"]["p99"]))' "$WORK/audit_${audit}_$round.json")${entries:+, $entries audit entries}" >&2
}

echo "QoS 1 throughput, $PAIRS pairs, $PUB_WINDOW in flight, ${PAYLOAD}-byte payloads, ${DURATION}s, ingest=$INGEST, $ROUNDS round(s)" >&2
for round in $(seq 1 "$ROUNDS"); do
  run_once false "$round"
  run_once true "$round"
done

"$PYTHON" - "$WORK" "$ROUNDS" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def runs(audit):
    out = []
    for r in range(1, rounds + 1):
        try:
            out.append(json.load(open(f"{work}/audit_{audit}_{r}.json")))
        except (OSError, ValueError):
            pass
    return out
off, on = runs("false"), runs("true")
def med(rs, f):
    return statistics.median(f(r) for r in rs) if rs else float("nan")
thr = lambda r: r["received_per_s"]
p99 = lambda r: r["latency_us"]["p99"]
err = lambda r: r.get("errors", 0)
print("| QoS 1 workload | audit off | audit on | on/off |")
print("|---|---|---|---|")
a, b = med(off, thr), med(on, thr)
print(f"| throughput (received, msg/s, median of {rounds}) | {a:,.0f} | {b:,.0f} | {b / a:.3f} |")
a, b = med(off, p99), med(on, p99)
print(f"| p99 latency under load (us) | {a:,.0f} | {b:,.0f} | {b / a:.3f} |")
print(f"| errors | {sum(map(err, off))} | {sum(map(err, on))} | |")
PY
