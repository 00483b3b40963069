#!/usr/bin/env bash
# Runs the same MQTT workloads against Debian's mosquitto and against Verbund, one broker at a
# time (each workload on a freshly started broker), and prints a comparison table.
#
#   bench/mqtt/run.sh [--quick] [--only mosquitto|verbund] [--skip-idle | --idle-only]
#   bench/mqtt/run.sh --auth [--quick] [--only mosquitto|verbund]     (or AUTH=1)
#   bench/mqtt/run.sh --instructions         (Verbund auth off and on; INSTR_PAIR=audit: audit)
#
# Workloads: QoS 0 and QoS 1 throughput with $PAIRS publisher/subscriber pairs and
# $PAYLOAD-byte payloads; fan-out 1 publisher -> $FANOUT_SUBS subscribers; p50/p99 latency at a
# fixed rate; resident memory per idle connection at $IDLE_CONNS connections.
# --auth: access control on the hot path. Only the QoS 0 and QoS 1 throughput runs, each against
# Verbund with auth off (anonymous), Verbund with $TENANTS tenants, a principal per bench client
# and $TENANTS x $RULES rules, mosquitto with an acl_file and password_file of the same rules,
# and mosquitto with the dynamic-security plugin configured with them (bench/mqtt/auth_setup.py,
# run before anything is measured), $ROUNDS rounds in alternating order; the table shows
# medians and the ratios Verbund-on / Verbund-off, / mosquitto-acl, / mosquitto-dynsec, and each
# broker's CPU time per delivered message while publishing and draining (connects excluded).
# --instructions: the same off/on pair, each hub run under valgrind (callgrind) with
# $INSTR_DURATION s of QoS 0 traffic at $INSTR_LOW and at $INSTR_HIGH publishes/s per publisher:
# the instructions of the hub's I/O threads (boost::asio's scheduler::run) less those of CONNECT
# handling (password hashing: hundreds of millions of instructions per connect), the difference
# of the two runs over the difference of their deliveries: the broker's user-space instructions
# per delivered message, with start-up, connects and the work done per second whatever the
# traffic (same duration) cancelled out. INSTR_PAIR=audit compares the audit log off and on
# instead (anonymous clients, QoS 1, fsync always; bench/audit/qos1_audit.sh's set-up). Unlike time on a shared 2-core machine it barely varies between runs,
# so it can show a few percent of difference; it leaves out the kernel's share (the same TCP
# traffic off and on).
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
AUTH=${AUTH:-0}                     # 1 = the access-control comparison (--auth)
TENANTS=${TENANTS:-100}             # --auth: tenants, and rules per tenant
RULES=${RULES:-100}
ROUNDS=${ROUNDS:-1}                 # --auth: rounds of every run, the order alternating
BROKER_CPUS=${BROKER_CPUS:-}        # e.g. 0: the broker pinned there (taskset), and the bench
CLIENT_CPUS=${CLIENT_CPUS:-}        # client on CLIENT_CPUS (e.g. 1), so they do not compete
FIXED_RATE=${FIXED_RATE:-30000}     # --auth: publishes/s per publisher of the fixed-rate QoS 0 run
                                    # (Verbund off and on only: beyond mosquitto's capacity)
AUTH_PASSWORD=${AUTH_PASSWORD:-bench-pw}
DYNSEC_PLUGIN=${DYNSEC_PLUGIN:-/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so}
MOSQUITTO_PASSWD=${MOSQUITTO_PASSWD:-/usr/bin/mosquitto_passwd}
INSTRUCTIONS=${INSTRUCTIONS:-0}     # 1 = --instructions
INSTR_LOW=${INSTR_LOW:-50}          # --instructions: QoS 0 publishes/s per publisher of the
INSTR_HIGH=${INSTR_HIGH:-150}       # low-rate and the high-rate run, each INSTR_DURATION s
INSTR_DURATION=${INSTR_DURATION:-10}
INSTR_PAIR=${INSTR_PAIR:-auth}      # --instructions: auth (off vs on, QoS 0) or audit (the audit
                                    # log off vs on, QoS 1, anonymous)
VALGRIND=${VALGRIND:-valgrind}
WAIT_TRIES=${WAIT_TRIES:-200}       # x 50 ms for a broker to open its port, and to exit

