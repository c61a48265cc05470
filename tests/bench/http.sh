#!/usr/bin/env bash
# The HTTP benchmark: wrk on POST /api/v1/ask with a rotating mix of real
# questions, next to nginx serving a static JSON file of the same size as a
# typical answer (the practical ceiling of this machine), in the same run;
# then, after a clean stop, the asks in the event log against those answered.
# madoguchi runs twice: with its decision cache, where the rotating questions
# are asked again and again (every ask after the warm-up finds its ranking),
# and with `serve --no-decision-cache`, every ask searching, as a question
# nobody asked before does.
#   tests/bench/http.sh [path/to/madoguchi]
# DURATION (default 10s), CONNECTIONS (64), THREADS (2) tune the run,
# SERVER_THREADS the server's workers (default: one per core). Only
# 127.0.0.1 is used. Needs wrk, nginx-light and jq (make bench installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-./madoguchi}
dir=$(mktemp -d)
. tests/bench/lib.sh
bench_need wrk nginx curl jq

chmod 755 "$dir"   # nginx's workers run as an unprivileged user
# Two servers, each with its own database (and event log to count).
SERVE_LOG=serve-off bench_serve "$BIN" "$dir/bench-off.db" --no-decision-cache
srv_off=$srv url_off=$url
bench_pids+=("$srv_off")
srv=
bench_serve "$BIN" "$dir/bench.db"

# ---- the question mix: the labelled set's questions, or a built-in few ----
bench_questions "$dir/questions" 200
bench_ask_bodies "$dir/questions" > "$dir/bodies"
bench_cycle_lua POST "$dir/bodies" > "$dir/ask.lua"
bench_report_lua > "$dir/report.lua"

# ---- the static twin: a real answer, byte for byte, served by nginx ----
curl -fsS -H 'Content-Type: application/json' -d "$(head -1 "$dir/bodies")" "$url/api/v1/ask" > "$dir/answer.json"
size=$(wc -c < "$dir/answer.json")
chmod 644 "$dir/answer.json"
port=$(bench_free_port)
mkdir -p "$dir/nginx"
cat > "$dir/nginx.conf" <<EOF
worker_processes $(nproc);
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/nginx;
  proxy_temp_path $dir/nginx;
  fastcgi_temp_path $dir/nginx;
  uwsgi_temp_path $dir/nginx;
  scgi_temp_path $dir/nginx;
  server {
    listen 127.0.0.1:$port;
    root $dir;
    location = /answer.json { default_type application/json; }
  }
}
EOF
nginx -p "$dir/nginx" -c "$dir/nginx.conf" -g 'daemon off;' 2> "$dir/nginx/stderr" &
bench_pids+=($!)
bench_wait_http "http://127.0.0.1:$port/answer.json" nginx || { cat "$dir/nginx/stderr" >&2; exit 1; }

# ---- measure ----
# Read syscalls of a server's every thread (pages SQLite reads into its
# cache; its map, kb/kb_int.h KB_MMAP_BYTES, needs none).
reads_of() {
  cat /proc/"$1"/task/*/io 2>/dev/null | awk '$1 == "syscr:" { n += $2 } END { print n + 0 }'
}
read -r _ _ _ _ w_n < <(bench_run "$url/api/v1/ask" "$dir/ask.lua" "$WARMUP")
m_reads=$(reads_of "$srv")
read -r m_rps m_p50 m_p99 m_err m_n < <(bench_run "$url/api/v1/ask" "$dir/ask.lua")
m_reads=$(( $(reads_of "$srv") - m_reads ))
read -r _ _ _ _ wo_n < <(bench_run "$url_off/api/v1/ask" "$dir/ask.lua" "$WARMUP")
o_reads=$(reads_of "$srv_off")
read -r o_rps o_p50 o_p99 o_err o_n < <(bench_run "$url_off/api/v1/ask" "$dir/ask.lua")
o_reads=$(( $(reads_of "$srv_off") - o_reads ))
read -r n_rps n_p50 n_p99 n_err _ < <(bench_run "http://127.0.0.1:$port/answer.json" "$dir/report.lua")
# The transport alone (no engine work): where the time of an ask goes.
read -r h_rps h_p50 h_p99 h_err _ < <(bench_run "$url/healthz" "$dir/report.lua")

# The event log kept up: a clean stop writes what is still queued, then the
# log is counted. wrk does not count the requests cut off when a run ends,
# though the server answered and logged them: up to CONNECTIONS per run more.
kill -TERM "$srv" "$srv_off"
wait "$srv" || true
wait "$srv_off" || true
srv=
# The log's days are the town's (Asia/Tokyo), up to a day ahead of this
# machine's clock: the database is new, so a wide range counts only this run.
logged_in() {
  "$BIN" --db "$1" report --from "$(date -d '2 days ago' +%F)" --to "$(date -d tomorrow +%F)" |
    awk '$1 == "questions" { print $2; exit }'
}
dropped_in() {
  sed -n 's/.*: \([0-9]*\) events dropped.*/\1/p' "$1" | tail -1
}
logged=$(logged_in "$dir/bench.db") dropped=$(dropped_in "$dir/serve.err")
logged_off=$(logged_in "$dir/bench-off.db") dropped_off=$(dropped_in "$dir/serve-off.err")

echo "== HTTP: POST /api/v1/ask, $(wc -l < "$dir/questions") questions rotating, $CONNECTIONS connections, $THREADS wrk threads, $DURATION, $(nproc) cores =="
bench_row server 'req/s' 'p50 ms' 'p99 ms' errors
bench_row 'madoguchi POST /api/v1/ask, asked before' "$m_rps" "$m_p50" "$m_p99" "$m_err"
bench_row 'madoguchi POST /api/v1/ask, no cache' "$o_rps" "$o_p50" "$o_p99" "$o_err"
bench_row "nginx GET static ${size} B" "$n_rps" "$n_p50" "$n_p99" "$n_err"
bench_row 'madoguchi GET /healthz' "$h_rps" "$h_p50" "$h_p99" "$h_err"
echo "event log, cache: ${logged:-?} asks logged, $((w_n + m_n + 1)) answers counted by wrk and curl, ${dropped:-0} dropped"
echo "event log, no cache: ${logged_off:-?} asks logged, $((wo_n + o_n)) answers counted by wrk, ${dropped_off:-0} dropped"
# The writer's own account at the stop: its batches, the pages of log (WAL)
# they wrote an event, how long a batch held the write lock.
sed -n 's/^madoguchi: event log: \([0-9]* events in .*\)/event log writer, cache: \1/p' "$dir/serve.err"
sed -n 's/^madoguchi: event log: \([0-9]* events in .*\)/event log writer, no cache: \1/p' "$dir/serve-off.err"
awk -v m="$m_reads" -v mn="$m_n" -v o="$o_reads" -v on="$o_n" 'BEGIN {
  printf "read syscalls an ask (every thread, the log writer included): %.2f asked before, %.2f without the cache\n", mn ? m / mn : 0, on ? o / on : 0 }'
awk -v m="$m_rps" -v o="$o_rps" -v n="$n_rps" -v h="$h_rps" -v p="$m_p99" -v q="$o_p99" 'BEGIN {
  r = 0; if (n > 0) r = 100 * m / n
  f = 0; if (n > 0) f = 100 * o / n
  t = 0; if (n > 0) t = 100 * h / n
  printf "madoguchi ask / nginx static: %.1f%% asked before, %.1f%% without the cache (target 25%%, p99 under 10 ms: %s ms, %s ms); transport alone: %.0f%%\n", r, f, p, q, t }'
