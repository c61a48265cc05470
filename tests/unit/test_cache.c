/* The decision cache as residents and staff meet it: a question asked again
 * is answered from its kept ranking, yet a staff edit or an import changes
 * the answer at the very next ask, whether a line is open is the time's of
 * each ask, and every ask is still one event in the log. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"
#include "chatbot/chatbot_int.h"
#include "chatbot/events.h"

#include <pthread.h>
#include <stdlib.h>

static json_t *ask_at(struct chatbot *bot, const char *q, time_t now, int log)
{
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	struct ask_opts o = {.no_log = !log, .now = now, .conversation = "cache-test"};
	if (chatbot_ask(bot, q, strlen(q), &o, &r, err) != MG_OK)
		return NULL;
	return r;
}

static const char *s(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static uint64_t hits(struct chatbot_cache *c)
{
	struct chatbot_cache_stats st;
	chatbot_cache_stats(c, &st);
	return st.hits;
}

/* A residents' chatbot on a new copy of the test knowledge base, asking
 * through a decision cache of max_bytes (0: the policy's) of its own. */
static struct chatbot *cached_bot(const char *name, size_t max_bytes, struct chatbot_cache **cache)
{
	char err[MG_ERR_LEN];
	struct chatbot *bot = fixture_bot(name);
	if (chatbot_cache_new(max_bytes, cache, err) != MG_OK) {
		fixture_bot_close(bot);
		return NULL;
	}
	chatbot_set_cache(bot, *cache);
	return bot;
}

static void cached_bot_close(struct chatbot *bot, struct chatbot_cache *cache)
{
	fixture_bot_close(bot);
	chatbot_cache_free(cache);
}

/* Staff's own connection to the same file. */
static struct chatbot *staff_bot(const char *name)
{
	char err[MG_ERR_LEN];
	struct chatbot *staff = NULL;
	return chatbot_open(&staff, fixture_path(name), fixture_model(), fixture_town(), err) == MG_OK ? staff : NULL;
}

/* Staff add the town office's entry for 住民票, a question the vaccine
 * FAQ hands on elsewhere: 住民票の写しを取りたい now points there. */
static int add_office_entry(struct chatbot *staff, char id[KB_ID_LEN], char *err)
{
	struct kb_entry office = {
		.slug = "other-resident-record", .category = "other", .route = KB_ROUTE_ELSEWHERE,
		.question = "住民票の写しがほしい",
		.answer = "住民票の写しは役場の住民課（000-0000-1111）で発行しています。",
		.alt_questions = "住民票を取りたい|住民票の写しを取りたい",
	};
	return kb_entry_put(chatbot_kb(staff), &office, NULL, id, err);
}

/* The server's shape: the residents' worker asks through the cache, staff
 * edit on a connection of their own. */
