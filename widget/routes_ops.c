/* The staff console's booking operations under /api/v1/admin/ops/: a venue's
 * day at its desk (reception), a caller's bookings (the call centre), slots,
 * the booking report, the outbox, the national record (VRS) file, the
 * set-up files' import (administrators) and the waiting list. Every route passes the
 * console's gate (session 401, role 403, CSRF token for a change) and calls
 * reservation/ on this worker thread's connection; a refusal is a JSON error
 * with the rules' reason for the console to say in Japanese. Which venues a
 * reception account sees is decided in reservation/ (its desk). */
#include "widget/routes_admin.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "reservation/resv.h"
#include "widget/routes_booking.h"

/* Each route below runs with s (the gate's session) and r (the connection). */
#define OPS_BEGIN(right, change)                                       \
	struct staff_session s;                                        \
	int status_ = admin_gate(c, (right), (change), &s);            \
	if (status_)                                                   \
		return status_;                                        \
	struct resv *r = booking_resv(c);                              \
	if (!r)                                                        \
		return 500

/* What staff type as a ticket number (full-width digits, hyphens). */
#define OPS_TICKET_MAX 60
/* Days the report and the slot list show when none are asked for: a week. */
#define OPS_DEFAULT_DAYS 7

/* A reception account sees its desk's venues; the other roles every venue. */
static const char *desk_of(const struct staff_session *s)
{
	return s->role == STAFF_RECEPTION ? s->name : NULL;
}

static const char *arg(struct http_call *c, const char *name)
{
	const char *v = http_call_arg(c, name);
	return v && *v ? v : NULL;
}

static int reply(struct http_call *c, json_t *v, json_t **out)
{
	*out = v;
	return v ? 200 : http_fail(c, 500, "out of memory");
}

/* The status of an operation's rc: a refusal with its reason; an error
 * without one gets a reason the console can word all the same. */
static int refused(struct http_call *c, struct resv *r, int rc, const char *why)
{
	int status = booking_refused(c, r, rc);
	if (!c->detail && why)
		c->detail = json_pack("{s:s}", "reason", why);
	return status;
}

/* The town's day at the server's clock, days from today. */
static void day_from_today(struct http_call *c, int days, char out[11])
{
	nlp_zone_day(town_zone(http_call_town(c)), http_call_now(c) + (time_t)days * 86400, out);
}

/* A change and its audit record are one write of r's connection: a change
 * that cannot be recorded is not made (its failure is the request's).
 * Ends the resv_write_begin around the change with rc, the change's, and
 * the record's when the change was made. */
static int ops_end_change(struct resv *r, int rc, const struct staff_session *s, const char *action,
			  const char *target, json_t *before, json_t *after, char *err)
{
	if (rc == MG_OK)
		rc = staff_audit(resv_db(r), s, action, target, before, after, err);
	return resv_write_end(r, rc, err);
}

static int ops_end(struct resv *r, int rc, const struct staff_session *s, const char *action,
		   const char *target, json_t *after, char *err)
{
	return ops_end_change(r, rc, s, action, target, NULL, after, err);
}

static int body_int(struct http_call *c, const char *key, long long lo, long long hi, long long *out)
{
	json_t *v = json_object_get(c->body, key);
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return http_fail(c, 400, "%s must be a whole number from %lld to %lld", key, lo, hi);
	*out = (long long)json_integer_value(v);
	return 0;
}

/* ---- reception ---------------------------------------------------------------- */

static int h_day(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_RECEPTION_OPS, 0);
	struct resv_day_query q = {.date = arg(c, "date"), .venue = arg(c, "venue"),
				   .status = arg(c, "status"), .find = arg(c, "find"),
				   .from = arg(c, "from"), .to = arg(c, "to")};
	static const char *const sorts[] = {"time", "status", "name", "ticket"};
	const char *sort = arg(c, "sort");
	for (int i = 0; sort && i < 4; i++)
		if (!strcmp(sort, sorts[i]))
			q.sort = (enum resv_sort)i, sort = NULL;
	if (sort)
		return http_fail(c, 400, "sort is time, status, name or ticket");
	int rc = resv_day_list(r, desk_of(&s), &q, out, c->msg);
	if (rc == MG_OK)
		json_object_set_new(*out, "all_venues", json_boolean(!desk_of(&s)));
	return rc == MG_OK ? 200 : refused(c, r, rc, rc == MG_ERR_DENIED ? "not_your_venue" : NULL);
}

