#!/usr/bin/env bash
# Runs the same MQTT workloads against Debian's mosquitto and against Verbund, one broker at a
# time (each workload on a freshly started broker), and prints a comparison table.
#
#   bench/mqtt/run.sh [--quick] [--only mosquitto|verbund] [--skip-idle | --idle-only]
#
# Workloads: QoS 0 and QoS 1 throughput with $PAIRS publisher/subscriber pairs and
# $PAYLOAD-byte payloads; fan-out 1 publisher -> $FANOUT_SUBS subscribers; p50/p99 latency at a
# fixed rate; resident memory per idle connection at $IDLE_CONNS connections.
# Everything is overridable through the environment variables below. Results (one JSON line
# per run) are kept in $OUT_DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_BIN=${BENCH_BIN:-$ROOT/build/tools/bench/verbund-bench}
VERBUND_BIN=${VERBUND_BIN:-$ROOT/build/src/server/verbund}
MOSQUITTO_BIN=${MOSQUITTO_BIN:-/usr/sbin/mosquitto}
PYTHON=${PYTHON:-/usr/bin/python3}

DURATION=${DURATION:-10}            # seconds per throughput/latency run
PAIRS=${PAIRS:-16}
PAYLOAD=${PAYLOAD:-64}
INFLIGHT=${INFLIGHT:-1024}          # broker inflight window (mosquitto max_inflight_messages,
                                    # Verbund mqtt.receive_maximum)
PUB_WINDOW=${PUB_WINDOW:-32}        # QoS 1 messages in flight per publisher (bigger windows only
                                    # add queueing latency: latency ~ window / throughput)
QUEUED=${QUEUED:-1000000}           # max queued messages per session, both brokers
FANOUT_SUBS=${FANOUT_SUBS:-1000}
FANOUT_RATE=${FANOUT_RATE:-100}     # publishes/s of the fan-out publisher
LATENCY_RATE=${LATENCY_RATE:-200}   # publishes/s per publisher in the latency run (QoS 1)
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_HOLD=${IDLE_HOLD:-5}           # seconds the idle connections are held after the sample
SOURCE_IPS=${SOURCE_IPS:-127.0.0.1-127.0.0.50}
MQTT_VERSION=${MQTT_VERSION:-4}
BENCH_THREADS=${BENCH_THREADS:-0}
OUT_DIR=${OUT_DIR:-}

only=""
skip_idle=0
idle_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) DURATION=3; IDLE_CONNS=${IDLE_CONNS_QUICK:-2000}; FANOUT_SUBS=${FANOUT_SUBS_QUICK:-200} ;;
    --only) only="$2"; shift ;;
    --skip-idle) skip_idle=1 ;;
    --idle-only) idle_only=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "run.sh: $*" >&2; exit 1; }
[[ -x "$BENCH_BIN" ]] || die "no bench binary at $BENCH_BIN (ninja -C build verbund-bench)"
[[ -x "$PYTHON" ]] || die "no $PYTHON"

# Idle connections need one descriptor each, in the bench and in the broker.
ulimit -n "$(ulimit -Hn)" || true
if (( IDLE_CONNS + 100 > $(ulimit -n) )); then
  echo "run.sh: lowering IDLE_CONNS to fit ulimit -n $(ulimit -n)" >&2
  IDLE_CONNS=$(( $(ulimit -n) - 100 ))
fi

WORK=$(mktemp -d /tmp/verbund-mqtt-bench.XXXXXX)
OUT_DIR=${OUT_DIR:-$WORK/results}
mkdir -p "$OUT_DIR"
BROKER_PID=""

cleanup() {
  stop_broker
  rm -rf "$WORK/verbund-data"
}
trap cleanup EXIT

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
  local port=$1 i
  for i in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if [[ -n "$BROKER_PID" ]] && ! kill -0 "$BROKER_PID" 2>/dev/null; then return 1; fi
    sleep 0.05
  done
  return 1
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

