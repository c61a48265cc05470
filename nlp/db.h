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
 * thread at a time. On failure *out is NULL and err says why. */
int mg_db_open(const char *path, int create, enum mg_db_sync sync, sqlite3 **out, char *err);

/* The last error of db as the program's code, formatted into err with what
 * (the step that failed): another connection's lock held too long is
 * MG_ERR_BUSY (try again in a moment), a full disk MG_ERR_NOSPACE (nothing
 * was written), anything else MG_ERR_DB. */
int mg_db_fail(sqlite3 *db, char *err, const char *what);

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

#endif
