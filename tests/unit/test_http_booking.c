/* Booking over HTTP as the widget meets it: the real server on 127.0.0.1,
 * port 0, with a small town of its own. Log in, book, change and cancel;
 * replays change nothing; wrong birth dates are refused and then rate
 * limited; many clients racing for the last seats never overbook. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reservation/resv.h"
#include "tests/unit/http_client.h"
#include "widget/http.h"

/* Clients racing for the seats of the one 5-seat slot. */
#define RACERS 16
#define RACE_SEATS 5

struct reply {
	int status;
	json_t *json;
};

/* One request to /api/v1/booking/path; the reply's body parsed as JSON.
 * token and key add the Authorization and Idempotency-Key headers. */
static struct reply call(unsigned port, const char *method, const char *path,
			 const char *token, const char *key, const char *body)
{
	struct reply out = {0};
	char extra[RESV_TOKEN_LEN + RESV_IDEM_KEY_MAX + 128] = "", url[512];
	size_t n = 0;
	if (token)
		n += (size_t)snprintf(extra + n, sizeof extra - n, "Authorization: Bearer %s\r\n", token);
	if (key)
		snprintf(extra + n, sizeof extra - n, "Idempotency-Key: %s\r\n", key);
	snprintf(url, sizeof url, "/api/v1/booking/%s", path);
	struct tc_resp r;
	if (tc_http(port, method, url, extra, body, &r) == 0) {
		out.status = r.status;
		out.json = r.json;  /* handed over to the caller */
		r.json = NULL;
		tc_resp_free(&r);
	}
	return out;
}

static const char *str(json_t *j, const char *a, const char *b)
{
	json_t *v = json_object_get(j, a);
	return json_string_value(b ? json_object_get(v, b) : v);
}

static long long num(json_t *j, const char *a, const char *b)
{
	json_t *v = json_object_get(j, a);
	return json_integer_value(b ? json_object_get(v, b) : v);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int import(struct resv *r, enum resv_import_kind kind, const char *text)
{
	char err[MG_ERR_LEN];
	const char *path = fixture_path("booking-import.csv");
	write_file(path, text);
	int rc = resv_import(r, kind, path, NULL, NULL, NULL, err);
	if (rc != MG_OK)
		printf("    import: %s\n", err);
	return rc;
}

/* ---- the server and its town ------------------------------------------- */

static struct http_server *srv;
static struct town *town;
static char db[512];  /* borrowed by the server for its whole life */

static void stop(void)
{
	http_stop(srv);
	town_free(town);
}

/* Slots: 1 chuo tomorrow 10:00 (3 seats), 2 chuo tomorrow 10:30 (3 seats),
 * 3 kita tomorrow 14:00 (RACE_SEATS seats, for the race). Tickets
 * 1000000000..1000000024, born 1950-04-01. */
static unsigned port(void)
{
	if (srv)
		return http_port(srv);
	char err[MG_ERR_LEN];
	snprintf(db, sizeof db, "%s/http-booking.db", test_tmpdir());
	struct resv *r = NULL;
	if (town_load(NULL, &town, err) != MG_OK || resv_open(&r, db, err) != MG_OK) {
		printf("    open: %s\n", err);
		return 0;
	}
	resv_set_zone(r, town_zone(town));  /* "today+1" is the served town's tomorrow */
	char tickets[4096] = "ticket,birth_date,dose_date,dose_product\n";
	for (int i = 0; i < 25; i++)
		snprintf(tickets + strlen(tickets), sizeof tickets - strlen(tickets),
			 "10000000%02d,1950-04-01,,\n", i);
	/* Vaccinated 30 days ago: the next dose is 60 days away. */
	snprintf(tickets + strlen(tickets), sizeof tickets - strlen(tickets),
		 "1000000099,1950-04-01,today-30,covid\n");
	int rc = import(r, RESV_IMPORT_PRODUCTS,
			"code,name,min_interval_days,same_product,horizon_days\n"
			"covid,コミナティ,90,no,28\n");
	if (rc == MG_OK)
		rc = import(r, RESV_IMPORT_VENUES, "code,name,address,access,accessibility\n"
			    "chuo,中央公民館,,,\nkita,北センター,,,\n");
	if (rc == MG_OK)
		rc = import(r, RESV_IMPORT_SLOTS, "venue,date,start,minutes,capacity,product\n"
			    "chuo,today+1,10:00,30,3,covid\nchuo,today+1,10:30,30,3,covid\n"
			    "kita,today+1,14:00,30,5,covid\n");
	if (rc == MG_OK)
		rc = import(r, RESV_IMPORT_TICKETS, tickets);
	/* The slots are tomorrow: here residents may change them up to the start. */
	if (rc == MG_OK)
		rc = resv_set_change_deadline_days(r, 0, err);
	resv_close(r);
	if (rc != MG_OK)
		return 0;
	struct http_opts o = {.db = db, .quiet = 1, .threads = 4, .rate_burst = -1};
	if (http_start(&o, fixture_model(), town, &srv, err) != MG_OK) {
		printf("    http_start: %s\n", err);
		return 0;
	}
	atexit(stop);
	return http_port(srv);
}

/* The id of the slot at venue and start time (tomorrow), or 0. */
static long long slot_id(const char *venue, const char *start)
{
	char path[128];
	snprintf(path, sizeof path, "slots?venue=%s", venue);
	struct reply r = call(port(), "GET", path, NULL, NULL, NULL);
	long long id = 0;
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(r.json, "slots"), i, s)
		if (!strcmp(str(s, "start", NULL), start))
			id = num(s, "id", NULL);
	json_decref(r.json);
	return id;
}