start_mosquitto() {
  local port=$1
  cat > "$WORK/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_connections -1
max_inflight_messages $INFLIGHT
max_queued_messages $QUEUED
set_tcp_nodelay true
log_dest file $WORK/mosquitto.log
CONF
  "$MOSQUITTO_BIN" -c "$WORK/mosquitto.conf" >> "$WORK/mosquitto.out" 2>&1 &
  BROKER_PID=$!
}

start_verbund() {
  local port=$1 http_port
  http_port=$(free_port)
  rm -rf "$WORK/verbund-data"
  cat > "$WORK/verbund.toml" <<CONF
data_dir = "$WORK/verbund-data"

[mqtt]
listen = "127.0.0.1:$port"
tls_listen = ""
ws_listen = ""
receive_maximum = $INFLIGHT
max_queued_messages = $QUEUED

[http]
listen = "127.0.0.1:$http_port"
auth = false

[ingest]
enabled = false
CONF
  "$VERBUND_BIN" --config "$WORK/verbund.toml" >> "$WORK/verbund.out" 2>&1 &
  BROKER_PID=$!
}

stop_broker() {
  if [[ -n "$BROKER_PID" ]] && kill -0 "$BROKER_PID" 2>/dev/null; then
    kill "$BROKER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
  fi
  BROKER_PID=""
}

# run_bench BROKER NAME ARGS...: fresh broker, one bench run, JSON kept in $OUT_DIR/BROKER_NAME.json
run_bench() {
  local broker=$1 name=$2 port; shift 2
  port=$(free_port)
  "start_$broker" "$port"
  wait_port "$port" || { echo "  $broker did not start (see $WORK/$broker.out)" >&2; stop_broker; return 0; }
  echo "  $name: verbund-bench $*" >&2
  if ! "$BENCH_BIN" --port "$port" --mqtt-version "$MQTT_VERSION" --threads "$BENCH_THREADS" \
        --json --quiet "$@" | tail -n 1 > "$OUT_DIR/${broker}_$name.json"; then
    echo "  $name: bench failed" >&2
  fi
  stop_broker
}

run_idle() {
  local broker=$1 port base rss fifo line pid; port=$(free_port)
  "start_$broker" "$port"
  wait_port "$port" || { echo "  $broker did not start" >&2; stop_broker; return 0; }
  sleep 0.5
  base=$(rss_kb "$BROKER_PID")
  echo "  idle: $IDLE_CONNS connections over $SOURCE_IPS (broker RSS before: ${base} kB)" >&2
  fifo="$WORK/idle.fifo"; rm -f "$fifo"; mkfifo "$fifo"
  "$BENCH_BIN" --port "$port" --mqtt-version "$MQTT_VERSION" --threads "$BENCH_THREADS" \
      --idle "$IDLE_CONNS" --duration "$IDLE_HOLD" --source-ips "$SOURCE_IPS" --json > "$fifo" &
  pid=$!
  rss=""
  local result=""
  while IFS= read -r line; do
    if [[ "$line" == READY* ]]; then
      sleep 1  # let the broker settle after the last CONNACK
      rss=$(rss_kb "$BROKER_PID" || echo "")
    elif [[ "$line" == "{"* ]]; then
      result=$line
    fi
  done < "$fifo"
  wait "$pid" || true
  if [[ -n "$result" && -n "$rss" ]]; then
    "$PYTHON" - "$result" "$base" "$rss" > "$OUT_DIR/${broker}_idle.json" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); base = int(sys.argv[2]); rss = int(sys.argv[3])
r["rss_before_kb"] = base; r["rss_after_kb"] = rss
r["bytes_per_conn"] = (rss - base) * 1024 / r["connected"] if r["connected"] else None
print(json.dumps(r))
PY
  fi
  stop_broker
}

