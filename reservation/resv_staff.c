/* Reception on the day (check-in, vaccinated with its lot, examined only,
 * no-show), by booking or by the ticket number printed on the 接種券 at a
 * venue's desk, and the outbox that a mail or LINE sender consumes. */
#include "reservation/resv_int.h"

#include <stdlib.h>
#include <string.h>

/* The booking that reception means by a ticket number: the ticket's
 * reservation today at one of the desk's venues, the one still open first. */
static int find_today(struct resv *r, const char *desk, const char *ticket, const char *today,
		      long long *id, char *err)
{
	int rc = resv_x_int(r, id, err, "SELECT b.id FROM resv_bookings b"
			    " JOIN resv_slots s ON s.id = b.slot_id"
			    " WHERE b.ticket = ? AND s.date = ? AND b.status != 'cancelled' AND "
			    RESV_X_IN_DESK(3) " ORDER BY b.status IN ('booked', 'checked_in') DESC,"
			    " b.id DESC LIMIT 1", "ttt", ticket, today, desk);
	if (rc == MG_ERR_NOT_FOUND) {
		resv_x_refuse(r, RESV_WHY_NO_BOOKING_TODAY);
		rc = mg_fail(err, rc, "ticket %s has no reservation today%s", ticket,
			     desk ? " at this venue" : "");
	}
	return rc;
}

/* Why booking b in slot may not become `to` now (MG_OK when it may): each
 * reason recorded for the desk to say in Japanese. */
static int may_become(struct resv *r, const struct resv_booking *b, const struct resv_x_slot *slot,
		      const char *to, const char *today, char *err)
{
	int open = !strcmp(b->status, "booked") || !strcmp(b->status, "checked_in");
	struct resv_refusal *why = NULL;
	if (!open || (!strcmp(to, "checked_in") && strcmp(b->status, "booked"))) {
		why = resv_x_refuse(r, RESV_WHY_ALREADY_DONE);
		snprintf(why->status, sizeof why->status, "%s", b->status);
	} else if (!strcmp(to, "checked_in") && strcmp(slot->date, today)) {
		/* Only on the day: a check-in on the wrong day is the wrong booking. */
		why = resv_x_refuse(r, RESV_WHY_NOT_TODAY);
		snprintf(why->date, sizeof why->date, "%s", slot->date);
	} else if (!strcmp(to, "no_show") && !slot->started) {
		why = resv_x_refuse(r, RESV_WHY_NOT_STARTED);
		snprintf(why->date, sizeof why->date, "%s", slot->date);
		snprintf(why->time, sizeof why->time, "%s", slot->start);
	} else if ((!strcmp(to, "vaccinated") || !strcmp(to, "examined")) &&
		   strcmp(b->status, "checked_in")) {
		/* After the doctor saw the checked-in resident. */
		why = resv_x_refuse(r, RESV_WHY_NOT_CHECKED_IN);
	}
	if (!why)
		return MG_OK;
	return mg_fail(err, MG_ERR_CONFLICT, "booking %lld is %s (slot %s %s); it cannot become %s now",
		       b->id, b->status, slot->date, slot->start, to);
}

/* Moves a booking (id, or the ticket's today at the desk's venues) to `to`;
 * everything about reception builds on this. out (may be NULL) gets the
 * booking as it is afterwards. */
static int reception(struct resv *r, const char *desk, long long id, const char *ticket,
		     const char *to, const char *lot, struct resv_booking *out, char *err)
{
	struct resv_booking b;
	struct resv_x_slot slot;
	char today[11];
	resv_x_refuse(r, RESV_WHY_NONE);
	resv_x_date_format(resv_x_today(r), today);
	int rc = resv_x_begin(r, err);
	if (rc == MG_OK && ticket)
		rc = find_today(r, desk, ticket, today, &id, err);
	if (rc == MG_OK)
		rc = resv_x_load_booking(r, id, &b, err);
	if (rc == MG_OK)
		rc = resv_x_slot(r, b.slot_id, &slot, err);
	if (rc == MG_OK)
		rc = may_become(r, &b, &slot, to, today, err);
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
	rc = resv_x_end(r, rc, err);
	if (rc == MG_OK && out)
		rc = resv_x_load_booking(r, id, out, err);
	return rc;
}

