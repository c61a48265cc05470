/* Venue desks: which venues a reception account sees, and a day's list of
 * bookings as the desk reads it (filtered by time, status, ticket number or
 * name, sorted). The steps at the desk themselves are in resv_staff.c. */
#include "reservation/resv_int.h"

#include <string.h>

/* A search typed at the desk: a name in kana is at most a line. */
#define DESK_FIND_MAX 100

int resv_desk_set(struct resv *r, const char *desk, const char *const *venues, int n, char *err)
{
	size_t len = desk ? strlen(desk) : 0;
	if (!len || len > RESV_CODE_MAX * 2 || n < 0)
		return mg_fail(err, MG_ERR_INPUT, "a desk is a staff account's name");
	int rc = resv_x_begin(r, err);
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "DELETE FROM resv_desks WHERE staff = ?", "t", desk);
	for (int i = 0; rc == MG_OK && i < n; i++) {
		long long venue_id = 0;
		rc = resv_x_int(r, &venue_id, err, "SELECT id FROM resv_venues WHERE code = ?", "t",
				venues[i]);
		if (rc == MG_ERR_NOT_FOUND)
			rc = mg_fail(err, rc, "there is no venue %s", venues[i]);
		if (rc == MG_OK)
			rc = resv_x_run(r, NULL, err, "INSERT OR IGNORE INTO resv_desks(staff, venue_id)"
					" VALUES(?, ?)", "ti", desk, venue_id);
	}
	return resv_x_end(r, rc, err);
}

int resv_desk_venues(struct resv *r, const char *desk, json_t **out, char *err)
{
	static const char *const keys[] = {"code", "name", NULL};
	json_t *a = json_array();
	int rc = a ? resv_x_rows(r, a, err, keys, "SELECT v.code, v.name FROM resv_venues v"
				 " WHERE ?1 IS NULL OR v.id IN (SELECT venue_id FROM resv_desks"
				 " WHERE staff = ?1) ORDER BY v.code", "t", desk)
		   : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	*out = rc == MG_OK ? a : NULL;
	if (rc != MG_OK)
		json_decref(a);
	return rc;
}

/* ---- the day's list ------------------------------------------------------------- */

void resv_x_kana_fold(const char *s, int to_katakana, char *out, size_t cap)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (p[0] == 0xE3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
			unsigned cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
			if (to_katakana && cp >= 0x3041 && cp <= 0x3096)
				cp += 0x60;
			else if (!to_katakana && cp >= 0x30A1 && cp <= 0x30F6)
				cp -= 0x60;
			if (n + 3 >= cap)
				break;
			out[n++] = (char)(0xE0 | (cp >> 12));
			out[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			out[n++] = (char)(0x80 | (cp & 0x3F));
			p += 3;
		} else {
			if (n + 1 >= cap)
				break;
			out[n++] = (char)*p++;
		}
	}
	if (cap)
		out[n] = '\0';
}

static const char *const statuses[] = {"booked", "checked_in", "vaccinated", "examined",
				       "no_show", "cancelled", "open", NULL};

/* ORDER BY of each sort: the desk's order of the day, then a stable tie-break. */
static const char *const orders[] = {
	[RESV_SORT_TIME] = "s.start, v.code, b.ticket",
	[RESV_SORT_STATUS] = "CASE b.status WHEN 'booked' THEN 0 WHEN 'checked_in' THEN 1"
			     " WHEN 'vaccinated' THEN 2 WHEN 'examined' THEN 3 WHEN 'no_show' THEN 4"
			     " ELSE 5 END, s.start, b.ticket",
	[RESV_SORT_NAME] = "coalesce(b.name_kana, '') = '', resv_kana(b.name_kana), s.start, b.ticket",
	[RESV_SORT_TICKET] = "b.ticket",
};

static int check_query(const struct resv_day_query *q, char *err)
{
	long day;
	int known = !q->status;
	for (int i = 0; !known && statuses[i]; i++)
		known = !strcmp(q->status, statuses[i]);
	if (!known)
		return mg_fail(err, MG_ERR_INPUT, "unknown status \"%s\"", q->status);
	if (q->date && resv_x_date_parse(q->date, &day))
		return mg_fail(err, MG_ERR_INPUT, "\"%s\" is not a date (YYYY-MM-DD)", q->date);
	if ((q->from && resv_x_time_parse(q->from) < 0) || (q->to && resv_x_time_parse(q->to) < 0))
		return mg_fail(err, MG_ERR_INPUT, "a time is written HH:MM");
	if (q->find && strlen(q->find) > DESK_FIND_MAX)
		return mg_fail(err, MG_ERR_INPUT, "the search is longer than %d bytes", DESK_FIND_MAX);
	if (q->venue && strlen(q->venue) > RESV_CODE_MAX)
		return mg_fail(err, MG_ERR_INPUT, "\"%s\" is not a venue code", q->venue);
	if ((unsigned)q->sort > RESV_SORT_TICKET)
		return mg_fail(err, MG_ERR_INPUT, "unknown sort");
	return MG_OK;
}

