#!/usr/bin/env bash
# Side-by-side HTTP benchmark: InfluxDB 1.6 (Debian's influxd) vs the Verbund hub, one run, same
# machine, same load client (bench/http/loadclient.py, python3 stdlib), same TSBS-IoT data.
#
#   bench/http/run.sh                         # 100 trucks x 1 day (1.73M lines, ~8.6M values)
#   bench/http/run.sh --quick                 # 20 trucks x 6h
#   TRUCKS=50 DURATION=12h WORKERS=4 REPS=20 bench/http/run.sh
#
# Steps: generate data -> start influxd and verbund on free 127.0.0.1 ports with temp dirs ->
# CREATE DATABASE benchmark on both -> POST /write?db=benchmark&precision=ns in 5000-line batches
# with WORKERS keep-alive connections (every answer must be 204) -> bytes on disk per value ->
# TSBS-IoT-style queries, REPS times each (median) -> table.
# Env: BUILD (default build-lead, then build), VERBUND, GEN, TRUCKS, DURATION, WORKERS, BATCH,
# REPS, KEEP=1 (keep the temp dir).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/http"
CMDLINE="$0 $*"
ENVLINE=""
for v in BUILD VERBUND GEN TRUCKS DURATION WORKERS BATCH REPS; do
  [[ -n "${!v:-}" ]] && ENVLINE+="$v=${!v} "
done
if [[ "${1:-}" == "--quick" ]]; then
  TRUCKS="${TRUCKS:-20}"; DURATION="${DURATION:-6h}"
fi
TRUCKS="${TRUCKS:-100}"
DURATION="${DURATION:-1d}"
WORKERS="${WORKERS:-4}"
BATCH="${BATCH:-5000}"
REPS="${REPS:-20}"
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
INFLUXD="$(command -v influxd || true)"
[[ -z "$INFLUXD" && -x /usr/sbin/influxd ]] && INFLUXD=/usr/sbin/influxd
[[ -n "$INFLUXD" ]] || { echo "influxd not found (apt-get install influxdb)"; exit 1; }

WORK="$(mktemp -d /tmp/verbund-http-bench.XXXXXX)"
INFLUX_PID=""
VERBUND_PID=""
cleanup() {
  [[ -n "$INFLUX_PID" ]] && stop_pid "$INFLUX_PID"
  [[ -n "$VERBUND_PID" ]] && stop_pid "$VERBUND_PID"
  if [[ -z "${KEEP:-}" ]]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT
wait_ping() { wait_url "http://127.0.0.1:$1/ping" "$2" "$3"; }  # wait_ping PORT NAME LOG

echo "== verbund HTTP benchmark: $TRUCKS trucks x $DURATION, batch $BATCH lines, $WORKERS workers, $REPS reps/query"
echo "   machine: $(nproc) cores, $(uname -r); influxd: $("$INFLUXD" version 2>/dev/null | head -1)"
echo "   verbund: $("$VERBUND" --version 2>/dev/null | head -1)"

# --- 1. data
DATA="$WORK/data.lp"
START_NS=1451606400000000000   # verbund-tsbs-gen default --start (2016-01-01T00:00:00Z)
"$GEN" --trucks "$TRUCKS" --duration "$DURATION" --start "$START_NS" > "$DATA"
case "$DURATION" in
  *d) DUR_S=$((${DURATION%d} * 86400)) ;; *h) DUR_S=$((${DURATION%h} * 3600)) ;;
  *m) DUR_S=$((${DURATION%m} * 60)) ;; *s) DUR_S=${DURATION%s} ;; *) echo "bad DURATION $DURATION"; exit 1 ;;
esac
DUR_NS=$((DUR_S * 1000000000))
END_NS=$((START_NS + DUR_NS))
LINES=$(wc -l < "$DATA")
echo "   data: $LINES lines, $(du -h "$DATA" | cut -f1), time range [$START_NS, $END_NS) ns"

