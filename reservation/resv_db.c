/* The reservation database: the connection and its settings, the resv_*
 * schema, the statement helpers, the date arithmetic, the town's settings and
 * product rules, and the consistency check. */
#include "reservation/resv_int.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Seats: a slot's `booked` counts its bookings that are not cancelled (a
 * vaccinated or no-show booking used its seat), `held` counts its pending
 * waiting-list offers; the CHECK is the last line of defence behind the
 * conditional UPDATEs that take a seat. At most one active booking (booked or
 * checked in) per ticket and one live waiting entry per ticket are unique
 * indexes, so even a bug in a rule cannot create a second. */
static const char SCHEMA_1[] =
	"CREATE TABLE IF NOT EXISTS resv_settings("
	"  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS resv_products("
	"  code TEXT PRIMARY KEY, name TEXT NOT NULL,"
	"  min_interval_days INTEGER NOT NULL CHECK(min_interval_days >= 0),"
	"  same_product INTEGER NOT NULL CHECK(same_product IN (0, 1)),"
	"  horizon_days INTEGER NOT NULL CHECK(horizon_days > 0));"
	"CREATE TABLE IF NOT EXISTS resv_venues("
	"  id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
	"  address TEXT NOT NULL DEFAULT '', access TEXT NOT NULL DEFAULT '',"
	"  accessibility TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE IF NOT EXISTS resv_slots("
	"  id INTEGER PRIMARY KEY,"
	"  venue_id INTEGER NOT NULL REFERENCES resv_venues(id),"
	"  date TEXT NOT NULL, start TEXT NOT NULL, minutes INTEGER NOT NULL,"
	"  product TEXT NOT NULL REFERENCES resv_products(code),"
	"  capacity INTEGER NOT NULL CHECK(capacity >= 0),"
	"  booked INTEGER NOT NULL DEFAULT 0, held INTEGER NOT NULL DEFAULT 0,"
	"  CHECK(booked >= 0 AND held >= 0 AND booked + held <= capacity),"
	"  UNIQUE(venue_id, date, start, product));"
	"CREATE INDEX IF NOT EXISTS resv_slots_date ON resv_slots(date, start);"
	"CREATE TABLE IF NOT EXISTS resv_tickets("
	"  number TEXT PRIMARY KEY, birth_date TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS resv_doses("
	"  id INTEGER PRIMARY KEY,"
	"  ticket TEXT NOT NULL REFERENCES resv_tickets(number),"
	"  date TEXT NOT NULL, product TEXT NOT NULL, lot TEXT, venue_id INTEGER,"
	"  booking_id INTEGER UNIQUE REFERENCES resv_bookings(id));"
	"CREATE UNIQUE INDEX IF NOT EXISTS resv_doses_one_a_day ON resv_doses(ticket, date);"
	"CREATE TABLE IF NOT EXISTS resv_bookings("
	"  id INTEGER PRIMARY KEY,"
	"  ticket TEXT NOT NULL REFERENCES resv_tickets(number),"
	"  slot_id INTEGER NOT NULL REFERENCES resv_slots(id),"
	"  status TEXT NOT NULL CHECK(status IN ('booked', 'checked_in', 'vaccinated',"
	"    'examined', 'no_show', 'cancelled')),"
	"  by_staff INTEGER NOT NULL DEFAULT 0,"
	"  name_kana TEXT, phone TEXT, email TEXT, lot TEXT,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX IF NOT EXISTS resv_one_active ON resv_bookings(ticket)"
	"  WHERE status IN ('booked', 'checked_in');"
	"CREATE INDEX IF NOT EXISTS resv_bookings_slot ON resv_bookings(slot_id);"
	"CREATE TABLE IF NOT EXISTS resv_waitlist("
	"  id INTEGER PRIMARY KEY,"
	"  ticket TEXT NOT NULL REFERENCES resv_tickets(number),"
	"  venue_id INTEGER REFERENCES resv_venues(id), date TEXT,"
	"  status TEXT NOT NULL CHECK(status IN ('waiting', 'offered', 'booked', 'expired',"
	"    'left')),"
	"  name_kana TEXT, phone TEXT, email TEXT, created_at INTEGER NOT NULL,"
	"  CHECK(venue_id IS NOT NULL OR date IS NOT NULL));"
	"CREATE UNIQUE INDEX IF NOT EXISTS resv_one_wait ON resv_waitlist(ticket)"
	"  WHERE status IN ('waiting', 'offered');"
	"CREATE TABLE IF NOT EXISTS resv_offers("
	"  id INTEGER PRIMARY KEY,"
	"  waitlist_id INTEGER NOT NULL REFERENCES resv_waitlist(id),"
	"  ticket TEXT NOT NULL, slot_id INTEGER NOT NULL REFERENCES resv_slots(id),"
	"  status TEXT NOT NULL CHECK(status IN ('pending', 'accepted', 'declined', 'expired')),"
	"  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS resv_offers_pending ON resv_offers(status, expires_at);"
	"CREATE TABLE IF NOT EXISTS resv_outbox("
	"  id INTEGER PRIMARY KEY, ticket TEXT NOT NULL, kind TEXT NOT NULL,"
	"  payload TEXT NOT NULL, created_at INTEGER NOT NULL, sent_at INTEGER);"
	"CREATE TABLE IF NOT EXISTS resv_idempotency("
	"  ticket TEXT NOT NULL, key TEXT NOT NULL, op TEXT NOT NULL, request TEXT NOT NULL,"
	"  booking_id INTEGER NOT NULL, created_at INTEGER NOT NULL,"
	"  PRIMARY KEY(ticket, key)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS resv_login_failures("
	"  kind TEXT NOT NULL, key BLOB NOT NULL, at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS resv_login_failures_key ON resv_login_failures(kind, key, at);"
	"CREATE TABLE IF NOT EXISTS resv_sessions("
	"  token_hash BLOB PRIMARY KEY, ticket TEXT NOT NULL, expires_at INTEGER NOT NULL)"
	"  WITHOUT ROWID;";