TEST(cache, a_staff_edit_or_import_changes_the_answer_at_the_next_ask)
{
	char err[MG_ERR_LEN];
	struct chatbot_cache *cache = NULL;
	struct chatbot *bot = cached_bot("cache-edit.db", 0, &cache);
	struct chatbot *staff = staff_bot("cache-edit.db");
	REQUIRE(bot && staff);

	const char *q = "住民票の写しを取りたいのですが";
	json_t *before = ask_at(bot, q, 0, 0);
	json_t *again = ask_at(bot, q, 0, 0);
	REQUIRE(before && again);
	CHECK(hits(cache) == 1);  /* the second ask did not search */
	char *b = json_dumps(before, JSON_SORT_KEYS), *a = json_dumps(again, JSON_SORT_KEYS);
	CHECK(b && a && !strcmp(a, b));  /* and the resident cannot tell */
	free(a);
	free(b);
	json_t *h = json_object_get(before, "handoff");
	CHECK(!json_is_object(h) || strcmp(s(h, "route"), "elsewhere") != 0);
	json_decref(before);
	json_decref(again);

	/* Staff add the office's entry: the same question now points there. */
	char id[KB_ID_LEN];
	REQUIRE(add_office_entry(staff, id, err) == MG_OK);
	json_t *r = ask_at(bot, q, 0, 0);
	REQUIRE(r);
	CHECK_STR(s(r, "decision"), "handoff");
	CHECK_STR(s(json_object_get(r, "handoff"), "route"), "elsewhere");
	CHECK(strstr(s(json_object_get(r, "handoff"), "answer"), "住民課") != NULL);
	json_decref(r);
	struct chatbot_cache_stats st;
	chatbot_cache_stats(cache, &st);
	CHECK(st.forgotten == 1);

	/* The entries shown are kept per thread too (chatbot/shown.c): staff
	 * who correct an answer see residents get the corrected text at the
	 * next ask, though the entry was shown before. */
	const char *lost = "接種券をなくしてしまいました";
	for (int i = 0; i < 2; i++) {
		json_t *shown = ask_at(bot, lost, 0, 0);
		REQUIRE(shown);
		CHECK_STR(s(json_object_get(shown, "answer"), "id"), "1");
		CHECK(strstr(s(json_object_get(shown, "answer"), "answer"), "再発行") != NULL);
		json_decref(shown);
	}
	struct kb_entry e;
	REQUIRE(kb_entry_get(chatbot_kb(staff), 0, "1", &e, err) == MG_OK);
	free(e.answer);
	e.answer = strdup("接種券は役場の窓口で新しくお渡しします。");
	REQUIRE(kb_entry_put(chatbot_kb(staff), &e, NULL, id, err) == MG_OK);
	kb_entry_clear(&e);
	r = ask_at(bot, lost, 0, 0);
	REQUIRE(r);
	CHECK_STR(s(json_object_get(r, "answer"), "id"), "1");
	CHECK_STR(s(json_object_get(r, "answer"), "answer"), "接種券は役場の窓口で新しくお渡しします。");
	json_decref(r);

	/* An import that replaces the knowledge base without that entry takes
	 * it away again at once. */
	r = ask_at(bot, q, 0, 0);  /* kept for this generation */
	json_decref(r);
	size_t len;
	int n;
	char *csv = fixture_read("tests/unit/data/mini.csv", &len);
	struct kb_import_opts opts = {0};
	REQUIRE(kb_import(chatbot_kb(staff), csv, len, "mini.csv", &opts, &n, err) == MG_OK);
	free(csv);
	r = ask_at(bot, q, 0, 0);
	REQUIRE(r);
	h = json_object_get(r, "handoff");
	CHECK(!json_is_object(h) || strcmp(s(h, "route"), "elsewhere") != 0);
	json_decref(r);

	chatbot_close(staff);
	cached_bot_close(bot, cache);
}

static void no_load(void *ctx)
{
	(void)ctx;
}

/* The server's workers hand a new generation's model to the staff-work
 * pool and go on ranking with the model they have (kb_set_loader): in that
 * window nothing kept may be served. Here the load never comes: an import
 * by another process deletes the office's entry and changes a kept entry's
 * text, and the very next asks show neither. */
