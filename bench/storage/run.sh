#!/usr/bin/env bash
# Side-by-side storage benchmark: the same TSBS-IoT data written into InfluxDB 1.6 (Debian's
# influxd) and into the Verbund engine; prints bytes/value on disk for both, the engine's
# ingest rate, and the time of mean() with 1-minute buckets over AGG_POINTS points.
#
#   bench/storage/run.sh                      # 100 trucks x 1 day (8.6M values), 100M-point agg
#   TRUCKS=10 DURATION=2h AGG_POINTS=10000000 bench/storage/run.sh   # quick run
#   SKIP_INFLUX=1 bench/storage/run.sh
#
# Needs built targets verbund_storage_bench and (if present) verbund-tsbs-gen in $BUILD
# (default: build-engine, then build). Only loopback ports are used.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${BUILD:-}"
for b in "$BUILD" "$ROOT/build-engine" "$ROOT/build"; do
  if [[ -n "$b" && -x "$b/bench/storage/engine/verbund_storage_bench" ]]; then BUILD="$b"; break; fi
done
BENCH="$BUILD/bench/storage/engine/verbund_storage_bench"
[[ -x "$BENCH" ]] || { echo "build verbund_storage_bench first (ninja -C <build> verbund_storage_bench)"; exit 1; }
TRUCKS="${TRUCKS:-100}"
DURATION="${DURATION:-1d}"
AGG_POINTS="${AGG_POINTS:-100000000}"
AGG_SERIES="${AGG_SERIES:-1000}"
FSYNC="${FSYNC:-interval}"
WORK="$(mktemp -d /tmp/verbund-bench.XXXXXX)"
INFLUX_PID=""
cleanup() {
  if [[ -n "$INFLUX_PID" ]]; then kill "$INFLUX_PID" 2>/dev/null || true; wait "$INFLUX_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- data: the TSBS generator (tools/tsbs) when built, else the bench's own IoT-shaped one.
DATA="$WORK/data.lp"
GEN="$BUILD/tools/tsbs/verbund-tsbs-gen"
if [[ -x "$GEN" ]]; then
  echo "data: verbund-tsbs-gen --trucks $TRUCKS --duration $DURATION"
  "$GEN" --trucks "$TRUCKS" --duration "$DURATION" > "$DATA"
else
  # Hook: once tools/tsbs is built this branch is not taken.
  HOURS=$(awk -v d="$DURATION" 'BEGIN{n=d+0; u=substr(d,length(d)); if(u=="d")n*=24; else if(u=="m")n/=60; else if(u=="s")n/=3600; print n}')
  echo "data: verbund_storage_bench gen (verbund-tsbs-gen not built) --trucks $TRUCKS --hours $HOURS"
  "$BENCH" gen --trucks "$TRUCKS" --hours "$HOURS" > "$DATA"
fi
LINES=$(wc -l < "$DATA")
VALUES=$(awk '{n=split($2,a,","); v+=n} END{print v}' "$DATA")
echo "lines: $LINES values: $VALUES"

# --- InfluxDB 1.6
if [[ -z "${SKIP_INFLUX:-}" ]] && command -v influxd >/dev/null; then
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  HTTP_PORT=$(free_port); RPC_PORT=$(free_port)
  mkdir -p "$WORK/influx"
  cat > "$WORK/influx/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$RPC_PORT"
[meta]
  dir = "$WORK/influx/meta"
[data]
  dir = "$WORK/influx/data"
  wal-dir = "$WORK/influx/wal"
  cache-snapshot-write-cold-duration = "2s"
  compact-full-write-cold-duration = "5s"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$HTTP_PORT"
  log-enabled = false
[logging]
  level = "error"
CONF
  influxd run -config "$WORK/influx/influxdb.conf" > "$WORK/influx/log" 2>&1 &
  INFLUX_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$HTTP_PORT/ping" >/dev/null && break; sleep 0.1; done
  curl -sf -XPOST "http://127.0.0.1:$HTTP_PORT/query" --data-urlencode "q=CREATE DATABASE bench" >/dev/null
  split -l 5000 "$DATA" "$WORK/part."
  START=$(date +%s.%N)
  for f in "$WORK"/part.*; do
    curl -sf -XPOST "http://127.0.0.1:$HTTP_PORT/write?db=bench&precision=ns" --data-binary @"$f" \
      || { echo "influx write failed"; tail "$WORK/influx/log"; exit 1; }
  done
  END=$(date +%s.%N)
  rm -f "$WORK"/part.*
  echo "influx_write_seconds: $(echo "$END - $START" | bc)"
  echo "influx_values_per_second: $(echo "$VALUES / ($END - $START)" | bc)"
  # Let the cache snapshot and full compaction run, then measure TSM + WAL bytes.
  prev=0
  for _ in $(seq 60); do
    sleep 2
    now=$(du -sb "$WORK/influx/data" "$WORK/influx/wal" | awk '{s+=$1} END{print s}')
    wal=$(du -sb "$WORK/influx/wal" | awk '{print $1}')
    if [[ "$now" == "$prev" && "$wal" -lt 1000000 ]]; then break; fi
    prev=$now
  done
  IB=$(du -sb "$WORK/influx/data" "$WORK/influx/wal" | awk '{s+=$1} END{print s}')
  TSM=$(find "$WORK/influx/data" -name '*.tsm' -printf '%s\n' | awk '{s+=$1} END{print s+0}')
  echo "influx_disk_bytes: $IB (data + wal dirs, incl. preallocated series-file segments)"
  echo "influx_bytes_per_value: $(echo "scale=4; $IB / $VALUES" | bc)"
  echo "influx_tsm_bytes: $TSM"
  echo "influx_tsm_bytes_per_value: $(echo "scale=4; $TSM / $VALUES" | bc)"
  kill "$INFLUX_PID"; wait "$INFLUX_PID" 2>/dev/null || true; INFLUX_PID=""
  rm -rf "$WORK/influx"
fi

# --- Verbund engine (encryption on, WAL on with fsync=$FSYNC)
echo "engine (fsync=$FSYNC):"
"$BENCH" ingest --file "$DATA" --dir "$WORK/engine" --fsync "$FSYNC" | sed 's/^/  engine_/'
rm -rf "$WORK/engine" "$DATA"

# --- Aggregation: mean, 1-minute buckets, 10 s data, series over 2 threads
echo "aggregation ($AGG_POINTS points, $AGG_SERIES series):"
"$BENCH" agg --points "$AGG_POINTS" --series "$AGG_SERIES" --dir "$WORK/agg" --threads 2 | sed 's/^/  /'
