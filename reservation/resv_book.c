/* Booking, changing and cancelling, the waiting list and its offers, for
 * residents (by session) and for the call centre (by ticket). Every
 * operation is one BEGIN IMMEDIATE transaction that checks the rules and takes
 * the seat with a conditional UPDATE, so concurrent requests cannot overbook
 * and a failed request leaves nothing behind. */
#include "reservation/resv_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- Slots and rules -------------------------------------------------------- */

int resv_x_slot(struct resv *r, long long slot_id, struct resv_x_slot *out, char *err)
{
	sqlite3_stmt *st;
	char now[17];
	resv_x_now_text(r, now);
	int rc = resv_x_prep(r, &st, err,
			     "SELECT s.id, s.venue_id, v.code, s.date, s.start, s.product,"
			     " s.date || ' ' || s.start <= ?1, s.closed, " RESV_X_CUTOFF_SQL " <= ?1, " RESV_X_CUTOFF_SQL
			     " FROM resv_slots s JOIN resv_venues v ON v.id = s.venue_id WHERE s.id = ?2",
			     "ti", now, slot_id);
	if (rc == MG_OK) {
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			memset(out, 0, sizeof *out);
			out->id = sqlite3_column_int64(st, 0);
			out->venue_id = sqlite3_column_int64(st, 1);
			snprintf(out->venue, sizeof out->venue, "%s", sqlite3_column_text(st, 2));
			snprintf(out->date, sizeof out->date, "%s", sqlite3_column_text(st, 3));
			snprintf(out->start, sizeof out->start, "%s", sqlite3_column_text(st, 4));
			snprintf(out->product, sizeof out->product, "%s", sqlite3_column_text(st, 5));
			out->started = sqlite3_column_int(st, 6);
			out->closed = sqlite3_column_int(st, 7);
			out->cut_off = sqlite3_column_int(st, 8);
			snprintf(out->cut_off_at, sizeof out->cut_off_at, "%s", sqlite3_column_text(st, 9));
		} else if (s == SQLITE_DONE) {
			rc = mg_fail(err, MG_ERR_NOT_FOUND, "there is no slot %lld", slot_id);
		} else {
			rc = resv_x_dberr(r, err, "slot");
		}
	}
	resv_x_done(r, st);
	return rc;
}

static int active_booking(struct resv *r, const char *ticket, long long *id, char *err)
{
	return resv_x_int(r, id, err, "SELECT id FROM resv_bookings WHERE ticket = ?"
			  " AND status IN ('booked', 'checked_in')", "t", ticket);
}

/* What the ticket's last dose allows: the first day of the next dose and the
 * product it must be ("" when any); has is 0 when no dose is recorded. */
struct next_dose {
	int has;
	long from_day;
	int days;
	char last[11];
	char product[RESV_CODE_MAX + 1], product_name[RESV_TEXT_MAX + 1];
};

static int next_dose(struct resv *r, const char *ticket, struct next_dose *out, char *err)
{
	sqlite3_stmt *st;
	memset(out, 0, sizeof *out);
	int rc = resv_x_prep(r, &st, err,
			     "SELECT d.date, d.product, p.min_interval_days, p.same_product, p.name"
			     " FROM resv_doses d JOIN resv_products p ON p.code = d.product"
			     " WHERE d.ticket = ? ORDER BY d.date DESC LIMIT 1", "t", ticket);
	int s = rc == MG_OK ? sqlite3_step(st) : SQLITE_DONE;
	if (s == SQLITE_ROW) {
		long last_day = 0;
		snprintf(out->last, sizeof out->last, "%s", sqlite3_column_text(st, 0));
		out->days = sqlite3_column_int(st, 2);
		if (sqlite3_column_int(st, 3)) {
			snprintf(out->product, sizeof out->product, "%s", sqlite3_column_text(st, 1));
			snprintf(out->product_name, sizeof out->product_name, "%s",
				 sqlite3_column_text(st, 4));
		}
		if (resv_x_date_parse(out->last, &last_day))
			rc = mg_fail(err, MG_ERR_INTERNAL, "a dose has a bad date");
		out->from_day = last_day + out->days;
		out->has = 1;
	} else if (s != SQLITE_DONE) {
		rc = resv_x_dberr(r, err, "doses");
	}
	resv_x_done(r, st);
	return rc;
}

int resv_x_eligible(struct resv *r, const char *ticket, long long slot_id,
		    long long exclude_booking, struct resv_x_slot *slot, char *err)
{
	struct resv_x_slot own;
	if (!slot)
		slot = &own;
	long long n = 0, horizon = 0, other = 0;
	long slot_day;
	int rc = resv_x_int(r, &n, err, "SELECT count(*) FROM resv_tickets WHERE number = ?", "t",
			    ticket);
	if (rc == MG_OK && !n)
		rc = mg_fail(err, MG_ERR_NOT_FOUND, "there is no ticket %s", ticket);
	if (rc == MG_OK)
		rc = resv_x_slot(r, slot_id, slot, err);
	if (rc == MG_OK && slot->closed) {
		resv_x_refuse(r, RESV_WHY_CLOSED);
		rc = mg_fail(err, MG_ERR_CONFLICT, "the slot of %s %s is closed; choose another",
			     slot->date, slot->start);
	}
	if (rc == MG_OK && slot->started) {
		resv_x_refuse(r, RESV_WHY_STARTED);
		rc = mg_fail(err, MG_ERR_CONFLICT, "the slot of %s %s has already started",
			     slot->date, slot->start);
	}
	if (rc == MG_OK)
		rc = resv_x_int(r, &horizon, err,
				"SELECT horizon_days FROM resv_products WHERE code = ?", "t",
				slot->product);
	if (rc == MG_OK && resv_x_date_parse(slot->date, &slot_day))
		rc = mg_fail(err, MG_ERR_INTERNAL, "slot %lld has a bad date", slot_id);
	if (rc == MG_OK && slot_day > resv_x_today(r) + horizon) {
		struct resv_refusal *why = resv_x_refuse(r, RESV_WHY_NOT_OPEN_YET);
		resv_x_date_format(slot_day - horizon, why->date);
		why->days = (int)horizon;
		rc = mg_fail(err, MG_ERR_CONFLICT,
			     "bookings for %s open %lld days ahead, on %s", slot->date, horizon, why->date);
	}
	if (rc == MG_OK) {
		rc = active_booking(r, ticket, &other, err);
		if (rc == MG_OK && other != exclude_booking) {
			resv_x_refuse(r, RESV_WHY_HAS_BOOKING);
			rc = mg_fail(err, MG_ERR_CONFLICT, "there is already a reservation for this"
				     " ticket; change or cancel it instead");
		} else if (rc == MG_ERR_NOT_FOUND || rc == MG_OK)
			rc = MG_OK;
	}
	/* The last dose given decides when and with what the next one may be. */
	struct next_dose next;
	if (rc == MG_OK)
		rc = next_dose(r, ticket, &next, err);
	if (rc == MG_OK && next.has && slot_day < next.from_day) {
		struct resv_refusal *why = resv_x_refuse(r, RESV_WHY_INTERVAL);
		resv_x_date_format(next.from_day, why->date);
		snprintf(why->last_dose, sizeof why->last_dose, "%s", next.last);
		why->days = next.days;
		rc = mg_fail(err, MG_ERR_CONFLICT,
			     "the next dose can be from %s (%d days after the dose of %s)",
			     why->date, next.days, next.last);
	} else if (rc == MG_OK && next.has && *next.product && strcmp(next.product, slot->product)) {
		struct resv_refusal *why = resv_x_refuse(r, RESV_WHY_SAME_PRODUCT);
		snprintf(why->product, sizeof why->product, "%s", next.product_name);
		rc = mg_fail(err, MG_ERR_CONFLICT, "the next dose must be %s, the same as the last one",
			     why->product);
	}
	return rc;
}

