#!/usr/bin/env bash
# Booking throughput for `make bench`: builds bench-booking with the project's
# own compiler flags and libraries, and runs it on a fresh database.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build/rel
rule=$(printf '%s/bench-booking: %s/tests/bench/bench_booking.o $(LIB_OBJ)\n\t$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)\n' "$build" "$build")
make -s -f Makefile -f <(printf '%s\n' "$rule") "$build/bench-booking"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "== booking (until the day is full) =="
for threads in ${BENCH_BOOKING_THREADS:-1 4 16}; do
  "./$build/bench-booking" "$dir" "$threads"
done
