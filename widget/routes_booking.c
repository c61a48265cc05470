/* The resident's side of booking over HTTP: validates what the client sent,
 * calls reservation/resv.h on this worker thread's own connection, shapes the
 * reply and maps the engine's errors to statuses (400 input, 401 log-in, 404,
 * 409 rule or full, 429 rate). Sessions travel only in an Authorization:
 * Bearer header, never in a cookie; holds no booking rule of its own. */
#include "widget/routes_booking.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chatbot/events.h"
#include "kb/kb.h"
#include "reservation/resv.h"
#include "widget/http.h"

/* A birth date as a person writes it (昭和二十五年十二月三十一日生まれ is 48
 * bytes): anything longer is not a date and is refused before the core. */
#define BIRTH_DATE_MAX_BYTES NLP_DATE_MAX_BYTES
/* A ticket number may come with full-width digits, spaces and hyphens. */
#define TICKET_MAX_BYTES 60
/* Contact fields, as typed (the core checks them against the town's policy). */
#define CONTACT_MAX_BYTES 300

/* ---- this worker thread's connection ------------------------------------ */

struct booking_conn {
	char *db;
	struct resv *r;
};

static pthread_key_t conn_key;
static pthread_once_t conn_once = PTHREAD_ONCE_INIT;
static int conn_key_ok;

static void conn_destroy(void *p)
{
	struct booking_conn *bc = p;
	resv_close(bc->r);
	free(bc->db);
	free(bc);
}

static void conn_key_make(void)
{
	conn_key_ok = pthread_key_create(&conn_key, conn_destroy) == 0;
}

/* Opens on first use, like the chatbot (widget/http.c); closed when the
 * worker thread exits. A new database without venues gets the sample town. */
static struct resv *call_resv(struct http_call *c)
{
	pthread_once(&conn_once, conn_key_make);
	if (!conn_key_ok) {
		http_fail(c, 500, "no thread-local key left");
		return NULL;
	}
	const char *db = http_call_db(c);
	struct booking_conn *bc = pthread_getspecific(conn_key);
	/* The server's clock, also for seeding: the sample's "today+1" is its tomorrow. */
	time_t now = http_call_opts(c)->clock_offset ? http_call_now(c) : 0;
	if (bc && !strcmp(bc->db, db)) {
		resv_set_now(bc->r, now);
		resv_set_zone(bc->r, town_zone(http_call_town(c)));
		return bc->r;
	}
	if (bc) {  /* another server on this thread (tests): start again */
		pthread_setspecific(conn_key, NULL);
		conn_destroy(bc);
	}
	char err[MG_ERR_LEN];
	bc = calloc(1, sizeof *bc);
	if (!bc || !(bc->db = strdup(db))) {
		free(bc);
		http_fail(c, 500, "out of memory");
		return NULL;
	}
	int rc = resv_open(&bc->r, db, err);
	if (rc == MG_OK) {
		resv_set_now(bc->r, now);
		resv_set_zone(bc->r, town_zone(http_call_town(c)));
	}
	if (rc == MG_OK && access(BOOKING_SAMPLE_DIR, R_OK) == 0)
		rc = resv_seed_sample(bc->r, BOOKING_SAMPLE_DIR, 0, err);
	if (rc == MG_OK && pthread_setspecific(conn_key, bc))
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc != MG_OK) {
		conn_destroy(bc);
		http_fail(c, 500, "booking: %s", err);
		return NULL;
	}
	return bc->r;
}

/* ---- input ----------------------------------------------------------------- */