/* ---- Requests ----------------------------------------------------------------- */

static int idem_key_ok(const char *key, char *err)
{
	if (!key)
		return MG_OK;
	size_t n = strlen(key);
	if (!n || n > RESV_IDEM_KEY_MAX)
		return mg_fail(err, MG_ERR_INPUT, "a request key is 1..%d characters",
			       RESV_IDEM_KEY_MAX);
	for (size_t i = 0; i < n; i++)
		if (key[i] <= ' ' || key[i] > '~')
			return mg_fail(err, MG_ERR_INPUT, "a request key is printable ASCII");
	return MG_OK;
}

/* Looks the key up: *replay_id is the booking of the first request with this
 * key and op (0 when the key is new); the same key for another request is a
 * conflict. */
static int idem_lookup(struct resv *r, const char *ticket, const char *key, const char *op,
		       const char *request, long long *replay_id, char *err)
{
	*replay_id = 0;
	if (!key)
		return MG_OK;
	sqlite3_stmt *st;
	int rc = resv_x_prep(r, &st, err, "SELECT op, request, booking_id FROM resv_idempotency"
			     " WHERE ticket = ? AND key = ? AND created_at > ?", "tti", ticket, key,
			     (long long)(resv_x_now(r) - RESV_IDEM_TTL_S));
	if (rc == MG_OK) {
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			if (strcmp((const char *)sqlite3_column_text(st, 0), op) ||
			    strcmp((const char *)sqlite3_column_text(st, 1), request))
				rc = mg_fail(err, MG_ERR_CONFLICT,
					     "this request key was already used for another request");
			else
				*replay_id = sqlite3_column_int64(st, 2);
		} else if (s != SQLITE_DONE) {
			rc = resv_x_dberr(r, err, "request key");
		}
	}
	resv_x_done(r, st);
	return rc;
}

static int idem_store(struct resv *r, const char *ticket, const char *key, const char *op,
		      const char *request, long long booking_id, char *err)
{
	if (!key)
		return MG_OK;
	long long now = resv_x_now(r);
	int rc = resv_x_run(r, NULL, err, "DELETE FROM resv_idempotency WHERE created_at <= ?", "i",
			    now - RESV_IDEM_TTL_S);
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "INSERT INTO resv_idempotency(ticket, key, op, request,"
				" booking_id, created_at) VALUES(?, ?, ?, ?, ?, ?)", "ttttii", ticket,
				key, op, request, booking_id, now);
	return rc;
}

/* Checked personal fields: what the policy turns off is dropped (never
 * stored), what it requires must be there and well-formed. */
struct contact {
	char kana[RESV_TEXT_MAX + 1];
	char phone[RESV_PHONE_MAX_DIGITS + 1];
	char email[RESV_EMAIL_MAX + 1];
	int has_kana, has_phone, has_email;
};

static int kana_ok(const char *s)
{
	/* Katakana (U+30A0..30FF), hiragana (U+3040..309F), spaces (ASCII and U+3000). */
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (*p == ' ') {
			p++;
			continue;
		}
		if (p[0] != 0xE3 || !p[1] || !p[2])
			return 0;
		unsigned cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
		if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    !(cp == 0x3000 || (cp >= 0x3040 && cp <= 0x30FF)))
			return 0;
		p += 3;
	}
	return 1;
}

static int email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
	    s[strlen(s) - 1] == '.')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p > '~')
			return 0;
	return 1;
}

/* A contact field the resident can put right: the refusal names the field
 * and whether it was missing or malformed, err says it in English. */
static int contact_refused(struct resv *r, enum resv_field f, const char *problem, char *err,
			   const char *msg)
{
	struct resv_refusal *why = resv_x_refuse(r, RESV_WHY_CONTACT);
	snprintf(why->field, sizeof why->field, "%s", resv_field_name(f));
	snprintf(why->problem, sizeof why->problem, "%s", problem);
	return mg_fail(err, MG_ERR_INPUT, "%s", msg);
}

static int check_contact(struct resv *r, const struct resv_contact *in, struct contact *out,
			 char *err)
{
	memset(out, 0, sizeof *out);
	static const char *const missing[] = {"the name in kana is required",
					       "the phone number is required",
					       "the e-mail address is required"};
	const char *given[RESV_FIELD_COUNT] = {in ? in->name_kana : NULL, in ? in->phone : NULL,
					      in ? in->email : NULL};
	for (int f = 0; f < RESV_FIELD_COUNT; f++) {
		enum resv_policy p;
		int rc = resv_field_policy(r, (enum resv_field)f, &p, err);
		if (rc != MG_OK)
			return rc;
		const char *v = given[f] && *given[f] ? given[f] : NULL;
		if (p == RESV_OFF || !v) {
			if (p == RESV_REQUIRED)
				return contact_refused(r, (enum resv_field)f, "required", err,
						       missing[f]);
			continue;
		}
		if (f == RESV_FIELD_NAME_KANA) {
			if (strlen(v) > RESV_TEXT_MAX || !kana_ok(v))
				return contact_refused(r, RESV_FIELD_NAME_KANA, "invalid", err,
						       "write the name in kana");
			snprintf(out->kana, sizeof out->kana, "%s", v);
			out->has_kana = 1;
		} else if (f == RESV_FIELD_PHONE) {
			size_t n = 0;
			for (const char *c = v; *c; c++) {
				if (*c >= '0' && *c <= '9' && n < RESV_PHONE_MAX_DIGITS + 1)
					out->phone[n++] = *c;
				else if (*c != '-' && *c != ' ' && !(*c >= '0' && *c <= '9'))
					return contact_refused(r, RESV_FIELD_PHONE, "invalid", err,
							       "a phone number is digits and hyphens");
			}
			if (n < RESV_PHONE_MIN_DIGITS || n > RESV_PHONE_MAX_DIGITS) {
				char msg[64];
				snprintf(msg, sizeof msg, "a phone number has %d or %d digits",
					 RESV_PHONE_MIN_DIGITS, RESV_PHONE_MAX_DIGITS);
				return contact_refused(r, RESV_FIELD_PHONE, "invalid", err, msg);
			}
			out->phone[n] = '\0';
			out->has_phone = 1;
		} else {
			if (strlen(v) > RESV_EMAIL_MAX || !email_ok(v))
				return contact_refused(r, RESV_FIELD_EMAIL, "invalid", err,
						       "that is not an e-mail address");
			snprintf(out->email, sizeof out->email, "%s", v);
			out->has_email = 1;
		}
	}
	return MG_OK;
}

int resv_x_contact_check(struct resv *r, const struct resv_contact *in, char *err)
{
	struct contact c;
	return check_contact(r, in, &c, err);
}

/* Takes one seat of the slot, or says it is full: the check and the write are
 * one statement, so two requests cannot both take the last seat. */
static int take_seat(struct resv *r, long long slot_id, char *err)
{
	int changed = 0;
	int rc = resv_x_run(r, &changed, err, "UPDATE resv_slots SET booked = booked + 1"
			    " WHERE id = ? AND booked + held < capacity AND closed = 0", "i", slot_id);
	if (rc == MG_OK && !changed) {
		resv_x_refuse(r, RESV_WHY_FULL);
		rc = mg_fail(err, MG_ERR_FULL, "that slot is full; choose another or join the"
			     " waiting list");
	}
	return rc;
}

static int free_seat(struct resv *r, long long slot_id, char *err)
{
	int changed = 0;
	int rc = resv_x_run(r, &changed, err, "UPDATE resv_slots SET booked = booked - 1"
			    " WHERE id = ? AND booked > 0", "i", slot_id);
	if (rc == MG_OK && !changed)
		rc = mg_fail(err, MG_ERR_INTERNAL, "slot %lld had no booked seat to free", slot_id);
	if (rc == MG_OK)
		rc = resv_x_offer_freed_seat(r, slot_id, err);
	return rc;
}

