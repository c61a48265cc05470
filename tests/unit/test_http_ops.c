/* The console's booking operations as the browser meets them: the real
 * server on 127.0.0.1, port 0, its clock at 08:00 on the town's 1 December,
 * one account per role. Reception sees only its venue and checks in by the
 * printed number; the call centre books for a caller with the widget's
 * reasons; an administrator makes a week of slots, closes one and the outbox
 * tells its resident. Every refusal is a JSON error with its reason. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "chatbot/staff.h"
#include "tests/unit/http_client.h"
#include "tests/unit/resv_town.h"
#include "widget/http.h"

static struct http_server *srv;
static struct town *town;
static char db[512];

static void stop(void)
{
	http_stop(srv);
	town_free(town);
}

struct who {
	char token[TC_STAFF_TOKEN_LEN + 1], csrf[TC_STAFF_TOKEN_LEN + 1];
};

static const struct {
	const char *name;
	enum staff_role role;
} accounts[] = {
	{"uke1", STAFF_RECEPTION}, {"callc1", STAFF_CALL_CENTER}, {"kanri1", STAFF_ADMIN},
	{"editor2", STAFF_EDITOR},
};
#define PASSWORD "vaccination season 2026"

/* The server over the test town; reception uke1 has the desk of chuo. */
static unsigned port(void)
{
	if (srv)
		return http_port(srv);
	char err[MG_ERR_LEN];
	if (town_load(NULL, &town, err) != MG_OK)
		return 0;
	struct resv *r = ops_town(town_zone(town), db);
	static const char *const chuo[] = {"chuo"};
	int ok = r && resv_desk_set(r, "uke1", chuo, 1, err) == MG_OK;
	/* Slot 1 (chuo 09:00) for two residents, slot 3 (kita 09:00) for one. */
	struct resv_request at1 = {.slot_id = 1}, at3 = {.slot_id = 3};
	ok = ok && resv_staff_book(r, "2000000001", &at1, NULL, err) == MG_OK;
	ok = ok && resv_staff_book(r, "2000000002", &at1, NULL, err) == MG_OK;
	ok = ok && resv_staff_book(r, "2000000003", &at3, NULL, err) == MG_OK;
	resv_close(r);
	sqlite3 *h = NULL;
	ok = ok && sqlite3_open(db, &h) == SQLITE_OK;
	ok = ok && staff_init(h, err) == MG_OK;  /* the server has not opened it yet */
	for (size_t i = 0; ok && i < sizeof accounts / sizeof *accounts; i++)
		ok = staff_user_add(h, NULL, accounts[i].name, accounts[i].role, PASSWORD, err) == MG_OK;
	sqlite3_close(h);
	struct http_opts o = {.db = db, .quiet = 1, .threads = 2, .rate_burst = -1,
			      .clock_offset = (long)(T0 - time(NULL))};
	if (!ok || http_start(&o, fixture_model(), town, &srv, err) != MG_OK) {
		printf("    ops server: %s\n", err);
		return 0;
	}
	atexit(stop);
	return http_port(srv);
}

static int as(const char *name, struct who *w)
{
	return port() && tc_staff_login(port(), name, PASSWORD, w->token, w->csrf) == 200;
}

/* A console request as w (csrf sent with every POST); the reply's status. */
static int ops(const struct who *w, const char *method, const char *path, const char *body,
	       struct tc_resp *r)
{
	char url[512];
	snprintf(url, sizeof url, "/api/v1/admin/ops/%s", path);
	if (tc_staff(port(), method, url, w->token, strcmp(method, "POST") ? NULL : w->csrf, body, r))
		return -1;
	return r->status;
}

static const char *reason(const struct tc_resp *r)
{
	return json_string_value(json_object_get(json_object_get(r->json, "error"), "reason"));
}

static const char *str(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	return json_string_value(b ? json_object_get(v, b) : v);
}

static int audited(const char *action)
{
	sqlite3 *h = NULL;
	sqlite3_open(db, &h);
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM staff_audit WHERE action = '%s'", action);
	int n = fixture_count(h, sql);
	sqlite3_close(h);
	return n;
}

