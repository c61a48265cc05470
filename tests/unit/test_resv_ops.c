/* Booking operations as staff would notice them: a venue's desk sees and
 * acts on its own venues only, finds a resident by the number printed on the
 * 接種券, and records each step of the day; the call centre identifies a
 * caller as the log-in does; administrators make a week of slots, change and
 * close slots (the residents are told through the outbox) and read the day's
 * figures in Excel. The town's time zone, a value, decides what "today" is.
 * Every test has its own database file and a fixed clock. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"

#include <sqlite3.h>
#include <stdlib.h>

#include "reservation/resv.h"
#include "tests/unit/resv_town.h"

#define TODAY OPS_TODAY
#define HOUR 3600

/* ---- the test town ----------------------------------------------------------------- */

static const char *const town_csv[][2] = {
	{"products", "code,name,min_interval_days,same_product,horizon_days\n"
		     "covid,コミナティ,90,no,28\n"},
	{"venues", "code,name,address,access,accessibility\n"
		   "chuo,中央公民館,,,\nkita,北センター,,,\n"},
	/* 1 chuo 09:00, 2 chuo 10:00, 3 kita 09:00 today; 4 chuo tomorrow (1
	 * seat); 5 kita the day after */
	{"slots", "venue,date,start,minutes,capacity,product\n"
		  "chuo,today,09:00,30,3,covid\nchuo,today,10:00,30,3,covid\n"
		  "kita,today,09:00,30,3,covid\nchuo,today+1,10:00,30,1,covid\n"
		  "kita,today+2,10:00,30,2,covid\n"},
	{"tickets", "ticket,birth_date,dose_date,dose_product\n"
		    "2000000001,1950-04-01,,\n2000000002,1948-11-23,,\n2000000003,1955-07-07,,\n"
		    "2000000004,1960-01-15,today-30,covid\n2000000005,1961-02-02,,\n"
		    "2000000006,1962-03-03,,\n2000000007,1963-04-04,,\n"},
};

static const enum resv_import_kind town_kinds[] = {RESV_IMPORT_PRODUCTS, RESV_IMPORT_VENUES,
						   RESV_IMPORT_SLOTS, RESV_IMPORT_TICKETS};

static struct nlp_zone *zone_of(const char *name)
{
	struct nlp_zone *z = NULL;
	char err[MG_ERR_LEN];
	if (nlp_zone_load(name, &z, err) != MG_OK)
		printf("    zone: %s\n", err);
	return z;
}

/* The town's zone for every test but the one about zones, loaded once. */
static const struct nlp_zone *tokyo(void)
{
	static struct nlp_zone *z;
	if (!z)
		z = zone_of("Asia/Tokyo");
	return z;
}

struct resv *ops_town(const struct nlp_zone *zone, char db[512])
{
	static int n;
	char err[MG_ERR_LEN];
	struct resv *r = NULL;
	snprintf(db, 512, "%s/ops-%d.db", test_tmpdir(), ++n);
	int rc = resv_open(&r, db, err);
	if (rc == MG_OK) {
		resv_set_now(r, T0);
		resv_set_zone(r, zone);
		rc = resv_set_field_policy(r, RESV_FIELD_NAME_KANA, RESV_OPTIONAL, err);
	}
	for (size_t i = 0; rc == MG_OK && i < sizeof town_kinds / sizeof *town_kinds; i++) {
		const char *path = fixture_path("ops-import.csv");
		FILE *f = fopen(path, "w");
		if (f) {
			fputs(town_csv[i][1], f);
			fclose(f);
		}
		rc = resv_import(r, town_kinds[i], path, NULL, NULL, NULL, err);
	}
	if (rc != MG_OK) {
		printf("    town: %s\n", err);
		resv_close(r);
		return NULL;
	}
	return r;
}

static long long book(struct resv *r, const char *ticket, long long slot, const char *kana)
{
	struct resv_request q = {.slot_id = slot, .contact = {.name_kana = kana}};
	struct resv_booking b;
	char err[MG_ERR_LEN];
	if (resv_staff_book(r, ticket, &q, &b, err) != MG_OK) {
		printf("    book %s: %s\n", ticket, err);
		return 0;
	}
	return b.id;
}

/* Seats, statuses, doses and notifications as one string: what a refused
 * step must leave as it was. */