/* A resident who takes a seat some other way stops waiting, and their open
 * offers pass to the next resident. */
static int stop_waiting(struct resv *r, const char *ticket, char *err)
{
	int rc = resv_x_run(r, NULL, err, "UPDATE resv_waitlist SET status = 'left'"
			    " WHERE ticket = ? AND status = 'waiting'", "t", ticket);
	while (rc == MG_OK) {
		long long offer = 0, slot = 0, wait = 0;
		rc = resv_x_int(r, &offer, err, "SELECT id FROM resv_offers WHERE ticket = ?"
				" AND status = 'pending' LIMIT 1", "t", ticket);
		if (rc == MG_ERR_NOT_FOUND)
			return MG_OK;
		if (rc == MG_OK)
			rc = resv_x_int(r, &slot, err, "SELECT slot_id FROM resv_offers WHERE id = ?",
					"i", offer);
		if (rc == MG_OK)
			rc = resv_x_int(r, &wait, err, "SELECT waitlist_id FROM resv_offers WHERE id = ?",
					"i", offer);
		if (rc == MG_OK)
			rc = resv_x_run(r, NULL, err, "UPDATE resv_offers SET status = 'declined'"
					" WHERE id = ?", "i", offer);
		if (rc == MG_OK)
			rc = resv_x_run(r, NULL, err, "UPDATE resv_waitlist SET status = 'left'"
					" WHERE id = ?", "i", wait);
		if (rc == MG_OK)
			rc = resv_x_run(r, NULL, err, "UPDATE resv_slots SET held = held - 1"
					" WHERE id = ?", "i", slot);
		if (rc == MG_OK)
			rc = resv_x_offer_freed_seat(r, slot, err);
	}
	return rc;
}

static int insert_booking(struct resv *r, const char *ticket, long long slot_id, int by_staff,
			  const struct contact *c, long long *id, char *err)
{
	long long now = resv_x_now(r);
	int rc = resv_x_run(r, NULL, err,
			    "INSERT INTO resv_bookings(ticket, slot_id, status, by_staff, name_kana,"
			    " phone, email, created_at, updated_at)"
			    " VALUES(?, ?, 'booked', ?, ?, ?, ?, ?, ?)", "tidtttii", ticket, slot_id,
			    by_staff, c->has_kana ? c->kana : NULL, c->has_phone ? c->phone : NULL,
			    c->has_email ? c->email : NULL, now, now);
	if (rc == MG_ERR_CONFLICT) {  /* the one-active-booking index: another tab won */
		resv_x_refuse(r, RESV_WHY_HAS_BOOKING);
		rc = mg_fail(err, MG_ERR_CONFLICT, "there is already a reservation for this ticket");
	}
	if (rc == MG_OK)
		*id = sqlite3_last_insert_rowid(r->db);
	return rc;
}

static int venue_matches(const struct resv_x_slot *slot, const char *venue, char *err)
{
	if (venue && strcmp(venue, slot->venue))
		return mg_fail(err, MG_ERR_INPUT, "slot %lld is not at venue %s", slot->id, venue);
	return MG_OK;
}

static int check_request(const struct resv_request *req, char *err)
{
	if (!req || req->slot_id <= 0)
		return mg_fail(err, MG_ERR_INPUT, "choose a slot");
	return idem_key_ok(req->idem_key, err);
}

/* A resident books on the web or LINE until RESV_SAME_DAY_CUTOFF_MIN before
 * the slot; the call centre after that. The refusal says when it closed. */
static int before_cutoff(struct resv *r, const struct resv_x_slot *slot, int by_staff, char *err)
{
	if (by_staff || !slot->cut_off || slot->started)
		return MG_OK;
	struct resv_refusal *why = resv_x_refuse(r, RESV_WHY_CUTOFF);
	snprintf(why->date, sizeof why->date, "%.10s", slot->cut_off_at);
	snprintf(why->time, sizeof why->time, "%.5s", slot->cut_off_at + (strlen(slot->cut_off_at) > 11 ? 11 : 0));
	return mg_fail(err, MG_ERR_CONFLICT, "booking the slot of %s %s online closed at %s %s;"
		       " please call us", slot->date, slot->start, why->date, why->time);
}

static int book_core(struct resv *r, const char *ticket, const struct resv_request *req,
		     int by_staff, struct resv_booking *out, char *err)
{
	int began = 0;
	char request[RESV_CODE_MAX + 64];
	struct contact c;
	struct resv_x_slot slot;
	long long id = 0;
	int rc = check_request(req, err);
	if (rc == MG_OK) {
		snprintf(request, sizeof request, "slot=%lld venue=%s", req->slot_id,
			 req->venue ? req->venue : "");
		began = (rc = resv_x_begin(r, err)) == MG_OK;
	}
	if (rc == MG_OK)
		rc = resv_x_expire(r, NULL, err);
	if (rc == MG_OK)
		rc = idem_lookup(r, ticket, req->idem_key, "book", request, &id, err);
	if (rc == MG_OK && !id) {
		rc = check_contact(r, &req->contact, &c, err);
		if (rc == MG_OK)
			rc = resv_x_slot(r, req->slot_id, &slot, err);
		if (rc == MG_OK)
			rc = venue_matches(&slot, req->venue, err);
		if (rc == MG_OK)
			rc = resv_x_eligible(r, ticket, req->slot_id, 0, &slot, err);
		if (rc == MG_OK)
			rc = before_cutoff(r, &slot, by_staff, err);
		if (rc == MG_OK)
			rc = take_seat(r, req->slot_id, err);
		if (rc == MG_OK)
			rc = insert_booking(r, ticket, req->slot_id, by_staff, &c, &id, err);
		if (rc == MG_OK)
			rc = stop_waiting(r, ticket, err);
		if (rc == MG_OK)
			rc = idem_store(r, ticket, req->idem_key, "book", request, id, err);
	}
	if (began)
		rc = resv_x_end(r, rc, err);
	if (rc == MG_OK && out)
		rc = resv_x_load_booking(r, id, out, err);
	return rc;
}

static int view_core(struct resv *r, const char *ticket, struct resv_booking *out, char *err)
{
	long long id = 0;
	int rc = active_booking(r, ticket, &id, err);
	if (rc == MG_ERR_NOT_FOUND)
		return mg_fail(err, rc, "there is no reservation for this ticket");
	if (rc == MG_OK)
		rc = resv_x_load_booking(r, id, out, err);
	return rc;
}

/* The last day a resident may change or cancel a booking of slot_day
 * themselves: the town's deadline before it. The one rule of the refusal
 * below and of the booking's change_until. */
static long change_until(const struct resv *r, long slot_day)
{
	return slot_day - r->change_deadline_days;
}

/* A resident's own change or cancel, up to change_until; staff on the
 * phone are not held to it. */
static int before_deadline(struct resv *r, const struct resv_x_slot *slot, int by_staff,
			   char *err)
{
	long slot_day = 0;
	if (by_staff)
		return MG_OK;
	if (resv_x_date_parse(slot->date, &slot_day))
		return mg_fail(err, MG_ERR_INTERNAL, "slot %lld has a bad date", slot->id);
	if (resv_x_today(r) <= change_until(r, slot_day))
		return MG_OK;
	struct resv_refusal *why = resv_x_refuse(r, RESV_WHY_DEADLINE);
	resv_x_date_format(change_until(r, slot_day), why->date);
	why->days = r->change_deadline_days;
	return mg_fail(err, MG_ERR_CONFLICT, "changes and cancellations closed on %s, %d days"
		       " before; please call us", why->date, why->days);
}