TEST(http_ops, reception_sees_its_venue_and_checks_in_by_the_printed_number)
{
	struct who w;
	REQUIRE(as("uke1", &w));
	struct tc_resp r;
	REQUIRE(ops(&w, "GET", "day", NULL, &r) == 200);
	CHECK_STR(str(r.json, "date", NULL), OPS_TODAY);  /* the town's day, not the machine's */
	CHECK(json_array_size(json_object_get(r.json, "bookings")) == 2);  /* chuo's two, not kita's */
	CHECK(json_array_size(json_object_get(r.json, "venues")) == 1);
	CHECK(json_is_false(json_object_get(r.json, "all_venues")));
	tc_resp_free(&r);
	CHECK(ops(&w, "GET", "day?venue=kita", NULL, &r) == 403);
	CHECK_STR(reason(&r), "not_your_venue");
	tc_resp_free(&r);

	/* A change needs the CSRF token. */
	CHECK(tc_staff(port(), "POST", "/api/v1/admin/ops/desk", w.token, NULL,
		       "{\"ticket\":\"2000-000-001\",\"step\":\"checkin\"}", &r) == 0 && r.status == 403);
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "desk", "{\"ticket\":\"2000-000-001\",\"step\":\"vaccinated\","
		  "\"lot\":\"FK1234\"}", &r) == 409);
	CHECK_STR(reason(&r), "not_checked_in");
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "desk", "{\"ticket\":\"2000-000-001\",\"step\":\"checkin\"}", &r) == 200);
	CHECK_STR(str(r.json, "reservation", "status"), "checked_in");
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "desk", "{\"ticket\":\"２０００００００01\",\"step\":\"vaccinated\","
		  "\"lot\":\"FK1234\"}", &r) == 200);
	CHECK_STR(str(r.json, "reservation", "status"), "vaccinated");
	tc_resp_free(&r);
	/* Booked at kita: not found at chuo's desk, and kita is not named. */
	CHECK(ops(&w, "POST", "desk", "{\"ticket\":\"2000000003\",\"step\":\"checkin\"}", &r) == 404);
	CHECK_STR(reason(&r), "no_booking_today");
	CHECK(!strstr(r.body, "kita"));
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "desk", "{\"ticket\":\"2000000002\",\"step\":\"dance\"}", &r) == 400);
	CHECK(json_is_string(json_object_get(json_object_get(r.json, "error"), "message")));
	tc_resp_free(&r);
	CHECK(audited("desk.checkin") == 1 && audited("desk.vaccinated") == 1);

	/* Reception is not the call centre nor an administrator. */
	CHECK(ops(&w, "POST", "caller", "{\"ticket\":\"2000000001\",\"birth_date\":\"1950-04-01\"}",
		  &r) == 403);
	tc_resp_free(&r);
	CHECK(ops(&w, "GET", "slots", NULL, &r) == 403);
	tc_resp_free(&r);
}

