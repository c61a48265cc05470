/* Opening the SQLite file and naming its errors: see nlp/db.h. */
#include "nlp/db.h"
#include "nlp/mg.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* SQLite's memory statistics take a process-wide mutex at every one of its
 * allocations (about 600 an ask: pthread_mutex_lock and unlock were 2% of
 * an ask's instructions) and nothing here reads them. Set before SQLite
 * initialises; later it is refused, harmlessly. */
static void config_once(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* ---- the checkpointer (nlp/db.h) ----------------------------------------------
 * The running ones, for mg_db_open to find by path and the connections'
 * hooks by id (a hook outlives its checkpointer when a connection does):
 * one lock for the list and every checkpointer's flags and figures, taken
 * for a moment at the commits that find the log past MG_DB_CKPT_PAGES. */
struct mg_db_ckpt {
	struct mg_db_ckpt *next;
	uintptr_t id;
	char *path;
	pthread_cond_t wake;
	pthread_cond_t done;     /* to commits waiting for a run to end, and to stop */
	int pending, stopping;
	long long begun, ended;  /* runs */
	int waiters;             /* commits waiting in wal_hook */
	int wait_at;             /* the log's pages at which a commit next waits */
	pthread_t thread;
	sqlite3 *db;
	struct mg_db_ckpt_stats st;
};
static pthread_mutex_t ckpt_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mg_db_ckpt *ckpts;
static uintptr_t ckpt_ids;

/* SQLite's own checkpoint at commit (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT), for
 * a connection whose checkpointer has stopped. */
#define CKPT_ALONE_PAGES 1000

static struct mg_db_ckpt *ckpt_find(uintptr_t id)
{
	struct mg_db_ckpt *c = ckpts;
	while (c && c->id != id)
		c = c->next;
	return c;
}

/* Called with ckpt_mu held by a commit that found the log pages long: past
 * the bound, waits for the next run to end (see MG_DB_WAL_MAX_PAGES); once
 * a bound, then the log's length plus the bound again until it restarts,
 * so that a reader that keeps the log from being copied costs a wait per
 * bound's worth of log, not one a commit. */
static void ckpt_bound(struct mg_db_ckpt *c, int pages)
{
	if (pages < c->wait_at - MG_DB_WAL_MAX_PAGES)
		c->wait_at = MG_DB_WAL_MAX_PAGES;  /* the log started again */
	if (pages < c->wait_at)
		return;
	c->wait_at = pages + MG_DB_WAL_MAX_PAGES;
	c->st.waits++;
	long long from = mg_now_ms(), next = c->begun + 1;
	struct timespec until = mg_deadline_ms(MG_DB_BUSY_MS);
	c->waiters++;
	while (c->ended < next && !c->stopping)
		if (pthread_cond_timedwait(&c->done, &ckpt_mu, &until) == ETIMEDOUT)
			break;
	c->waiters--;
	c->st.waited_ms += mg_now_ms() - from;
	pthread_cond_broadcast(&c->done);  /* stop may wait for the last waiter */
}

/* At every commit of a connection opened while its file's checkpointer ran
 * (SQLite calls it with the log's pages, the write lock released): wakes
 * the checkpointer, never checkpoints itself while it runs. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	if (pages < (MG_DB_CKPT_PAGES < CKPT_ALONE_PAGES ? MG_DB_CKPT_PAGES : CKPT_ALONE_PAGES))
		return SQLITE_OK;
	pthread_mutex_lock(&ckpt_mu);
	struct mg_db_ckpt *c = ckpt_find((uintptr_t)arg);
	if (c && pages >= MG_DB_CKPT_PAGES && !c->pending) {
		c->pending = 1;
		pthread_cond_signal(&c->wake);
	}
	if (c)
		ckpt_bound(c, pages);
	pthread_mutex_unlock(&ckpt_mu);
	if (!c && pages >= CKPT_ALONE_PAGES)
		sqlite3_wal_checkpoint(db, name);
	return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
	struct mg_db_ckpt *c = arg;
	pthread_setname_np(pthread_self(), "mg-ckpt");  /* in top -H, perf sched */
	pthread_mutex_lock(&ckpt_mu);
	for (;;) {
		while (!c->pending && !c->stopping)
			pthread_cond_wait(&c->wake, &ckpt_mu);
		if (c->stopping)
			break;
		c->pending = 0;
		c->begun++;
		pthread_mutex_unlock(&ckpt_mu);
		int log = 0, copied = 0;
		long long from = mg_now_ms();
		int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
		long long ms = mg_now_ms() - from;
		pthread_mutex_lock(&ckpt_mu);
		c->st.ms += ms;
		if (ms > c->st.ms_max)
			c->st.ms_max = ms;
		if (rc == SQLITE_BUSY) {
			c->st.busy++;
		} else if (rc != SQLITE_OK) {
			c->st.failed++;
		} else {
			c->st.runs++;
			c->st.whole += copied == log;
			if (log > c->st.log_max)
				c->st.log_max = log;
		}
		c->ended++;
		pthread_cond_broadcast(&c->done);
	}
	pthread_mutex_unlock(&ckpt_mu);
	return NULL;
}

int mg_db_ckpt_start(const char *path, struct mg_db_ckpt **out, char *err)
{
	*out = NULL;
	struct mg_db_ckpt *c = calloc(1, sizeof *c);
	if (!c || !(c->path = strdup(path))) {
		free(c);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	/* Its own connection, opened before it is listed: it only checkpoints. */
	int rc = mg_db_open(path, 0, MG_DB_SYNC_NORMAL, &c->db, err);
	if (rc == MG_OK) {
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&c->wake, NULL);
		pthread_cond_init(&c->done, &ca);
		pthread_condattr_destroy(&ca);
		c->wait_at = MG_DB_WAL_MAX_PAGES;
		if (pthread_create(&c->thread, NULL, ckpt_main, c)) {
			pthread_cond_destroy(&c->wake);
			pthread_cond_destroy(&c->done);
			rc = mg_fail(err, MG_ERR_INTERNAL, "cannot start the checkpoint thread");
		}
	}
	if (rc != MG_OK) {
		sqlite3_close(c->db);
		free(c->path);
		free(c);
		return rc;
	}
	pthread_mutex_lock(&ckpt_mu);
	c->id = ++ckpt_ids;
	struct mg_db_ckpt **end = &ckpts;
	while (*end)
		end = &(*end)->next;
	*end = c;
	pthread_mutex_unlock(&ckpt_mu);
	*out = c;
	return MG_OK;
}

void mg_db_ckpt_stop(struct mg_db_ckpt *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&ckpt_mu);
	struct mg_db_ckpt **p = &ckpts;
	while (*p != c)
		p = &(*p)->next;
	*p = c->next;
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_cond_broadcast(&c->done);
	while (c->waiters)
		pthread_cond_wait(&c->done, &ckpt_mu);
	pthread_mutex_unlock(&ckpt_mu);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_cond_destroy(&c->done);
	sqlite3_close(c->db);
	free(c->path);
	free(c);
}

