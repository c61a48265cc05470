#!/usr/bin/env bash
# Runs `madoguchi eval` with a new database on every labelled set, on the
# knowledge base without its alternates (plain) and without its English too
# (japanese-only; and its English questions alone), on the questions typed in
# hiragana alone, and leave-one-out over the alternate questions (also
# asked of the knowledge base without them), and fails when a figure crosses
# its floor in tests/eval/floor.conf.
set -euo pipefail
bin=${1:-./madoguchi}
here=$(dirname "$0")
db=$(mktemp -d)/eval.db
trap 'rm -rf "$(dirname "$db")"' EXIT
# shellcheck disable=SC1091
. "$here/floor.conf"
fail=0
figure() { echo "$2" | awk -v k="$1" 'index($0, k) { for (i = 1; i <= NF; i++) if ($i ~ /%$/) { sub(/%/, "", $i); print $i; exit } }'; }
check() { # set name value op limit
  if ! awk -v v="$3" -v l="$5" -v op="$4" 'BEGIN { exit !(op == ">=" ? v >= l : v <= l) }'; then
    echo "eval floor: $1: $2 is $3%, the floor is $4 $5%" >&2; fail=1
  fi
}
# run NAME EVAL-ARGS...: checks each floor named NAME_top1, NAME_settled, ...
# With SECTION set, only the figures after the line starting with it count.
run() {
  local name=$1; shift
  local out; out=$("$bin" --db "$db" eval "$@")
  if [ -n "${SECTION:-}" ]; then out=$(echo "$out" | awk -v s="$SECTION" 'index($0, s) == 1 { on = 1 } on'); fi
  # sealed.tsv and fresh.tsv are read by nobody: only their totals are printed
  echo "$out" | grep -v '^\(BAD\|MISS\|OUT\) '
  local v
  for f in "top1:top-1 accuracy:>=" "top3:top-3 accuracy:>=" "settled:settled right:>=" \
           "out:out of scope handed off:>=" "wrong:answered wrongly:<=" "entry:right entry first:>=" \
           "answered:  answered  :>="; do
    IFS=: read -r key label op <<<"$f"
    local var="${name}_${key}"
    [ -n "${!var:-}" ] || continue
    v=$(figure "$label" "$out")
    check "$name" "$label" "$v" "$op" "${!var}"
  done
}
run dev "$here/dev.tsv"
run holdout "$here/holdout.tsv"
run blind "$here/blind.tsv"
run styles "$here/styles.tsv"
run sealed "$here/sealed.tsv"
run named "$here/named.tsv"
run fresh "$here/fresh.tsv"
run plain --plain "$here/dev.tsv"
for set in holdout blind styles sealed named fresh; do run "${set}plain" --plain "$here/$set.tsv"; done
run jaonly --japanese-only "$here/dev.tsv"
run jaen --japanese-only --lang en "$here/dev.tsv" "$here/holdout.tsv" "$here/styles.tsv"
run hira --hiragana-only "$here/dev.tsv" "$here/holdout.tsv" "$here/blind.tsv" "$here/styles.tsv"
run loo --loo
# the alternate questions asked of the knowledge base without them: a town's FAQ as imported
run plainloo --plain --loo
SECTION=leave-entry-out run leo --loo
[ $fail -eq 0 ] && echo "eval floor: ok"
exit $fail