TEST(http_ops, the_call_centre_books_for_a_caller_with_the_widgets_reasons)
{
	struct who w;
	REQUIRE(as("callc1", &w));
	struct tc_resp r;
	/* 和暦, as the caller says it. */
	CHECK(ops(&w, "POST", "caller", "{\"ticket\":\"2000000005\",\"birth_date\":\"昭和36年2月2日\"}",
		  &r) == 200);
	CHECK_STR(str(r.json, "ticket", NULL), "2000000005");
	CHECK(json_array_size(json_object_get(r.json, "bookings")) == 0);
	tc_resp_free(&r);
	/* A wrong birth date is refused, but the operator's session goes on (not 401). */
	CHECK(ops(&w, "POST", "caller", "{\"ticket\":\"2000000005\",\"birth_date\":\"1961-02-03\"}",
		  &r) == 403);
	CHECK_STR(reason(&r), "no_match");
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "caller", "{\"ticket\":\"2000000005\",\"birth_date\":\"2月30日\"}", &r) ==
	      400);
	CHECK_STR(reason(&r), "birth_date");
	tc_resp_free(&r);

	CHECK(ops(&w, "GET", "free?venue=chuo&date=2026-12-02", NULL, &r) == 200);
	CHECK(json_array_size(json_object_get(r.json, "slots")) == 1);
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "book", "{\"ticket\":\"2000000005\",\"birth_date\":\"S36.2.2\","
		  "\"slot\":4}", &r) == 200);
	CHECK_STR(str(r.json, "reservation", "date"), "2026-12-02");
	CHECK(json_array_size(json_object_get(r.json, "bookings")) == 1);
	tc_resp_free(&r);
	/* The rules' reasons, as the widget gets them. */
	CHECK(ops(&w, "POST", "book", "{\"ticket\":\"2000000004\",\"birth_date\":\"1960-01-15\","
		  "\"slot\":5}", &r) == 409);
	CHECK_STR(reason(&r), "interval");
	CHECK_STR(str(json_object_get(r.json, "error"), "date", NULL), "2027-01-30");
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "book", "{\"ticket\":\"2000000006\",\"birth_date\":\"1962-03-03\","
		  "\"slot\":4}", &r) == 409);
	CHECK_STR(reason(&r), "full");
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "wait", "{\"ticket\":\"2000000006\",\"birth_date\":\"1962-03-03\","
		  "\"venue\":\"chuo\",\"date\":\"2026-12-02\"}", &r) == 200);
	CHECK_STR(str(r.json, "waiting", "status"), "waiting");
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "cancel", "{\"ticket\":\"2000000005\",\"birth_date\":\"1961-02-02\"}",
		  &r) == 200);
	CHECK_STR(str(r.json, "reservation", "status"), "cancelled");
	tc_resp_free(&r);
	/* The freed seat went to the caller waiting: an offer to accept for them. */
	CHECK(ops(&w, "POST", "caller", "{\"ticket\":\"2000000006\",\"birth_date\":\"1962-03-03\"}",
		  &r) == 200);
	json_t *offer = json_array_get(json_object_get(r.json, "offers"), 0);
	char body[160];
	snprintf(body, sizeof body, "{\"ticket\":\"2000000006\",\"birth_date\":\"1962-03-03\","
		 "\"offer\":%lld}", (long long)json_integer_value(json_object_get(offer, "id")));
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "accept", body, &r) == 200);
	CHECK_STR(str(r.json, "reservation", "status"), "booked");
	tc_resp_free(&r);
	CHECK(audited("call.book") == 1 && audited("call.cancel") == 1 && audited("call.accept") == 1);
	CHECK(ops(&w, "POST", "desk", "{\"ticket\":\"2000000001\",\"step\":\"checkin\"}", &r) == 403);
	tc_resp_free(&r);
}