/* {ticket, step: checkin|vaccinated|examined|no_show, lot}: a step at the desk. */
static int h_desk(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_RECEPTION_OPS, 1);
	static const char *const steps[] = {"checkin", "vaccinated", "examined", "no_show"};
	const char *ticket, *step, *lot;
	int st = booking_body_str(c, "ticket", OPS_TICKET_MAX, &ticket);
	if (!st)
		st = booking_body_str(c, "step", 16, &step);
	if (!st)
		st = booking_body_str(c, "lot", RESV_LOT_MAX, &lot);
	if (st)
		return st;
	int act = -1;
	for (int i = 0; step && i < 4; i++)
		if (!strcmp(step, steps[i]))
			act = i;
	if (!ticket || act < 0)
		return http_fail(c, 400, "ticket and step (checkin, vaccinated, examined, no_show)"
				 " are required");
	struct resv_booking b;
	json_t *after = NULL;
	char action[32];
	snprintf(action, sizeof action, "desk.%s", steps[act]);
	int rc = resv_write_begin(r, c->msg);
	if (rc == MG_OK)
		rc = resv_desk_act(r, desk_of(&s), ticket, (enum resv_desk_act)act, lot, &b, c->msg);
	if (rc == MG_OK && (after = resv_booking_json(&b)) && lot)
		json_object_set_new(after, "lot", json_string(lot));
	rc = ops_end(r, rc, &s, action, rc == MG_OK ? b.ticket : NULL, after, c->msg);
	if (rc != MG_OK) {
		json_decref(after);
		return refused(c, r, rc, NULL);
	}
	return reply(c, json_pack("{s:o}", "reservation", after), out);
}

/* ---- the call centre ----------------------------------------------------------- */

/* The caller on the phone, by ticket number and birth date: checked as at
 * the resident's log-in, before every operation on their behalf. */
static int caller(struct http_call *c, struct resv *r, const struct staff_session *s,
		  char ticket[RESV_TICKET_LEN + 1])
{
	const char *t, *birth;
	int st = booking_body_str(c, "ticket", OPS_TICKET_MAX, &t);
	if (!st)
		st = booking_body_str(c, "birth_date", NLP_DATE_MAX_BYTES, &birth);
	if (st)
		return st;
	if (!t || !birth)
		return http_fail(c, 400, "ticket and birth_date are required");
	int rc = resv_caller_check(r, t, birth, s->name, ticket, c->msg);
	if (rc == MG_OK)
		return 0;
	/* The member of staff is logged in: the caller's details not matching
	 * refuses the operation (403), it does not end the staff's session (401). */
	if (rc == MG_ERR_AUTH)
		rc = MG_ERR_DENIED;
	return refused(c, r, rc, rc == MG_ERR_DENIED ? "no_match" : rc == MG_ERR_RATE ? "rate" : NULL);
}

static int history_reply(struct http_call *c, struct resv *r, const char *ticket,
			 const struct resv_booking *b, json_t **out)
{
	json_t *h = NULL;
	int rc = resv_staff_history(r, ticket, &h, c->msg);
	if (rc != MG_OK)
		return refused(c, r, rc, NULL);
	if (b)
		json_object_set_new(h, "reservation", resv_booking_json(b));
	return reply(c, h, out);
}

static int h_caller(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_CALL_CENTER_OPS, 1);
	char ticket[RESV_TICKET_LEN + 1];
	int st = caller(c, r, &s, ticket);
	return st ? st : history_reply(c, r, ticket, NULL, out);
}