static int seats_left(long long id)
{
	struct reply r = call(port(), "GET", "slots", NULL, NULL, NULL);
	int left = 0;
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(r.json, "slots"), i, s)
		if (num(s, "id", NULL) == id)
			left = (int)num(s, "free", NULL);
	json_decref(r.json);
	return left;
}

/* Logs ticket in; the token is copied into token (RESV_TOKEN_LEN + 1). */
static int login(const char *ticket, const char *birth, char *token)
{
	char body[256];
	snprintf(body, sizeof body, "{\"ticket\": \"%s\", \"birth_date\": \"%s\"}", ticket, birth);
	struct reply r = call(port(), "POST", "login", NULL, NULL, body);
	if (r.status == 200 && str(r.json, "token", NULL))
		snprintf(token, RESV_TOKEN_LEN + 1, "%s", str(r.json, "token", NULL));
	json_decref(r.json);
	return r.status;
}

/* Events of type in the log, read on a connection of its own once the
 * server's writer has written what was logged so far. */
static int events_of(const char *type)
{
	http_flush_events(srv);
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;
	if (sqlite3_open(db, &h) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT count(*) FROM ev_events WHERE type = ?", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* ---- a resident's booking, start to end -------------------------------------- */

TEST(http_booking, resident_books_changes_and_cancels)
{
	char token[RESV_TOKEN_LEN + 1] = "", body[256];
	REQUIRE(port());
	long long a = slot_id("chuo", "10:00"), b = slot_id("chuo", "10:30");
	REQUIRE(a && b);
	struct reply r = call(port(), "POST", "open", NULL, NULL, "{\"conversation\": \"conv-1\"}");
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "venues")) == 2);
	json_decref(r.json);
	CHECK(events_of("booking_opened") == 1);

	REQUIRE(login("1000000000", "1950-04-01", token) == 200);
	CHECK(strlen(token) == RESV_TOKEN_LEN);
	r = call(port(), "GET", "reservation", token, NULL, NULL);
	CHECK(r.status == 404);
	json_decref(r.json);

	int before = seats_left(a);
	snprintf(body, sizeof body, "{\"slot\": %lld, \"venue\": \"chuo\", \"conversation\": \"conv-1\"}", a);
	r = call(port(), "POST", "book", token, "book-1", body);
	CHECK(r.status == 200);
	CHECK_STR(str(r.json, "reservation", "status"), "booked");
	CHECK_STR(str(r.json, "reservation", "venue_name"), "中央公民館");
	CHECK(num(r.json, "reservation", "slot_id") == a);
	long long id = num(r.json, "reservation", "id");
	json_decref(r.json);
	/* The widget retries after a lost reply: the same key books nothing more. */
	r = call(port(), "POST", "book", token, "book-1", body);
	CHECK(r.status == 200 && num(r.json, "reservation", "id") == id);
	json_decref(r.json);
	CHECK(seats_left(a) == before - 1);
	CHECK(events_of("booking_completed") == 1);

	r = call(port(), "GET", "reservation", token, NULL, NULL);
	CHECK(r.status == 200 && num(r.json, "reservation", "slot_id") == a);
	json_decref(r.json);

	snprintf(body, sizeof body, "{\"slot\": %lld}", b);
	r = call(port(), "POST", "change", token, NULL, body);
	CHECK(r.status == 200 && num(r.json, "reservation", "slot_id") == b);
	CHECK_STR(str(r.json, "reservation", "start"), "10:30");
	json_decref(r.json);
	CHECK(seats_left(a) == before);

	r = call(port(), "POST", "cancel", token, "cancel-1", "{}");
	CHECK(r.status == 200);
	CHECK_STR(str(r.json, "reservation", "status"), "cancelled");
	json_decref(r.json);
	/* The cancellation counts against the conversation that booked, once. */
	r = call(port(), "POST", "cancel", token, "cancel-1", "{}");
	CHECK(r.status == 200);
	json_decref(r.json);
	CHECK(events_of("booking_cancelled") == 1);
	r = call(port(), "GET", "reservation", token, NULL, NULL);
	CHECK(r.status == 404);
	json_decref(r.json);
	CHECK(seats_left(b) == 3);
}