TEST(http_ops, an_administrator_makes_a_week_closes_a_slot_and_the_outbox_tells)
{
	struct who w;
	REQUIRE(as("kanri1", &w));
	struct tc_resp r;
	CHECK(ops(&w, "GET", "setup", NULL, &r) == 200);
	CHECK_STR(str(r.json, "today", NULL), OPS_TODAY);
	CHECK(json_array_size(json_object_get(r.json, "products")) == 1);
	tc_resp_free(&r);
	static const char plan[] = "{\"venue\":\"kita\",\"product\":\"covid\",\"from\":\"2026-12-07\","
				   "\"to\":\"2026-12-13\",\"times\":[\"09:00\",\"13:30\"],\"minutes\":30,"
				   "\"capacity\":4,\"weekdays\":[1,2,3,4,5]}";
	CHECK(ops(&w, "POST", "slots", plan, &r) == 200);
	CHECK(json_integer_value(json_object_get(r.json, "created")) == 10);
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "slots", plan, &r) == 200);
	CHECK(json_integer_value(json_object_get(r.json, "existing")) == 10);
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "slots", "{\"venue\":\"kita\",\"product\":\"covid\",\"from\":\"2026-12-07\","
		  "\"to\":\"2026-12-13\",\"times\":[\"25:00\"],\"minutes\":30,\"capacity\":4}", &r) == 400);
	tc_resp_free(&r);

	/* A resident books the Monday 09:00 slot; the slot closes; they are told. */
	CHECK(ops(&w, "GET", "slots?venue=kita&from=2026-12-07&to=2026-12-07", NULL, &r) == 200);
	long long slot = json_integer_value(json_object_get(
		json_array_get(json_object_get(r.json, "slots"), 0), "id"));
	tc_resp_free(&r);
	char body[160];
	snprintf(body, sizeof body, "{\"ticket\":\"2000000007\",\"birth_date\":\"1963-04-04\","
		 "\"slot\":%lld}", slot);
	CHECK(ops(&w, "POST", "book", body, &r) == 200);  /* an administrator may do it too */
	tc_resp_free(&r);
	snprintf(body, sizeof body, "{\"slot\":%lld,\"capacity\":0}", slot);
	CHECK(ops(&w, "POST", "capacity", body, &r) == 409);
	CHECK_STR(reason(&r), "below_taken");
	tc_resp_free(&r);
	snprintf(body, sizeof body, "{\"slot\":%lld}", slot);
	CHECK(ops(&w, "POST", "close", body, &r) == 200);
	CHECK(json_integer_value(json_object_get(r.json, "notified")) == 1);
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "close", body, &r) == 409);
	CHECK_STR(reason(&r), "closed");
	tc_resp_free(&r);
	CHECK(ops(&w, "GET", "outbox", NULL, &r) == 200);
	json_t *n, *told = NULL;
	size_t i;
	json_array_foreach(json_object_get(r.json, "outbox"), i, n)
		if (!strcmp(str(n, "kind", NULL), "slot_closed"))
			told = n;
	CHECK(told && !strcmp(str(told, "ticket", NULL), "2000000007"));
	CHECK(told && !strcmp(str(told, "payload", "date"), "2026-12-07"));
	tc_resp_free(&r);
	CHECK(audited("slots.create") == 2 && audited("slots.close") == 1);

	/* The report, and its CSV for Excel. */
	CHECK(ops(&w, "GET", "report?from=2026-12-07&to=2026-12-13&venue=kita", NULL, &r) == 200);
	json_t *t = json_object_get(r.json, "totals");
	CHECK(json_integer_value(json_object_get(t, "slots")) == 9);  /* one closed */
	CHECK(json_integer_value(json_object_get(t, "capacity")) == 36);
	CHECK(json_integer_value(json_object_get(t, "cancelled")) == 1);
	tc_resp_free(&r);
	CHECK(ops(&w, "GET", "report.csv?from=2026-12-01&to=2026-12-01", NULL, &r) == 200);
	CHECK(!strncmp(r.body, "\xEF\xBB\xBF" "日付,", 3 + 7));
	CHECK(strstr(tc_header(&r, "Content-Type"), "text/csv") != NULL);
	tc_resp_free(&r);
	CHECK(ops(&w, "GET", "report?from=2026-12-07&to=2026-01-01", NULL, &r) == 400);
	CHECK(json_is_string(json_object_get(json_object_get(r.json, "error"), "message")));
	tc_resp_free(&r);

	/* The venues of a reception account, set from the console. */
	CHECK(ops(&w, "POST", "desks", "{\"name\":\"uke2\",\"venues\":[\"kita\"]}", &r) == 200);
	CHECK(json_array_size(json_object_get(r.json, "venues")) == 1);
	tc_resp_free(&r);
	CHECK(ops(&w, "POST", "desks", "{\"name\":\"uke2\",\"venues\":[\"atlantis\"]}", &r) == 404);
	tc_resp_free(&r);
	/* An editor has no booking operations; no session at all is 401. */
	struct who e;
	REQUIRE(as("editor2", &e));
	CHECK(ops(&e, "GET", "report", NULL, &r) == 403);
	tc_resp_free(&r);
	struct who nobody = {"", ""};
	CHECK(ops(&nobody, "GET", "day", NULL, &r) == 401);
	tc_resp_free(&r);
	CHECK(ops(&w, "GET", "nothing-here", NULL, &r) == 404);
	CHECK(r.json != NULL);
	tc_resp_free(&r);
}

#define OPS_UPLOAD_HEAD                                                                        \
	"POST /api/v1/admin/ops/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
	"Content-Length: 4000000\r\nCookie: mg_staff=%s\r\nX-CSRF-Token: %s\r\n\r\n"

/* {kind, csv_base64} of csv, for the import route (a new string; free it). */
static char *import_body(const char *kind, const char *csv)
{
	size_t n = strlen(csv), cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(cap), *body = b64 ? malloc(cap + 64) : NULL;
	if (body) {
		sodium_bin2base64(b64, cap, (const unsigned char *)csv, n, sodium_base64_VARIANT_ORIGINAL);
		snprintf(body, cap + 64, "{\"kind\":\"%s\",\"csv_base64\":\"%s\"}", kind, b64);
	}
	free(b64);
	return body;
}

