/* Reception on the day (check-in, vaccinated with its lot, examined only,
 * no-show) and the outbox that a mail or LINE sender consumes. */
#include "reservation/resv_int.h"

#include <string.h>

/* Moves booking id from one of the statuses in `from` to `to`, checking
 * the day; everything else about reception builds on this. */
static int reception(struct resv *r, long long id, const char *to, const char *lot, char *err)
{
	struct resv_booking b;
	struct resv_x_slot slot;
	char today[11];
	resv_x_date_format(resv_x_today(r), today);
	int rc = resv_x_begin(r, err);
	if (rc == MG_OK)
		rc = resv_x_load_booking(r, id, &b, err);
	if (rc == MG_OK)
		rc = resv_x_slot(r, b.slot_id, &slot, err);
	if (rc == MG_OK) {
		int ok;
		if (!strcmp(to, "checked_in"))
			/* Only on the day: a check-in on the wrong day is the wrong booking. */
			ok = !strcmp(b.status, "booked") && !strcmp(slot.date, today);
		else if (!strcmp(to, "no_show"))
			ok = (!strcmp(b.status, "booked") || !strcmp(b.status, "checked_in")) &&
			     slot.started;
		else  /* vaccinated, examined: after the doctor saw the checked-in resident */
			ok = !strcmp(b.status, "checked_in");
		if (!ok)
			rc = mg_fail(err, MG_ERR_CONFLICT, "booking %lld is %s (slot %s %s); it cannot"
				     " become %s now", id, b.status, slot.date, slot.start, to);
	}
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_bookings SET status = ?, lot = ?,"
				" updated_at = ? WHERE id = ?", "ttii", to, lot,
				(long long)resv_x_now(r), id);
	/* Only a vaccination is a dose: 予診のみ (examined) and no-show are not. */
	if (rc == MG_OK && !strcmp(to, "vaccinated")) {
		rc = resv_x_run(r, NULL, err, "INSERT INTO resv_doses(ticket, date, product, lot,"
				" venue_id, booking_id) VALUES(?, ?, ?, ?, ?, ?)", "ttttii", b.ticket,
				slot.date, slot.product, lot, slot.venue_id, id);
		if (rc == MG_ERR_CONFLICT)
			rc = mg_fail(err, rc, "ticket %s already has a dose recorded on %s", b.ticket,
				     slot.date);
	}
	return resv_x_end(r, rc, err);
}

int resv_checkin(struct resv *r, long long booking_id, char *err)
{
	return reception(r, booking_id, "checked_in", NULL, err);
}

int resv_vaccinated(struct resv *r, long long booking_id, const char *lot, char *err)
{
	size_t n = lot ? strlen(lot) : 0;
	if (!n || n > RESV_LOT_MAX)
		return mg_fail(err, MG_ERR_INPUT, "the lot number is 1..%d characters", RESV_LOT_MAX);
	for (size_t i = 0; i < n; i++)
		if (lot[i] <= ' ' || lot[i] > '~')
			return mg_fail(err, MG_ERR_INPUT, "the lot number is letters and digits");
	return reception(r, booking_id, "vaccinated", lot, err);
}

int resv_examined(struct resv *r, long long booking_id, char *err)
{
	return reception(r, booking_id, "examined", NULL, err);
}

int resv_no_show(struct resv *r, long long booking_id, char *err)
{
	return reception(r, booking_id, "no_show", NULL, err);
}

int resv_booking_by_id(struct resv *r, long long booking_id, struct resv_booking *out, char *err)
{
	return resv_x_load_booking(r, booking_id, out, err);
}

int resv_outbox(struct resv *r, int unsent_only, json_t **out, char *err)
{
	*out = NULL;
	json_t *a = json_array();
	sqlite3_stmt *st = NULL;
	int rc = a ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = resv_x_prep(r, &st, err, "SELECT id, ticket, kind, payload, created_at, sent_at"
				 " FROM resv_outbox WHERE ? = 0 OR sent_at IS NULL ORDER BY id", "d",
				 unsent_only);
	int s = SQLITE_DONE;
	while (rc == MG_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *payload = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
		json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:o?}",
				      "id", (json_int_t)sqlite3_column_int64(st, 0),
				      "ticket", (const char *)sqlite3_column_text(st, 1),
				      "kind", (const char *)sqlite3_column_text(st, 2),
				      "created_at", (json_int_t)sqlite3_column_int64(st, 4),
				      "payload", payload);
		if (o && sqlite3_column_type(st, 5) != SQLITE_NULL)
			json_object_set_new(o, "sent_at", json_integer(sqlite3_column_int64(st, 5)));
		else if (o)
			json_object_set_new(o, "sent_at", json_null());
		json_array_append_new(a, o);
	}
	if (rc == MG_OK && s != SQLITE_DONE)
		rc = resv_x_dberr(r, err, "outbox");
	sqlite3_finalize(st);
	if (rc == MG_OK)
		*out = a;
	else
		json_decref(a);
	return rc;
}

int resv_outbox_mark_sent(struct resv *r, long long id, char *err)
{
	int changed = 0;
	int rc = resv_x_run(r, &changed, err, "UPDATE resv_outbox SET sent_at = ?"
			    " WHERE id = ? AND sent_at IS NULL", "ii", (long long)resv_x_now(r), id);
	if (rc == MG_OK && !changed)
		rc = mg_fail(err, MG_ERR_NOT_FOUND, "there is no unsent notification %lld", id);
	return rc;
}