/* Added for booking operations (reception desks, closing slots): a file made
 * before them gains the table and the columns in step 1. A closed slot takes
 * no booking and counts no capacity; a booking cancelled because its slot
 * closed says so. */
static const char SCHEMA_1_OPS[] =
	"CREATE TABLE IF NOT EXISTS resv_desks("
	"  staff TEXT NOT NULL, venue_id INTEGER NOT NULL REFERENCES resv_venues(id),"
	"  PRIMARY KEY(staff, venue_id)) WITHOUT ROWID;";

static const struct {
	const char *table, *column, *decl;
} added_columns[] = {
	{"resv_slots", "closed", "INTEGER NOT NULL DEFAULT 0"},
	{"resv_bookings", "cancel_reason", "TEXT"},
	/* English names, for residents who read English: "" shows the Japanese. */
	{"resv_venues", "name_en", "TEXT NOT NULL DEFAULT ''"},
	{"resv_venues", "address_en", "TEXT NOT NULL DEFAULT ''"},
	{"resv_products", "name_en", "TEXT NOT NULL DEFAULT ''"},
};

static int adopt_1(sqlite3 *db, void *ctx, char *err)
{
	(void)ctx;
	int rc = sqlite3_exec(db, SCHEMA_1_OPS, NULL, NULL, NULL) == SQLITE_OK ? MG_OK
		 : mg_db_fail(db, err, "the reservation tables");
	for (size_t i = 0; rc == MG_OK && i < sizeof added_columns / sizeof *added_columns; i++)
		rc = mg_db_add_column(db, added_columns[i].table, added_columns[i].column, added_columns[i].decl,
				      err);
	return rc;
}

/* The resv_ tables' migrations (nlp/db.h): step 1 is the schema as it
 * shipped when migrations came; a change is a step added below it, never an
 * edit of it. */
static const struct mg_db_step STEPS[] = {
	{SCHEMA_1, adopt_1},
};
const struct mg_db_schema resv_schema = {"reservation", STEPS, sizeof STEPS / sizeof *STEPS};

/* A database failure in words a resident can act on: the write was refused whole. */
static int in_words(int rc, char *err)
{
	if (rc == MG_ERR_BUSY)
		return mg_fail(err, rc, "the booking system is busy; please try again");
	if (rc == MG_ERR_NOSPACE)
		return mg_fail(err, rc, "the booking could not be saved just now and nothing was "
			       "changed; please try again later or call the booking line");
	return rc;
}

