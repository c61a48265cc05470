/* What residents and staff would notice about booking: every rule refuses
 * with the right error and leaves nothing behind, the waiting list passes
 * seats on, reception records doses, and neither concurrent requests nor a
 * killed process can overbook or lose a confirmed booking. */
#include "tests/unit/test.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reservation/resv.h"

/* ---- Fixtures ------------------------------------------------------------------ */

static int db_counter;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static const char *tmp_path(const char *name)
{
	static char path[8][512];
	static int next;
	char *p = path[next++ % 8];
	snprintf(p, sizeof path[0], "%s/%s", test_tmpdir(), name);
	return p;
}

/* A new database file per test, so tests do not see each other's bookings. */
static const char *new_db(void)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/resv-%d.db", test_tmpdir(), ++db_counter);
	return path;
}

static int import_text(struct resv *r, enum resv_import_kind kind, const char *text)
{
	char err[MG_ERR_LEN];
	const char *path = tmp_path("import.csv");
	write_file(path, text);
	int rc = resv_import(r, kind, path, NULL, NULL, NULL, err);
	if (rc != MG_OK)
		printf("    import: %s\n", err);
	return rc;
}

/* The test town: two venues; covid (interval 90 days, any product next, 28
 * days ahead) and shingrix (60 days, same product next). Slots: 1 at chuo
 * tomorrow 10:00 with 3 seats, 2 at chuo tomorrow 10:30 with 1 seat, 3 at
 * hospital tomorrow 14:00 with 5 seats, 4 at chuo in 40 days (beyond the
 * horizon), 5 at hospital in 100 days, 6 at hospital tomorrow (shingrix),
 * 7 at chuo in 2 days 09:00 with 1 seat. */
static struct resv *town(const char **db_out)
{
	char err[MG_ERR_LEN];
	struct resv *r = NULL;
	const char *db = new_db();
	if (db_out)
		*db_out = db;
	if (resv_open(&r, db, err) != MG_OK) {
		printf("    open: %s\n", err);
		return NULL;
	}
	int rc = import_text(r, RESV_IMPORT_PRODUCTS,
			     "code,name,min_interval_days,same_product,horizon_days\n"
			     "covid,コミナティ,90,no,28\n"
			     "covid-m,スパイクバックス,90,no,28\n"
			     "shingrix,シングリックス,60,yes,200\n");
	if (rc == MG_OK)
		rc = import_text(r, RESV_IMPORT_VENUES,
				 "code,name,address,access,accessibility\n"
				 "chuo,中央公民館,本町1-1,駅から徒歩5分,車いす可\n"
				 "hospital,町立病院,山手2-3,バス停前,\n");
	if (rc == MG_OK)
		rc = import_text(r, RESV_IMPORT_SLOTS,
				 "venue,date,start,minutes,capacity,product\n"
				 "chuo,today+1,10:00,30,3,covid\n"
				 "chuo,today+1,10:30,30,1,covid\n"
				 "hospital,today+1,14:00,30,5,covid\n"
				 "chuo,today+40,10:00,30,3,covid\n"
				 "hospital,today+100,10:00,30,3,shingrix\n"
				 "hospital,today+1,15:00,30,3,shingrix\n"
				 "chuo,today+2,9:00,30,1,covid\n");
	if (rc == MG_OK)
		rc = import_text(r, RESV_IMPORT_TICKETS,
				 "ticket,birth_date,dose_date,dose_product\n"
				 "1000000001,1950-04-01,,\n"
				 "1000000002,1948-11-23,today-120,covid\n"
				 "1000000003,1955-07-07,today-30,covid\n"
				 "1000000004,1960-01-15,today-70,shingrix\n"
				 "1000000005,1961-02-02,,\n"
				 "1000000006,1962-03-03,,\n"
				 "1000000007,1963-04-04,,\n");
	/* Most slots are tomorrow: here residents may change them up to the start
	 * (the deadline has a test of its own). */
	if (rc == MG_OK)
		rc = resv_set_change_deadline_days(r, 0, err);
	if (rc != MG_OK) {
		resv_close(r);
		return NULL;
	}
	return r;
}