TEST(cache, nothing_kept_is_served_while_the_model_is_older_than_the_entries)
{
	char err[MG_ERR_LEN];
	const char *bin = getenv("MADOGUCHI");
	REQUIRE(bin);
	struct chatbot_cache *cache = NULL;
	struct chatbot *bot = cached_bot("cache-stale.db", 0, &cache);
	struct chatbot *staff = staff_bot("cache-stale.db");
	REQUIRE(bot && staff);
	char id[KB_ID_LEN];
	REQUIRE(add_office_entry(staff, id, err) == MG_OK);
	chatbot_close(staff);
	const char *q = "住民票の写しを取りたいのですが", *lost = "接種券をなくしてしまいました";
	for (int i = 0; i < 2; i++) {
		json_t *r = ask_at(bot, q, 0, 0), *l = ask_at(bot, lost, 0, 0);
		REQUIRE(r && l);
		CHECK_STR(s(json_object_get(r, "handoff"), "route"), "elsewhere");
		CHECK(strstr(s(json_object_get(l, "answer"), "answer"), "再発行") != NULL);
		json_decref(r);
		json_decref(l);
	}
	CHECK(hits(cache) == 2);
	kb_set_loader(chatbot_kb(bot), no_load, NULL);

	/* The test's own knowledge base with entry 1's answer rewritten and
	 * without the office's entry, imported by the command line. */
	size_t len;
	char *csv = fixture_read("tests/unit/data/mini.csv", &len);
	REQUIRE(csv);
	char *at = strstr(csv, "\"接種券は再");
	REQUIRE(at);
	char file[600], cmd[2048];
	snprintf(file, sizeof file, "%s.csv", fixture_path("cache-stale"));
	FILE *f = fopen(file, "w");
	REQUIRE(f);
	fwrite(csv, 1, (size_t)(at - csv), f);
	fputs("\"接種券は役場の窓口で新しくお渡しします。\"", f);
	fputs(strchr(at + 1, '"') + 1, f);
	fclose(f);
	free(csv);
	snprintf(cmd, sizeof cmd, "'%s' --db '%s' import '%s' > /dev/null 2>&1", bin,
		 fixture_path("cache-stale.db"), file);
	REQUIRE(system(cmd) == 0);

	json_t *r = ask_at(bot, q, 0, 0), *l = ask_at(bot, lost, 0, 0);
	REQUIRE(r && l);
	CHECK(!kb_fresh(chatbot_kb(bot)));  /* still ranking with the old model */
	json_t *h = json_object_get(r, "handoff");
	CHECK(!json_is_object(h) || strcmp(s(h, "route"), "elsewhere") != 0);
	char *all = json_dumps(r, 0);
	CHECK(all && !strstr(all, "住民課"));
	free(all);
	CHECK_STR(s(json_object_get(l, "answer"), "answer"), "接種券は役場の窓口で新しくお渡しします。");
	json_decref(r);
	json_decref(l);
	cached_bot_close(bot, cache);
}

/* The ranking is kept, not the reply: at night the kept answer says the
 * phone is closed and when it opens, in the morning that it is open; each
 * ask is one event in the log. */
TEST(cache, what_depends_on_the_time_and_the_log_stay_live)
{
	struct chatbot_cache *cache = NULL;
	struct chatbot *bot = cached_bot("cache-time.db", 0, &cache);
	REQUIRE(bot);
	const char *q = "予約をキャンセルしたい";
	sqlite3 *db = kb_db(chatbot_kb(bot));
	int logged = fixture_count(db, "SELECT count(*) FROM ev_events WHERE type='ask'");

	json_t *night = ask_at(bot, q, fixture_local(2026, 12, 1, 0, 30), 1);
	json_t *day = ask_at(bot, q, fixture_local(2026, 12, 1, 10, 0), 1);
	REQUIRE(night && day);
	CHECK(hits(cache) == 1);
	json_t *fn = json_object_get(night, "followup"), *fd = json_object_get(day, "followup");
	if (!json_is_object(fn))
		fn = json_object_get(night, "handoff");
	if (!json_is_object(fd))
		fd = json_object_get(day, "handoff");
	CHECK_STR(s(fn, "route"), "booking");
	CHECK(json_is_false(json_object_get(fn, "phone_open_now")));
	CHECK(s(fn, "phone_opens_at") && strstr(s(fn, "phone_opens_at"), "12月1日") != NULL);
	CHECK(json_is_true(json_object_get(fd, "phone_open_now")));
	CHECK(json_object_get(fd, "phone_opens_at") == NULL);
	CHECK(fixture_count(db, "SELECT count(*) FROM ev_events WHERE type='ask'") == logged + 2);
	json_decref(night);
	json_decref(day);

	/* A question on a day an entry is not valid yet is another key: the
	 * day is part of what the ranking depends on. */
	struct chatbot_cache_stats st;
	chatbot_cache_stats(cache, &st);
	json_t *later = ask_at(bot, q, fixture_local(2026, 12, 2, 10, 0), 0);
	json_decref(later);
	CHECK(hits(cache) == st.hits);
	cached_bot_close(bot, cache);
}