TEST(http_ops, set_up_files_are_imported_all_or_nothing_by_an_administrator_only)
{
	struct who admin, editor, calls;
	REQUIRE(as("kanri1", &admin) && as("editor2", &editor) && as("callc1", &calls));
	char head[512];
	/* An editor may upload the knowledge base, not the booking set-up: refused
	 * before the 4 MB are sent; an administrator's upload is read. */
	snprintf(head, sizeof head, OPS_UPLOAD_HEAD, editor.token, editor.csrf);
	CHECK(tc_status_before_body(port(), head, 2000) == 403);
	snprintf(head, sizeof head, OPS_UPLOAD_HEAD, admin.token, admin.csrf);
	CHECK(tc_status_before_body(port(), head, 300) == 0);

	/* Line 3 has a day February never has: nothing is imported, line 2 neither. */
	struct tc_resp r;
	char *bad = import_body("tickets", "ticket,birth_date\r\n3000000001,1970-01-02\r\n"
					   "3000000002,1970-02-30\r\n");
	REQUIRE(bad);
	CHECK(ops(&admin, "POST", "import", bad, &r) == 200);
	CHECK(json_is_false(json_object_get(r.json, "ok")));
	json_t *e = json_array_get(json_object_get(r.json, "errors"), 0);
	CHECK(json_array_size(json_object_get(r.json, "errors")) == 1);
	CHECK(json_integer_value(json_object_get(e, "line")) == 3);
	CHECK_STR(str(e, "reason", NULL), "birth_date");
	CHECK_STR(str(e, "value", NULL), "1970-02-30");
	tc_resp_free(&r);
	static const char caller[] = "{\"ticket\":\"3000000001\",\"birth_date\":\"1970-01-02\"}";
	CHECK(ops(&calls, "POST", "caller", caller, &r) == 403);  /* not there */
	tc_resp_free(&r);
	CHECK(audited("booking.import") == 0);
	free(bad);

	/* The file put right goes in whole, audited. */
	char *good = import_body("tickets", "ticket,birth_date\r\n3000000001,1970-01-02\r\n"
					    "3000000002,1970-02-28\r\n");
	REQUIRE(good);
	CHECK(ops(&editor, "POST", "import", good, &r) == 403);
	tc_resp_free(&r);
	CHECK(ops(&admin, "POST", "import", good, &r) == 200);
	CHECK(json_is_true(json_object_get(r.json, "ok")));
	CHECK(json_integer_value(json_object_get(r.json, "imported")) == 2);
	tc_resp_free(&r);
	free(good);
	CHECK(ops(&calls, "POST", "caller", caller, &r) == 200);
	tc_resp_free(&r);
	CHECK(audited("booking.import") == 1);
	CHECK(ops(&admin, "POST", "import", "{\"kind\":\"people\",\"csv_base64\":\"\"}", &r) == 400);
	tc_resp_free(&r);
	CHECK(ops(&admin, "POST", "import", "{\"kind\":\"venues\",\"csv_base64\":\"%%%\"}", &r) == 400);
	tc_resp_free(&r);
}

/* Runs sql on the server's database file from outside, as a fault would. */
static int db_exec(const char *sql)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open(db, &h) == SQLITE_OK ? sqlite3_exec(h, sql, NULL, NULL, NULL) : SQLITE_ERROR;
	sqlite3_close(h);
	return rc;
}