/* The local time at hh:mm, days from today. */
static time_t local_at(int days, int hh, int mm)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	tm.tm_mday += days;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* Everything a refused request must leave untouched, as one string. */
static const char *snapshot(const char *db)
{
	static char out[512];
	sqlite3 *h;
	sqlite3_stmt *st;
	out[0] = '\0';
	if (sqlite3_open(db, &h) != SQLITE_OK)
		return "open failed";
	if (sqlite3_prepare_v2(h,
			       "SELECT (SELECT group_concat(id || ':' || booked || '/' || held, ',')"
			       " FROM resv_slots), (SELECT count(*) FROM resv_bookings),"
			       " (SELECT group_concat(id || status || slot_id) FROM resv_bookings),"
			       " (SELECT count(*) FROM resv_waitlist), (SELECT count(*) FROM resv_offers),"
			       " (SELECT count(*) FROM resv_outbox), (SELECT count(*) FROM resv_doses),"
			       " (SELECT count(*) FROM resv_idempotency)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof out, "%s|%s|%s|%s|%s|%s|%s|%s", sqlite3_column_text(st, 0),
			 sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
			 sqlite3_column_text(st, 3), sqlite3_column_text(st, 4),
			 sqlite3_column_text(st, 5), sqlite3_column_text(st, 6),
			 sqlite3_column_text(st, 7));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static long long count(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long n = -1;
	if (sqlite3_open(db, &h) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return n;
}

static struct resv_request slot_req(long long slot)
{
	struct resv_request q = {0};
	q.slot_id = slot;
	return q;
}

static int contains(const char *s, const char *part)
{
	return s && strstr(s, part) != NULL;
}

/* Whether a venue of the town has field (code, name) equal to value. */
static int has_venue(struct resv *r, const char *field, const char *value)
{
	char err[MG_ERR_LEN];
	json_t *v = NULL, *e;
	size_t i;
	int found = 0;
	if (resv_venues(r, &v, err) != MG_OK)
		return -1;
	json_array_foreach(v, i, e)
		found |= !strcmp(json_string_value(json_object_get(e, field)), value);
	json_decref(v);
	return found;
}

/* ---- Set-up ---------------------------------------------------------------------- */

struct reported {
	int n, lines[8];
	char reasons[8][MG_ERR_LEN];
	char codes[8][32];
};

static void collect(void *ctx, const struct resv_bad_row *bad)
{
	struct reported *rep = ctx;
	if (rep->n < 8) {
		rep->lines[rep->n] = bad->line;
		snprintf(rep->codes[rep->n], sizeof rep->codes[rep->n], "%s", bad->reason);
		snprintf(rep->reasons[rep->n], MG_ERR_LEN, "%s", bad->message);
	}
	rep->n++;
}

TEST(resv, import_reports_bad_rows_by_line_and_imports_nothing)
{
	char err[MG_ERR_LEN];
	struct resv *r = town(NULL);
	REQUIRE(r);
	const char *path = tmp_path("slots-bad.csv");
	/* UTF-8 with the BOM Excel writes; line 3 has an impossible date, line 4
	 * an unknown venue, line 5 a quoted field spanning no lines. */
	write_file(path, "\xEF\xBB\xBFvenue,date,start,minutes,capacity,product\n"
			 "chuo,today+3,10:00,30,2,covid\n"
			 "chuo,2030-02-30,10:00,30,2,covid\n"
			 "nowhere,today+3,11:00,30,2,covid\n"
			 "\"chuo\",today+3,11:00,30,2,covid\n");
	struct reported rep = {0};
	int rows = -1;
	json_t *before = NULL, *after = NULL;
	REQUIRE(resv_free_slots(r, NULL, NULL, NULL, &before, err) == MG_OK);
	CHECK(resv_import(r, RESV_IMPORT_SLOTS, path, collect, &rep, &rows, err) == MG_ERR_INPUT);
	CHECK(contains(err, "2 bad rows"));
	CHECK(rep.n == 2);
	CHECK(rep.lines[0] == 3 && contains(rep.reasons[0], "2030-02-30"));
	CHECK(rep.lines[1] == 4 && contains(rep.reasons[1], "nowhere"));
	/* ...each with a code the console words in Japanese. */
	CHECK(!strcmp(rep.codes[0], "date") && !strcmp(rep.codes[1], "unknown_venue"));
	REQUIRE(resv_free_slots(r, NULL, NULL, NULL, &after, err) == MG_OK);
	CHECK(json_array_size(after) == json_array_size(before));  /* line 2 was not kept either */
	json_decref(before);
	json_decref(after);

	/* A missing column is reported on the header's line. */
	write_file(path, "venue,date,start,capacity,product\nchuo,today+3,10:00,2,covid\n");
	rep.n = 0;
	CHECK(resv_import(r, RESV_IMPORT_SLOTS, path, collect, &rep, NULL, err) == MG_ERR_INPUT);
	CHECK(rep.n == 1 && rep.lines[0] == 1 && contains(rep.reasons[0], "minutes"));

	/* Excel's 2030/3/1 and 9:00 are understood. */
	write_file(path, "venue,date,start,minutes,capacity,product\nchuo,2030/3/1,9:00,30,2,covid\n");
	CHECK(resv_import(r, RESV_IMPORT_SLOTS, path, NULL, NULL, &rows, err) == MG_OK);
	CHECK(rows == 1);
	resv_close(r);
}

/* Imports len bytes as a venues file expecting one bad row, on line and
 * saying want, and the venue coded "nishi" (which the file adds) not kept. */
static void check_venues_refused(struct resv *r, const char *data, size_t len, int line,
				 const char *want)
{
	char err[MG_ERR_LEN];
	const char *path = tmp_path("venues-refused.csv");
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		test_fail(__FILE__, __LINE__, "cannot write the file");
		return;
	}
	struct reported rep = {0};
	CHECK(resv_import(r, RESV_IMPORT_VENUES, path, collect, &rep, NULL, err) == MG_ERR_INPUT);
	CHECK(rep.n == 1 && rep.lines[0] == line && contains(rep.reasons[0], want));
	CHECK(has_venue(r, "code", "nishi") == 0);
}

TEST(resv, import_takes_excel_trailing_empty_columns_and_refuses_a_value_past_them)
{
	char err[MG_ERR_LEN];
	struct resv *r = town(NULL);
	REQUIRE(r);
	/* 40 columns, all but two empty, as Excel saves a sheet whose used range is wider. */
	char csv[1024] = "", pad[64] = "";
	for (int c = 3; c <= 40; c++)
		strcat(pad, ",");
	snprintf(csv, sizeof csv, "code,name%s\nkita,北会館%s\nminami,南会館%s\n%s\n", pad, pad, pad, pad);
	const char *path = tmp_path("venues-wide.csv");
	write_file(path, csv);
	int rows = -1;
	CHECK(resv_import(r, RESV_IMPORT_VENUES, path, NULL, NULL, &rows, err) == MG_OK);
	CHECK(rows == 2);
	/* A value in column 30 of line 3 is refused with its line. */
	snprintf(csv, sizeof csv, "code,name%s\nkita,北会館%s\nnishi,西会館%.28sx%s\n", pad, pad, pad,
		 pad + 28);
	check_venues_refused(r, csv, strlen(csv), 3, "a value in column 30");
	resv_close(r);
}

TEST(resv, import_refuses_a_nul_byte_with_its_line)
{
	struct resv *r = town(NULL);
	REQUIRE(r);
	static const char csv[] = "code,name\nkita,北会館\nnishi,西\0会館\n";
	check_venues_refused(r, csv, sizeof csv - 1, 3, "column 2 holds a NUL byte");
	resv_close(r);
}

TEST(resv, import_tickets_checks_numbers_dates_and_products)
{
	char err[MG_ERR_LEN];
	struct resv *r = town(NULL);
	REQUIRE(r);
	const char *path = tmp_path("tickets-bad.csv");
	write_file(path, "ticket,birth_date,dose_date,dose_product\n"
			 "123456789,1950-01-01,,\n"            /* 9 digits */
			 "2000000001,1950-13-01,,\n"           /* no 13th month */
			 "2000000002,1950-01-01,today-10,\n"   /* dose without product */
			 "2000000003,1950-01-01,today-10,bcg\n" /* product without rules */
			 "2000000004,1950-01-01,,\n"
			 "2000000004,1951-01-01,,\n");         /* two birth dates */
	struct reported rep = {0};
	CHECK(resv_import(r, RESV_IMPORT_TICKETS, path, collect, &rep, NULL, err) == MG_ERR_INPUT);
	CHECK(rep.n == 5);
	CHECK(rep.lines[0] == 2 && rep.lines[1] == 3 && rep.lines[2] == 4 && rep.lines[3] == 5 &&
	      rep.lines[4] == 7);
	char token[RESV_TOKEN_LEN + 1];
	CHECK(resv_login(r, "2000000004", "1950-01-01", "t", token, err) == MG_ERR_AUTH);
	resv_close(r);
}

TEST(resv, import_accepts_cp932_from_excel)
{
	char err[MG_ERR_LEN];
	struct resv *r = town(NULL);
	REQUIRE(r);
	const char *path = tmp_path("venues-sjis.csv");
	/* "code,name\nkita,北会館\n" in CP932: 北 = 96 6B, 会 = 89 EF, 館 = 8A D9. */
	write_file(path, "code,name\nkita,\x96\x6B\x89\xEF\x8A\xD9\n");
	CHECK(resv_import(r, RESV_IMPORT_VENUES, path, NULL, NULL, NULL, err) == MG_OK);
	CHECK(has_venue(r, "name", "北会館") == 1);
	resv_close(r);
}

TEST(resv, import_accepts_cp932_half_width_katakana)
{
	/* A half-width katakana is one byte in CP932 and three in UTF-8: a venue
	 * named in them must load, not be called "neither UTF-8 nor CP932". */
	char err[MG_ERR_LEN], file[256] = "code,name\nkana,", want[256] = "";
	struct resv *r = town(NULL);
	REQUIRE(r);
	for (int i = 0; i < 16; i++) {
		strcat(file, "\xDC\xB8\xC1\xDD");  /* ﾜｸﾁﾝ */
		strcat(want, "ﾜｸﾁﾝ");
	}
	strcat(file, "\n");
	const char *path = tmp_path("venues-kana.csv");
	write_file(path, file);
	CHECK(resv_import(r, RESV_IMPORT_VENUES, path, NULL, NULL, NULL, err) == MG_OK);
	CHECK(has_venue(r, "name", want) == 1);
	resv_close(r);
}

/* ---- Log-in --------------------------------------------------------------------- */

TEST(resv, login_gives_one_answer_for_any_wrong_part)
{
	char err[MG_ERR_LEN], err2[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1], ticket[11];
	struct resv *r = town(NULL);
	REQUIRE(r);
	CHECK(resv_login(r, "1000000001", "1950-04-02", "ip1", token, err) == MG_ERR_AUTH);
	CHECK(token[0] == '\0');
	CHECK(resv_login(r, "1000000099", "1950-04-01", "ip1", token, err2) == MG_ERR_AUTH);
	CHECK_STR(err, err2);  /* a wrong date and an unknown ticket read the same */
	/* Malformed input says what the format is, not whether a ticket exists. */
	CHECK(resv_login(r, "10000000", "1950-04-01", "ip1", token, err) == MG_ERR_INPUT);
	CHECK(resv_login(r, "1000000001", "1950-02-30", "ip1", token, err) == MG_ERR_INPUT);
	CHECK(resv_refusal(r)->why == RESV_WHY_BIRTH_DATE);
	CHECK(resv_refusal(r)->birth.why == NLP_DATE_DAY);
	CHECK(resv_login(r, "10000000", "1950-04-01", "ip1", token, err) == MG_ERR_INPUT);
	CHECK(resv_refusal(r)->why == RESV_WHY_TICKET_NUMBER);
	/* What residents type on a phone: full-width digits, hyphens, slashes. */
	CHECK(resv_login(r, "１０００－０００－００１", "1950/4/1", "ip1", token, err) == MG_OK);
	CHECK(strlen(token) == RESV_TOKEN_LEN);
	CHECK(resv_session_ticket(r, token, ticket, err) == MG_OK);
	CHECK_STR(ticket, "1000000001");
	CHECK(resv_logout(r, token, err) == MG_OK);
	CHECK(resv_session_ticket(r, token, ticket, err) == MG_ERR_AUTH);
	/* Sessions end on their own. */
	CHECK(resv_login(r, "1000000001", "19500401", "ip1", token, err) == MG_OK);
	resv_set_now(r, time(NULL) + RESV_SESSION_TTL_S + 1);
	CHECK(resv_session_ticket(r, token, ticket, err) == MG_ERR_AUTH);
	resv_close(r);
}

TEST(resv, login_is_rate_limited_per_ticket_and_per_client)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	time_t t0 = time(NULL);
	resv_set_now(r, t0);
	for (int i = 0; i < RESV_LOGIN_MAX_FAIL_TICKET; i++)
		CHECK(resv_login(r, "1000000002", "2000-01-01", i % 2 ? "a" : "b", token, err) ==
		      MG_ERR_AUTH);
	/* Now even the right birth date is refused, from any client. */
	CHECK(resv_login(r, "1000000002", "1948-11-23", "c", token, err) == MG_ERR_RATE);
	CHECK(resv_login(r, "1000000001", "1950-04-01", "c", token, err) == MG_OK);
	resv_set_now(r, t0 + RESV_LOGIN_WINDOW_S + 1);
	CHECK(resv_login(r, "1000000002", "1948-11-23", "c", token, err) == MG_OK);

	/* One client sweeping many tickets is stopped too. */
	resv_set_now(r, t0 + 2 * RESV_LOGIN_WINDOW_S);
	char t[16];
	for (int i = 0; i < RESV_LOGIN_MAX_FAIL_CLIENT; i++) {
		snprintf(t, sizeof t, "30000000%02d", i);
		CHECK(resv_login(r, t, "1950-01-01", "sweeper", token, err) == MG_ERR_AUTH);
	}
	CHECK(resv_login(r, "1000000001", "1950-04-01", "sweeper", token, err) == MG_ERR_RATE);
	CHECK(resv_login(r, "1000000001", "1950-04-01", "neighbour", token, err) == MG_OK);
	/* The client is stored as a hash, never as given. */
	CHECK(count(db, "SELECT count(*) FROM resv_login_failures WHERE key = CAST('sweeper' AS BLOB)")
	      == 0);
	resv_close(r);
}

/* ---- Booking and its rules ----------------------------------------------------------- */

TEST(resv, login_reads_birth_dates_as_elderly_residents_write_them)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	struct resv *r = town(NULL);
	REQUIRE(r);
	static const char *const ways[] = {"昭和25年4月1日", "S25.4.1", "昭和２５年４月１日",
					   "1950年4月1日", "1950/4/1", "19500401", "昭和二十五年四月一日"};
	for (size_t i = 0; i < sizeof ways / sizeof *ways; i++) {
		int rc = resv_login(r, "1000000001", ways[i], "ip-era", token, err);
		if (rc != MG_OK)
			printf("    %s: %s\n", ways[i], err);
		CHECK(rc == MG_OK);
	}
	/* The last day of 昭和 was 1989-01-07: the refusal says so, and why. */
	CHECK(resv_login(r, "1000000001", "昭和64年1月8日", "ip-era", token, err) == MG_ERR_INPUT);
	CHECK(strstr(err, "1989-01-07") != NULL);
	CHECK(resv_refusal(r)->why == RESV_WHY_BIRTH_DATE);
	json_t *j = resv_refusal_json(r);
	CHECK_STR(json_string_value(json_object_get(j, "reason")), "birth_date");
	CHECK_STR(json_string_value(json_object_get(j, "problem")), "era_range");
	CHECK_STR(json_string_value(json_object_get(j, "era")), "昭和");
	CHECK_STR(json_string_value(json_object_get(j, "to")), "1989-01-07");
	json_decref(j);
	/* A real day of the wrong era is a wrong answer like any other. */
	CHECK(resv_login(r, "1000000001", "昭和25年4月2日", "ip-era", token, err) == MG_ERR_AUTH);
	CHECK(resv_refusal(r)->why == RESV_WHY_NONE);
	resv_close(r);
}

