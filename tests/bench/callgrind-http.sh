#!/usr/bin/env bash
# Instructions per HTTP ask, steadier than req/s on a shared machine: the
# server under callgrind with one worker, the first 70 questions of the dev
# set asked over one kept-alive connection twice (the first round warms the
# server: its model, the dictionary, and the decision cache unless it is
# off), counted over the second round only, every thread (the event log's
# writer too).
#   tests/bench/callgrind-http.sh [path/to/madoguchi] [serve options...]
#   tests/bench/callgrind-http.sh ./madoguchi --no-decision-cache
#   ROUTE=suggest tests/bench/callgrind-http.sh ./madoguchi   # GET suggest?q= with
#                 each question's first four characters, as the widget sends while typing
# Prints the total and the main parts per ask; leaves callgrind's file in
# OUT (default /tmp/callgrind-http.out) for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-./madoguchi}
shift || true
OUT=${OUT:-/tmp/callgrind-http.out}
N=70
dir=$(mktemp -d)
. tests/bench/lib.sh
bench_need valgrind curl jq

"$BIN" --db "$dir/cg.db" ask x > /dev/null   # a database made from the sample
awk -F'\t' -v n="$N" '!/^#/ && k++ < n { print $1 }' tests/eval/dev.tsv | jq -Rc '{question: .}' > "$dir/bodies"
# Under callgrind the dictionary's read before listening takes a minute or two.
SERVER_THREADS=1 SERVE_WAIT=3000 SERVE_PREFIX="valgrind --tool=callgrind --callgrind-out-file=$dir/cg.%p" \
  bench_serve "$BIN" "$dir/cg.db" "$@"
# One curl, one connection, every question in turn (curl's config format).
if [ "${ROUTE:-ask}" = suggest ]; then
  jq -r --arg url "$url/api/v1/suggest?q=" '"url = \"" + $url + (.question[0:4] | @uri) + "\"\noutput = \"/dev/null\"\nsilent\nnext"' \
    "$dir/bodies" | sed '$d' > "$dir/curl.cfg"
else
  jq -r --arg url "$url/api/v1/ask" '"url = \"" + $url + "\"\nheader = \"Content-Type: application/json\"\ndata-binary = " + (. | tojson | tojson) + "\noutput = \"/dev/null\"\nsilent\nnext"' \
    "$dir/bodies" | sed '$d' > "$dir/curl.cfg"   # no "next" after the last
fi
curl -K "$dir/curl.cfg"
sleep 1   # the event log's writer has written the first round
callgrind_control -z "$srv" > /dev/null 2>&1
curl -K "$dir/curl.cfg"
sleep 1
callgrind_control -d "$srv" > /dev/null 2>&1
sleep 1
kill -TERM "$srv"
wait "$srv" || true
srv=
cp "$(ls "$dir"/cg.*.1)" "$OUT"
callgrind_annotate --inclusive=yes --auto=no "$OUT" 2> /dev/null | awk -v n="$N" -v route="${ROUTE:-ask}" '
  /PROGRAM TOTALS/ { gsub(",", "", $1); printf "per HTTP %s: %.3f M instructions (%s over %d)\n", route, $1 / n / 1e6, $1, n }
  /:(chatbot_ask|chatbot_suggest|kb_search|json_dumps|send_json_with|events_log_ask_normalised|events_log_ask|writer_main|town_line_json|kb_entry_get|chatbot_shown_entry) / {
    v = $1; gsub(",", "", v); f = $0; sub(/ \[.*/, "", f); sub(/.*:/, "", f); if (seen[f]++) next
    printf "  %-28s %.3f M\n", f, v / n / 1e6 }'