/* Bounded: a budget that holds a few rankings lets the oldest go, never
 * grows past it, and still answers every question. */
TEST(cache, a_full_cache_lets_the_least_recently_used_go)
{
	struct chatbot_cache *cache = NULL;
	struct chatbot *bot = cached_bot("cache-full.db", 2048, &cache);
	REQUIRE(bot);
	const char *qs[] = {"接種券をなくしました", "副反応が心配です", "予約をキャンセルしたい",
			    "接種券が届きません", "I lost my vaccination ticket"};
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
			json_t *r = ask_at(bot, qs[i], 0, 0);
			CHECK(r != NULL);
			json_decref(r);
		}
	struct chatbot_cache_stats st;
	chatbot_cache_stats(cache, &st);
	CHECK(st.bytes <= 2048);
	CHECK(st.evicted > 0);
	CHECK(st.entries > 0 && st.entries < 5);
	cached_bot_close(bot, cache);
}

/* A town whose nurse line answers the phone 9:00-21:00 only, for the
 * printed replies' test: the sample knowledge base in it (a new database
 * starts with it). */
static struct town *nurse_by_day_town(void)
{
	char err[MG_ERR_LEN];
	const char *path = fixture_path("cache-nurse-by-day.json");
	FILE *f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs("{\"town\": {\"name\": \"テスト町\", \"name_en\": \"Test Town\"}, \"timezone\": \"Asia/Tokyo\","
	      " \"holidays\": [\"2026-11-23\"], \"lines\": {"
	      "\"call_center\": {\"label\": \"コールセンター\", \"phone\": \"0120-111-111\","
	      " \"hours\": {\"mon-fri\": \"08:30-17:15\", \"sat\": \"09:00-12:00\"}, \"closed_on_holidays\": true},"
	      "\"nurse\": {\"label\": \"看護師ダイヤル\", \"phone\": \"0120-222-222\","
	      " \"hours\": {\"mon-sun\": \"09:00-21:00\"}},"
	      "\"booking\": {\"label\": \"予約\", \"url\": \"https://example.org/book\","
	      " \"hours\": {\"mon-sun\": \"00:00-24:00\"}, \"phone\": \"0120-111-111\","
	      " \"phone_hours\": {\"mon-fri\": \"08:30-17:15\"}, \"phone_closed_on_holidays\": true}}}",
	      f);
	fclose(f);
	struct town *t = NULL;
	if (town_load(path, &t, err) != MG_OK)
		fprintf(stderr, "town: %s\n", err);
	return t;
}

/* Staff's edit of entry id through their own connection: its question
 * (NULL: as it is) and its answer. */
static int staff_edit(struct chatbot *staff, const char *id, const char *question, const char *answer)
{
	char err[MG_ERR_LEN], new_id[KB_ID_LEN];
	struct kb_entry e;
	int rc = kb_entry_get(chatbot_kb(staff), 0, id, &e, err);
	if (rc != MG_OK)
		return rc;
	free(e.answer);
	e.answer = strdup(answer);
	if (question) {
		free(e.question);
		e.question = strdup(question);
	}
	rc = kb_entry_put(chatbot_kb(staff), &e, NULL, new_id, err);
	kb_entry_clear(&e);
	return rc;
}

/* The reply as the server prints it (chatbot_ask_printed), parsed; the
 * text itself into *text when text is not NULL (the caller frees it). */
static json_t *printed_at(struct chatbot *bot, const char *q, time_t now, char **text)
{
	char err[MG_ERR_LEN], *t = NULL;
	size_t len = 0;
	struct ask_opts o = {.now = now, .conversation = "cache-test"};
	if (chatbot_ask_printed(bot, q, strlen(q), &o, &t, &len, err) != MG_OK)
		return NULL;
	json_t *r = strlen(t) == len ? json_loads(t, 0, NULL) : NULL;
	if (text)
		*text = t;
	else
		free(t);
	return r;
}