# --- 2. servers
I_HTTP=$(free_port); I_RPC=$(free_port)
mkdir -p "$WORK/influx"
cat > "$WORK/influx/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$I_RPC"
[meta]
  dir = "$WORK/influx/meta"
[data]
  dir = "$WORK/influx/data"
  wal-dir = "$WORK/influx/wal"
  # wal-fsync-delay = "0s" (default): every write request is fsynced before the 204.
  cache-max-memory-size = "8g"
  cache-snapshot-write-cold-duration = "2s"
  compact-full-write-cold-duration = "5s"
  max-series-per-database = 0
  max-values-per-tag = 0
  query-log-enabled = false
[coordinator]
  write-timeout = "60s"
  max-concurrent-queries = 0
  query-timeout = "0s"
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$I_HTTP"
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
"$INFLUXD" run -config "$WORK/influx/influxdb.conf" > "$WORK/influx/log" 2>&1 &
INFLUX_PID=$!

V_HTTP=$(free_port); V_MQTT=$(free_port)
mkdir -p "$WORK/verbund"
cat > "$WORK/verbund.toml" <<CONF
data_dir = "$WORK/verbund"
log_level = "warn"
[mqtt]
listen = "127.0.0.1:$V_MQTT"
tls_listen = ""
ws_listen = ""
[http]
listen = "127.0.0.1:$V_HTTP"
[storage]
fsync = "always"
[ingest]
enabled = false
CONF
start_verbund() {
  "$VERBUND" --config "$WORK/verbund.toml" >> "$WORK/verbund.log" 2>&1 &
  VERBUND_PID=$!
  wait_ping "$V_HTTP" verbund "$WORK/verbund.log"
}
start_verbund
wait_ping "$I_HTTP" influxd "$WORK/influx/log"
for p in "$I_HTTP" "$V_HTTP"; do
  out=$(curl -sS -XPOST "http://127.0.0.1:$p/query" --data-urlencode "q=CREATE DATABASE benchmark")
  [[ "$out" == *error* ]] && { echo "CREATE DATABASE on :$p failed: $out"; exit 1; }
done
echo "   influxd :$I_HTTP  (WAL: wal-fsync-delay=0s default -> fsync per write request before 204; inmem index)"
echo "   verbund :$V_HTTP  (storage.fsync=always -> /write answered 204 only after its WAL fsync)"

# --- 3./4. writes and disk. influxd is written first and left to snapshot + compact until its
# files are stable before Verbund is written, so influxd's background compaction does not compete
# with Verbund's ingest for the CPU (and Verbund is idle and empty while influxd is written).
echo "== write (POST /write?db=benchmark&precision=ns, $BATCH lines/batch, $WORKERS keep-alive workers)"
C0=$(cpu_s "$INFLUX_PID")
$PY "$CLIENT" write --port "$I_HTTP" --file "$DATA" --batch "$BATCH" --workers "$WORKERS" \
  --label influxdb --out "$WORK/iw.json"
I_CPU=$(awk -v a="$C0" -v b="$(cpu_s "$INFLUX_PID")" 'BEGIN{printf "%.2f", b - a}')
echo "   influxd CPU during the write: $I_CPU s (user+sys)"
echo "== disk: influxd"
sleep 5
I_SHORT=$(dirbytes "$WORK/influx/data" "$WORK/influx/wal")
echo "   influx data+wal after 5 s: $I_SHORT bytes"
prev=0
for _ in $(seq 90); do   # cold snapshot 2 s, full compaction after 5 s cold: wait until stable
  sleep 2
  now=$(dirbytes "$WORK/influx/data" "$WORK/influx/wal")
  wal=$(dirbytes "$WORK/influx/wal")
  ntsm=$(find "$WORK/influx/data" -name '*.tsm' | wc -l)
  [[ "$now" == "$prev" && "$wal" -lt 1000000 ]] && break
  prev=$now