static int login(struct resv *r, const char *ticket, const char *birth, char *token)
{
	char err[MG_ERR_LEN];
	int rc = resv_login(r, ticket, birth, "test", token, err);
	if (rc != MG_OK)
		printf("    login: %s\n", err);
	return rc;
}

TEST(resv, book_view_change_cancel)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	REQUIRE(login(r, "1000000001", "1950-04-01", token) == MG_OK);
	struct resv_booking b, v;
	struct resv_request q = slot_req(1);
	q.venue = "chuo";
	CHECK(resv_view(r, token, &v, err) == MG_ERR_NOT_FOUND);
	REQUIRE(resv_book(r, token, &q, &b, err) == MG_OK);
	CHECK_STR(b.status, "booked");
	CHECK_STR(b.venue, "chuo");
	CHECK(b.slot_id == 1);
	CHECK(resv_view(r, token, &v, err) == MG_OK && v.id == b.id);
	CHECK(count(db, "SELECT booked FROM resv_slots WHERE id = 1") == 1);

	q = slot_req(3);
	REQUIRE(resv_change(r, token, &q, &v, err) == MG_OK);
	CHECK(v.id == b.id && v.slot_id == 3);
	CHECK_STR(v.venue, "hospital");
	CHECK(count(db, "SELECT booked FROM resv_slots WHERE id = 1") == 0);
	CHECK(count(db, "SELECT booked FROM resv_slots WHERE id = 3") == 1);

	REQUIRE(resv_cancel(r, token, NULL, &v, err) == MG_OK);
	CHECK_STR(v.status, "cancelled");
	CHECK(count(db, "SELECT booked FROM resv_slots WHERE id = 3") == 0);
	CHECK(resv_view(r, token, &v, err) == MG_ERR_NOT_FOUND);
	CHECK(resv_cancel(r, token, NULL, &v, err) == MG_ERR_NOT_FOUND);
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

/* Whether another connection to db can take the write lock now. */
static int others_can_write(const char *db)
{
	sqlite3 *h = NULL;
	int ok = sqlite3_open(db, &h) == SQLITE_OK && sqlite3_busy_timeout(h, 10) == SQLITE_OK &&
		 sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(h);
	return ok;
}

/* A request refused before its write began (no slot chosen, a malformed
 * request key) leaves the connection as it was: the next booking's write
 * still takes the lock before its first read, so that two residents after
 * the last seat wait for each other instead of one getting "busy". */
TEST(resv, a_request_refused_before_its_write_leaves_the_next_write_first_to_lock)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	REQUIRE(login(r, "1000000001", "1950-04-01", token) == MG_OK);
	struct resv_request q = slot_req(0);
	for (int i = 0; i < 3; i++)
		CHECK(resv_book(r, token, &q, NULL, err) == MG_ERR_INPUT);
	q = slot_req(1);
	q.idem_key = "not a key\n";
	CHECK(resv_book(r, token, &q, NULL, err) == MG_ERR_INPUT);
	CHECK(others_can_write(db));
	REQUIRE(resv_write_begin(r, err) == MG_OK);
	CHECK(!others_can_write(db));  /* held from the start, not at the first write */
	CHECK(resv_write_end(r, MG_OK, err) == MG_OK);
	CHECK(others_can_write(db));
	struct resv_booking b;
	q.idem_key = NULL;
	CHECK(resv_book(r, token, &q, &b, err) == MG_OK && b.slot_id == 1);
	CHECK(count(db, "SELECT booked FROM resv_slots WHERE id = 1") == 1);
	resv_close(r);
}

/* Runs one refused request and checks its code, its message and that nothing changed. */
#define REFUSED(db, call, code, part)                                               \
	do {                                                                        \
		char before_[512];                                                  \
		snprintf(before_, sizeof before_, "%s", snapshot(db));              \
		err[0] = '\0';                                                      \
		int rc_ = (call);                                                   \
		if (rc_ != (code))                                                  \
			printf("    got %s: %s\n", mg_strerror(rc_), err);          \
		CHECK(rc_ == (code));                                               \
		CHECK(contains(err, part));                                         \
		CHECK_STR(snapshot(db), before_);                                   \
	} while (0)