run_suite() {
  local broker=$1
  echo "== $broker" >&2
  if (( idle_only )); then run_idle "$broker"; return; fi
  run_bench "$broker" qos0 --publishers "$PAIRS" --subscribers "$PAIRS" --qos 0 \
      --payload "$PAYLOAD" --duration "$DURATION"
  run_bench "$broker" qos1 --publishers "$PAIRS" --subscribers "$PAIRS" --qos 1 \
      --payload "$PAYLOAD" --duration "$DURATION" --inflight "$PUB_WINDOW"
  run_bench "$broker" fanout --fanout --publishers 1 --subscribers "$FANOUT_SUBS" --qos 0 \
      --payload "$PAYLOAD" --rate "$FANOUT_RATE" --duration "$DURATION" --source-ips "$SOURCE_IPS"
  run_bench "$broker" latency --publishers "$PAIRS" --subscribers "$PAIRS" --qos 1 \
      --payload "$PAYLOAD" --rate "$LATENCY_RATE" --duration "$DURATION"
  (( skip_idle )) || run_idle "$broker"
}

if [[ -z "$only" || "$only" == mosquitto ]]; then
  if [[ -x "$MOSQUITTO_BIN" ]]; then run_suite mosquitto; else echo "== mosquitto: $MOSQUITTO_BIN missing, skipped" >&2; fi
fi
if [[ -z "$only" || "$only" == verbund ]]; then
  if [[ -x "$VERBUND_BIN" ]]; then run_suite verbund
  else echo "== verbund: no binary at $VERBUND_BIN (set VERBUND_BIN), skipped" >&2; fi
fi

"$PYTHON" - "$OUT_DIR" <<'PY'
import json, os, sys
out = sys.argv[1]
def load(broker, name):
    try:
        with open(os.path.join(out, f"{broker}_{name}.json")) as f:
            return json.loads(f.read().strip() or "null")
    except (OSError, ValueError):
        return None
def get(r, *path):
    for p in path:
        if r is None: return None
        r = r.get(p)
    return r
rows = [  # label, workload, path, unit, higher_is_better
    ("QoS 0 throughput (received)", "qos0", ("received_per_s",), "msg/s", True),
    ("QoS 0 delivered / expected", "qos0", ("delivery",), "%", True),
    ("QoS 1 throughput (received)", "qos1", ("received_per_s",), "msg/s", True),
    ("QoS 1 p99 latency under load", "qos1", ("latency_us", "p99"), "us", False),
    ("Fan-out deliveries", "fanout", ("received_per_s",), "msg/s", True),
    ("Fan-out p99 latency", "fanout", ("latency_us", "p99"), "us", False),
    ("Fixed-rate p50 latency", "latency", ("latency_us", "p50"), "us", False),
    ("Fixed-rate p99 latency", "latency", ("latency_us", "p99"), "us", False),
    ("Idle connections held", "idle", ("connected",), "", True),
    ("RSS per idle connection", "idle", ("bytes_per_conn",), "bytes", False),
    ("Errors (all runs)", None, ("errors",), "", False),
]
def value(broker, name, path):
    if name is None:
        total, any_ = 0, False
        for w in ("qos0", "qos1", "fanout", "latency", "idle"):
            r = load(broker, w)
            if r is not None: total += r.get("errors", 0); any_ = True
        return total if any_ else None
    r = load(broker, name)
    if path == ("delivery",):
        return 100.0 * r["received"] / r["expected"] if r and r.get("expected") else None
    return get(r, *path)
def fmt(v):
    if v is None: return "-"
    if isinstance(v, float): return f"{v:,.1f}" if abs(v) < 100 else f"{v:,.0f}"
    return f"{v:,}"
print()
print(f"{'metric':34} {'mosquitto':>14} {'verbund':>14} {'verbund/mosq':>13}")
print("-" * 78)
for label, name, path, unit, higher in rows:
    m, v = value("mosquitto", name, path), value("verbund", name, path)
    ratio = f"{v / m:.2f}x" if m and v is not None and m != 0 else "-"
    print(f"{label + (' (' + unit + ')' if unit else ''):34} {fmt(m):>14} {fmt(v):>14} {ratio:>13}")
print()
print("verbund/mosq: throughput > 1 is better; latency, memory < 1 is better.")
print(f"raw results: {out}")
PY