int resv_x_dberr(struct resv *r, char *err, const char *what)
{
	return in_words(mg_db_fail(r->db, err, what), err);
}

static void sql_kana(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	if (!s) {
		sqlite3_result_null(ctx);
		return;
	}
	/* Folding keeps the length: a kana stays 3 bytes, anything else as is. */
	size_t cap = strlen(s) + 1;
	char *out = sqlite3_malloc64(cap);
	if (!out) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	resv_x_kana_fold(s, 1, out, cap);
	sqlite3_result_text(ctx, out, -1, sqlite3_free);
}

static int load_change_deadline(struct resv *r, char *err);

int resv_open(struct resv **out, const char *path, char *err)
{
	*out = NULL;
	struct resv *r = calloc(1, sizeof *r);
	if (!r)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	int rc = MG_OK;
	if (sodium_init() < 0)
		rc = mg_fail(err, MG_ERR_INTERNAL, "libsodium could not start");
	/* WAL: readers (slot lists) never wait for a booking; every booking
	 * commit synced. */
	if (rc == MG_OK)
		rc = mg_db_open(path, 1, MG_DB_SYNC_FULL, &r->db, err);
	if (rc == MG_OK && !(r->stmts = mg_db_stmts_new(r->db)))
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK && sqlite3_create_function(r->db, "resv_kana", 1, SQLITE_UTF8 |
						   SQLITE_DETERMINISTIC, NULL, sql_kana, NULL,
						   NULL) != SQLITE_OK)
		rc = resv_x_dberr(r, err, "functions");
	/* The schema is written, when it must be, in one write of its own. */
	if (rc == MG_OK && (rc = mg_db_migrate(r->db, &resv_schema, NULL, err)) != MG_OK)
		rc = in_words(rc, err);
	if (rc == MG_OK)
		rc = load_change_deadline(r, err);
	if (rc != MG_OK) {
		resv_close(r);
		return rc;
	}
	*out = r;
	return MG_OK;
}

void resv_close(struct resv *r)
{
	if (!r)
		return;
	mg_db_stmts_free(r->stmts);
	sqlite3_close(r->db);
	free(r);
}

struct resv_refusal *resv_x_refuse(struct resv *r, enum resv_why why)
{
	memset(&r->refusal, 0, sizeof r->refusal);
	r->refusal.why = why;
	return &r->refusal;
}

const struct resv_refusal *resv_refusal(const struct resv *r)
{
	return &r->refusal;
}

static const char *why_name(enum resv_why why)
{
	switch (why) {
	case RESV_WHY_TICKET_NUMBER: return "ticket_number";
	case RESV_WHY_BIRTH_DATE: return "birth_date";
	case RESV_WHY_STARTED: return "started";
	case RESV_WHY_NOT_OPEN_YET: return "not_open_yet";
	case RESV_WHY_HAS_BOOKING: return "has_booking";
	case RESV_WHY_INTERVAL: return "interval";
	case RESV_WHY_SAME_PRODUCT: return "same_product";
	case RESV_WHY_FULL: return "full";
	case RESV_WHY_WAITING: return "waiting";
	case RESV_WHY_SEATS_FREE: return "seats_free";
	case RESV_WHY_OFFER_GONE: return "offer_gone";
	case RESV_WHY_CLOSED: return "closed";
	case RESV_WHY_DEADLINE: return "deadline";
	case RESV_WHY_CUTOFF: return "cutoff";
	case RESV_WHY_CONTACT: return "contact";
	case RESV_WHY_NO_BOOKING_TODAY: return "no_booking_today";
	case RESV_WHY_NOT_TODAY: return "not_today";
	case RESV_WHY_NOT_CHECKED_IN: return "not_checked_in";
	case RESV_WHY_NOT_STARTED: return "not_started";
	case RESV_WHY_ALREADY_DONE: return "already_done";
	case RESV_WHY_BELOW_TAKEN: return "below_taken";
	default: return NULL;
	}
}

