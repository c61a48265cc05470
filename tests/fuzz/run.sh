#!/usr/bin/env bash
# Builds the libFuzzer harness with ASan+UBSan and runs it for a short time
# (FUZZ_SECONDS, default 30) from a seed corpus of real questions.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-30}
make -s FUZZ=1 build/fuzz/fuzz-ask
corpus=build/fuzz/corpus
mkdir -p "$corpus"
i=0
while IFS=$'\t' read -r q _; do
  case "$q" in ''|'#'*) continue;; esac
  printf '%s' "$q" > "$corpus/seed-$i"; i=$((i+1))
done < tests/eval/dev.tsv
./build/fuzz/fuzz-ask -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
