#!/usr/bin/env bash
# madoguchi next to Groonga 13 on the same FAQ and the same questions (issue
# 10): ENTRIES (default 2000) entries made of the sample's own phrasings with
# 300-character answers (build/rel/bench-faq), the labelled set's questions
# rotating, both servers over HTTP on 127.0.0.1 with as many workers, wrk on
# each in turn; the req/s of madoguchi over Groonga's is the figure. Each
# runs with its result cache and without: madoguchi's decision cache (the
# rotating questions find their rankings) against Groonga's query cache
# (--cache-limit large enough to hold every question), and madoguchi with
# `serve --no-decision-cache` against Groonga's select with cache=no.
#   tests/bench/groonga.sh [path/to/madoguchi]
# DURATION, CONNECTIONS, THREADS, SERVER_THREADS as in http.sh. Needs
# groonga-bin, groonga-tokenizer-mecab, wrk and jq (make bench installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-./madoguchi}
ENTRIES=${ENTRIES:-2000}
dir=$(mktemp -d)
. tests/bench/lib.sh
bench_need wrk curl jq groonga
workers=${SERVER_THREADS:-$(nproc)}

# ---- the FAQ, written once for each ----
make -s build/rel/bench-faq
./build/rel/bench-faq "$ENTRIES" "$dir"
"$BIN" --db "$dir/madoguchi.db" import "$dir/faq.csv" > /dev/null

# Groonga's MeCab tokenizer, so that both read the questions with the same
# analyser (the system's MeCab dictionary): content words as their base
# forms, as madoguchi indexes lemmas and leaves particles out.
if groonga -n "$dir/probe.db" tokenizer_list | grep -q '"TokenMecab"'; then
  tokenizer='TokenMecab("use_base_form", true, "target_class", "名詞", "target_class", "-名詞/非自立", "target_class", "動詞", "target_class", "形容詞")'
  analyser="MeCab, $(dirname "$(readlink -f "$(mecab -D | awk '$1 == "filename:" { print $2 }')")")"
else
  tokenizer=TokenBigram
  analyser="character bigrams: Groonga has no TokenMecab here (groonga-tokenizer-mecab), NOT the same analyser"
fi
mkdir "$dir/groonga"
{
  cat <<EOF
table_create Entries TABLE_HASH_KEY ShortText
column_create Entries question COLUMN_SCALAR ShortText
column_create Entries alternates COLUMN_SCALAR Text
column_create Entries answer COLUMN_SCALAR Text
table_create Terms TABLE_PAT_KEY ShortText --default_tokenizer '$tokenizer' --normalizer NormalizerAuto
column_create Terms entries_index COLUMN_INDEX|WITH_POSITION|WITH_SECTION Entries question,alternates,answer
load --table Entries
EOF
  cat "$dir/entries.json"
} | groonga -n "$dir/groonga/db" > "$dir/groonga-load.out"
tail -1 "$dir/groonga-load.out" | grep -q "\],$ENTRIES\]\$" ||
  { echo "groonga.sh: Groonga did not load the entries:" >&2; cut -c1-300 "$dir/groonga-load.out" >&2; exit 1; }

# ---- both servers ----
SERVE_LOG=serve-off bench_serve "$BIN" "$dir/madoguchi.db" --no-decision-cache
url_off=$url
bench_pids+=("$srv")
srv=
bench_serve "$BIN" "$dir/madoguchi.db"
gport=$(bench_free_port)
# Groonga's cache holds 100 results unless told: the 377 questions rotating
# would never find theirs.
groonga --protocol http -s --bind-address 127.0.0.1 --port "$gport" --max-threads "$workers" \
  --cache-limit 10000 --log-path "$dir/groonga.log" "$dir/groonga/db" 2> "$dir/groonga.err" &
bench_pids+=($!)
gurl=http://127.0.0.1:$gport
bench_wait_http "$gurl/d/status" Groonga || { cat "$dir/groonga.err" >&2; exit 1; }

# ---- the same questions for both ----
bench_questions "$dir/questions"
bench_ask_bodies "$dir/questions" > "$dir/bodies"
bench_cycle_lua POST "$dir/bodies" > "$dir/ask.lua"
# Groonga ranks the entries that share words with the question: a similar
# search (*S), the question inside one quoted term, its \ and " escaped, and
# query_flags=NONE, so that no question is read as query syntax. *S alone
# takes the question's rarest words only (about one in eight); *S64 takes
# every word, as madoguchi's first stage does (less the words in over 300
# entries). The question as a plain query would be one phrase, which finds
# entries for about one question in five (80 of the 377 dev questions).
# cache=no keeps the select out of Groonga's result cache; without it a
# select asked before is answered from there.
select="/d/select?table=Entries&match_columns=question*2||alternates||answer&query_flags=NONE"
select+="&sort_keys=-_score&limit=3&output_columns=_key,question,answer,_score"
declare -A op=([every]='*S64' [rarest]='*S')
for v in every rarest; do
  jq -Rr --arg select "$select&cache=no" --arg op "${op[$v]}" \
    '$select + "&query=" + ($op + "\"" + gsub("(?<c>[\\\\\"])"; "\\\(.c)") + "\"" | @uri)' \
    "$dir/questions" > "$dir/paths-$v"
  bench_cycle_lua GET "$dir/paths-$v" > "$dir/select-$v.lua"
  sed 's/&cache=no&/\&/' "$dir/paths-$v" > "$dir/paths-$v-cached"
  bench_cycle_lua GET "$dir/paths-$v-cached" > "$dir/select-$v-cached.lua"
