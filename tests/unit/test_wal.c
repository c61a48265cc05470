/* The server's WAL: one checkpointer thread copies the log back into the
 * file (nlp/db.h), so that a commit of the event log's writer never waits
 * for a disk's syncs, while the log stays bounded, backups and retention
 * go on beside it and nothing queued is lost at the stop. Real files in the
 * test directory, the event log's writer as the server runs it. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"
#include "tests/unit/full_disk.h"
#include "chatbot/events.h"
#include "chatbot/events_int.h"
#include "chatbot/ops_policy.h"
#include "nlp/db.h"
#include "nlp/mg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

/* A new database with the log's tables (*db open on it), its checkpointer
 * and the log's writer started after it, as the server starts them; 0 when
 * any of them cannot be had. */
struct log {
	sqlite3 *db;
	struct mg_db_ckpt *ckpt;
	struct events_writer *w;
	const char *path;
};

static int log_start(struct log *l, const char *name)
{
	char err[MG_ERR_LEN];
	*l = (struct log){.path = fixture_path(name)};
	unlink(l->path);
	return mg_db_open(l->path, 1, MG_DB_SYNC_NORMAL, &l->db, err) == MG_OK && events_init(l->db, err) == MG_OK &&
	       mg_db_ckpt_start(l->path, &l->ckpt, err) == MG_OK &&
	       events_writer_start(l->path, 1, &l->w, err) == MG_OK;
}

/* Stops as the server does: the writer (what is queued is written), then the
 * checkpointer. */
static void log_stop(struct log *l)
{
	events_writer_stop(l->w);
	mg_db_ckpt_stop(l->ckpt);
	sqlite3_close(l->db);
}

static long long wal_bytes(const char *path)
{
	char wal[600];
	snprintf(wal, sizeof wal, "%s-wal", path);
	struct stat st;
	return stat(wal, &st) ? 0 : (long long)st.st_size;
}

/* An ask of a new resident (a new conversation, as a first question is
 * logged) on 2026-11-08, or on 2026-10-10 when old. How long the push took,
 * in ms: what the answer waits for the log. */
/* The asks in the log at path, read by a connection of its own after the
 * writer stopped (what a member of staff would find), or -1. */
static long long asks_in(const char *path)
{
	sqlite3 *db = NULL;
	char err[MG_ERR_LEN];
	long long n = -1;
	if (mg_db_open(path, 0, MG_DB_SYNC_NORMAL, &db, err) == MG_OK)
		n = fixture_count(db, "SELECT count(*) FROM ev_events WHERE type = 'ask'");
	sqlite3_close(db);
	return n;
}

static double ask_logged(struct events_writer *w, int old, int *rc)
{
	char err[MG_ERR_LEN], conv[EVENTS_ID_MAX + 1];
	events_new_id(conv);
	struct events_row r = {.conversation = conv, .type = "ask", .lang = "ja",
			       .question = "ワクチンの予約をしたいのですが、どこからできますか", .decision = "answer",
			       .entry_id = "e12", .slug = "booking-how", .topic = "booking", .route = "booking",
			       .candidates = "[{\"id\":\"e12\",\"slug\":\"booking-how\",\"score\":1.17},"
					     "{\"id\":\"e13\",\"slug\":\"booking-web\",\"score\":0.91}]",
			       .confidence = 0.8, .helpful = -1,
			       .now = fixture_local(2026, old ? 10 : 11, old ? 10 : 8, 10, 0), .hour = 10};
	snprintf(r.day, sizeof r.day, "%s", old ? "2026-10-10" : "2026-11-08");
	long long t = mg_now_ms();
	*rc = events_writer_push(w, &r, err);
	return (double)(mg_now_ms() - t);
}

/* Asks at rate a second for ms milliseconds (the server's workers); the
 * longest push in *longest. How many were handed over. */
static int asks_at(struct events_writer *w, int rate, int ms, double *longest, int *refused)
{
	long long from = mg_now_ms();
	int n = 0;
	*longest = 0;
	*refused = 0;
	while (mg_now_ms() - from < ms) {
		for (int k = 0; k < rate / 1000 + 1; k++, n++) {
			int rc;
			double took = ask_logged(w, 0, &rc);
			*refused += rc != MG_OK;
			if (took > *longest)
				*longest = took;
		}
		long long due = from + (long long)n * 1000 / rate;
		if (due > mg_now_ms())
			usleep((useconds_t)(due - mg_now_ms()) * 1000);
	}
	return n;
}