static const char *state(const char *db)
{
	static char out[1024];
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	snprintf(out, sizeof out, "unreadable");
	if (sqlite3_open(db, &h) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT (SELECT group_concat(id || ':' || capacity || '/' || booked"
				  " || '/' || held || '/' || closed) FROM resv_slots) || '|' ||"
				  " coalesce((SELECT group_concat(id || status) FROM resv_bookings), '') || '|' ||"
				  " (SELECT count(*) FROM resv_doses) || '|' || (SELECT count(*) FROM resv_outbox)"
				  " || '|' || (SELECT count(*) FROM resv_desks)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof out, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

/* A step that must be refused with rc and reason, changing nothing. */
#define REFUSED_WHY(db, r, call, rc, why_)                                         \
	do {                                                                       \
		char before_[1024];                                                \
		snprintf(before_, sizeof before_, "%s", state(db));                \
		int got_ = (call);                                                 \
		if (got_ != (rc))                                                  \
			printf("    got %s: %s\n", mg_strerror(got_), err);        \
		CHECK(got_ == (rc));                                               \
		CHECK(resv_refusal(r)->why == (why_));                             \
		CHECK_STR(state(db), before_);                                     \
	} while (0)

static json_t *day(struct resv *r, const char *desk, struct resv_day_query q)
{
	json_t *out = NULL;
	char err[MG_ERR_LEN];
	if (resv_day_list(r, desk, &q, &out, err) != MG_OK)
		printf("    day: %s\n", err);
	return out;
}

/* The tickets of a day's list in its order, space-separated. */
static const char *tickets_of(json_t *list)
{
	static char out[512];
	size_t i, n = 0;
	json_t *b;
	out[0] = '\0';
	json_array_foreach(json_object_get(list, "bookings"), i, b)
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", n ? " " : "",
				      json_string_value(json_object_get(b, "ticket")));
	json_decref(list);
	return out;
}

static long long outbox_count(const char *db, const char *kind)
{
	sqlite3 *h = NULL;
	sqlite3_open(db, &h);
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM resv_outbox WHERE kind = '%s'", kind);
	long long n = fixture_count(h, sql);
	sqlite3_close(h);
	return n;
}

/* ---- the town's zone ------------------------------------------------------------ */

TEST(ops, the_towns_zone_decides_today_not_the_machines)
{
	char db[512], err[MG_ERR_LEN];
	/* At T0 it is already 13:00 on 1 December at UTC+14 and still 30
	 * November at UTC-11, whatever the zone this process runs in. */
	struct nlp_zone *east = zone_of("Pacific/Kiritimati"), *west = zone_of("Pacific/Pago_Pago");
	REQUIRE(east && west);
	struct resv *r = ops_town(east, db);
	REQUIRE(r);
	static const char *const evening[] = {"20:00"};
	struct resv_slot_plan p = {.venue = "chuo", .product = "covid", .from = TODAY, .to = TODAY,
				   .times = evening, .ntimes = 1, .minutes = 30, .capacity = 1};
	REQUIRE(resv_slots_create(r, &p, NULL, NULL, err) == MG_OK);
	json_t *slots = NULL;
	REQUIRE(resv_slots_list(r, "chuo", TODAY, TODAY, &slots, err) == MG_OK);
	long long slot = json_integer_value(json_object_get(json_array_get(slots, 2), "id"));
	json_decref(slots);
	long long id = book(r, "2000000001", slot, NULL);  /* 1 December 20:00 */
	REQUIRE(id);
	json_t *list = day(r, NULL, (struct resv_day_query){0});
	CHECK_STR(json_string_value(json_object_get(list, "date")), TODAY);
	json_decref(list);

	resv_set_zone(r, west);  /* a reception whose clock says 30 November */
	REFUSED_WHY(db, r, resv_checkin(r, id, err), MG_ERR_CONFLICT, RESV_WHY_NOT_TODAY);
	CHECK_STR(resv_refusal(r)->date, TODAY);
	resv_set_zone(r, east);
	CHECK(resv_checkin(r, id, err) == MG_OK);
	resv_close(r);
	nlp_zone_free(east);
	nlp_zone_free(west);
}

/* ---- reception ---------------------------------------------------------------------- */

TEST(ops, a_desk_sees_and_acts_on_its_own_venues_only)
{
	char db[512], err[MG_ERR_LEN];
	struct resv *r = ops_town(tokyo(), db);
	REQUIRE(r);
	REQUIRE(book(r, "2000000001", 1, "ミドリ タロウ") && book(r, "2000000002", 3, "キタ ハナコ"));
	static const char *const chuo[] = {"chuo"}, *const nowhere[] = {"nowhere"};
	CHECK(resv_desk_set(r, "uketsuke1", chuo, 1, err) == MG_OK);
	CHECK(resv_desk_set(r, "uketsuke2", nowhere, 1, err) == MG_ERR_NOT_FOUND);

	CHECK_STR(tickets_of(day(r, "uketsuke1", (struct resv_day_query){0})), "2000000001");
	CHECK_STR(tickets_of(day(r, NULL, (struct resv_day_query){0})), "2000000001 2000000002");
	CHECK_STR(tickets_of(day(r, "nobody", (struct resv_day_query){0})), "");
	json_t *out = NULL;
	CHECK(resv_day_list(r, "uketsuke1", &(struct resv_day_query){.venue = "kita"}, &out, err) ==
	      MG_ERR_DENIED);
	CHECK(out == NULL);
	json_t *v = NULL;
	CHECK(resv_desk_venues(r, "uketsuke1", &v, err) == MG_OK);
	CHECK(json_array_size(v) == 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(v, 0), "name")), "中央公民館");
	json_decref(v);

	/* The resident booked at kita comes to chuo's desk: not found here, and
	 * nothing about kita is told. */
	REFUSED_WHY(db, r, resv_desk_act(r, "uketsuke1", "2000000002", RESV_ACT_CHECKIN, NULL, NULL,
					 err), MG_ERR_NOT_FOUND, RESV_WHY_NO_BOOKING_TODAY);
	CHECK(!strstr(err, "kita"));
	CHECK(resv_desk_act(r, NULL, "2000000002", RESV_ACT_CHECKIN, NULL, NULL, err) == MG_OK);
	resv_close(r);
}

TEST(ops, a_desk_finds_by_the_printed_ticket_number_and_records_each_step)
{
	char db[512], err[MG_ERR_LEN];
	struct resv *r = ops_town(tokyo(), db);
	REQUIRE(r);
	REQUIRE(book(r, "2000000001", 2, "ミドリ タロウ") && book(r, "2000000002", 1, "アオキ ハナ") &&
		book(r, "2000000003", 1, NULL) && book(r, "2000000005", 2, "みどり じろう"));

	/* Filters: part of the number as printed, a name in either kana, status, time. */
	CHECK_STR(tickets_of(day(r, NULL, (struct resv_day_query){.find = "０００３"})), "2000000003");
	CHECK_STR(tickets_of(day(r, NULL, (struct resv_day_query){.find = "みどり"})),
		  "2000000001 2000000005");
	CHECK_STR(tickets_of(day(r, NULL, (struct resv_day_query){.find = "ジロウ"})), "2000000005");
	CHECK_STR(tickets_of(day(r, NULL, (struct resv_day_query){.from = "10:00"})),
		  "2000000001 2000000005");
	CHECK_STR(tickets_of(day(r, NULL, (struct resv_day_query){.sort = RESV_SORT_NAME})),
		  "2000000002 2000000005 2000000001 2000000003");  /* アオキ, みどり じ, ミドリ タ, - */
	json_t *bad = NULL;
	CHECK(resv_day_list(r, NULL, &(struct resv_day_query){.status = "gone"}, &bad, err) ==
	      MG_ERR_INPUT);
	CHECK(resv_day_list(r, NULL, &(struct resv_day_query){.from = "25:00"}, &bad, err) ==
	      MG_ERR_INPUT);

	/* The desk types the number as printed on the 接種券. */
	struct resv_booking b;
	REFUSED_WHY(db, r, resv_desk_act(r, NULL, "2000-000-001", RESV_ACT_VACCINATED, "FK1234", NULL,
					 err), MG_ERR_CONFLICT, RESV_WHY_NOT_CHECKED_IN);
	CHECK(resv_desk_act(r, NULL, "2000-000-001", RESV_ACT_CHECKIN, NULL, &b, err) == MG_OK);
	CHECK_STR(b.status, "checked_in");
	REFUSED_WHY(db, r, resv_desk_act(r, NULL, "2000000001", RESV_ACT_CHECKIN, NULL, NULL, err),
		    MG_ERR_CONFLICT, RESV_WHY_ALREADY_DONE);
	CHECK_STR(resv_refusal(r)->status, "checked_in");
	REFUSED_WHY(db, r, resv_desk_act(r, NULL, "2000000001", RESV_ACT_VACCINATED, "", NULL, err),
		    MG_ERR_INPUT, RESV_WHY_NONE);
	CHECK(resv_desk_act(r, NULL, "２０００００００01", RESV_ACT_VACCINATED, "FK1234", &b, err) == MG_OK);
	CHECK_STR(b.status, "vaccinated");
	CHECK(resv_desk_act(r, NULL, "2000000002", RESV_ACT_CHECKIN, NULL, NULL, err) == MG_OK);
	CHECK(resv_desk_act(r, NULL, "2000000002", RESV_ACT_EXAMINED, NULL, &b, err) == MG_OK);
	CHECK_STR(b.status, "examined");  /* 予診のみ: seen by the doctor, no dose */
	REFUSED_WHY(db, r, resv_desk_act(r, NULL, "1234", RESV_ACT_CHECKIN, NULL, NULL, err),
		    MG_ERR_INPUT, RESV_WHY_TICKET_NUMBER);
	REFUSED_WHY(db, r, resv_desk_act(r, NULL, "2000000006", RESV_ACT_CHECKIN, NULL, NULL, err),
		    MG_ERR_NOT_FOUND, RESV_WHY_NO_BOOKING_TODAY);

	/* No-show only once the slot has started: 09:00, and it is 08:00. */
	REFUSED_WHY(db, r, resv_desk_act(r, NULL, "2000000003", RESV_ACT_NO_SHOW, NULL, NULL, err),
		    MG_ERR_CONFLICT, RESV_WHY_NOT_STARTED);
	CHECK_STR(resv_refusal(r)->time, "09:00");
	resv_set_now(r, T0 + 2 * HOUR);
	CHECK(resv_desk_act(r, NULL, "2000000003", RESV_ACT_NO_SHOW, NULL, NULL, err) == MG_OK);

	/* Only the vaccination is a dose; the counts are the desk's day. */
	sqlite3 *h = NULL;
	sqlite3_open(db, &h);
	CHECK(fixture_count(h, "SELECT count(*) FROM resv_doses WHERE booking_id IS NOT NULL"
			       " AND lot = 'FK1234' AND ticket = '2000000001'") == 1);
	CHECK(fixture_count(h, "SELECT count(*) FROM resv_doses WHERE booking_id IS NOT NULL") == 1);
	sqlite3_close(h);
	json_t *list = day(r, NULL, (struct resv_day_query){.sort = RESV_SORT_STATUS});
	json_t *counts = json_object_get(list, "counts");
	CHECK(json_integer_value(json_object_get(counts, "booked")) == 1);
	CHECK(json_integer_value(json_object_get(counts, "vaccinated")) == 1);
	CHECK(json_integer_value(json_object_get(counts, "examined")) == 1);
	CHECK(json_integer_value(json_object_get(counts, "no_show")) == 1);
	CHECK_STR(tickets_of(list), "2000000005 2000000001 2000000002 2000000003");
	CHECK_STR(tickets_of(day(r, NULL, (struct resv_day_query){.status = "open"})), "2000000005");
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

/* ---- the call centre ----------------------------------------------------------------- */

TEST(ops, the_call_centre_checks_a_caller_as_the_log_in_does)
{
	char db[512], err[MG_ERR_LEN], ticket[RESV_TICKET_LEN + 1];
	struct resv *r = ops_town(tokyo(), db);
	REQUIRE(r);
	CHECK(resv_caller_check(r, "２０００ ０００ ００１", "昭和25年4月1日", "op1", ticket, err) ==
	      MG_OK);
	CHECK_STR(ticket, "2000000001");
	CHECK(resv_caller_check(r, "2000000001", "S25.4.1", "op1", ticket, err) == MG_OK);
	CHECK(resv_caller_check(r, "2000000001", "昭和65年1月1日", "op1", ticket, err) == MG_ERR_INPUT);
	CHECK(resv_refusal(r)->why == RESV_WHY_BIRTH_DATE);
	CHECK(resv_refusal(r)->birth.why == NLP_DATE_ERA_RANGE);
	CHECK(ticket[0] == '\0');
	CHECK(resv_caller_check(r, "20000000", "1950-04-01", "op1", ticket, err) == MG_ERR_INPUT);
	CHECK(resv_refusal(r)->why == RESV_WHY_TICKET_NUMBER);
	/* A wrong date reads as an unknown ticket; five wrong and even the right
	 * one waits, as at the resident's log-in. */
	char other[MG_ERR_LEN];
	CHECK(resv_caller_check(r, "2000000002", "1948-11-24", "op1", ticket, err) == MG_ERR_AUTH);
	CHECK(resv_caller_check(r, "2999999999", "1948-11-23", "op1", ticket, other) == MG_ERR_AUTH);
	CHECK_STR(err, other);
	for (int i = 0; i < RESV_LOGIN_MAX_FAIL_TICKET; i++)
		resv_caller_check(r, "2000000002", "1948-11-24", "op2", ticket, err);
	CHECK(resv_caller_check(r, "2000000002", "1948-11-23", "op3", ticket, err) == MG_ERR_RATE);
	resv_close(r);
}

TEST(ops, the_call_centre_books_under_the_residents_rules_and_sees_the_history)
{
	char db[512], err[MG_ERR_LEN];
	struct resv *r = ops_town(tokyo(), db);
	REQUIRE(r);
	/* The same refusal, with the same reason, as the widget gives. */
	struct resv_request q = {.slot_id = 4};
	REFUSED_WHY(db, r, resv_staff_book(r, "2000000004", &q, NULL, err), MG_ERR_CONFLICT,
		    RESV_WHY_INTERVAL);
	CHECK_STR(resv_refusal(r)->date, "2027-01-30");
	json_t *why = resv_refusal_json(r);
	CHECK_STR(json_string_value(json_object_get(why, "reason")), "interval");
	json_decref(why);

	/* Book, move, then the seat of slot 4 is taken: wait, and an offer comes. */
	REQUIRE(book(r, "2000000001", 4, NULL));
	q.slot_id = 5;
	CHECK(resv_staff_change(r, "2000000001", &q, NULL, err) == MG_OK);
	REQUIRE(book(r, "2000000002", 4, NULL));
	CHECK(resv_staff_wait(r, "2000000003", "chuo", "2026-12-02", NULL, NULL, err) == MG_OK);
	CHECK(resv_staff_cancel(r, "2000000002", NULL, NULL, err) == MG_OK);
	json_t *h = NULL;
	REQUIRE(resv_staff_history(r, "2000000003", &h, err) == MG_OK);
	CHECK(json_array_size(json_object_get(h, "offers")) == 1);
	CHECK_STR(json_string_value(json_object_get(json_object_get(h, "waiting"), "status")), "offered");
	json_decref(h);
	REQUIRE(resv_staff_history(r, "2000000001", &h, err) == MG_OK);
	json_t *first = json_array_get(json_object_get(h, "bookings"), 0);
	CHECK_STR(json_string_value(json_object_get(first, "date")), "2026-12-03");
	CHECK(json_is_true(json_object_get(first, "by_staff")));
	CHECK(json_is_null(json_object_get(h, "waiting")));
	json_decref(h);
	CHECK(resv_staff_history(r, "2999999999", &h, err) == MG_ERR_NOT_FOUND);
	resv_close(r);
}

/* ---- administrators --------------------------------------------------------------- */

TEST(ops, a_week_of_slots_is_made_once_and_a_bad_plan_makes_none)
{
	char db[512], err[MG_ERR_LEN];
	struct resv *r = ops_town(tokyo(), db);
	REQUIRE(r);
	static const char *const times[] = {"9:00", "09:30", "14:00"};
	/* 2026-12-07 is a Monday: Monday to Friday of that week. */
	struct resv_slot_plan p = {.venue = "kita", .product = "covid", .from = "2026-12-07",
				   .to = "2026-12-13", .times = times, .ntimes = 3, .minutes = 30,
				   .capacity = 8, .weekdays = 0x3E};
	int made = -1, kept = -1;
	CHECK(resv_slots_create(r, &p, &made, &kept, err) == MG_OK);
	CHECK(made == 15 && kept == 0);
	json_t *slots = NULL;
	CHECK(resv_slots_list(r, "kita", "2026-12-07", "2026-12-13", &slots, err) == MG_OK);
	CHECK(json_array_size(slots) == 15);
	CHECK_STR(json_string_value(json_object_get(json_array_get(slots, 0), "start")), "09:00");
	CHECK_STR(json_string_value(json_object_get(json_array_get(slots, 14), "date")), "2026-12-11");
	json_decref(slots);
	CHECK(resv_slots_create(r, &p, &made, &kept, err) == MG_OK);
	CHECK(made == 0 && kept == 15);

	const char *before = strdup(state(db));
	static const char *const bad_times[] = {"9:00", "9時"};
	struct resv_slot_plan bad[] = {p, p, p, p, p, p};
	bad[0].from = "2026-11-30";                       /* yesterday in the town */
	bad[1].times = bad_times, bad[1].ntimes = 2;
	bad[2].to = "2028-01-01";                         /* over a year */
	bad[3].capacity = RESV_SLOT_MAX_CAPACITY + 1;
	bad[4].weekdays = 0x01, bad[4].to = "2026-12-12";  /* no Sunday in the range */
	bad[5].venue = "nowhere";
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = resv_slots_create(r, &bad[i], &made, NULL, err);
		CHECK(rc == (i == 5 ? MG_ERR_NOT_FOUND : MG_ERR_INPUT));
		CHECK(made == 0);
	}
	CHECK_STR(state(db), before);
	free((void *)before);
	resv_close(r);
}

TEST(ops, capacity_never_drops_under_the_seats_taken_and_new_seats_go_to_those_waiting)
{
	char db[512], err[MG_ERR_LEN];
	struct resv *r = ops_town(tokyo(), db);
	REQUIRE(r);
	REQUIRE(book(r, "2000000001", 4, NULL));  /* slot 4's one seat */
	CHECK(resv_staff_wait(r, "2000000002", "chuo", "2026-12-02", NULL, NULL, err) == MG_OK);
	REFUSED_WHY(db, r, resv_slot_set_capacity(r, 4, 0, NULL, err), MG_ERR_CONFLICT,
		    RESV_WHY_BELOW_TAKEN);
	CHECK(resv_refusal(r)->seats == 1);
	int offered = -1;
	CHECK(resv_slot_set_capacity(r, 4, 3, &offered, err) == MG_OK);
	CHECK(offered == 1);  /* one resident was waiting */
	CHECK(outbox_count(db, "offer") == 1);
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

TEST(ops, a_closed_slot_cancels_and_tells_its_residents_and_takes_no_more)
{
	char db[512], err[MG_ERR_LEN];
	struct resv *r = ops_town(tokyo(), db);
	REQUIRE(r);
	long long taro = book(r, "2000000001", 5, "ミドリ タロウ"), other = book(r, "2000000002", 5, NULL);
	REQUIRE(taro && other);
	/* Slot 5 is full; 3 waits for it and gets an offer of a seat added. */
	CHECK(resv_staff_wait(r, "2000000003", "kita", "2026-12-03", NULL, NULL, err) == MG_OK);
	REQUIRE(resv_slot_set_capacity(r, 5, 3, NULL, err) == MG_OK);  /* offered to 3 */
	int notified = -1;
	json_t *cancelled = NULL;
	CHECK(resv_slot_close(r, 5, &notified, &cancelled, err) == MG_OK);
	CHECK(notified == 3);
	/* The two bookings, not the offer: what the event log counts as cancelled. */
	CHECK(json_array_size(cancelled) == 2);
	CHECK(json_integer_value(json_object_get(json_array_get(cancelled, 0), "id")) == taro);
	CHECK(json_integer_value(json_object_get(json_array_get(cancelled, 1), "id")) == other);
	json_decref(cancelled);
	CHECK(outbox_count(db, "slot_closed") == 2);
	CHECK(outbox_count(db, "offer_withdrawn") == 1);
	json_t *box = NULL;
	REQUIRE(resv_outbox(r, 1, &box, err) == MG_OK);
	size_t i;
	json_t *n;
	int told_kana = 0;
	json_array_foreach(box, i, n) {
		json_t *p = json_object_get(n, "payload");
		if (!strcmp(json_string_value(json_object_get(n, "kind")), "slot_closed") &&
		    json_string_value(json_object_get(p, "name_kana")))
			told_kana = !strcmp(json_string_value(json_object_get(p, "date")), "2026-12-03");
	}
	CHECK(told_kana);
	json_decref(box);
	json_t *h = NULL;
	REQUIRE(resv_staff_history(r, "2000000001", &h, err) == MG_OK);
	json_t *b = json_array_get(json_object_get(h, "bookings"), 0);
	CHECK_STR(json_string_value(json_object_get(b, "status")), "cancelled");
	CHECK_STR(json_string_value(json_object_get(b, "cancel_reason")), "slot_closed");
	json_decref(h);
	REQUIRE(resv_staff_history(r, "2000000003", &h, err) == MG_OK);
	CHECK_STR(json_string_value(json_object_get(json_object_get(h, "waiting"), "status")), "waiting");
	json_decref(h);

	/* Closed: not offered to residents, not bookable, not changed again. */
	json_t *free_slots = NULL;
	REQUIRE(resv_free_slots(r, "kita", "2026-12-03", NULL, &free_slots, err) == MG_OK);
	CHECK(json_array_size(free_slots) == 0);
	json_decref(free_slots);
	struct resv_request q = {.slot_id = 5};
	REFUSED_WHY(db, r, resv_staff_book(r, "2000000005", &q, NULL, err), MG_ERR_CONFLICT,
		    RESV_WHY_CLOSED);
	REFUSED_WHY(db, r, resv_slot_close(r, 5, NULL, NULL, err), MG_ERR_CONFLICT, RESV_WHY_CLOSED);
	REFUSED_WHY(db, r, resv_slot_set_capacity(r, 5, 9, NULL, err), MG_ERR_CONFLICT,
		    RESV_WHY_CLOSED);
	/* A slot that has started cannot be closed. */
	resv_set_now(r, T0 + 2 * HOUR);
	REFUSED_WHY(db, r, resv_slot_close(r, 1, NULL, NULL, err), MG_ERR_CONFLICT, RESV_WHY_STARTED);
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

TEST(ops, the_report_counts_each_venue_and_day_and_excel_runs_no_formula)
{
	char db[512], err[MG_ERR_LEN];
	struct resv *r = ops_town(tokyo(), db);
	REQUIRE(r);
	REQUIRE(book(r, "2000000001", 1, NULL) && book(r, "2000000002", 1, NULL) &&
		book(r, "2000000003", 2, NULL) && book(r, "2000000005", 3, NULL));
	CHECK(resv_desk_act(r, NULL, "2000000001", RESV_ACT_CHECKIN, NULL, NULL, err) == MG_OK);
	CHECK(resv_desk_act(r, NULL, "2000000001", RESV_ACT_VACCINATED, "LOT9", NULL, err) == MG_OK);
	CHECK(resv_desk_act(r, NULL, "2000000002", RESV_ACT_CHECKIN, NULL, NULL, err) == MG_OK);
	CHECK(resv_desk_act(r, NULL, "2000000002", RESV_ACT_EXAMINED, NULL, NULL, err) == MG_OK);
	resv_set_now(r, T0 + 3 * HOUR);  /* 11:00: slot 2 (10:00) has started */
	CHECK(resv_desk_act(r, NULL, "2000000003", RESV_ACT_NO_SHOW, NULL, NULL, err) == MG_OK);
	resv_set_now(r, T0);
	CHECK(resv_slot_close(r, 4, NULL, NULL, err) == MG_OK);  /* tomorrow's, empty */

	json_t *rep = NULL;
	REQUIRE(resv_report(r, NULL, TODAY, "2026-12-02", &rep, err) == MG_OK);
	json_t *rows = json_object_get(rep, "rows");
	REQUIRE(json_array_size(rows) == 3);
	json_t *chuo = json_array_get(rows, 0), *tomorrow = json_array_get(rows, 2);
	CHECK_STR(json_string_value(json_object_get(chuo, "venue")), "chuo");
	CHECK(json_integer_value(json_object_get(chuo, "capacity")) == 6);
	CHECK(json_integer_value(json_object_get(chuo, "booked")) == 3);
	CHECK(json_real_value(json_object_get(chuo, "fill_rate")) == 0.5);
	CHECK(json_integer_value(json_object_get(chuo, "vaccinated")) == 1);
	CHECK(json_integer_value(json_object_get(chuo, "examined")) == 1);
	CHECK(json_integer_value(json_object_get(chuo, "no_show")) == 1);
	CHECK(json_integer_value(json_object_get(tomorrow, "capacity")) == 0);  /* closed */
	CHECK(json_is_null(json_object_get(tomorrow, "fill_rate")));
	CHECK(json_integer_value(json_object_get(json_object_get(rep, "totals"), "booked")) == 4);
	json_decref(rep);

	/* A venue named like a formula stays text in Excel. */
	const char *path = fixture_path("ops-venue.csv");
	FILE *f = fopen(path, "w");
	REQUIRE(f);
	fputs("code,name\nchuo,\"=HYPERLINK(\"\"http://x\"\",\"\"中央\"\")\"\n", f);
	fclose(f);
	REQUIRE(resv_import(r, RESV_IMPORT_VENUES, path, NULL, NULL, NULL, err) == MG_OK);
	REQUIRE(resv_report(r, "chuo", TODAY, TODAY, &rep, err) == MG_OK);
	char *csv = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&csv, &len);
	REQUIRE(mem);
	CHECK(resv_report_csv(rep, mem, err) == MG_OK);
	fclose(mem);
	json_decref(rep);
	static const char head[] = "\xEF\xBB\xBF" "日付,会場コード,会場,枠数,定員,予約,";
	CHECK(len > sizeof head && !strncmp(csv, head, sizeof head - 1));
	CHECK(strstr(csv, "\"2026-12-01\",\"chuo\",\"'=HYPERLINK(\"\"http://x\"\",\"\"中央\"\")\","
			  "2,6,3,0,1,1,1,0,50.0%\r\n") != NULL);
	CHECK(strstr(csv, "\"合計\",\"\",\"\",2,6,3,") != NULL);
	free(csv);
	resv_close(r);
}

static void first_reason(void *ctx, const struct resv_bad_row *b)
{
	char *reason = ctx;
	if (!*reason)
		snprintf(reason, 64, "%s", b->reason);
}

/* The first refused row's reason of an import of csv (kind), or "". */
static const char *import_reason(struct resv *r, enum resv_import_kind kind, const char *csv)
{
	static char reason[64];
	char err[MG_ERR_LEN];
	reason[0] = 0;
	resv_import_data(r, kind, csv, strlen(csv), "form.csv", first_reason, reason, NULL, err);
	return reason;
}

/* A venue or a vaccine edited in the console's form passes the check a
 * set-up file's row passes, with the same reason for the same fault, and
 * residents see the change; a refused one changes nothing. */
TEST(ops, a_venue_and_a_product_edited_by_hand_pass_the_import_s_checks)
{
	char db[512], err[MG_ERR_LEN];
	struct resv *r = ops_town(tokyo(), db);
	REQUIRE(r != NULL);
	struct resv_venue bad = {.code = "chuo west", .name = "中央公民館"};
	CHECK(resv_set_venue(r, &bad, err) == MG_ERR_INPUT);
	CHECK_STR(resv_venue_check(&bad, err), "code");
	CHECK_STR(import_reason(r, RESV_IMPORT_VENUES, "code,name\nchuo west,中央公民館\n"), "code");
	struct resv_venue unnamed = {.code = "chuo", .name = ""};
	CHECK_STR(resv_venue_check(&unnamed, err), "name");
	CHECK_STR(import_reason(r, RESV_IMPORT_VENUES, "code,name\nchuo,\n"), "name");
	struct resv_venue chuo = {.code = "chuo", .name = "中央公民館 本館", .address = "みどり町1-1",
				  .accessibility = "車いす可"};
	REQUIRE(resv_set_venue(r, &chuo, err) == MG_OK);
	json_t *venues = NULL;
	REQUIRE(resv_venues(r, &venues, err) == MG_OK);
	CHECK(json_array_size(venues) == 2);  /* replaced, not added */
	CHECK_STR(json_string_value(json_object_get(json_array_get(venues, 0), "name")), "中央公民館 本館");
	CHECK_STR(json_string_value(json_object_get(json_array_get(venues, 0), "accessibility")), "車いす可");
	json_decref(venues);
	struct resv_product p = {"covid", "コミナティ", 90, 0, 0, ""};
	CHECK(resv_set_product(r, &p, err) == MG_ERR_INPUT);
	CHECK_STR(resv_product_check(&p, err), "horizon_days");
	CHECK_STR(import_reason(r, RESV_IMPORT_PRODUCTS,
				"code,name,min_interval_days,same_product,horizon_days\ncovid,コミナティ,90,no,0\n"),
		  "horizon_days");
	p.horizon_days = 28;
	p.same_product = 2;
	CHECK_STR(resv_product_check(&p, err), "same_product");
	CHECK_STR(import_reason(r, RESV_IMPORT_PRODUCTS,
				"code,name,min_interval_days,same_product,horizon_days\ncovid,コミナティ,90,maybe,28\n"),
		  "same_product");
	json_t *settings = NULL;
	REQUIRE(resv_settings_json(r, &settings, err) == MG_OK);
	json_t *first = json_array_get(json_object_get(settings, "products"), 0);
	CHECK(json_integer_value(json_object_get(first, "horizon_days")) == 28);  /* nothing refused was written */
	json_decref(settings);
	resv_close(r);
}
