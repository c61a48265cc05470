/* The call centre's forecast: Erlang C against published worked examples,
 * and the calls and operators a planned mailing brings. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"
#include "chatbot/events.h"
#include "chatbot/forecast.h"
#include "chatbot/ops_policy.h"

#include <math.h>

static int near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

TEST(forecast, erlang_c_matches_the_worked_examples)
{
	/* Call Centre Helper, "Erlang C Formula – Made Simple With an Easy
	 * Worked Example": 100 calls per half hour (200/h), AHT 180 s, i.e.
	 * 10 erlangs; with 11 agents a call waits with probability 0.6821 and
	 * 39% are answered within 20 s; 80/20 needs 14 agents (13 reach 79.6%). */
	CHECK(near(forecast_erlang_c(10, 11), 0.6821, 0.0001));
	CHECK(near(forecast_service_level(10, 11, 180, 20), 0.3896, 0.0001));
	CHECK(near(forecast_service_level(10, 13, 180, 20), 0.7956, 0.0001));
	double sl = 0;
	CHECK(forecast_agents(200, 180, 20, 0.80, &sl) == 14);
	CHECK(near(sl, 0.8884, 0.0001));
	/* The brief's case: 100 calls an hour, AHT 180 s (5 erlangs), 80/20:
	 * 7 agents answer 74.0% in time, 8 agents 88.0%: 8 are needed. */
	CHECK(near(forecast_service_level(5, 7, 180, 20), 0.7404, 0.0001));
	CHECK(forecast_agents(100, 180, 20, 0.80, &sl) == 8);
	CHECK(near(sl, 0.8801, 0.0001));
	/* The Erlang-C page's example: 360 calls per half hour of 4 minutes
	 * (48 erlangs) on 55 agents: P(wait) 0.2387, 84.6% within 15 s. */
	CHECK(near(forecast_erlang_c(48, 55), 0.2387, 0.0001));
	CHECK(near(forecast_service_level(48, 55, 240, 15), 0.8459, 0.0001));
	/* No calls need nobody; as many agents as erlangs never catch up. */
	CHECK(forecast_agents(0, 180, 20, 0.8, NULL) == 0);
	CHECK(forecast_erlang_c(5, 5) == 1);
}

