/* The SQLite file's tables as each module owns them: a file made before
 * migrations were per module opens with every row it held, and a file from a
 * newer program is refused rather than used half understood. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chatbot/chatbot.h"
#include "chatbot/events.h"
#include "chatbot/staff.h"
#include "kb/kb.h"
#include "nlp/db.h"
#include "nlp/mg.h"
#include "reservation/resv.h"

#define BEFORE_SQL "tests/unit/data/db-before-migrations.sql"
#define PASSWORD "vaccination season 2026"  /* kanri1's, in the file */
#define MAX_TABLES 64

/* A table's rows, as a count and a digest that does not depend on their order. */
struct table_rows {
	char name[64];
	long long rows;
	uint64_t digest;
};

/* The path of name with no file there, nor its WAL and shared memory. */
static const char *file_none(const char *name)
{
	const char *path = fixture_path(name);
	char side[512];
	remove(path);
	snprintf(side, sizeof side, "%s-wal", path);
	remove(side);
	snprintf(side, sizeof side, "%s-shm", path);
	remove(side);
	return path;
}

/* A new file at name holding the database of BEFORE_SQL. */
static const char *file_before(const char *name)
{
	const char *path = file_none(name);
	size_t len = 0;
	char *sql = fixture_read(BEFORE_SQL, &len);
	sqlite3 *db = NULL;
	int ok = sql && sqlite3_open(path, &db) == SQLITE_OK &&
		 sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
	if (!ok)
		printf("    %s: %s\n", BEFORE_SQL, db ? sqlite3_errmsg(db) : "cannot read");
	sqlite3_close(db);
	free(sql);
	return ok ? path : NULL;
}

/* Every stored table of the file at path (virtual tables are read through
 * the tables that store them) with its rows; the number of tables. */
static int tables_read(const char *path, struct table_rows *t, int max)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *list = NULL;
	int n = 0;
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
				   " AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name", -1, &list, NULL) != SQLITE_OK)
		n = -1;
	while (n >= 0 && n < max && sqlite3_step(list) == SQLITE_ROW) {
		struct table_rows *r = &t[n++];
		memset(r, 0, sizeof *r);
		snprintf(r->name, sizeof r->name, "%s", (const char *)sqlite3_column_text(list, 0));
		char *sql = sqlite3_mprintf("SELECT * FROM \"%w\"", r->name);
		sqlite3_stmt *st = NULL;
		if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			r->rows = -1;
		while (st && sqlite3_step(st) == SQLITE_ROW) {
			uint32_t h = 0;
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				const void *v = sqlite3_column_blob(st, c);
				int bytes = sqlite3_column_bytes(st, c);
				uint32_t col = v ? mg_hash(v, (size_t)bytes) : 0x9e3779b9u;
				h = h * 31 + col + (uint32_t)sqlite3_column_type(st, c);
			}
			r->rows++;
			r->digest += h;
		}
		sqlite3_finalize(st);
		sqlite3_free(sql);
	}
	sqlite3_finalize(list);
	sqlite3_close(db);
	return n;
}

static int version_of(const char *path, const char *module)
{
	sqlite3 *db = NULL;
	int v = sqlite3_open(path, &db) == SQLITE_OK ? mg_db_schema_version(db, module) : -1;
	sqlite3_close(db);
	return v;
}

static int exec_on(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(path, &db) == SQLITE_OK ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_ERROR;
	sqlite3_close(db);
	return rc;
}

