#!/usr/bin/env bash
# The HTTP benchmark: wrk on POST /api/v1/ask with a rotating mix of real
# questions, next to nginx serving a static JSON file of the same size as a
# typical answer (the practical ceiling of this machine), in the same run;
# then, after a clean stop, the asks in the event log against those answered.
#   tests/bench/http.sh [path/to/madoguchi]
# DURATION (default 10s), CONNECTIONS (64), THREADS (2) tune the run,
# SERVER_THREADS the server's workers (default: one per core). Only
# 127.0.0.1 is used. Needs wrk and nginx-light (make bench installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-./madoguchi}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-2s}   # every worker thread opens its database before timing starts
QUESTIONS=${QUESTIONS:-tests/eval/dev.tsv}

for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "http.sh: $tool is missing (make bench installs it)" >&2; exit 1; }
done

dir=$(mktemp -d)
chmod 755 "$dir"   # nginx's workers run as an unprivileged user
srv=
ngx=
cleanup() {
  [ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null || true
  [ -n "$ngx" ] && kill "$ngx" 2>/dev/null && wait "$ngx" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# ---- madoguchi, rate limit off (every request comes from 127.0.0.1) ----
"$BIN" --db "$dir/bench.db" serve --port 0 --no-rate-limit ${SERVER_THREADS:+--threads "$SERVER_THREADS"} \
  > "$dir/serve.out" 2> "$dir/serve.err" &
srv=$!
for _ in $(seq 100); do
  grep -q '^listening on' "$dir/serve.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$dir/serve.out")
[ -n "$url" ] || { echo "http.sh: the server did not start:" >&2; cat "$dir/serve.err" >&2; exit 1; }

# ---- the question mix: the labelled set's questions, or a built-in few ----
if [ -r "$QUESTIONS" ]; then
  awk -F'\t' '!/^#/ && $1 ~ /[^[:space:]]/ && n++ < 200 { print $1 }' "$QUESTIONS" > "$dir/questions"
else
  printf '%s\n' '接種券をなくしました' '副反応が心配です' '予約をキャンセルしたい' \
    'How do I book a vaccination?' 'ふくはんのう' '会場に駐車場はありますか' > "$dir/questions"
fi
{
  echo 'local bodies = {'
  # JSON string escaping of \ and " is enough for one-line questions.
  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/  [==[{"question":"/' -e 's/$/"}]==],/' "$dir/questions"
  cat <<'LUA'
}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[i % #bodies + 1])
end
LUA
} > "$dir/ask.lua"
cat > "$dir/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout, summary.requests))
end
LUA
cat "$dir/report.lua" >> "$dir/ask.lua"

# ---- the static twin: a real answer, byte for byte, served by nginx ----
curl -fsS -H 'Content-Type: application/json' -d "{\"question\":\"$(head -1 "$dir/questions" | sed 's/"/\\"/g')\"}" \
  "$url/api/v1/ask" > "$dir/answer.json"
size=$(wc -c < "$dir/answer.json")
chmod 644 "$dir/answer.json"
port=
# Below the kernel's range of ephemeral ports (32768 up): a port there can
# be taken by any outgoing connection between the check and nginx's bind.
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 12000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "http.sh: no free port for nginx" >&2; exit 1; }
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
ngx=$!
for _ in $(seq 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/answer.json" 2>/dev/null && break
  sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/answer.json" || { echo "http.sh: nginx did not start" >&2; cat "$dir/nginx/stderr" >&2; exit 1; }

# ---- measure ----
run() {  # run URL LUA -> "req/s p50 p99 errors requests"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$2" "$1" | sed -n 's/^RESULT //p'
}
read -r _ _ _ _ w_n < <(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$dir/ask.lua" "$url/api/v1/ask" | sed -n 's/^RESULT //p')
read -r m_rps m_p50 m_p99 m_err m_n < <(run "$url/api/v1/ask" "$dir/ask.lua")
read -r n_rps n_p50 n_p99 n_err _ < <(run "http://127.0.0.1:$port/answer.json" "$dir/report.lua")
# The transport alone (no engine work): where the time of an ask goes.
read -r h_rps h_p50 h_p99 h_err _ < <(run "$url/healthz" "$dir/report.lua")

# The event log kept up: a clean stop writes what is still queued, then the
# log is counted. wrk does not count the requests cut off when a run ends,
# though the server answered and logged them: up to CONNECTIONS per run more.
kill -TERM "$srv"
wait "$srv" || true
srv=
logged=$("$BIN" --db "$dir/bench.db" report --from "$(date -d yesterday +%F)" --to "$(date +%F)" |
  awk '$1 == "questions" { print $2; exit }')
dropped=$(sed -n 's/.*: \([0-9]*\) events dropped.*/\1/p' "$dir/serve.err" | tail -1)

echo "== HTTP: POST /api/v1/ask, $(wc -l < "$dir/questions") questions rotating, $CONNECTIONS connections, $THREADS wrk threads, $DURATION, $(nproc) cores =="
printf '%-28s %10s %9s %9s %7s\n' server 'req/s' 'p50 ms' 'p99 ms' errors
printf '%-28s %10s %9s %9s %7s\n' 'madoguchi POST /api/v1/ask' "$m_rps" "$m_p50" "$m_p99" "$m_err"
printf '%-28s %10s %9s %9s %7s\n' "nginx GET static ${size} B" "$n_rps" "$n_p50" "$n_p99" "$n_err"
printf '%-28s %10s %9s %9s %7s\n' 'madoguchi GET /healthz' "$h_rps" "$h_p50" "$h_p99" "$h_err"
echo "event log: ${logged:-?} asks logged, $((w_n + m_n + 1)) answers counted by wrk and curl, ${dropped:-0} dropped"
awk -v m="$m_rps" -v n="$n_rps" -v h="$h_rps" 'BEGIN {
  r = 0; if (n > 0) r = 100 * m / n
  t = 0; if (n > 0) t = 100 * h / n
  printf "madoguchi ask / nginx static: %.1f%% (target 30%%); transport alone: %.0f%%\n", r, t }'
