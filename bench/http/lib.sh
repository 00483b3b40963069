# Shell helpers shared by the HTTP benchmarks (sourced by run.sh and ingest_shapes.sh).
# Needs PY (the python3 to use).

stop_pid() {  # stop_pid PID: SIGTERM, wait up to 60 s, then SIGKILL
  local p="$1"
  kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_url() {  # wait_url URL NAME LOG: until URL answers 2xx (30 s), else show LOG and exit
  for _ in $(seq 300); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "$2 did not come up"; tail -20 "$3"; exit 1
}
cpu_s() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }  # utime+stime of a pid
dirbytes() { du -sb "$@" 2>/dev/null | awk '{s+=$1} END{print s+0}'; }