TEST(resv, every_rule_refuses_and_changes_nothing)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	struct resv_booking b;
	struct resv_request q;

	/* One active reservation per ticket. */
	REQUIRE(login(r, "1000000001", "1950-04-01", token) == MG_OK);
	q = slot_req(1);
	REQUIRE(resv_book(r, token, &q, &b, err) == MG_OK);
	q = slot_req(3);
	REFUSED(db, resv_book(r, token, &q, NULL, err), MG_ERR_CONFLICT, "already a reservation");
	REFUSED(db, resv_staff_book(r, "1000000001", &q, NULL, err), MG_ERR_CONFLICT,
		"already a reservation");

	/* The interval after the last dose: given 30 days ago, 90 needed. */
	q = slot_req(3);
	REFUSED(db, resv_staff_book(r, "1000000003", &q, NULL, err), MG_ERR_CONFLICT,
		"next dose can be from");
	/* The reason travels as data, for the resident's own language. */
	const struct resv_refusal *why = resv_refusal(r);
	CHECK(why->why == RESV_WHY_INTERVAL && why->days == 90 && strlen(why->date) == 10);
	CHECK(strstr(err, why->date) != NULL);
	json_t *j = resv_refusal_json(r);
	CHECK_STR(json_string_value(json_object_get(j, "reason")), "interval");
	CHECK_STR(json_string_value(json_object_get(j, "date")), why->date);
	json_decref(j);
	/* 120 days ago is enough. */
	CHECK(resv_staff_book(r, "1000000002", &q, NULL, err) == MG_OK);

	/* After shingrix, shingrix again (70 days > 60, but covid is refused). */
	REFUSED(db, resv_staff_book(r, "1000000004", &q, NULL, err), MG_ERR_CONFLICT,
		"must be シングリックス");
	CHECK(resv_refusal(r)->why == RESV_WHY_SAME_PRODUCT);
	CHECK_STR(resv_refusal(r)->product, "シングリックス");
	q = slot_req(6);
	CHECK(resv_staff_book(r, "1000000004", &q, NULL, err) == MG_OK);

	/* Beyond the horizon (40 days, 28 allowed). */
	q = slot_req(4);
	REFUSED(db, resv_staff_book(r, "1000000005", &q, NULL, err), MG_ERR_CONFLICT, "open 28 days");
	CHECK(resv_refusal(r)->why == RESV_WHY_NOT_OPEN_YET && resv_refusal(r)->days == 28);

	/* Full: slot 2 has one seat. */
	q = slot_req(2);
	CHECK(resv_staff_book(r, "1000000005", &q, NULL, err) == MG_OK);
	CHECK(resv_refusal(r)->why == RESV_WHY_NONE);  /* a success leaves no reason behind */
	REFUSED(db, resv_staff_book(r, "1000000006", &q, NULL, err), MG_ERR_FULL, "full");
	CHECK(resv_refusal(r)->why == RESV_WHY_FULL);

	/* A slot of another venue than the one chosen, and a slot that does not exist. */
	q = slot_req(3);
	q.venue = "chuo";
	REFUSED(db, resv_staff_book(r, "1000000006", &q, NULL, err), MG_ERR_INPUT,
		"not at venue chuo");
	q = slot_req(999);
	REFUSED(db, resv_staff_book(r, "1000000006", &q, NULL, err), MG_ERR_NOT_FOUND, "no slot");
	/* Malformed and unknown tickets. */
	q = slot_req(3);
	REFUSED(db, resv_staff_book(r, "12345", &q, NULL, err), MG_ERR_INPUT, "10 digits");
	REFUSED(db, resv_staff_book(r, "10000000o1", &q, NULL, err), MG_ERR_INPUT, "10 digits");
	REFUSED(db, resv_staff_book(r, "9999999999", &q, NULL, err), MG_ERR_NOT_FOUND, "no ticket");
	/* A session that is not one. */
	REFUSED(db, resv_book(r, "forged", &q, NULL, err), MG_ERR_AUTH, "log in");

	/* In the past: the clock moves past slot 3 (tomorrow 14:00). */
	resv_set_now(r, local_at(1, 14, 1));
	REFUSED(db, resv_staff_book(r, "1000000006", &q, NULL, err), MG_ERR_CONFLICT,
		"already started");
	/* ... and a booking whose slot has started can no longer be cancelled or moved online. */
	REFUSED(db, resv_staff_cancel(r, "1000000002", NULL, NULL, err), MG_ERR_CONFLICT,
		"already started");
	q = slot_req(7);
	REFUSED(db, resv_staff_change(r, "1000000002", &q, NULL, err), MG_ERR_CONFLICT,
		"already started");
	resv_set_now(r, 0);

	/* Changing to a slot the rules refuse keeps the old booking. */
	q = slot_req(4);
	REFUSED(db, resv_change(r, token, &q, NULL, err), MG_ERR_CONFLICT, "open 28 days");
	q = slot_req(2);
	REFUSED(db, resv_change(r, token, &q, NULL, err), MG_ERR_FULL, "full");
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

TEST(resv, impossible_dates_and_bad_filters_are_refused)
{
	char err[MG_ERR_LEN];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	json_t *a = NULL;
	CHECK(resv_free_slots(r, NULL, "2026-02-30", NULL, &a, err) == MG_ERR_INPUT);
	CHECK(resv_free_slots(r, NULL, "2026-13-01", NULL, &a, err) == MG_ERR_INPUT);
	CHECK(resv_free_slots(r, NULL, "tomorrow", NULL, &a, err) == MG_ERR_INPUT);
	CHECK(a == NULL);
	REFUSED(db, resv_staff_wait(r, "1000000001", "chuo", "2026-02-30", NULL, NULL, err),
		MG_ERR_INPUT, "not a date");
	REFUSED(db, resv_staff_wait(r, "1000000001", NULL, NULL, NULL, NULL, err), MG_ERR_INPUT,
		"choose");
	REFUSED(db, resv_staff_wait(r, "1000000001", "nowhere", NULL, NULL, NULL, err),
		MG_ERR_NOT_FOUND, "no venue");
	FILE *out = fopen(tmp_path("export.csv"), "w");
	REQUIRE(out);
	CHECK(resv_vrs_csv(r, "2026-02-29", NULL, NULL, out, NULL, err) == MG_ERR_INPUT);  /* not a leap year */
	CHECK(resv_vrs_csv(r, "2026-03-02", "2026-03-01", NULL, out, NULL, err) == MG_ERR_INPUT);
	CHECK(resv_vrs_csv(r, "2026-01-01", "2028-01-01", NULL, out, NULL, err) == MG_ERR_INPUT);
	fclose(out);
	/* The free list shows only bookable slots: not the one beyond the horizon. */
	REQUIRE(resv_free_slots(r, "chuo", NULL, NULL, &a, err) == MG_OK);
	size_t i;
	json_t *s;
	json_array_foreach(a, i, s)
		CHECK(json_integer_value(json_object_get(s, "id")) != 4);
	CHECK(json_array_size(a) == 3);
	json_decref(a);
	resv_close(r);
}

TEST(resv, personal_fields_follow_the_town_policy)
{
	char err[MG_ERR_LEN];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	struct resv_request q = slot_req(1);
	q.contact.name_kana = "ヤマダ タロウ";
	q.contact.phone = "090-1234-5678";
	/* By default the town holds no personal data: the fields are dropped. */
	REQUIRE(resv_staff_book(r, "1000000001", &q, NULL, err) == MG_OK);
	CHECK(count(db, "SELECT count(*) FROM resv_bookings WHERE name_kana IS NULL"
		  " AND phone IS NULL AND email IS NULL") == 1);

	REQUIRE(resv_set_field_policy(r, RESV_FIELD_PHONE, RESV_REQUIRED, err) == MG_OK);
	REQUIRE(resv_set_field_policy(r, RESV_FIELD_NAME_KANA, RESV_OPTIONAL, err) == MG_OK);
	REQUIRE(resv_set_field_policy(r, RESV_FIELD_EMAIL, RESV_OPTIONAL, err) == MG_OK);
	q.contact.phone = NULL;
	REFUSED(db, resv_staff_book(r, "1000000005", &q, NULL, err), MG_ERR_INPUT,
		"phone number is required");
	q.contact.phone = "12-34";
	REFUSED(db, resv_staff_book(r, "1000000005", &q, NULL, err), MG_ERR_INPUT, "digits");
	q.contact.phone = "0312345678";
	q.contact.name_kana = "Yamada";
	REFUSED(db, resv_staff_book(r, "1000000005", &q, NULL, err), MG_ERR_INPUT, "kana");
	q.contact.name_kana = "やまだ はなこ";
	q.contact.email = "not-an-address";
	REFUSED(db, resv_staff_book(r, "1000000005", &q, NULL, err), MG_ERR_INPUT, "e-mail");
	/* The refusal names the field and what is wrong, for the panel to word. */
	json_t *why = resv_refusal_json(r);
	CHECK_STR(json_string_value(json_object_get(why, "reason")), "contact");
	CHECK_STR(json_string_value(json_object_get(why, "field")), "email");
	CHECK_STR(json_string_value(json_object_get(why, "problem")), "invalid");
	json_decref(why);
	q.contact.phone = "";
	REFUSED(db, resv_staff_book(r, "1000000005", &q, NULL, err), MG_ERR_INPUT, "required");
	why = resv_refusal_json(r);
	CHECK_STR(json_string_value(json_object_get(why, "field")), "phone");
	CHECK_STR(json_string_value(json_object_get(why, "problem")), "required");
	json_decref(why);
	q.contact.phone = "0312345678";
	q.contact.email = "hanako@example.jp";
	CHECK(resv_staff_book(r, "1000000005", &q, NULL, err) == MG_OK);
	CHECK(count(db, "SELECT count(*) FROM resv_bookings WHERE ticket = '1000000005'"
		  " AND phone = '0312345678' AND email = 'hanako@example.jp'") == 1);
	resv_close(r);
}