static int change_core(struct resv *r, const char *ticket, const struct resv_request *req,
		       int by_staff, struct resv_booking *out, char *err)
{
	int began = 0;
	char request[RESV_CODE_MAX + 64];
	struct contact c;
	struct resv_x_slot slot, old;
	long long id = 0, replay = 0, old_slot = 0;
	int rc = check_request(req, err);
	if (rc == MG_OK) {
		snprintf(request, sizeof request, "slot=%lld venue=%s", req->slot_id,
			 req->venue ? req->venue : "");
		began = (rc = resv_x_begin(r, err)) == MG_OK;
	}
	if (rc == MG_OK)
		rc = resv_x_expire(r, NULL, err);
	if (rc == MG_OK)
		rc = idem_lookup(r, ticket, req->idem_key, "change", request, &replay, err);
	if (rc == MG_OK && replay)
		id = replay;
	if (rc == MG_OK && !replay) {
		rc = resv_x_int(r, &id, err, "SELECT id FROM resv_bookings WHERE ticket = ?"
				" AND status = 'booked'", "t", ticket);
		if (rc == MG_ERR_NOT_FOUND)
			rc = mg_fail(err, rc, "there is no reservation to change");
		if (rc == MG_OK)
			rc = resv_x_int(r, &old_slot, err, "SELECT slot_id FROM resv_bookings"
					" WHERE id = ?", "i", id);
		if (rc == MG_OK)
			rc = resv_x_slot(r, old_slot, &old, err);
		if (rc == MG_OK && old.started) {
			resv_x_refuse(r, RESV_WHY_STARTED);
			rc = mg_fail(err, MG_ERR_CONFLICT, "the reserved slot has already started;"
				     " please call us");
		}
		if (rc == MG_OK)
			rc = before_deadline(r, &old, by_staff, err);
		if (rc == MG_OK && old_slot == req->slot_id)
			rc = mg_fail(err, MG_ERR_INPUT, "that is already the reserved slot");
		if (rc == MG_OK)
			rc = check_contact(r, &req->contact, &c, err);
		if (rc == MG_OK)
			rc = resv_x_slot(r, req->slot_id, &slot, err);
		if (rc == MG_OK)
			rc = venue_matches(&slot, req->venue, err);
		if (rc == MG_OK)
			rc = resv_x_eligible(r, ticket, req->slot_id, id, &slot, err);
		if (rc == MG_OK)
			rc = before_cutoff(r, &slot, by_staff, err);
		if (rc == MG_OK)
			rc = take_seat(r, req->slot_id, err);
		/* Contact fields not given again are kept. */
		if (rc == MG_OK)
			rc = resv_x_run(r, NULL, err, "UPDATE resv_bookings SET slot_id = ?,"
					" name_kana = coalesce(?, name_kana), phone = coalesce(?, phone),"
					" email = coalesce(?, email), updated_at = ? WHERE id = ?",
					"itttii", req->slot_id, c.has_kana ? c.kana : NULL,
					c.has_phone ? c.phone : NULL, c.has_email ? c.email : NULL,
					(long long)resv_x_now(r), id);
		if (rc == MG_OK)
			rc = free_seat(r, old_slot, err);
		if (rc == MG_OK)
			rc = idem_store(r, ticket, req->idem_key, "change", request, id, err);
	}
	if (began)
		rc = resv_x_end(r, rc, err);
	if (rc == MG_OK && out)
		rc = resv_x_load_booking(r, id, out, err);
	return rc;
}

static int cancel_core(struct resv *r, const char *ticket, const char *key, int by_staff,
		       struct resv_booking *out, char *err)
{
	int began = 0;
	long long id = 0, slot_id = 0;
	struct resv_x_slot slot;
	int rc = idem_key_ok(key, err);
	if (rc == MG_OK)
		began = (rc = resv_x_begin(r, err)) == MG_OK;
	if (rc == MG_OK)
		rc = resv_x_expire(r, NULL, err);
	if (rc == MG_OK)
		rc = idem_lookup(r, ticket, key, "cancel", "", &id, err);
	if (rc == MG_OK && !id) {
		rc = active_booking(r, ticket, &id, err);
		if (rc == MG_ERR_NOT_FOUND)
			rc = mg_fail(err, rc, "there is no reservation to cancel");
		long long booked = 0;
		if (rc == MG_OK)
			rc = resv_x_int(r, &booked, err, "SELECT status = 'booked' FROM resv_bookings"
					" WHERE id = ?", "i", id);
		if (rc == MG_OK && !booked)
			rc = mg_fail(err, MG_ERR_CONFLICT, "the resident is already checked in");
		if (rc == MG_OK)
			rc = resv_x_int(r, &slot_id, err, "SELECT slot_id FROM resv_bookings"
					" WHERE id = ?", "i", id);
		if (rc == MG_OK)
			rc = resv_x_slot(r, slot_id, &slot, err);
		if (rc == MG_OK && slot.started) {
			resv_x_refuse(r, RESV_WHY_STARTED);
			rc = mg_fail(err, MG_ERR_CONFLICT, "the reserved slot has already started;"
				     " please call us");
		}
		if (rc == MG_OK)
			rc = before_deadline(r, &slot, by_staff, err);
		if (rc == MG_OK)
			rc = resv_x_run(r, NULL, err, "UPDATE resv_bookings SET status = 'cancelled',"
					" updated_at = ? WHERE id = ?", "ii", (long long)resv_x_now(r), id);
		if (rc == MG_OK)
			rc = free_seat(r, slot_id, err);
		if (rc == MG_OK)
			rc = idem_store(r, ticket, key, "cancel", "", id, err);
	}
	if (began)
		rc = resv_x_end(r, rc, err);
	if (rc == MG_OK && out)
		rc = resv_x_load_booking(r, id, out, err);
	return rc;
}

/* Slots with a free seat that a resident may still book. */
static const char free_where[] =
	" s.closed = 0 AND s.booked + s.held < s.capacity AND " RESV_X_CUTOFF_SQL " > ?1"
	" AND julianday(s.date) - julianday(?2) <= p.horizon_days";