TEST(http_ops, a_change_the_audit_log_cannot_record_is_not_made)
{
	struct who admin, calls;
	REQUIRE(as("kanri1", &admin) && as("callc1", &calls));
	/* The audit log refuses every booking record (a full disk, a lock held
	 * too long would do the same): the import and the desk's venues fail
	 * whole instead of going unrecorded. */
	REQUIRE(db_exec("CREATE TRIGGER no_ops_audit BEFORE INSERT ON staff_audit"
			" WHEN NEW.action IN ('booking.import', 'desk.venues')"
			" BEGIN SELECT RAISE(ABORT, 'the audit log cannot be written'); END") == SQLITE_OK);
	int imports = audited("booking.import"), desks = audited("desk.venues");
	struct tc_resp r;
	char *good = import_body("tickets", "ticket,birth_date\r\n3000000021,1970-01-02\r\n");
	REQUIRE(good);
	CHECK(ops(&admin, "POST", "import", good, &r) == 500);
	CHECK(!json_is_true(json_object_get(r.json, "ok")));
	tc_resp_free(&r);
	static const char caller[] = "{\"ticket\":\"3000000021\",\"birth_date\":\"1970-01-02\"}";
	CHECK(ops(&calls, "POST", "caller", caller, &r) == 403);  /* not imported */
	tc_resp_free(&r);
	CHECK(ops(&admin, "GET", "desks?name=uke9", NULL, &r) == 200);
	CHECK(json_array_size(json_object_get(r.json, "venues")) == 0);
	tc_resp_free(&r);
	CHECK(ops(&admin, "POST", "desks", "{\"name\":\"uke9\",\"venues\":[\"kita\"]}", &r) == 500);
	tc_resp_free(&r);
	CHECK(ops(&admin, "GET", "desks?name=uke9", NULL, &r) == 200);
	CHECK(json_array_size(json_object_get(r.json, "venues")) == 0);  /* unchanged */
	tc_resp_free(&r);
	CHECK(audited("booking.import") == imports && audited("desk.venues") == desks);

	/* The log writable again: the same requests go through, each recorded. */
	REQUIRE(db_exec("DROP TRIGGER no_ops_audit") == SQLITE_OK);
	CHECK(ops(&admin, "POST", "import", good, &r) == 200);
	CHECK(json_is_true(json_object_get(r.json, "ok")));
	tc_resp_free(&r);
	CHECK(ops(&calls, "POST", "caller", caller, &r) == 200);
	tc_resp_free(&r);
	CHECK(ops(&admin, "POST", "desks", "{\"name\":\"uke9\",\"venues\":[\"kita\"]}", &r) == 200);
	CHECK(json_array_size(json_object_get(r.json, "venues")) == 1);
	tc_resp_free(&r);
	CHECK(audited("booking.import") == imports + 1 && audited("desk.venues") == desks + 1);
	free(good);
}

TEST(http_ops, the_vrs_file_has_a_row_per_dose_given_and_the_waiting_list_who_waits)
{
	struct who desk, admin, calls;
	REQUIRE(as("uke1", &desk) && as("kanri1", &admin) && as("callc1", &calls));
	struct tc_resp r;
	/* 2000000002 is vaccinated at chuo today; 2000000003 (kita) is not. */
	CHECK(ops(&desk, "POST", "desk", "{\"ticket\":\"2000000002\",\"step\":\"checkin\"}", &r) == 200);
	tc_resp_free(&r);
	CHECK(ops(&desk, "POST", "desk", "{\"ticket\":\"2000000002\",\"step\":\"vaccinated\","
		  "\"lot\":\"AB5678\"}", &r) == 200);
	tc_resp_free(&r);
	/* The day as staff type it; the sample town's municipality code. */
	CHECK(ops(&admin, "GET", "vrs.csv?from=2026/12/1", NULL, &r) == 200);
	CHECK(!strncmp(r.body, "\xEF\xBB\xBF券番号,自治体コード,接種日,接種回数,", 40));
	CHECK(strstr(r.body, "\"2000000002\",\"999997\",\"20261201\",\"1\",\"コミナティ\",\"AB5678\","
			     "\"中央公民館\"\r\n") != NULL);
	CHECK(!strstr(r.body, "2000000003"));
	CHECK(tc_header(&r, "Content-Disposition") && strstr(tc_header(&r, "Content-Disposition"), "vrs"));
	tc_resp_free(&r);
	CHECK(ops(&admin, "GET", "vrs.csv?from=2026-12-02&to=2026-12-01", NULL, &r) == 400);
	tc_resp_free(&r);
	CHECK(ops(&admin, "GET", "vrs.csv", NULL, &r) == 400);
	tc_resp_free(&r);
	CHECK(ops(&calls, "GET", "vrs.csv?from=2026-12-01", NULL, &r) == 403);  /* administrators only */
	tc_resp_free(&r);

	/* A resident waits for kita on a day it has no seat: listed at kita, not at chuo. */
	CHECK(ops(&calls, "POST", "wait", "{\"ticket\":\"2000000005\",\"birth_date\":\"1961-02-02\","
		  "\"venue\":\"kita\",\"date\":\"2026-12-20\"}", &r) == 200);
	tc_resp_free(&r);
	CHECK(ops(&calls, "GET", "waitlist?venue=kita", NULL, &r) == 200);
	json_t *w = json_array_get(json_object_get(r.json, "waiting"), 0);
	CHECK_STR(str(w, "ticket", NULL), "2000000005");
	CHECK_STR(str(w, "status", NULL), "waiting");
	CHECK_STR(str(w, "date", NULL), "2026-12-20");
	CHECK(json_integer_value(json_object_get(w, "since")) > 0);
	CHECK(json_array_size(json_object_get(w, "offers")) == 0);
	CHECK(json_array_size(json_object_get(r.json, "venues")) == 2);
	tc_resp_free(&r);
	CHECK(ops(&admin, "GET", "waitlist?venue=chuo", NULL, &r) == 200);
	CHECK(!strstr(r.body, "2000000005"));
	tc_resp_free(&r);
	CHECK(ops(&admin, "GET", "waitlist?date=2026-02-30", NULL, &r) == 400);
	tc_resp_free(&r);
	CHECK(ops(&desk, "GET", "waitlist", NULL, &r) == 403);  /* reception does not */
	tc_resp_free(&r);
}

