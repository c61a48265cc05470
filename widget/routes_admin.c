/* The staff console's JSON routes under /api/v1/admin: login and logout with
 * the session cookie, the figures, the review queue, the entry editor, the
 * eval run, CSV export and import, the forecast. Every route checks the
 * session (401) and the role's right (403); every change also the CSRF token
 * header (403). The rules themselves are in chatbot/staff.h. */
#include "widget/api.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chatbot/events.h"
#include "chatbot/forecast.h"
#include "chatbot/ops_policy.h"
#include "chatbot/staff.h"
#include "chatbot/town_int.h"
#include "nlp/date.h"
#include "widget/http.h"
#include "widget/limits.h"
#include "widget/routes_admin.h"

#define COOKIE "mg_staff"
#define CSRF_HEADER "X-CSRF-Token"
/* The dashboard's period when none is asked for: two weeks show a weekday
 * pattern twice and fit a chart without crowding. */
#define ADMIN_DEFAULT_DAYS 14
/* Groups in the review queue: more than a morning's work is not read. */
#define ADMIN_QUEUE_LIMIT 50
/* Entries the picker offers for one search. */
#define ADMIN_PICK_LIMIT 20
/* Audit records on the page: a busy day of a small town's staff (the
 * filters narrow it). The CSV's cap is OPS_AUDIT_CSV_ROWS. */
#define ADMIN_AUDIT_LIMIT 200

/* A refusal the console words in the staff's language: reason is a stable
 * code (error.reason, a key of i18n.js's reason table), the message stays
 * for logs and scripts. */
static int refuse(struct http_call *c, int rc, const char *reason, const char *msg)
{
	json_decref(c->detail);
	c->detail = json_pack("{s:s}", "reason", reason);
	return http_fail_rc(c, rc, msg);
}

static const char *body_str(const struct http_call *c, const char *key)
{
	return json_string_value(json_object_get(c->body, key));
}

static sqlite3 *call_db(struct http_call *c)
{
	struct chatbot *bot = http_call_bot(c);
	return bot ? kb_db(chatbot_kb(bot)) : NULL;
}

/* For the staff tables alone: the routes that hash a password run on the
 * hashing thread, which has no chatbot (http_call_staff_db). */
static sqlite3 *staff_db(struct http_call *c)
{
	return http_call_staff_db(c);
}

/* The database for reading the event log, with every event logged so far
 * written: a question asked a moment ago is in the figures and the queue. */
static sqlite3 *events_db(struct http_call *c)
{
	events_writer_flush(http_call_events(c));
	return call_db(c);
}

/* The session of this request, refused with 401 (no or expired session) or
 * 403 (the role lacks right; for a change, a missing or wrong CSRF token).
 * Returns 0 when the request may go on. */
static int gate(struct http_call *c, enum staff_right right, int change, struct staff_session *s)
{
	sqlite3 *db = staff_db(c);
	if (!db)
		return 500;
	const char *token = http_call_cookie(c, COOKIE);
	time_t now = time(NULL);
	char err[MG_ERR_LEN];
	int rc = staff_session_get(db, token, now, s, err);
	if (rc == MG_ERR_AUTH)
		return refuse(c, rc, "login_required", err);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, err);
	int may = staff_can(s->role, right);
	if (change) {
		rc = staff_guard(db, token, http_call_header(c, CSRF_HEADER), right, now, s, err);
		if (rc == MG_ERR_DENIED || rc == MG_ERR_AUTH)
			return refuse(c, rc, rc == MG_ERR_AUTH ? "login_required" : may ? "csrf" : "role", err);
		if (rc != MG_OK)
			return http_fail_rc(c, rc, err);
	} else if (!may) {
		return refuse(c, MG_ERR_DENIED, "role", "this role may not see this");
	}
	return 0;
}

int admin_gate(struct http_call *c, enum staff_right right, int change, struct staff_session *s)
{
	return gate(c, right, change, s);
}

int admin_upload_gate(struct http_call *c)
{
	struct staff_session s;
	return gate(c, STAFF_EDIT_KB, 1, &s);
}

static json_t *session_json(const struct staff_session *s)
{
	return json_pack("{s:b,s:s,s:s,s:s,s:I,s:{s:b,s:b,s:b,s:b,s:b,s:b,s:b}}", "logged_in", 1, "name", s->name, "role",
			 staff_role_name(s->role), "csrf", s->csrf, "expires", (json_int_t)s->expires,
			 "rights", "reports", staff_can(s->role, STAFF_VIEW_REPORTS), "edit",
			 staff_can(s->role, STAFF_EDIT_KB), "users", staff_can(s->role, STAFF_MANAGE_USERS),
			 "forecast", staff_can(s->role, STAFF_VIEW_FORECAST), "reception",
			 staff_can(s->role, STAFF_RECEPTION_OPS), "calls",
			 staff_can(s->role, STAFF_CALL_CENTER_OPS), "slots",
			 staff_can(s->role, STAFF_MANAGE_SLOTS));
}