/* {ticket, birth_date, ...} and one operation: book and change take slot
 * (and venue), wait venue and/or date, accept offer. */
static int call_op(struct http_call *c, json_t **out, const char *op)
{
	OPS_BEGIN(STAFF_CALL_CENTER_OPS, 1);
	char ticket[RESV_TICKET_LEN + 1];
	int st = caller(c, r, &s, ticket);
	struct resv_request req = {0};
	const char *venue = NULL, *date = NULL;
	long long id = 0;
	if (!st && (!strcmp(op, "book") || !strcmp(op, "change")))
		st = body_int(c, "slot", 1, INT64_MAX, &req.slot_id);
	if (!st && !strcmp(op, "accept"))
		st = body_int(c, "offer", 1, INT64_MAX, &id);
	if (!st)
		st = booking_body_str(c, "venue", RESV_CODE_MAX, &venue);
	if (!st)
		st = booking_body_str(c, "date", NLP_DATE_LEN, &date);
	if (st)
		return st;
	req.venue = venue;
	struct resv_booking b;
	int booked = strcmp(op, "wait") != 0;
	int rc = resv_write_begin(r, c->msg);
	if (rc != MG_OK)
		return refused(c, r, rc, NULL);
	if (!strcmp(op, "book"))
		rc = resv_staff_book(r, ticket, &req, &b, c->msg);
	else if (!strcmp(op, "change"))
		rc = resv_staff_change(r, ticket, &req, &b, c->msg);
	else if (!strcmp(op, "cancel"))
		rc = resv_staff_cancel(r, ticket, NULL, &b, c->msg);
	else if (!strcmp(op, "accept"))
		rc = resv_staff_accept(r, ticket, id, NULL, &b, c->msg);
	else
		rc = resv_staff_wait(r, ticket, venue, date, NULL, &id, c->msg);
	char action[32];
	snprintf(action, sizeof action, "call.%s", op);
	json_t *after = rc != MG_OK ? NULL
		      : booked    ? resv_booking_json(&b)
				  : json_pack("{s:s?, s:s?}", "venue", venue, "date", date);
	rc = ops_end(r, rc, &s, action, ticket, after, c->msg);
	json_decref(after);
	if (rc != MG_OK)
		return refused(c, r, rc, NULL);
	if (!strcmp(op, "cancel"))
		booking_log_cancelled(c, b.id);
	return history_reply(c, r, ticket, booked ? &b : NULL, out);
}

static int h_call_book(struct http_call *c, json_t **out) { return call_op(c, out, "book"); }
static int h_call_change(struct http_call *c, json_t **out) { return call_op(c, out, "change"); }
static int h_call_cancel(struct http_call *c, json_t **out) { return call_op(c, out, "cancel"); }
static int h_call_wait(struct http_call *c, json_t **out) { return call_op(c, out, "wait"); }
static int h_call_accept(struct http_call *c, json_t **out) { return call_op(c, out, "accept"); }

/* The venues and free slots to offer a caller (venue, date, to). */
static int h_free(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_CALL_CENTER_OPS, 0);
	json_t *venues = NULL, *slots = NULL;
	int rc = resv_venues(r, &venues, c->msg);
	if (rc == MG_OK)
		rc = resv_free_slots(r, arg(c, "venue"), arg(c, "date"), arg(c, "to"), &slots, c->msg);
	if (rc != MG_OK) {
		json_decref(venues);
		return refused(c, r, rc, NULL);
	}
	return reply(c, json_pack("{s:o, s:o}", "venues", venues, "slots", slots), out);
}

/* ---- administrators ------------------------------------------------------------- */