TEST(resv, replayed_requests_return_the_first_result)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	REQUIRE(login(r, "1000000001", "1950-04-01", token) == MG_OK);
	struct resv_booking b1, b2;
	struct resv_request q = slot_req(1);
	q.idem_key = "k-book-1";
	REQUIRE(resv_book(r, token, &q, &b1, err) == MG_OK);
	char before[512];
	snprintf(before, sizeof before, "%s", snapshot(db));
	/* The same request again (a double tap, a retry after a timeout). */
	CHECK(resv_book(r, token, &q, &b2, err) == MG_OK);
	CHECK(b2.id == b1.id);
	CHECK_STR(snapshot(db), before);
	/* The same key for another request is refused. */
	q.slot_id = 3;
	REFUSED(db, resv_book(r, token, &q, NULL, err), MG_ERR_CONFLICT, "request key");
	/* Cancel, twice. */
	CHECK(resv_cancel(r, token, "k-cancel-1", &b2, err) == MG_OK);
	snprintf(before, sizeof before, "%s", snapshot(db));
	CHECK(resv_cancel(r, token, "k-cancel-1", &b2, err) == MG_OK);
	CHECK(b2.id == b1.id);
	CHECK_STR(b2.status, "cancelled");
	CHECK_STR(snapshot(db), before);
	/* The book key replays the first booking, not a new one. */
	q.slot_id = 1;
	CHECK(resv_book(r, token, &q, &b2, err) == MG_OK && b2.id == b1.id);
	CHECK_STR(snapshot(db), before);
	/* Bad keys. */
	q.idem_key = "has space";
	REFUSED(db, resv_book(r, token, &q, NULL, err), MG_ERR_INPUT, "request key");
	resv_close(r);
}

/* ---- Waiting list ---------------------------------------------------------------------- */

TEST(resv, cancelled_seat_goes_to_the_first_waiting_and_expires_onwards)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	struct resv_request q = slot_req(7);  /* chuo, in two days, one seat */
	char day[11];
	time_t t2 = time(NULL) + 2 * 24 * 3600;
	strftime(day, sizeof day, "%Y-%m-%d", localtime(&t2));
	REQUIRE(resv_staff_book(r, "1000000001", &q, NULL, err) == MG_OK);
	/* Another day of chuo still has seats: waiting for the venue alone is refused. */
	REFUSED(db, resv_staff_wait(r, "1000000005", "chuo", NULL, NULL, NULL, err),
		MG_ERR_CONFLICT, "free seats");
	long long w5 = 0, w6 = 0;
	CHECK(resv_staff_wait(r, "1000000005", "chuo", day, NULL, &w5, err) == MG_OK);
	CHECK(resv_staff_wait(r, "1000000006", NULL, day, NULL, &w6, err) == MG_OK);
	CHECK(w5 && w6);
	REFUSED(db, resv_staff_wait(r, "1000000005", "chuo", day, NULL, NULL, err),
		MG_ERR_CONFLICT, "already on the waiting list");
	REFUSED(db, resv_staff_wait(r, "1000000001", "chuo", day, NULL, NULL, err),
		MG_ERR_CONFLICT, "already a reservation");

	/* The cancel offers the seat to 5 (first in line), held for them. */
	REQUIRE(resv_staff_cancel(r, "1000000001", NULL, NULL, err) == MG_OK);
	CHECK(count(db, "SELECT held FROM resv_slots WHERE id = 7") == 1);
	q = slot_req(7);
	REFUSED(db, resv_staff_book(r, "1000000007", &q, NULL, err), MG_ERR_FULL, "full");
	json_t *box = NULL, *offers = NULL;
	REQUIRE(resv_outbox(r, 1, &box, err) == MG_OK);
	REQUIRE(json_array_size(box) == 1);
	json_t *n = json_array_get(box, 0);
	CHECK_STR(json_string_value(json_object_get(n, "ticket")), "1000000005");
	CHECK_STR(json_string_value(json_object_get(n, "kind")), "offer");
	CHECK(json_integer_value(json_object_get(json_object_get(n, "payload"), "slot_id")) == 7);
	CHECK(resv_outbox_mark_sent(r, json_integer_value(json_object_get(n, "id")), err) == MG_OK);
	json_decref(box);
	REQUIRE(resv_outbox(r, 1, &box, err) == MG_OK);
	CHECK(json_array_size(box) == 0);
	json_decref(box);

	/* The resident sees the offer after logging in. */
	REQUIRE(login(r, "1000000005", "1961-02-02", token) == MG_OK);
	REQUIRE(resv_offers(r, token, &offers, err) == MG_OK);
	REQUIRE(json_array_size(offers) == 1);
	long long offer = json_integer_value(json_object_get(json_array_get(offers, 0), "id"));
	json_decref(offers);

	/* Nobody answers: the offer expires and passes to 6 (a resident looking
	 * at the free slots is enough to move it on). */
	resv_set_now(r, time(NULL) + RESV_OFFER_TTL_S + 1);
	json_t *list = NULL;
	CHECK(resv_free_slots(r, "chuo", day, NULL, &list, err) == MG_OK);
	CHECK(json_array_size(list) == 0);  /* the seat is 6's now */
	json_decref(list);
	int expired = -1;
	CHECK(resv_expire_offers(r, &expired, err) == MG_OK && expired == 0);
	CHECK(resv_staff_accept(r, "1000000005", offer, NULL, NULL, err) == MG_ERR_CONFLICT);
	REQUIRE(resv_staff_offers(r, "1000000006", &offers, err) == MG_OK);
	REQUIRE(json_array_size(offers) == 1);
	offer = json_integer_value(json_object_get(json_array_get(offers, 0), "id"));
	json_decref(offers);
	CHECK(count(db, "SELECT count(*) FROM resv_outbox WHERE ticket = '1000000006'") == 1);
	/* Someone else cannot take 6's offer. */
	CHECK(resv_staff_accept(r, "1000000007", offer, NULL, NULL, err) == MG_ERR_NOT_FOUND);
	struct resv_booking b;
	CHECK(resv_staff_accept(r, "1000000006", offer, "acc-1", &b, err) == MG_OK);
	CHECK(b.slot_id == 7 && !strcmp(b.status, "booked"));
	CHECK(count(db, "SELECT held FROM resv_slots WHERE id = 7") == 0);
	/* Accepting again replays with the key, and is refused without it. */
	struct resv_booking b2;
	CHECK(resv_staff_accept(r, "1000000006", offer, "acc-1", &b2, err) == MG_OK && b2.id == b.id);
	CHECK(resv_staff_accept(r, "1000000006", offer, NULL, NULL, err) == MG_ERR_CONFLICT);
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