static void set_cookie(struct http_call *c, const char *value, long max_age)
{
	snprintf(c->set_cookie, sizeof c->set_cookie,
		 COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s", value, max_age,
		 http_call_opts(c)->cookie_secure ? "; Secure" : "");
}

/* ---- login, logout, session ------------------------------------------------ */

static int h_login(struct http_call *c, json_t **out)
{
	const char *name = body_str(c, "name"), *password = body_str(c, "password");
	if (!name || !password)
		return http_fail(c, 400, "name and password are required");
	sqlite3 *db = staff_db(c);
	if (!db)
		return 500;
	char token[STAFF_TOKEN_LEN + 1], err[MG_ERR_LEN];
	struct staff_session s;
	int rc = staff_login(db, name, password, time(NULL), token, &s, err);
	if (rc == MG_ERR_AUTH)
		return refuse(c, rc, "login_failed", err);
	if (rc == MG_ERR_DENIED)
		return refuse(c, rc, "disabled", err);
	if (rc == MG_ERR_BUSY)
		return refuse(c, rc, "busy", err);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, err);
	set_cookie(c, token, OPS_SESSION_SECONDS);
	sodium_memzero(token, sizeof token);
	*out = session_json(&s);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

static int h_logout(struct http_call *c, json_t **out)
{
	struct staff_session s;
	sqlite3 *db = staff_db(c);
	if (!db)
		return 500;
	const char *token = http_call_cookie(c, COOKIE), *csrf = http_call_header(c, CSRF_HEADER);
	char err[MG_ERR_LEN];
	int rc = staff_session_get(db, token, time(NULL), &s, err);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, err);
	if (!csrf || strlen(csrf) != STAFF_TOKEN_LEN || sodium_memcmp(csrf, s.csrf, STAFF_TOKEN_LEN))
		return http_fail_rc(c, MG_ERR_DENIED, "the form is stale or forged (CSRF token): reload the page");
	rc = staff_logout(db, token, err);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, err);
	set_cookie(c, "", 0);
	*out = json_pack("{s:b}", "ok", 1);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

/* Who is logged in: the session, or {"logged_in": false} (not an error: the
 * console asks this on every load, logged in or not). */
static int h_session(struct http_call *c, json_t **out)
{
	struct staff_session s;
	sqlite3 *db = staff_db(c);
	if (!db)
		return 500;
	char err[MG_ERR_LEN];
	int rc = staff_session_get(db, http_call_cookie(c, COOKIE), time(NULL), &s, err);
	if (rc == MG_ERR_AUTH)
		*out = json_pack("{s:b,s:s}", "logged_in", 0, "message", err);
	else if (rc != MG_OK)
		return http_fail_rc(c, rc, err);
	else
		*out = session_json(&s);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

/* ---- figures ------------------------------------------------------------------ */

static int day_ok(const char *d)
{
	return nlp_date_iso(d, NULL, NULL, NULL) == MG_OK;
}

/* from and to of the query, by default the last ADMIN_DEFAULT_DAYS days. */
static int period(struct http_call *c, char from[11], char to[11])
{
	const char *f = http_call_arg(c, "from"), *t = http_call_arg(c, "to");
	const struct nlp_zone *zone = town_zone(http_call_town(c));
	time_t now = http_call_now(c);
	nlp_zone_day(zone, now, to);
	nlp_zone_day(zone, now - (ADMIN_DEFAULT_DAYS - 1) * 86400, from);
	if ((f && !day_ok(f)) || (t && !day_ok(t)))
		return http_fail(c, 400, "from and to are dates YYYY-MM-DD");
	if (f)
		snprintf(from, 11, "%s", f);
	if (t)
		snprintf(to, 11, "%s", t);
	return 0;
}

static int report(struct http_call *c, json_t **out)
{
	struct staff_session s;
	char from[11], to[11], err[MG_ERR_LEN];
	int status = gate(c, STAFF_VIEW_REPORTS, 0, &s);
	if (!status)
		status = period(c, from, to);
	if (status)
		return status;
	int rc = events_report(events_db(c), chatbot_kb(http_call_bot(c)), from, to, out, err);
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, err);
}

static int h_report(struct http_call *c, json_t **out)
{
	return report(c, out);
}

/* A CSV file for Excel as the call's reply; takes buf. */
int admin_download(struct http_call *c, const char *name, admin_csv_fn fn, void *ctx, char *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	int rc = fn(ctx, f, err);
	if (fclose(f) != 0 && rc == MG_OK)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc != MG_OK) {
		free(buf);
		return rc;
	}
	c->raw = buf;
	c->raw_len = len;
	c->raw_type = "text/csv; charset=utf-8";
	c->raw_name = name;
	return MG_OK;
}

static int report_csv(void *ctx, FILE *f, char *err)
{
	events_report_csv(ctx, f);
	return ferror(f) ? mg_fail(err, MG_ERR_NOMEM, "out of memory") : MG_OK;
}

