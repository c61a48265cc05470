/* The one way the program opens its SQLite file and reads SQLite's errors.
 * The knowledge base, the bookings and the event log each hold their own
 * connection to the same file (SQLite connections are not shared between
 * threads here), all opened the same way. */
#ifndef MG_DB_H
#define MG_DB_H

#include <sqlite3.h>

/* How long a connection waits for another's write lock before it reports
 * MG_ERR_BUSY. A booking or an event batch holds it about a millisecond, a
 * full knowledge-base import a few hundred: 5 s absorbs a burst of hundreds
 * of bookings, or an import, before anyone sees "busy". */
#define MG_DB_BUSY_MS 5000

enum mg_db_sync {
	/* WAL, a commit is not synced, a checkpoint is: a power cut may lose
	 * the last commits, never corrupt (the knowledge base, the event log) */
	MG_DB_SYNC_NORMAL,
	/* every commit synced: a booking confirmed to a resident survives a
	 * power cut, not only a crash */
	MG_DB_SYNC_FULL,
};

/* Opens (and, with create, creates) path in WAL mode with foreign keys on,
 * sync as given and MG_DB_BUSY_MS of waiting. The connection is for one
 * thread at a time. While a checkpointer runs for path in this process
 * (below), the connection's commits leave the WAL's checkpoints to it. On
 * failure *out is NULL and err says why. */
int mg_db_open(const char *path, int create, enum mg_db_sync sync, sqlite3 **out, char *err);

/* ---- the checkpointer ------------------------------------------------------
 * In WAL mode SQLite copies the log back into the file (a checkpoint: the
 * pages, a sync of the log, a sync of the file) inside whichever commit
 * finds the log past 1,000 pages. In the server that was the event log's
 * writer, 23,000 events a second: a batch with a checkpoint took 20-30 ms
 * against 8-13 ms without, the queue filled meanwhile and the workers
 * waited for room (over half of the time they waited overlapped a
 * checkpoint), which was the HTTP ask's p99 (README § Performance). A
 * checkpointer is one thread with its own connection for one file: every
 * connection that mg_db_open gives out for that file while it runs only
 * wakes it when the log reaches MG_DB_CKPT_PAGES (sqlite3_wal_hook, which
 * replaces SQLite's own checkpoint at commit), and it runs PASSIVE
 * checkpoints, which never wait for a writer or a reader nor make them
 * wait. A reader on an old snapshot (a backup, a long report) keeps the
 * log from being copied past it; the log starts again from its beginning
 * at the first commit after one copied it all, and the file is cut back to
 * MG_DB_WAL_KEEP_BYTES then. A connection still open after its
 * checkpointer stopped checkpoints at commit as SQLite does by itself. */

/* Pages of log that wake the checkpointer. (measured: see nlp/db.c) */
#define MG_DB_CKPT_PAGES 1000
/* The log starts again from its beginning only at a transaction that began
 * after a checkpoint copied all of it. The event log's writer, under
 * thousands of asks a second, begins its next batch as its last commits,
 * before the checkpoint that commit woke has ended: the log grew without
 * end (23,000 pages, 47 MB, in a 12 s run of tests/bench/http.sh). So a
 * commit that finds the log this long waits, after its write lock is
 * released, for the next checkpoint to end (MG_DB_BUSY_MS at most), and
 * the writer's next batch begins on a log copied whole. At 8,000 pages and
 * a wait of 200 ms at most, checkpoints of 150-390 ms with the machine at
 * load 7 let the log reach 24,000 pages (85 MB): the wait is for the end,
 * and the bound twice that, so that it comes half as often (the batch
 * behind it waits a checkpoint's 20-60 ms, the queue takes the asks
 * meanwhile: OPS_EVENTS_QUEUE_MAX). */
#define MG_DB_WAL_MAX_PAGES 16000
/* What a log file that grew past it (a long reader, a big import) is cut
 * back to when the log starts again (PRAGMA journal_size_limit): the
 * bound's pages, so that the server's log keeps its file. */
#define MG_DB_WAL_KEEP_BYTES (MG_DB_WAL_MAX_PAGES * 4096LL)

struct mg_db_ckpt;
/* Starts the checkpointer of path: its thread and connection. Connections
 * opened before it checkpoint as SQLite does. Two for one path: the first
 * started is the one woken. MG_OK, or what failed in err (*out NULL). */
int mg_db_ckpt_start(const char *path, struct mg_db_ckpt **out, char *err);
/* Stops it after the checkpoint it runs, if any: the connections opened
 * for path meanwhile may stay open (they checkpoint by themselves from now
 * on). NULL is nothing. */
void mg_db_ckpt_stop(struct mg_db_ckpt *c);
struct mg_db_ckpt_stats {
	long long runs;       /* checkpoints run */
	long long whole;      /* of them, the ones that copied the whole log */
	long long busy;       /* refused: another process's checkpoint ran */
	long long failed;     /* ended by an error (I/O) */
	long long log_max;    /* the most pages of log one found */
	long long ms, ms_max; /* their time on the clock, in all and the longest */
	long long waits;      /* commits that found the log past MG_DB_WAL_MAX_PAGES */
	long long waited_ms;  /* the time they waited, in all */
};
void mg_db_ckpt_stats(struct mg_db_ckpt *c, struct mg_db_ckpt_stats *out);