/* The venues, products and the reception accounts' venues, for the forms. */
static int h_setup(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 0);
	json_t *venues = NULL, *settings = NULL;
	int rc = resv_venues(r, &venues, c->msg);
	if (rc == MG_OK)
		rc = resv_settings_json(r, &settings, c->msg);
	if (rc != MG_OK) {
		json_decref(venues);
		return refused(c, r, rc, NULL);
	}
	char today[11];
	day_from_today(c, 0, today);
	const struct nlp_zone *zone = town_zone(http_call_town(c));
	json_t *o = json_pack("{s:o, s:O, s:s, s:s?}", "venues", venues, "products",
			      json_object_get(settings, "products"), "today", today, "zone",
			      zone ? nlp_zone_name(zone) : NULL);
	json_decref(settings);
	return reply(c, o, out);
}

/* from and to of the query, by default this week from today. */
static void range(struct http_call *c, const char **from, const char **to, char d1[11], char d2[11])
{
	day_from_today(c, 0, d1);
	day_from_today(c, OPS_DEFAULT_DAYS - 1, d2);
	*from = arg(c, "from") ? arg(c, "from") : d1;
	*to = arg(c, "to") ? arg(c, "to") : d2;
}

static int h_slot_list(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 0);
	const char *from, *to;
	char d1[11], d2[11];
	range(c, &from, &to, d1, d2);
	json_t *list = NULL;
	int rc = resv_slots_list(r, arg(c, "venue"), from, to, &list, c->msg);
	if (rc != MG_OK)
		return refused(c, r, rc, NULL);
	return reply(c, json_pack("{s:s, s:s, s:o}", "from", from, "to", to, "slots", list), out);
}

/* {venue, product, from, to, times: ["09:00"...], minutes, capacity,
 * weekdays: [1..5] (0 Sunday; absent: every day)}. */
static int h_slots_create(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 1);
	struct resv_slot_plan p = {0};
	const char *times[RESV_SLOT_TIMES_MAX];
	long long minutes = 0, capacity = 0;
	int st = booking_body_str(c, "venue", RESV_CODE_MAX, &p.venue);
	if (!st)
		st = booking_body_str(c, "product", RESV_CODE_MAX, &p.product);
	if (!st)
		st = booking_body_str(c, "from", NLP_DATE_LEN, &p.from);
	if (!st)
		st = booking_body_str(c, "to", NLP_DATE_LEN, &p.to);
	if (!st)
		st = body_int(c, "minutes", RESV_SLOT_MIN_MINUTES, RESV_SLOT_MAX_MINUTES, &minutes);
	if (!st)
		st = body_int(c, "capacity", 0, RESV_SLOT_MAX_CAPACITY, &capacity);
	if (st)
		return st;
	json_t *a = json_object_get(c->body, "times"), *v;
	size_t i;
	if (!json_is_array(a) || !json_array_size(a) || json_array_size(a) > RESV_SLOT_TIMES_MAX)
		return http_fail(c, 400, "times is a list of 1 to %d times", RESV_SLOT_TIMES_MAX);
	json_array_foreach(a, i, v) {
		if (!(times[i] = json_string_value(v)))
			return http_fail(c, 400, "times is a list of times HH:MM");
	}
	p.times = times;
	p.ntimes = (int)json_array_size(a);
	json_array_foreach(json_object_get(c->body, "weekdays"), i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 6)
			return http_fail(c, 400, "weekdays are 0 (Sunday) to 6 (Saturday)");
		p.weekdays |= 1u << json_integer_value(v);
	}
	p.minutes = (int)minutes;
	p.capacity = (int)capacity;
	int created = 0, existing = 0;
	json_t *after = NULL;
	int rc = resv_write_begin(r, c->msg);
	if (rc == MG_OK)
		rc = resv_slots_create(r, &p, &created, &existing, c->msg);
	if (rc == MG_OK)
		after = json_pack("{s:O, s:i, s:i}", "plan", c->body, "created", created, "existing", existing);
	rc = ops_end(r, rc, &s, "slots.create", p.venue, after, c->msg);
	json_decref(after);
	if (rc != MG_OK)
		return refused(c, r, rc, NULL);
	return reply(c, json_pack("{s:i, s:i}", "created", created, "existing", existing), out);
}