static int h_report_csv(struct http_call *c, json_t **out)
{
	(void)out;
	json_t *r = NULL;
	int status = report(c, &r);
	if (status != 200)
		return status;
	char err[MG_ERR_LEN];
	int rc = admin_download(c, "madoguchi-report.csv", report_csv, r, err);
	json_decref(r);
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, err);
}

static int h_forecast(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_VIEW_FORECAST, 0, &s);
	if (status)
		return status;
	struct forecast_opts o;
	forecast_defaults(&o, http_call_town(c), time(NULL));
	const char *v;
	if ((v = http_call_arg(c, "from")) && *v) {
		if (!day_ok(v))
			return http_fail(c, 400, "from is a date YYYY-MM-DD");
		o.from = v;
	}
	if ((v = http_call_arg(c, "event_day")) && *v) {
		if (!day_ok(v))
			return http_fail(c, 400, "event_day is a date YYYY-MM-DD");
		o.event_day = v;
	}
	struct {
		const char *name;
		double *to;
		double min, max;
	} nums[] = {
		{"aht", &o.aht, 1, 3600}, {"target", &o.target, 1, 3600},
		{"level", &o.level, 0.01, 0.999},
		{"deflection", &o.deflection, -1, 1},
	};
	for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
		if (!(v = http_call_arg(c, nums[i].name)) || !*v)
			continue;
		char *end;
		double d = strtod(v, &end);
		if (*end || d < nums[i].min || d > nums[i].max)
			return http_fail(c, 400, "%s must be a number from %g to %g", nums[i].name,
					 nums[i].min, nums[i].max);
		*nums[i].to = d;
	}
	if ((v = http_call_arg(c, "days")) && *v) {
		int d = atoi(v);
		if (d < 1 || d > 90)
			return http_fail(c, 400, "days must be from 1 to 90");
		o.days = d;
	}
	if ((v = http_call_arg(c, "residents")) && *v) {
		long n = atol(v);
		if (n < 0 || n > 100000000)
			return http_fail(c, 400, "residents must be a count");
		o.event_residents = n;
	}
	char err[MG_ERR_LEN];
	int rc = forecast_run(events_db(c), &o, out, err);
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, err);
}

/* ---- the review queue ------------------------------------------------------- */

static int h_queue(struct http_call *c, json_t **out)
{
	struct staff_session s;
	char from[11], to[11], err[MG_ERR_LEN];
	int status = gate(c, STAFF_EDIT_KB, 0, &s);
	if (!status)
		status = period(c, from, to);
	if (status)
		return status;
	/* Grouping by meaning needs the analyser; one per call is a few
	 * milliseconds, and the queue is opened a few times a day. */
	struct nlp_analyser *an = NULL;
	int rc = nlp_analyser_new(http_call_model(c), &an, err);
	json_t *list = NULL;
	if (rc == MG_OK)
		rc = events_unanswered(events_db(c), an, kb_synonyms(chatbot_kb(http_call_bot(c))), from, to,
				       OPS_REVIEW_MAX_CONFIDENCE,
				       ADMIN_QUEUE_LIMIT, &list, err);
	nlp_analyser_free(an);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, err);
	*out = json_pack("{s:s,s:s,s:o}", "from", from, "to", to, "groups", list);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

static int dismiss(struct http_call *c, const struct staff_session *s, const char *key, char *err)
{
	sqlite3 *db = call_db(c);
	int rc = events_dismiss(db, key, err);
	if (rc == MG_OK) {
		json_t *what = json_pack("{s:s}", "key", key);
		rc = staff_audit(db, s, "queue.dismiss", key, NULL, what, err);
		json_decref(what);
	}
	return rc;
}

static int h_dismiss(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 1, &s);
	if (status)
		return status;
	const char *key = body_str(c, "key");
	if (!key || !*key)
		return http_fail(c, 400, "key is required");
	char err[MG_ERR_LEN];
	int rc = dismiss(c, &s, key, err);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, err);
	*out = json_pack("{s:b}", "ok", 1);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

/* {entry, question, key}: the question becomes an alternate question of the
 * entry (add) and its group (key, optional) leaves the queue, since it is
 * answered; or, the undo, the question leaves the entry's alternates and its
 * group is back in the queue. */
static int alternate(struct http_call *c, json_t **out, int add)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 1, &s);
	if (status)
		return status;
	const char *entry = body_str(c, "entry"), *question = body_str(c, "question"),
		   *key = body_str(c, "key");
	if (!entry || !question)
		return http_fail(c, 400, "entry and question are required");
	char err[MG_ERR_LEN];
	struct chatbot *bot = http_call_bot(c);
	int rc = add ? staff_add_alternate(bot, &s, entry, question, err)
		     : staff_remove_alternate(bot, &s, entry, question, err);
	if (rc == MG_OK && key && *key)
		rc = add ? dismiss(c, &s, key, err) : events_undismiss(call_db(c), key, err);
	if (rc == MG_OK)
		rc = staff_entry_get(bot, entry, out, err);
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, err);
}

