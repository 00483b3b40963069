#!/usr/bin/env bash
# HTTP ingest under several client shapes: InfluxDB 1.6 (influxd), VictoriaMetrics (Debian's
# victoria-metrics, which takes InfluxDB line protocol on /write) and the Verbund hub, one run,
# same machine, same data, same load client (bench/http/loadclient.py).
#
#   bench/http/ingest_shapes.sh                  # 1M TSBS-IoT lines, the shapes below
#   SHAPES="4x5000 16x1000" TRUCKS=200 bench/http/ingest_shapes.sh
#
# For every shape WORKERSxLINES (keep-alive connections x lines per body) each server is started
# on an empty data directory, written the whole data set (every answer must be 204), and
# stopped; reported: values/s, the ratios Verbund/influxd and Verbund/victoria-metrics, server
# CPU per value (user+sys of the server process during the write) and the client's CPU.
# Durability as each peer offers it: influxd fsyncs its WAL before answering (wal-fsync-delay 0s),
# Verbund fsyncs its WAL before the 204 (storage.fsync = "always"); victoria-metrics has no
# synchronous durability (it buffers in memory and flushes every second), so it does less work.
# Env: BUILD, VERBUND, GEN, GEN_ARGS (e.g. "--out-of-order 0.1 --max-delay 30"), TRUCKS (default
# 100), LINES_TOTAL (default 1000000), SHAPES, KEEP=1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/http"
CMDLINE="$0 $*"
ENVLINE=""
for v in BUILD VERBUND GEN GEN_ARGS TRUCKS LINES_TOTAL SHAPES; do
  [[ -n "${!v:-}" ]] && ENVLINE+="$v=${!v} "
done
TRUCKS="${TRUCKS:-100}"
LINES_TOTAL="${LINES_TOTAL:-1000000}"
SHAPES="${SHAPES:-1x1000 1x10000 4x5000 16x1000 16x10000}"
PY=/usr/bin/python3
CLIENT="$HERE/loadclient.py"
. "$HERE/lib.sh"

BUILD="${BUILD:-}"
for b in "$BUILD" "$ROOT/build-lead" "$ROOT/build"; do
  if [[ -n "$b" && -x "$b/src/server/verbund" ]]; then BUILD="$b"; break; fi
done
VERBUND="${VERBUND:-$BUILD/src/server/verbund}"
GEN="${GEN:-$BUILD/tools/tsbs/verbund-tsbs-gen}"
[[ -x "$VERBUND" ]] || { echo "no verbund binary (set BUILD or VERBUND)"; exit 1; }
[[ -x "$GEN" ]] || { echo "no verbund-tsbs-gen (ninja -C <build> verbund-tsbs-gen)"; exit 1; }
INFLUXD="$(command -v influxd || echo /usr/sbin/influxd)"
VM="$(command -v victoria-metrics || echo /usr/bin/victoria-metrics)"
[[ -x "$INFLUXD" ]] || { echo "influxd not found (scripts/dev setup)"; exit 1; }
[[ -x "$VM" ]] || { echo "victoria-metrics not found (scripts/dev setup)"; exit 1; }