/* {slot, capacity} or, for close, {slot}. */
static int slot_change(struct http_call *c, json_t **out, int close)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 1);
	long long slot = 0, capacity = 0;
	int st = body_int(c, "slot", 1, INT64_MAX, &slot);
	if (!st && !close)
		st = body_int(c, "capacity", 0, RESV_SLOT_MAX_CAPACITY, &capacity);
	if (st)
		return st;
	int n = 0;
	json_t *cancelled = NULL, *after = NULL;
	int rc = resv_write_begin(r, c->msg);
	if (rc == MG_OK)
		rc = close ? resv_slot_close(r, slot, &n, &cancelled, c->msg)
			   : resv_slot_set_capacity(r, slot, (int)capacity, &n, c->msg);
	if (rc == MG_OK)
		after = close ? json_pack("{s:b, s:i}", "closed", 1, "notified", n)
			      : json_pack("{s:I, s:i}", "capacity", (json_int_t)capacity, "offered", n);
	char target[32];
	snprintf(target, sizeof target, "slot %lld", slot);
	rc = ops_end(r, rc, &s, close ? "slots.close" : "slots.capacity", target, after, c->msg);
	json_decref(after);
	if (rc != MG_OK) {
		json_decref(cancelled);
		return refused(c, r, rc, NULL);
	}
	/* Each booking the closure cancelled counts against the conversation
	 * that made it, as a cancellation by anyone else does. */
	size_t i;
	json_t *b;
	json_array_foreach(cancelled, i, b)
		booking_log_cancelled(c, json_integer_value(json_object_get(b, "id")));
	json_decref(cancelled);
	return reply(c, json_pack("{s:i}", close ? "notified" : "offered", n), out);
}

static int h_capacity(struct http_call *c, json_t **out) { return slot_change(c, out, 0); }
static int h_close(struct http_call *c, json_t **out) { return slot_change(c, out, 1); }

static int report(struct http_call *c, struct resv *r, json_t **out)
{
	const char *from, *to;
	char d1[11], d2[11];
	range(c, &from, &to, d1, d2);
	int rc = resv_report(r, arg(c, "venue"), from, to, out, c->msg);
	return rc == MG_OK ? 200 : refused(c, r, rc, NULL);
}

static int h_report(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 0);
	return report(c, r, out);
}

static int report_csv(void *ctx, FILE *f, char *err)
{
	return resv_report_csv(ctx, f, err);
}

static int h_report_csv(struct http_call *c, json_t **out)
{
	(void)out;
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 0);
	json_t *rep = NULL;
	int status = report(c, r, &rep);
	if (status != 200)
		return status;
	int rc = admin_download(c, "madoguchi-bookings.csv", report_csv, rep, c->msg);
	json_decref(rep);
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, c->msg);
}

struct vrs_csv {
	struct resv *r;
	const char *from, *to, *municipality;
};

static int vrs_csv(void *ctx, FILE *f, char *err)
{
	struct vrs_csv *v = ctx;
	return resv_vrs_csv(v->r, v->from, v->to, v->municipality, f, NULL, err);
}

/* The national vaccination record (VRS) file of ?from=&to= (to: from), the
 * dates as staff write them, with the town's municipality code. */
static int h_vrs(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 0);
	(void)out;
	if (!arg(c, "from"))
		return http_fail(c, 400, "from is required (the first day of doses to export)");
	struct vrs_csv v = {r, arg(c, "from"), arg(c, "to"), town_municipality_code(http_call_town(c))};
	int rc = admin_download(c, "madoguchi-vrs.csv", vrs_csv, &v, c->msg);
	return rc == MG_OK ? 200 : refused(c, r, rc, NULL);
}

/* Who waits at ?venue= on ?date= (each optional), since when, offers sent;
 * with the venues (the filter's choices) and the town's zone (its times). */