static int h_alternate(struct http_call *c, json_t **out)
{
	return alternate(c, out, 1);
}

static int h_alternate_undo(struct http_call *c, json_t **out)
{
	return alternate(c, out, 0);
}

/* ---- entries ------------------------------------------------------------------- */

static int has_id(json_t *list, const char *id)
{
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o)
		if (!strcmp(json_string_value(json_object_get(o, "id")), id))
			return 1;
	return 0;
}

/* One entry found by text for the picker (list), unless the engine's
 * candidates hold it already; stops when the list is full. */
static int pick_add(void *ctx, const char *id, const char *slug, const char *question, const char *status)
{
	json_t *list = ctx;
	if (json_array_size(list) >= ADMIN_PICK_LIMIT)
		return 1;
	if (!has_id(list, id))
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s}", "id", id, "slug", slug, "question",
						      question, "status", status));
	return json_array_size(list) >= ADMIN_PICK_LIMIT;
}

/* The searchable picker: entries by meaning (the engine's own candidates
 * for q), then by text in id, slug or questions, drafts included. */
static int h_entries(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 0, &s);
	if (status)
		return status;
	const char *q = http_call_arg(c, "q");
	if (!q)
		q = "";
	if (strlen(q) > HTTP_QUESTION_MAX_BYTES)
		return http_fail(c, 400, "q is too long");
	struct chatbot *bot = http_call_bot(c);
	json_t *list = json_array();
	if (!list)
		return http_fail(c, 500, "out of memory");
	if (*q) {
		struct ask_opts o = {.top = HTTP_TOP_MAX, .no_log = 1};
		json_t *r = NULL;
		char err[MG_ERR_LEN];
		if (chatbot_ask(bot, q, strlen(q), &o, &r, err) == MG_OK) {
			size_t i;
			json_t *cand;
			json_array_foreach(json_object_get(r, "candidates"), i, cand)
				json_array_append(list, cand);
		}
		json_decref(r);
	}
	char err[MG_ERR_LEN];
	int rc = kb_entries_find(chatbot_kb(bot), q, ADMIN_PICK_LIMIT, pick_add, list, err);
	if (rc != MG_OK) {
		json_decref(list);
		return http_fail_rc(c, rc, err);
	}
	*out = json_pack("{s:o}", "entries", list);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

static int h_entry_get(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 0, &s);
	if (status)
		return status;
	if (!*c->rest || strlen(c->rest) > HTTP_ENTRY_ID_MAX || strchr(c->rest, '/'))
		return http_fail(c, 404, "no such entry");
	char err[MG_ERR_LEN];
	int rc = staff_entry_get(http_call_bot(c), c->rest, out, err);
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, err);
}

/* The editor's entry of the body (saved, or previewed): 0 when its fields
 * may go to staff_entry_save, else the status sent. */
static int entry_fields(struct http_call *c, json_t *fields)
{
	if (!json_is_object(fields))
		return http_fail(c, 400, "entry must be an object of fields");
	const char *st = json_string_value(json_object_get(fields, "status"));
	if (st && strcmp(st, "draft") && strcmp(st, "published"))
		return http_fail(c, 400, "status is \"draft\" or \"published\"");
	const char *keys[] = {"valid_from", "valid_to"};
	for (size_t i = 0; i < 2; i++) {
		const char *d = json_string_value(json_object_get(fields, keys[i]));
		if (d && *d && !day_ok(d))
			return http_fail(c, 400, "%s is a date YYYY-MM-DD or empty", keys[i]);
	}
	return 0;
}

/* staff_entry_save's refusal rc: an unknown {{key}} named (placeholder). */
static int entry_refused(struct http_call *c, int rc, const char *bad_key, const char *err)
{
	if (rc == MG_ERR_INPUT && bad_key[0]) {
		json_decref(c->detail);
		c->detail = json_pack("{s:s,s:s}", "reason", "placeholder", "key", bad_key);
		return http_fail(c, 400, "%s", err);
	}
	if (rc == MG_ERR_NOT_FOUND)
		return refuse(c, rc, "no_such_entry", err);
	return http_fail_rc(c, rc, err);
}

/* The editor's save: {entry: {fields}}; status "draft" or "published". */
static int h_entry_save(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 1, &s);
	if (status)
		return status;
	json_t *fields = json_object_get(c->body, "entry");
	if ((status = entry_fields(c, fields)))
		return status;
	char id[64], bad_key[KB_ID_LEN], err[MG_ERR_LEN];
	struct chatbot *bot = http_call_bot(c);
	int rc = staff_entry_save(bot, &s, fields, id, bad_key, err);
	if (rc != MG_OK)
		return entry_refused(c, rc, bad_key, err);
	if (rc == MG_OK)
		rc = staff_entry_get(bot, id, out, err);
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, err);
}