/* A disk whose every sync takes 500 ms (a busy one: this machine's take
 * 2-13 ms). The writer's commits do not sync (MG_DB_SYNC_NORMAL), a
 * checkpoint syncs twice: when the writer checkpointed, at 1,000 pages of
 * log (every few batches of new residents' asks) it stopped for most of a
 * second, the queue filled behind it and the answers waited for room
 * (tests/bench/http.sh's p99 with the cache). Now no ask waits while the
 * log is under its bound (a second of asks at 8,000 a second: the longest push 1-4 ms; 517 ms,
 * and asks waiting for room, when the writer checkpointed at its commits). */
TEST(wal, a_slow_disk_never_holds_the_answers)
{
	REQUIRE(tc_disk_sync_ms(500) == 0);
	struct log l;
	REQUIRE(log_start(&l, "wal_slow.db"));
	double longest;
	int refused;
	int n = asks_at(l.w, 8000, 1000, &longest, &refused);
	CHECK(events_writer_flush(l.w) == 1);
	struct events_writer_stats s;
	events_writer_stats(l.w, &s);
	/* the checkpoint woken by the asks takes two syncs of 500 ms: it ends
	 * after the last ask was written */
	struct mg_db_ckpt_stats cs;
	long long until = mg_now_ms() + 30000;
	do
		mg_db_ckpt_stats(l.ckpt, &cs);
	while (cs.runs == 0 && mg_now_ms() < until && !usleep(50 * 1000));
	fprintf(stderr, "    %d asks: the longest push %.0f ms, %lld waited for room, %lld dropped; %lld checkpoints\n",
		n, longest, s.waited, s.dropped, cs.runs);
	CHECK(refused == 0 && s.dropped == 0);
	CHECK(s.waited == 0);
	/* a push held by a checkpoint waits out a sync (500 ms); one only
	 * descheduled on a loaded machine has taken 106 ms */
	CHECK(longest < 400);
	CHECK(cs.runs > 0);  /* the log was copied all the same */
	log_stop(&l);
	tc_disk_sync_ms(0);
	CHECK(asks_in(l.path) == n);
}

/* Asks as fast as they can be handed over, far past what the log may hold:
 * the log's file stays under its bound (the largest log, the pages a
 * checkpoint that could not end in time lets through, and the batches
 * written meanwhile), and every ask is written. */
TEST(wal, the_log_stays_bounded_under_a_long_run_of_asks)
{
	struct log l;
	REQUIRE(log_start(&l, "wal_bound.db"));
	const long long bound = (MG_DB_WAL_MAX_PAGES + 4LL * OPS_EVENTS_BATCH_MAX * 2) * (4096 + 24);
	long long largest = 0;
	int n = 0, refused = 0;
	for (long long from = mg_now_ms(); mg_now_ms() - from < 4000 || n < 60000;) {
		for (int k = 0; k < 500; k++, n++) {
			int rc;
			ask_logged(l.w, 0, &rc);
			refused += rc != MG_OK;
		}
		long long b = wal_bytes(l.path);
		if (b > largest)
			largest = b;
	}
	CHECK(events_writer_flush(l.w) == 1);
	struct mg_db_ckpt_stats cs;
	mg_db_ckpt_stats(l.ckpt, &cs);
	fprintf(stderr, "    %d asks: the largest log %lld pages, its file %.1f MB (bound %.1f MB); %lld checkpoints, "
		"%lld commits waited for one\n", n, cs.log_max, largest / 1048576.0, bound / 1048576.0, cs.runs, cs.waits);
	CHECK(largest > 0 && largest <= bound);
	CHECK(cs.log_max <= MG_DB_WAL_MAX_PAGES + 4 * OPS_EVENTS_BATCH_MAX * 2);
	CHECK(refused == 0);
	log_stop(&l);
	CHECK(asks_in(l.path) == n);
}

/* A busy second of new residents (each ask a conversation of its own, as
 * fast as they can be handed over): each ask writes at most 0.4 pages of
 * log, which the disk writes, and the checkpointer reads back and writes
 * again. Their conversation ids sort by the time they were made, so a
 * batch's rows go to the end of the log's indexes; with ids ordered by
 * the second only, the asks of one second went to random pages among the
 * second's, 0.8-0.9 pages an ask here (README § Performance). */
TEST(wal, a_busy_second_of_new_residents_writes_little_log)
{
	struct log l;
	REQUIRE(log_start(&l, "wal_pages.db"));
	int n = 0, refused = 0;
	for (long long from = mg_now_ms(); mg_now_ms() - from < 1000; n++) {
		int rc;
		ask_logged(l.w, 0, &rc);
		refused += rc != MG_OK;
	}
	CHECK(events_writer_flush(l.w) == 1);
	struct events_writer_stats s;
	events_writer_stats(l.w, &s);
	double per = s.written ? (double)s.pages / (double)s.written : 99;
	fprintf(stderr, "    %d asks in %lld batches: %.2f pages of log an ask\n", n, s.batches, per);
	CHECK(refused == 0 && s.written == n);
	CHECK(per <= 0.4);
	log_stop(&l);
}