/* The venue asked for is one of the desk's (MG_ERR_DENIED otherwise). */
static int venue_of_desk(struct resv *r, const char *desk, const char *venue, char *err)
{
	long long id = 0, mine = 0;
	int rc = resv_x_int(r, &id, err, "SELECT id FROM resv_venues WHERE code = ?", "t", venue);
	if (rc == MG_ERR_NOT_FOUND)
		return mg_fail(err, rc, "there is no venue %s", venue);
	if (rc == MG_OK && desk)
		rc = resv_x_int(r, &mine, err, "SELECT count(*) FROM resv_desks WHERE staff = ?"
				" AND venue_id = ?", "ti", desk, id);
	if (rc == MG_OK && desk && !mine)
		rc = mg_fail(err, MG_ERR_DENIED, "venue %s is not one of this desk's", venue);
	return rc;
}

static int day_counts(struct resv *r, const char *desk, const char *date, const char *venue,
		      json_t *counts, char *err)
{
	sqlite3_stmt *st = NULL;
	int rc = resv_x_prep(r, &st, err, "SELECT b.status, count(*) FROM resv_bookings b"
			     " JOIN resv_slots s ON s.id = b.slot_id JOIN resv_venues v ON v.id = s.venue_id"
			     " WHERE s.date = ?1 AND " RESV_X_IN_DESK(2) " AND (?3 IS NULL OR v.code = ?3)"
			     " GROUP BY b.status", "ttt", date, desk, venue);
	for (int i = 0; rc == MG_OK && strcmp(statuses[i], "open"); i++)
		json_object_set_new(counts, statuses[i], json_integer(0));
	int s = SQLITE_DONE;
	while (rc == MG_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(counts, (const char *)sqlite3_column_text(st, 0),
				    json_integer(sqlite3_column_int(st, 1)));
	if (rc == MG_OK && s != SQLITE_DONE)
		rc = resv_x_dberr(r, err, "day");
	resv_x_done(r, st);
	return rc;
}

int resv_day_list(struct resv *r, const char *desk, const struct resv_day_query *q_in, json_t **out,
		  char *err)
{
	*out = NULL;
	struct resv_day_query q = q_in ? *q_in : (struct resv_day_query){0};
	char today[11], digits[RESV_TICKET_LEN + 1] = "";
	int rc = check_query(&q, err);
	if (rc != MG_OK)
		return rc;
	if (!q.date) {
		resv_x_date_format(resv_x_today(r), today);
		q.date = today;
	}
	/* A search of digits (as printed, or typed full-width) is part of a
	 * ticket number; anything else is part of a name. */
	const char *ticket_part = NULL, *name_part = NULL;
	if (q.find && *q.find) {
		if (resv_x_ticket_digits(q.find, digits) > 0)
			ticket_part = digits;
		else
			name_part = q.find;
	}
	if (q.venue)
		rc = venue_of_desk(r, desk, q.venue, err);
	json_t *o = json_pack("{s:s, s:o, s:o}", "date", q.date, "counts", json_object(), "bookings",
			      json_array());
	json_t *venues = NULL;
	if (rc == MG_OK && !o)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = resv_desk_venues(r, desk, &venues, err);
	if (rc == MG_OK)
		json_object_set_new(o, "venues", venues);
	if (rc == MG_OK)
		rc = day_counts(r, desk, q.date, q.venue, json_object_get(o, "counts"), err);
	char sql[2048];
	snprintf(sql, sizeof sql,
		 "SELECT b.id, b.ticket, coalesce(b.name_kana, ''), v.code, v.name, s.id, s.start,"
		 " s.minutes, s.product, p.name, b.status, coalesce(b.lot, '') FROM resv_bookings b"
		 " JOIN resv_slots s ON s.id = b.slot_id JOIN resv_venues v ON v.id = s.venue_id"
		 " JOIN resv_products p ON p.code = s.product"
		 " WHERE s.date = ?1 AND " RESV_X_IN_DESK(2) " AND (?3 IS NULL OR v.code = ?3)"
		 " AND CASE WHEN ?4 IS NULL THEN b.status != 'cancelled'"
		 "  WHEN ?4 = 'open' THEN b.status IN ('booked', 'checked_in') ELSE b.status = ?4 END"
		 " AND (?5 IS NULL OR instr(b.ticket, ?5) > 0)"
		 " AND (?6 IS NULL OR instr(resv_kana(b.name_kana), resv_kana(?6)) > 0)"
		 " AND (?7 IS NULL OR s.start >= ?7) AND (?8 IS NULL OR s.start <= ?8)"
		 " ORDER BY %s", orders[q.sort]);
	static const char *const keys[] = {"id", "ticket", "name_kana", "venue", "venue_name",
					   "slot_id", "start", "minutes", "product", "product_name",
					   "status", "lot", NULL};
	if (rc == MG_OK)
		rc = resv_x_rows(r, json_object_get(o, "bookings"), err, keys, sql, "tttttttt", q.date,
				 desk, q.venue, q.status, ticket_part, name_part, q.from, q.to);
	if (rc == MG_OK)
		*out = o;
	else
		json_decref(o);
	return rc;
}
