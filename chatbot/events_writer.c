/* The event log's writer thread: a bounded queue that the server's workers
 * fill with redacted events, emptied by one thread that writes them in
 * batches, one transaction each, on its own connection with its statements
 * prepared once. The workers never take SQLite's write lock for the log, so
 * an answer does not wait behind another thread's commit. */
#include "chatbot/events.h"
#include "chatbot/events_int.h"
#include "chatbot/ops_policy.h"
#include "nlp/mg.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One queued event: the row, its strings copied behind it in the same
 * allocation (the only allocation an event costs the writer). */
struct item {
	struct events_row r;
	char text[];
};

struct events_writer {
	pthread_mutex_t mu;
	pthread_cond_t more;     /* to the writer: events, a flush or stop */
	pthread_cond_t flushed;  /* to flushers: a batch is done */
	pthread_cond_t room;     /* to workers: a batch was taken from a full queue */
	long long begin_ms;      /* since when the writer waits for the write lock
				  * (monotonic ms), 0 when it does not */
	struct item *ring[OPS_EVENTS_QUEUE_MAX];
	size_t head, count;
	/* Counts under mu: events accepted; events taken and done with (written
	 * or failed), in the order accepted; what a flush is waiting to see done. */
	long long queued, done, flush_to;
	long long written, dropped, failed;
	long long waited, waited_ms, waited_max_ms;  /* pushes that found the queue full */
	long long batches, pages;      /* transactions, and the pages of log they wrote */
	long long batch_us, batch_max_us;  /* their time on the clock, in all and the longest */
	int failing;                   /* the last batch was not all written */
	char last_error[MG_ERR_LEN];   /* why, the last time one was not */
	int stopping, exited;
	int quiet;
	long long dropped_reported;
	time_t reported_at;

	pthread_t thread;
	sqlite3 *db;
	struct events_stmts st;
	sqlite3_stmt *begin, *commit, *rollback;
};

/* ---- the workers' side ----------------------------------------------------- */