/* {id}: the entry of the editor unpublished (unpublish) or deleted (delete). */
static int entry_change(struct http_call *c, json_t **out, int delete)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 1, &s);
	if (status)
		return status;
	const char *id = body_str(c, "id");
	if (!id || !*id || strlen(id) > HTTP_ENTRY_ID_MAX)
		return http_fail(c, 400, "id is required");
	char err[MG_ERR_LEN];
	struct chatbot *bot = http_call_bot(c);
	int rc = delete ? staff_entry_delete(bot, &s, id, err) : staff_entry_unpublish(bot, &s, id, err);
	if (rc == MG_ERR_NOT_FOUND)
		return refuse(c, MG_ERR_NOT_FOUND, "no_such_entry", err);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, err);
	if (delete) {
		*out = json_pack("{s:b,s:s}", "deleted", 1, "id", id);
		return *out ? 200 : http_fail(c, 500, "out of memory");
	}
	rc = staff_entry_get(bot, id, out, err);
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, err);
}

static int h_entry_unpublish(struct http_call *c, json_t **out)
{
	return entry_change(c, out, 0);
}

static int h_entry_delete(struct http_call *c, json_t **out)
{
	return entry_change(c, out, 1);
}

static int add_topic(void *ctx, const char *slug, const char *category, const char *question)
{
	return json_array_append_new(ctx, json_pack("{s:s,s:s,s:s}", "slug", slug, "category", category,
						     "question", question)) != 0;
}

/* What the editor offers: the topics (slug, category, the question of its
 * first entry) and the town's facts an answer may name as {{key}}, with
 * their values in Japanese. */
static int h_topics(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 0, &s);
	if (status)
		return status;
	json_t *topics = json_array(), *keys = json_array();
	char err[MG_ERR_LEN];
	int rc = topics && keys ? kb_each_topic(chatbot_kb(http_call_bot(c)), add_topic, topics, err)
				: mg_fail(err, MG_ERR_NOMEM, "out of memory");
	const struct town *town = http_call_town(c);
	const char *key;
	json_t *v;
	json_object_foreach(town->facts, key, v) {
		const char *ja = town_fact(town, key, strlen(key), "ja");
		if (ja && json_array_append_new(keys, json_pack("{s:s,s:s}", "key", key, "value", ja)))
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	if (rc != MG_OK) {
		json_decref(topics);
		json_decref(keys);
		return http_fail_rc(c, rc, err);
	}
	*out = json_pack("{s:o,s:o}", "topics", topics, "keys", keys);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

/* The answer as residents will read it: the town's facts filled in. */
static int h_preview(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 1, &s);
	if (status)
		return status;
	const char *lang = body_str(c, "lang");
	if (!lang || strcmp(lang, "en"))
		lang = "ja";
	const char *q = body_str(c, "question"), *a = body_str(c, "answer");
	*out = json_pack("{s:o,s:o}", "question", town_expand(http_call_town(c), q ? q : "", lang),
			 "answer", town_expand(http_call_town(c), a ? a : "", lang));
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

/* ---- accounts (administrators) ------------------------------------------------- */

static int h_users(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_MANAGE_USERS, 0, &s);
	if (status)
		return status;
	char err[MG_ERR_LEN];
	int rc = staff_user_list(staff_db(c), time(NULL), out, err);
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, err);
}

/* An account refusal with the code the console words it by. */
static int user_refused(struct http_call *c, int rc, const char *password, const char *err)
{
	if (rc == MG_ERR_INPUT && password && strlen(password) < OPS_PASSWORD_MIN) {
		json_decref(c->detail);
		c->detail = json_pack("{s:s,s:i}", "reason", "password_short", "min", OPS_PASSWORD_MIN);
		return http_fail(c, 400, "%s", err);
	}
	if (rc == MG_ERR_INPUT)
		return refuse(c, rc, "name_bad", err);
	if (rc == MG_ERR_NOT_FOUND)
		return refuse(c, rc, "no_such_user", err);
	if (rc == MG_ERR_CONFLICT)
		return refuse(c, rc, strstr(err, "last administrator") ? "last_admin" : "user_exists", err);
	return http_fail_rc(c, rc, err);
}

/* {name, role, password}: a new account. */
static int h_user_add(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_MANAGE_USERS, 1, &s);
	if (status)
		return status;
	const char *name = body_str(c, "name"), *password = body_str(c, "password");
	enum staff_role role;
	if (staff_role_parse(body_str(c, "role"), &role) != MG_OK)
		return http_fail(c, 400, "role is admin, editor, call_center or reception");
	char err[MG_ERR_LEN];
	int rc = staff_user_add(staff_db(c), &s, name, role, password, err);
	if (rc != MG_OK)
		return user_refused(c, rc, password, err);
	return h_users(c, out);
}