static int wait_core(struct resv *r, const char *ticket, const char *venue, const char *date,
		     const struct resv_contact *contact, long long *wait_id, char *err)
{
	long days;
	long long venue_id = 0, n = 0;
	char now[17], today[11];
	struct contact c;
	resv_x_now_text(r, now);
	resv_x_date_format(resv_x_today(r), today);
	if (wait_id)
		*wait_id = 0;
	if (venue && !*venue)
		venue = NULL;
	if (date && !*date)
		date = NULL;
	if (!venue && !date)
		return mg_fail(err, MG_ERR_INPUT, "choose a venue, a day or both to wait for");
	if (date && resv_x_date_parse(date, &days))
		return mg_fail(err, MG_ERR_INPUT, "\"%s\" is not a date (YYYY-MM-DD)", date);
	if (date && days < resv_x_today(r))
		return mg_fail(err, MG_ERR_INPUT, "%s is in the past", date);
	int rc = resv_x_begin(r, err);
	if (rc == MG_OK)
		rc = resv_x_expire(r, NULL, err);
	if (rc == MG_OK && venue) {
		rc = resv_x_int(r, &venue_id, err, "SELECT id FROM resv_venues WHERE code = ?", "t",
				venue);
		if (rc == MG_ERR_NOT_FOUND)
			rc = mg_fail(err, rc, "there is no venue %s", venue);
	}
	if (rc == MG_OK)
		rc = resv_x_int(r, &n, err, "SELECT count(*) FROM resv_tickets WHERE number = ?", "t",
				ticket);
	if (rc == MG_OK && !n)
		rc = mg_fail(err, MG_ERR_NOT_FOUND, "there is no ticket %s", ticket);
	if (rc == MG_OK) {
		rc = active_booking(r, ticket, &n, err);
		if (rc == MG_OK) {
			resv_x_refuse(r, RESV_WHY_HAS_BOOKING);
			rc = mg_fail(err, MG_ERR_CONFLICT, "there is already a reservation for this"
				     " ticket");
		} else if (rc == MG_ERR_NOT_FOUND)
			rc = MG_OK;
	}
	if (rc == MG_OK) {
		rc = resv_x_int(r, &n, err, "SELECT count(*) FROM resv_waitlist WHERE ticket = ?"
				" AND status IN ('waiting', 'offered')", "t", ticket);
		if (rc == MG_OK && n) {
			resv_x_refuse(r, RESV_WHY_WAITING);
			rc = mg_fail(err, MG_ERR_CONFLICT, "this ticket is already on the waiting list");
		}
	}
	if (rc == MG_OK) {
		char sql[512];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM resv_slots s JOIN resv_products p"
			 " ON p.code = s.product WHERE %s AND (?3 IS NULL OR s.venue_id = ?3)"
			 " AND (?4 IS NULL OR s.date = ?4)", free_where);
		sqlite3_stmt *st;
		rc = resv_x_prep(r, &st, err, sql, "tt", now, today);
		if (rc == MG_OK && ((venue ? sqlite3_bind_int64(st, 3, venue_id)
					   : sqlite3_bind_null(st, 3)) ||
				    (date ? sqlite3_bind_text(st, 4, date, -1, SQLITE_TRANSIENT)
					  : sqlite3_bind_null(st, 4)) ||
				    sqlite3_step(st) != SQLITE_ROW))
			rc = resv_x_dberr(r, err, "waiting list");
		if (rc == MG_OK && sqlite3_column_int64(st, 0)) {
			resv_x_refuse(r, RESV_WHY_SEATS_FREE);
			rc = mg_fail(err, MG_ERR_CONFLICT, "there are free seats there; book one");
		}
		resv_x_done(r, st);
	}
	if (rc == MG_OK)
		rc = check_contact(r, contact, &c, err);
	if (rc == MG_OK) {
		sqlite3_stmt *st;
		rc = resv_x_prep(r, &st, err, "INSERT INTO resv_waitlist(ticket, venue_id, date,"
				 " status, name_kana, phone, email, created_at)"
				 " VALUES(?, ?, ?, 'waiting', ?, ?, ?, ?)", "t", ticket);
		if (rc == MG_OK && ((venue ? sqlite3_bind_int64(st, 2, venue_id)
					   : sqlite3_bind_null(st, 2)) ||
				    sqlite3_bind_text(st, 3, date, -1, SQLITE_TRANSIENT) ||
				    sqlite3_bind_text(st, 4, c.has_kana ? c.kana : NULL, -1,
						      SQLITE_TRANSIENT) ||
				    sqlite3_bind_text(st, 5, c.has_phone ? c.phone : NULL, -1,
						      SQLITE_TRANSIENT) ||
				    sqlite3_bind_text(st, 6, c.has_email ? c.email : NULL, -1,
						      SQLITE_TRANSIENT) ||
				    sqlite3_bind_int64(st, 7, resv_x_now(r)) ||
				    sqlite3_step(st) != SQLITE_DONE))
			rc = resv_x_dberr(r, err, "waiting list");
		resv_x_done(r, st);
		if (rc == MG_OK && wait_id)
			*wait_id = sqlite3_last_insert_rowid(r->db);
	}
	return resv_x_end(r, rc, err);
}

/* ---- Offers ------------------------------------------------------------------- */

static int outbox_offer(struct resv *r, long long offer_id, char *err)
{
	sqlite3_stmt *st;
	int rc = resv_x_prep(r, &st, err,
			     "SELECT o.ticket, o.slot_id, v.code, v.name, s.date, s.start, s.product,"
			     " o.expires_at, w.name_kana, w.phone, w.email FROM resv_offers o"
			     " JOIN resv_slots s ON s.id = o.slot_id JOIN resv_venues v ON v.id = s.venue_id"
			     " JOIN resv_waitlist w ON w.id = o.waitlist_id WHERE o.id = ?", "i", offer_id);
	json_t *payload = NULL;
	if (rc == MG_OK && sqlite3_step(st) != SQLITE_ROW)
		rc = resv_x_dberr(r, err, "offer");
	if (rc == MG_OK) {
		payload = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I}",
				    "offer_id", (json_int_t)offer_id,
				    "ticket", (const char *)sqlite3_column_text(st, 0),
				    "slot_id", (json_int_t)sqlite3_column_int64(st, 1),
				    "venue", (const char *)sqlite3_column_text(st, 2),
				    "venue_name", (const char *)sqlite3_column_text(st, 3),
				    "date", (const char *)sqlite3_column_text(st, 4),
				    "start", (const char *)sqlite3_column_text(st, 5),
				    "product", (const char *)sqlite3_column_text(st, 6),
				    "expires_at", (json_int_t)sqlite3_column_int64(st, 7));
		/* Whatever contact the resident left when joining the list, for the sender. */
		resv_x_contact_json(payload, st, 8);
		rc = resv_x_outbox(r, (const char *)sqlite3_column_text(st, 0), "offer", payload, err);
	}
	json_decref(payload);
	resv_x_done(r, st);
	return rc;
}

int resv_x_offer_freed_seat(struct resv *r, long long slot_id, char *err)
{
	struct resv_x_slot slot;
	int rc = resv_x_slot(r, slot_id, &slot, err);
	if (rc != MG_OK || slot.started || slot.closed)
		return rc;
	/* Oldest first: those who waited longest are offered first; a resident
	 * the rules do not allow into this slot keeps their place. */
	sqlite3_stmt *st;
	rc = resv_x_prep(r, &st, err, "SELECT id, ticket FROM resv_waitlist WHERE status = 'waiting'"
			 " AND (venue_id IS NULL OR venue_id = ?) AND (date IS NULL OR date = ?)"
			 " ORDER BY id", "it", slot.venue_id, slot.date);
	long long wait_id = 0;
	char ticket[RESV_TICKET_LEN + 1] = "";
	while (rc == MG_OK && !wait_id) {
		int s = sqlite3_step(st);
		if (s == SQLITE_DONE)
			break;
		if (s != SQLITE_ROW) {
			rc = resv_x_dberr(r, err, "waiting list");
			break;
		}
		char why[MG_ERR_LEN];
		snprintf(ticket, sizeof ticket, "%s", sqlite3_column_text(st, 1));
		/* Why another resident may not have this seat is not a refusal of
		 * the operation that freed it. */
		struct resv_refusal own = r->refusal;
		int e = resv_x_eligible(r, ticket, slot_id, 0, NULL, why);
		r->refusal = own;
		if (e == MG_OK)
			wait_id = sqlite3_column_int64(st, 0);
		else if (e != MG_ERR_CONFLICT)
			rc = mg_fail(err, e, "%s", why);
	}
	resv_x_done(r, st);
	if (rc != MG_OK || !wait_id)
		return rc;
	int changed = 0;
	long long now = resv_x_now(r);
	rc = resv_x_run(r, &changed, err, "UPDATE resv_slots SET held = held + 1"
			" WHERE id = ? AND booked + held < capacity", "i", slot_id);
	if (rc != MG_OK || !changed)
		return rc;
	rc = resv_x_run(r, NULL, err, "INSERT INTO resv_offers(waitlist_id, ticket, slot_id, status,"
			" created_at, expires_at) VALUES(?, ?, ?, 'pending', ?, ?)", "itiii", wait_id,
			ticket, slot_id, now, now + RESV_OFFER_TTL_S);
	long long offer_id = sqlite3_last_insert_rowid(r->db);
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_waitlist SET status = 'offered' WHERE id = ?",
				"i", wait_id);
	if (rc == MG_OK)
		rc = outbox_offer(r, offer_id, err);
	return rc;
}

