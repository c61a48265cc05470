/* The program's one way to open its SQLite file: every connection in WAL
 * mode with foreign keys, the sync its data needs, and SQLite's failures
 * named so that a resident reads "busy, try again" or "disk full", not
 * "internal error". */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nlp/db.h"
#include "nlp/mg.h"

static long long pragma(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

TEST(db, every_connection_is_opened_the_same_way)
{
	char err[MG_ERR_LEN];
	const char *path = fixture_path("db1.db");
	sqlite3 *a = NULL, *b = NULL;
	REQUIRE(mg_db_open(path, 1, MG_DB_SYNC_NORMAL, &a, err) == MG_OK);
	REQUIRE(mg_db_open(path, 0, MG_DB_SYNC_FULL, &b, err) == MG_OK);
	sqlite3_stmt *st = NULL;
	REQUIRE(sqlite3_prepare_v2(a, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
	REQUIRE(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	CHECK(pragma(a, "PRAGMA foreign_keys") == 1);
	CHECK(pragma(a, "PRAGMA synchronous") == 1);  /* NORMAL */
	CHECK(pragma(b, "PRAGMA synchronous") == 2);  /* FULL: a booking survives a power cut */
	sqlite3_close(a);
	sqlite3_close(b);
}

TEST(db, a_missing_file_is_named_and_not_created_unless_asked)
{
	char err[MG_ERR_LEN];
	sqlite3 *db = (sqlite3 *)1;
	const char *path = fixture_path("db-missing.db");
	remove(path);
	CHECK(mg_db_open(path, 0, MG_DB_SYNC_NORMAL, &db, err) == MG_ERR_DB);
	CHECK(db == NULL);
	CHECK(strstr(err, "db-missing.db") != NULL);
	FILE *f = fopen(path, "r");
	CHECK(f == NULL);
	if (f)
		fclose(f);
}

TEST(db, a_file_that_is_not_a_database_is_refused_with_a_reason)
{
	char err[MG_ERR_LEN];
	const char *path = fixture_path("db-text.db");
	FILE *f = fopen(path, "w");
	REQUIRE(f);
	fputs("this is not a database, it is a note someone saved with the wrong name\n", f);
	fclose(f);
	sqlite3 *db = NULL;
	CHECK(mg_db_open(path, 0, MG_DB_SYNC_NORMAL, &db, err) == MG_ERR_DB);
	CHECK(db == NULL);
	CHECK(strstr(err, "not a database") != NULL);
}

/* Another connection holding the write lock too long is "busy, try again"
 * (503 with Retry-After over HTTP), not a database failure (500). */
TEST(db, a_lock_held_too_long_is_busy_not_a_failure)
{
	char err[MG_ERR_LEN];
	const char *path = fixture_path("db2.db");
	sqlite3 *holder = NULL, *db = NULL;
	REQUIRE(mg_db_open(path, 1, MG_DB_SYNC_NORMAL, &holder, err) == MG_OK);
	REQUIRE(mg_db_open(path, 0, MG_DB_SYNC_NORMAL, &db, err) == MG_OK);
	REQUIRE(sqlite3_exec(holder, "CREATE TABLE IF NOT EXISTS t(x); BEGIN IMMEDIATE; INSERT INTO t VALUES(1)",
			     NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_busy_timeout(db, 10);  /* not MG_DB_BUSY_MS: the test need not wait 5 s */
	CHECK(sqlite3_exec(db, "INSERT INTO t VALUES(2)", NULL, NULL, NULL) != SQLITE_OK);
	CHECK(mg_db_fail(db, err, "booking") == MG_ERR_BUSY);
	CHECK(strstr(err, "booking") && strstr(err, "try again"));
	REQUIRE(sqlite3_exec(holder, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	/* Any other failure keeps SQLite's own words. */
	CHECK(sqlite3_exec(db, "SELECT x FROM nowhere", NULL, NULL, NULL) != SQLITE_OK);
	CHECK(mg_db_fail(db, err, "report") == MG_ERR_DB);
	CHECK(strstr(err, "no such table") != NULL);
	CHECK(mg_db_fail(NULL, err, "report") == MG_ERR_DB);
	sqlite3_close(db);
	sqlite3_close(holder);
}

TEST(db, a_statement_is_prepared_once_and_given_back_clean)
{
	char err[MG_ERR_LEN];
	sqlite3 *db = NULL;
	REQUIRE(mg_db_open(fixture_path("db-stmts.db"), 1, MG_DB_SYNC_NORMAL, &db, err) == MG_OK);
	/* statements in malloc'd memory, not SQLite's own pool: a statement
	 * used after it was finalized is the sanitizer's finding */
	REQUIRE(sqlite3_db_config(db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 0, 0) == SQLITE_OK);
	REQUIRE(sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS t(v); DELETE FROM t; INSERT INTO t VALUES(1),(2)",
			     NULL, NULL, NULL) == SQLITE_OK);
	struct mg_db_stmts *c = mg_db_stmts_new(db);
	REQUIRE(c);
	static const char q[] = "SELECT count(*) FROM t WHERE v = ?1 OR ?1 IS NULL";
	sqlite3_stmt *a = NULL, *b = NULL, *inner = NULL;
	REQUIRE(mg_db_stmt_get(c, q, &a) == SQLITE_OK && a);
	sqlite3_bind_int(a, 1, 2);
	CHECK(sqlite3_step(a) == SQLITE_ROW && sqlite3_column_int(a, 0) == 1);
	/* the same text asked for while a is out: another statement */
	REQUIRE(mg_db_stmt_get(c, q, &inner) == SQLITE_OK && inner && inner != a);
	CHECK(sqlite3_step(inner) == SQLITE_ROW && sqlite3_column_int(inner, 0) == 2);
	mg_db_stmt_put(c, inner);
	mg_db_stmt_put(c, a);
	/* given back: the same statement, reset, its binding gone (counts all) */
	REQUIRE(mg_db_stmt_get(c, q, &b) == SQLITE_OK);
	CHECK(b == a);
	CHECK(sqlite3_step(b) == SQLITE_ROW && sqlite3_column_int(b, 0) == 2);
	mg_db_stmt_put(c, b);
	/* a table changed under it: SQLite prepares it again by itself */
	REQUIRE(sqlite3_exec(db, "ALTER TABLE t ADD COLUMN w; INSERT INTO t VALUES(2, 0)", NULL, NULL, NULL) == SQLITE_OK);
	REQUIRE(mg_db_stmt_get(c, q, &b) == SQLITE_OK);
	sqlite3_bind_int(b, 1, 2);
	CHECK(sqlite3_step(b) == SQLITE_ROW && sqlite3_column_int(b, 0) == 2);
	mg_db_stmt_put(c, b);
	/* a text SQLite keeps only in part (what follows the ';'): right every
	 * time, given back, and finalized once, not again at mg_db_stmts_free */
	for (int i = 0; i < 3; i++) {
		sqlite3_stmt *s = NULL;
		CHECK(mg_db_stmt_get(c, "SELECT count(*) FROM t; ", &s) == SQLITE_OK && s &&
		      sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 3);
		mg_db_stmt_put(c, s);
	}
	/* past the cap, texts are prepared and finalized each time: still right */
	for (int i = 0; i < MG_DB_STMTS_MAX + 8; i++) {
		char sql[64];
		snprintf(sql, sizeof sql, "SELECT %d + count(*) FROM t", i);
		sqlite3_stmt *s = NULL;
		CHECK(mg_db_stmt_get(c, sql, &s) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
		      sqlite3_column_int(s, 0) == i + 3);
		mg_db_stmt_put(c, s);
	}
	/* a text that is not SQL: SQLite's error, nothing kept */
	sqlite3_stmt *bad = NULL;
	CHECK(mg_db_stmt_get(c, "SELEKT 1", &bad) == SQLITE_ERROR && !bad);
	mg_db_stmt_put(c, NULL);
	mg_db_stmts_free(c);
	CHECK(sqlite3_close(db) == SQLITE_OK);  /* nothing left unfinalized */
}

/* ---- migrations ---------------------------------------------------------- */

static int step_runs;

static int count_step(sqlite3 *db, void *ctx, char *err)
{
	(void)db;
	(void)err;
	step_runs++;
	return *(int *)ctx;  /* the step's outcome, as the test sets it */
}

static const struct mg_db_step NOTES_STEPS[] = {
	{"CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, text TEXT NOT NULL)", count_step},
	{"ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT ''", NULL},
	{"CREATE TABLE notes_tags(note INTEGER, tag TEXT)", count_step},
};

/* A module's steps run once each, in order, each file from where it is; a
 * step that fails takes its whole open's work back with it. */
TEST(db, a_modules_steps_run_once_and_all_or_none)
{
	char err[MG_ERR_LEN];
	const char *path = fixture_path("db-migrate.db");
	remove(path);
	sqlite3 *db = NULL;
	int outcome = MG_OK;
	REQUIRE(mg_db_open(path, 1, MG_DB_SYNC_NORMAL, &db, err) == MG_OK);
	struct mg_db_schema two = {"notes", NOTES_STEPS, 2};
	step_runs = 0;
	CHECK(mg_db_migrate(db, &two, &outcome, err) == MG_OK);
	CHECK(mg_db_schema_version(db, "notes") == 2);
	CHECK(sqlite3_exec(db, "INSERT INTO notes(text, author) VALUES('a', 'b')", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(mg_db_migrate(db, &two, &outcome, err) == MG_OK);  /* the ALTER again would fail */
	CHECK(step_runs == 1);

	/* step 3 fails: its table and the record stay as they were */
	struct mg_db_schema three = {"notes", NOTES_STEPS, 3};
	outcome = MG_ERR_INPUT;
	CHECK(mg_db_migrate(db, &three, &outcome, err) == MG_ERR_INPUT);
	CHECK(step_runs == 2);
	CHECK(mg_db_schema_version(db, "notes") == 2);
	CHECK(sqlite3_exec(db, "SELECT * FROM notes_tags", NULL, NULL, NULL) != SQLITE_OK);
	outcome = MG_OK;
	CHECK(mg_db_migrate(db, &three, &outcome, err) == MG_OK);
	CHECK(mg_db_schema_version(db, "notes") == 3);
	CHECK(fixture_count(db, "SELECT count(*) FROM notes WHERE author = 'b'") == 1);
	CHECK(mg_db_schema_version(db, "other") == 0);

	/* a program that knows fewer steps than the file had refuses it */
	CHECK(mg_db_migrate(db, &two, &outcome, err) == MG_ERR_DB);
	CHECK(strstr(err, "notes") && strstr(err, "newer"));
	CHECK(mg_db_schema_version(db, "notes") == 3);
	sqlite3_close(db);
}

/* A file that has every step is only read: a connection opened while an
 * import holds the write lock does not wait for it (the server's workers
 * open theirs at their first question). */
TEST(db, an_up_to_date_file_opens_beside_a_long_write)
{
	char err[MG_ERR_LEN];
	const char *path = fixture_path("db-migrate-busy.db");
	remove(path);
	sqlite3 *holder = NULL, *db = NULL;
	int outcome = MG_OK;
	struct mg_db_schema two = {"notes", NOTES_STEPS, 2};
	REQUIRE(mg_db_open(path, 1, MG_DB_SYNC_NORMAL, &holder, err) == MG_OK);
	REQUIRE(mg_db_migrate(holder, &two, &outcome, err) == MG_OK);
	REQUIRE(sqlite3_exec(holder, "BEGIN IMMEDIATE; INSERT INTO notes(text) VALUES('import')", NULL, NULL,
			     NULL) == SQLITE_OK);
	REQUIRE(mg_db_open(path, 0, MG_DB_SYNC_NORMAL, &db, err) == MG_OK);
	sqlite3_busy_timeout(db, 10);
	CHECK(mg_db_migrate(db, &two, &outcome, err) == MG_OK);
	/* one that lacks a step must write, and says it is busy */
	struct mg_db_schema three = {"notes", NOTES_STEPS, 3};
	CHECK(mg_db_migrate(db, &three, &outcome, err) == MG_ERR_BUSY);
	REQUIRE(sqlite3_exec(holder, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(mg_db_migrate(db, &three, &outcome, err) == MG_OK);
	sqlite3_close(db);
	sqlite3_close(holder);
}

/* A writer that commits pairs of rows, each pair one transaction, until
 * told to stop: what a backup taken beside it must hold whole or not at all. */
struct pairs {
	const char *path;
	atomic_int stop, committed;
};

static void *write_pairs(void *arg)
{
	struct pairs *p = arg;
	char err[MG_ERR_LEN];
	sqlite3 *db = NULL;
	if (mg_db_open(p->path, 0, MG_DB_SYNC_NORMAL, &db, err) != MG_OK)
		return NULL;
	for (int i = 0; !atomic_load(&p->stop); i++) {
		char sql[160];
		snprintf(sql, sizeof sql, "BEGIN; INSERT INTO t VALUES(%d, 'a'); INSERT INTO t VALUES(%d, 'b'); COMMIT;",
			 i, i);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
			atomic_fetch_add(&p->committed, 1);
		else
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_close(db);
	return NULL;
}

/* Staff back up the file while the server writes to it: the copy is one
 * commit's (every pair whole), opens as a database, and holds what was
 * committed before the backup began; a backup that cannot be written
 * leaves the older one as it was, and the file itself is never the target. */
TEST(db, a_backup_taken_while_the_server_writes_is_one_commits_copy)
{
	char err[MG_ERR_LEN];
	const char *path = fixture_path("db_backup.db");
	char to[600], part[620];
	snprintf(to, sizeof to, "%s", fixture_path("db_backup.copy.db"));
	snprintf(part, sizeof part, "%s.part", to);
	sqlite3 *db = NULL;
	REQUIRE(mg_db_open(path, 1, MG_DB_SYNC_NORMAL, &db, err) == MG_OK);
	REQUIRE(sqlite3_exec(db, "CREATE TABLE t(n INTEGER, side TEXT)", NULL, NULL, NULL) == SQLITE_OK);
	static struct pairs p;
	p.path = path;
	pthread_t t;
	REQUIRE(pthread_create(&t, NULL, write_pairs, &p) == 0);
	while (atomic_load(&p.committed) < 200)
		usleep(1000);
	int before = atomic_load(&p.committed);
	int rc = mg_db_backup(path, to, err);
	atomic_store(&p.stop, 1);
	pthread_join(t, NULL);
	REQUIRE(rc == MG_OK);

	sqlite3 *copy = NULL;
	REQUIRE(mg_db_open(to, 0, MG_DB_SYNC_NORMAL, &copy, err) == MG_OK);
	long long rows = pragma(copy, "SELECT count(*) FROM t");
	CHECK(rows >= 2LL * before);
	CHECK(pragma(copy, "SELECT count(*) FROM (SELECT n FROM t GROUP BY n HAVING count(*) <> 2)") == 0);
	sqlite3_stmt *st = NULL;
	REQUIRE(sqlite3_prepare_v2(copy, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK);
	REQUIRE(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(copy);

	/* The next backup cannot be written (its part's name is taken by a
	 * directory): it fails with a reason and the last backup stands. */
	REQUIRE(mkdir(part, 0700) == 0);
	CHECK(mg_db_backup(path, to, err) != MG_OK);
	CHECK(strstr(err, ".part") != NULL);
	REQUIRE(mg_db_open(to, 0, MG_DB_SYNC_NORMAL, &copy, err) == MG_OK);
	CHECK(pragma(copy, "SELECT count(*) FROM t") == rows);
	sqlite3_close(copy);
	rmdir(part);

	/* The file itself is refused as the target, and is left as it was. */
	long long live = pragma(db, "SELECT count(*) FROM t");
	CHECK(mg_db_backup(path, path, err) == MG_ERR_INPUT);
	CHECK(strstr(err, "the database itself") != NULL);
	CHECK(pragma(db, "SELECT count(*) FROM t") == live);
	sqlite3_close(db);
}
