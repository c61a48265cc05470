#!/usr/bin/env bash
# `make bench`: the figures in the README, measured on this machine in one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/rel/bench-ask build/rel/bench-redact
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "== answer engine (in process) =="
./build/rel/bench-ask "$dir" tests/eval/dev.tsv "${BENCH_ROUNDS:-5}"
echo
echo "== redaction of personal data (CPU time; ratio 2 = linear) =="
./build/rel/bench-redact
for extra in tests/bench/http.sh tests/bench/staff.sh tests/bench/groonga.sh tests/bench/booking.sh; do
  if [ -x "$extra" ]; then echo; "$extra"; fi
done