json_t *resv_refusal_json(const struct resv *r)
{
	const struct resv_refusal *f = &r->refusal;
	const char *name = why_name(f->why);
	json_t *j = name ? json_pack("{s:s}", "reason", name) : NULL;
	if (!j)
		return NULL;
	int bad = 0;
	if (f->date[0])
		bad |= json_object_set_new(j, "date", json_string(f->date));
	if (f->last_dose[0])
		bad |= json_object_set_new(j, "last_dose", json_string(f->last_dose));
	if (f->days)
		bad |= json_object_set_new(j, "days", json_integer(f->days));
	if (f->product[0])
		bad |= json_object_set_new(j, "product", json_string(f->product));
	if (f->time[0])
		bad |= json_object_set_new(j, "time", json_string(f->time));
	if (f->status[0])
		bad |= json_object_set_new(j, "status", json_string(f->status));
	if (f->field[0])
		bad |= json_object_set_new(j, "field", json_string(f->field));
	if (f->problem[0])
		bad |= json_object_set_new(j, "problem", json_string(f->problem));
	if (f->why == RESV_WHY_BELOW_TAKEN)
		bad |= json_object_set_new(j, "seats", json_integer(f->seats));
	if (f->why == RESV_WHY_BIRTH_DATE) {
		const struct nlp_date *b = &f->birth;
		bad |= json_object_set_new(j, "problem", json_string(nlp_date_why_name(b->why)));
		if (b->why == NLP_DATE_ERA_RANGE && b->era)
			bad |= json_object_update_new(j, json_pack("{s:s, s:s, s:s, s:s}", "era", b->era->name,
							       "era_en", b->era->name_en, "from", b->era->first,
							       "to", b->era->last));
		if (b->why == NLP_DATE_MONTH || b->why == NLP_DATE_DAY)
			bad |= json_object_set_new(j, "month", json_integer(b->month));
		if (b->why == NLP_DATE_DAY)
			bad |= json_object_update_new(j, json_pack("{s:i, s:i}", "year", b->year,
							       "days", b->days_in_month));
	}
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

void resv_set_now(struct resv *r, time_t now)
{
	r->fixed_now = now;
}

void resv_set_zone(struct resv *r, const struct nlp_zone *zone)
{
	r->zone = zone;
}

time_t resv_x_now(const struct resv *r)
{
	return r->fixed_now ? r->fixed_now : time(NULL);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static long days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int resv_x_date_parse(const char *s, long *days)
{
	int y, m, d;
	if (nlp_date_iso(s, &y, &m, &d) != MG_OK || y < 1900)
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

void resv_x_date_format(long days, char out[11])
{
	long y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	/* Dates here are between 1900 and 9999 (resv_x_date_parse refuses others). */
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
}

int resv_x_time_parse(const char *s)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return -1;
	int h = digits(s, 2), m = digits(s + 3, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	return h * 60 + m;
}

long resv_x_today(const struct resv *r)
{
	struct tm tm;
	nlp_zone_tm(r->zone, resv_x_now(r), &tm);
	return days_from_civil(tm.tm_year + 1900L, tm.tm_mon + 1, tm.tm_mday);
}

void resv_x_time_text(const struct resv *r, time_t t, char out[17])
{
	nlp_zone_time_text(r->zone, t, 0, out);
}

void resv_x_now_text(const struct resv *r, char out[17])
{
	resv_x_time_text(r, resv_x_now(r), out);
}

static int vprep(struct resv *r, sqlite3_stmt **st, char *err, const char *sql,
		 const char *fmt, va_list ap)
{
	if (mg_db_stmt_get(r->stmts, sql, st) != SQLITE_OK)
		return resv_x_dberr(r, err, "prepare");
	int rc = SQLITE_OK;
	for (int i = 0; fmt && fmt[i] && rc == SQLITE_OK; i++) {
		if (fmt[i] == 'i') {
			rc = sqlite3_bind_int64(*st, i + 1, va_arg(ap, long long));
		} else if (fmt[i] == 'd') {
			rc = sqlite3_bind_int(*st, i + 1, va_arg(ap, int));
		} else {
			const char *t = va_arg(ap, const char *);
			rc = t ? sqlite3_bind_text(*st, i + 1, t, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(*st, i + 1);
		}
	}
	if (rc != SQLITE_OK) {
		int out = resv_x_dberr(r, err, "bind");
		resv_x_done(r, *st);
		*st = NULL;
		return out;
	}
	return MG_OK;
}

void resv_x_done(struct resv *r, sqlite3_stmt *st)
{
	mg_db_stmt_put(r->stmts, st);
}

int resv_x_prep(struct resv *r, sqlite3_stmt **st, char *err, const char *sql,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vprep(r, st, err, sql, fmt, ap);
	va_end(ap);
	return rc;
}

json_t *resv_x_row_json(sqlite3_stmt *st, const char *const *keys, int skip_null)
{
	json_t *o = json_object();
	for (int i = 0; o && keys[i]; i++) {
		const char *key = keys[i] + (keys[i][0] == '?');
		int type = sqlite3_column_type(st, i);
		json_t *v;
		if (type == SQLITE_NULL && skip_null)
			continue;
		if (type == SQLITE_NULL)
			v = json_null();
		else if (keys[i][0] == '?')
			v = json_boolean(sqlite3_column_int(st, i));
		else if (type == SQLITE_INTEGER)
			v = json_integer(sqlite3_column_int64(st, i));
		else
			v = json_string((const char *)sqlite3_column_text(st, i));
		if (json_object_set_new(o, key, v)) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int resv_x_rows(struct resv *r, json_t *into, char *err, const char *const *keys, const char *sql,
		const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	va_start(ap, fmt);
	int rc = vprep(r, &st, err, sql, fmt, ap);
	va_end(ap);
	int s = SQLITE_DONE;
	while (rc == MG_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
		if (json_array_append_new(into, resv_x_row_json(st, keys, 0)))
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK && s != SQLITE_DONE)
		rc = resv_x_dberr(r, err, "read");
	resv_x_done(r, st);
	return rc;
}

int resv_x_run(struct resv *r, int *changes, char *err, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	va_start(ap, fmt);
	int rc = vprep(r, &st, err, sql, fmt, ap);
	va_end(ap);
	if (rc == MG_OK) {
		int s = sqlite3_step(st);
		if (s == SQLITE_CONSTRAINT)
			rc = mg_fail(err, MG_ERR_CONFLICT, "%s", sqlite3_errmsg(r->db));
		else if (s != SQLITE_DONE && s != SQLITE_ROW)
			rc = resv_x_dberr(r, err, "write");
		else if (changes)
			*changes = sqlite3_changes(r->db);
	}
	resv_x_done(r, st);
	return rc;
}

int resv_x_int(struct resv *r, long long *out, char *err, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	va_start(ap, fmt);
	int rc = vprep(r, &st, err, sql, fmt, ap);
	va_end(ap);
	if (rc == MG_OK) {
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW)
			*out = sqlite3_column_int64(st, 0);
		else if (s == SQLITE_DONE)
			rc = mg_fail(err, MG_ERR_NOT_FOUND, "not found");
		else
			rc = resv_x_dberr(r, err, "read");
	}
	resv_x_done(r, st);
	return rc;
}

int resv_x_begin(struct resv *r, char *err)
{
	int rc = mg_db_write_begin(r->db, &r->write, err);
	return rc != MG_OK ? in_words(rc, err) : MG_OK;
}

int resv_x_end(struct resv *r, int rc, char *err)
{
	int was = rc;
	rc = mg_db_write_end(r->db, &r->write, rc, err);
	return rc != was ? in_words(rc, err) : rc;
}

int resv_write_begin(struct resv *r, char *err)
{
	return resv_x_begin(r, err);
}

int resv_write_end(struct resv *r, int rc, char *err)
{
	return resv_x_end(r, rc, err);
}

sqlite3 *resv_db(struct resv *r)
{
	return r->db;
}

/* Decodes one UTF-8 code point; returns its length or 0 if invalid/truncated.
 * Only what ticket numbers need: ASCII and the 3-byte full-width forms. */
static int utf8_3(const unsigned char *p, unsigned *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
		*cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
		return 3;
	}
	return 0;
}

int resv_x_ticket_digits(const char *in, char out[RESV_TICKET_LEN + 1])
{
	int n = 0;
	if (!in)
		return -1;
	/* Residents type what is printed, often with the phone's full-width
	 * keyboard: ０-９ (U+FF10..), spaces (incl. U+3000) and hyphens (incl. U+FF0D, U+30FC). */
	for (const unsigned char *p = (const unsigned char *)in; *p;) {
		unsigned cp;
		int len = utf8_3(p, &cp);
		if (!len)
			return -1;
		p += len;
		if (cp >= 0xFF10 && cp <= 0xFF19)
			cp = '0' + (cp - 0xFF10);
		if (cp >= '0' && cp <= '9') {
			if (n == RESV_TICKET_LEN)
				return -1;
			out[n++] = (char)cp;
		} else if (cp != ' ' && cp != '-' && cp != 0x3000 && cp != 0xFF0D && cp != 0x30FC &&
			   cp != 0x2010 && cp != 0x2212) {
			return -1;
		}
	}
	out[n] = '\0';
	return n;
}

int resv_x_ticket_norm(const char *in, char out[RESV_TICKET_LEN + 1], char *err)
{
	if (resv_x_ticket_digits(in, out) != RESV_TICKET_LEN)
		return mg_fail(err, MG_ERR_INPUT, "the ticket number is the 10 digits printed on the ticket");
	return MG_OK;
}

/* ---- Settings and product rules ------------------------------------------ */

static const char *const field_names[RESV_FIELD_COUNT] = {"name_kana", "phone", "email"};
static const char *const policy_names[] = {"off", "optional", "required"};

int resv_field_from_name(const char *name)
{
	for (int i = 0; name && i < RESV_FIELD_COUNT; i++)
		if (!strcmp(name, field_names[i]))
			return i;
	return -1;
}

int resv_policy_from_name(const char *name)
{
	for (int i = 0; name && i <= RESV_REQUIRED; i++)
		if (!strcmp(name, policy_names[i]))
			return i;
	return -1;
}

const char *resv_field_name(enum resv_field field)
{
	return field < RESV_FIELD_COUNT ? field_names[field] : "?";
}

const char *resv_policy_name(enum resv_policy policy)
{
	return policy <= RESV_REQUIRED ? policy_names[policy] : "?";
}

int resv_field_policy(struct resv *r, enum resv_field field, enum resv_policy *out, char *err)
{
	char key[32];
	snprintf(key, sizeof key, "field.%s", resv_field_name(field));
	sqlite3_stmt *st;
	/* A town that has not decided holds no personal data: the default is off. */
	*out = RESV_OFF;
	int rc = resv_x_prep(r, &st, err, "SELECT value FROM resv_settings WHERE key = ?", "t", key);
	if (rc == MG_OK) {
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			int p = resv_policy_from_name((const char *)sqlite3_column_text(st, 0));
			*out = p < 0 ? RESV_OFF : (enum resv_policy)p;
		} else if (s != SQLITE_DONE) {
			rc = resv_x_dberr(r, err, "settings");
		}
	}
	resv_x_done(r, st);
	return rc;
}

int resv_set_field_policy(struct resv *r, enum resv_field field, enum resv_policy policy,
			  char *err)
{
	if (field >= RESV_FIELD_COUNT || policy > RESV_REQUIRED)
		return mg_fail(err, MG_ERR_INPUT, "unknown field or policy");
	char key[32];
	snprintf(key, sizeof key, "field.%s", resv_field_name(field));
	return resv_x_run(r, NULL, err,
			  "INSERT INTO resv_settings(key, value) VALUES(?, ?)"
			  " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			  "tt", key, resv_policy_name(policy));
}

#define DEADLINE_KEY "change_deadline_days"

/* The setting into r->change_deadline_days; the default when unset. */
static int load_change_deadline(struct resv *r, char *err)
{
	long long v = RESV_CHANGE_DEADLINE_DAYS;
	int rc = resv_x_int(r, &v, err, "SELECT CAST(value AS INTEGER) FROM resv_settings"
			    " WHERE key = ?", "t", DEADLINE_KEY);
	if (rc == MG_ERR_NOT_FOUND)
		rc = MG_OK;
	r->change_deadline_days = (int)v;
	return rc;
}

int resv_change_deadline_days(const struct resv *r)
{
	return r->change_deadline_days;
}

int resv_set_change_deadline_days(struct resv *r, int days, char *err)
{
	if (days < 0 || days > RESV_MAX_CHANGE_DEADLINE_DAYS)
		return mg_fail(err, MG_ERR_INPUT, "the deadline is 0..%d days before",
			       RESV_MAX_CHANGE_DEADLINE_DAYS);
	char value[16];
	snprintf(value, sizeof value, "%d", days);
	int rc = resv_x_run(r, NULL, err,
			    "INSERT INTO resv_settings(key, value) VALUES(?, ?)"
			    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			    "tt", DEADLINE_KEY, value);
	if (rc == MG_OK)
		r->change_deadline_days = days;
	return rc;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* A code as set-up files and the console write it: 1..RESV_CODE_MAX bytes, no spaces. */
static int code_ok(const char *code)
{
	size_t n = strlen(or_empty(code));
	return n && n <= RESV_CODE_MAX && !strchr(code, ' ');
}

const char *resv_product_check(const struct resv_product *p, char *err)
{
	if (!code_ok(p->code)) {
		mg_fail(err, MG_ERR_INPUT, "code must be 1..%d characters without spaces", RESV_CODE_MAX);
		return "code";
	}
	if (!*or_empty(p->name) || strlen(p->name) > RESV_TEXT_MAX || strlen(or_empty(p->name_en)) > RESV_TEXT_MAX) {
		mg_fail(err, MG_ERR_INPUT, "name is required; names up to %d bytes", RESV_TEXT_MAX);
		return "name";
	}
	if (p->min_interval_days < 0 || p->min_interval_days > RESV_MAX_INTERVAL_DAYS) {
		mg_fail(err, MG_ERR_INPUT, "min_interval_days must be 0..%d", RESV_MAX_INTERVAL_DAYS);
		return "min_interval_days";
	}
	if (p->horizon_days < 1 || p->horizon_days > RESV_MAX_HORIZON_DAYS) {
		mg_fail(err, MG_ERR_INPUT, "horizon_days must be 1..%d", RESV_MAX_HORIZON_DAYS);
		return "horizon_days";
	}
	if (p->same_product != 0 && p->same_product != 1) {
		mg_fail(err, MG_ERR_INPUT, "same_product must be yes or no");
		return "same_product";
	}
	return NULL;
}

int resv_set_product(struct resv *r, const struct resv_product *p, char *err)
{
	if (resv_product_check(p, err))
		return MG_ERR_INPUT;
	return resv_x_run(r, NULL, err,
			  "INSERT INTO resv_products(code, name, min_interval_days, same_product,"
			  " horizon_days, name_en) VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(code) DO UPDATE"
			  " SET name = excluded.name, min_interval_days = excluded.min_interval_days,"
			  " same_product = excluded.same_product, horizon_days = excluded.horizon_days,"
			  " name_en = excluded.name_en",
			  "ttdddt", p->code, p->name, p->min_interval_days, p->same_product,
			  p->horizon_days, p->name_en ? p->name_en : "");
}

const char *resv_venue_check(const struct resv_venue *v, char *err)
{
	const char *texts[] = {v->name, v->address, v->access, v->accessibility, v->name_en, v->address_en};
	int too_long = 0;
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
		too_long |= strlen(or_empty(texts[i])) > RESV_TEXT_MAX;
	if (!code_ok(v->code)) {
		mg_fail(err, MG_ERR_INPUT, "code must be 1..%d characters without spaces", RESV_CODE_MAX);
		return "code";
	}
	if (!*or_empty(v->name) || too_long) {
		mg_fail(err, MG_ERR_INPUT, "name is required; texts up to %d bytes", RESV_TEXT_MAX);
		return "name";
	}
	return NULL;
}

void resv_check_range(const char *reason, int *lo, int *hi)
{
	static const struct {
		const char *reason;
		int lo, hi;
	} RANGES[] = {
		{"code", 1, RESV_CODE_MAX}, {"name", 1, RESV_TEXT_MAX},
		{"min_interval_days", 0, RESV_MAX_INTERVAL_DAYS}, {"horizon_days", 1, RESV_MAX_HORIZON_DAYS},
	};
	*lo = *hi = 0;
	for (size_t i = 0; reason && i < sizeof RANGES / sizeof *RANGES; i++)
		if (!strcmp(reason, RANGES[i].reason))
			*lo = RANGES[i].lo, *hi = RANGES[i].hi;
}

int resv_set_venue(struct resv *r, const struct resv_venue *v, char *err)
{
	if (resv_venue_check(v, err))
		return MG_ERR_INPUT;
	return resv_x_run(r, NULL, err,
			  "INSERT INTO resv_venues(code, name, address, access, accessibility,"
			  " name_en, address_en) VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(code)"
			  " DO UPDATE SET name = excluded.name, address = excluded.address,"
			  " access = excluded.access, accessibility = excluded.accessibility,"
			  " name_en = excluded.name_en, address_en = excluded.address_en",
			  "ttttttt", v->code, v->name, or_empty(v->address), or_empty(v->access),
			  or_empty(v->accessibility), or_empty(v->name_en), or_empty(v->address_en));
}

int resv_fields_json(struct resv *r, json_t **out, char *err)
{
	json_t *fields = json_object();
	int rc = fields ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	for (int f = 0; rc == MG_OK && f < RESV_FIELD_COUNT; f++) {
		enum resv_policy p;
		rc = resv_field_policy(r, (enum resv_field)f, &p, err);
		if (rc == MG_OK)
			json_object_set_new(fields, resv_field_name((enum resv_field)f),
					    json_string(resv_policy_name(p)));
	}
	if (rc != MG_OK) {
		json_decref(fields);
		fields = NULL;
	}
	*out = fields;
	return rc;
}

int resv_settings_json(struct resv *r, json_t **out, char *err)
{
	*out = NULL;
	json_t *o = json_object(), *fields = NULL, *products = json_array();
	int rc = o && products ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = resv_fields_json(r, &fields, err);
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK)
		rc = resv_x_prep(r, &st, err, "SELECT code, name, min_interval_days, same_product,"
				 " horizon_days, name_en FROM resv_products ORDER BY code", NULL);
	while (rc == MG_OK && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(products, json_pack(
			"{s:s, s:s, s:i, s:b, s:i, s:s}",
			"code", (const char *)sqlite3_column_text(st, 0),
			"name", (const char *)sqlite3_column_text(st, 1),
			"min_interval_days", sqlite3_column_int(st, 2),
			"same_product", sqlite3_column_int(st, 3),
			"horizon_days", sqlite3_column_int(st, 4),
			"name_en", (const char *)sqlite3_column_text(st, 5)));
	resv_x_done(r, st);
	if (rc == MG_OK) {
		json_object_set(o, "fields", fields);
		json_object_set(o, "products", products);
		*out = o;
		o = NULL;
	}
	json_decref(o);
	json_decref(fields);
	json_decref(products);
	return rc;
}

int resv_check(struct resv *r, char *err)
{
	long long bad = 0;
	int rc = resv_x_int(r, &bad, err,
			    "SELECT count(*) FROM resv_slots s WHERE"
			    " s.booked != (SELECT count(*) FROM resv_bookings b"
			    "   WHERE b.slot_id = s.id AND b.status != 'cancelled')"
			    " OR s.held != (SELECT count(*) FROM resv_offers o"
			    "   WHERE o.slot_id = s.id AND o.status = 'pending')"
			    " OR s.booked + s.held > s.capacity", NULL);
	if (rc == MG_OK && bad)
		return mg_fail(err, MG_ERR_INTERNAL, "%lld slots have inconsistent seat counts", bad);
	long long doubles = 0;
	if (rc == MG_OK)
		rc = resv_x_int(r, &doubles, err,
				"SELECT count(*) FROM (SELECT ticket FROM resv_bookings"
				" WHERE status IN ('booked', 'checked_in')"
				" GROUP BY ticket HAVING count(*) > 1)", NULL);
	if (rc == MG_OK && doubles)
		return mg_fail(err, MG_ERR_INTERNAL, "%lld tickets hold two bookings", doubles);
	return rc;
}