TEST(forecast, a_mailing_brings_calls_and_needs_operators)
{
	struct chatbot *bot = fixture_bot("fc.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	struct forecast_opts o;
	forecast_defaults(&o, fixture_town(), 0);
	o.from = "2026-11-02";
	o.days = 5;
	o.event_day = "2026-11-03";
	o.event_residents = 20000;
	o.deflection = 0.5;
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	REQUIRE(forecast_run(db, &o, &r, err) == MG_OK);
	json_t *days = json_object_get(r, "days");
	REQUIRE(json_array_size(days) == 5);
	/* no history: nothing before the tickets arrive */
	json_t *d0 = json_array_get(days, 0), *d1 = json_array_get(days, 1);
	CHECK(json_real_value(json_object_get(d0, "calls")) == 0);
	CHECK(json_integer_value(json_object_get(d0, "agents")) == 0);
	/* arrival day: 20,000 × 10% × 20% = 400 contacts, half settled in the chat */
	CHECK_STR(json_string_value(json_object_get(d1, "day")), "2026-11-03");
	CHECK(near(json_real_value(json_object_get(d1, "contacts")), 400, 0.01));
	CHECK(near(json_real_value(json_object_get(d1, "calls")), 200, 0.01));
	/* 200 calls over 8.75 h at 180 s: 1.14 erlangs; 80/20 needs 3 */
	CHECK(json_integer_value(json_object_get(d1, "agents")) == forecast_agents(200 / 8.75, 180, 20, 0.8, NULL));
	CHECK(json_integer_value(json_object_get(d1, "agents")) == 3);
	CHECK(json_real_value(json_object_get(d1, "service_level")) >= 0.8);
	/* the wave ebbs */
	CHECK(json_real_value(json_object_get(json_array_get(days, 4), "calls")) <
	      json_real_value(json_object_get(d1, "calls")));
	json_decref(r);
	o.level = 1.5;
	CHECK(forecast_run(db, &o, &r, err) == MG_ERR_INPUT);
	fixture_bot_close(bot);
}

TEST(forecast, the_baseline_and_deflection_come_from_the_log)
{
	struct chatbot *bot = fixture_bot("fc_log.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN];
	/* four weeks of Mondays with 4 conversations each, 3 of them deflected */
	for (int w = 0; w < 4; w++) {
		time_t t = fixture_local(2026, 10, 5 + 7 * w, 10, 0);
		for (int c = 0; c < 4; c++) {
			char conv[32];
			snprintf(conv, sizeof conv, "w%dc%d", w, c);
			json_t *res = json_pack("{s:s, s:s, s:s, s:f, s:n, s:n, s:[]}", "question", "接種券", "lang", "ja",
						"decision", c < 3 ? "clarify" : "handoff", "confidence", 0.3, "answer",
						"handoff", "candidates");
			if (c == 3)
				json_object_set_new(res, "handoff", json_pack("{s:s}", "route", "call_center"));
			struct ask_opts ao = {.conversation = conv, .now = t};
			CHECK(events_log_ask(db, NULL, town_zone(fixture_town()), &ao, res, err) == MG_OK);
			json_decref(res);
			if (c < 3) {
				struct events_event ev = {EVENTS_CLARIFY_CHOSEN, conv, "1", NULL, NULL, 0, t, 0,
							  "ticket-lost", "ticket"};
				CHECK(events_log(db, NULL, town_zone(fixture_town()), &ev, err) == MG_OK);
			}
		}
	}
	struct forecast_opts o;
	forecast_defaults(&o, fixture_town(), 0);
	o.from = "2026-11-02";  /* a Monday, the day after the four weeks */
	o.days = 2;
	json_t *r = NULL;
	REQUIRE(forecast_run(db, &o, &r, err) == MG_OK);
	CHECK(near(json_real_value(json_object_get(json_object_get(r, "history"), "deflection_rate")), 0.75, 1e-9));
	json_t *mon = json_array_get(json_object_get(r, "days"), 0), *tue = json_array_get(json_object_get(r, "days"), 1);
	CHECK(near(json_real_value(json_object_get(mon, "baseline")), 4, 0.01));
	CHECK(near(json_real_value(json_object_get(mon, "calls")), 1, 0.01));
	CHECK(json_real_value(json_object_get(tue, "baseline")) == 0);
	json_decref(r);
	fixture_bot_close(bot);
}

/* ---- the call centre's own days: tests/unit/data/town.json -----------------------
 * Its phone: Monday to Friday 8:30-17:15, Saturday 9:00-12:00, closed on
 * Sundays and on the holiday 2026-11-23 (a Monday). */

static time_t local(int mon, int mday, int hour)
{
	return fixture_local(2026, mon, mday, hour, 0);
}

/* n conversations on the local day of t, each a question handed off to the
 * call centre: nothing deflected, so calls are the contacts. */
static void log_day(sqlite3 *db, time_t t, int n)
{
	char err[MG_ERR_LEN];
	for (int c = 0; c < n; c++) {
		char conv[32];
		snprintf(conv, sizeof conv, "d%lldc%d", (long long)t, c);
		json_t *res = json_pack("{s:s, s:s, s:s, s:f, s:n, s:{s:s}, s:[]}", "question", "接種券",
					"lang", "ja", "decision", "handoff", "confidence", 0.2, "answer",
					"handoff", "route", "call_center", "candidates");
		struct ask_opts ao = {.conversation = conv, .now = t};
		if (events_log_ask(db, NULL, town_zone(fixture_town()), &ao, res, err) != MG_OK)
			test_fail(__FILE__, __LINE__, err);
		json_decref(res);
	}
}

static json_t *day_of(json_t *r, size_t k)
{
	return json_array_get(json_object_get(r, "days"), k);
}

static double real(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

TEST(forecast, operators_work_the_call_centres_hours_of_each_day)
{
	struct chatbot *bot = fixture_bot("fc_days.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	/* Four weeks of 2 conversations a day before Friday 2026-11-20. */
	for (int k = 1; k <= 28; k++)
		log_day(db, local(11, 20, 10) - (time_t)k * 86400, 2);
	struct forecast_opts o;
	/* The clock: Friday 2026-11-20, 9:00 in the town. */
	forecast_defaults(&o, fixture_town(), local(11, 20, 9));
	CHECK_STR(o.from, "2026-11-20");
	o.days = 5;
	o.event_day = "2026-11-20";
	o.event_residents = 20000;
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	REQUIRE(forecast_run(db, &o, &r, err) == MG_OK);
	REQUIRE(json_array_size(json_object_get(r, "days")) == 5);
	CHECK(json_array_size(json_object_get(r, "warnings")) == 0);
	CHECK(json_integer_value(json_object_get(json_object_get(r, "history"), "days")) == 28);
	json_t *fri = day_of(r, 0), *sat = day_of(r, 1), *sun = day_of(r, 2), *mon = day_of(r, 3),
	       *tue = day_of(r, 4);
	static const char *const WEEK[] = {"fri", "sat", "sun", "mon", "tue"};
	for (size_t k = 0; k < 5; k++)
		CHECK_STR(json_string_value(json_object_get(day_of(r, k), "weekday")), WEEK[k]);

	/* Friday: a full day. 2 a day + 20,000 × 10% × 20% on the day tickets land. */
	CHECK_STR(json_string_value(json_object_get(fri, "open")), "8:30-17:15");
	CHECK(near(real(fri, "open_hours"), 8.75, 1e-9));
	CHECK(near(real(fri, "calls"), 402, 0.01));
	CHECK(json_integer_value(json_object_get(fri, "agents")) == forecast_agents(402 / 8.75, 180, 20, 0.8, NULL));

	/* Saturday: three hours take the day's calls, not eight and three quarters. */
	CHECK_STR(json_string_value(json_object_get(sat, "open")), "9:00-12:00");
	CHECK(near(real(sat, "open_hours"), 3, 1e-9));
	CHECK(near(real(sat, "calls"), 2 + 340, 0.01));
	int sat_agents = (int)json_integer_value(json_object_get(sat, "agents"));
	CHECK(sat_agents == forecast_agents(342 / 3.0, 180, 20, 0.8, NULL));
	CHECK(sat_agents > forecast_agents(342 / 8.75, 180, 20, 0.8, NULL));
	CHECK(real(sat, "service_level") >= 0.8);

	/* Sunday and the holiday: closed, nobody on the phones. Residents still
	 * write to the chat (contacts), and those who would call, call Tuesday. */
	CHECK(json_is_true(json_object_get(sun, "closed")) && !json_is_true(json_object_get(sun, "holiday")));
	CHECK(json_is_true(json_object_get(mon, "closed")) && json_is_true(json_object_get(mon, "holiday")));
	CHECK_STR(json_string_value(json_object_get(mon, "day")), "2026-11-23");
	for (json_t *d = sun; d; d = d == sun ? mon : NULL) {
		CHECK_STR(json_string_value(json_object_get(d, "open")), "");
		CHECK(json_integer_value(json_object_get(d, "agents")) == 0);
		CHECK(real(d, "calls") == 0);
		CHECK(json_is_null(json_object_get(d, "service_level")));
	}
	CHECK(near(real(sun, "contacts"), 2 + 260, 0.01));
	CHECK(near(real(mon, "contacts"), 2 + 200, 0.01));
	CHECK(near(real(tue, "carried_in"), 262 + 202, 0.01));
	CHECK(near(real(tue, "calls"), 2 + 160 + 464, 0.01));
	CHECK(json_integer_value(json_object_get(tue, "agents")) == forecast_agents(626 / 8.75, 180, 20, 0.8, NULL));
	CHECK(real(r, "carried_after") == 0);
	json_decref(r);

	/* Ending on the closed days: their calls are due after the last day. */
	o.days = 4;
	REQUIRE(forecast_run(db, &o, &r, err) == MG_OK);
	CHECK(near(real(r, "carried_after"), 464, 0.01));
	json_decref(r);
	fixture_bot_close(bot);
}

TEST(forecast, too_little_history_is_said_and_not_read_as_quiet_days)
{
	struct chatbot *bot = fixture_bot("fc_short.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	struct forecast_opts o;
	forecast_defaults(&o, fixture_town(), local(11, 20, 9));
	o.days = 1;
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	/* No log at all. */
	REQUIRE(forecast_run(db, &o, &r, err) == MG_OK);
	json_t *w = json_array_get(json_object_get(r, "warnings"), 0);
	REQUIRE(w);
	CHECK_STR(json_string_value(json_object_get(w, "code")), "short_history");
	CHECK(json_integer_value(json_object_get(w, "days")) == 0);
	CHECK(json_integer_value(json_object_get(w, "needed")) == OPS_FORECAST_MIN_HISTORY_DAYS);
	json_decref(r);
	/* The log began five days ago with 3 conversations a day: the baseline is
	 * 3, not 3 × 5 / 28 as if the weeks before had been silent. */
	for (int k = 1; k <= 5; k++)
		log_day(db, local(11, 20, 10) - (time_t)k * 86400, 3);
	REQUIRE(forecast_run(db, &o, &r, err) == MG_OK);
	json_t *h = json_object_get(r, "history");
	CHECK_STR(json_string_value(json_object_get(h, "from")), "2026-11-15");
	CHECK(json_integer_value(json_object_get(h, "days")) == 5);
	CHECK(near(real(h, "conversations_per_day"), 3, 1e-9));
	CHECK(near(real(day_of(r, 0), "baseline"), 3, 0.01));
	w = json_array_get(json_object_get(r, "warnings"), 0);
	REQUIRE(w);
	CHECK(json_integer_value(json_object_get(w, "days")) == 5);
	CHECK(strstr(json_string_value(json_object_get(w, "message")), "5 days") != NULL);
	json_decref(r);
	fixture_bot_close(bot);
}
