# What the HTTP benchmarks (http.sh, groonga.sh) share: sourced, not run.
# Only 127.0.0.1 is used. The caller sets `dir` (its temporary folder) first.

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-2s}   # every worker thread opens its database before timing starts
QUESTIONS=${QUESTIONS:-tests/eval/dev.tsv}

# On exit the servers still running are stopped and waited for, $srv (the
# madoguchi that bench_serve started; empty once stopped) and the pids in
# bench_pids, and $dir goes.
srv=
bench_pids=()
bench_cleanup() {
  local p
  for p in $srv "${bench_pids[@]}"; do
    kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap bench_cleanup EXIT

# bench_need TOOL...: stops the script when a tool is missing.
bench_need() {
  for tool; do
    command -v "$tool" >/dev/null || { echo "$(basename "$0"): $tool is missing (make bench installs it)" >&2; exit 1; }
  done
}

# bench_serve BIN DB [ARG...]: `madoguchi serve` on 127.0.0.1, port 0, the
# event log on as in production, the rate limit off (every request comes from
# 127.0.0.1), the decision cache on unless an ARG says --no-decision-cache;
# SERVER_THREADS its workers (default: one per core). Sets srv (its pid) and
# url; its output goes to $dir/serve.out and serve.err (SERVE_LOG: another
# name than serve). SERVE_PREFIX: a command the server runs under (valgrind),
# SERVE_WAIT: how many tenths of a second it may take to listen (100).
bench_serve() {
  local bin=$1 db=$2 log=$dir/${SERVE_LOG:-serve}
  shift 2
  # the last server's output must not be read as this one's (its shell may
  # not have truncated the file yet when the first grep looks)
  rm -f "$log.out" "$log.err"
  ${SERVE_PREFIX:-} "$bin" --db "$db" serve --port 0 --no-rate-limit ${SERVER_THREADS:+--threads "$SERVER_THREADS"} "$@" \
    > "$log.out" 2> "$log.err" &
  srv=$!
  for _ in $(seq "${SERVE_WAIT:-100}"); do
    grep -q '^listening on' "$log.out" 2>/dev/null && break
    sleep 0.1
  done
  url=$(sed -n 's/^listening on //p' "$log.out")
  [ -n "$url" ] || { echo "$(basename "$0"): the server did not start:" >&2; cat "$log.err" >&2; exit 1; }
}

# bench_free_port: a port nothing listens on, below the kernel's range of
# ephemeral ports (32768 up): a port there can be taken by any outgoing
# connection between the check and the server's bind.
bench_free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "$(basename "$0"): no free port" >&2
  exit 1
}

# bench_wait_http URL WHAT: waits up to 10 s for URL to answer; fails if it
# does not.
bench_wait_http() {
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return
    sleep 0.1
  done
  curl -fsS -o /dev/null "$1" || { echo "$(basename "$0"): $2 did not start" >&2; return 1; }
}

# bench_questions OUT [MAX]: the first column of the labelled set (at most
# MAX questions), or a built-in few.
bench_questions() {
  if [ -r "$QUESTIONS" ]; then
    awk -F'\t' -v max="${2:-1000000}" '!/^#/ && $1 ~ /[^[:space:]]/ && n++ < max { print $1 }' "$QUESTIONS" > "$1"
  else
    printf '%s\n' '接種券をなくしました' '副反応が心配です' '予約をキャンセルしたい' \
      'How do I book a vaccination?' 'ふくはんのう' '会場に駐車場はありますか' > "$1"
  fi
}

# bench_ask_bodies QUESTIONS: the JSON bodies of POST /api/v1/ask, one a line.
bench_ask_bodies() {
  jq -Rc '{question: .}' "$1"
}

# bench_report_lua: the end of every wrk script, one line that bench_run reads.
bench_report_lua() {
  cat <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout, summary.requests))
end
LUA
}

# bench_cycle_lua POST|GET FILE: a wrk script that sends FILE's lines in
# turn: for POST each line is a JSON body, for GET a path with its query.
bench_cycle_lua() {
  echo 'local lines = {'
  # a Lua string literal a line: \ and " escaped, nothing else is special
  sed -e 's/\r$//' -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/  "/' -e 's/$/",/' "$2"
  echo '}'
  echo "local method = \"$1\""
  cat <<'LUA'
local requests, i = {}, 0
init = function(args)
  for k, line in ipairs(lines) do
    if method == "POST" then
      requests[k] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, line)
    else
      requests[k] = wrk.format("GET", line)
    end
  end
end
request = function()
  i = i + 1
  return requests[i % #requests + 1]
end
LUA
  bench_report_lua
}

# bench_run URL LUA [DURATION] -> "req/s p50-ms p99-ms errors requests"
# WRK_TIMEOUT: wrk's own (2 s) otherwise; a request slower than it is an
# error, not a latency.
bench_run() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${3:-$DURATION}" ${WRK_TIMEOUT:+--timeout "$WRK_TIMEOUT"} --latency -s "$2" "$1" | sed -n 's/^RESULT //p'
}

# bench_row NAME REQ/S P50 P99 ERRORS: one line of the table.
bench_row() {
  printf '%-44s %10s %9s %9s %7s\n' "$@"
}