/* Ends a pending offer (expired or declined) and passes its seat on. */
static int end_offer(struct resv *r, long long offer_id, const char *status, char *err)
{
	long long slot = 0, wait = 0;
	int rc = resv_x_int(r, &slot, err, "SELECT slot_id FROM resv_offers WHERE id = ?", "i",
			    offer_id);
	if (rc == MG_OK)
		rc = resv_x_int(r, &wait, err, "SELECT waitlist_id FROM resv_offers WHERE id = ?", "i",
				offer_id);
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_offers SET status = ? WHERE id = ?", "ti",
				status, offer_id);
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_waitlist SET status = ? WHERE id = ?", "ti",
				!strcmp(status, "expired") ? "expired" : "left", wait);
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_slots SET held = held - 1 WHERE id = ?",
				"i", slot);
	if (rc == MG_OK)
		rc = resv_x_offer_freed_seat(r, slot, err);
	return rc;
}

int resv_x_expire(struct resv *r, int *expired, char *err)
{
	int n = 0, rc = MG_OK;
	while (rc == MG_OK) {
		long long id = 0;
		rc = resv_x_int(r, &id, err, "SELECT id FROM resv_offers WHERE status = 'pending'"
				" AND expires_at <= ? ORDER BY id LIMIT 1", "i",
				(long long)resv_x_now(r));
		if (rc == MG_ERR_NOT_FOUND) {
			rc = MG_OK;
			break;
		}
		if (rc == MG_OK)
			rc = end_offer(r, id, "expired", err);
		n++;
	}
	if (expired)
		*expired = rc == MG_OK ? n : 0;
	return rc;
}

int resv_expire_offers(struct resv *r, int *expired, char *err)
{
	int rc = resv_x_begin(r, err);
	if (rc == MG_OK)
		rc = resv_x_expire(r, expired, err);
	return resv_x_end(r, rc, err);
}

static int offers_core(struct resv *r, const char *ticket, json_t **out, char *err)
{
	*out = NULL;
	json_t *a = json_array();
	sqlite3_stmt *st = NULL;
	int rc = a ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = resv_x_prep(r, &st, err,
				 "SELECT o.id, o.slot_id, v.code, v.name, s.date, s.start, s.minutes,"
				 " s.product, o.expires_at FROM resv_offers o"
				 " JOIN resv_slots s ON s.id = o.slot_id"
				 " JOIN resv_venues v ON v.id = s.venue_id"
				 " WHERE o.ticket = ? AND o.status = 'pending' AND o.expires_at > ?"
				 " ORDER BY o.id", "ti", ticket, (long long)resv_x_now(r));
	while (rc == MG_OK && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack(
			"{s:I, s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:I}",
			"id", (json_int_t)sqlite3_column_int64(st, 0),
			"slot_id", (json_int_t)sqlite3_column_int64(st, 1),
			"venue", (const char *)sqlite3_column_text(st, 2),
			"venue_name", (const char *)sqlite3_column_text(st, 3),
			"date", (const char *)sqlite3_column_text(st, 4),
			"start", (const char *)sqlite3_column_text(st, 5),
			"minutes", sqlite3_column_int(st, 6),
			"product", (const char *)sqlite3_column_text(st, 7),
			"expires_at", (json_int_t)sqlite3_column_int64(st, 8)));
	resv_x_done(r, st);
	if (rc == MG_OK)
		*out = a;
	else
		json_decref(a);
	return rc;
}

static int history_bookings(struct resv *r, const char *ticket, json_t *list, char *err)
{
	static const char *const keys[] = {"id", "slot_id", "venue", "venue_name", "date", "start",
					   "minutes", "product", "status", "cancel_reason", "?by_staff",
					   NULL};
	return resv_x_rows(r, list, err, keys,
			   "SELECT b.id, b.slot_id, v.code, v.name, s.date, s.start, s.minutes,"
			   " s.product, b.status, b.cancel_reason, b.by_staff FROM resv_bookings b"
			   " JOIN resv_slots s ON s.id = b.slot_id JOIN resv_venues v ON v.id = s.venue_id"
			   " WHERE b.ticket = ? ORDER BY s.date DESC, s.start DESC, b.id DESC", "t", ticket);
}

static int history_core(struct resv *r, const char *ticket, json_t **out, char *err)
{
	*out = NULL;
	long long n = 0;
	json_t *o = json_pack("{s:s, s:o, s:n}", "ticket", ticket, "bookings", json_array(),
			      "waiting");
	int rc = o ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = resv_x_int(r, &n, err, "SELECT count(*) FROM resv_tickets WHERE number = ?", "t",
				ticket);
	if (rc == MG_OK && !n)
		rc = mg_fail(err, MG_ERR_NOT_FOUND, "there is no ticket %s", ticket);
	if (rc == MG_OK)
		rc = history_bookings(r, ticket, json_object_get(o, "bookings"), err);
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK)
		rc = resv_x_prep(r, &st, err, "SELECT v.code, w.date, w.status FROM resv_waitlist w"
				 " LEFT JOIN resv_venues v ON v.id = w.venue_id WHERE w.ticket = ?"
				 " AND w.status IN ('waiting', 'offered')", "t", ticket);
	if (rc == MG_OK && sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(o, "waiting", json_pack(
			"{s:s?, s:s?, s:s}", "venue", (const char *)sqlite3_column_text(st, 0),
			"date", (const char *)sqlite3_column_text(st, 1),
			"status", (const char *)sqlite3_column_text(st, 2)));
	resv_x_done(r, st);
	json_t *offers = NULL;
	if (rc == MG_OK)
		rc = offers_core(r, ticket, &offers, err);
	if (rc == MG_OK)
		json_object_set_new(o, "offers", offers);
	if (rc == MG_OK)
		*out = o;
	else
		json_decref(o);
	return rc;
}

static int accept_core(struct resv *r, const char *ticket, long long offer_id, const char *key,
		       struct resv_booking *out, char *err)
{
	int began = 0;
	char request[32];
	long long id = 0, slot = 0, wait = 0, pending = 0;
	snprintf(request, sizeof request, "offer=%lld", offer_id);
	int rc = idem_key_ok(key, err);
	if (rc == MG_OK)
		began = (rc = resv_x_begin(r, err)) == MG_OK;
	if (rc == MG_OK)
		rc = resv_x_expire(r, NULL, err);
	if (rc == MG_OK)
		rc = idem_lookup(r, ticket, key, "accept", request, &id, err);
	if (rc == MG_OK && !id) {
		rc = resv_x_int(r, &slot, err, "SELECT slot_id FROM resv_offers WHERE id = ?"
				" AND ticket = ?", "it", offer_id, ticket);
		if (rc == MG_ERR_NOT_FOUND)
			rc = mg_fail(err, rc, "there is no such offer for this ticket");
		if (rc == MG_OK)
			rc = resv_x_int(r, &pending, err, "SELECT status = 'pending' FROM resv_offers"
					" WHERE id = ?", "i", offer_id);
		if (rc == MG_OK && !pending) {
			resv_x_refuse(r, RESV_WHY_OFFER_GONE);
			rc = mg_fail(err, MG_ERR_CONFLICT, "the offer has expired or was answered"
				     " already");
		}
		if (rc == MG_OK)
			rc = resv_x_int(r, &wait, err, "SELECT waitlist_id FROM resv_offers"
					" WHERE id = ?", "i", offer_id);
		if (rc == MG_OK)
			rc = resv_x_eligible(r, ticket, slot, 0, NULL, err);
		int changed = 0;
		/* The held seat becomes a booked one. */
		if (rc == MG_OK)
			rc = resv_x_run(r, &changed, err, "UPDATE resv_slots SET held = held - 1,"
					" booked = booked + 1 WHERE id = ? AND held > 0", "i", slot);
		if (rc == MG_OK && !changed)
			rc = mg_fail(err, MG_ERR_INTERNAL, "the offered seat was not held");
		if (rc == MG_OK)
			rc = resv_x_run(r, NULL, err, "INSERT INTO resv_bookings(ticket, slot_id, status,"
					" by_staff, name_kana, phone, email, created_at, updated_at)"
					" SELECT ticket, ?, 'booked', 0, name_kana, phone, email, ?, ?"
					" FROM resv_waitlist WHERE id = ?", "iiii", slot,
					(long long)resv_x_now(r), (long long)resv_x_now(r), wait);
		if (rc == MG_OK)
			id = sqlite3_last_insert_rowid(r->db);
		if (rc == MG_OK)
			rc = resv_x_run(r, NULL, err, "UPDATE resv_offers SET status = 'accepted'"
					" WHERE id = ?", "i", offer_id);
		if (rc == MG_OK)
			rc = resv_x_run(r, NULL, err, "UPDATE resv_waitlist SET status = 'booked'"
					" WHERE id = ?", "i", wait);
		if (rc == MG_OK)
			rc = idem_store(r, ticket, key, "accept", request, id, err);
	}
	if (began)
		rc = resv_x_end(r, rc, err);
	if (rc == MG_OK && out)
		rc = resv_x_load_booking(r, id, out, err);
	return rc;
}

