/* Reading the staff's audit log: the records by account, kind and time for
 * the console's page, the accounts and kinds it holds for its filters, and
 * the CSV for Excel. Writing is staff_audit (staff.c). Part of the staff
 * module (staff.h). */
#include "chatbot/staff.h"
#include "kb/kb.h"
#include "nlp/excel.h"

#include <stdlib.h>
#include <string.h>

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

int staff_audit_list(sqlite3 *db, const struct staff_audit_filter *f, const struct nlp_zone *zone,
		     int limit, json_t **out, char *err)
{
	*out = NULL;
	int rc = staff_init(db, err);
	if (rc != MG_OK)
		return rc;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT ts, who, action, target, before, after FROM staff_audit"
				   " WHERE (?1 = '' OR who = ?1) AND (?2 = '' OR action = ?2)"
				   " AND ts >= ?3 AND (?4 = 0 OR ts < ?4)"
				   " ORDER BY id DESC LIMIT ?5", -1, &st, NULL) != SQLITE_OK)
		return mg_db_fail(db, err, "audit");
	sqlite3_bind_text(st, 1, f ? or_empty(f->who) : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f ? or_empty(f->action) : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f ? (sqlite3_int64)f->from : 0);
	sqlite3_bind_int64(st, 4, f ? (sqlite3_int64)f->to : 0);
	sqlite3_bind_int(st, 5, limit);
	json_t *list = json_array();
	int step;
	while (list && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *b = (const char *)sqlite3_column_text(st, 4), *a = (const char *)sqlite3_column_text(st, 5);
		time_t ts = (time_t)sqlite3_column_int64(st, 0);
		struct tm tm;
		char when[32];
		nlp_zone_tm(zone, ts, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
		if (json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o*, s:o*}",
							  "ts", (json_int_t)ts, "time", when,
							  "who", (const char *)sqlite3_column_text(st, 1),
							  "action", (const char *)sqlite3_column_text(st, 2),
							  "target", (const char *)sqlite3_column_text(st, 3),
							  "before", b ? json_loads(b, 0, NULL) : NULL,
							  "after", a ? json_loads(a, 0, NULL) : NULL))) {
			json_decref(list);
			list = NULL;
		}
	}
	if (list && step != SQLITE_DONE)
		rc = mg_db_fail(db, err, "audit");
	sqlite3_finalize(st);
	if (rc == MG_OK && !list)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc != MG_OK) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return MG_OK;
}

/* The distinct values of one column, sorted. */
static json_t *distinct(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	if (!list || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		json_decref(list);
		return NULL;
	}
	while (list && sqlite3_step(st) == SQLITE_ROW)
		if (json_array_append_new(list, json_string((const char *)sqlite3_column_text(st, 0)))) {
			json_decref(list);
			list = NULL;
		}
	sqlite3_finalize(st);
	return list;
}

int staff_audit_facets(sqlite3 *db, json_t **out, char *err)
{
	*out = NULL;
	int rc = staff_init(db, err);
	if (rc != MG_OK)
		return rc;
	json_t *who = distinct(db, "SELECT DISTINCT who FROM staff_audit ORDER BY who");
	json_t *kinds = distinct(db, "SELECT DISTINCT action FROM staff_audit ORDER BY action");
	if (!who || !kinds) {
		json_decref(who);
		json_decref(kinds);
		return mg_db_fail(db, err, "audit");
	}
	*out = json_pack("{s:o, s:o}", "who", who, "kinds", kinds);
	return *out ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
}

/* A record's before or after as one cell: its JSON, or empty. */
static int json_cell(FILE *f, json_t *v, int last)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	int bad = nlp_excel_cell(f, s ? s : "", last);
	free(s);
	return bad;
}

int staff_audit_csv(json_t *list, FILE *f)
{
	int bad = fputs(NLP_EXCEL_BOM "日時,アカウント,種類,対象,変更前,変更後\r\n", f) < 0;
	size_t i;
	json_t *r;
	json_array_foreach(list, i, r) {
		bad |= nlp_excel_cell(f, or_empty(json_string_value(json_object_get(r, "time"))), 0);
		bad |= nlp_excel_cell(f, or_empty(json_string_value(json_object_get(r, "who"))), 0);
		bad |= nlp_excel_cell(f, or_empty(json_string_value(json_object_get(r, "action"))), 0);
		bad |= nlp_excel_cell(f, or_empty(json_string_value(json_object_get(r, "target"))), 0);
		bad |= json_cell(f, json_object_get(r, "before"), 0);
		bad |= json_cell(f, json_object_get(r, "after"), 1);
	}
	return bad ? -1 : 0;
}