/* The same ask searched and built anew (no cache, nothing logged), printed
 * as the server printed chatbot_ask's object before replies were kept. */
static char *searched_at(struct chatbot *bot, struct chatbot_cache *cache, const char *q, time_t now)
{
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	struct ask_opts o = {.now = now, .conversation = "cache-test", .no_log = 1};
	chatbot_set_cache(bot, NULL);
	int rc = chatbot_ask(bot, q, strlen(q), &o, &r, err);
	chatbot_set_cache(bot, cache);
	if (rc != MG_OK)
		return NULL;
	json_object_set_new(r, "conversation", json_string("cache-test"));
	char *text = json_dumps(r, CHATBOT_JSON_FLAGS);
	json_decref(r);
	return text;
}

/* The server keeps a question's printed reply with its ranking and prints
 * again only what is each ask's own. What a resident reads must still be
 * the time's: at 17:14 the booking line's phone is open, a minute later it
 * is closed after its hours and opens the next morning; after a worry at
 * noon 「どれでもない」 is the nurse line, at night (its phone closed) the
 * call centre; a question typed in half-width kana is shown as typed; staff's
 * edit is in the next reply. Every reply is byte for byte the one searched
 * and built anew at the same time, and every ask is one event in the log. */
TEST(cache, a_kept_reply_still_tells_the_time_of_each_ask)
{
	char err[MG_ERR_LEN];
	struct town *town = nurse_by_day_town();
	REQUIRE(town);
	struct chatbot *bot = NULL, *staff = NULL;
	struct chatbot_cache *cache = NULL;
	REQUIRE(chatbot_open(&bot, fixture_path("cache-printed.db"), fixture_model(), town, err) == MG_OK);
	REQUIRE(chatbot_open(&staff, fixture_path("cache-printed.db"), fixture_model(), town, err) == MG_OK);
	REQUIRE(chatbot_cache_new(0, &cache, err) == MG_OK);
	chatbot_set_cache(bot, cache);
	sqlite3 *db = kb_db(chatbot_kb(bot));
	int logged = fixture_count(db, "SELECT count(*) FROM ev_events WHERE type='ask'");
	const struct nlp_zone *zone = town_zone(town);
#define AT(d, h, mi) nlp_zone_mktime(zone, &(struct tm){.tm_year = 126, .tm_mon = 11, .tm_mday = (d), \
							 .tm_hour = (h), .tm_min = (mi), .tm_isdst = -1})
	static const struct {
		const char *q;
		int day, hour, min;
	} asks[] = {
		{"予約をキャンセルしたい", 1, 17, 14},  /* Tuesday: the booking phone open */
		{"予約をキャンセルしたい", 1, 17, 15},  /* closed after its hours */
		{"予約をキャンセルしたい", 1, 17, 14},  /* a later ask of an earlier time */
		{"予約をｷｬﾝｾﾙしたい", 1, 17, 16},      /* the same once normalised */
		{"熱がある", 1, 12, 0},                  /* a worry at noon */
		{"熱がある", 1, 23, 0},                  /* and at night */
	};
	int n = (int)(sizeof asks / sizeof *asks);
	json_t *r[sizeof asks / sizeof *asks];
	for (int i = 0; i < n; i++) {
		time_t now = AT(asks[i].day, asks[i].hour, asks[i].min);
		char *text = NULL, *searched = searched_at(bot, cache, asks[i].q, now);
		r[i] = printed_at(bot, asks[i].q, now, &text);
		REQUIRE(r[i] && searched);
		if (strcmp(text, searched))
			fprintf(stderr, "    kept:     %.300s\n    searched: %.300s\n", text, searched);
		CHECK(!strcmp(text, searched));
		free(text);
		free(searched);
	}
	struct chatbot_cache_stats st;
	chatbot_cache_stats(cache, &st);
	CHECK(st.hits == 4);  /* each question searched once */

	json_t *way = json_object_get(r[0], "followup");
	if (!json_is_object(way))
		way = json_object_get(r[0], "handoff");
	CHECK_STR(s(way, "route"), "booking");
	CHECK(json_is_true(json_object_get(way, "phone_open_now")));
	way = json_object_get(r[1], "followup");
	if (!json_is_object(way))
		way = json_object_get(r[1], "handoff");
	CHECK(json_is_false(json_object_get(way, "phone_open_now")));
	CHECK_STR(s(way, "phone_opens_at"), "12月2日(水) 8:30");
	way = json_object_get(r[2], "followup");
	if (!json_is_object(way))
		way = json_object_get(r[2], "handoff");
	CHECK(json_is_true(json_object_get(way, "phone_open_now")));
	CHECK_STR(s(r[3], "question"), "予約をｷｬﾝｾﾙしたい");
	CHECK_STR(s(r[3], "decision"), s(r[0], "decision"));
	CHECK_STR(s(r[4], "decision"), "clarify");
	CHECK_STR(s(json_object_get(r[4], "none"), "route"), "nurse");
	CHECK_STR(s(json_object_get(r[5], "none"), "route"), "call_center");
	CHECK(json_is_false(json_object_get(json_object_get(r[5], "none"), "phone_open_now")));
	for (int i = 0; i < n; i++)
		json_decref(r[i]);
	CHECK(fixture_count(db, "SELECT count(*) FROM ev_events WHERE type='ask'") == logged + n);

	/* Staff correct the answer shown: the next reply says it. */
	const char *lost = "接種券をなくしてしまいました";
	json_t *before = printed_at(bot, lost, AT(1, 10, 0), NULL);
	REQUIRE(before);
	const char *id = s(json_object_get(before, "answer"), "id");
	REQUIRE(id);
	REQUIRE(staff_edit(staff, id, NULL, "接種券は役場の窓口で新しくお渡しします。") == MG_OK);
	json_t *after = printed_at(bot, lost, AT(1, 10, 0), NULL);
	REQUIRE(after);
	CHECK_STR(s(json_object_get(after, "answer"), "answer"), "接種券は役場の窓口で新しくお渡しします。");
	json_decref(before);
	json_decref(after);