void mg_db_ckpt_stats(struct mg_db_ckpt *c, struct mg_db_ckpt_stats *out)
{
	pthread_mutex_lock(&ckpt_mu);
	*out = c->st;
	pthread_mutex_unlock(&ckpt_mu);
}

/* The id of the checkpointer running for path, 0 when none. */
static uintptr_t ckpt_of(const char *path)
{
	pthread_mutex_lock(&ckpt_mu);
	struct mg_db_ckpt *c = ckpts;
	while (c && strcmp(c->path, path))
		c = c->next;
	uintptr_t id = c ? c->id : 0;
	pthread_mutex_unlock(&ckpt_mu);
	return id;
}

int mg_db_open(const char *path, int create, enum mg_db_sync sync, sqlite3 **out, char *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, config_once);
	*out = NULL;
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		int rc = mg_fail(err, MG_ERR_DB, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, MG_DB_BUSY_MS);
	char settings[200];
	snprintf(settings, sizeof settings,
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON; "
		 "PRAGMA journal_size_limit=%lld;",
		 sync == MG_DB_SYNC_FULL ? "FULL" : "NORMAL", MG_DB_WAL_KEEP_BYTES);
	if (sqlite3_exec(db, settings, NULL, NULL, NULL) != SQLITE_OK) {
		int rc = mg_db_fail(db, err, path);
		sqlite3_close(db);
		return rc;
	}
	uintptr_t ckpt = ckpt_of(path);
	if (ckpt)
		sqlite3_wal_hook(db, wal_hook, (void *)ckpt);
	*out = db;
	return MG_OK;
}