TEST(schema, a_database_made_before_migrations_opens_with_every_row)
{
	const char *path = file_before("schema-before.db");
	REQUIRE(path);
	static struct table_rows before[MAX_TABLES], after[MAX_TABLES];
	int n = tables_read(path, before, MAX_TABLES);
	REQUIRE(n >= 30);  /* kb_ (and the index's), ev_, staff_, resv_ */
	CHECK(version_of(path, "kb") == 0);

	char err[MG_ERR_LEN];
	struct chatbot *bot = NULL;
	struct resv *r = NULL;
	REQUIRE(chatbot_open(&bot, path, fixture_model(), fixture_town(), err) == MG_OK);
	REQUIRE(staff_init(kb_db(chatbot_kb(bot)), err) == MG_OK);
	REQUIRE(resv_open(&r, path, err) == MG_OK);
	resv_close(r);
	chatbot_close(bot);
	CHECK(version_of(path, "kb") == kb_schema.nsteps);
	CHECK(version_of(path, "events") == events_schema.nsteps);
	CHECK(version_of(path, "staff") == staff_schema.nsteps);
	CHECK(version_of(path, "reservation") == resv_schema.nsteps);

	/* every table and every row it held, unchanged, and the record */
	CHECK(tables_read(path, after, MAX_TABLES) == n + 1);
	for (int i = 0, j = 0; i < n; i++, j++) {
		if (!strcmp(after[j].name, "mg_schema"))
			j++;
		CHECK_STR(after[j].name, before[i].name);
		if (after[j].rows != before[i].rows || after[j].digest != before[i].digest)
			printf("    %s: %lld rows before, %lld after\n", before[i].name, before[i].rows, after[j].rows);
		CHECK(after[j].rows == before[i].rows && after[j].digest == before[i].digest);
	}

	/* and what residents and staff had is theirs: the knowledge base
	 * answers, the booking stands, the account logs in */
	REQUIRE(chatbot_open(&bot, path, fixture_model(), fixture_town(), err) == MG_OK);
	REQUIRE(resv_open(&r, path, err) == MG_OK);
	CHECK_STR(fixture_ask(bot, "接種券をなくしました"), "answer ticket-lost");
	struct resv_booking b;
	CHECK(resv_booking_by_id(r, 1, &b, err) == MG_OK);
	CHECK_STR(b.ticket, "1234567890");
	CHECK_STR(b.status, "booked");
	char token[STAFF_TOKEN_LEN + 1];
	struct staff_session s;
	CHECK(staff_login(kb_db(chatbot_kb(bot)), "kanri1", PASSWORD, time(NULL), token, &s, err) == MG_OK);
	CHECK(s.role == STAFF_ADMIN);
	resv_close(r);
	chatbot_close(bot);
}

TEST(schema, a_database_from_a_newer_program_is_refused_and_left_alone)
{
	const char *path = file_before("schema-newer.db");
	REQUIRE(path);
	char err[MG_ERR_LEN];
	struct chatbot *bot = NULL;
	struct resv *r = NULL;
	REQUIRE(chatbot_open(&bot, path, fixture_model(), fixture_town(), err) == MG_OK);
	REQUIRE(staff_init(kb_db(chatbot_kb(bot)), err) == MG_OK);
	chatbot_close(bot);
	REQUIRE(resv_open(&r, path, err) == MG_OK);
	resv_close(r);

	/* a later program added a step to staff's tables and to the bookings' */
	REQUIRE(exec_on(path, "UPDATE mg_schema SET version = version + 1 WHERE module IN ('staff', 'reservation');"
			      "ALTER TABLE staff_users ADD COLUMN team TEXT") == SQLITE_OK);
	static struct table_rows before[MAX_TABLES], after[MAX_TABLES];
	int n = tables_read(path, before, MAX_TABLES);
	REQUIRE(chatbot_open(&bot, path, fixture_model(), fixture_town(), err) == MG_OK);
	CHECK(staff_init(kb_db(chatbot_kb(bot)), err) == MG_ERR_DB);
	chatbot_close(bot);
	CHECK(strstr(err, "staff") != NULL);
	CHECK(strstr(err, "newer") != NULL);
	CHECK(resv_open(&r, path, err) == MG_ERR_DB);
	CHECK(r == NULL);
	CHECK(strstr(err, "reservation") != NULL);
	CHECK(strstr(err, "newer") != NULL);
	CHECK(tables_read(path, after, MAX_TABLES) == n);
	for (int i = 0; i < n; i++)
		CHECK(after[i].rows == before[i].rows && after[i].digest == before[i].digest);
	CHECK(version_of(path, "staff") == staff_schema.nsteps + 1);
}

/* Tables are made by the migrations at open, by nothing else: a kb opened
 * alone has its tables and none of the other modules'. */