/* {name, change: disable|enable|unlock|password|role, role?, password?}. */
static int h_user_change(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_MANAGE_USERS, 1, &s);
	if (status)
		return status;
	const char *name = body_str(c, "name"), *what = body_str(c, "change"), *password = body_str(c, "password");
	enum staff_change change;
	if (!name || staff_change_parse(what, &change) != MG_OK)
		return http_fail(c, 400, "name and change (disable, enable, unlock, password, role) are required");
	enum staff_role role = STAFF_NROLES;
	if (change == STAFF_SET_ROLE && staff_role_parse(body_str(c, "role"), &role) != MG_OK)
		return http_fail(c, 400, "role is admin, editor, call_center or reception");
	char err[MG_ERR_LEN];
	int rc = staff_user_change(staff_db(c), &s, name, change, role,
				   change == STAFF_SET_PASSWORD ? (password ? password : "") : NULL, err);
	if (rc != MG_OK)
		return user_refused(c, rc, change == STAFF_SET_PASSWORD ? (password ? password : "") : NULL, err);
	return h_users(c, out);
}

/* ---- eval, export, import, audit ------------------------------------------------ */

/* The labelled set of the body: tsv (uploaded), or without it the
 * server's (--eval-set), read into *data (caller frees); *name says which.
 * 0, or the status sent. */
static int eval_set(struct http_call *c, char **data, size_t *len, const char **name)
{
	json_t *tsv = json_object_get(c->body, "tsv");
	const char *path = http_call_opts(c)->eval_set ? http_call_opts(c)->eval_set : HTTP_EVAL_SET;
	char err[MG_ERR_LEN];
	*data = NULL;
	if (json_is_string(tsv)) {
		*len = json_string_length(tsv);
		*name = "uploaded";
		if (!(*data = malloc(*len + 1)))
			return http_fail(c, 500, "out of memory");
		memcpy(*data, json_string_value(tsv), *len + 1);
		return 0;
	}
	*name = path;
	if (mg_read_file(path, HTTP_UPLOAD_MAX, data, len, err) != MG_OK)
		return http_fail(c, 404, "the labelled set %s cannot be read: upload one", path);
	return 0;
}

/* {tsv: "..."} runs an uploaded set; {} the server's (--eval-set). */
static int h_eval(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 1, &s);
	if (status)
		return status;
	char *data, err[MG_ERR_LEN];
	size_t len;
	const char *name;
	if ((status = eval_set(c, &data, &len, &name)))
		return status;
	int rc = chatbot_eval_run(http_call_bot(c), data, len, out, err);
	free(data);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, err);
	json_object_set_new(*out, "set", json_string(name));
	return 200;
}

/* {entry: {fields}} (the editor's, as a save sends it) or {alternate:
 * {entry, question}} (the review queue's), and tsv as for eval: the
 * labelled set against the knowledge base as it is and as it would be with
 * the change, which is not made (staff_preview). */
static int h_compare(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 1, &s);
	if (status)
		return status;
	json_t *fields = json_object_get(c->body, "entry"), *alt = json_object_get(c->body, "alternate");
	struct staff_proposal p = {.entry = fields};
	if (fields && (status = entry_fields(c, fields)))
		return status;
	if (!fields) {
		p.alt_entry = json_string_value(json_object_get(alt, "entry"));
		p.alt_question = json_string_value(json_object_get(alt, "question"));
		if (!p.alt_entry || !p.alt_question)
			return http_fail(c, 400, "entry (the editor's fields) or alternate {entry, question} is required");
	}
	char *data, bad_key[KB_ID_LEN], err[MG_ERR_LEN];
	size_t len;
	const char *name;
	if ((status = eval_set(c, &data, &len, &name)))
		return status;
	int rc = staff_preview(http_call_bot(c), http_call_model(c), &s, &p, data, len, out, bad_key, err);
	free(data);
	if (rc != MG_OK)
		return entry_refused(c, rc, bad_key, err);
	json_object_set_new(*out, "set", json_string(name));
	return 200;
}


static int export_csv(void *ctx, FILE *f, char *err)
{
	return kb_export(ctx, f, err);
}

static int h_export(struct http_call *c, json_t **out)
{
	(void)out;
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 0, &s);
	if (status)
		return status;
	char err[MG_ERR_LEN];
	int rc = admin_download(c, "madoguchi-kb.csv", export_csv, chatbot_kb(http_call_bot(c)), err);
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, err);
}

static void bad_row(void *ctx, int line, const char *message)
{
	/* ctx: the JSON array of bad rows */
	json_array_append_new(ctx, json_pack("{s:i,s:s}", "line", line, "message", message));
}

/* A whole knowledge base written as one audited change: an upload
 * (data) or a replaced one restored (data NULL, restore its id). */
struct kb_upload {
	const struct kb_import_opts *o;
	const char *data;
	size_t len;
	int64_t restore;
	int imported;
};

