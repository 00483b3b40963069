#!/usr/bin/env bash
# Side-by-side HTTP benchmark: InfluxDB 1.6 (Debian's influxd), VictoriaMetrics 1.79 (Debian's
# victoria-metrics) and the Verbund hub, one run, same machine, same load client
# (bench/http/loadclient.py, python3 stdlib), same TSBS-IoT data.
#
#   bench/http/run.sh                         # 100 trucks x 1 day (1.73M lines, ~8.6M values)
#   bench/http/run.sh --quick                 # 20 trucks x 6h
#   TRUCKS=50 DURATION=12h WORKERS=4 REPS=20 bench/http/run.sh
#   bench/http/run.sh --auth [--quick]        # Verbund only: auth off vs on (AUTH=1), see below
#
# Steps: generate data -> start influxd, victoria-metrics and verbund on free 127.0.0.1 ports with
# temp dirs -> CREATE DATABASE benchmark (influxd, verbund) -> POST /write?db=benchmark&precision=ns
# in 5000-line batches with WORKERS keep-alive connections (every answer must be 204), one server
# after the other (influxd, then victoria-metrics, then verbund; each written while the others are
# idle and settled), server CPU (user+sys from /proc/PID/stat) during each write -> bytes on disk
# per value -> TSBS-IoT-style queries, REPS times each (median): InfluxQL on influxd and verbund,
# their PromQL/MetricsQL equivalents on victoria-metrics (bench/http/promclient.py, against
# /api/v1/query[_range] with nocache=1), whose answers are checked against verbund's and influxd's
# (same series, same values) -> table, with victoria-metrics columns and verbund/vm ratios.
# victoria-metrics stores a field as the metric {measurement}_{field} with the label db=benchmark.
# Durability differs: influxd and verbund fsync before the 204, victoria-metrics answers first and
# flushes about every second.
# victoria-metrics is optional: if it is not installed (or VM=none) the run says so and goes on
# with influxd and verbund only (the two-server table, without the vm columns and rows).
# --auth: access control on the hot path. The same data, write and queries against Verbund only:
# auth off (anonymous) and auth on with TENANTS tenants, TENANTS x RULES write/query rules
# (bench/http/auth_setup.py) and an API token per load-client worker (`Authorization: Token`);
# worker w writes its share of the batches (w, w + WORKERS, ...) into database
# tenant{w % TENANTS}_benchmark, in both runs; the queries run on worker 0's database with its
# token. Set-up happens before anything is measured (a data directory per side, copied for each
# round). ROUNDS rounds, the order alternating; the table shows medians and on/off ratios.
# Env: BUILD (default build-lead, then build), VERBUND, GEN, VM (victoria-metrics binary, default
# /usr/bin/victoria-metrics; "none" to skip it), TRUCKS, DURATION, WORKERS, BATCH, REPS, KEEP=1
# (keep the temp dir); --auth: AUTH=1, TENANTS (100), RULES (100 per tenant), ROUNDS (1).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/http"
CMDLINE="$0 $*"
ENVLINE=""
for v in BUILD VERBUND GEN VM TRUCKS DURATION WORKERS BATCH REPS AUTH TENANTS RULES ROUNDS; do
  [[ -n "${!v:-}" ]] && ENVLINE+="$v=${!v} "
done
AUTH="${AUTH:-0}"
for arg in "$@"; do
  case "$arg" in
    --quick) TRUCKS="${TRUCKS:-20}"; DURATION="${DURATION:-6h}" ;;
    --auth) AUTH=1 ;;
    *) echo "unknown argument: $arg (--quick, --auth)"; exit 2 ;;
  esac
done
TENANTS="${TENANTS:-100}"
RULES="${RULES:-100}"
ROUNDS="${ROUNDS:-1}"
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
[[ -n "$INFLUXD" || "$AUTH" == 1 ]] || { echo "influxd not found (apt-get install influxdb)"; exit 1; }
VM="${VM:-$(command -v victoria-metrics || echo /usr/bin/victoria-metrics)}"
if [[ "$AUTH" == 1 ]]; then
  VM=""
