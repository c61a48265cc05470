#!/usr/bin/env bash
# Runs `madoguchi eval` on the labelled dev set with a new database and fails
# when a figure crosses the floor in tests/eval/floor.conf.
set -euo pipefail
bin=${1:-./madoguchi}
here=$(dirname "$0")
db=$(mktemp -d)/eval.db
trap 'rm -rf "$(dirname "$db")"' EXIT
out=$("$bin" --db "$db" eval "$here/dev.tsv")
echo "$out"
# shellcheck disable=SC1091
. "$here/floor.conf"
figure() { echo "$out" | awk -v k="$1" 'index($0, k) { for (i = 1; i <= NF; i++) if ($i ~ /%$/) { sub(/%/, "", $i); print $i; exit } }'; }
fail=0
check() { # name value op limit
  if ! awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { exit !(op == ">=" ? v >= l : v <= l) }'; then
    echo "eval floor: $1 is $2%, the floor is $3 $4%" >&2; fail=1
  fi
}
check "top-1 accuracy" "$(figure 'top-1 accuracy')" ">=" "$min_top1"
check "settled right" "$(figure 'settled right')" ">=" "$min_settled"
check "out of scope handed off" "$(figure 'out of scope handed off')" ">=" "$min_out_handoff"
check "answered wrongly" "$(figure 'answered wrongly')" "<=" "$max_answered_wrongly"
[ $fail -eq 0 ] && echo "eval floor: ok"
exit $fail