static int h_waitlist(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_CALL_CENTER_OPS, 0);
	json_t *list = NULL, *venues = NULL;
	int rc = resv_waitlist(r, arg(c, "venue"), arg(c, "date"), &list, c->msg);
	if (rc == MG_OK)
		rc = resv_venues(r, &venues, c->msg);
	if (rc != MG_OK) {
		json_decref(list);
		return refused(c, r, rc, NULL);
	}
	const struct nlp_zone *zone = town_zone(http_call_town(c));
	return reply(c, json_pack("{s:o, s:o, s:s?}", "waiting", list, "venues", venues, "zone",
				  zone ? nlp_zone_name(zone) : NULL), out);
}

/* ---- imports: the town's set-up files uploaded ----------------------------------- */

static const char *const import_kinds[] = {
	[RESV_IMPORT_VENUES] = "venues", [RESV_IMPORT_SLOTS] = "slots",
	[RESV_IMPORT_TICKETS] = "tickets", [RESV_IMPORT_PRODUCTS] = "products"};

static void bad_row(void *ctx, const struct resv_bad_row *b)
{
	json_array_append_new(ctx, json_pack("{s:i, s:s, s:s, s:i, s:i, s:s}", "line", b->line,
					     "reason", b->reason, "value", b->value, "lo", b->lo,
					     "hi", b->hi, "message", b->message));
}

/* {kind: venues|products|slots|tickets, csv_base64}: base64 so that a CP932
 * file arrives byte for byte. All or nothing, as `booking import-*`: with bad
 * rows, 200 with ok false and the rows by line and reason. */
static int h_import(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 1);
	const char *kind = json_string_value(json_object_get(c->body, "kind"));
	int k = -1;
	for (int i = 0; kind && i < (int)(sizeof import_kinds / sizeof *import_kinds); i++)
		if (!strcmp(kind, import_kinds[i]))
			k = i;
	if (k < 0)
		return http_fail(c, 400, "kind is venues, products, slots or tickets");
	char *data;
	size_t len;
	int st = http_body_base64(c, "csv_base64", &data, &len);
	if (st)
		return st;
	json_t *bad = json_array(), *after = NULL;
	int rows = 0, rc = bad ? resv_write_begin(r, c->msg) : mg_fail(c->msg, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK) {
		rc = resv_import_data(r, (enum resv_import_kind)k, data, len, "upload.csv", bad_row, bad,
				      &rows, c->msg);
		if (rc == MG_OK)
			after = json_pack("{s:s, s:i}", "kind", import_kinds[k], "rows", rows);
		rc = ops_end(r, rc, &s, "booking.import", import_kinds[k], after, c->msg);
		json_decref(after);
	}
	free(data);
	if (rc != MG_OK && !json_array_size(bad)) {
		json_decref(bad);
		return refused(c, r, rc, NULL);
	}
	return reply(c, json_pack("{s:b, s:s, s:i, s:o, s:s}", "ok", rc == MG_OK, "kind", import_kinds[k],
				  "imported", rc == MG_OK ? rows : 0, "errors", bad, "message",
				  rc == MG_OK ? "" : c->msg), out);
}

int ops_upload_gate(struct http_call *c)
{
	struct staff_session s;
	return admin_gate(c, STAFF_MANAGE_SLOTS, 1, &s);
}

/* The notifications waiting for the mail or LINE sender (all=1: sent too). */
static int h_outbox(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 0);
	json_t *list = NULL;
	const char *all = arg(c, "all");
	int rc = resv_outbox(r, !(all && !strcmp(all, "1")), &list, c->msg);
	if (rc != MG_OK)
		return refused(c, r, rc, NULL);
	return reply(c, json_pack("{s:o}", "outbox", list), out);
}

/* GET ?name= the venues of a reception account; POST {name, venues: [codes]}
 * gives it exactly those. */
static int h_desks(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 0);
	json_t *list = NULL;
	int rc = arg(c, "name") ? resv_desk_venues(r, arg(c, "name"), &list, c->msg)
				: mg_fail(c->msg, MG_ERR_INPUT, "name is required");
	if (rc != MG_OK)
		return refused(c, r, rc, NULL);
	return reply(c, json_pack("{s:o}", "venues", list), out);
}

