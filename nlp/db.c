/* Opening the SQLite file and naming its errors: see nlp/db.h. */
#include "nlp/db.h"
#include "nlp/mg.h"

int mg_db_open(const char *path, int create, enum mg_db_sync sync, sqlite3 **out, char *err)
{
	*out = NULL;
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		int rc = mg_fail(err, MG_ERR_DB, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, MG_DB_BUSY_MS);
	const char *settings = sync == MG_DB_SYNC_FULL
		? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
		: "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
	if (sqlite3_exec(db, settings, NULL, NULL, NULL) != SQLITE_OK) {
		int rc = mg_db_fail(db, err, path);
		sqlite3_close(db);
		return rc;
	}
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