only=""
skip_idle=0
idle_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) DURATION=3; IDLE_CONNS=${IDLE_CONNS_QUICK:-2000}; FANOUT_SUBS=${FANOUT_SUBS_QUICK:-200} ;;
    --only) only="$2"; shift ;;
    --skip-idle) skip_idle=1 ;;
    --idle-only) idle_only=1 ;;
    --auth) AUTH=1 ;;
    --instructions) INSTRUCTIONS=1; AUTH=1; only=verbund ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "run.sh: $*" >&2; exit 1; }
# How the bench clients of the auth set-ups log in (auth_setup.py's principals).
AUTH_CREDS=(--tenants "$TENANTS" --username 'tenant{t}/bench-{r}{i}' --password "$AUTH_PASSWORD")
PIN_BROKER=(); PIN_CLIENT=()
[[ -n "$BROKER_CPUS" ]] && PIN_BROKER=(taskset -c "$BROKER_CPUS")
[[ -n "$CLIENT_CPUS" ]] && PIN_CLIENT=(taskset -c "$CLIENT_CPUS")
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
  rm -rf "$WORK/verbund-data" "$WORK/verbund-auth-template"
  [[ -n "${MOSQ_AUTH_DIR:-}" ]] && rm -rf "$MOSQ_AUTH_DIR"
  return 0
}
trap cleanup EXIT

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
  local port=$1 i
  for i in $(seq 1 "$WAIT_TRIES"); do
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
  "${PIN_BROKER[@]}" "$MOSQUITTO_BIN" -c "$WORK/mosquitto.conf" >> "$WORK/mosquitto.out" 2>&1 &
  BROKER_PID=$!
}

# verbund_conf FILE MQTT_PORT HTTP_PORT DATA_DIR [auth]: the hub's configuration; with "auth",
# HTTP needs credentials and MQTT refuses anonymous clients (directory principals only).
verbund_conf() {
  local file=$1 port=$2 http_port=$3 data_dir=$4 auth=${5:-} audit=${6:-}
  cat > "$file" <<CONF
data_dir = "$data_dir"

[mqtt]
listen = "127.0.0.1:$port"
tls_listen = ""
ws_listen = ""
receive_maximum = $INFLIGHT
max_queued_messages = $QUEUED
CONF
  [[ -n "$auth" ]] && echo 'allow_anonymous = false' >> "$file"
  cat >> "$file" <<CONF

[http]
listen = "127.0.0.1:$http_port"
auth = $([[ -n "$auth" ]] && echo true || echo false)

[ingest]
enabled = false
CONF
  if [[ -n "$audit" ]]; then
    printf '\n[audit]\nenabled = %s\nfsync = "always"\n' "$audit" >> "$file"
  fi
}

start_verbund() {
  local port=$1
  rm -rf "$WORK/verbund-data"
  verbund_conf "$WORK/verbund.toml" "$port" "$(free_port)" "$WORK/verbund-data"
  "${PIN_BROKER[@]}" "$VERBUND_BIN" --config "$WORK/verbund.toml" >> "$WORK/verbund.out" 2>&1 &
  BROKER_PID=$!
}

# --instructions with INSTR_PAIR=audit: the default hub with the audit log off, and on with
# fsync = "always" (as bench/audit/qos1_audit.sh).
start_verbund_noaudit() { start_verbund_with_audit "$1" false; }
start_verbund_audit() { start_verbund_with_audit "$1" true; }
start_verbund_with_audit() {
  rm -rf "$WORK/verbund-data"
  verbund_conf "$WORK/verbund-audit-$2.toml" "$1" "$(free_port)" "$WORK/verbund-data" "" "$2"
  "${PIN_BROKER[@]}" "$VERBUND_BIN" --config "$WORK/verbund-audit-$2.toml" >> "$WORK/verbund_audit_$2.out" 2>&1 &
  BROKER_PID=$!
}

# --auth brokers. Their set-up (setup_auth) is done once, before anything is measured: a data
# directory holding the tenants, principals and rules, copied for every run, and mosquitto's
# files in a directory its own user (it drops root privileges) can read.
start_verbund_auth() {
  local port=$1
  rm -rf "$WORK/verbund-data"
  cp -a "$WORK/verbund-auth-template" "$WORK/verbund-data"
  verbund_conf "$WORK/verbund-auth.toml" "$port" "$(free_port)" "$WORK/verbund-data" auth
  "${PIN_BROKER[@]}" "$VERBUND_BIN" --config "$WORK/verbund-auth.toml" >> "$WORK/verbund_auth.out" 2>&1 &
  BROKER_PID=$!
}