static size_t len_of(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static const char *copy(char **to, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = memcpy(*to, s, n);
	*to += n;
	return p;
}

static struct item *item_new(const struct events_row *r)
{
	size_t n = len_of(r->conversation) + len_of(r->type) + len_of(r->lang) + len_of(r->question) +
		   len_of(r->decision) + len_of(r->entry_id) + len_of(r->slug) + len_of(r->route) +
		   len_of(r->channel) + len_of(r->candidates) + len_of(r->topic);
	struct item *it = malloc(sizeof *it + n);
	if (!it)
		return NULL;
	char *p = it->text;
	it->r = *r;
	it->r.conversation = copy(&p, r->conversation);
	it->r.type = copy(&p, r->type);
	it->r.lang = copy(&p, r->lang);
	it->r.question = copy(&p, r->question);
	it->r.decision = copy(&p, r->decision);
	it->r.entry_id = copy(&p, r->entry_id);
	it->r.slug = copy(&p, r->slug);
	it->r.route = copy(&p, r->route);
	it->r.channel = copy(&p, r->channel);
	it->r.candidates = copy(&p, r->candidates);
	it->r.topic = copy(&p, r->topic);
	return it;
}

int events_writer_push(struct events_writer *w, const struct events_row *r, char *err)
{
	struct item *it = item_new(r);
	pthread_mutex_lock(&w->mu);
	/* Full while the writer writes: it is behind on the CPU, and its next
	 * batch makes room soon; full while it waits for the write lock: the
	 * database refuses it, and the answer does not wait (ops_policy.h).
	 * The wait looks again every OPS_EVENTS_LOCKED_MS: a writer that began
	 * to wait for the lock just before the queue filled wakes no one. */
	if (it && w->count == OPS_EVENTS_QUEUE_MAX) {
		long long from = mg_now_ms(), until = from + OPS_EVENTS_ROOM_WAIT_MS;
		while (w->count == OPS_EVENTS_QUEUE_MAX && !w->exited && !w->stopping &&
		       !(w->begin_ms && mg_now_ms() - w->begin_ms >= OPS_EVENTS_LOCKED_MS)) {
			long long left = until - mg_now_ms();
			if (left <= 0)
				break;
			struct timespec slice = mg_deadline_ms(left < OPS_EVENTS_LOCKED_MS ? left : OPS_EVENTS_LOCKED_MS);
			pthread_cond_timedwait(&w->room, &w->mu, &slice);
		}
		long long ms = mg_now_ms() - from;
		w->waited++;
		w->waited_ms += ms;
		if (ms > w->waited_max_ms)
			w->waited_max_ms = ms;
	}
	if (!it || w->count == OPS_EVENTS_QUEUE_MAX || w->exited) {
		w->dropped++;
		pthread_mutex_unlock(&w->mu);
		if (!it)
			return mg_fail(err, MG_ERR_NOMEM, "out of memory: the event was dropped");
		free(it);
		return mg_fail(err, MG_ERR_FULL, "the event log is behind: the event was dropped");
	}
	w->ring[(w->head + w->count) % OPS_EVENTS_QUEUE_MAX] = it;
	w->count++;
	w->queued++;
	/* The writer waits for the first event, then for a full batch or the
	 * end of its wait: only those two wake it. */
	if (w->count == 1 || w->count == OPS_EVENTS_BATCH_MAX)
		pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
	return MG_OK;
}

int events_writer_flush(struct events_writer *w)
{
	if (!w)
		return 1;
	pthread_mutex_lock(&w->mu);
	long long target = w->queued;
	if (w->flush_to < target) {
		w->flush_to = target;
		pthread_cond_signal(&w->more);
	}
	/* A reader waits as long as it would for the database itself, not for
	 * ever: a lock held elsewhere keeps the writer waiting too. */
	struct timespec until = mg_deadline_ms(MG_DB_BUSY_MS);
	while (w->done < target && !w->exited)
		if (pthread_cond_timedwait(&w->flushed, &w->mu, &until) == ETIMEDOUT)
			break;
	int all = w->done >= target;
	pthread_mutex_unlock(&w->mu);
	return all;
}

void events_writer_stats(struct events_writer *w, struct events_writer_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = (struct events_writer_stats){w->queued, w->written, w->dropped, w->failed, w->failing, "",
					    w->waited, w->waited_ms, w->waited_max_ms, w->batches, w->pages,
					    w->batch_us / 1000, w->batch_max_us / 1000};
	snprintf(out->last_error, sizeof out->last_error, "%s", w->last_error);
	pthread_mutex_unlock(&w->mu);
}

/* ---- the writer's side ------------------------------------------------------- */

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

__attribute__((format(printf, 2, 3)))
static void say(const struct events_writer *w, const char *fmt, ...)
{
	if (w->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("madoguchi: event log: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Begins the batch's transaction. While the database is locked by another
 * writer for longer than the busy timeout (a staff import), the batch waits
 * and is tried again; events queued meanwhile are dropped once the queue is
 * full. On the way out there is no one left to wait for: give up. */
static void set_begin(struct events_writer *w, long long ms)
{
	pthread_mutex_lock(&w->mu);
	w->begin_ms = ms;
	pthread_mutex_unlock(&w->mu);
}

static int begin(struct events_writer *w)
{
	set_begin(w, mg_now_ms());
	int rc;
	for (;;) {
		rc = step(w->begin);
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		pthread_mutex_lock(&w->mu);
		int stopping = w->stopping;
		pthread_mutex_unlock(&w->mu);
		if (stopping)
			break;
		usleep(OPS_EVENTS_RETRY_MS * 1000);
	}
	set_begin(w, 0);
	return rc;
}

/* Writes batch[0..n) and frees it; returns how many are in the database.
 * One transaction for all; if any row fails, each is tried alone so that
 * one bad event costs only itself. */
static int write_batch(struct events_writer *w, struct item **batch, int n, char err[MG_ERR_LEN])
{
	err[0] = 0;
	int rc = begin(w), ok = 0;
	if (rc != SQLITE_OK)
		snprintf(err, MG_ERR_LEN, "%s", sqlite3_errmsg(w->db));
	for (int i = 0; rc == SQLITE_OK && i < n; i++)
		if (events_row_write(w->db, &w->st, &batch[i]->r, err) != MG_OK)
			rc = SQLITE_ERROR;
	if (rc == SQLITE_OK && (rc = step(w->commit)) != SQLITE_OK)
		snprintf(err, MG_ERR_LEN, "%s", sqlite3_errmsg(w->db));
	if (rc == SQLITE_OK) {
		ok = n;
	} else if (!sqlite3_get_autocommit(w->db)) {
		step(w->rollback);
		for (int i = 0; i < n; i++) {
			if (begin(w) != SQLITE_OK) {
				snprintf(err, MG_ERR_LEN, "%s", sqlite3_errmsg(w->db));
				break;
			}
			if (events_row_write(w->db, &w->st, &batch[i]->r, err) == MG_OK &&
			    step(w->commit) == SQLITE_OK)
				ok++;
			else if (!sqlite3_get_autocommit(w->db))
				step(w->rollback);
		}
	}
	if (ok < n)
		say(w, "%s: %lld events not written", err, (long long)(n - ok));
	for (int i = 0; i < n; i++)
		free(batch[i]);
	return ok;
}

/* Called with mu held: says how many events were dropped, at most every
 * OPS_EVENTS_REPORT_S (and always at the end). */
static void report_dropped(struct events_writer *w, int final)
{
	time_t now = time(NULL);
	if (w->dropped == w->dropped_reported || (!final && now - w->reported_at < OPS_EVENTS_REPORT_S))
		return;
	say(w, "the queue of %d events was full: %lld events dropped since the start",
	    OPS_EVENTS_QUEUE_MAX, w->dropped);
	w->dropped_reported = w->dropped;
	w->reported_at = now;
}

static long long now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static void *writer_main(void *arg)
{
	struct events_writer *w = arg;
	struct item *batch[OPS_EVENTS_BATCH_MAX];
	pthread_setname_np(pthread_self(), "mg-events");  /* in top -H, perf sched */
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->count && !w->stopping)
			pthread_cond_wait(&w->more, &w->mu);
		if (!w->count)
			break;
		/* Let a batch gather, unless someone waits for it or it is full. */
		struct timespec until = mg_deadline_ms(OPS_EVENTS_BATCH_MS);
		while (w->count < OPS_EVENTS_BATCH_MAX && !w->stopping && w->flush_to <= w->done)
			if (pthread_cond_timedwait(&w->more, &w->mu, &until) == ETIMEDOUT)
				break;
		int n = 0, was_full = w->count == OPS_EVENTS_QUEUE_MAX;
		while (w->count && n < OPS_EVENTS_BATCH_MAX) {
			batch[n++] = w->ring[w->head];
			w->head = (w->head + 1) % OPS_EVENTS_QUEUE_MAX;
			w->count--;
		}
		if (was_full)
			pthread_cond_broadcast(&w->room);
		pthread_mutex_unlock(&w->mu);
		char err[MG_ERR_LEN];
		/* The pages this connection wrote to the log (reset at each read). */
		int pages = 0, unused = 0;
		sqlite3_db_status(w->db, SQLITE_DBSTATUS_CACHE_WRITE, &pages, &unused, 1);
		long long from = now_us();
		int ok = write_batch(w, batch, n, err);
		long long us = now_us() - from;
		sqlite3_db_status(w->db, SQLITE_DBSTATUS_CACHE_WRITE, &pages, &unused, 1);
		pthread_mutex_lock(&w->mu);
		w->batches++;
		w->pages += pages;
		w->batch_us += us;
		if (us > w->batch_max_us)
			w->batch_max_us = us;
		w->done += n;
		w->written += ok;
		w->failed += n - ok;
		w->failing = ok < n;
		if (ok < n)
			snprintf(w->last_error, sizeof w->last_error, "%s", err);
		report_dropped(w, 0);
		pthread_cond_broadcast(&w->flushed);
	}
	w->exited = 1;
	pthread_cond_broadcast(&w->flushed);
	pthread_cond_broadcast(&w->room);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void close_db(struct events_writer *w)
{
	events_stmts_finalize(&w->st);
	sqlite3_finalize(w->begin);
	sqlite3_finalize(w->commit);
	sqlite3_finalize(w->rollback);
	sqlite3_close(w->db);
}

int events_writer_start(const char *db_path, int quiet, struct events_writer **out, char *err)
{
	*out = NULL;
	struct events_writer *w = calloc(1, sizeof *w);
	if (!w)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	w->quiet = quiet;
	w->reported_at = time(NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->more, &ca);
	pthread_cond_init(&w->flushed, &ca);
	pthread_cond_init(&w->room, &ca);
	pthread_condattr_destroy(&ca);

	int rc = MG_OK;
	/* Commits are not synced, checkpoints are: in the server the file's
	 * checkpointer takes them (nlp/db.h), so a batch never waits for a sync
	 * (mg_db_ckpt_start before this open). */
	rc = mg_db_open(db_path, 0, MG_DB_SYNC_NORMAL, &w->db, err);
	if (rc == MG_OK)
		rc = events_init(w->db, err);
	if (rc == MG_OK)
		rc = events_stmts_prepare(w->db, &w->st, err);
	if (rc == MG_OK &&
	    (sqlite3_prepare_v2(w->db, "BEGIN IMMEDIATE", -1, &w->begin, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(w->db, "COMMIT", -1, &w->commit, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(w->db, "ROLLBACK", -1, &w->rollback, NULL) != SQLITE_OK))
		rc = mg_fail(err, MG_ERR_DB, "event log: %s", sqlite3_errmsg(w->db));
	if (rc == MG_OK && pthread_create(&w->thread, NULL, writer_main, w) != 0)
		rc = mg_fail(err, MG_ERR_INTERNAL, "cannot start the event log's thread");
	if (rc != MG_OK) {
		close_db(w);
		pthread_cond_destroy(&w->more);
		pthread_cond_destroy(&w->flushed);
		pthread_cond_destroy(&w->room);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return rc;
	}
	*out = w;
	return MG_OK;
}

void events_writer_stop(struct events_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->more);
	pthread_cond_broadcast(&w->room);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_lock(&w->mu);
	report_dropped(w, 1);
	if (w->batches)
		say(w, "%lld events in %lld batches, %.2f pages of log an event; a batch %.1f ms on average, "
		    "%.1f ms at most", w->written, w->batches, w->written ? (double)w->pages / w->written : 0.0,
		    w->batch_us / 1000.0 / w->batches, w->batch_max_us / 1000.0);
	if (w->waited)
		say(w, "%lld events waited for room in the queue, %lld ms in all, the longest %lld ms",
		    w->waited, w->waited_ms, w->waited_max_ms);
	pthread_mutex_unlock(&w->mu);
	close_db(w);
	pthread_cond_destroy(&w->more);
	pthread_cond_destroy(&w->flushed);
	pthread_cond_destroy(&w->room);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
