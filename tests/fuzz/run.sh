#!/usr/bin/env bash
# Builds the libFuzzer harnesses with ASan+UBSan and runs each for a short
# time (FUZZ_SECONDS, default 30): the ask path from a seed corpus of real
# questions, the date parser from dates written every way a resident does.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-30}
make -s FUZZ=1 build/fuzz/fuzz-ask build/fuzz/fuzz-date
corpus=build/fuzz/corpus
mkdir -p "$corpus"
i=0
while IFS=$'\t' read -r q _; do
  case "$q" in ''|'#'*) continue;; esac
  printf '%s' "$q" > "$corpus/seed-$i"; i=$((i+1))
done < tests/eval/dev.tsv
./build/fuzz/fuzz-ask -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$corpus" 2>&1 | tail -n 12

dates=build/fuzz/corpus-date
mkdir -p "$dates"
i=0
for d in 1950/4/1 19500401 1950年4月1日 昭和25年4月1日 S25.4.1 昭和２５年４月１日 \
         昭和二十五年四月一日 令和元年5月1日 H1.1.8 '1 April 1950' 'April 1, 1950' \
         千九百五十年四月一日 ㍼25年4月1日 1950年4月1日生まれ; do
  printf '%s' "$d" > "$dates/seed-$i"; i=$((i+1))
done
./build/fuzz/fuzz-date -max_total_time="$seconds" -max_len=128 -print_final_stats=1 "$dates" 2>&1 | tail -n 12