/* The last error of db as the program's code, formatted into err with what
 * (the step that failed): another connection's lock held too long is
 * MG_ERR_BUSY (try again in a moment), a full disk MG_ERR_NOSPACE (nothing
 * was written), anything else MG_ERR_DB. */
int mg_db_fail(sqlite3 *db, char *err, const char *what);

/* A consistent copy of the file at path, taken while others read and write
 * it (SQLite's online backup, one read transaction: every module's tables
 * as of one commit), written to to's name only once whole: the copy goes to
 * "TO.part" and is renamed over to at the end, so a backup interrupted or
 * failed leaves an older backup under to as it was. to naming the file
 * itself is refused. MG_OK, or what failed in err. */
int mg_db_backup(const char *path, const char *to, char *err);

/* A write that nests: the outermost begin is BEGIN IMMEDIATE (the write
 * lock taken before the first read, so what a rule read cannot go stale
 * before the write), an inner one a savepoint, so that an operation and a
 * record of it (the staff audit) written around it commit together or not at
 * all. One per connection, zeroed at open. */
struct mg_db_write {
	int depth;  /* open levels */
	int outer;  /* the outermost level began the transaction (not a savepoint) */
};
int mg_db_write_begin(sqlite3 *db, struct mg_db_write *w, char *err);
/* Ends the innermost level: kept when rc is MG_OK (committed at the
 * outermost), else rolled back. Returns the final rc. Every begin that
 * succeeded needs one end; an end with no level open (its begin failed or
 * never ran) changes nothing and returns rc. */
int mg_db_write_end(sqlite3 *db, struct mg_db_write *w, int rc, char *err);

/* Statements prepared once per connection (SQLite's own way for statements
 * kept for the connection's life: SQLITE_PREPARE_PERSISTENT), looked up by
 * their SQL text: a booking runs some twenty statements, each prepared again
 * at every call before (README § Performance has what it cost). One cache per
 * connection, used by that connection's thread only. A statement the cache
 * holds is handed out once at a time: the same SQL asked for again while it
 * is out (a walk inside a walk) is prepared apart and finalized at put.
 * More than MG_DB_STMTS_MAX distinct texts are not kept (SQL built with
 * varying text would otherwise grow it without end): reservation/ runs
 * 113 texts in all, a few of them in a handful of sort orders. */
#define MG_DB_STMTS_MAX 256
struct mg_db_stmts;
struct mg_db_stmts *mg_db_stmts_new(sqlite3 *db);
/* Finalizes every statement: before the connection is closed. */
void mg_db_stmts_free(struct mg_db_stmts *c);
/* The statement of sql, reset and without bindings: SQLite's result code
 * (SQLITE_OK, or the prepare's error with the connection's message). */
int mg_db_stmt_get(struct mg_db_stmts *c, const char *sql, sqlite3_stmt **out);
/* Gives st back (reset, bindings cleared) or finalizes one kept apart;
 * NULL is nothing. */
void mg_db_stmt_put(struct mg_db_stmts *c, sqlite3_stmt *st);

/* ---- the schema: each module's migrations, run once at open --------------
 * Each module that owns tables (kb, events, staff, reservation) declares its
 * schema as an ordered list of steps: step 1 is the schema as it shipped when
 * this mechanism came (CREATE ... IF NOT EXISTS, so that a file made before
 * it, which has the tables and no record, is adopted as it is), every later
 * step a change (ALTER ...) that runs exactly once. How far each module got
 * is one row of mg_schema(module, version): PRAGMA user_version holds one
 * number for the whole file, and the modules are opened apart (the booking
 * commands open reservation/ alone, a copy in memory only kb/ and staff/),
 * so one number would have to encode four counters that move independently;
 * a row per module is read and written in the same transaction as the
 * module's tables. */
struct mg_db_step {
	const char *sql;  /* run first; NULL: none */
	/* then this, in the same transaction (work SQL alone cannot say: a
	 * column added only when missing, an index rebuilt); NULL: none */
	int (*fn)(sqlite3 *db, void *ctx, char *err);
};
struct mg_db_schema {
	const char *module;             /* its name in mg_schema */
	const struct mg_db_step *steps; /* steps[0] brings a file to version 1 */
	int nsteps;                     /* the version this program knows */
};

/* Brings module s up to its last step in db: a file that has them all is
 * only read (no write lock: opening beside a long import does not wait);
 * otherwise the steps the file has not had, and the record of them, run in
 * one write (BEGIN IMMEDIATE, or a savepoint inside the caller's), all or
 * none. ctx is handed to the steps' fn. A file whose module is at a version
 * above nsteps was written by a newer program: refused (MG_ERR_DB, err says
 * so) and left untouched, never used half understood. */
int mg_db_migrate(sqlite3 *db, const struct mg_db_schema *s, void *ctx, char *err);
/* The version of module recorded in db: 0 when none (a new file, or one made
 * before mg_schema), -1 when it cannot be read. */
int mg_db_schema_version(sqlite3 *db, const char *module);
/* Adds column (with its declaration decl) to table unless it has it: for a
 * step 1 that adopts files made before the column existed. */
int mg_db_add_column(sqlite3 *db, const char *table, const char *column, const char *decl, char *err);

#endif
