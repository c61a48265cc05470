#!/usr/bin/env bash
# Builds the libFuzzer harnesses with ASan+UBSan and runs each for a short time
# (FUZZ_SECONDS, default 30):
#   ask     the analyser and the query builder, from real questions (tests/eval/dev.tsv);
#           each asked again through the decision cache must give the same reply, and
#           printed as the server prints it (kept, then from the cache) its very bytes
#   date    the date parser, from dates written every way a resident does
#   redact  the redaction of personal data, from dev.tsv and the redaction corpus;
#           an input that takes over 10 s is a failure: the redaction is linear
#   kb_import    the knowledge-base CSV/TSV import, from tests/fuzz/seeds/kb_import
#   kb_synonyms  the synonyms file, from tests/fuzz/seeds/kb_synonyms
#   resv_contact the contact fields of a booking or the waiting list, under every field policy
#   kb_dict      the JMdict/EDICT reader, from tests/fuzz/seeds/kb_dict
#   resv_import  the booking set-up CSV imports (venues, slots, tickets, products), from
#                the shipped sample files; a refused file must change nothing
#   town         town.json, from the shipped sample town and tests/fuzz/seeds/town
#   client       who the client is: X-Forwarded-For from a trusted proxy or a stranger
#   ruby         furigana, from real questions and the sample answers: the segments
#                give back the input byte for byte, readings in hiragana only
#   kb_alternates  an alternate question added to or taken out of an entry's list
#   http         raw requests to the real server on 127.0.0.1 (the staff routes on the
#                staff-work pool): no crash, no connection held, /healthz still answers
# FUZZ_TARGETS names the ones to run (default: all of them).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-30}
targets=${FUZZ_TARGETS:-ask date redact kb_import kb_synonyms resv_contact kb_dict resv_import town client ruby kb_alternates preview http}

# The first column of each line of a TSV file, one seed file each.
seed() {
  local tsv=$1 dir=$2 i=0 q
  while IFS=$'\t' read -r q _; do
    case "$q" in ''|'#'*) continue;; esac
    printf '%s' "$q" > "$dir/seed-$(basename "$tsv" .tsv)-$i"; i=$((i+1))
  done < "$tsv"
}

for t in $targets; do
  make -s FUZZ=1 "build/fuzz/fuzz-$t"
  corpus=build/fuzz/corpus-$t
  mkdir -p "$corpus"
  flags=(-max_len=4096)
  case $t in
    ask) seed tests/eval/dev.tsv "$corpus" ;;
    date)
      i=0
      for d in 1950/4/1 19500401 1950年4月1日 昭和25年4月1日 S25.4.1 昭和２５年４月１日 \
               昭和二十五年四月一日 令和元年5月1日 H1.1.8 '1 April 1950' 'April 1, 1950' \
               千九百五十年四月一日 ㍼25年4月1日 1950年4月1日生まれ; do
        printf '%s' "$d" > "$corpus/seed-$i"; i=$((i+1))
      done
      flags=(-max_len=128) ;;
    redact)
      seed tests/eval/dev.tsv "$corpus"
      seed tests/unit/data/redact_cases.tsv "$corpus"
      flags+=(-timeout=10) ;;
    client)
      i=0
      for h in '\x00203.0.113.7' '\x00198.51.100.9, 203.0.113.7' '\x01192.0.2.44, ::1' \
               '\x002001:db8::1 , 127.0.0.1' '\x02203.0.113.9' '\x00not an address, 127.0.0.1' \
               '\x00::ffff:192.0.2.1'; do
        printf "$h" > "$corpus/seed-$i"; i=$((i+1))
      done
      flags=(-max_len=512) ;;
    kb_import|kb_synonyms|kb_dict) cp tests/fuzz/seeds/"$t"/* "$corpus/" ;;
    resv_contact)
      i=0
      for c in '\x15ミドリ タロウ\x00090-1234-5678\x00midori@example.jp' '\x2aやまだ\x0003-1234-5678\x00' \
               '\x00Yamada\x0012-34\x00not-an-address' '\x3f\x00\x00'; do
        printf "$c" > "$corpus/seed-$i"; i=$((i+1))
      done
      flags=(-max_len=1024) ;;
    resv_import)
      # the kind's byte, then the file: venues 0, slots 1, tickets 2, products 3
      i=0
      for f in venues slots tickets products; do
        { printf "\\x$(printf %02x $i)"; cat "reservation/data/$f.csv"; } > "$corpus/seed-$f"; i=$((i+1))
      done ;;
    town)
      # the sample town whole (18 KB), and a small one the fuzzer can mutate quickly
      cp kb/data/town.json "$corpus/seed-town"
      cp tests/fuzz/seeds/town/* "$corpus/"
      flags=(-max_len=32768) ;;
    http)
      i=0
      for r in 'POST /api/v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 46\r\n\r\n{"question": "接種券をなくしました"}' \
               'POST /api/v1/admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 42\r\n\r\n{"name": "nobody", "password": "a guess!"}' \
               'POST /api/v1/admin/entries?x=1&y HTTP/1.1\r\nHost: x\r\nCookie: mg_staff=00; a=b\r\nX-CSRF-Token: 00\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n2\r\n1}\r\n0\r\n\r\n' \
               'POST /api/v1/admin/kb.csv HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{"a": 1}\n' \
               'GET /api/v1/entries/101?lang=en&ruby=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'; do
        printf "$r" > "$corpus/seed-$i"; i=$((i+1))
      done
      flags=(-max_len=2048) ;;
    ruby)
      seed tests/eval/dev.tsv "$corpus"
      printf '%s' 'みどり町の中央公民館で受けられます。接種券（予診票）をお持ちください。' > "$corpus/seed-answer" ;;
    kb_alternates)
      printf '予約の方法|予約したい|予約の仕方\0予約したい' > "$corpus/seed-0"
      printf '接種券をなくした\nクーポン券がない\0接種券の再発行' > "$corpus/seed-1"
      flags=(-max_len=1024) ;;
    preview)
      # a wording (alternate, then entry), then a few lines of the dev set
      head -n 12 tests/eval/dev.tsv > "$corpus/.set"
      { printf '\x00接種券がどこかにいってしまった\n'; cat "$corpus/.set"; } > "$corpus/seed-alternate"
      { printf '\x01接種券が届きません\n'; cat "$corpus/.set"; } > "$corpus/seed-entry"
      { printf '\x00<NAME>さん\n'; printf 'no tab here\n#comment\n\t-\n'; } > "$corpus/seed-bad"
      rm "$corpus/.set" ;;
  esac
  echo "== fuzz-$t, $seconds s"
  "./build/fuzz/fuzz-$t" -max_total_time="$seconds" -print_final_stats=1 "${flags[@]}" "$corpus" 2>&1 \
    | tail -n 12
done