static int lot_ok(const char *lot, char *err)
{
	size_t n = lot ? strlen(lot) : 0;
	if (!n || n > RESV_LOT_MAX)
		return mg_fail(err, MG_ERR_INPUT, "the lot number is 1..%d characters", RESV_LOT_MAX);
	for (size_t i = 0; i < n; i++)
		if (lot[i] <= ' ' || lot[i] > '~')
			return mg_fail(err, MG_ERR_INPUT, "the lot number is letters and digits");
	return MG_OK;
}

int resv_checkin(struct resv *r, long long booking_id, char *err)
{
	return reception(r, NULL, booking_id, NULL, "checked_in", NULL, NULL, err);
}

int resv_vaccinated(struct resv *r, long long booking_id, const char *lot, char *err)
{
	int rc = lot_ok(lot, err);
	return rc == MG_OK ? reception(r, NULL, booking_id, NULL, "vaccinated", lot, NULL, err) : rc;
}

int resv_examined(struct resv *r, long long booking_id, char *err)
{
	return reception(r, NULL, booking_id, NULL, "examined", NULL, NULL, err);
}

int resv_no_show(struct resv *r, long long booking_id, char *err)
{
	return reception(r, NULL, booking_id, NULL, "no_show", NULL, NULL, err);
}

int resv_desk_act(struct resv *r, const char *desk, const char *ticket_in,
		  enum resv_desk_act act, const char *lot, struct resv_booking *out, char *err)
{
	static const char *const to[] = {
		[RESV_ACT_CHECKIN] = "checked_in", [RESV_ACT_VACCINATED] = "vaccinated",
		[RESV_ACT_EXAMINED] = "examined", [RESV_ACT_NO_SHOW] = "no_show",
	};
	char ticket[RESV_TICKET_LEN + 1];
	resv_x_refuse(r, RESV_WHY_NONE);
	if ((unsigned)act > RESV_ACT_NO_SHOW)
		return mg_fail(err, MG_ERR_INPUT, "unknown reception step");
	int rc = resv_x_ticket_norm(ticket_in, ticket, err);
	if (rc != MG_OK) {
		resv_x_refuse(r, RESV_WHY_TICKET_NUMBER);
		return rc;
	}
	if (act == RESV_ACT_VACCINATED && (rc = lot_ok(lot, err)) != MG_OK)
		return rc;
	return reception(r, desk, 0, ticket, to[act], act == RESV_ACT_VACCINATED ? lot : NULL, out,
			 err);
}

int resv_booking_by_id(struct resv *r, long long booking_id, struct resv_booking *out, char *err)
{
	return resv_x_load_booking(r, booking_id, out, err);
}

int resv_x_outbox(struct resv *r, const char *ticket, const char *kind, json_t *payload, char *err)
{
	char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	int rc = text ? resv_x_run(r, NULL, err, "INSERT INTO resv_outbox(ticket, kind, payload,"
				   " created_at) VALUES(?, ?, ?, ?)", "ttti", ticket, kind, text,
				   (long long)resv_x_now(r))
		      : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	free(text);
	return rc;
}

void resv_x_contact_json(json_t *o, sqlite3_stmt *st, int col)
{
	static const char *const keys[] = {"name_kana", "phone", "email"};
	for (int i = 0; o && i < 3; i++)
		if (sqlite3_column_type(st, col + i) != SQLITE_NULL)
			json_object_set_new(o, keys[i],
					    json_string((const char *)sqlite3_column_text(st, col + i)));
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
	resv_x_done(r, st);
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