done

# What each returns to these questions, one at a time (and a warm-up).
while read -r body; do
  curl -fsS -H 'Content-Type: application/json' -d "$body" "$url/api/v1/ask"; echo
done < "$dir/bodies" | jq -r .decision | sort | uniq -c | awk '{ printf "%s%s %s", n++ ? ", " : "", $2, $1 }' > "$dir/decisions"
declare -A found
for v in every rarest; do
  found[$v]=$(while read -r path; do
    curl -fsS "$gurl$path"; echo
  done < "$dir/paths-$v" | jq -r '.[1][0][0][0]' | awk '$1 > 0 { n++ } END { print n + 0 }')
done

# ---- measure ----
bench_run "$url/api/v1/ask" "$dir/ask.lua" "$WARMUP" > /dev/null
read -r m_rps m_p50 m_p99 m_err _ < <(bench_run "$url/api/v1/ask" "$dir/ask.lua")
bench_run "$url_off/api/v1/ask" "$dir/ask.lua" "$WARMUP" > /dev/null
read -r mo_rps mo_p50 mo_p99 mo_err _ < <(bench_run "$url_off/api/v1/ask" "$dir/ask.lua")
bench_run "$gurl/" "$dir/select-every.lua" "$WARMUP" > /dev/null
read -r g_rps g_p50 g_p99 g_err _ < <(bench_run "$gurl/" "$dir/select-every.lua")
read -r r_rps r_p50 r_p99 r_err _ < <(bench_run "$gurl/" "$dir/select-rarest.lua")
# The warm-up fills Groonga's cache with every question's result.
bench_run "$gurl/" "$dir/select-every-cached.lua" "$WARMUP" > /dev/null
read -r gc_rps gc_p50 gc_p99 gc_err _ < <(bench_run "$gurl/" "$dir/select-every-cached.lua")
bench_run "$gurl/" "$dir/select-rarest-cached.lua" "$WARMUP" > /dev/null
read -r rc_rps rc_p50 rc_p99 rc_err _ < <(bench_run "$gurl/" "$dir/select-rarest-cached.lua")

n=$(wc -l < "$dir/questions")
echo "== madoguchi and Groonga $(groonga --version | awk 'NR == 1 { print $2 }'): $ENTRIES entries with 300-character answers, $n questions rotating, $CONNECTIONS connections, $THREADS wrk threads, $DURATION, $(nproc) cores, $workers server threads each =="
echo "analyser: $analyser"
bench_row server 'req/s' 'p50 ms' 'p99 ms' errors
bench_row 'madoguchi POST /api/v1/ask, no cache' "$mo_rps" "$mo_p50" "$mo_p99" "$mo_err"
bench_row "Groonga every word (${op[every]}), cache=no" "$g_rps" "$g_p50" "$g_p99" "$g_err"
bench_row "Groonga rarest words (${op[rarest]}), cache=no" "$r_rps" "$r_p50" "$r_p99" "$r_err"
bench_row 'madoguchi POST /api/v1/ask, cache' "$m_rps" "$m_p50" "$m_p99" "$m_err"
bench_row "Groonga every word (${op[every]}), cache" "$gc_rps" "$gc_p50" "$gc_p99" "$gc_err"
bench_row "Groonga rarest words (${op[rarest]}), cache" "$rc_rps" "$rc_p50" "$rc_p99" "$rc_err"
echo "returned: madoguchi $(cat "$dir/decisions"); Groonga entries for ${found[every]} (every word) and ${found[rarest]} (rarest words) of $n questions"
awk -v m="$m_rps" -v mo="$mo_rps" -v g="$g_rps" -v r="$r_rps" -v gc="$gc_rps" -v rc="$rc_rps" 'BEGIN {
  printf "madoguchi / Groonga req/s, both without a cache: %.2f (every word), %.2f (rarest words); target 3\n",
    (g > 0 ? mo / g : 0), (r > 0 ? mo / r : 0)
  printf "madoguchi / Groonga req/s, both with their cache: %.2f (every word), %.2f (rarest words)\n",
    (gc > 0 ? m / gc : 0), (rc > 0 ? m / rc : 0) }'