TEST(resv, declined_offer_passes_on_and_booking_elsewhere_stops_waiting)
{
	char err[MG_ERR_LEN];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	struct resv_request q = slot_req(7);
	char day[11];
	time_t t2 = time(NULL) + 2 * 24 * 3600;
	strftime(day, sizeof day, "%Y-%m-%d", localtime(&t2));
	REQUIRE(resv_staff_book(r, "1000000001", &q, NULL, err) == MG_OK);
	REQUIRE(resv_staff_wait(r, "1000000005", NULL, day, NULL, NULL, err) == MG_OK);
	REQUIRE(resv_staff_wait(r, "1000000006", NULL, day, NULL, NULL, err) == MG_OK);
	REQUIRE(resv_staff_cancel(r, "1000000001", NULL, NULL, err) == MG_OK);
	/* 5 books another day instead: their offer passes to 6 at once. */
	q = slot_req(1);
	REQUIRE(resv_staff_book(r, "1000000005", &q, NULL, err) == MG_OK);
	json_t *offers = NULL;
	REQUIRE(resv_staff_offers(r, "1000000006", &offers, err) == MG_OK);
	CHECK(json_array_size(offers) == 1);
	json_decref(offers);
	CHECK(count(db, "SELECT count(*) FROM resv_offers WHERE status = 'pending'") == 1);
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

/* ---- Reception ---------------------------------------------------------------------- */

TEST(resv, reception_records_doses_and_exports_the_day)
{
	char err[MG_ERR_LEN];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	struct resv_booking a, b, c;
	struct resv_request q = slot_req(3);
	REQUIRE(resv_staff_book(r, "1000000001", &q, &a, err) == MG_OK);
	REQUIRE(resv_staff_book(r, "1000000005", &q, &b, err) == MG_OK);
	REQUIRE(resv_staff_book(r, "1000000006", &q, &c, err) == MG_OK);
	struct resv_booking second;  /* 1000000002's second dose: the first was imported */
	REQUIRE(resv_staff_book(r, "1000000002", &q, &second, err) == MG_OK);
	/* Not before the day. */
	REFUSED(db, resv_checkin(r, a.id, err), MG_ERR_CONFLICT, "cannot become checked_in");
	REFUSED(db, resv_vaccinated(r, a.id, "LOT1", err), MG_ERR_CONFLICT, "cannot");
	resv_set_now(r, local_at(1, 13, 50));
	CHECK(resv_checkin(r, a.id, err) == MG_OK);
	CHECK(resv_checkin(r, b.id, err) == MG_OK);
	REFUSED(db, resv_vaccinated(r, a.id, "", err), MG_ERR_INPUT, "lot");
	CHECK(resv_vaccinated(r, a.id, "FK1234", err) == MG_OK);
	CHECK(resv_examined(r, b.id, err) == MG_OK);  /* 予診のみ: seen, not vaccinated */
	REFUSED(db, resv_no_show(r, c.id, err), MG_ERR_CONFLICT, "cannot");  /* not started yet */
	resv_set_now(r, local_at(1, 14, 30));
	CHECK(resv_no_show(r, c.id, err) == MG_OK);
	REFUSED(db, resv_vaccinated(r, a.id, "FK1234", err), MG_ERR_CONFLICT, "cannot");

	/* Only the vaccination is a dose. */
	CHECK(count(db, "SELECT count(*) FROM resv_doses WHERE booking_id IS NOT NULL") == 1);
	struct resv_booking s;
	CHECK(resv_booking_by_id(r, b.id, &s, err) == MG_OK);
	CHECK_STR(s.status, "examined");
	/* The seats stayed used. */
	CHECK(count(db, "SELECT booked FROM resv_slots WHERE id = 3") == 4);
	CHECK(resv_check(r, err) == MG_OK);

	/* A lot that Excel would run as a formula (staff typed it; lot_ok lets '=' through). */
	CHECK(resv_checkin(r, second.id, err) == MG_OK);
	CHECK(resv_vaccinated(r, second.id, "=1+1", err) == MG_OK);

	/* The national record (VRS): one row per dose given, with the town's
	 * code, the day as VRS writes it and the dose's number in the ticket's
	 * record; not the examined-only nor the no-show. */
	const char *path = tmp_path("vrs.csv");
	FILE *out = fopen(path, "w");
	REQUIRE(out);
	int rows = 0;
	char slash[16];  /* the day as staff type it: 2026/3/5 */
	snprintf(slash, sizeof slash, "%d/%d/%d", atoi(a.date), atoi(a.date + 5), atoi(a.date + 8));
	CHECK(resv_vrs_csv(r, slash, NULL, "131016", out, &rows, err) == MG_OK);
	fclose(out);
	CHECK(rows == 2);
	char *text = NULL;
	size_t len = 0;
	REQUIRE(mg_read_file(path, 1 << 20, &text, &len, err) == MG_OK);
	char ymd[9], want[160];
	snprintf(ymd, sizeof ymd, "%.4s%.2s%.2s", a.date, a.date + 5, a.date + 8);
	static const char head[] = "\xEF\xBB\xBF券番号,自治体コード,接種日,接種回数,ワクチン,ロット番号,接種会場\r\n";
	CHECK(len > sizeof head && !memcmp(text, head, sizeof head - 1));
	snprintf(want, sizeof want, "\"1000000001\",\"131016\",\"%s\",\"1\",\"コミナティ\",\"FK1234\",\"町立病院\"\r\n", ymd);
	CHECK(contains(text, want));
	snprintf(want, sizeof want, "\"1000000002\",\"131016\",\"%s\",\"2\",\"コミナティ\",\"'=1+1\",\"町立病院\"\r\n", ymd);
	CHECK(contains(text, want));
	CHECK(!contains(text, "1000000005"));  /* 予診のみ */
	CHECK(!contains(text, "1000000006"));  /* no-show */
	free(text);
	/* The day before has none. */
	out = fopen(path, "w");
	REQUIRE(out);
	CHECK(resv_vrs_csv(r, "2020-01-01", "2020-01-31", NULL, out, &rows, err) == MG_OK);
	fclose(out);
	CHECK(rows == 0);

	/* The next dose for 1 now waits for the interval; 5 (examined only) may book again. */
	resv_set_now(r, local_at(1, 16, 0));
	q = slot_req(7);
	REFUSED(db, resv_staff_book(r, "1000000001", &q, NULL, err), MG_ERR_CONFLICT,
		"next dose can be from");
	CHECK(resv_staff_book(r, "1000000005", &q, NULL, err) == MG_OK);
	resv_close(r);
}

/* ---- Concurrency ------------------------------------------------------------------------ */

struct racer {
	const char *db;
	char ticket[16];
	long long slot;
	pthread_barrier_t *start;
	int rc;
	char err[MG_ERR_LEN];
};

static void *race(void *arg)
{
	struct racer *x = arg;
	struct resv *r = NULL;
	x->rc = resv_open(&r, x->db, x->err);
	pthread_barrier_wait(x->start);
	if (x->rc == MG_OK) {
		struct resv_request q = slot_req(x->slot);
		x->rc = resv_staff_book(r, x->ticket, &q, NULL, x->err);
	}
	resv_close(r);
	return NULL;
}

/* Tickets 40000000NN for n residents. */
static int add_tickets(struct resv *r, int n)
{
	size_t cap = 64 + (size_t)n * 32;
	char *csv = malloc(cap);
	size_t len = (size_t)snprintf(csv, cap, "ticket,birth_date\n");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(csv + len, cap - len, "40000%05d,1950-01-01\n", i);
	int rc = import_text(r, RESV_IMPORT_TICKETS, csv);
	free(csv);
	return rc;
}

#define RACERS 16

TEST(resv, racing_for_the_last_seats_books_exactly_capacity)
{
	char err[MG_ERR_LEN];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	REQUIRE(add_tickets(r, RACERS) == MG_OK);
	struct racer x[RACERS];
	pthread_t th[RACERS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, RACERS);
	for (int i = 0; i < RACERS; i++) {
		x[i] = (struct racer){.db = db, .slot = 3, .start = &start};
		snprintf(x[i].ticket, sizeof x[i].ticket, "40000%05d", i);
		pthread_create(&th[i], NULL, race, &x[i]);
	}
	int ok = 0, full = 0;
	for (int i = 0; i < RACERS; i++) {
		pthread_join(th[i], NULL);
		ok += x[i].rc == MG_OK;
		full += x[i].rc == MG_ERR_FULL;
		if (x[i].rc != MG_OK && x[i].rc != MG_ERR_FULL)
			printf("    racer %d: %s\n", i, x[i].err);
	}
	pthread_barrier_destroy(&start);
	CHECK(ok == 5);  /* slot 3 seats 5 */
	CHECK(full == RACERS - 5);
	CHECK(count(db, "SELECT booked FROM resv_slots WHERE id = 3") == 5);
	CHECK(count(db, "SELECT count(*) FROM resv_bookings WHERE slot_id = 3") == 5);
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

TEST(resv, two_tabs_of_one_resident_get_one_reservation)
{
	char err[MG_ERR_LEN];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	struct racer x[RACERS];
	pthread_t th[RACERS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, RACERS);
	static const long long slots[] = {1, 3, 7};
	for (int i = 0; i < RACERS; i++) {
		x[i] = (struct racer){.db = db, .slot = slots[i % 3], .start = &start};
		snprintf(x[i].ticket, sizeof x[i].ticket, "1000000001");
		pthread_create(&th[i], NULL, race, &x[i]);
	}
	int ok = 0, conflict = 0;
	for (int i = 0; i < RACERS; i++) {
		pthread_join(th[i], NULL);
		ok += x[i].rc == MG_OK;
		conflict += x[i].rc == MG_ERR_CONFLICT;
	}
	pthread_barrier_destroy(&start);
	CHECK(ok == 1);
	CHECK(conflict == RACERS - 1);
	CHECK(count(db, "SELECT count(*) FROM resv_bookings WHERE ticket = '1000000001'") == 1);
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

/* ---- Crash safety --------------------------------------------------------------------- */

#define CRASH_TICKETS 400
#define CRASH_KILL_AFTER 40

TEST(resv, killed_mid_booking_loses_no_confirmed_booking)
{
	char err[MG_ERR_LEN];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	REQUIRE(add_tickets(r, CRASH_TICKETS) == MG_OK);
	/* Seats for everyone: twenty slots of 20 for the next few days. */
	char csv[4096];
	size_t len = (size_t)snprintf(csv, sizeof csv, "venue,date,start,minutes,capacity,product\n");
	for (int d = 3; d < 8; d++)
		for (int h = 9; h < 13; h++)
			len += (size_t)snprintf(csv + len, sizeof csv - len,
						"chuo,today+%d,%d:00,60,20,covid\n", d, h);
	REQUIRE(import_text(r, RESV_IMPORT_SLOTS, csv) == MG_OK);
	resv_close(r);
	r = NULL;

	int fds[2];
	REQUIRE(pipe(fds) == 0);
	fflush(stdout);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		/* The child books and tells the parent each booking it has confirmed. */
		close(fds[0]);
		struct resv *c = NULL;
		if (resv_open(&c, db, err) != MG_OK)
			_exit(3);
		for (int i = 0; i < CRASH_TICKETS; i++) {
			char t[16], line[32];
			struct resv_booking b;
			snprintf(t, sizeof t, "40000%05d", i);
			struct resv_request q = slot_req(8 + i % 20);
			if (resv_staff_book(c, t, &q, &b, err) == MG_OK) {
				int n = snprintf(line, sizeof line, "%lld\n", b.id);
				if (write(fds[1], line, (size_t)n) != n)
					_exit(4);
			}
		}
		_exit(0);
	}
	close(fds[1]);
	FILE *in = fdopen(fds[0], "r");
	REQUIRE(in);
	long long confirmed[CRASH_TICKETS];
	int n = 0;
	char line[32];
	while (n < CRASH_TICKETS && fgets(line, sizeof line, in)) {
		confirmed[n++] = atoll(line);
		if (n == CRASH_KILL_AFTER)
			kill(pid, SIGKILL);
	}
	fclose(in);
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(n >= CRASH_KILL_AFTER);
	if (WIFSIGNALED(status))
		CHECK(WTERMSIG(status) == SIGKILL);

	/* Restart: every confirmed booking is there, and the seat counts add up. */
	REQUIRE(resv_open(&r, db, err) == MG_OK);
	for (int i = 0; i < n; i++) {
		struct resv_booking b;
		CHECK(resv_booking_by_id(r, confirmed[i], &b, err) == MG_OK);
		CHECK_STR(b.status, "booked");
	}
	CHECK(resv_check(r, err) == MG_OK);
	long long total = count(db, "SELECT count(*) FROM resv_bookings");
	CHECK(total >= n && total <= n + 1);  /* at most the one committed but not yet told */
	resv_close(r);
}

/* ---- The sample town --------------------------------------------------------------------- */

TEST(resv, sample_town_behaves_as_documented)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	struct resv *r = NULL;
	REQUIRE(resv_open(&r, new_db(), err) == MG_OK);
	REQUIRE(resv_seed_sample(r, "reservation/data", 0, err) == MG_OK);
	/* Seeding again leaves the town alone. */
	CHECK(resv_seed_sample(r, "reservation/data", 0, err) == MG_OK);
	json_t *slots = NULL;
	REQUIRE(resv_free_slots(r, "kita", NULL, NULL, &slots, err) == MG_OK);
	REQUIRE(json_array_size(slots) > 0);
	/* The first kita slot is tomorrow's single seat. */
	json_t *one = json_array_get(slots, 0);
	CHECK(json_integer_value(json_object_get(one, "free")) == 1);
	struct resv_request q = slot_req(json_integer_value(json_object_get(one, "id")));
	json_decref(slots);

	CHECK(resv_login(r, "1234567890", "1950-04-01", "demo", token, err) == MG_OK);
	CHECK(resv_book(r, token, &q, NULL, err) == MG_OK);
	CHECK(resv_staff_book(r, "5678901234", &q, NULL, err) == MG_ERR_FULL);
	CHECK(resv_staff_book(r, "3456789012", &q, NULL, err) == MG_ERR_CONFLICT);
	CHECK(contains(err, "next dose can be from"));
	CHECK(resv_staff_book(r, "4567890123", &q, NULL, err) == MG_ERR_CONFLICT);
	CHECK(contains(err, "same as the last"));
	CHECK(resv_staff_book(r, "2345678901", &q, NULL, err) == MG_ERR_FULL);  /* eligible, but full */
	resv_close(r);
}

/* Mangled files and inputs (a cheap fuzz under the sanitizers): each import
 * either succeeds or is refused as bad input, and the seats stay consistent. */
TEST(resv, mangled_imports_and_inputs_are_refused_or_harmless)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	struct resv *r = town(NULL);
	REQUIRE(r);
	static const char *const seeds[] = {
		"venue,date,start,minutes,capacity,product\nchuo,today+5,10:00,30,2,covid\n"
		"\"hospital\",\"2030/1/2\",9:30,15,4,covid\n",
		"ticket,birth_date,dose_date,dose_product\n1000000009,1950-01-01,today-1,covid\n",
		"code,name,address\nminami,\"南, \"\"新\"\" 会館\",\"1\n2\"\n",
	};
	static const enum resv_import_kind kinds[] = {RESV_IMPORT_SLOTS, RESV_IMPORT_TICKETS,
						      RESV_IMPORT_VENUES};
	unsigned seed = 12345;
	const char *path = tmp_path("mangled.csv");
	for (int round = 0; round < 300; round++) {
		int k = round % 3;
		char buf[512];
		size_t n = strlen(seeds[k]);
		memcpy(buf, seeds[k], n + 1);
		for (int m = 0; m < 1 + round % 4; m++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % n;
			static const char bytes[] = ",\"\n\r\xEF\xBB\xBF\x80\xE3-/+9 a\x01";
			buf[at] = bytes[(seed >> 20) % (sizeof bytes - 1)];
		}
		FILE *f = fopen(path, "wb");
		REQUIRE(f);
		fwrite(buf, 1, n, f);
		fclose(f);
		int rc = resv_import(r, kinds[k], path, NULL, NULL, NULL, err);
		CHECK(rc == MG_OK || rc == MG_ERR_INPUT || rc == MG_ERR_UTF8);
		/* The same bytes as log-in input. */
		buf[40] = '\0';
		rc = resv_login(r, buf, buf + 10, "fuzz", token, err);
		CHECK(rc == MG_ERR_INPUT || rc == MG_ERR_AUTH || rc == MG_ERR_RATE);
	}
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

/* The ids of a slot list, as "1,2,3". */
static const char *slot_ids(const json_t *list)
{
	static char out[256];
	size_t i, n = 0;
	json_t *s;
	out[0] = '\0';
	json_array_foreach(list, i, s)
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%lld", i ? "," : "",
				      (long long)json_integer_value(json_object_get(s, "id")));
	return out;
}