elif [[ "$VM" == none ]]; then
  VM=""; echo "!! victoria-metrics skipped (VM=none): comparing influxd and verbund only"
elif [[ ! -x "$VM" ]]; then
  echo "!! victoria-metrics not found at $VM (apt-get install victoria-metrics, or set VM=):"
  echo "!! continuing with influxd and verbund only"
  VM=""
fi

WORK="$(mktemp -d /tmp/verbund-http-bench.XXXXXX)"
INFLUX_PID=""
VERBUND_PID=""
VM_PID=""
cleanup() {
  [[ -n "$INFLUX_PID" ]] && stop_pid "$INFLUX_PID"
  [[ -n "$VM_PID" ]] && stop_pid "$VM_PID"
  [[ -n "$VERBUND_PID" ]] && stop_pid "$VERBUND_PID"
  if [[ -z "${KEEP:-}" ]]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT
wait_ping() { wait_url "http://127.0.0.1:$1/ping" "$2" "$3"; }  # wait_ping PORT NAME LOG

echo "== verbund HTTP benchmark: $TRUCKS trucks x $DURATION, batch $BATCH lines, $WORKERS workers, $REPS reps/query"
[[ "$AUTH" == 1 ]] && echo "   --auth: Verbund with auth off vs on ($TENANTS tenants x $RULES rules, a token per worker), $ROUNDS round(s)"
echo "   machine: $(nproc) cores, $(uname -r); influxd: $([[ -n "$INFLUXD" ]] && "$INFLUXD" version 2>/dev/null | head -1)"
echo "   verbund: $("$VERBUND" --version 2>/dev/null | head -1)"
[[ -n "$VM" ]] && echo "   victoria-metrics: $VM $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null || true)"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(date -u '+%Y-%m-%d %H:%M UTC'))"

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