done
I_TOTAL=$(dirbytes "$WORK/influx/data" "$WORK/influx/wal")
I_TSM=$(find "$WORK/influx/data" -name '*.tsm' -printf '%s\n' | awk '{s+=$1} END{print s+0}')
echo "   influx data+wal settled: $I_TOTAL bytes (wal $(dirbytes "$WORK/influx/wal"), $ntsm tsm files, TSM-only $I_TSM;"
echo "     data includes the preallocated _series segment files)"

C0=$(cpu_s "$VERBUND_PID")
$PY "$CLIENT" write --port "$V_HTTP" --file "$DATA" --batch "$BATCH" --workers "$WORKERS" \
  --label verbund --out "$WORK/vw.json"
V_CPU=$(awk -v a="$C0" -v b="$(cpu_s "$VERBUND_PID")" 'BEGIN{printf "%.2f", b - a}')
echo "   verbund CPU during the write: $V_CPU s (user+sys)"
echo "== disk: verbund"
stop_pid "$VERBUND_PID"; VERBUND_PID=""
V_STORE=$(dirbytes "$WORK/verbund/storage")
echo "   verbund storage/ after SIGTERM: $V_STORE bytes (whole data_dir: $(dirbytes "$WORK/verbund"))"
cat > "$WORK/disk.json" <<J
{"influx_short": $I_SHORT, "influx_total": $I_TOTAL, "influx_tsm": $I_TSM, "verbund_storage": $V_STORE,
 "influx_write_cpu": $I_CPU, "verbund_write_cpu": $V_CPU}
J
start_verbund   # restarted: queries run against the recovered on-disk state

# --- 5. queries ("name" and "diagnostics" are InfluxQL keywords in 1.6, hence quoted)
H=3600000000000
T0=$START_NS
T4=$((T0 + 4 * H)); ((T4 > END_NS)) && T4=$END_NS
D1=$((T0 + 24 * H))
$PY - "$WORK/queries.json" "$START_NS" "$END_NS" "$T4" "$D1" <<'PYEOF'
import json, sys
out, start, end, t4, d1 = sys.argv[1], *map(int, sys.argv[2:])
H = 3600 * 10**9; M = 60 * 10**9
q = [
 {"id": "a", "q": "SELECT last(latitude), last(longitude) FROM readings GROUP BY \"name\""},
 {"id": "b", "q": "SELECT last(fuel_state) FROM \"diagnostics\" GROUP BY \"name\"", "post": {"op": "<=", "value": 0.1}},
 {"id": "b2", "q": "SELECT fuel_state FROM \"diagnostics\" WHERE fuel_state <= 0.1 AND time > %d" % (end - H)},
 {"id": "c", "q": "SELECT mean(velocity) FROM readings WHERE time >= %d AND time < %d GROUP BY time(10m), \"name\"" % (start, t4)},
 {"id": "d", "q": "SELECT mean(current_load) FROM \"diagnostics\" WHERE time >= %d AND time < %d GROUP BY time(1h), fleet" % (start, d1)},
 {"id": "e", "q": "SELECT mean(velocity) FROM readings WHERE time >= %d AND time < %d GROUP BY \"name\"" % (end - 10 * M, end), "post": {"op": "<", "value": 1.0}},
]
json.dump(q, open(out, "w"), indent=1)
PYEOF
echo "== queries ($REPS reps each after one warm-up, median of the HTTP round trip incl. JSON body)"
$PY "$CLIENT" queries --port "$I_HTTP" --spec "$WORK/queries.json" --reps "$REPS" --label influxdb --out "$WORK/iq.json"
$PY "$CLIENT" queries --port "$V_HTTP" --spec "$WORK/queries.json" --reps "$REPS" --label verbund --out "$WORK/vq.json"

# --- 6. table
$PY "$CLIENT" report --influx-write "$WORK/iw.json" --verbund-write "$WORK/vw.json" \
  --influx-queries "$WORK/iq.json" --verbund-queries "$WORK/vq.json" --disk "$WORK/disk.json"
echo
echo "command: ${ENVLINE}${CMDLINE}"