WORK="$(mktemp -d /tmp/verbund-ingest-shapes.XXXXXX)"
PID=""
cleanup() {
  [[ -n "$PID" ]] && stop_pid "$PID"
  if [[ -z "${KEEP:-}" ]]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

# --- data: TRUCKS trucks, as many 10 s steps as LINES_TOTAL needs (2 lines per truck and step)
STEPS=$(( (LINES_TOTAL + 2 * TRUCKS - 1) / (2 * TRUCKS) ))
DATA="$WORK/data.lp"
"$GEN" --trucks "$TRUCKS" --duration "$((STEPS * 10))s" ${GEN_ARGS:-} > "$DATA"
NLINES=$(wc -l < "$DATA")
echo "== ingest shapes: $NLINES TSBS-IoT lines ($TRUCKS trucks), shapes (connections x lines/body): $SHAPES"
echo "   machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   influxd: $("$INFLUXD" version 2>/dev/null | head -1); victoria-metrics: $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null)"
echo "   verbund: $("$VERBUND" --version 2>/dev/null | head -1)"

start_influxd() {  # start_influxd DIR -> PID, PORT
  local d="$1"; PORT=$(free_port); local rpc; rpc=$(free_port)
  mkdir -p "$d"
  cat > "$d/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$d/meta"
[data]
  dir = "$d/data"
  wal-dir = "$d/wal"
  cache-max-memory-size = "8g"
  max-series-per-database = 0
  max-values-per-tag = 0
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$PORT"
  log-enabled = false
  max-body-size = 0
  max-concurrent-write-limit = 0
  max-enqueued-write-limit = 0
  max-connection-limit = 0
[continuous_queries]
  enabled = false
[logging]
  level = "error"
CONF
  "$INFLUXD" run -config "$d/influxdb.conf" > "$d/log" 2>&1 &
  PID=$!
  wait_url "http://127.0.0.1:$PORT/ping" influxd "$d/log"
  curl -sS -XPOST "http://127.0.0.1:$PORT/query" --data-urlencode "q=CREATE DATABASE benchmark" >/dev/null
}
start_vm() {
  local d="$1"; PORT=$(free_port)
  mkdir -p "$d"
  "$VM" -storageDataPath "$d/data" -httpListenAddr "127.0.0.1:$PORT" -retentionPeriod 100y \
    -loggerLevel ERROR > "$d/log" 2>&1 &
  PID=$!
  wait_url "http://127.0.0.1:$PORT/health" victoria-metrics "$d/log"
}
start_verbund() {
  local d="$1"; PORT=$(free_port); local mqtt; mqtt=$(free_port)
  mkdir -p "$d/data"
  cat > "$d/verbund.toml" <<CONF
data_dir = "$d/data"
log_level = "warn"
[mqtt]
listen = "127.0.0.1:$mqtt"
tls_listen = ""
ws_listen = ""
[http]
listen = "127.0.0.1:$PORT"
auth = false
[storage]
fsync = "always"
[ingest]
enabled = false
CONF
  "$VERBUND" --config "$d/verbund.toml" > "$d/log" 2>&1 &
  PID=$!
  wait_url "http://127.0.0.1:$PORT/ping" verbund "$d/log"
  curl -sS -XPOST "http://127.0.0.1:$PORT/query" --data-urlencode "q=CREATE DATABASE benchmark" >/dev/null
}

RESULTS="$WORK/results.jsonl"
for shape in $SHAPES; do
  workers=${shape%x*}; batch=${shape#*x}
  echo "== shape $shape: $workers connections, $batch lines per body"
  for server in influxdb victoria-metrics verbund; do
    dir="$WORK/$server-$shape"
    case $server in
      influxdb) start_influxd "$dir" ;;
      victoria-metrics) start_vm "$dir" ;;
      verbund) start_verbund "$dir" ;;
    esac
    c0=$(cpu_s "$PID")
    $PY "$CLIENT" write --port "$PORT" --file "$DATA" --batch "$batch" --workers "$workers" \
      --label "$server" --out "$dir/w.json"
    cpu=$(awk -v a="$c0" -v b="$(cpu_s "$PID")" 'BEGIN{printf "%.2f", b - a}')
    stop_pid "$PID"; PID=""
    $PY - "$dir/w.json" "$server" "$shape" "$cpu" >> "$RESULTS" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps({"server": sys.argv[2], "shape": sys.argv[3], "server_cpu_s": float(sys.argv[4]),
                  "values": r["values"], "vps": r["values_per_second"],
                  "client_cpu_s": r["client_cpu_s"], "errors": r["errors"]}))
PYEOF
  done
done

$PY - "$RESULTS" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["shape"], r["server"]): r for r in rows}
shapes = list(dict.fromkeys(r["shape"] for r in rows))
print()
print("| shape (conn x lines) | influxdb values/s | victoria-metrics values/s | verbund values/s "
      "| verbund/influxdb | verbund/vm | server CPU ns/value (influx / vm / verbund) | client CPU s |")
print("|---|---|---|---|---|---|---|---|")
for s in shapes:
    i, m, v = by[(s, "influxdb")], by[(s, "victoria-metrics")], by[(s, "verbund")]
    ns = lambda r: r["server_cpu_s"] * 1e9 / r["values"]
    print("| %s | %s | %s | %s | **%.2fx** | **%.2fx** | %.0f / %.0f / %.0f | %.1f / %.1f / %.1f |" % (
        s, format(round(i["vps"]), ","), format(round(m["vps"]), ","), format(round(v["vps"]), ","),
        v["vps"] / i["vps"], v["vps"] / m["vps"], ns(i), ns(m), ns(v),
        i["client_cpu_s"], m["client_cpu_s"], v["client_cpu_s"]))
bad = [r for r in rows if r["errors"]]
for r in bad:
    print("WRITE ERRORS %s %s: %s" % (r["server"], r["shape"], r["errors"][:2]))
PYEOF
echo
echo "command: ${ENVLINE}${CMDLINE}"
