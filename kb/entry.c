/* Writing one entry: what the staff console's editor and review queue need
 * between two full imports. The index is rebuilt inside the same transaction
 * and the generation bumped, so every server thread sees the change on its
 * next search, without a restart. */
#include "kb/kb_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static int entry_save(struct kb *kb, char *v[KB_NCOLS], char id_out[KB_ID_LEN], char *err);

/* UTC now as the entries' updated_at. */
static void utc_now(char now[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int kb_entry_put(struct kb *kb, const struct kb_entry *e, const struct kb_import_opts *check,
		 char id_out[KB_ID_LEN], char *err)
{
	const char *in[KB_NCOLS] = {
		e->id, e->slug, e->category, e->route, e->status, e->question, e->answer, e->question_en,
		e->answer_en, e->answer_easy, e->alt_questions, e->keywords, e->valid_from, e->valid_to, e->url, e->source, "",
	};
	/* Copies: the shared check trims them as an import's cells are. */
	char *v[KB_NCOLS] = {0};
	int rc = MG_OK;
	for (int c = 0; c < KB_NCOLS && rc == MG_OK; c++)
		if (!(v[c] = strdup(or_empty(in[c]))))
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	/* the shared check refuses an empty question or answer */
	if (rc == MG_OK)
		rc = kb_entry_check(v, check, err);
	if (rc == MG_OK)
		rc = entry_save(kb, v, id_out, err);
	for (int c = 0; c < KB_NCOLS; c++)
		free(v[c]);
	return rc;
}

/* Writes the checked cells v as an entry, the index and the generation
 * with it. */
static int entry_save(struct kb *kb, char *v[KB_NCOLS], char id_out[KB_ID_LEN], char *err)
{
	const char *status = *v[KB_C_STATUS] ? v[KB_C_STATUS] : "published";

	char now[32], id[KB_ID_LEN];
	utc_now(now);
	snprintf(id, sizeof id, "%s", v[KB_C_ID]);

	int rc = kb_write_begin(kb, err);
	if (rc != MG_OK)
		return rc;
	/* The synonyms must be loaded: the index is rebuilt with them. */
	rc = kb_sync(kb, err);
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK && !id[0]) {
		if (mg_db_stmt_get(kb->stmts, KB_NEXT_ID, &st) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
			rc = mg_db_fail(kb->db, err, "save entry");
		else
			snprintf(id, sizeof id, "%lld", (long long)sqlite3_column_int64(st, 0));
		mg_db_stmt_put(kb->stmts, st);
		st = NULL;
	}
	if (rc == MG_OK &&
	    mg_db_stmt_get(kb->stmts,
			       "INSERT INTO kb_entries(" KB_ENTRY_COLUMNS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
			       "ON CONFLICT(ext_id) DO UPDATE SET slug=excluded.slug, category=excluded.category,"
			       " route=excluded.route, status=excluded.status, question=excluded.question,"
			       " answer=excluded.answer, question_en=excluded.question_en,"
			       " answer_en=excluded.answer_en, answer_easy=excluded.answer_easy, alt_questions=excluded.alt_questions,"
			       " keywords=excluded.keywords, valid_from=excluded.valid_from,"
			       " valid_to=excluded.valid_to, url=excluded.url, source=excluded.source,"
			       " updated_at=excluded.updated_at", &st) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "save entry");
	if (rc == MG_OK) {
		for (int c = 0; c < KB_NCOLS; c++)
			sqlite3_bind_text(st, c + 1, c == KB_C_ID ? id : c == KB_C_STATUS ? status
						     : c == KB_C_UPDATED_AT ? now : v[c], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mg_db_fail(kb->db, err, "save entry");
	}
	mg_db_stmt_put(kb->stmts, st);
	/* A whole re-index: a town's knowledge base is a few hundred entries,
	 * and one code path for the index is worth the few milliseconds. */
	if (rc == MG_OK)
		rc = kb_reindex(kb, err);
	if (rc == MG_OK)
		rc = kb_bump_generation(kb, err);
	rc = kb_write_end(kb, rc, err);
	if (rc == MG_OK && id_out)
		snprintf(id_out, KB_ID_LEN, "%s", id);
	return rc;
}

/* Runs sql (no outside text in it) on the entry with external id ?1, with
 * ?2 value and ?3 the time when sql has them, then re-indexes and bumps the
 * generation, in one write. MG_ERR_NOT_FOUND when no entry has id. */
static int change_one(struct kb *kb, const char *sql, const char *id, const char *value, const char *what,
		      char *err)
{
	char now[32];
	utc_now(now);
	int rc = kb_write_begin(kb, err);
	if (rc != MG_OK)
		return rc;
	rc = kb_sync(kb, err);
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK && mg_db_stmt_get(kb->stmts, sql, &st) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, what);
	if (rc == MG_OK) {
		int params = sqlite3_bind_parameter_count(st);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (params >= 3) {
			sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mg_db_fail(kb->db, err, what);
		else if (sqlite3_changes(kb->db) == 0)
			rc = mg_fail(err, MG_ERR_NOT_FOUND, "no entry %s", id);
	}
	mg_db_stmt_put(kb->stmts, st);
	if (rc == MG_OK)
		rc = kb_reindex(kb, err);
	if (rc == MG_OK)
		rc = kb_bump_generation(kb, err);
	return kb_write_end(kb, rc, err);
}

int kb_entry_set_status(struct kb *kb, const char *id, const char *status, char *err)
{
	if (!status || !*status || !kb_one_of(status, kb_statuses))
		return mg_fail(err, MG_ERR_INPUT, "status '%s' is not published or draft", status ? status : "");
	return change_one(kb, "UPDATE kb_entries SET status = ?2, updated_at = ?3 WHERE ext_id = ?1", id, status,
			  "save entry", err);
}

int kb_entry_set_alternates(struct kb *kb, const char *id, const char *alternates, char *err)
{
	if (strlen(alternates) > KB_MAX_ANSWER_BYTES || strchr(alternates, '\n'))
		return mg_fail(err, MG_ERR_INPUT, "the alternate questions are longer than %d bytes or hold a line break",
			       KB_MAX_ANSWER_BYTES);
	return change_one(kb, "UPDATE kb_entries SET alt_questions = ?2, updated_at = ?3 WHERE ext_id = ?1", id,
			  alternates, "save entry", err);
}

char *kb_alternates_edit(const char *alts, const char *question, int add, int *changed)
{
	size_t ql = strlen(question), w = 0;
	char *out = malloc(strlen(alts) + ql + 2);
	if (!out)
		return NULL;
	int found = 0;
	/* split as the index splits them (kb_phrasings) */
	for (const char *s = alts; *s;) {
		size_t n = strcspn(s, "|\n");
		if (n && n == ql && !memcmp(s, question, n)) {
			found = 1;
			if (add)  /* kept where it is */
				w += (size_t)sprintf(out + w, "%s%.*s", w ? "|" : "", (int)n, s);
		} else if (n) {
			w += (size_t)sprintf(out + w, "%s%.*s", w ? "|" : "", (int)n, s);
		}
		s += n;
		if (*s)
			s++;
	}
	if (add && !found && ql)
		w += (size_t)sprintf(out + w, "%s%s", w ? "|" : "", question);
	out[w] = 0;
	*changed = add ? !found && ql : found;
	return out;
}

int kb_entry_delete(struct kb *kb, const char *id, char *err)
{
	return change_one(kb, "DELETE FROM kb_entries WHERE ext_id = ?1", id, NULL, "delete entry", err);
}

int kb_each_topic(struct kb *kb, kb_topic_fn fn, void *ctx, char *err)
{
	sqlite3_stmt *st = NULL;
	/* each topic's first published entry, or its first when none is */
	if (mg_db_stmt_get(kb->stmts, "SELECT slug, category, question FROM (SELECT slug, category, question,"
				       " row_number() OVER (PARTITION BY slug ORDER BY status <> 'published', id) AS n"
				       " FROM kb_entries WHERE slug <> '') WHERE n = 1 ORDER BY category, slug",
			   &st) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "topics");
	int step, stop = 0;
	while (!stop && (step = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
			  (const char *)sqlite3_column_text(st, 2));
	int rc = !stop && step != SQLITE_DONE ? mg_db_fail(kb->db, err, "topics") : MG_OK;
	mg_db_stmt_put(kb->stmts, st);
	return rc;
}

int kb_entries_find(struct kb *kb, const char *text, int max, kb_found_fn fn, void *ctx, char *err)
{
	sqlite3_stmt *st = NULL;
	if (mg_db_stmt_get(kb->stmts, "SELECT ext_id, slug, question, status FROM kb_entries"
				       " WHERE ?1 = '' OR ext_id = ?1 OR instr(slug, ?1) OR instr(question, ?1)"
				       " OR instr(alt_questions, ?1) OR instr(question_en, ?1) ORDER BY id LIMIT ?2",
			   &st) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "entries");
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, max);
	int step, stop = 0;
	while (!stop && (step = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
			  (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3));
	int rc = !stop && step != SQLITE_DONE ? mg_db_fail(kb->db, err, "entries") : MG_OK;
	mg_db_stmt_put(kb->stmts, st);
	return rc;
}