#undef AT
	chatbot_close(staff);
	chatbot_close(bot);
	chatbot_cache_free(cache);
	town_free(town);
}

/* A server without the decision cache (--no-decision-cache) still prints
 * an entry it has shown before from the parts it printed then (its
 * candidate's members, its answer, in each language): every reply is byte
 * for byte the one built anew from objects, the second time as the first,
 * in Japanese and in English, for an answer, a choice, the office's entry
 * handed off to and a worry; and staff's edit of an entry's question and
 * answer is in the next reply, as a candidate and as the answer. */
TEST(cache, an_entry_printed_before_is_printed_as_built_anew_and_as_edited)
{
	struct chatbot *bot = fixture_bot("cache-parts.db"), *staff = staff_bot("cache-parts.db");
	REQUIRE(bot && staff);
	static const char *const qs[] = {"接種券をなくしてしまいました", "接種券をなくしました", "粗大ごみの出し方",
					 "熱がある", "Can I book for my mother?", "How do I get a new vaccination ticket?"};
	time_t now = time(NULL);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
			char *text = NULL, *searched = searched_at(bot, NULL, qs[i], now);
			json_t *r = printed_at(bot, qs[i], now, &text);
			REQUIRE(r && searched);
			if (strcmp(text, searched))
				fprintf(stderr, "    printed:  %.300s\n    searched: %.300s\n", text, searched);
			CHECK_STR(text, searched);
			free(text);
			free(searched);
			json_decref(r);
		}

	const char *lost = qs[0];
	json_t *before = printed_at(bot, lost, now, NULL);
	REQUIRE(before);
	const char *id = s(json_object_get(before, "answer"), "id");
	REQUIRE(id);
	REQUIRE(staff_edit(staff, id, "接種券をなくしてしまいました。どこで再発行できますか？",
			   "接種券は役場の窓口で新しくお渡しします。") == MG_OK);
	char *text = NULL, *searched = searched_at(bot, NULL, lost, now);
	json_t *after = printed_at(bot, lost, now, &text);
	REQUIRE(after && searched);
	CHECK_STR(text, searched);
	CHECK_STR(s(json_object_get(after, "answer"), "answer"), "接種券は役場の窓口で新しくお渡しします。");
	CHECK_STR(s(json_array_get(json_object_get(after, "candidates"), 0), "question"),
		  "接種券をなくしてしまいました。どこで再発行できますか？");
	free(text);
	free(searched);
	json_decref(before);
	json_decref(after);
	chatbot_close(staff);
	fixture_bot_close(bot);
}