static int h_desks_set(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 1);
	const char *name, *codes[64];
	int st = booking_body_str(c, "name", STAFF_NAME_MAX, &name);
	if (st)
		return st;
	json_t *a = json_object_get(c->body, "venues"), *v;
	size_t i;
	if (!name || !json_is_array(a) || json_array_size(a) > sizeof codes / sizeof *codes)
		return http_fail(c, 400, "name and venues (a list of venue codes) are required");
	json_array_foreach(a, i, v) {
		if (!(codes[i] = json_string_value(v)))
			return http_fail(c, 400, "venues is a list of venue codes");
	}
	int rc = resv_write_begin(r, c->msg);
	if (rc == MG_OK)
		rc = resv_desk_set(r, name, codes, (int)json_array_size(a), c->msg);
	rc = ops_end(r, rc, &s, "desk.venues", name, a, c->msg);
	if (rc != MG_OK)
		return refused(c, r, rc, NULL);
	json_t *list = NULL;
	rc = resv_desk_venues(r, name, &list, c->msg);
	return rc == MG_OK ? reply(c, json_pack("{s:o}", "venues", list), out) : refused(c, r, rc, NULL);
}

/* The element of list (a JSON array of objects) whose code is code, or NULL. */
static json_t *by_code(json_t *list, const char *code)
{
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o)
		if (!strcmp(json_string_value(json_object_get(o, "code")), code))
			return o;
	return NULL;
}

/* v as an int, or bad when it is none (not a whole number, or too large). */
static int int_or(json_t *v, int bad)
{
	json_int_t n = json_integer_value(v);
	return json_is_integer(v) && n >= INT_MIN && n <= INT_MAX ? (int)n : bad;
}

static const char *text_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A venue or a product saved from its form (set, checked as a set-up file's
 * row is: resv_set_venue, resv_set_product) in one write with its audit
 * record, which holds the one before and after; a refusal says the field
 * (reason) the import's rows say. The lists are read inside the write, once
 * before and once after: the audit's "after" and the reply are the same read,
 * so a save that was made is never reported as failed. */
static int save_setup(struct http_call *c, struct resv *r, const struct staff_session *s, const char *why,
		      int venue, const void *item, const char *code, json_t **out)
{
	if (why) {
		int lo, hi;
		resv_check_range(why, &lo, &hi);
		json_decref(c->detail);
		c->detail = json_pack("{s:s,s:i,s:i}", "reason", why, "lo", lo, "hi", hi);
		return http_fail(c, 400, "%s", c->msg);
	}
	json_t *venues = NULL, *settings = NULL, *before = NULL;
	int rc = resv_write_begin(r, c->msg);
	if (rc == MG_OK)
		rc = venue ? resv_venues(r, &venues, c->msg) : resv_settings_json(r, &settings, c->msg);
	if (rc == MG_OK) {
		before = json_incref(by_code(venue ? venues : json_object_get(settings, "products"), code));
		json_decref(venues);
		json_decref(settings);
		venues = settings = NULL;
		rc = venue ? resv_set_venue(r, item, c->msg) : resv_set_product(r, item, c->msg);
	}
	if (rc == MG_OK)
		rc = resv_venues(r, &venues, c->msg);
	if (rc == MG_OK)
		rc = resv_settings_json(r, &settings, c->msg);
	json_t *products = json_object_get(settings, "products");
	rc = ops_end_change(r, rc, s, venue ? "venue.save" : "product.save", code, before,
			    rc == MG_OK ? by_code(venue ? venues : products, code) : NULL, c->msg);
	json_decref(before);
	if (rc != MG_OK) {
		json_decref(venues);
		json_decref(settings);
		return refused(c, r, rc, NULL);
	}
	json_t *o = json_pack("{s:o, s:O}", "venues", venues, "products", products);
	json_decref(settings);
	return reply(c, o, out);
}

