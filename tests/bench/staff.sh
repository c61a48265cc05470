#!/usr/bin/env bash
# Residents' asks beside staff work: wrk on POST /api/v1/ask with the labelled
# questions rotating, first alone, then while an editor imports a large
# knowledge base (the sample's and 2,500 entries more, 2.9 MB of base64) over
# and over from the console's route; asks' p50 and p99 in both, and the
# imports done meanwhile with their time.
#   tests/bench/staff.sh [path/to/madoguchi]
# DURATION (default 10s), STAFF_CONNECTIONS (8: residents asking, not a
# flood), THREADS (2) tune the run, SERVER_THREADS the server's workers
# (default: one per core). Only 127.0.0.1 is used. Needs wrk, curl and jq.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-./madoguchi}
dir=$(mktemp -d)
. tests/bench/lib.sh
CONNECTIONS=${STAFF_CONNECTIONS:-8}
# An ask that waits for a whole import counts in p99, not as a timeout.
WRK_TIMEOUT=${WRK_TIMEOUT:-30s}
EXTRA_ENTRIES=${EXTRA_ENTRIES:-2500}
bench_need wrk curl jq base64

bench_serve "$BIN" "$dir/bench.db"

bench_questions "$dir/questions" 200
bench_ask_bodies "$dir/questions" > "$dir/bodies"
bench_cycle_lua POST "$dir/bodies" > "$dir/ask.lua"

# ---- an editor, logged in, and the import it sends ----
echo 'bench editor password' | "$BIN" --db "$dir/bench.db" user add benchedit --role editor > /dev/null
csrf=$(curl -fsS -c "$dir/jar" -H 'Content-Type: application/json' \
  -d '{"name": "benchedit", "password": "bench editor password"}' "$url/api/v1/admin/login" | jq -r .csrf)
curl -fsS -b "$dir/jar" "$url/api/v1/admin/kb.csv" > "$dir/kb.csv"
# The same rows as tests/unit/test_attack.c's large import: a venue each.
awk -v n="$EXTRA_ENTRIES" 'BEGIN {
  for (i = 0; i < n; i++) {
    a = ""
    for (k = 0; k < 8; k++) a = a sprintf("送迎バスは町役場から%d時%d分に出ます。", 8 + k, (i * 7 + k) % 60)
    printf "extra-%d,extra-%d,booking,booking,published,第%d会場の駐車場と送迎バスについて教えてください,", i, i, i
    printf "\"第%d会場には駐車場が%d台あります。%s\",Parking at venue %d,There are %d spaces at venue %d.,,", i, 20 + i % 50, a, i, 20 + i % 50, i
    printf "第%d会場に車で行けますか|第%d会場の送迎,駐車場|送迎,,,,,\r\n", i, i
  }
}' >> "$dir/kb.csv"
printf '{"csv_base64": "%s"}' "$(base64 -w0 "$dir/kb.csv")" > "$dir/import.json"

import_once() {
  curl -sS -o "$dir/import.out" -w '%{http_code} %{time_total}\n' -b "$dir/jar" -H "X-CSRF-Token: $csrf" \
    -H 'Content-Type: application/json' --data-binary @"$dir/import.json" "$url/api/v1/admin/kb.csv"
}
read -r code _ < <(import_once)
[ "$code" = 200 ] && jq -e .ok "$dir/import.out" > /dev/null ||
  { echo "$(basename "$0"): the import was refused: $code $(head -c 300 "$dir/import.out")" >&2; exit 1; }

# ---- measure ----
bench_run "$url/api/v1/ask" "$dir/ask.lua" "$WARMUP" > /dev/null
read -r a_rps a_p50 a_p99 a_err _ < <(bench_run "$url/api/v1/ask" "$dir/ask.lua")
( while [ ! -e "$dir/stop" ]; do import_once >> "$dir/imports"; done ) &
importer=$!
bench_pids+=("$importer")
sleep 1   # the first import is under way
read -r d_rps d_p50 d_p99 d_err _ < <(bench_run "$url/api/v1/ask" "$dir/ask.lua")
touch "$dir/stop"
wait "$importer"
done_n=$(awk '$1 == 200' "$dir/imports" | wc -l)
other=$(awk '$1 != 200' "$dir/imports" | wc -l)
each=$(awk '$1 == 200 { s += $2; n++ } END { if (n) printf "%.1f", s / n; else print "-" }' "$dir/imports")

echo "== asks beside staff imports: POST /api/v1/ask, $CONNECTIONS connections, $THREADS wrk threads, $DURATION, $(nproc) cores, server workers ${SERVER_THREADS:-one per core} =="
bench_row asks 'req/s' 'p50 ms' 'p99 ms' errors
bench_row 'alone' "$a_rps" "$a_p50" "$a_p99" "$a_err"
bench_row 'while the large import runs' "$d_rps" "$d_p50" "$d_p99" "$d_err"
echo "imports: $done_n done (${each} s each, $(wc -c < "$dir/import.json") B), $other refused or failed"
