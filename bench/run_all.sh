#!/usr/bin/env bash
# Every side-by-side benchmark, one after the other (about 15-25 minutes on 2 cores).
# Results go to stdout; record them with their commands in bench/RESULTS.md.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BUILD=${BUILD:-$root/build}
status=0
for script in mqtt/run.sh mqtt/ingest.sh storage/run.sh http/run.sh; do
  [[ -x "$root/bench/$script" ]] || continue
  printf '\n===== bench/%s\n' "$script"
  "$root/bench/$script" || status=1
done
exit $status