static int apply_import(struct staff_kb_change *ch, struct kb *kb, char *err)
{
	struct kb_upload *up = ch->ctx;
	int rc = up->data ? kb_import(kb, up->data, up->len, "upload.csv", up->o, &up->imported, err)
			  : kb_replaced_restore(kb, up->restore, up->o, &up->imported, err);
	if (rc != MG_OK)
		return rc;
	ch->after = up->data ? json_pack("{s:i,s:b}", "imported", up->imported, "append", up->o->append)
			     : json_pack("{s:I,s:i}", "restored", (json_int_t)up->restore, "entries", up->imported);
	return ch->after ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
}

/* {csv_base64, append}: base64 so that a CP932 file arrives byte for byte.
 * All or nothing: with bad rows, 200 with ok false and the rows by line. */
static int h_import(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 1, &s);
	if (status)
		return status;
	char *data;
	size_t len;
	status = http_body_base64(c, "csv_base64", &data, &len);
	if (status)
		return status;
	json_t *bad = json_array();
	struct kb_import_opts o = {.append = json_is_true(json_object_get(c->body, "append")),
				   .report = bad_row, .ctx = bad,
				   .placeholder = town_has_fact, .facts = (void *)http_call_town(c),
				   .keep_replaced = OPS_KB_REPLACED_KEPT};
	struct kb_upload up = {.o = &o, .data = (const char *)data, .len = len};
	struct staff_kb_change ch = {.action = "kb.import", .target = "entries", .apply = apply_import, .ctx = &up};
	char err[MG_ERR_LEN];
	/* the import, the copy of what it replaces and its audit record: one transaction */
	int rc = bad ? staff_kb_write(chatbot_kb(http_call_bot(c)), &s, &ch, err)
			  : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	int imported = up.imported;
	free(data);
	if (rc != MG_OK && json_array_size(bad) == 0) {
		json_decref(bad);
		return http_fail_rc(c, rc, err);
	}
	*out = json_pack("{s:b,s:i,s:o,s:s}", "ok", rc == MG_OK, "imported", rc == MG_OK ? imported : 0,
			 "errors", bad, "message", rc == MG_OK ? "" : err);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}


struct replaced_list {
	json_t *list;
	const struct town *town;
};

static int add_replaced(void *ctx, int64_t id, int64_t at, int entries)
{
	struct replaced_list *r = ctx;
	char when[NLP_ZONE_MINUTES_LEN];
	nlp_zone_time_text(town_zone(r->town), (time_t)at, 0, when);
	return json_array_append_new(r->list, json_pack("{s:I,s:s,s:i}", "id", (json_int_t)id, "replaced", when,
							"entries", entries)) != 0;
}

/* The knowledge bases full imports replaced, newest first, to restore. */
static int h_replaced(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 0, &s);
	if (status)
		return status;
	struct replaced_list r = {json_array(), http_call_town(c)};
	char err[MG_ERR_LEN];
	int rc = r.list ? kb_replaced_list(chatbot_kb(http_call_bot(c)), add_replaced, &r, err)
			: mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc != MG_OK) {
		json_decref(r.list);
		return http_fail_rc(c, rc, err);
	}
	*out = json_pack("{s:o,s:i}", "replaced", r.list, "keep", OPS_KB_REPLACED_KEPT);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

/* {id}: that replaced knowledge base back, the one it replaces kept in its
 * turn (so a restore is undone the same way); audited, one transaction. */
static int h_restore(struct http_call *c, json_t **out)
{
	struct staff_session s;
	int status = gate(c, STAFF_EDIT_KB, 1, &s);
	if (status)
		return status;
	json_t *idv = json_object_get(c->body, "id");
	if (!json_is_integer(idv))
		return http_fail(c, 400, "id is required");
	json_t *bad = json_array();
	struct kb_import_opts o = {.report = bad_row, .ctx = bad,
				   .placeholder = town_has_fact, .facts = (void *)http_call_town(c),
				   .keep_replaced = OPS_KB_REPLACED_KEPT};
	struct kb_upload up = {.o = &o, .restore = json_integer_value(idv)};
	struct staff_kb_change ch = {.action = "kb.restore", .target = "entries", .apply = apply_import, .ctx = &up};
	char err[MG_ERR_LEN];
	int rc = bad ? staff_kb_write(chatbot_kb(http_call_bot(c)), &s, &ch, err)
			  : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	int imported = up.imported;
	json_decref(bad);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, err);
	*out = json_pack("{s:b,s:i}", "ok", 1, "imported", imported);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

/* The filter of ?who=&kind=&day= (each optional; day YYYY-MM-DD, the
 * town's day), behind the administrators' gate: 0, or the status sent. */
static int audit_filter(struct http_call *c, struct staff_audit_filter *f)
{
	struct staff_session s;
	int status = gate(c, STAFF_MANAGE_USERS, 0, &s);
	if (status)
		return status;
	const struct town *town = http_call_town(c);
	*f = (struct staff_audit_filter){.who = http_call_arg(c, "who"), .action = http_call_arg(c, "kind")};
	const char *day = http_call_arg(c, "day");
	if (day && *day && (nlp_zone_day_at(town_zone(town), day, 0, &f->from) != MG_OK ||
			    nlp_zone_day_at(town_zone(town), day, 24, &f->to) != MG_OK))
		return http_fail(c, 400, "day is a date YYYY-MM-DD");
	return 0;
}