TEST(schema, each_module_makes_its_own_tables_and_no_others)
{
	const char *path = fixture_path("schema-kb-alone.db");
	remove(path);
	char err[MG_ERR_LEN];
	struct kb *kb = NULL;
	REQUIRE(kb_open(&kb, path, fixture_model(), err) == MG_OK);
	sqlite3 *db = kb_db(kb);
	CHECK(fixture_count(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'kb\\_%' ESCAPE '\\'") > 4);
	CHECK(fixture_count(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'staff\\_%' ESCAPE '\\'"
				" OR name LIKE 'ev\\_%' ESCAPE '\\' OR name LIKE 'resv\\_%' ESCAPE '\\'") == 0);
	CHECK(fixture_count(db, "SELECT count(*) FROM mg_schema") == 1);
	kb_close(kb);
}

/* A file an older build indexed: its phrasings were read without the
 * synonyms' verbs (なくしてしまいました stayed なくす), while today's
 * questions say 紛失 for any inflection of なくした. Step 3 reads them again
 * with the list on disk, so a resident who lost the ticket is offered the
 * ticket's entry, not handed off towards the certificate's (whose phrasing
 * says 紛失); the entries, the list and the generation stay as they were. */
TEST(schema, step_3_reads_an_older_index_with_the_synonyms_verbs)
{
	const char *path = file_none("schema-step3.db");
	static const char csv[] =
		"id,slug,category,route,question,answer\n"
		"1,ticket-lost,ticket,call_center,接種券をなくしてしまいました,再発行できます。\n"
		"2,certificate-lost,certificate,call_center,接種済証を紛失した,再交付できます。\n"
		"3,ticket-moved,ticket,call_center,引っ越したら接種券は使えますか,新しい住所の接種券をお使いください。\n";
	char err[MG_ERR_LEN];
	struct kb *kb = NULL;
	struct kb_import_opts o = {0};
	int n = 0;
	REQUIRE(kb_open(&kb, path, fixture_model(), err) == MG_OK);
	REQUIRE(kb_import(kb, csv, sizeof csv - 1, "faq.csv", &o, &n, err) == MG_OK);
	kb_close(kb);
	/* the list as an older build kept it beside an index it had read
	 * without the verbs' lemmas; an edit there made a new generation */
	REQUIRE(exec_on(path, "INSERT INTO kb_synonyms VALUES('なくした','紛失'), ('紛失','紛失');"
			      "UPDATE kb_meta SET value = value + 1 WHERE key = 'generation';"
			      "UPDATE mg_schema SET version = 2 WHERE module = 'kb'") == SQLITE_OK);
	static struct table_rows before[MAX_TABLES], after[MAX_TABLES];
	int nt = tables_read(path, before, MAX_TABLES);
	REQUIRE(nt > 0);

	struct chatbot *bot = NULL;
	REQUIRE(chatbot_open(&bot, path, fixture_model(), fixture_town(), err) == MG_OK);
	/* a phrasing's own verb in another inflection: handed off and the
	 * certificate first without the step */
	const char *a = fixture_ask(bot, "なくしてしまった");
	CHECK(strstr(a, " ticket-lost") != NULL);
	CHECK(strncmp(a, "handoff", 7) != 0);
	CHECK_STR(fixture_ask(bot, "接種券をなくしました"), "answer ticket-lost");
	chatbot_close(bot);
	CHECK(version_of(path, "kb") == kb_schema.nsteps);
	/* the chatbot's own modules make their tables beside the kb's */
	int na = tables_read(path, after, MAX_TABLES);
	for (int i = 0; i < nt; i++) {
		if (!strncmp(before[i].name, "kb_fts", 6) || !strcmp(before[i].name, "mg_schema"))
			continue;  /* the index read again, the record of the step */
		const struct table_rows *t = NULL;
		for (int j = 0; j < na && !t; j++)
			if (!strcmp(after[j].name, before[i].name))
				t = &after[j];
		CHECK(t != NULL);
		if (t && (t->rows != before[i].rows || t->digest != before[i].digest))
			printf("    %s: %lld rows before, %lld after\n", before[i].name, before[i].rows, t->rows);
		CHECK(t && t->rows == before[i].rows && t->digest == before[i].digest);
	}
}