TEST(http_booking, every_refusal_has_its_status)
{
	char token[RESV_TOKEN_LEN + 1] = "", body[256];
	REQUIRE(port());
	long long kita = slot_id("kita", "14:00");
	REQUIRE(kita);
	struct reply r = call(port(), "GET", "reservation", NULL, NULL, NULL);
	CHECK(r.status == 401);
	json_decref(r.json);
	r = call(port(), "GET", "reservation", "0123abcd", NULL, NULL);
	CHECK(r.status == 401);
	json_decref(r.json);
	CHECK(login("12345", "1950-04-01", token) != 200);
	CHECK(login("1000000001", "1950-02-30", token) != 200);

	REQUIRE(login("1000000001", "1950-04-01", token) == 200);
	r = call(port(), "POST", "book", token, NULL, "{\"slot\": \"x\"}");
	CHECK(r.status == 400 && str(r.json, "error", "message"));
	json_decref(r.json);
	/* A slot of another venue than the one the resident chose. */
	snprintf(body, sizeof body, "{\"slot\": %lld, \"venue\": \"chuo\"}", kita);
	r = call(port(), "POST", "book", token, NULL, body);
	CHECK(r.status == 400);
	json_decref(r.json);
	r = call(port(), "POST", "book", token, NULL, "{\"slot\": 999999}");
	CHECK(r.status == 404);
	json_decref(r.json);
	r = call(port(), "POST", "book", token, "bad key!", "{\"slot\": 1}");
	CHECK(r.status == 400);
	json_decref(r.json);
	r = call(port(), "GET", "slots?date=2026-02-30", NULL, NULL, NULL);
	CHECK(r.status == 400);
	json_decref(r.json);
	r = call(port(), "GET", "book", NULL, NULL, NULL);
	CHECK(r.status == 405);
	json_decref(r.json);
}

