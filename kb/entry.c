/* Writing one entry: what the staff console's editor and review queue need
 * between two full imports. The index is rebuilt inside the same transaction
 * and the generation bumped, so every server thread sees the change on its
 * next search, without a restart. */
#include "kb/kb_int.h"

#include <string.h>
#include <time.h>

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

int kb_entry_put(struct kb *kb, const struct kb_entry *e, char id_out[KB_ID_LEN], char *err)
{
	const char *v[KB_NCOLS] = {
		or_empty(e->id), or_empty(e->slug), or_empty(e->category), or_empty(e->route),
		e->status && *e->status ? e->status : "published", or_empty(e->question), or_empty(e->answer),
		or_empty(e->question_en), or_empty(e->answer_en), or_empty(e->alt_questions),
		or_empty(e->keywords), or_empty(e->valid_from), or_empty(e->valid_to), or_empty(e->url),
		or_empty(e->source), "",
	};
	if (!*v[KB_C_QUESTION] || !*v[KB_C_ANSWER])
		return mg_fail(err, MG_ERR_INPUT, "an entry needs a question and an answer");
	if (strlen(v[KB_C_ID]) >= KB_ID_LEN)
		return mg_fail(err, MG_ERR_INPUT, "the id is longer than %d bytes", KB_ID_LEN - 1);
	if (!kb_valid_slug(v[KB_C_SLUG]))
		return mg_fail(err, MG_ERR_INPUT, "a slug may only hold a-z, 0-9 and '-'");
	if (!kb_one_of(v[KB_C_ROUTE], kb_routes))
		return mg_fail(err, MG_ERR_INPUT, "route is booking, nurse, call_center, none or elsewhere");
	if (!kb_one_of(v[KB_C_STATUS], kb_statuses))
		return mg_fail(err, MG_ERR_INPUT, "status is published or draft");
	if (!kb_valid_date(v[KB_C_VALID_FROM]) || !kb_valid_date(v[KB_C_VALID_TO]) ||
	    (*v[KB_C_VALID_FROM] && *v[KB_C_VALID_TO] && strcmp(v[KB_C_VALID_FROM], v[KB_C_VALID_TO]) > 0))
		return mg_fail(err, MG_ERR_INPUT, "valid_from and valid_to are YYYY-MM-DD, in order");
	for (int c = 0; c < KB_NCOLS; c++)
		if (strlen(v[c]) > ((c == KB_C_ANSWER || c == KB_C_ANSWER_EN || c == KB_C_ALT ||
				     c == KB_C_KEYWORDS) ? KB_MAX_ANSWER_BYTES : KB_MAX_FIELD_BYTES))
			return mg_fail(err, MG_ERR_TOO_LONG, "%s is too long", kb_col_name[c]);

	char now[32], id[KB_ID_LEN];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	v[KB_C_UPDATED_AT] = now;
	snprintf(id, sizeof id, "%s", v[KB_C_ID]);

	if (sqlite3_exec(kb->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return kb_db_fail(kb, err, "save entry");
	/* The synonyms must be loaded: the index is rebuilt with them. */
	int rc = kb_sync(kb, err);
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK && !id[0]) {
		if (sqlite3_prepare_v2(kb->db, "SELECT coalesce(max(CAST(ext_id AS INTEGER)), 0) + 1 FROM kb_entries",
				       -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
			rc = kb_db_fail(kb, err, "save entry");
		else
			snprintf(id, sizeof id, "%lld", (long long)sqlite3_column_int64(st, 0));
		sqlite3_finalize(st);
		st = NULL;
		v[KB_C_ID] = id;
	}
	if (rc == MG_OK &&
	    sqlite3_prepare_v2(kb->db,
			       "INSERT INTO kb_entries(" KB_ENTRY_COLUMNS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
			       "ON CONFLICT(ext_id) DO UPDATE SET slug=excluded.slug, category=excluded.category,"
			       " route=excluded.route, status=excluded.status, question=excluded.question,"
			       " answer=excluded.answer, question_en=excluded.question_en,"
			       " answer_en=excluded.answer_en, alt_questions=excluded.alt_questions,"
			       " keywords=excluded.keywords, valid_from=excluded.valid_from,"
			       " valid_to=excluded.valid_to, url=excluded.url, source=excluded.source,"
			       " updated_at=excluded.updated_at", -1, &st, NULL) != SQLITE_OK)
		rc = kb_db_fail(kb, err, "save entry");
	if (rc == MG_OK) {
		for (int c = 0; c < KB_NCOLS; c++)
			sqlite3_bind_text(st, c + 1, v[c], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = kb_db_fail(kb, err, "save entry");
	}
	sqlite3_finalize(st);
	/* A whole re-index: a town's knowledge base is a few hundred entries,
	 * and one code path for the index is worth the few milliseconds. */
	if (rc == MG_OK)
		rc = kb_reindex(kb, err);
	if (rc == MG_OK)
		rc = kb_bump_generation(kb, err);
	if (rc == MG_OK && sqlite3_exec(kb->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = kb_db_fail(kb, err, "save entry");
	if (rc != MG_OK) {
		sqlite3_exec(kb->db, "ROLLBACK", NULL, NULL, NULL);
		kb->generation = -1;  /* the next search reloads what is on disk */
	} else if (id_out) {
		snprintf(id_out, KB_ID_LEN, "%s", id);
	}
	return rc;
}