mosquitto_auth_conf() {  # mosquitto_auth_conf PORT: the shared part of both mosquitto set-ups
  cat <<CONF
listener $1 127.0.0.1
allow_anonymous false
persistence false
max_connections -1
max_inflight_messages $INFLIGHT
max_queued_messages $QUEUED
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
CONF
}

start_mosquitto_acl() {
  local port=$1
  { mosquitto_auth_conf "$port"
    echo "password_file $MOSQ_AUTH_DIR/passwd"
    echo "acl_file $MOSQ_AUTH_DIR/acl"
  } > "$WORK/mosquitto-acl.conf"
  "${PIN_BROKER[@]}" "$MOSQUITTO_BIN" -c "$WORK/mosquitto-acl.conf" >> "$WORK/mosquitto_acl.out" 2>&1 &
  BROKER_PID=$!
}

start_mosquitto_dynsec() {
  local port=$1
  cp "$MOSQ_AUTH_DIR/dynsec.json" "$MOSQ_AUTH_DIR/dynsec-run.json"  # the plugin may rewrite it
  chmod 644 "$MOSQ_AUTH_DIR/dynsec-run.json"
  { mosquitto_auth_conf "$port"
    echo "plugin $DYNSEC_PLUGIN"
    echo "plugin_opt_config_file $MOSQ_AUTH_DIR/dynsec-run.json"
  } > "$WORK/mosquitto-dynsec.conf"
  "${PIN_BROKER[@]}" "$MOSQUITTO_BIN" -c "$WORK/mosquitto-dynsec.conf" >> "$WORK/mosquitto_dynsec.out" 2>&1 &
  BROKER_PID=$!
}