/* {venue: {code, name, address, access, accessibility, name_en, address_en}}:
 * the venue with that code created or replaced. */
static int h_venue(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 1);
	json_t *f = json_object_get(c->body, "venue");
	if (!json_is_object(f))
		return http_fail(c, 400, "venue must be an object of fields");
	struct resv_venue v = {text_of(f, "code"), text_of(f, "name"), text_of(f, "address"), text_of(f, "access"),
			       text_of(f, "accessibility"), text_of(f, "name_en"), text_of(f, "address_en")};
	return save_setup(c, r, &s, resv_venue_check(&v, c->msg), 1, &v, v.code, out);
}

/* {product: {code, name, min_interval_days, same_product (true/false),
 * horizon_days, name_en}}: the vaccine with that code and its rules. */
static int h_product(struct http_call *c, json_t **out)
{
	OPS_BEGIN(STAFF_MANAGE_SLOTS, 1);
	json_t *f = json_object_get(c->body, "product");
	if (!json_is_object(f))
		return http_fail(c, 400, "product must be an object of fields");
	json_t *same = json_object_get(f, "same_product"), *min = json_object_get(f, "min_interval_days"),
	       *horizon = json_object_get(f, "horizon_days");
	/* what is no number (or no yes/no) is out of range for the shared check */
	struct resv_product p = {text_of(f, "code"), text_of(f, "name"), int_or(min, -1),
				 json_is_boolean(same) ? json_is_true(same) : -1, int_or(horizon, 0),
				 text_of(f, "name_en")};
	return save_setup(c, r, &s, resv_product_check(&p, c->msg), 0, &p, p.code, out);
}

const struct http_route http_ops_routes[] = {
	{"GET", "/api/v1/admin/ops/day", h_day, 0},
	{"POST", "/api/v1/admin/ops/desk", h_desk, 0},
	{"POST", "/api/v1/admin/ops/caller", h_caller, 0},
	{"POST", "/api/v1/admin/ops/book", h_call_book, 0},
	{"POST", "/api/v1/admin/ops/change", h_call_change, 0},
	{"POST", "/api/v1/admin/ops/cancel", h_call_cancel, 0},
	{"POST", "/api/v1/admin/ops/wait", h_call_wait, 0},
	{"POST", "/api/v1/admin/ops/accept", h_call_accept, 0},
	{"GET", "/api/v1/admin/ops/free", h_free, 0},
	{"GET", "/api/v1/admin/ops/setup", h_setup, 0},
	{"GET", "/api/v1/admin/ops/slots", h_slot_list, 0},
	{"POST", "/api/v1/admin/ops/slots", h_slots_create, 0},
	{"POST", "/api/v1/admin/ops/capacity", h_capacity, 0},
	{"POST", "/api/v1/admin/ops/close", h_close, 0},
	{"GET", "/api/v1/admin/ops/report", h_report, 0},
	{"GET", "/api/v1/admin/ops/report.csv", h_report_csv, 0},
	{"GET", "/api/v1/admin/ops/outbox", h_outbox, 0},
	{"GET", "/api/v1/admin/ops/desks", h_desks, 0},
	{"POST", "/api/v1/admin/ops/desks", h_desks_set, 0},
	{"GET", "/api/v1/admin/ops/vrs.csv", h_vrs, 0},
	{"GET", "/api/v1/admin/ops/waitlist", h_waitlist, 0},
	{"POST", "/api/v1/admin/ops/venue", h_venue, 0},
	{"POST", "/api/v1/admin/ops/product", h_product, 0},
	{NULL, NULL, NULL, 0},
};

/* Bodies up to HTTP_UPLOAD_MAX, refused before the body without an
 * administrator's session (ops_upload_gate). */
const struct http_route http_ops_uploads[] = {
	{"POST", "/api/v1/admin/ops/import", h_import, HTTP_STAFF_WORK},
	{NULL, NULL, NULL, 0},
};