# The query specs: $WORK/queries.json (InfluxQL) and $WORK/vmqueries.json (PromQL), for the data
# of [START_NS, END_NS). ("name" and "diagnostics" are InfluxQL keywords in 1.6, hence quoted.)
write_query_specs() {
  local H=3600000000000 T0 T4 D1
  T0=$START_NS
  T4=$((T0 + 4 * H)); ((T4 > END_NS)) && T4=$END_NS
  D1=$((T0 + 24 * H))
  $PY - "$WORK/queries.json" "$START_NS" "$END_NS" "$T4" "$D1" "$WORK/vmqueries.json" <<'PYEOF'
import json, sys
out, start, end, t4, d1 = sys.argv[1], *map(int, sys.argv[2:6])
vmout = sys.argv[6]
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

# PromQL/MetricsQL equivalents for victoria-metrics (bench/http/promclient.py). VM names a field
# {measurement}_{field}, adds the label db="benchmark", keeps ms timestamps, and evaluates a
# rollup f(x[w]) at t over the samples in (t - w, t]. InfluxQL's GROUP BY time(w) buckets are
# [k*w, (k+1)*w) (epoch-aligned, labelled by their start), so a bucket is evaluated at its end
# - 1 ms: the window (start - 1 ms, start + w - 1 ms] holds exactly the bucket's samples, and the
# returned timestamp minus (w - 1 ms) is InfluxQL's bucket time (shift_ns). "group" lists the
# labels that play the GROUP BY tags in the answer check.
IV = 10 * 10**9                   # verbund-tsbs-gen's default --interval (the data's time grid)
MS = 10**6
def sec(ns):                      # unix seconds with ms, as VM takes them
    return "%d.%03d" % divmod(ns // MS, 1000)
def buckets(lo, hi, w):           # query_range params evaluating the buckets of [lo, hi) at end-1ms
    first = lo // w * w
    return {"start": sec(first + w - MS), "end": sec(hi - MS), "step": "%ds" % (w // 10**9)}
allw = "%ds" % ((end - start + IV) // 10**9)   # lookbehind covering every sample: (start - IV, end]
per_series = ("PromQL keeps one series per label set; InfluxQL's GROUP BY name merges every series "
              "of a name. The same here only because each truck's tags never change (one series per "
              "name and field), which the check confirms.")
vq = [
 {"id": "a", "kind": "instant", "group": ["name"], "tkey": "ignore", "params": {"time": sec(end)},
  "promql": 'last_over_time({__name__=~"readings_(latitude|longitude)",db="benchmark"}[%s])' % allw,
  "note": "one selector for both fields (VM keeps the metric name in last_over_time's result): " + per_series + " InfluxQL returns the point's time, PromQL the evaluation time (times not compared)."},
 {"id": "b", "kind": "instant", "group": ["name"], "tkey": "ignore", "params": {"time": sec(end)},
  "promql": 'last_over_time(diagnostics_fuel_state{db="benchmark"}[%s])' % allw, "post": {"op": "<=", "value": 0.1},
  "note": "last point per series: " + per_series + " InfluxQL returns the point's time, PromQL the evaluation time (times not compared). The fuel_state <= 0.1 count is made in the client for both, as for InfluxQL."},
 {"id": "b2", "kind": "instant", "group": [], "tkey": "raw", "params": {"time": sec(end)},
  "promql": '(last_over_time(diagnostics_fuel_state{db="benchmark"}[%ds]) <= 0.1)[%ds:%ds]' % (IV // 10**9, (H - IV) // 10**9, IV // 10**9),
  "note": "PromQL cannot filter raw samples by value (a comparison applies to instant vectors): the subquery evaluates last_over_time(x[10s]) <= 0.1 on the 10 s grid end-1h+10s..end, which picks each raw sample only because the data lies exactly on that grid (an off-grid sample would come back at its grid time; a gap would not be filled, since the inner window is the grid step). InfluxQL returns one series of rows, VM one series per truck (compared as one group)."},
 {"id": "b2raw", "alt_of": "b2", "kind": "instant", "group": [], "tkey": "raw", "params": {"time": sec(end)},
  "promql": 'diagnostics_fuel_state{db="benchmark"}[1h]', "where": {"op": "<=", "value": 0.1},
  "note": "exact alternative for any data: the raw samples in (end-1h, end] (= InfluxQL's time > end-1h, no sample at or after end), the fuel_state <= 0.1 filter applied in the client (VM returns all samples of the hour)."},
 {"id": "c", "kind": "range", "group": ["name"], "tkey": "bucket", "shift_ns": 10 * M - MS, "params": buckets(start, t4, 10 * M),
  "promql": 'avg_over_time(readings_velocity{db="benchmark"}[10m])',
  "note": "10-minute buckets evaluated at bucket end - 1 ms (PromQL windows are (t-10m, t], InfluxQL buckets [t0, t0+10m)); " + per_series + " Empty buckets: InfluxQL returns null rows (fill(null)), VM no point (null rows are skipped in the comparison)."},
 {"id": "d", "kind": "range", "group": ["fleet"], "tkey": "bucket", "shift_ns": H - MS, "params": buckets(start, d1, H),
  "promql": 'sum by (fleet) (sum_over_time(diagnostics_current_load{db="benchmark"}[1h])) / sum by (fleet) (count_over_time(diagnostics_current_load{db="benchmark"}[1h]))',
  "note": "InfluxQL's mean over all points of a fleet is sum/count over its series; avg by (fleet) (avg_over_time(...)) would be a mean of per-truck means (equal only when every truck has the same number of points in the hour). Buckets as in c; an hour without data has a null row in InfluxQL and no point in VM."},
 {"id": "e", "kind": "instant", "group": ["name"], "tkey": "ignore", "params": {"time": sec(end - MS)},
  "promql": 'avg_over_time(readings_velocity{db="benchmark"}[10m])', "post": {"op": "<", "value": 1.0},
  "note": "evaluated at end - 1 ms: (end-10m-1ms, end-1ms] = InfluxQL's time >= end-10m AND time < end; " + per_series + " The velocity < 1 count is made in the client for both."},
]
for x in vq:
    x["influxql"] = next(y["q"] for y in q if y["id"] == x.get("alt_of", x["id"]))
json.dump(vq, open(vmout, "w"), indent=1)
PYEOF
}

# --- --auth: Verbund with auth off vs on (see the top); nothing else runs.
auth_conf() {  # auth_conf FILE DATA_DIR HTTP_PORT true|false: the hub, [http] auth as given
  cat > "$1" <<CONF
data_dir = "$2"
log_level = "warn"
[mqtt]
listen = "127.0.0.1:$(free_port)"
tls_listen = ""
ws_listen = ""
[http]
listen = "127.0.0.1:$3"
auth = $4
[storage]
fsync = "always"
[ingest]
enabled = false
CONF
}
run_auth() {
  local side r port token cpu0 db qtoken order
  local -A auth=([off]=false [on]=true)
  echo "== set-up (not measured): tenants, principals, rules, tokens and databases"
  for side in off on; do
    port=$(free_port)
    auth_conf "$WORK/setup-$side.toml" "$WORK/template-$side" "$port" "${auth[$side]}"
    if [[ "$side" == on ]]; then
      token=$("$VERBUND" --config "$WORK/setup-on.toml" --init-admin bench 2>> "$WORK/verbund.log" |
              grep -m1 '^vbt_') || { echo "verbund --init-admin failed"; tail -5 "$WORK/verbund.log"; exit 1; }
    fi
    "$VERBUND" --config "$WORK/setup-$side.toml" >> "$WORK/verbund.log" 2>&1 &
    VERBUND_PID=$!
    wait_ping "$port" verbund "$WORK/verbund.log"
    if [[ "$side" == on ]]; then
      $PY "$HERE/auth_setup.py" verbund --server "http://127.0.0.1:$port" --token "$token" \
        --tenants "$TENANTS" --rules "$RULES" --workers "$WORKERS" --out "$WORK/clients-on.json"
    else
      $PY "$HERE/auth_setup.py" anonymous --server "http://127.0.0.1:$port" \
        --tenants "$TENANTS" --rules "$RULES" --workers "$WORKERS" --out "$WORK/clients-off.json"
    fi
    stop_pid "$VERBUND_PID"; VERBUND_PID=""
  done
  write_query_specs
  for r in $(seq 1 "$ROUNDS"); do
    order=(off on)
    (( r % 2 == 0 )) && order=(on off)
    for side in "${order[@]}"; do
      echo "== round $r of $ROUNDS: verbund, auth $side"
      rm -rf "$WORK/verbund"
      cp -a "$WORK/template-$side" "$WORK/verbund"
      port=$(free_port)
      auth_conf "$WORK/run.toml" "$WORK/verbund" "$port" "${auth[$side]}"
      "$VERBUND" --config "$WORK/run.toml" >> "$WORK/verbund.log" 2>&1 &
      VERBUND_PID=$!
      wait_ping "$port" verbund "$WORK/verbund.log"
      cpu0=$(cpu_s "$VERBUND_PID")
      $PY "$CLIENT" write --port "$port" --file "$DATA" --batch "$BATCH" \
        --clients "$WORK/clients-$side.json" --label "verbund-auth-$side" --out "$WORK/write-$side-r$r.json"
      echo "{\"write_cpu_s\": $(awk -v a="$cpu0" -v b="$(cpu_s "$VERBUND_PID")" 'BEGIN{printf "%.2f", b - a}')}" \
        > "$WORK/cpu-$side-r$r.json"
      stop_pid "$VERBUND_PID"   # queries run on the recovered state, as in the comparison run
      "$VERBUND" --config "$WORK/run.toml" >> "$WORK/verbund.log" 2>&1 &
      VERBUND_PID=$!
      wait_ping "$port" verbund "$WORK/verbund.log"
      db=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["db"])' "$WORK/clients-$side.json")
      qtoken=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["token"] or "")' "$WORK/clients-$side.json")
      $PY "$CLIENT" queries --port "$port" --db "$db" ${qtoken:+--token "$qtoken"} --spec "$WORK/queries.json" \
        --reps "$REPS" --label "verbund-auth-$side" --out "$WORK/queries-$side-r$r.json"
      stop_pid "$VERBUND_PID"; VERBUND_PID=""
    done
  done
  $PY "$CLIENT" auth-report --dir "$WORK" --rounds "$ROUNDS"
  echo "   load average at end: $(cut -d' ' -f1-3 /proc/loadavg) ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "command: ${ENVLINE}${CMDLINE}"
}
if [[ "$AUTH" == 1 ]]; then
  run_auth
  exit 0
fi

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
auth = false
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
if [[ -n "$VM" ]]; then
  M_HTTP=$(free_port)
  mkdir -p "$WORK/vm"
  "$VM" -storageDataPath "$WORK/vm/data" -httpListenAddr "127.0.0.1:$M_HTTP" -retentionPeriod 100y \
    -loggerLevel ERROR > "$WORK/vm/log" 2>&1 &
  VM_PID=$!
  wait_url "http://127.0.0.1:$M_HTTP/health" victoria-metrics "$WORK/vm/log"
fi
wait_ping "$I_HTTP" influxd "$WORK/influx/log"
for p in "$I_HTTP" "$V_HTTP"; do
  out=$(curl -sS -XPOST "http://127.0.0.1:$p/query" --data-urlencode "q=CREATE DATABASE benchmark")
  [[ "$out" == *error* ]] && { echo "CREATE DATABASE on :$p failed: $out"; exit 1; }
done
echo "   influxd :$I_HTTP  (WAL: wal-fsync-delay=0s default -> fsync per write request before 204; inmem index)"
echo "   verbund :$V_HTTP  (storage.fsync=always -> /write answered 204 only after its WAL fsync)"
[[ -n "$VM" ]] && echo "   victoria-metrics :$M_HTTP  (/write answered before durable: rows buffered, flushed ~every 1 s)"

# --- 3./4. writes and disk. influxd is written first and left to snapshot + compact until its
# files are stable before victoria-metrics and then Verbund are written, so no server's background
# compaction or merging competes with the next one's ingest for the CPU (and the servers not being
# written are idle: empty, or settled).
echo "== write (POST /write?db=benchmark&precision=ns, $BATCH lines/batch, $WORKERS keep-alive workers)"
C0=$(cpu_s "$INFLUX_PID")
I_C0=$C0
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
I_CPU_SETTLED=$(awk -v a="$I_C0" -v b="$(cpu_s "$INFLUX_PID")" 'BEGIN{printf "%.2f", b - a}')
echo "   influxd CPU write + settle: $I_CPU_SETTLED s"

VM_JSON=""
if [[ -n "$VM" ]]; then
  vm_metric() {  # vm_metric NAME: sum of a victoria-metrics /metrics gauge over its labels
    curl -sf "http://127.0.0.1:$M_HTTP/metrics" | awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $2} END {printf "%.0f", s}'
  }
  # vm_settle WHAT: victoria-metrics merges parts in the background; a merge worker with nothing
  # to do backs off up to 10 s before it looks again, so the size counts as settled only when
  # it has not changed for 12 s (6 polls 2 s apart) with no merge running and no rows pending
  # (at most 300 s). M_CPU_BUSY: its CPU at the last poll that still saw a change, so the idle
  # 12 s of confirmation are not counted as merge work.
  vm_settle() {
    local prev=-1 same=0 now merges pending
    M_CPU_BUSY=$(cpu_s "$VM_PID")
    for _ in $(seq 150); do
      sleep 2
      now=$(dirbytes "$WORK/vm/data"); merges=$(vm_metric vm_active_merges); pending=$(vm_metric vm_pending_rows)
      if [[ "$now" == "$prev" && "$merges" == 0 && "$pending" == 0 ]]; then
        same=$((same + 1)); ((same >= 6)) && return 0
      else
        same=0; M_CPU_BUSY=$(cpu_s "$VM_PID")
      fi
      prev=$now
    done
    echo "   victoria-metrics did not settle ($1) within 300 s (merges $merges, pending rows $pending)"
  }
  C0=$(cpu_s "$VM_PID")
  $PY "$CLIENT" write --port "$M_HTTP" --file "$DATA" --batch "$BATCH" --workers "$WORKERS" \
    --label victoria-metrics --out "$WORK/mw.json"
  M_CPU=$(awk -v a="$C0" -v b="$(cpu_s "$VM_PID")" 'BEGIN{printf "%.2f", b - a}')
  echo "   victoria-metrics CPU during the write: $M_CPU s (user+sys)"
  echo "== disk: victoria-metrics"
  T_SETTLE=$(date +%s)
  curl -sf "http://127.0.0.1:$M_HTTP/internal/force_flush" > /dev/null
  vm_settle "after force_flush"
  M_TOTAL=$(dirbytes "$WORK/vm/data")
  M_DATA=$(dirbytes "$WORK/vm/data/data")
  M_ROWS=$(curl -sf "http://127.0.0.1:$M_HTTP/metrics" | awk '$1 ~ /^vm_rows\{type="storage\/(small|big)"\}$/ {s += $2} END {printf "%.0f", s}')
  M_PARTS=$(curl -sf "http://127.0.0.1:$M_HTTP/metrics" | awk '$1 ~ /^vm_parts\{type="storage\/(small|big)"\}$/ {s += $2} END {printf "%.0f", s}')
  M_CPU_SETTLED=$(awk -v a="$C0" -v b="$M_CPU_BUSY" 'BEGIN{printf "%.2f", b - a}')
  echo "   vm storageDataPath after force_flush, settled in $(( $(date +%s) - T_SETTLE )) s: $M_TOTAL bytes"
  echo "     (data/ $M_DATA, indexdb $(dirbytes "$WORK/vm/data/indexdb"); $M_PARTS parts; $M_ROWS rows stored)"
  echo "   victoria-metrics CPU write + settle: $M_CPU_SETTLED s (up to the last poll that saw a change;"
  echo "     $(awk -v a="$C0" -v b="$(cpu_s "$VM_PID")" 'BEGIN{printf "%.2f", b - a}') s including the idle confirmation)"
  # -finalMergeDelay is 0 (off) by default, so a finished month stays in the parts the background
  # merges left; /internal/force_merge merges the partition into one part, the counterpart of
  # influxd's full compaction (compact-full-write-cold-duration above). Queries run after it.
  T_SETTLE=$(date +%s)
  curl -sf "http://127.0.0.1:$M_HTTP/internal/force_merge" > /dev/null
  vm_settle "after force_merge"
  M_MERGED=$(dirbytes "$WORK/vm/data")
  M_MERGED_DATA=$(dirbytes "$WORK/vm/data/data")
  echo "   vm storageDataPath after force_merge, settled in $(( $(date +%s) - T_SETTLE )) s: $M_MERGED bytes (data/ $M_MERGED_DATA)"
  M_VALUES=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["values"])' "$WORK/mw.json")
  [[ "$M_ROWS" == "$M_VALUES" ]] || echo "   WARNING: victoria-metrics stored $M_ROWS rows, the client wrote $M_VALUES values"
  VM_JSON=", \"vm_total\": $M_TOTAL, \"vm_data\": $M_DATA, \"vm_merged\": $M_MERGED, \"vm_merged_data\": $M_MERGED_DATA,
 \"vm_write_cpu\": $M_CPU, \"vm_cpu_settled\": $M_CPU_SETTLED, \"vm_rows\": $M_ROWS"
fi

C0=$(cpu_s "$VERBUND_PID")
$PY "$CLIENT" write --port "$V_HTTP" --file "$DATA" --batch "$BATCH" --workers "$WORKERS" \
  --label verbund --out "$WORK/vw.json"
V_CPU=$(awk -v a="$C0" -v b="$(cpu_s "$VERBUND_PID")" 'BEGIN{printf "%.2f", b - a}')
echo "   verbund CPU during the write: $V_CPU s (user+sys)"
echo "== disk: verbund"
# CPU up to the end of its shutdown flush: an exited child's user+sys is only visible in the
# shell's children times (bash `times`, counted when reaped), so the delta around stop_pid is
# Verbund's CPU over its whole life (plus stop_pid's `sleep`s, ~1 ms each), minus C0, what it had
# used before the write.
times > "$WORK/times0"
stop_pid "$VERBUND_PID"; VERBUND_PID=""
times > "$WORK/times1"
V_CPU_SETTLED=$(awk -v c0="$C0" '
  function s(t) { split(t, p, "m"); return p[1] * 60 + p[2] }
  FNR == 2 { x[FILENAME == ARGV[1] ? 0 : 1] = s($1) + s($2) }
  END { printf "%.2f", x[1] - x[0] - c0 }' "$WORK/times0" "$WORK/times1")
echo "   verbund CPU write + shutdown (SIGTERM flush): $V_CPU_SETTLED s"
V_STORE=$(dirbytes "$WORK/verbund/storage")
echo "   verbund storage/ after SIGTERM: $V_STORE bytes (whole data_dir: $(dirbytes "$WORK/verbund"))"
cat > "$WORK/disk.json" <<J
{"influx_short": $I_SHORT, "influx_total": $I_TOTAL, "influx_tsm": $I_TSM, "verbund_storage": $V_STORE,
 "influx_write_cpu": $I_CPU, "verbund_write_cpu": $V_CPU,
 "influx_cpu_settled": $I_CPU_SETTLED, "verbund_cpu_settled": $V_CPU_SETTLED$VM_JSON}
J
start_verbund   # restarted: queries run against the recovered on-disk state

# --- 5. queries
write_query_specs
echo "== queries ($REPS reps each after one warm-up, median of the HTTP round trip incl. JSON body)"
mkdir -p "$WORK/answers/influxdb" "$WORK/answers/verbund"
$PY "$CLIENT" queries --port "$I_HTTP" --spec "$WORK/queries.json" --reps "$REPS" --label influxdb --out "$WORK/iq.json" \
  --answers "$WORK/answers/influxdb"
$PY "$CLIENT" queries --port "$V_HTTP" --spec "$WORK/queries.json" --reps "$REPS" --label verbund --out "$WORK/vq.json" \
  --answers "$WORK/answers/verbund"
VM_REPORT=()
if [[ -n "$VM" ]]; then
  echo "== victoria-metrics: PromQL/MetricsQL equivalents ($REPS reps each after one warm-up, nocache=1; answers checked)"
  $PY "$HERE/promclient.py" queries --port "$M_HTTP" --spec "$WORK/vmqueries.json" --reps "$REPS" \
    --label victoria-metrics --out "$WORK/mq.json" \
    --against "verbund=$WORK/answers/verbund" --against "influxdb=$WORK/answers/influxdb"
  VM_REPORT=(--vm-write "$WORK/mw.json" --vm-queries "$WORK/mq.json")
fi

# --- 6. table
$PY "$CLIENT" report --influx-write "$WORK/iw.json" --verbund-write "$WORK/vw.json" \
  --influx-queries "$WORK/iq.json" --verbund-queries "$WORK/vq.json" --disk "$WORK/disk.json" "${VM_REPORT[@]}"
echo "   load average at end: $(cut -d' ' -f1-3 /proc/loadavg) ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "command: ${ENVLINE}${CMDLINE}"