# The operator token from --init-admin, then tenants, principals and rules through the admin API
# of a hub started on the template directory, which is then stopped; mosquitto's files.
setup_auth() {  # setup_auth [verbund] [mosquitto]: the set-ups to prepare
  local model=(--tenants "$TENANTS" --rules "$RULES" --pairs "$PAIRS" --password "$AUTH_PASSWORD")
  local http_port token t0=$SECONDS
  echo "== set-up (not measured): $TENANTS tenants x $RULES rules, principals for $((2 * PAIRS)) bench clients" >&2
  if [[ " $* " == *" verbund "* ]]; then
    rm -rf "$WORK/verbund-auth-template"
    http_port=$(free_port)
    verbund_conf "$WORK/verbund-setup.toml" "$(free_port)" "$http_port" "$WORK/verbund-auth-template" auth
    token=$("$VERBUND_BIN" --config "$WORK/verbund-setup.toml" --init-admin bench 2>> "$WORK/verbund_auth.out" |
            grep -m1 '^vbt_') || die "verbund --init-admin failed (see $WORK/verbund_auth.out)"
    "$VERBUND_BIN" --config "$WORK/verbund-setup.toml" >> "$WORK/verbund_auth.out" 2>&1 &
    BROKER_PID=$!
    wait_port "$http_port" || die "verbund did not start for the set-up (see $WORK/verbund_auth.out)"
    "$PYTHON" "$ROOT/bench/mqtt/auth_setup.py" verbund --server "http://127.0.0.1:$http_port" \
        --token "$token" "${model[@]}" >&2 || die "verbund set-up failed"
    stop_broker
  fi
  if [[ " $* " == *" mosquitto "* ]]; then
    MOSQ_AUTH_DIR=$(mktemp -d /tmp/verbund-mqtt-bench-mosq.XXXXXX)
    chmod 755 "$MOSQ_AUTH_DIR"
    "$PYTHON" "$ROOT/bench/mqtt/auth_setup.py" mosquitto --dir "$MOSQ_AUTH_DIR" \
        --mosquitto-passwd "$MOSQUITTO_PASSWD" "${model[@]}" >&2 || die "mosquitto set-up failed"
    chmod 644 "$MOSQ_AUTH_DIR"/*
  fi
  echo "   set-up took $((SECONDS - t0)) s" >&2
}

stop_broker() {
  if [[ -n "$BROKER_PID" ]] && kill -0 "$BROKER_PID" 2>/dev/null; then
    kill "$BROKER_PID" 2>/dev/null || true
    for _ in $(seq 1 "$WAIT_TRIES"); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.05; done
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
  echo "  ${RUN_LABEL:-$name}: verbund-bench $*" >&2
  echo "$BROKER_PID" > "$OUT_DIR/${broker}_$name.pid"
  if ! "${PIN_CLIENT[@]}" "$BENCH_BIN" --port "$port" --mqtt-version "$MQTT_VERSION" --threads "$BENCH_THREADS" \
        --broker-pid "$BROKER_PID" --json --quiet "$@" | tail -n 1 > "$OUT_DIR/${broker}_$name.json"; then
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

# --auth: the same QoS 0 and QoS 1 runs against the four set-ups, round by round, the order of
# the set-ups reversed every other round. Client ids are fixed (vb-p3, vb-s3: the %c rules name
# them); Verbund's topics are relative to the tenant's namespace, mosquitto's carry the tenant.
run_auth() {
  local brokers=() setups=() order r b w
  if [[ -z "$only" || "$only" == verbund ]]; then
    [[ -x "$VERBUND_BIN" ]] || die "no verbund binary at $VERBUND_BIN (set VERBUND_BIN)"
    brokers+=(verbund verbund_auth); setups+=(verbund)
  fi
  if [[ -z "$only" || "$only" == mosquitto ]]; then
    if [[ ! -x "$MOSQUITTO_BIN" ]]; then echo "== mosquitto: $MOSQUITTO_BIN missing, skipped" >&2
    elif [[ ! -r "$DYNSEC_PLUGIN" ]]; then
      echo "== mosquitto-dynsec: no plugin at $DYNSEC_PLUGIN, skipped" >&2
      brokers+=(mosquitto_acl); setups+=(mosquitto)
    else brokers+=(mosquitto_acl mosquitto_dynsec); setups+=(mosquitto); fi
  fi
  setup_auth "${setups[@]}"
  local -A args=(
    [verbund]="--topic site0/line0/bench-p{k}/data"
    [verbund_auth]="--topic site0/line0/bench-p{k}/data"
    [mosquitto_acl]="--topic tenant{t}/site0/line0/bench-p{k}/data"
    [mosquitto_dynsec]="--topic tenant{t}/site0/line0/bench-p{k}/data"
  )
  for r in $(seq 1 "$ROUNDS"); do
    order=("${brokers[@]}")
    if (( r % 2 == 0 )); then
      order=(); for (( b = ${#brokers[@]} - 1; b >= 0; b-- )); do order+=("${brokers[b]}"); done
    fi
    echo "== round $r of $ROUNDS: ${order[*]}" >&2
    for w in qos0 qos1 fixed; do
      for b in "${order[@]}"; do
        [[ "$w" == fixed && "$b" == mosquitto* ]] && continue
        local extra=(--client-id 'vb-{r}{i}')
        # shellcheck disable=SC2206  # the topic template holds no spaces
        extra+=(${args[$b]})
        [[ "$b" != verbund ]] && extra+=("${AUTH_CREDS[@]}")
        RUN_LABEL="$w $b (round $r)"
        if [[ "$w" == qos0 ]]; then
          run_bench "$b" "qos0_r$r" --publishers "$PAIRS" --subscribers "$PAIRS" --qos 0 \
              --payload "$PAYLOAD" --duration "$DURATION" "${extra[@]}"
        elif [[ "$w" == fixed ]]; then
          run_bench "$b" "fixed_r$r" --publishers "$PAIRS" --subscribers "$PAIRS" --qos 0 \
              --payload "$PAYLOAD" --duration "$DURATION" --rate "$FIXED_RATE" "${extra[@]}"
        else
          run_bench "$b" "qos1_r$r" --publishers "$PAIRS" --subscribers "$PAIRS" --qos 1 \
              --payload "$PAYLOAD" --duration "$DURATION" --inflight "$PUB_WINDOW" "${extra[@]}"
        fi
      done
    done
  done
  RUN_LABEL=""
  "$PYTHON" - "$OUT_DIR" "$ROUNDS" "$TENANTS" "$RULES" "$PAIRS" "$FIXED_RATE" <<'PY'
import json, os, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
tenants, rules, pairs, fixed_rate = sys.argv[3:7]
brokers = [("verbund", "verbund off"), ("verbund_auth", "verbund on"),
           ("mosquitto_acl", "mosq acl_file"), ("mosquitto_dynsec", "mosq dynsec")]
def load(b, w, r):
    try:
        with open(os.path.join(out, f"{b}_{w}_r{r}.json")) as f:
            return json.loads(f.read().strip() or "null")
    except (OSError, ValueError):
        return None
def runs(b, w):
    return [x for x in (load(b, w, r) for r in range(1, rounds + 1)) if x is not None]
def median(b, w, f):
    v = [f(x) for x in runs(b, w)]
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None
rate = lambda x: x.get("received_per_s")
# The broker's CPU per delivered message while publishing and draining (connects, with their
# password hashing, excluded).
cpu = lambda x: (x["broker_cpu_s"] * 1e9 / x["received"]
                 if x.get("broker_cpu_s") is not None and x.get("received") else None)
delivery = lambda x: 100.0 * x["received"] / x["expected"] if x.get("expected") else None
def fmt(v, pct=False):
    if v is None: return "-"
    return f"{v:.1f}" if pct else f"{v:,.0f}"
def ratio(a, b):
    return a / b if a is not None and b else None
print()
print(f"access control: {tenants} tenants x {rules} rules, {pairs} pairs; median of {rounds} round(s)")
print("(CPU/message rows: the on/off column holds off/on, so that above 1 is better there too)")
print(f"{'metric':28}" + "".join(f"{n:>15}" for _, n in brokers) +
      f"{'on/off':>9}{'on/acl':>9}{'on/dynsec':>11}")
print("-" * 115)
goals = []
for w, label in (("qos0", "QoS 0"), ("qos1", "QoS 1")):
    v = {b: median(b, w, rate) for b, _ in brokers}
    r = (ratio(v["verbund_auth"], v["verbund"]), ratio(v["verbund_auth"], v["mosquitto_acl"]),
         ratio(v["verbund_auth"], v["mosquitto_dynsec"]))
    rs = [f"{x:.3f}" if i == 0 and x is not None else (f"{x:.2f}x" if x is not None else "-")
          for i, x in enumerate(r)]
    print(f"{label + ' throughput (msg/s)':28}" + "".join(f"{fmt(v[b]):>15}" for b, _ in brokers) +
          f"{rs[0]:>9}{rs[1]:>9}{rs[2]:>11}")
    d = {b: median(b, w, delivery) for b, _ in brokers}
    print(f"{label + ' delivered (%)':28}" + "".join(f"{fmt(d[b], True):>15}" for b, _ in brokers))
    if rounds > 1:
        for b, n in brokers:
            vals = [rate(x) for x in runs(b, w)]
            if vals:
                print(f"   {label} {n:14} per round: " + ", ".join(f"{x:,.0f}" for x in vals))
    c = {b: median(b, w, cpu) for b, _ in brokers}
    cr = ratio(c["verbund"], c["verbund_auth"])  # off/on: like the throughput ratio, > 1 is better
    print(f"{label + ' CPU/message (ns)':28}" + "".join(f"{fmt(c[b]):>15}" for b, _ in brokers) +
          f"{'-' if cr is None else f'{cr:.3f}':>9}")
    goals.append((f"{label}: on/off >= 0.95", r[0], 0.95))
    goals.append((f"{label}: on/acl_file >= 2", r[1], 2.0))
    goals.append((f"{label}: on/dynsec >= 2", r[2], 2.0))
# The same QoS 0 traffic at a fixed offered rate below saturation: equal work for both, so the
# CPU per message is the checks' cost without saturation's batching effects.
c = {b: median(b, "fixed", cpu) for b, _ in brokers[:2]}
cr = ratio(c["verbund"], c["verbund_auth"])
print(f"{'QoS 0 at ' + str(int(fixed_rate) * int(pairs)) + '/s: CPU/msg':28}" +
      "".join(f"{fmt(c[b]):>15}" for b, _ in brokers[:2]) + " " * 30 +
      f"{'-' if cr is None else f'{cr:.3f}':>9}")
if rounds > 1:
    for b, n in brokers[:2]:
        vals = [cpu(x) for x in runs(b, "fixed")]
        if vals and None not in vals:
            print(f"   fixed rate {n:11} per round: " + ", ".join(f"{x:,.0f} ns" for x in vals))
goals.append(("QoS 0 fixed rate: off/on CPU >= 0.95", cr, 0.95))
def errors(b):
    r = [x for w in ("qos0", "qos1", "fixed") for x in runs(b, w)]
    return f"{sum(x.get('errors', 0) for x in r):,}" if r else "-"
print(f"{'errors (all runs)':28}" + "".join(f"{errors(b):>15}" for b, _ in brokers))
print()
for text, value, goal in goals:
    print(f"  {text:32} {'-' if value is None else ('met' if value >= goal else 'NOT met')}")
print(f"raw results: {out}")
PY
}

# --instructions: Verbund off and on under valgrind, a low-rate and a high-rate run each, per
# round.
run_instructions() {
  command -v "$VALGRIND" > /dev/null || die "no valgrind (apt-get install valgrind)"
  command -v callgrind_annotate > /dev/null || die "no callgrind_annotate (apt-get install valgrind)"
  local pair qos
  case "$INSTR_PAIR" in
    auth) pair=(verbund verbund_auth); qos=(--qos 0); setup_auth verbund ;;
    audit) pair=(verbund_noaudit verbund_audit); qos=(--qos 1 --inflight "$PUB_WINDOW") ;;
    *) die "INSTR_PAIR must be auth or audit" ;;
  esac
  PIN_BROKER=("$VALGRIND" --tool=callgrind --callgrind-out-file="$WORK/callgrind.%p"
              --log-file="$WORK/valgrind.%p")
  WAIT_TRIES=12000  # start-up and shutdown under valgrind take tens of seconds
  local r b d pid extra
  for r in $(seq 1 "$ROUNDS"); do
    for b in "${pair[@]}"; do
      for d in "$INSTR_LOW" "$INSTR_HIGH"; do
        extra=(--client-id 'vb-{r}{i}' --topic 'site0/line0/bench-p{k}/data')
        [[ "$b" == verbund_auth ]] && extra+=("${AUTH_CREDS[@]}")
        RUN_LABEL="instructions $b at ${d}/s (round $r)"
        run_bench "$b" "instr${d}_r$r" --publishers "$PAIRS" --subscribers "$PAIRS" "${qos[@]}" \
            --payload "$PAYLOAD" --duration "$INSTR_DURATION" --rate "$d" --drain 60 "${extra[@]}"
        pid=$(cat "$OUT_DIR/${b}_instr${d}_r$r.pid")
        # Inclusive instructions of the I/O threads' loop and of CONNECT handling.
        callgrind_annotate --inclusive=yes --threshold=100 "$WORK/callgrind.$pid" 2> /dev/null |
          awk '/scheduler::run\(/ && !run { gsub(",", "", $1); run = $1 }
               /Connection::HandleConnect\(/ && !con { gsub(",", "", $1); con = $1 }
               END { printf "%.0f %.0f\n", run, con }' > "$OUT_DIR/${b}_instr${d}_r$r.irefs"
        rm -f "$WORK/callgrind.$pid"
      done
    done
  done
  "$PYTHON" - "$OUT_DIR" "$ROUNDS" "$TENANTS" "$RULES" "$PAIRS" "$INSTR_LOW" "$INSTR_HIGH" \
      "$INSTR_DURATION" "$INSTR_PAIR" "${pair[@]}" <<'PY'
import json, os, statistics, sys
out, rounds, tenants, rules, pairs, short, long_, duration, what, off_b, on_b = sys.argv[1:12]
def read(b, d, r):
    try:
        with open(os.path.join(out, f"{b}_instr{d}_r{r}.json")) as f:
            res = json.loads(f.read().strip() or "null")
        with open(os.path.join(out, f"{b}_instr{d}_r{r}.irefs")) as f:
            run, connect = (int(x) for x in f.read().split())
        return res, (run - connect if run else None)
    except (OSError, ValueError, TypeError):
        return None, None
print()
setup = (f"{tenants} tenants x {rules} rules, QoS 0" if what == "auth"
         else "the audit log off and on (fsync always), QoS 1")
print(f"I/O threads' instructions per delivered message (callgrind): {setup}, {pairs} pairs, "
      f"{duration} s at {short}/s and at {long_}/s per publisher")
per = {off_b: [], on_b: []}
for r in range(1, int(rounds) + 1):
    for b in per:
        (s, si), (l, li) = read(b, short, r), read(b, long_, r)
        if not (s and l and si and li) or l["received"] <= s["received"]:
            print(f"  round {r} {b}: incomplete"); continue
        lost = (l["expected"] - l["received"]) + (s["expected"] - s["received"])
        per[b].append((li - si) / (l["received"] - s["received"]))
        print(f"  round {r} {b:15} {per[b][-1]:10,.0f} instructions/message "
              f"({l['received'] - s['received']:,} messages apart, {lost:,} not delivered)")
off, on = per[off_b], per[on_b]
if off and on:
    mo, mn = statistics.median(off), statistics.median(on)
    print(f"median: off {mo:,.0f}, on {mn:,.0f}; off/on {mo / mn:.3f} (>= 0.95: at most 5% more work "
          f"per message with {what} on: {'met' if mo / mn >= 0.95 else 'NOT met'})")
print(f"raw results: {out}")
PY
}

if (( INSTRUCTIONS )); then
  run_instructions
  exit 0
fi
if (( AUTH )); then
  run_auth
  exit 0
fi

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