TEST(http_booking, a_refusal_carries_its_reason_for_the_panel)
{
	char token[RESV_TOKEN_LEN + 1] = "", body[256];
	REQUIRE(port());
	/* A birth date outside its era: what is wrong, as data. */
	struct reply r = call(port(), "POST", "login", NULL, NULL,
			      "{\"ticket\": \"1000000099\", \"birth_date\": \"平成31年5月1日\"}");
	CHECK(r.status == 400);
	CHECK_STR(str(r.json, "error", "reason"), "birth_date");
	CHECK_STR(str(r.json, "error", "problem"), "era_range");
	CHECK_STR(str(r.json, "error", "era"), "平成");
	CHECK_STR(str(r.json, "error", "to"), "2019-04-30");
	json_decref(r.json);
	/* The 和暦 birth date logs in; a dose too soon says from when. */
	REQUIRE(login("1000000099", "昭和25年4月1日", token) == 200);
	snprintf(body, sizeof body, "{\"slot\": %lld}", slot_id("chuo", "10:00"));
	r = call(port(), "POST", "book", token, NULL, body);
	CHECK(r.status == 409);
	CHECK_STR(str(r.json, "error", "reason"), "interval");
	CHECK(str(r.json, "error", "date") && strlen(str(r.json, "error", "date")) == 10);
	CHECK(num(r.json, "error", "days") == 90);
	json_decref(r.json);
	/* Errors without a reason stay as they were. */
	r = call(port(), "POST", "book", token, NULL, "{\"slot\": 999999}");
	CHECK(r.status == 404 && !str(r.json, "error", "reason"));
	json_decref(r.json);
}

TEST(http_booking, wrong_birth_dates_are_refused_then_rate_limited)
{
	char token[RESV_TOKEN_LEN + 1] = "";
	REQUIRE(port());
	for (int i = 0; i < RESV_LOGIN_MAX_FAIL_TICKET; i++) {
		struct reply r = call(port(), "POST", "login", NULL, NULL,
				      "{\"ticket\": \"1000000002\", \"birth_date\": \"1950-04-02\"}");
		CHECK(r.status == 401);
		/* The same words whichever part was wrong. */
		CHECK(str(r.json, "error", "message") && !strstr(str(r.json, "error", "message"), "birth date is wrong"));
		CHECK(!json_object_get(r.json, "token"));
		json_decref(r.json);
	}
	/* Even the right birth date now waits for the window to pass. */
	CHECK(login("1000000002", "1950-04-01", token) == 429);
	CHECK(!token[0]);
	/* Another resident on the same line still gets in. */
	CHECK(login("1000000003", "1950-04-01", token) == 200);
}

/* ---- the last seats, over HTTP -------------------------------------------- */

struct racer {
	char token[RESV_TOKEN_LEN + 1];
	long long slot;
	int status;
};

static pthread_barrier_t gate;

static void *race(void *arg)
{
	struct racer *me = arg;
	char body[64];
	snprintf(body, sizeof body, "{\"slot\": %lld, \"venue\": \"kita\"}", me->slot);
	pthread_barrier_wait(&gate);
	struct reply r = call(port(), "POST", "book", me->token, NULL, body);
	me->status = r.status;
	json_decref(r.json);
	return NULL;
}

TEST(http_booking, racing_clients_fill_a_slot_exactly)
{
	REQUIRE(port());
	long long slot = slot_id("kita", "14:00");
	REQUIRE(slot && seats_left(slot) == RACE_SEATS);
	struct racer racers[RACERS];
	for (int i = 0; i < RACERS; i++) {
		char ticket[16];
		snprintf(ticket, sizeof ticket, "10000000%02d", 5 + i);
		racers[i] = (struct racer){.slot = slot};
		REQUIRE(login(ticket, "1950-04-01", racers[i].token) == 200);
	}
	pthread_t th[RACERS];
	pthread_barrier_init(&gate, NULL, RACERS);
	for (int i = 0; i < RACERS; i++)
		pthread_create(&th[i], NULL, race, &racers[i]);
	int booked = 0, full = 0;
	for (int i = 0; i < RACERS; i++) {
		pthread_join(th[i], NULL);
		booked += racers[i].status == 200;
		full += racers[i].status == 409;
	}
	pthread_barrier_destroy(&gate);
	CHECK(booked == RACE_SEATS);
	CHECK(full == RACERS - RACE_SEATS);
	CHECK(seats_left(slot) == 0);
	char err[MG_ERR_LEN];
	struct resv *r = NULL;
	REQUIRE(resv_open(&r, db, err) == MG_OK);
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}
