#!/usr/bin/env bash
# Whether two builds give residents the same bytes: every question of the
# dev set asked of each over HTTP, on one copy each of the same database, at
# several times of the town's week (lines open, closed, the night), with the
# widget's options (furigana, English, top 10 and a conversation of its own),
# each question twice (the second time from the decision cache), the new
# conversations' ids masked; then the replies compared with cmp.
#   tests/bench/same-replies.sh OLD-BINARY NEW-BINARY
# Exit status 0 when every reply is the same byte for byte. KEEP=DIR keeps
# each run's replies there (old-CLOCK, new-CLOCK).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 2 ] || { echo "usage: $0 OLD-BINARY NEW-BINARY" >&2; exit 2; }
dir=$(mktemp -d)
. tests/bench/lib.sh
bench_need curl jq cmp

"$1" --db "$dir/base.db" ask x > /dev/null   # one database, copied for each server
bench_questions "$dir/q"
jq -Rc '{question: .}, {question: ., ruby: true}, {question: ., lang: "en"},
        {question: ., top: 10, conversation: "same-replies-1"}' "$dir/q" > "$dir/bodies"
n=$(wc -l < "$dir/bodies")

# replies BIN CLOCK OUT: every body twice, one reply a line, ids masked.
replies() {
  rm -f "$dir/db" "$dir/db-wal" "$dir/db-shm"
  cp "$dir/base.db" "$dir/db"
  SERVER_THREADS=2 bench_serve "$1" "$dir/db" --clock "$2"
  jq -r --arg url "$url/api/v1/ask" '"url = \"" + $url + "\"\nheader = \"Content-Type: application/json\"\ndata-binary = " + (. | tojson | tojson) + "\nwrite-out = \"\\n\"\nsilent\nnext"' \
    "$dir/bodies" | sed '$d' > "$dir/curl.cfg"
  { curl -K "$dir/curl.cfg"; curl -K "$dir/curl.cfg"; } |
    sed 's/"conversation":"[0-9a-f]\{32\}"/"conversation":"(new)"/' > "$3"
  kill -TERM "$srv"
  wait "$srv" || true
  srv=
}

status=0
for clock in "2026-12-01 10:00" "2026-12-01 21:30" "2026-12-05 11:00" "2026-12-06 03:00"; do
  replies "$1" "$clock" "$dir/old"
  replies "$2" "$clock" "$dir/new"
  [ -z "${KEEP:-}" ] || { mkdir -p "$KEEP"; cp "$dir/old" "$KEEP/old-${clock/ /-}"; cp "$dir/new" "$KEEP/new-${clock/ /-}"; }
  if cmp -s "$dir/old" "$dir/new"; then
    echo "$clock: $((2 * n)) replies, the same bytes"
  else
    echo "$clock: the replies differ (first: line $(cmp "$dir/old" "$dir/new" | sed -n 's/.* line //p'))"
    status=1
  fi
  # the second round (the decision cache's) the same as the first
  if ! cmp -s <(head -n "$n" "$dir/new") <(tail -n "$n" "$dir/new"); then
    echo "$clock: the new build's replies from its cache differ from its first"
    status=1
  fi
done
exit $status
