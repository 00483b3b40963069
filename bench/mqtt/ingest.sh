#!/usr/bin/env bash
# MQTT to storage: sustained points/s through the broker with QoS 1, every PUBACK meaning the
# reading is durable in the WAL (fsync=always), then a /query count that checks nothing was lost.
# There is no peer to compare with (mosquitto stores nothing), so this reports Verbund alone.
#
#   bench/mqtt/ingest.sh            # 16 publishers, QoS 1, 32 in flight each, 10 s
#   PUBLISHERS=4 DURATION=5 bench/mqtt/ingest.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BENCH_BIN=${BENCH_BIN:-$BUILD/tools/bench/verbund-bench}
VERBUND_BIN=${VERBUND_BIN:-$BUILD/src/server/verbund}
PUBLISHERS=${PUBLISHERS:-16}
WINDOW=${WINDOW:-32}
DURATION=${DURATION:-10}
FSYNC=${FSYNC:-always}

work=$(mktemp -d /tmp/verbund-ingest-bench.XXXXXX)
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mqtt_port=$(free_port)
http_port=$(free_port)
cat >"$work/verbund.toml" <<TOML
data_dir = "$work/data"
log_level = "warn"
[mqtt]
listen = "127.0.0.1:$mqtt_port"
tls_listen = ""
ws_listen = ""
receive_maximum = 65535
[http]
listen = "127.0.0.1:$http_port"
auth = false
[storage]
fsync = "$FSYNC"
[ingest]
tenant = "bench"
TOML
"$VERBUND_BIN" --config "$work/verbund.toml" >"$work/verbund.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  (echo >"/dev/tcp/127.0.0.1/$mqtt_port") 2>/dev/null && break
  sleep 0.1
done

cmd=("$BENCH_BIN" --port "$mqtt_port" --publishers "$PUBLISHERS" --subscribers 0 --qos 1
     --inflight "$WINDOW" --duration "$DURATION" --json-readings --quiet --json)
echo "command: ${cmd[*]} (fsync=$FSYNC)"
result=$("${cmd[@]}" | tail -n 1)
echo "$result"
completed=$(echo "$result" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["completed"])')
rate=$(echo "$result" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["completed"]/d["duration_s"]))')
# Each message is one reading with two fields (value, seq): two points.
stored=$(curl -s -G "127.0.0.1:$http_port/query" --data-urlencode db=bench \
  --data-urlencode 'q=SELECT count(value) FROM /bench/' |
  /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(s["values"][0][1] for s in d["results"][0].get("series",[])))')
echo
echo "acknowledged QoS 1 messages: $completed ($rate msg/s, $((rate * 2)) points/s durable)"
echo "readings found by /query:    $stored"
if [[ "$stored" -lt "$completed" ]]; then
  echo "LOST: fewer readings stored than acknowledged" >&2
  exit 1
fi