static int decline_core(struct resv *r, const char *ticket, long long offer_id, char *err)
{
	long long pending = 0;
	int rc = resv_x_begin(r, err);
	if (rc == MG_OK)
		rc = resv_x_int(r, &pending, err, "SELECT status = 'pending' FROM resv_offers"
				" WHERE id = ? AND ticket = ?", "it", offer_id, ticket);
	if (rc == MG_ERR_NOT_FOUND)
		rc = mg_fail(err, rc, "there is no such offer for this ticket");
	if (rc == MG_OK && !pending) {
		resv_x_refuse(r, RESV_WHY_OFFER_GONE);
		rc = mg_fail(err, MG_ERR_CONFLICT, "the offer has expired or was answered already");
	}
	if (rc == MG_OK)
		rc = end_offer(r, offer_id, "declined", err);
	return resv_x_end(r, rc, err);
}

/* ---- Lists -------------------------------------------------------------------- */

/* The free slots, none before from (YYYY-MM-DD) and only of product when
 * they are given. */
/* residents: only the slots a resident may still book online (before the
 * same-day cut-off); otherwise the call centre's, until they start. */
static int free_slots(struct resv *r, const char *venue, const char *date, const char *date_to,
		      const char *from, const char *product, int residents, json_t **out, char *err)
{
	long d1, d2;
	char now[17], today[11];
	*out = NULL;
	if (venue && !*venue)
		venue = NULL;
	if (date && !*date)
		date = NULL;
	if (date_to && !*date_to)
		date_to = NULL;
	if ((date && resv_x_date_parse(date, &d1)) || (date_to && resv_x_date_parse(date_to, &d2)))
		return mg_fail(err, MG_ERR_INPUT, "a date is written YYYY-MM-DD");
	if (date_to && !date)
		return mg_fail(err, MG_ERR_INPUT, "a range needs its first date");
	/* A seat held by an offer whose time is up is free again: pass it on
	 * before listing (a write only when an offer is due). */
	long long due = 0;
	int rc = resv_x_int(r, &due, err, "SELECT count(*) FROM resv_offers WHERE status = 'pending'"
			    " AND expires_at <= ?", "i", (long long)resv_x_now(r));
	if (rc == MG_OK && due)
		rc = resv_expire_offers(r, NULL, err);
	if (rc != MG_OK)
		return rc;
	/* free_where compares the cut-off with now: for staff, with now less the
	 * cut-off, which is a slot's start with now. */
	resv_x_time_text(r, resv_x_now(r) - (residents ? 0 : RESV_SAME_DAY_CUTOFF_MIN * 60), now);
	resv_x_date_format(resv_x_today(r), today);
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "SELECT s.id, v.code, v.name, s.date, s.start, s.minutes, s.product, p.name,"
		 " s.capacity - s.booked - s.held, v.name_en, p.name_en FROM resv_slots s"
		 " JOIN resv_venues v ON v.id = s.venue_id JOIN resv_products p ON p.code = s.product"
		 " WHERE %s AND (?3 IS NULL OR v.code = ?3) AND (?4 IS NULL OR s.date >= ?4)"
		 " AND (?4 IS NULL OR s.date <= coalesce(?5, ?4))"
		 " AND (?6 IS NULL OR s.date >= ?6) AND (?7 IS NULL OR s.product = ?7)"
		 " ORDER BY s.date, s.start, v.code", free_where);
	json_t *a = json_array();
	sqlite3_stmt *st = NULL;
	rc = a ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = resv_x_prep(r, &st, err, sql, "ttttttt", now, today, venue, date, date_to, from,
				 product);
	int s = SQLITE_DONE;
	while (rc == MG_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(a, json_pack(
			"{s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:s}",
			"id", (json_int_t)sqlite3_column_int64(st, 0),
			"venue", (const char *)sqlite3_column_text(st, 1),
			"venue_name", (const char *)sqlite3_column_text(st, 2),
			"date", (const char *)sqlite3_column_text(st, 3),
			"start", (const char *)sqlite3_column_text(st, 4),
			"minutes", sqlite3_column_int(st, 5),
			"product", (const char *)sqlite3_column_text(st, 6),
			"product_name", (const char *)sqlite3_column_text(st, 7),
			"free", sqlite3_column_int(st, 8),
			"venue_name_en", (const char *)sqlite3_column_text(st, 9),
			"product_name_en", (const char *)sqlite3_column_text(st, 10)));
	if (rc == MG_OK && s != SQLITE_DONE)
		rc = resv_x_dberr(r, err, "slots");
	resv_x_done(r, st);
	if (rc == MG_OK)
		*out = a;
	else
		json_decref(a);
	return rc;
}

int resv_free_slots(struct resv *r, const char *venue, const char *date, const char *date_to,
		    json_t **out, char *err)
{
	return free_slots(r, venue, date, date_to, NULL, NULL, 0, out, err);
}

static int slots_for_core(struct resv *r, const char *ticket, const char *venue,
			  const char *date, const char *date_to, json_t **out, json_t **rule,
			  char *err)
{
	struct next_dose next;
	char from[11];
	int rc = next_dose(r, ticket, &next, err);
	if (rc != MG_OK)
		return rc;
	if (next.has)
		resv_x_date_format(next.from_day, from);
	rc = free_slots(r, venue, date, date_to, next.has ? from : NULL,
			*next.product ? next.product : NULL, 1, out, err);
	if (rc != MG_OK || !rule || !next.has)
		return rc;
	/* Said the way a refusal says it, so the resident reads one wording. */
	if (next.from_day > resv_x_today(r))
		*rule = json_pack("{s:s, s:s, s:s, s:i}", "reason", "interval", "date", from,
				  "last_dose", next.last, "days", next.days);
	else if (*next.product)
		*rule = json_pack("{s:s, s:s}", "reason", "same_product", "product",
				  next.product_name);
	return MG_OK;
}

int resv_venues(struct resv *r, json_t **out, char *err)
{
	*out = NULL;
	json_t *a = json_array();
	sqlite3_stmt *st = NULL;
	int rc = a ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = resv_x_prep(r, &st, err, "SELECT code, name, address, access, accessibility,"
				 " name_en, address_en FROM resv_venues ORDER BY code", NULL);
	while (rc == MG_OK && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			"code", (const char *)sqlite3_column_text(st, 0),
			"name", (const char *)sqlite3_column_text(st, 1),
			"address", (const char *)sqlite3_column_text(st, 2),
			"access", (const char *)sqlite3_column_text(st, 3),
			"accessibility", (const char *)sqlite3_column_text(st, 4),
			"name_en", (const char *)sqlite3_column_text(st, 5),
			"address_en", (const char *)sqlite3_column_text(st, 6)));
	resv_x_done(r, st);
	if (rc == MG_OK)
		*out = a;
	else
		json_decref(a);
	return rc;
}

