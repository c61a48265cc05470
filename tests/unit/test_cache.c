/* The decision cache as residents and staff meet it: a question asked again
 * is answered from its kept ranking, yet a staff edit or an import changes
 * the answer at the very next ask, whether a line is open is the time's of
 * each ask, and every ask is still one event in the log. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"
#include "chatbot/chatbot_int.h"
#include "chatbot/events.h"

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