/* The newest ADMIN_AUDIT_LIMIT records of the filter; with facets=1, the
 * filters' choices too (the page asks once, when it opens). */
static int h_audit(struct http_call *c, json_t **out)
{
	struct staff_audit_filter f;
	int status = audit_filter(c, &f);
	if (status)
		return status;
	json_t *list = NULL, *facets = NULL;
	char err[MG_ERR_LEN];
	const char *want = http_call_arg(c, "facets");
	int rc = staff_audit_list(call_db(c), &f, town_zone(http_call_town(c)), ADMIN_AUDIT_LIMIT, &list, err);
	if (rc == MG_OK && want && !strcmp(want, "1"))
		rc = staff_audit_facets(call_db(c), &facets, err);
	if (rc != MG_OK) {
		json_decref(list);
		return http_fail_rc(c, rc, err);
	}
	*out = json_pack("{s:o,s:o*,s:i}", "audit", list, "facets", facets, "limit", ADMIN_AUDIT_LIMIT);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

struct audit_csv {
	sqlite3 *db;
	const struct staff_audit_filter *filter;
	const struct nlp_zone *zone;
};

static int audit_csv(void *ctx, FILE *f, char *err)
{
	struct audit_csv *a = ctx;
	int cut = 0;
	return staff_audit_csv(a->db, a->filter, a->zone, f, &cut, err);
}

/* The records of the filter as CSV, at most OPS_AUDIT_CSV_ROWS (the file's
 * last line says when it was cut). */
static int h_audit_csv(struct http_call *c, json_t **out)
{
	(void)out;
	struct staff_audit_filter f;
	int status = audit_filter(c, &f);
	if (status)
		return status;
	char err[MG_ERR_LEN];
	struct audit_csv a = {call_db(c), &f, town_zone(http_call_town(c))};
	int rc = admin_download(c, "madoguchi-audit.csv", audit_csv, &a, err);
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, err);
}

const struct http_route http_admin_routes[] = {
	{"POST", "/api/v1/admin/login", h_login, HTTP_PASSWORD},
	{"POST", "/api/v1/admin/logout", h_logout, 0},
	{"GET", "/api/v1/admin/session", h_session, 0},
	{"GET", "/api/v1/admin/report", h_report, 0},
	{"GET", "/api/v1/admin/report.csv", h_report_csv, 0},
	{"GET", "/api/v1/admin/forecast", h_forecast, 0},
	{"GET", "/api/v1/admin/queue", h_queue, 0},
	{"POST", "/api/v1/admin/queue/dismiss", h_dismiss, 0},
	{"POST", "/api/v1/admin/queue/alternate", h_alternate, HTTP_STAFF_WORK},
	{"GET", "/api/v1/admin/entries", h_entries, 0},
	{"GET", "/api/v1/admin/entries/", h_entry_get, 0},
	{"GET", "/api/v1/admin/kb.csv", h_export, 0},
	{"GET", "/api/v1/admin/audit", h_audit, 0},
	{"GET", "/api/v1/admin/audit.csv", h_audit_csv, 0},
	{"GET", "/api/v1/admin/topics", h_topics, 0},
	{"GET", "/api/v1/admin/kb/replaced", h_replaced, 0},
	{"POST", "/api/v1/admin/kb/restore", h_restore, HTTP_STAFF_WORK},
	{"POST", "/api/v1/admin/queue/undo", h_alternate_undo, HTTP_STAFF_WORK},
	{"POST", "/api/v1/admin/entries/unpublish", h_entry_unpublish, HTTP_STAFF_WORK},
	{"POST", "/api/v1/admin/entries/delete", h_entry_delete, HTTP_STAFF_WORK},
	{"GET", "/api/v1/admin/users", h_users, 0},
	{NULL, NULL, NULL, 0},
};

/* Bodies up to HTTP_UPLOAD_MAX: an entry's long answer, a preview of it,
 * a labelled set, the whole knowledge base. */
const struct http_route http_admin_uploads[] = {
	{"POST", "/api/v1/admin/entries", h_entry_save, HTTP_STAFF_WORK},
	{"POST", "/api/v1/admin/preview", h_preview, 0},
	{"POST", "/api/v1/admin/users", h_user_add, HTTP_HASHES},
	{"POST", "/api/v1/admin/users/change", h_user_change, HTTP_HASHES},
	{"POST", "/api/v1/admin/eval", h_eval, HTTP_STAFF_WORK},
	{"POST", "/api/v1/admin/eval/compare", h_compare, HTTP_STAFF_WORK},
	{"POST", "/api/v1/admin/kb.csv", h_import, HTTP_STAFF_WORK},
	{NULL, NULL, NULL, 0},
};