int resv_x_load_booking(struct resv *r, long long id, struct resv_booking *out, char *err)
{
	sqlite3_stmt *st;
	int rc = resv_x_prep(r, &st, err,
			     "SELECT b.id, b.ticket, b.slot_id, v.code, v.name, s.date, s.start,"
			     " s.minutes, s.product, b.status, p.name, p.name_en, v.name_en, v.address,"
			     " v.address_en FROM resv_bookings b JOIN resv_slots s ON s.id = b.slot_id"
			     " JOIN resv_venues v ON v.id = s.venue_id"
			     " JOIN resv_products p ON p.code = s.product WHERE b.id = ?", "i", id);
	if (rc == MG_OK) {
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			memset(out, 0, sizeof *out);
			out->id = sqlite3_column_int64(st, 0);
			snprintf(out->ticket, sizeof out->ticket, "%s", sqlite3_column_text(st, 1));
			out->slot_id = sqlite3_column_int64(st, 2);
			snprintf(out->venue, sizeof out->venue, "%s", sqlite3_column_text(st, 3));
			snprintf(out->venue_name, sizeof out->venue_name, "%s",
				 sqlite3_column_text(st, 4));
			snprintf(out->date, sizeof out->date, "%s", sqlite3_column_text(st, 5));
			snprintf(out->start, sizeof out->start, "%s", sqlite3_column_text(st, 6));
			out->minutes = sqlite3_column_int(st, 7);
			snprintf(out->product, sizeof out->product, "%s", sqlite3_column_text(st, 8));
			snprintf(out->status, sizeof out->status, "%s", sqlite3_column_text(st, 9));
			snprintf(out->product_name, sizeof out->product_name, "%s",
				 sqlite3_column_text(st, 10));
			snprintf(out->product_name_en, sizeof out->product_name_en, "%s",
				 sqlite3_column_text(st, 11));
			snprintf(out->venue_name_en, sizeof out->venue_name_en, "%s",
				 sqlite3_column_text(st, 12));
			snprintf(out->address, sizeof out->address, "%s", sqlite3_column_text(st, 13));
			snprintf(out->address_en, sizeof out->address_en, "%s",
				 sqlite3_column_text(st, 14));
		} else if (s == SQLITE_DONE) {
			rc = mg_fail(err, MG_ERR_NOT_FOUND, "there is no booking %lld", id);
		} else {
			rc = resv_x_dberr(r, err, "booking");
		}
	}
	resv_x_done(r, st);
	/* Until when the confirmation may promise a change online. */
	long day = 0;
	if (rc == MG_OK && resv_x_date_parse(out->date, &day))
		rc = mg_fail(err, MG_ERR_INTERNAL, "booking %lld has a bad date", id);
	if (rc == MG_OK)
		resv_x_date_format(change_until(r, day), out->change_until);
	return rc;
}

json_t *resv_booking_json(const struct resv_booking *b)
{
	return json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s,"
			 " s:s, s:s}",
			 "id", (json_int_t)b->id, "ticket", b->ticket,
			 "slot_id", (json_int_t)b->slot_id, "venue", b->venue,
			 "venue_name", b->venue_name, "date", b->date, "start", b->start,
			 "minutes", b->minutes, "product", b->product, "status", b->status,
			 "product_name", b->product_name, "product_name_en", b->product_name_en,
			 "venue_name_en", b->venue_name_en, "address", b->address,
			 "address_en", b->address_en, "change_until", b->change_until);
}

/* ---- The public doors: residents by session, staff by ticket ------------------- */

#define BY_SESSION(call)                                                        \
	char ticket[RESV_TICKET_LEN + 1];                                       \
	resv_x_refuse(r, RESV_WHY_NONE);                                        \
	int rc = resv_session_ticket(r, token, ticket, err);                    \
	return rc == MG_OK ? (call) : rc

#define BY_TICKET(call)                                                         \
	char ticket[RESV_TICKET_LEN + 1];                                       \
	resv_x_refuse(r, RESV_WHY_NONE);                                        \
	int rc = resv_x_ticket_norm(ticket_in, ticket, err);                    \
	return rc == MG_OK ? (call) : rc

int resv_book(struct resv *r, const char *token, const struct resv_request *req,
	      struct resv_booking *out, char *err)
{
	BY_SESSION(book_core(r, ticket, req, 0, out, err));
}

int resv_view(struct resv *r, const char *token, struct resv_booking *out, char *err)
{
	BY_SESSION(view_core(r, ticket, out, err));
}

int resv_change(struct resv *r, const char *token, const struct resv_request *req,
		struct resv_booking *out, char *err)
{
	BY_SESSION(change_core(r, ticket, req, 0, out, err));
}

int resv_cancel(struct resv *r, const char *token, const char *idem_key,
		struct resv_booking *out, char *err)
{
	BY_SESSION(cancel_core(r, ticket, idem_key, 0, out, err));
}

int resv_wait(struct resv *r, const char *token, const char *venue, const char *date,
	      const struct resv_contact *contact, long long *wait_id, char *err)
{
	BY_SESSION(wait_core(r, ticket, venue, date, contact, wait_id, err));
}

int resv_slots_for(struct resv *r, const char *token, const char *venue, const char *date,
		   const char *date_to, json_t **out, json_t **rule, char *err)
{
	*out = NULL;
	if (rule)
		*rule = NULL;
	BY_SESSION(slots_for_core(r, ticket, venue, date, date_to, out, rule, err));
}

int resv_offers(struct resv *r, const char *token, json_t **out, char *err)
{
	*out = NULL;
	BY_SESSION(offers_core(r, ticket, out, err));
}

int resv_accept(struct resv *r, const char *token, long long offer_id, const char *idem_key,
		struct resv_booking *out, char *err)
{
	BY_SESSION(accept_core(r, ticket, offer_id, idem_key, out, err));
}

int resv_decline(struct resv *r, const char *token, long long offer_id, char *err)
{
	BY_SESSION(decline_core(r, ticket, offer_id, err));
}

int resv_staff_book(struct resv *r, const char *ticket_in, const struct resv_request *req,
		    struct resv_booking *out, char *err)
{
	BY_TICKET(book_core(r, ticket, req, 1, out, err));
}

int resv_staff_view(struct resv *r, const char *ticket_in, struct resv_booking *out, char *err)
{
	BY_TICKET(view_core(r, ticket, out, err));
}

int resv_staff_change(struct resv *r, const char *ticket_in, const struct resv_request *req,
		      struct resv_booking *out, char *err)
{
	BY_TICKET(change_core(r, ticket, req, 1, out, err));
}

int resv_staff_cancel(struct resv *r, const char *ticket_in, const char *idem_key,
		      struct resv_booking *out, char *err)
{
	BY_TICKET(cancel_core(r, ticket, idem_key, 1, out, err));
}

int resv_staff_wait(struct resv *r, const char *ticket_in, const char *venue, const char *date,
		    const struct resv_contact *contact, long long *wait_id, char *err)
{
	BY_TICKET(wait_core(r, ticket, venue, date, contact, wait_id, err));
}

int resv_staff_offers(struct resv *r, const char *ticket_in, json_t **out, char *err)
{
	*out = NULL;
	BY_TICKET(offers_core(r, ticket, out, err));
}

int resv_staff_history(struct resv *r, const char *ticket_in, json_t **out, char *err)
{
	*out = NULL;
	BY_TICKET(history_core(r, ticket, out, err));
}

int resv_staff_accept(struct resv *r, const char *ticket_in, long long offer_id,
		      const char *idem_key, struct resv_booking *out, char *err)
{
	BY_TICKET(accept_core(r, ticket, offer_id, idem_key, out, err));
}