/* Residents asking (a thread, as the server's workers) at 5,000 a second
 * until stop. */
struct asking {
	struct events_writer *w;
	atomic_int stop, asked, refused;
};

static void *keep_asking(void *arg)
{
	struct asking *a = arg;
	while (!atomic_load(&a->stop)) {
		double longest;
		int refused, n = asks_at(a->w, 5000, 50, &longest, &refused);
		atomic_fetch_add(&a->asked, n);
		atomic_fetch_add(&a->refused, refused);
	}
	return NULL;
}

/* Staff back up the file and the nightly retention deletes old events while
 * residents' asks are logged: both work, the backup holds what was written
 * before it, and once the backup's read ends the log comes back under its
 * bound (a reader on an old snapshot keeps the log from being copied past
 * it, never for good). */
TEST(wal, backup_and_retention_go_on_while_the_log_writes)
{
	struct log l;
	REQUIRE(log_start(&l, "wal_backup.db"));
	char err[MG_ERR_LEN];
	int rc = MG_OK, old = 3000, refused = 0;
	for (int i = 0; i < old; i++) {
		ask_logged(l.w, 1, &rc);
		refused += rc != MG_OK;
	}
	CHECK(refused == 0);
	CHECK(events_writer_flush(l.w) == 1);
	static struct asking a;
	a.w = l.w;
	pthread_t t;
	REQUIRE(pthread_create(&t, NULL, keep_asking, &a) == 0);
	while (atomic_load(&a.asked) < 5000)
		usleep(10 * 1000);
	CHECK(events_writer_flush(l.w) == 1);
	int before = old + atomic_load(&a.asked) - 500;  /* flushed, give or take a round */

	char to[600];
	snprintf(to, sizeof to, "%s", fixture_path("wal_backup.copy.db"));
	unlink(to);
	CHECK(mg_db_backup(l.path, to, err) == MG_OK);
	int deleted = 0;
	CHECK(events_retain(l.db, town_zone(fixture_town()), 10, fixture_local(2026, 11, 8, 12, 0), &deleted, err) ==
	      MG_OK);
	CHECK(deleted == old);
	/* the log comes back under its bound once they are done */
	long long largest_after = 0;
	for (int k = 0; k < 20; k++) {
		usleep(100 * 1000);
		if (k >= 10 && wal_bytes(l.path) > largest_after)
			largest_after = wal_bytes(l.path);
	}
	atomic_store(&a.stop, 1);
	pthread_join(t, NULL);
	CHECK(events_writer_flush(l.w) == 1);
	CHECK(atomic_load(&a.refused) == 0);
	CHECK(largest_after <= (MG_DB_WAL_MAX_PAGES + 4LL * OPS_EVENTS_BATCH_MAX * 2) * (4096 + 24));
	CHECK(fixture_count(l.db, "SELECT count(*) FROM ev_events") == atomic_load(&a.asked));
	log_stop(&l);

	sqlite3 *copy = NULL;
	REQUIRE(mg_db_open(to, 0, MG_DB_SYNC_NORMAL, &copy, err) == MG_OK);
	CHECK(fixture_count(copy, "SELECT count(*) FROM ev_events") >= before);
	CHECK(fixture_count(copy, "SELECT count(*) FROM ev_events WHERE day < '2026-11-01'") == old);
	CHECK(fixture_count(copy, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'") == 1);
	sqlite3_close(copy);
}

/* The server stops with asks still queued: the writer writes them all, the
 * checkpointer stops after it, and the file holds every one with no log
 * left beside it; stopped the other way round (a connection outliving its
 * checkpointer checkpoints by itself), nothing is lost either. */
TEST(wal, the_server_stops_without_losing_queued_asks)
{
	for (int order = 0; order < 2; order++) {
		struct log l;
		REQUIRE(log_start(&l, order ? "wal_stop2.db" : "wal_stop.db"));
		int rc, refused = 0, n = 3 * OPS_EVENTS_QUEUE_MAX;
		for (int i = 0; i < n; i++) {
			ask_logged(l.w, 0, &rc);
			refused += rc != MG_OK;
		}
		CHECK(refused == 0);
		if (order) {
			mg_db_ckpt_stop(l.ckpt);
			events_writer_stop(l.w);
			sqlite3_close(l.db);
		} else {
			log_stop(&l);
		}
		CHECK(wal_bytes(l.path) == 0);  /* the last close copied it all */
		CHECK(asks_in(l.path) == n);
	}
}
