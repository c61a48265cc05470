#!/usr/bin/env bash
# `make bench`: the figures in the README, measured on this machine in one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/rel/bench-ask build/rel/bench-redact build/rel/bench-events build/rel/bench-synonyms
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "== answer engine (in process) =="
./build/rel/bench-ask "$dir" tests/eval/dev.tsv "${BENCH_ROUNDS:-5}"
echo
echo "== redaction of personal data (CPU time; ratio 2 = linear) =="
./build/rel/bench-redact
echo
echo "== event log writer (a new conversation an event, the log growing to 200,000) =="
./build/rel/bench-events "$dir" 200000
echo
echo "== the synonym list: a worker's first ask after it is saved, the pool's load (the sample's and 2,000 verb variants) =="
./build/rel/bench-synonyms "$dir" 2000
for extra in tests/bench/http.sh tests/bench/staff.sh tests/bench/groonga.sh tests/bench/booking.sh; do
  if [ -x "$extra" ]; then echo; "$extra"; fi
done