/* A venue and a vaccine's rules from the console's forms: administrators
 * only, the import's reason for a bad field and nothing written, audited
 * with before and after. */
TEST(http_ops, venues_and_products_are_edited_by_an_administrator_with_the_import_s_checks)
{
	struct who admin, calls;
	REQUIRE(as("kanri1", &admin) && as("callc1", &calls));
	struct tc_resp r;
	static const char kita[] = "{\"venue\":{\"code\":\"kita\",\"name\":\"北センター 2階\",\"access\":\"北駅すぐ\"}}";
	CHECK(ops(&calls, "POST", "venue", kita, &r) == 403);
	CHECK_STR(reason(&r), "role");
	tc_resp_free(&r);
	CHECK(ops(&admin, "POST", "venue", "{\"venue\":{\"code\":\"kita west\",\"name\":\"北\"}}", &r) == 400);
	CHECK_STR(reason(&r), "code");
	tc_resp_free(&r);
	CHECK(audited("venue.save") == 0);
	CHECK(ops(&admin, "POST", "venue", kita, &r) == 200);
	json_t *v;
	size_t i;
	int found = 0;
	json_array_foreach(json_object_get(r.json, "venues"), i, v)
		found |= !strcmp(str(v, "code", NULL), "kita") && !strcmp(str(v, "name", NULL), "北センター 2階");
	CHECK(found);
	tc_resp_free(&r);
	CHECK(audited("venue.save") == 1);
	/* a horizon of 0 days is the import's horizon_days, with its range */
	CHECK(ops(&admin, "POST", "product",
		  "{\"product\":{\"code\":\"covid\",\"name\":\"コミナティ\",\"min_interval_days\":90,"
		  "\"same_product\":false,\"horizon_days\":0}}", &r) == 400);
	CHECK_STR(reason(&r), "horizon_days");
	CHECK(json_integer_value(json_object_get(json_object_get(r.json, "error"), "lo")) == 1);
	tc_resp_free(&r);
	CHECK(ops(&admin, "POST", "product",
		  "{\"product\":{\"code\":\"covid\",\"name\":\"コミナティ\",\"min_interval_days\":60,"
		  "\"same_product\":\"maybe\",\"horizon_days\":28}}", &r) == 400);
	CHECK_STR(reason(&r), "same_product");
	tc_resp_free(&r);
	CHECK(audited("product.save") == 0);
	CHECK(ops(&admin, "POST", "product",
		  "{\"product\":{\"code\":\"covid\",\"name\":\"コミナティ\",\"min_interval_days\":60,"
		  "\"same_product\":false,\"horizon_days\":28}}", &r) == 200);
	CHECK(json_integer_value(json_object_get(json_array_get(json_object_get(r.json, "products"), 0),
						 "min_interval_days")) == 60);
	tc_resp_free(&r);
	CHECK(audited("product.save") == 1);
}