TEST(resv, a_resident_is_offered_only_the_slots_the_rules_allow)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	struct resv *r = town(NULL);
	REQUIRE(r);
	REQUIRE(import_text(r, RESV_IMPORT_PRODUCTS,
			    "code,name,min_interval_days,same_product,horizon_days,name_en\n"
			    "shingrix,シングリックス,60,yes,200,Shingrix (shingles)\n") == MG_OK);
	REQUIRE(import_text(r, RESV_IMPORT_VENUES, "code,name,address,name_en,address_en\n"
			    "hospital,町立病院,山手2-3,Town Hospital,2-3 Yamate\n") == MG_OK);
	json_t *list = NULL;
	/* No dose yet: every free slot inside its product's horizon. */
	REQUIRE(login(r, "1000000001", "1950-04-01", token) == MG_OK);
	REQUIRE(resv_slots_for(r, token, NULL, NULL, NULL, &list, NULL, err) == MG_OK);
	CHECK_STR(slot_ids(list), "1,2,3,6,7,5");
	json_decref(list);
	/* COVID 30 days ago (90 days apart): no COVID slot before day 60, shingles still. */
	json_t *rule = NULL;
	REQUIRE(login(r, "1000000003", "1955-07-07", token) == MG_OK);
	REQUIRE(resv_slots_for(r, token, NULL, NULL, NULL, &list, &rule, err) == MG_OK);
	CHECK_STR(slot_ids(list), "5");
	CHECK_STR(json_string_value(json_object_get(rule, "reason")), "interval");
	CHECK(json_integer_value(json_object_get(rule, "days")) == 90);
	json_decref(rule);
	json_decref(list);
	/* Shingrix 70 days ago (the same product next): only Shingrix, in English too. */
	REQUIRE(login(r, "1000000004", "1960-01-15", token) == MG_OK);
	REQUIRE(resv_slots_for(r, token, "hospital", NULL, NULL, &list, &rule, err) == MG_OK);
	CHECK_STR(slot_ids(list), "6,5");
	CHECK_STR(json_string_value(json_object_get(rule, "product")), "シングリックス");
	json_decref(rule);
	json_t *first = json_array_get(list, 0);
	CHECK_STR(json_string_value(json_object_get(first, "product_name")), "シングリックス");
	CHECK_STR(json_string_value(json_object_get(first, "product_name_en")), "Shingrix (shingles)");
	CHECK_STR(json_string_value(json_object_get(first, "venue_name_en")), "Town Hospital");
	/* Every slot offered can be booked, and the booking names its product and address. */
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s) {
		struct resv_booking b;
		struct resv_request q = slot_req(json_integer_value(json_object_get(s, "id")));
		CHECK(resv_book(r, token, &q, &b, err) == MG_OK);
		CHECK_STR(b.product_name_en, "Shingrix (shingles)");
		CHECK_STR(b.address, "山手2-3");
		CHECK_STR(b.address_en, "2-3 Yamate");
		CHECK(resv_cancel(r, token, NULL, NULL, err) == MG_OK);
	}
	json_decref(list);
	/* Without a session the public list is unfiltered. */
	REQUIRE(resv_free_slots(r, "hospital", NULL, NULL, &list, err) == MG_OK);
	CHECK_STR(slot_ids(list), "3,6,5");
	json_decref(list);
	CHECK(resv_slots_for(r, "nosuchtoken", NULL, NULL, NULL, &list, NULL, err) == MG_ERR_AUTH);
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

