#!/usr/bin/env bash
# The web console's measurements in headless Chromium: the measurement test ("h.") of
# test/browser/console.e2e.mjs alone, against an open demo hub started here ([http] auth = false,
# the demo source publishing, as etc/verbund-demo.toml) on free 127.0.0.1 ports with a temporary
# data directory. Prints the test's MEASURE line as a table:
#   time from navigation start to the first drawn overview chart, frame intervals (mean, p99)
#   with 10 live series at 1 update/s, the page's JS heap (after a forced GC) at the start and
#   after SOAK minutes of live updates, and the explorer's fetch and draw of a 100,000-point series.
#
#   bench/console/run.sh                          # a 60-minute heap soak
#   VERBUND_SOAK_MINUTES=5 bench/console/run.sh
#
# Needs /usr/bin/chromium (apt-get install chromium), node 20+, mosquitto_pub and
# test/browser/node_modules (npm ci in test/browser). Env: BUILD (default build), VERBUND
# (the hub binary), VERBUND_SOAK_MINUTES (60), KEEP=1 (keep the temporary directory with the
# hub's log and the screenshots).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
VERBUND="${VERBUND:-$BUILD/src/server/verbund}"
SOAK="${VERBUND_SOAK_MINUTES:-60}"
PY=/usr/bin/python3
. "$ROOT/bench/http/lib.sh"   # stop_pid, free_port, wait_url

[[ -x "$VERBUND" ]] || { echo "no verbund binary at $VERBUND (set BUILD or VERBUND)"; exit 1; }
[[ -x /usr/bin/chromium ]] || { echo "chromium is not installed (apt-get install chromium)"; exit 1; }
command -v node > /dev/null || { echo "node is not installed"; exit 1; }
command -v mosquitto_pub > /dev/null || { echo "mosquitto_pub is not installed (apt-get install mosquitto-clients)"; exit 1; }
[[ -d "$ROOT/test/browser/node_modules/playwright-core" ]] || { echo "run npm ci in test/browser first"; exit 1; }

WORK="$(mktemp -d /tmp/verbund-console-bench.XXXXXX)"
HUB_PID=""
cleanup() {
  [[ -n "$HUB_PID" ]] && stop_pid "$HUB_PID"
  if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

MQTT_PORT=$(free_port)
HTTP_PORT=$(free_port)
cat > "$WORK/verbund.toml" <<CONF
data_dir = "$WORK/data"
log_level = "warn"

[mqtt]
listen = "127.0.0.1:$MQTT_PORT"
tls_listen = ""
ws_listen = ""

[http]
listen = "127.0.0.1:$HTTP_PORT"
auth = false

[demo]
enabled = true
interval_ms = 1000

[audit]
enabled = true
sth_interval_ms = 1000

[[ingest.rule]]
filter = "factory/#"
template = "factory/{site}/{line}/{machine}"

[[ingest.rule]]
filter = "fleet/#"
template = "fleet/{fleet}/{truck}"

[[ingest.rule]]
filter = "meter/#"
template = "meter/{district}/{meter}"
CONF

"$VERBUND" --config "$WORK/verbund.toml" > "$WORK/verbund.log" 2>&1 &
HUB_PID=$!
wait_url "http://127.0.0.1:$HTTP_PORT/ping" verbund "$WORK/verbund.log"
curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/console/" ||
  { echo "the hub does not serve the console (is it built? build/console)"; exit 1; }

echo "== console measurements: verbund $("$VERBUND" --version 2>/dev/null | head -1), chromium $(/usr/bin/chromium --version 2>/dev/null | head -1)"
echo "   heap soak $SOAK min; demo hub at http://127.0.0.1:$HTTP_PORT/console/; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
set +e
VERBUND_URL="http://127.0.0.1:$HTTP_PORT" VERBUND_MQTT_HOST=127.0.0.1 VERBUND_MQTT_PORT="$MQTT_PORT" \
  VERBUND_SOAK_MINUTES="$SOAK" VERBUND_SCREENSHOTS="$WORK/screenshots" \
  node --test --test-reporter=spec --test-name-pattern='^h\. measurements' \
  "$ROOT/test/browser/console.e2e.mjs" 2>&1 | tee "$WORK/e2e.out"
rc=${PIPESTATUS[0]}
set -e
[[ $rc == 0 ]] || { echo "the measurement test failed (exit $rc); hub log:"; tail -20 "$WORK/verbund.log"; exit "$rc"; }

grep -m1 '^MEASURE ' "$WORK/e2e.out" | sed 's/^MEASURE //' | node -e '
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const m = JSON.parse(s);
  const mib = (b) => (b / 1048576).toFixed(2) + " MiB";
  const rows = [
    ["first overview chart drawn (from navigation start)", m.first_overview_chart_ms + " ms"],
    ["  its setData + redraw", m.first_overview_chart_setdata_ms + " ms"],
    ["  DOMContentLoaded", m.dom_content_loaded_ms + " ms"],
    ["frame interval, 10 live series at 1/s: mean", m.frame_ms_mean + " ms"],
    ["  p99 / max (" + m.frames + " frames, " + m.overview_chart_lines + " chart lines)", m.frame_ms_p99 + " / " + m.frame_ms_max + " ms"],
    ["JS heap after GC: start", mib(m.heap_start_bytes)],
    ["  after " + m.soak_minutes + " min of live updates", mib(m.heap_end_bytes)],
    ["  largest sample", mib(m.heap_max_bytes)],
    ["explorer: /write of 100,000 lines", m.explorer_write_100k_ms + " ms"],
    ["  generated (aggregated) view: click to drawn", m.explorer_aggregate.click_to_draw_ms + " ms (" + m.explorer_aggregate.points + " buckets)"],
    ["    its queries / its draw", m.explorer_aggregate.query_ms + " / " + m.explorer_aggregate.draw_ms + " ms"],
    ["  100,000 raw points: click to drawn", m.explorer_raw_100k.click_to_draw_ms + " ms"],
    ["    its query / its draw (data-draw-ms)", m.explorer_raw_100k.query_ms + " / " + m.explorer_raw_100k.draw_ms + " ms"],
    ["  JS heap after GC with 100,000 points", mib(m.explorer_heap_bytes)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log("");
  console.log("| " + "measure".padEnd(w) + " | value |");
  console.log("|" + "-".repeat(w + 2) + "|-------|");
  for (const [k, v] of rows) console.log("| " + k.padEnd(w) + " | " + v + " |");
  if (m.heap_samples_bytes?.length > 1) console.log("\nheap samples (MiB, one a minute): " + m.heap_samples_bytes.map((b) => (b / 1048576).toFixed(2)).join(" "));
});'
echo
echo "command: VERBUND_SOAK_MINUTES=$SOAK $0"