static int body_str(struct http_call *c, const char *key, size_t max, const char **out)
{
	json_t *v = json_object_get(c->body, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return http_fail(c, 400, "%s must be a string", key);
	if (json_string_length(v) > max)
		return http_fail(c, 400, "%s is longer than %zu bytes", key, max);
	*out = json_string_value(v);
	return 0;
}

static int body_id(struct http_call *c, const char *key, long long *out)
{
	json_t *v = json_object_get(c->body, key);
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return http_fail(c, 400, "%s must be a positive integer", key);
	*out = (long long)json_integer_value(v);
	return 0;
}

static int token_chars(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* The session token of "Authorization: Bearer TOKEN"; 401 when absent. */
static int bearer(struct http_call *c, const char **token)
{
	const char *h = http_call_header(c, "Authorization");
	static const char scheme[] = "Bearer ";
	if (!h || strncasecmp(h, scheme, sizeof scheme - 1))
		return http_fail(c, 401, "please log in");
	h += sizeof scheme - 1;
	while (*h == ' ')
		h++;
	if (!token_chars(h, RESV_TOKEN_LEN))
		return http_fail(c, 401, "please log in again");
	*token = h;
	return 0;
}

/* The Idempotency-Key header, or NULL; malformed is 400. */
static int idem_key(struct http_call *c, const char **key)
{
	*key = http_call_header(c, "Idempotency-Key");
	if (*key && !token_chars(*key, RESV_IDEM_KEY_MAX))
		return http_fail(c, 400, "Idempotency-Key must be 1 to %d letters, digits, - or _",
				 RESV_IDEM_KEY_MAX);
	return 0;
}

/* The contact fields of a body's "contact" object (absent: none). */
static int read_contact(struct http_call *c, struct resv_contact *out)
{
	json_t *contact = json_object_get(c->body, "contact");
	if (!contact || json_is_null(contact))
		return 0;
	if (!json_is_object(contact))
		return http_fail(c, 400, "contact must be an object");
	json_t *saved = c->body;
	c->body = contact;
	int st = body_str(c, "name_kana", CONTACT_MAX_BYTES, &out->name_kana);
	if (!st)
		st = body_str(c, "phone", CONTACT_MAX_BYTES, &out->phone);
	if (!st)
		st = body_str(c, "email", CONTACT_MAX_BYTES, &out->email);
	c->body = saved;
	return st;
}

/* The venue, contact fields and conversation of a book or change body. */
static int read_request(struct http_call *c, struct resv_request *req, const char **conversation)
{
	int st = body_id(c, "slot", &req->slot_id);
	if (!st)
		st = body_str(c, "venue", RESV_CODE_MAX, &req->venue);
	if (!st)
		st = body_str(c, "conversation", EVENTS_ID_MAX, conversation);
	if (!st)
		st = idem_key(c, &req->idem_key);
	if (!st)
		st = read_contact(c, &req->contact);
	return st;
}

/* ---- replies --------------------------------------------------------------- */

static int wrap(struct http_call *c, const char *key, json_t *v, json_t **out)
{
	*out = v ? json_pack("{s:o}", key, v) : NULL;
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

static int booking_reply(struct http_call *c, struct resv *r, int rc, const struct resv_booking *b,
			 json_t **out)
{
	if (rc != MG_OK)
		return booking_refused(c, r, rc);
	return wrap(c, "reservation", resv_booking_json(b), out);
}

/* Records an event of the booking funnel under the widget's conversation; a
 * completed booking with its id, so that a cancellation of it counts against
 * this conversation. The booking itself has happened: a failed log line must
 * not undo or hide it. */
static void log_event(struct http_call *c, enum events_type type, const char *conversation,
		      long long booking)
{
	if (!conversation || !token_chars(conversation, EVENTS_ID_MAX))
		return;
	struct chatbot *bot = http_call_bot(c);
	if (!bot)
		return;
	struct events_event ev = {.type = type, .conversation = conversation, .booking = booking};
	chatbot_log_event(bot, &ev, NULL);
}

/* The id of the booking the resident holds now, 0 for none: a request whose
 * idempotency key is replayed returns the booking it made before, and the
 * funnel counts it once. */
static long long held_id(struct resv *r, const char *token)
{
	struct resv_booking held;
	char ignored[MG_ERR_LEN];
	return resv_view(r, token, &held, ignored) == MG_OK ? held.id : 0;
}

void booking_log_cancelled(struct http_call *c, long long booking)
{
	struct chatbot *bot = http_call_bot(c);
	if (!bot)
		return;
	struct events_event ev = {.type = EVENTS_BOOKING_CANCELLED, .booking = booking};
	chatbot_log_event(bot, &ev, NULL);
}

/* ---- GET ------------------------------------------------------------------- */

static int h_venues(struct http_call *c, struct resv *r, json_t **out)
{
	json_t *list = NULL;
	int rc = resv_venues(r, &list, c->msg);
	return rc == MG_OK ? wrap(c, "venues", list, out) : http_fail_rc(c, rc, c->msg);
}

/* Signed in, only the slots the resident's ticket may book: a slot the
 * rules would refuse is never offered. */
static int h_slots(struct http_call *c, struct resv *r, json_t **out)
{
	const char *venue = http_call_arg(c, "venue"), *date = http_call_arg(c, "date");
	const char *to = http_call_arg(c, "to"), *token = NULL;
	if (venue && (!*venue || strlen(venue) > RESV_CODE_MAX))
		return http_fail(c, 400, "venue is not a venue code");
	if (to && !date)
		return http_fail(c, 400, "to needs date");
	if (http_call_header(c, "Authorization")) {
		int st = bearer(c, &token);
		if (st)
			return st;
	}
	json_t *list = NULL, *rule = NULL;
	venue = venue && *venue ? venue : NULL;
	int rc = token ? resv_slots_for(r, token, venue, date, to, &list, &rule, c->msg)
		       : resv_free_slots(r, venue, date, to, &list, c->msg);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, c->msg);
	int st = wrap(c, "slots", list, out);
	/* Why some slots are not offered: the widget says it as a refusal. */
	if (st == 200 && rule)
		json_object_set_new(*out, "rule", rule);
	else
		json_decref(rule);
	return st;
}

static int h_mine(struct http_call *c, struct resv *r, json_t **out)
{
	const char *token;
	int st = bearer(c, &token);
	if (st)
		return st;
	struct resv_booking b;
	int rc = resv_view(r, token, &b, c->msg);
	if (rc == MG_ERR_NOT_FOUND)
		return http_fail(c, 404, "you have no reservation");
	return booking_reply(c, r, rc, &b, out);
}

static int h_offers(struct http_call *c, struct resv *r, json_t **out)
{
	const char *token;
	int st = bearer(c, &token);
	if (st)
		return st;
	json_t *list = NULL;
	int rc = resv_offers(r, token, &list, c->msg);
	return rc == MG_OK ? wrap(c, "offers", list, out) : http_fail_rc(c, rc, c->msg);
}

/* ---- POST ------------------------------------------------------------------ */

/* The venues, and what the panel asks and promises: the contact fields the
 * town's policy allows (off, optional, required: a required one the panel
 * did not ask for would refuse every booking) and how long an offer from
 * the waiting list holds its seat. */
static int h_open(struct http_call *c, struct resv *r, json_t **out)
{
	const char *conversation;
	int st = body_str(c, "conversation", EVENTS_ID_MAX, &conversation);
	if (st)
		return st;
	log_event(c, EVENTS_BOOKING_OPENED, conversation, 0);
	st = h_venues(c, r, out);
	json_t *fields = NULL;
	int rc = st == 200 ? resv_fields_json(r, &fields, c->msg) : MG_OK;
	if (rc != MG_OK) {
		json_decref(*out);
		*out = NULL;
		return http_fail_rc(c, rc, c->msg);
	}
	if (st == 200 && (json_object_set_new(*out, "fields", fields) ||
			  json_object_set_new(*out, "offer_hours",
					      json_integer(RESV_OFFER_TTL_S / 3600)))) {
		json_decref(*out);
		*out = NULL;
		return http_fail(c, 500, "out of memory");
	}
	return st;
}

static int h_login(struct http_call *c, struct resv *r, json_t **out)
{
	const char *ticket, *birth;
	int st = body_str(c, "ticket", TICKET_MAX_BYTES, &ticket);
	if (!st)
		st = body_str(c, "birth_date", BIRTH_DATE_MAX_BYTES, &birth);
	if (st)
		return st;
	if (!ticket || !birth)
		return http_fail(c, 400, "ticket and birth_date are required");
	char client[INET6_ADDRSTRLEN], token[RESV_TOKEN_LEN + 1];
	http_call_client(c, client, sizeof client);
	int rc = resv_login(r, ticket, birth, client, token, c->msg);
	if (rc != MG_OK)
		return booking_refused(c, r, rc);
	*out = json_pack("{s:s, s:i}", "token", token, "expires_in", RESV_SESSION_TTL_S);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

static int h_logout(struct http_call *c, struct resv *r, json_t **out)
{
	const char *token;
	int st = bearer(c, &token);
	if (st)
		return st;
	int rc = resv_logout(r, token, c->msg);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, c->msg);
	*out = json_pack("{s:b}", "ok", 1);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

static int h_book(struct http_call *c, struct resv *r, json_t **out)
{
	const char *token, *conversation = NULL;
	struct resv_request req = {0};
	int st = bearer(c, &token);
	if (!st)
		st = read_request(c, &req, &conversation);
	if (st)
		return st;
	struct resv_booking b;
	long long held = held_id(r, token);
	int rc = resv_book(r, token, &req, &b, c->msg);
	if (rc == MG_OK && held != b.id)
		log_event(c, EVENTS_BOOKING_COMPLETED, conversation, b.id);
	return booking_reply(c, r, rc, &b, out);
}

static int h_change(struct http_call *c, struct resv *r, json_t **out)
{
	const char *token, *conversation = NULL;
	struct resv_request req = {0};
	int st = bearer(c, &token);
	if (!st)
		st = read_request(c, &req, &conversation);
	if (st)
		return st;
	struct resv_booking b;
	int rc = resv_change(r, token, &req, &b, c->msg);
	if (rc == MG_ERR_NOT_FOUND)
		return http_fail(c, 404, "you have no reservation to change");
	return booking_reply(c, r, rc, &b, out);
}

static int h_cancel(struct http_call *c, struct resv *r, json_t **out)
{
	const char *token, *key;
	int st = bearer(c, &token);
	if (!st)
		st = idem_key(c, &key);
	if (st)
		return st;
	struct resv_booking b;
	long long held = held_id(r, token);
	int rc = resv_cancel(r, token, key, &b, c->msg);
	if (rc == MG_ERR_NOT_FOUND)
		return http_fail(c, 404, "you have no reservation to cancel");
	if (rc == MG_OK && held == b.id)
		booking_log_cancelled(c, b.id);
	return booking_reply(c, r, rc, &b, out);
}

static int h_wait(struct http_call *c, struct resv *r, json_t **out)
{
	const char *token, *venue, *date;
	int st = bearer(c, &token);
	if (!st)
		st = body_str(c, "venue", RESV_CODE_MAX, &venue);
	if (!st)
		st = body_str(c, "date", RESV_CODE_MAX, &date);
	struct resv_contact contact = {0};
	if (!st)
		st = read_contact(c, &contact);
	if (st)
		return st;
	if (!venue && !date)
		return http_fail(c, 400, "give a venue, a date or both");
	long long id = 0;
	int rc = resv_wait(r, token, venue, date, &contact, &id, c->msg);
	if (rc != MG_OK)
		return booking_refused(c, r, rc);
	*out = json_pack("{s:I, s:i}", "waiting", (json_int_t)id, "offer_hours",
			 RESV_OFFER_TTL_S / 3600);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

static int h_accept(struct http_call *c, struct resv *r, json_t **out)
{
	const char *token, *key, *conversation;
	long long offer = 0;
	int st = bearer(c, &token);
	if (!st)
		st = body_id(c, "offer", &offer);
	if (!st)
		st = idem_key(c, &key);
	if (!st)
		st = body_str(c, "conversation", EVENTS_ID_MAX, &conversation);
	if (st)
		return st;
	struct resv_booking b;
	long long held = held_id(r, token);
	int rc = resv_accept(r, token, offer, key, &b, c->msg);
	if (rc == MG_OK && held != b.id)
		log_event(c, EVENTS_BOOKING_COMPLETED, conversation, b.id);
	return booking_reply(c, r, rc, &b, out);
}

static int h_decline(struct http_call *c, struct resv *r, json_t **out)
{
	const char *token;
	long long offer = 0;
	int st = bearer(c, &token);
	if (!st)
		st = body_id(c, "offer", &offer);
	if (st)
		return st;
	int rc = resv_decline(r, token, offer, c->msg);
	if (rc != MG_OK)
		return booking_refused(c, r, rc);
	*out = json_pack("{s:b}", "ok", 1);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

/* ---- dispatch -------------------------------------------------------------- */

struct booking_route {
	const char *name;  /* what follows /api/v1/booking/ */
	int (*fn)(struct http_call *c, struct resv *r, json_t **out);
};

static const struct booking_route gets[] = {
	{"venues", h_venues}, {"slots", h_slots}, {"reservation", h_mine}, {"offers", h_offers},
	{NULL, NULL},
};
static const struct booking_route posts[] = {
	{"open", h_open}, {"login", h_login}, {"logout", h_logout}, {"book", h_book},
	{"change", h_change}, {"cancel", h_cancel}, {"wait", h_wait}, {"accept", h_accept},
	{"decline", h_decline}, {NULL, NULL},
};

static int dispatch(struct http_call *c, const struct booking_route *mine,
		    const struct booking_route *other, json_t **out)
{
	for (const struct booking_route *b = mine; b->name; b++) {
		if (strcmp(b->name, c->rest))
			continue;
		struct resv *r = call_resv(c);
		return r ? b->fn(c, r, out) : 500;
	}
	for (const struct booking_route *b = other; b->name; b++)
		if (!strcmp(b->name, c->rest))
			return http_fail(c, 405, "use %s", mine == gets ? "POST" : "GET");
	return http_fail(c, 404, "no such booking route");
}

struct resv *booking_resv(struct http_call *c)
{
	return call_resv(c);
}

int booking_refused(struct http_call *c, struct resv *r, int rc)
{
	c->detail = resv_refusal_json(r);
	return http_fail_rc(c, rc, c->msg);
}

int booking_body_str(struct http_call *c, const char *key, size_t max, const char **out)
{
	return body_str(c, key, max, out);
}

int booking_get(struct http_call *c, json_t **out)
{
	return dispatch(c, gets, posts, out);
}

int booking_post(struct http_call *c, json_t **out)
{
	return dispatch(c, posts, gets, out);
}