TEST(resv, residents_change_and_cancel_only_until_the_towns_deadline)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	/* The sample town's rule: until 23:59 two days before the vaccination day. */
	REQUIRE(resv_set_change_deadline_days(r, RESV_CHANGE_DEADLINE_DAYS, err) == MG_OK);
	CHECK(resv_change_deadline_days(r) == 2);
	REQUIRE(login(r, "1000000001", "1950-04-01", token) == MG_OK);
	struct resv_booking b;
	struct resv_request q = slot_req(1);  /* tomorrow */
	REQUIRE(resv_book(r, token, &q, &b, err) == MG_OK);
	q = slot_req(3);
	REFUSED(db, resv_change(r, token, &q, &b, err), MG_ERR_CONFLICT, "please call us");
	REFUSED(db, resv_cancel(r, token, NULL, &b, err), MG_ERR_CONFLICT, "closed on");
	json_t *why = resv_refusal_json(r);
	CHECK_STR(json_string_value(json_object_get(why, "reason")), "deadline");
	CHECK(json_integer_value(json_object_get(why, "days")) == 2);
	char yesterday[11];
	time_t y = local_at(-1, 12, 0);
	strftime(yesterday, sizeof yesterday, "%Y-%m-%d", localtime(&y));
	CHECK_STR(json_string_value(json_object_get(why, "date")), yesterday);
	json_decref(why);
	/* The call centre still can, on the phone. */
	CHECK(resv_staff_cancel(r, "1000000001", NULL, &b, err) == MG_OK);
	/* Two days ahead is still inside: the resident changes and cancels it. */
	q = slot_req(7);
	REQUIRE(resv_book(r, token, &q, &b, err) == MG_OK);
	CHECK(resv_cancel(r, token, NULL, &b, err) == MG_OK);
	/* A town with a one-day deadline lets tomorrow's slot go until tonight. */
	REQUIRE(resv_set_change_deadline_days(r, 1, err) == MG_OK);
	q = slot_req(1);
	REQUIRE(resv_book(r, token, &q, &b, err) == MG_OK);
	CHECK(resv_cancel(r, token, NULL, &b, err) == MG_OK);
	CHECK(resv_set_change_deadline_days(r, RESV_MAX_CHANGE_DEADLINE_DAYS + 1, err) == MG_ERR_INPUT);
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}

TEST(resv, a_booking_says_until_when_the_resident_may_change_it)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1], two_days_on[11];
	struct resv *r = town(NULL);
	REQUIRE(r);
	REQUIRE(resv_set_change_deadline_days(r, RESV_CHANGE_DEADLINE_DAYS, err) == MG_OK);
	REQUIRE(login(r, "1000000001", "1950-04-01", token) == MG_OK);
	struct resv_booking b;
	struct resv_request q = slot_req(7);  /* in two days: the deadline is today */
	REQUIRE(resv_book(r, token, &q, &b, err) == MG_OK);
	time_t today = local_at(0, 12, 0), later = local_at(2, 12, 0);
	strftime(two_days_on, sizeof two_days_on, "%Y-%m-%d", localtime(&later));
	char expected[11];
	strftime(expected, sizeof expected, "%Y-%m-%d", localtime(&today));
	CHECK_STR(b.date, two_days_on);
	CHECK_STR(b.change_until, expected);
	json_t *j = resv_booking_json(&b);
	CHECK_STR(json_string_value(json_object_get(j, "change_until")), expected);
	json_decref(j);
	resv_close(r);
}

TEST(resv, residents_book_until_an_hour_before_the_slot_and_the_call_centre_after)
{
	char err[MG_ERR_LEN], token[RESV_TOKEN_LEN + 1];
	const char *db;
	struct resv *r = town(&db);
	REQUIRE(r);
	/* Tomorrow 09:05: slot 1 (10:00) closed to residents at 09:00, slot 2 (10:30) at 09:30. */
	resv_set_now(r, local_at(1, 9, 5));
	REQUIRE(login(r, "1000000001", "1950-04-01", token) == MG_OK);
	json_t *list = NULL, *rule = NULL;
	REQUIRE(resv_slots_for(r, token, "chuo", NULL, NULL, &list, &rule, err) == MG_OK);
	size_t i;
	json_t *s;
	int listed_1 = 0, listed_2 = 0;
	json_array_foreach(list, i, s) {
		listed_1 |= json_integer_value(json_object_get(s, "id")) == 1;
		listed_2 |= json_integer_value(json_object_get(s, "id")) == 2;
	}
	CHECK(!listed_1 && listed_2);
	json_decref(list);
	json_decref(rule);
	/* The call centre's list still has slot 1 until 10:00. */
	REQUIRE(resv_free_slots(r, "chuo", NULL, NULL, &list, err) == MG_OK);
	listed_1 = 0;
	json_array_foreach(list, i, s)
		listed_1 |= json_integer_value(json_object_get(s, "id")) == 1;
	CHECK(listed_1);
	json_decref(list);
	struct resv_booking b;
	struct resv_request q = slot_req(1);
	REFUSED(db, resv_book(r, token, &q, &b, err), MG_ERR_CONFLICT, "please call us");
	json_t *why = resv_refusal_json(r);
	char tomorrow[11];
	time_t t = local_at(1, 12, 0);
	strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", localtime(&t));
	CHECK_STR(json_string_value(json_object_get(why, "reason")), "cutoff");
	CHECK_STR(json_string_value(json_object_get(why, "date")), tomorrow);
	CHECK_STR(json_string_value(json_object_get(why, "time")), "09:00");
	json_decref(why);
	/* One minute before its cut-off, slot 2 is still the resident's to book. */
	resv_set_now(r, local_at(1, 9, 29));
	q = slot_req(2);
	CHECK(resv_book(r, token, &q, &b, err) == MG_OK);
	/* The call centre books slot 1 on the phone. */
	q = slot_req(1);
	CHECK(resv_staff_book(r, "1000000005", &q, &b, err) == MG_OK);
	CHECK(resv_check(r, err) == MG_OK);
	resv_close(r);
}
