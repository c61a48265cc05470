/* Reading the staff's audit log: the records by account, kind and time for
 * the console's page, the accounts and kinds it holds for its filters, and
 * the CSV for Excel. Writing is staff_audit (staff.c). Part of the staff
 * module (staff.h). */
#include "chatbot/staff.h"
#include "chatbot/ops_policy.h"
#include "kb/kb.h"
#include "nlp/excel.h"

#include <stdlib.h>
#include <string.h>

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* Calls fn with each record matching f (NULL: all), newest first, at most
 * limit, as the row (ts, who, action, target, before, after) and its time
 * in zone; stops at fn's non-zero return. */
static int each_record(sqlite3 *db, const struct staff_audit_filter *f, const struct nlp_zone *zone, int limit,
		       int (*fn)(void *ctx, sqlite3_stmt *row, const char *when), void *ctx, char *err)
{
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
	int step, stop = 0;
	while (!stop && (step = sqlite3_step(st)) == SQLITE_ROW) {
		char when[NLP_ZONE_SECONDS_LEN];
		nlp_zone_time_text(zone, (time_t)sqlite3_column_int64(st, 0), 1, when);
		stop = fn(ctx, st, when);
	}
	int rc = !stop && step != SQLITE_DONE ? mg_db_fail(db, err, "audit") : MG_OK;
	sqlite3_finalize(st);
	return rc;
}

static const char *text(sqlite3_stmt *row, int col)
{
	return or_empty((const char *)sqlite3_column_text(row, col));
}

/* A stored before or after, parsed (the only time it is): NULL if none. */
static json_t *json_column(sqlite3_stmt *row, int col)
{
	const char *s = (const char *)sqlite3_column_text(row, col);
	return s ? json_loads(s, 0, NULL) : NULL;
}

struct list_out {
	json_t *list;
	int oom;
};

static int add_record(void *ctx, sqlite3_stmt *row, const char *when)
{
	struct list_out *o = ctx;
	o->oom = json_array_append_new(o->list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o*, s:o*}",
							  "ts", (json_int_t)sqlite3_column_int64(row, 0),
							  "time", when, "who", text(row, 1), "action", text(row, 2),
							  "target", text(row, 3), "before", json_column(row, 4),
							  "after", json_column(row, 5))) != 0;
	return o->oom;
}

int staff_audit_list(sqlite3 *db, const struct staff_audit_filter *f, const struct nlp_zone *zone,
		     int limit, json_t **out, char *err)
{
	struct list_out o = {json_array(), 0};
	int rc = o.list ? each_record(db, f, zone, limit, add_record, &o, err) : MG_OK;
	if (rc == MG_OK && (!o.list || o.oom))
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc != MG_OK) {
		json_decref(o.list);
		o.list = NULL;
	}
	*out = o.list;
	return rc;
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

struct csv_out {
	FILE *f;
	int rows, bad, more;
};

/* One record as a CSV line; before and after are written as stored (the
 * JSON text the audit wrote), not parsed again. */
static int csv_record(void *ctx, sqlite3_stmt *row, const char *when)
{
	struct csv_out *o = ctx;
	if (o->rows == OPS_AUDIT_CSV_ROWS)
		return o->more = 1;  /* the one past the cap: only to know there are more */
	o->rows++;
	o->bad |= nlp_excel_cell(o->f, when, 0);
	for (int col = 1; col <= 5; col++)
		o->bad |= nlp_excel_cell(o->f, text(row, col), col == 5);
	return o->bad;
}

int staff_audit_csv(sqlite3 *db, const struct staff_audit_filter *filter, const struct nlp_zone *zone, FILE *f,
		    int *cut, char *err)
{
	struct csv_out o = {f, 0, fputs(NLP_EXCEL_BOM "日時,アカウント,種類,対象,変更前,変更後\r\n", f) < 0, 0};
	*cut = 0;
	int rc = each_record(db, filter, zone, OPS_AUDIT_CSV_ROWS + 1, csv_record, &o, err);
	if (rc == MG_OK && !o.bad && o.more) {
		/* the walk went past the cap: say so where the reader looks last */
		char note[256];
		snprintf(note, sizeof note, "(この先は省略: 新しい順に %d 件までです。アカウント・種類・日付で絞ってください / "
			 "cut at the newest %d records: narrow by account, kind or day)", OPS_AUDIT_CSV_ROWS,
			 OPS_AUDIT_CSV_ROWS);
		*cut = 1;
		o.bad |= nlp_excel_cell(f, note, 1);
	}
	if (rc == MG_OK && o.bad)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory writing the audit CSV");
	return rc;
}