/* One ask's row in the event log as staff's figures read it, its
 * conversation's language with it ("" when there is none). */
static char *logged_as(sqlite3 *db, const char *conversation)
{
	sqlite3_stmt *st = NULL;
	char *row = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT coalesce(c.lang,'')||'|'||e.day||'|'||e.hour||'|'||coalesce(e.question,'-')||'|'||"
			       "coalesce(e.decision,'-')||'|'||coalesce(e.entry_id,'-')||'|'||coalesce(e.slug,'-')||'|'||"
			       "coalesce(e.topic,'-')||'|'||coalesce(e.route,'-')||'|'||coalesce(e.channel,'-')||'|'||"
			       "coalesce(e.confidence,'-')||'|'||coalesce(e.candidates,'-')||'|'||coalesce(e.helpful,'-') "
			       "FROM ev_events e LEFT JOIN ev_conversations c ON c.id=e.conversation "
			       "WHERE e.conversation=?1 AND e.type='ask'",
			       -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, conversation, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		row = strdup((const char *)sqlite3_column_text(st, 0));
	if (sqlite3_step(st) != SQLITE_DONE) {  /* one row an ask */
		free(row);
		row = NULL;
	}
	sqlite3_finalize(st);
	return row;
}

/* Staff's figures (deflection, unanswered questions, topics) count what the
 * log says of each ask: an ask answered from a kept printed reply is logged
 * exactly as the same ask searched and built anew, for an answer, a choice,
 * a hand-off, a rephrase, English, another language and a phone number
 * (redacted). */
TEST(cache, an_ask_from_a_kept_reply_is_logged_as_one_searched)
{
	char err[MG_ERR_LEN];
	struct chatbot_cache *cache = NULL;
	struct chatbot *bot = cached_bot("cache-logged.db", 0, &cache);
	REQUIRE(bot);
	sqlite3 *db = kb_db(chatbot_kb(bot));
	static const char *const qs[] = {"接種券をなくしました", "熱がある", "粗大ごみの出し方", "わかりました",
					 "Can I book for my mother?", "Tiếng Việt được không?",
					 "090-1234-5678に電話ください、予約を変えたい"};
	time_t now = time(NULL);
	for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
		char conv[3][32];
		char *row[3] = {NULL};
		for (int k = 0; k < 3; k++) {
			snprintf(conv[k], sizeof conv[k], "c%zu-%d", i, k);
			struct ask_opts o = {.now = now, .conversation = conv[k]};
			if (k == 0) {  /* searched and built anew */
				json_t *r = NULL;
				chatbot_set_cache(bot, NULL);
				CHECK(chatbot_ask(bot, qs[i], strlen(qs[i]), &o, &r, err) == MG_OK);
				chatbot_set_cache(bot, cache);
				json_decref(r);
			} else {  /* printed and kept, then from the kept reply */
				char *text = NULL;
				size_t len = 0;
				CHECK(chatbot_ask_printed(bot, qs[i], strlen(qs[i]), &o, &text, &len, err) == MG_OK);
				free(text);
			}
			row[k] = logged_as(db, conv[k]);
		}
		REQUIRE(row[0] && row[1] && row[2]);
		if (strcmp(row[0], row[2]))
			fprintf(stderr, "    searched: %s\n    kept:     %s\n", row[0], row[2]);
		CHECK_STR(row[1], row[0]);
		CHECK_STR(row[2], row[0]);
		for (int k = 0; k < 3; k++)
			free(row[k]);
	}
	struct chatbot_cache_stats st;
	chatbot_cache_stats(cache, &st);
	CHECK(st.hits >= 7);
	cached_bot_close(bot, cache);
}

