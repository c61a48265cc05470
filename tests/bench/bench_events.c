/* How fast the event log's writer thread writes: events shaped like a
 * server's asks (a new conversation each, as the HTTP bench's clients send
 * none; a question and candidates of the usual size), handed to the writer
 * in rounds of half its queue, each round waited for, so nothing is dropped
 * and the figure is the writer's own rate. The log grows as a busy day's
 * does: the rate printed is the last quarter's, on a table of N rows. The
 * file's checkpointer runs beside it, as in the server (nlp/db.h).
 * usage: bench-events DIR [N]   (N default 200000)
 * For instructions per event written (the writer's thread):
 *   valgrind --tool=callgrind --toggle-collect=writer_main bench-events DIR 20000
 * whose total divided by N is instructions an event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

#include "chatbot/events.h"
#include "chatbot/events_int.h"
#include "chatbot/ops_policy.h"
#include "nlp/db.h"

static double now_s(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-events DIR [N]\n");
		return 2;
	}
	long n = argc > 2 ? atol(argv[2]) : 200000;
	char path[4096], err[MG_ERR_LEN];
	snprintf(path, sizeof path, "%s/bench-events.db", argv[1]);
	remove(path);
	/* The writer opens a log that exists, as a server's does. */
	sqlite3 *db;
	struct events_writer *w;
	struct mg_db_ckpt *ckpt = NULL;
	int rc = mg_db_open(path, 1, MG_DB_SYNC_NORMAL, &db, err);
	if (rc == MG_OK)
		rc = events_init(db, err);
	sqlite3_close(db);
	if (rc == MG_OK)
		rc = mg_db_ckpt_start(path, &ckpt, err);
	if (rc != MG_OK || events_writer_start(path, 0, &w, err) != MG_OK) {
		fprintf(stderr, "bench-events: %s\n", err);
		return 1;
	}
	const long round = OPS_EVENTS_QUEUE_MAX / 2;
	double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), tq = t0, cq = c0;
	long quarter = n - n / 4, first = n / 4;
	double tf = t0;
	for (long i = 0; i < n;) {
		if (i == first)
			tf = now_s(CLOCK_MONOTONIC);
		if (i == quarter) {
			tq = now_s(CLOCK_MONOTONIC);
			cq = now_s(CLOCK_PROCESS_CPUTIME_ID);
		}
		long until = i + round < n ? i + round : n;
		if (i < quarter && until > quarter)
			until = quarter;
		if (i < first && until > first)
			until = first;
		for (; i < until; i++) {
			char conv[EVENTS_ID_MAX + 1], cands[160];
			events_new_id(conv);
			snprintf(cands, sizeof cands,
				 "[{\"id\":\"e%02ld\",\"slug\":\"topic-%02ld\",\"score\":%.17g},"
				 "{\"id\":\"e%02ld\",\"slug\":\"topic-%02ld\",\"score\":%.17g}]",
				 i % 97, i % 97, 0.5 + (i % 13) / 29.0, i % 89, i % 89, 0.25 + (i % 7) / 31.0);
			struct events_row r = {
				.conversation = conv,
				.type = "ask",
				.lang = "ja",
				.question = "ワクチンの予約をしたいのですが、どこからできますか",
				.decision = i % 3 ? "answer" : "handoff",
				.entry_id = "e12",
				.slug = "booking-how",
				.topic = "booking",
				.route = i % 3 ? NULL : "call_center",
				.candidates = cands,
				.confidence = 0.75,
				.helpful = -1,
				.now = 1764547200 + i / 10,
				.day = "2025-12-01",
				.hour = (int)(i / 10000) % 24,
			};
			if (events_writer_push(w, &r, err) != MG_OK) {
				fprintf(stderr, "bench-events: %s\n", err);
				return 1;
			}
		}
		/* A flush gives up after a database's busy wait; under valgrind a
		 * round takes longer than that. */
		int tries = 0;
		while (!events_writer_flush(w))
			if (++tries == 100) {
				fprintf(stderr, "bench-events: a flush did not finish\n");
				return 1;
			}
	}
	double t1 = now_s(CLOCK_MONOTONIC), c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	struct events_writer_stats st;
	events_writer_stats(w, &st);
	events_writer_stop(w);
	mg_db_ckpt_stop(ckpt);
	long last = n - quarter;
	printf("event log writer: %ld events, %lld written, %lld dropped; all: %.0f events/s (%.1f us CPU an event);"
	       " first %ld: %.0f events/s; last %ld (table of %ld): %.0f events/s (%.1f us CPU an event)\n",
	       n, st.written, st.dropped, n / (t1 - t0), 1e6 * (c1 - c0) / n, first, first / (tf - t0), last, n,
	       last / (t1 - tq), 1e6 * (c1 - cq) / last);
	return st.written == n ? 0 : 1;
}