int mg_db_fail(sqlite3 *db, char *err, const char *what)
{
	int code = db ? sqlite3_errcode(db) & 0xff : SQLITE_ERROR;
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return mg_fail(err, MG_ERR_BUSY, "%s: the database is busy; please try again in a moment", what);
	if (code == SQLITE_FULL)
		return mg_fail(err, MG_ERR_NOSPACE, "%s: the server's disk is full, nothing was saved", what);
	return mg_fail(err, MG_ERR_DB, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
}

int mg_db_backup(const char *path, const char *to, char *err)
{
	struct stat a, b;
	if (!stat(path, &a) && !stat(to, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return mg_fail(err, MG_ERR_INPUT, "%s is the database itself: give the backup another name", to);
	char part[4096], journal[4096 + 8];
	if ((size_t)snprintf(part, sizeof part, "%s.part", to) >= sizeof part)
		return mg_fail(err, MG_ERR_INPUT, "the backup's name is too long");
	snprintf(journal, sizeof journal, "%s-journal", part);
	unlink(part);  /* what an interrupted backup left */
	unlink(journal);
	sqlite3 *src = NULL, *dst = NULL;
	int rc = mg_db_open(path, 0, MG_DB_SYNC_NORMAL, &src, err);
	if (rc != MG_OK)
		return rc;
	if (sqlite3_open_v2(part, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = mg_fail(err, MG_ERR_IO, "%s: %s", part, dst ? sqlite3_errmsg(dst) : "cannot create");
	} else {
		/* One step: the whole file under one read transaction, so the copy
		 * is one commit's. Readers and the log's writer go on beside it
		 * (WAL); a lock met while it starts is waited for as any open is. */
		sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
		int step = SQLITE_ERROR;
		for (int waited = 0; bk; waited += 100) {
			step = sqlite3_backup_step(bk, -1);
			if ((step != SQLITE_BUSY && step != SQLITE_LOCKED) || waited >= MG_DB_BUSY_MS)
				break;
			sqlite3_sleep(100);
		}
		if (bk)
			sqlite3_backup_finish(bk);
		if (step != SQLITE_DONE)
			rc = step == SQLITE_BUSY || step == SQLITE_LOCKED ? mg_db_fail(src, err, path)
									  : mg_db_fail(dst, err, part);
	}
	if (sqlite3_close(dst) != SQLITE_OK && rc == MG_OK)
		rc = mg_fail(err, MG_ERR_IO, "%s: cannot close", part);
	sqlite3_close(src);
	if (rc == MG_OK && rename(part, to))
		rc = mg_fail(err, MG_ERR_IO, "%s: %s", to, strerror(errno));
	if (rc != MG_OK)
		unlink(part);
	return rc;
}

int mg_db_write_begin(sqlite3 *db, struct mg_db_write *w, char *err)
{
	int outer = w->depth == 0 && sqlite3_get_autocommit(db);
	if (sqlite3_exec(db, outer ? "BEGIN IMMEDIATE" : "SAVEPOINT mg_write", NULL, NULL, NULL) != SQLITE_OK)
		return mg_db_fail(db, err, "write");
	if (w->depth++ == 0)
		w->outer = outer;
	return MG_OK;
}

int mg_db_write_end(sqlite3 *db, struct mg_db_write *w, int rc, char *err)
{
	/* No level open: a call refused before its begin, or whose begin
	 * failed, ends here as it began (the rc chains of reservation/). Going
	 * below zero would make every later outermost begin a deferred
	 * savepoint that no longer takes the write lock first. */
	if (w->depth <= 0)
		return rc;
	int outer = --w->depth == 0 && w->outer;
	if (rc == MG_OK && sqlite3_exec(db, outer ? "COMMIT" : "RELEASE mg_write", NULL, NULL, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "write");
	if (rc != MG_OK) {
		if (!outer)
			sqlite3_exec(db, "ROLLBACK TO mg_write; RELEASE mg_write", NULL, NULL, NULL);
		else if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

struct stmt_slot {
	char *sql;  /* NULL: an empty slot */
	uint32_t hash;
	sqlite3_stmt *st;
	int out;    /* handed out, not yet put back */
};

/* A text's hash remembered by the address of the text: the callers pass
 * string constants, so a text asked for again is found without hashing it
 * again (hashing the ~200 bytes of a kb_entries SELECT at every get and put
 * was 3,000 instructions a call). The address is only a hint: a hit still
 * compares the text. */
#define STMT_RECENT 64
struct stmt_recent {
	const char *sql;
	uint32_t hash;
};

/* The statements handed out, with their hashes, for put: a few at a time
 * (a walk inside a walk); past STMT_OUT put hashes the text. */
#define STMT_OUT 8

/* Open addressing over a power-of-two table, at most three quarters full. */
struct mg_db_stmts {
	sqlite3 *db;
	struct stmt_slot *slot;
	size_t cap, n;
	struct stmt_recent recent[STMT_RECENT];
	struct {
		sqlite3_stmt *st;
		uint32_t hash;
	} out[STMT_OUT];
	int nout;
};

struct mg_db_stmts *mg_db_stmts_new(sqlite3 *db)
{
	struct mg_db_stmts *c = calloc(1, sizeof *c);
	if (c)
		c->db = db;
	return c;
}

void mg_db_stmts_free(struct mg_db_stmts *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++) {
		sqlite3_finalize(c->slot[i].st);
		free(c->slot[i].sql);
	}
	free(c->slot);
	free(c);
}

/* The slot holding sql, or the empty one where it would go. */
static struct stmt_slot *stmt_find(const struct mg_db_stmts *c, const char *sql, uint32_t hash)
{
	size_t i = hash & (c->cap - 1);
	while (c->slot[i].sql && (c->slot[i].hash != hash || strcmp(c->slot[i].sql, sql)))
		i = (i + 1) & (c->cap - 1);
	return &c->slot[i];
}

static int stmts_grow(struct mg_db_stmts *c)
{
	size_t cap = c->cap ? c->cap * 2 : 32;
	struct stmt_slot *old = c->slot, *slot = calloc(cap, sizeof *slot);
	if (!slot)
		return -1;
	size_t old_cap = c->cap;
	c->slot = slot;
	c->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].sql)
			*stmt_find(c, old[i].sql, old[i].hash) = old[i];
	free(old);
	return 0;
}

/* Notes st (kept in the cache under hash) as handed out. */
static void stmt_out(struct mg_db_stmts *c, sqlite3_stmt *st, uint32_t hash)
{
	if (c->nout < STMT_OUT) {
		c->out[c->nout].st = st;
		c->out[c->nout++].hash = hash;
	}
}

int mg_db_stmt_get(struct mg_db_stmts *c, const char *sql, sqlite3_stmt **out)
{
	*out = NULL;
	struct stmt_recent *r = &c->recent[((uintptr_t)sql >> 3) & (STMT_RECENT - 1)];
	struct stmt_slot *s = NULL;
	uint32_t hash = 0;
	if (c->cap && r->sql == sql) {
		hash = r->hash;
		s = stmt_find(c, sql, hash);
		if (!s->sql)  /* another text at the same address */
			s = NULL;
	}
	if (!s) {
		hash = mg_hash(sql, strlen(sql));
		s = c->cap ? stmt_find(c, sql, hash) : NULL;
		r->sql = sql;
		r->hash = hash;
	}
	if (s && s->sql && !s->out) {
		s->out = 1;
		*out = s->st;
		stmt_out(c, s->st, hash);
		return SQLITE_OK;
	}
	if ((s && s->sql) || c->n >= MG_DB_STMTS_MAX)  /* out already, or the cache is full */
		return sqlite3_prepare_v2(c->db, sql, -1, out, NULL);
	int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	if (rc != SQLITE_OK)
		return rc;
	/* mg_db_stmt_put finds a statement by the text SQLite kept of it, which
	 * stops after the first ';' ("SELECT 1; " is kept as "SELECT 1;"): a
	 * text that is not all kept is used once, as without memory, never
	 * filed under a name put cannot find (it would be finalized there and
	 * finalized again at mg_db_stmts_free). */
	const char *kept = sqlite3_sql(*out);
	char *copy = NULL;
	if (!kept || strcmp(kept, sql) || ((c->n + 1) * 4 > c->cap * 3 && stmts_grow(c)) ||
	    !(copy = strdup(sql)))
		return SQLITE_OK;  /* used once, finalized at put */
	s = stmt_find(c, sql, hash);
	*s = (struct stmt_slot){copy, hash, *out, 1};
	c->n++;
	stmt_out(c, *out, hash);
	return SQLITE_OK;
}

void mg_db_stmt_put(struct mg_db_stmts *c, sqlite3_stmt *st)
{
	if (!st)
		return;
	const char *sql = sqlite3_sql(st);
	int i = c->nout - 1;
	while (i >= 0 && c->out[i].st != st)
		i--;
	uint32_t hash = i >= 0 ? c->out[i].hash : sql ? mg_hash(sql, strlen(sql)) : 0;
	if (i >= 0)
		c->out[i] = c->out[--c->nout];
	struct stmt_slot *s = c->cap && sql ? stmt_find(c, sql, hash) : NULL;
	if (!s || s->st != st) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	s->out = 0;
}

/* ---- migrations ------------------------------------------------------------ */

/* Owned by the mechanism itself, made by the first migration of a file. */
static const char SCHEMA_TABLE[] =
	"CREATE TABLE IF NOT EXISTS mg_schema(module TEXT PRIMARY KEY, version INTEGER NOT NULL)";

/* 1 when db has table, 0 when not, -1 when it cannot be read. */
static int has_table(sqlite3 *db, const char *table)
{
	sqlite3_stmt *st = NULL;
	int has = -1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1", -1,
			       &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			has = sqlite3_column_int(st, 0) > 0;
	}
	sqlite3_finalize(st);
	return has;
}

int mg_db_schema_version(sqlite3 *db, const char *module)
{
	int has = has_table(db, "mg_schema");
	if (has <= 0)
		return has;
	sqlite3_stmt *st = NULL;
	int v = -1;
	if (sqlite3_prepare_v2(db, "SELECT version FROM mg_schema WHERE module = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
		int step = sqlite3_step(st);
		v = step == SQLITE_ROW ? sqlite3_column_int(st, 0) : step == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_finalize(st);
	return v;
}

static int newer(const struct mg_db_schema *s, int v, char *err)
{
	return mg_fail(err, MG_ERR_DB,
		       "the database's %s tables are at version %d and this madoguchi knows %d: the file was "
		       "written by a newer madoguchi; open it with that one (nothing was changed)",
		       s->module, v, s->nsteps);
}

int mg_db_migrate(sqlite3 *db, const struct mg_db_schema *s, void *ctx, char *err)
{
	char what[96];
	snprintf(what, sizeof what, "the %s tables", s->module);
	int v = mg_db_schema_version(db, s->module);
	if (v < 0)
		return mg_db_fail(db, err, what);
	if (v > s->nsteps)
		return newer(s, v, err);
	if (v == s->nsteps)
		return MG_OK;
	struct mg_db_write w = {0};
	int rc = mg_db_write_begin(db, &w, err);
	if (rc != MG_OK)
		return rc;
	if (sqlite3_exec(db, SCHEMA_TABLE, NULL, NULL, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, what);
	/* again under the write lock: another connection may have run them */
	if (rc == MG_OK && (v = mg_db_schema_version(db, s->module)) < 0)
		rc = mg_db_fail(db, err, what);
	if (rc == MG_OK && v > s->nsteps)
		rc = newer(s, v, err);
	for (; rc == MG_OK && v < s->nsteps; v++) {
		const struct mg_db_step *step = &s->steps[v];
		snprintf(what, sizeof what, "the %s tables, step %d", s->module, v + 1);
		if (step->sql && sqlite3_exec(db, step->sql, NULL, NULL, NULL) != SQLITE_OK)
			rc = mg_db_fail(db, err, what);
		if (rc == MG_OK && step->fn)
			rc = step->fn(db, ctx, err);
	}
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK && sqlite3_prepare_v2(db, "INSERT INTO mg_schema(module, version) VALUES(?1, ?2)"
					      " ON CONFLICT(module) DO UPDATE SET version = excluded.version",
					      -1, &st, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, what);
	if (rc == MG_OK) {
		sqlite3_bind_text(st, 1, s->module, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, s->nsteps);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mg_db_fail(db, err, what);
	}
	sqlite3_finalize(st);
	return mg_db_write_end(db, &w, rc, err);
}

int mg_db_add_column(sqlite3 *db, const char *table, const char *column, const char *decl, char *err)
{
	sqlite3_stmt *st = NULL;
	int has = -1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			has = sqlite3_column_int(st, 0) > 0;
	}
	sqlite3_finalize(st);
	if (has)
		return has < 0 ? mg_db_fail(db, err, table) : MG_OK;
	char *sql = sqlite3_mprintf("ALTER TABLE \"%w\" ADD COLUMN \"%w\" %s", table, column, decl);
	if (!sql)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? MG_OK : mg_db_fail(db, err, table);
	sqlite3_free(sql);
	return rc;
}