/* Questions the server's workers ask of one shared cache at once. */
static const char *const RACE_QS[] = {"接種券をなくしました", "熱がある", "予約をキャンセルしたい",
				      "Can I book for my mother?", "粗大ごみの出し方", "接種券が届きません"};
#define RACE_NQ (sizeof RACE_QS / sizeof *RACE_QS)
#define RACE_ROUNDS 40

struct racer {
	struct chatbot *bot;
	char *const *want;  /* each question's reply searched and built anew */
	int wrong, failed;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	char err[MG_ERR_LEN];
	/* the day of the references, the lines' minute whichever */
	struct ask_opts o = {.no_log = 1, .now = 1764558000, .conversation = "race"};
	for (int round = 0; round < RACE_ROUNDS; round++)
		for (size_t i = 0; i < RACE_NQ; i++) {
			size_t k = (i + (size_t)round) % RACE_NQ, len = 0;
			char *text = NULL;
			if (chatbot_ask_printed(r->bot, RACE_QS[k], strlen(RACE_QS[k]), &o, &text, &len, err) != MG_OK)
				r->failed++;
			else if (strcmp(text, r->want[k]))
				r->wrong++;
			free(text);
		}
	return NULL;
}

/* Four workers ask the same questions at once through one cache too small
 * for their printed replies, so that replies are kept, served and let go
 * while other workers print them: every resident reads the reply searched
 * and built anew, byte for byte (run under ASan and TSan, a reply freed
 * while printed or a race on its count shows here). */
TEST(cache, workers_printing_kept_replies_at_once_read_what_a_search_prints)
{
	char err[MG_ERR_LEN];
	struct chatbot_cache *cache = NULL;
	struct chatbot *first = cached_bot("cache-race.db", 8 * 1024, &cache);
	REQUIRE(first);
	struct ask_opts o = {.no_log = 1, .now = 1764558000, .conversation = "race"};
	char *want[RACE_NQ] = {NULL};
	chatbot_set_cache(first, NULL);
	for (size_t k = 0; k < RACE_NQ; k++) {
		size_t len = 0;
		REQUIRE(chatbot_ask_printed(first, RACE_QS[k], strlen(RACE_QS[k]), &o, &want[k], &len, err) == MG_OK);
	}
	chatbot_set_cache(first, cache);
	struct racer r[4] = {{first, want, 0, 0}};
	for (int i = 1; i < 4; i++) {
		r[i] = (struct racer){NULL, want, 0, 0};
		REQUIRE(chatbot_open(&r[i].bot, fixture_path("cache-race.db"), fixture_model(), fixture_town(), err) == MG_OK);
		chatbot_set_cache(r[i].bot, cache);
	}
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		REQUIRE(pthread_create(&t[i], NULL, race, &r[i]) == 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	struct chatbot_cache_stats st;
	chatbot_cache_stats(cache, &st);
	for (int i = 0; i < 4; i++) {
		CHECK(r[i].failed == 0);
		CHECK(r[i].wrong == 0);
	}
	CHECK(st.hits > 0 && st.evicted > 0 && st.bytes <= 8 * 1024);
	for (int i = 1; i < 4; i++)
		chatbot_close(r[i].bot);
	for (size_t k = 0; k < RACE_NQ; k++)
		free(want[k]);
	cached_bot_close(first, cache);
}
