/* What a resident sees from ask(): the decision, the entry, the hand-off
 * with the right phone number and whether that line is open, and a clear
 * refusal for input that is not a question. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"
#include "chatbot/chatbot_int.h"
#include "chatbot/cli.h"
#include "chatbot/policy.h"
#include "chatbot/town_int.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static json_t *ask_at(struct chatbot *bot, const char *q, time_t now)
{
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	struct ask_opts o = {.no_log = 1, .now = now};
	if (chatbot_ask(bot, q, strlen(q), &o, &r, err) != MG_OK)
		return NULL;
	return r;
}

/* Local time in the test town (Asia/Tokyo). */
static time_t at(int y, int mo, int d, int h, int mi)
{
	return fixture_local(y, mo, d, h, mi);
}

static const char *s(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

TEST(chatbot, a_clear_question_is_answered_with_its_entry)
{
	struct chatbot *bot = fixture_bot("cb1.db");
	json_t *r = ask_at(bot, "接種券をなくしてしまいました", 0);
	REQUIRE(r);
	CHECK_STR(s(r, "decision"), "answer");
	json_t *a = json_object_get(r, "answer");
	CHECK_STR(s(a, "id"), "1");
	CHECK_STR(s(a, "slug"), "ticket-lost");
	/* The town's phone number replaces the placeholder. */
	CHECK(strstr(s(a, "answer"), "0120-111-111") != NULL);
	CHECK(strstr(s(a, "answer"), "{{") == NULL);
	double c = json_real_value(json_object_get(r, "confidence"));
	CHECK(c >= 0.6 && c <= 1.0);
	CHECK(json_is_null(json_object_get(r, "handoff")));
	CHECK(json_array_size(json_object_get(r, "candidates")) == 3);
	json_decref(r);
	fixture_bot_close(bot);
}

TEST(chatbot, english_questions_get_english_answers)
{
	struct chatbot *bot = fixture_bot("cb2.db");
	json_t *r = ask_at(bot, "I lost my vaccination ticket", 0);
	REQUIRE(r);
	CHECK_STR(s(r, "lang"), "en");
	CHECK_STR(s(r, "decision"), "answer");
	CHECK(strstr(s(json_object_get(r, "answer"), "answer"), "You can get a new ticket") != NULL);
	json_decref(r);
	fixture_bot_close(bot);
}

TEST(chatbot, out_of_scope_goes_to_the_call_centre_with_hours)
{
	struct chatbot *bot = fixture_bot("cb3.db");
	/* Tuesday 2026-11-24 10:00: the call centre is open. */
	json_t *r = ask_at(bot, "粗大ごみの出し方を教えて", at(2026, 11, 24, 10, 0));
	REQUIRE(r);
	CHECK_STR(s(r, "decision"), "handoff");
	json_t *h = json_object_get(r, "handoff");
	CHECK_STR(s(h, "route"), "call_center");
	CHECK_STR(s(h, "phone"), "0120-111-111");
	CHECK(json_is_true(json_object_get(h, "open_now")));
	json_decref(r);
	/* Monday 2026-11-23 is a holiday: closed, and it says when it opens. */
	r = ask_at(bot, "粗大ごみの出し方を教えて", at(2026, 11, 23, 10, 0));
	REQUIRE(r);
	h = json_object_get(r, "handoff");
	CHECK(json_is_false(json_object_get(h, "open_now")));
	CHECK(strstr(s(h, "opens_at"), "11月24日") != NULL);
	json_decref(r);
	fixture_bot_close(bot);
}

TEST(chatbot, opening_hours_follow_the_configuration)
{
	const struct town *t = fixture_town();
	const struct town_line *cc = town_line(t, "call_center"), *nurse = town_line(t, "nurse");
	CHECK(town_open_now(t, cc, at(2026, 11, 24, 8, 30)));    /* Tue, opening minute */
	CHECK(!town_open_now(t, cc, at(2026, 11, 24, 17, 15)));  /* Tue, closing minute */
	CHECK(town_open_now(t, cc, at(2026, 11, 28, 11, 59)));   /* Sat morning */
	CHECK(!town_open_now(t, cc, at(2026, 11, 28, 12, 0)));
	CHECK(!town_open_now(t, cc, at(2026, 11, 29, 10, 0)));   /* Sunday */
	CHECK(!town_open_now(t, cc, at(2026, 11, 23, 10, 0)));   /* holiday */
	CHECK(town_open_now(t, nurse, at(2026, 11, 23, 2, 0)));  /* the nurse line never closes */
	CHECK(town_line(t, "none") == cc);
}

/* A number's hours are those of the phone-only line it belongs to (the call
 * centre's number is the call centre's, wherever else it is shown). */
static json_t *owner_of(json_t *lines, const char *phone)
{
	const char *key;
	json_t *l;
	json_object_foreach(lines, key, l)
		if (!json_object_get(l, "url") && s(l, "phone") && !strcmp(s(l, "phone"), phone))
			return l;
	return NULL;
}

TEST(chatbot, no_phone_is_called_open_while_its_phone_hours_are_closed)
{
	char err[MG_ERR_LEN];
	struct town *sample = NULL;
	REQUIRE(town_load(NULL, &sample, err) == MG_OK);
	/* The sample call centre: weekdays 8:30-17:15, Saturdays 9:00-12:00. */
	const struct { int y, mo, d, h, mi, call_centre_open; } when[] = {
		{2026, 12, 1, 0, 30, 0},   /* Tuesday 00:30: the resident on a phone at night */
		{2026, 12, 1, 10, 0, 1},   /* Tuesday 10:00 */
		{2026, 11, 28, 13, 0, 0},  /* Saturday afternoon */
		{2026, 11, 29, 10, 0, 0},  /* Sunday */
		{2026, 11, 23, 10, 0, 0},  /* a national holiday */
	};
	static const char *const langs[] = {"ja", "en"};
	int phones = 0;
	for (size_t w = 0; w < sizeof when / sizeof *when; w++) {
		time_t t = at(when[w].y, when[w].mo, when[w].d, when[w].h, when[w].mi);
		for (int l = 0; l < 2; l++) {
			json_t *pub = town_public_json(sample, langs[l], t);
			json_t *lines = json_object_get(pub, "lines"), *line;
			REQUIRE(json_object_size(lines) == 3);
			const char *key;
			json_object_foreach(lines, key, line) {
				if (!s(line, "phone"))
					continue;
				phones++;
				json_t *owner = owner_of(lines, s(line, "phone"));
				REQUIRE(owner);
				char m[256];
				snprintf(m, sizeof m, "%s %s at %d-%02d-%02d %02d:%02d: phone_open_now", key,
					 s(line, "phone"), when[w].y, when[w].mo, when[w].d, when[w].h, when[w].mi);
				if (!json_is_boolean(json_object_get(line, "phone_open_now")) ||
				    (json_is_true(json_object_get(line, "phone_open_now")) &&
				     !json_is_true(json_object_get(owner, "phone_open_now"))))
					test_fail(__FILE__, __LINE__, m);
				/* Closed: when it opens again is said beside the number. */
				if (json_is_false(json_object_get(line, "phone_open_now")))
					CHECK(s(line, "phone_opens_at") != NULL);
			}
			json_t *cc = json_object_get(lines, "call_center"), *bk = json_object_get(lines, "booking");
			CHECK(json_is_true(json_object_get(cc, "phone_open_now")) == when[w].call_centre_open);
			/* The booking line's phone is the call centre; its page never closes. */
			CHECK_STR(s(bk, "phone"), s(cc, "phone"));
			CHECK(json_is_true(json_object_get(bk, "phone_open_now")) == when[w].call_centre_open);
			CHECK(json_is_true(json_object_get(bk, "open_now")));
			CHECK(json_is_true(json_object_get(json_object_get(lines, "nurse"), "phone_open_now")));
			json_decref(pub);
		}
	}
	CHECK(phones == 5 * 2 * 3);
	town_free(sample);
}

TEST(chatbot, a_booking_answer_at_night_says_the_phone_is_closed)
{
	struct chatbot *bot = fixture_bot("cb-night.db");
	json_t *r = ask_at(bot, "予約をキャンセルしたい", at(2026, 12, 1, 0, 30));
	REQUIRE(r);
	json_t *f = json_object_get(r, "followup");
	if (!json_is_object(f))
		f = json_object_get(r, "handoff");
	CHECK_STR(s(f, "route"), "booking");
	CHECK(json_is_true(json_object_get(f, "open_now")));         /* the booking page */
	CHECK(json_is_false(json_object_get(f, "phone_open_now")));  /* the call centre */
	CHECK(strstr(s(f, "phone_opens_at"), "12月1日") != NULL);
	json_decref(r);
	r = ask_at(bot, "予約をキャンセルしたい", at(2026, 12, 1, 10, 0));
	REQUIRE(r);
	f = json_object_get(r, "followup");
	if (!json_is_object(f))
		f = json_object_get(r, "handoff");
	CHECK(json_is_true(json_object_get(f, "phone_open_now")));
	json_decref(r);
	fixture_bot_close(bot);
}

/* 「どれでもない」 under a clarification: a health worry goes to the nurse line
 * (open all night), anything else to the call centre. */
TEST(chatbot, none_of_a_health_clarification_at_night_is_the_nurse_line)
{
	struct chatbot *bot = fixture_sample_bot("cb-none.db");
	json_t *r = ask_at(bot, "熱がある", at(2026, 12, 1, 0, 30));
	REQUIRE(r);
	CHECK_STR(s(r, "decision"), "clarify");
	json_t *none = json_object_get(r, "none");
	CHECK_STR(s(none, "route"), "nurse");
	CHECK(json_is_true(json_object_get(none, "phone_open_now")));
	json_decref(r);
	r = ask_at(bot, "接種券", at(2026, 12, 1, 0, 30));
	REQUIRE(r);
	if (!strcmp(s(r, "decision"), "clarify"))
		CHECK_STR(s(json_object_get(r, "none"), "route"), "call_center");
	json_decref(r);
	fixture_sample_bot_close(bot);
}

TEST(chatbot, a_web_line_with_a_phone_needs_phone_hours)
{
	char err[MG_ERR_LEN];
	const char *path = fixture_path("web-phone.json");
	FILE *f = fopen(path, "w");
	REQUIRE(f);
	fputs("{\"town\": {\"name\": \"x\"}, \"lines\": {"
	      "\"call_center\": {\"phone\": \"1\", \"hours\": {\"mon-fri\": \"09:00-17:00\"}},"
	      "\"nurse\": {\"phone\": \"2\", \"hours\": {\"mon-sun\": \"00:00-24:00\"}},"
	      "\"booking\": {\"phone\": \"1\", \"url\": \"https://x.example/\","
	      " \"hours\": {\"mon-sun\": \"00:00-24:00\"}}}}", f);
	fclose(f);
	struct town *t = NULL;
	CHECK(town_load(path, &t, err) == MG_ERR_INPUT);
	CHECK(strstr(err, "phone_hours") != NULL);
	CHECK(t == NULL);
}

TEST(chatbot, bad_input_gets_a_clear_error)
{
	struct chatbot *bot = fixture_bot("cb4.db");
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	CHECK(chatbot_ask(bot, "", 0, NULL, &r, err) == MG_ERR_EMPTY);
	CHECK(chatbot_ask(bot, " \t\n　", strlen(" \t\n　"), NULL, &r, err) == MG_ERR_EMPTY);
	CHECK(chatbot_ask(bot, "\xe6\x8e\xa5\xff", 4, NULL, &r, err) == MG_ERR_UTF8);
	char *big = malloc(100 * 1024);
	REQUIRE(big);
	memset(big, 'a', 100 * 1024);
	CHECK(chatbot_ask(bot, big, 100 * 1024, NULL, &r, err) == MG_ERR_TOO_LONG);
	free(big);
	CHECK(r == NULL);
	fixture_bot_close(bot);
}

TEST(chatbot, fts_syntax_and_odd_text_are_just_text)
{
	struct chatbot *bot = fixture_bot("cb5.db");
	static const char *const odd[] = {
		"\"", "*", "NEAR(", "AND", "^", ":", "接種券\" OR \"予約", "予約 NOT キャンセル",
		"接種券*", "col:接種券", "😀😀😀", "<script>alert(1)</script>", "ｾｯｼｭｹﾝ ﾅｸｼﾀ",
		"接種券\0なくした", "a\"b'c;DROP TABLE kb_entries;--", "{{call_center_phone}}",
	};
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
		json_t *r = ask_at(bot, odd[i], 0);
		CHECK(r != NULL);
		CHECK(s(r, "decision") != NULL);
		json_decref(r);
	}
	/* The entries survived the SQL-looking one, and a NUL in the middle is a space. */
	CHECK_STR(fixture_ask(bot, "接種券をなくしました"), "answer ticket-lost");
	fixture_bot_close(bot);
}

TEST(chatbot, a_new_database_starts_with_the_sample_knowledge_base)
{
	char err[MG_ERR_LEN];
	struct chatbot *bot = fixture_sample_bot("fresh.db");
	int64_t n = 0;
	CHECK(kb_count(chatbot_kb(bot), &n, err) == MG_OK);
	CHECK(n >= 44);  /* at least one entry per topic */
	/* A resident's first question is answered from it. */
	json_t *r = NULL;
	CHECK(chatbot_ask(bot, "接種券が届きません", strlen("接種券が届きません"), NULL, &r, err) == MG_OK);
	CHECK_STR(json_string_value(json_object_get(json_object_get(r, "answer"), "slug")), "ticket-not-arrived");
	json_decref(r);
	/* A question in Korean gets, in English, which languages the lines speak. */
	r = NULL;
	const char *ko = "한국어로 상담할 수 있나요?";
	CHECK(chatbot_ask(bot, ko, strlen(ko), NULL, &r, err) == MG_OK);
	CHECK_STR(json_string_value(json_object_get(r, "decision")), "answer");
	CHECK_STR(json_string_value(json_object_get(r, "lang")), "en");
	CHECK_STR(json_string_value(json_object_get(json_object_get(r, "answer"), "slug")), "foreign-language");
	json_decref(r);
	fixture_sample_bot_close(bot);
}

/* Every topic the town must cover (kb/data/topics.tsv, copied from the
 * product's topic list) has a published, current entry in the sample. */
TEST(chatbot, the_sample_covers_every_topic)
{
	struct chatbot *bot = fixture_sample_bot("topics.db");
	size_t len;
	char *topics = fixture_read("kb/data/topics.tsv", &len);
	sqlite3_stmt *st = NULL;
	CHECK(sqlite3_prepare_v2(kb_db(chatbot_kb(bot)),
					 "SELECT count(*) FROM kb_entries WHERE slug=? AND status='published' "
					 "AND valid_to=''", -1, &st, NULL) == SQLITE_OK);
	int checked = 0;
	for (char *save = NULL, *line = strtok_r(topics, "\n", &save); st && line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		if (!tab || !strncmp(line, "slug\t", 5))
			continue;
		*tab = 0;
		sqlite3_bind_text(st, 1, line, -1, SQLITE_STATIC);
		int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
		sqlite3_reset(st);
		if (n == 0) {
			char what[128];
			snprintf(what, sizeof what, "topic %s has an entry", line);
			test_fail(__FILE__, __LINE__, what);
		}
		checked++;
	}
	CHECK(checked == 44);
	sqlite3_finalize(st);
	free(topics);
	fixture_sample_bot_close(bot);
}

TEST(chatbot, a_question_for_another_office_is_pointed_there_not_answered)
{
	struct chatbot *bot = fixture_bot("cb7.db");
	struct kb_entry office = {
		.slug = "other-resident-record", .category = "other", .route = KB_ROUTE_ELSEWHERE,
		.question = "住民票の写しがほしい",
		.answer = "住民票の写しは役場の住民課（000-0000-1111）で発行しています。"
			  "このチャットはワクチン接種のご案内です。",
		.alt_questions = "住民票を取りたい|じゅうみんひょうがほしい|印鑑証明を取りたい",
	};
	char id[KB_ID_LEN], err[MG_ERR_LEN];
	REQUIRE(kb_entry_put(chatbot_kb(bot), &office, NULL, id, err) == MG_OK);
	json_t *r = ask_at(bot, "住民票の写しを取りたいのですが", 0);
	REQUIRE(r);
	/* The office's entry matches well, yet it is a hand-off, never an answer:
	 * the resident is told where to go, and the log counts no answer. */
	CHECK_STR(s(r, "decision"), "handoff");
	CHECK(json_is_null(json_object_get(r, "answer")));
	json_t *h = json_object_get(r, "handoff");
	CHECK_STR(s(h, "route"), "elsewhere");
	CHECK(strstr(s(h, "answer"), "住民課") != NULL);
	json_decref(r);
	/* A vaccine question next to it is still answered. */
	r = ask_at(bot, "接種券をなくしてしまいました", 0);
	REQUIRE(r);
	CHECK_STR(s(r, "decision"), "answer");
	json_decref(r);
	fixture_bot_close(bot);
}

/* What is shown agrees with itself: the answer is the first candidate, and a
 * clarification offers candidates as they are listed (an entry is read once
 * for all the places it appears). */
TEST(chatbot, the_answer_and_the_choices_are_the_candidates_shown)
{
	struct chatbot *bot = fixture_bot("cb_shown.db");
	static const char *const QUESTIONS[] = {
		"接種券をなくしてしまいました", "予約", "予約を変えたい", "接種券", "I lost my vaccination ticket",
		"booking", "副反応",
	};
	int answers = 0, clarifications = 0;
	for (size_t i = 0; i < sizeof QUESTIONS / sizeof *QUESTIONS; i++) {
		char err[MG_ERR_LEN];
		json_t *r = NULL;
		struct ask_opts o = {.no_log = 1, .top = POLICY_MAX_TOP};
		REQUIRE(chatbot_ask(bot, QUESTIONS[i], strlen(QUESTIONS[i]), &o, &r, err) == MG_OK);
		json_t *cands = json_object_get(r, "candidates"), *first = json_array_get(cands, 0);
		if (!strcmp(s(r, "decision"), "answer")) {
			answers++;
			json_t *a = json_object_get(r, "answer");
			CHECK_STR(s(a, "id"), s(first, "id"));
			CHECK_STR(s(a, "slug"), s(first, "slug"));
			CHECK_STR(s(a, "question"), s(first, "question"));
		}
		size_t k;
		json_t *choice;
		json_array_foreach(json_object_get(r, "choices"), k, choice) {
			clarifications += k == 0;
			size_t j;
			json_t *c, *same = NULL;
			json_array_foreach(cands, j, c)
				if (!strcmp(s(c, "id"), s(choice, "id")))
					same = c;
			CHECK(same && json_equal(same, choice));
		}
		json_decref(r);
	}
	CHECK(answers > 0 && clarifications > 0);
	fixture_bot_close(bot);
}

/* Wanting to book, however it is put, leaves the resident one tap from the
 * booking panel: an answer and a choice between topics both carry the way
 * to booking when the likeliest topic is about booking. */
TEST(chatbot, wanting_to_book_always_carries_the_way_to_booking)
{
	struct chatbot *bot = fixture_sample_bot("book.db");
	static const char *const wants[] = {
		"予約したい", "よやくしたい", "ワクチンを予約したい", "予約をしたいです",
		"I want to book", "I want to book a vaccine", "can i make a reservation",
	};
	int clarified = 0;
	for (size_t i = 0; i < sizeof wants / sizeof *wants; i++) {
		json_t *r = ask_at(bot, wants[i], 0);
		REQUIRE(r);
		const char *decision = s(r, "decision");
		CHECK(!strcmp(decision, "answer") || !strcmp(decision, "clarify"));
		clarified += !strcmp(decision, "clarify");
		json_t *way = json_object_get(r, "followup");
		if (!way || strcmp(s(way, "route") ? s(way, "route") : "", "booking"))
			fprintf(stderr, "    %s: %s without the way to booking\n", wants[i], decision);
		CHECK_STR(s(way, "route"), "booking");
		json_decref(r);
	}
	/* ワクチンを予約したい is a choice (how to book, or privacy) today: the
	 * case this covers. */
	CHECK(clarified > 0);
	/* A choice between health worries offers the nurse line, not booking. */
	json_t *r = ask_at(bot, "副反応が心配", 0);
	REQUIRE(r);
	CHECK_STR(s(r, "decision"), "clarify");
	CHECK_STR(s(json_object_get(r, "followup"), "route"), "nurse");
	json_decref(r);
	fixture_sample_bot_close(bot);
}

/* What a resident sees first: the first choice offered, or the answer. */
static json_t *shown_first(json_t *r)
{
	json_t *ch = json_object_get(r, "choices");
	return json_array_size(ch) ? json_array_get(ch, 0) : json_object_get(r, "answer");
}

/* The entry a resident sees for a topic: one who types 予約したい wants to
 * book, and booking-how's first place shows how to book on the Web or LINE
 * (101), not the walk-in entry (160) whose 予約しないで reads 予約 + する;
 * asked about walking in, the walk-in entry is the one shown. */
TEST(chatbot, wanting_to_book_is_shown_how_to_book_not_the_walk_in_entry)
{
	struct chatbot *bot = fixture_sample_bot("book-entry.db");
	static const struct {
		const char *q, *id;
	} asks[] = {
		{"予約したい", "101"}, {"よやくしたい", "101"}, {"予約", "101"},
		{"予約なしで当日行っても受けられますか", "160"},
	};
	for (size_t i = 0; i < sizeof asks / sizeof *asks; i++) {
		json_t *r = ask_at(bot, asks[i].q, 0);
		REQUIRE(r);
		json_t *first = shown_first(r);
		if (strcmp(s(first, "id") ? s(first, "id") : "", asks[i].id))
			fprintf(stderr, "    %s: first %s %s\n", asks[i].q, s(first, "id"), s(first, "question"));
		CHECK_STR(s(first, "id"), asks[i].id);
		CHECK(strcmp(asks[i].id, "101") || strstr(s(first, "question"), "Web") != NULL);
		json_decref(r);
	}
	fixture_sample_bot_close(bot);
}

/* A question about one thing that matches two entries of one topic is
 * answered, not offered as a choice: "Is the vaccine free?" meets both cost
 * entries first (the fee, and the fee on welfare) and was a choice between
 * cost and a full booking at 0.935. */
TEST(chatbot, a_question_matching_two_entries_of_one_topic_is_answered)
{
	static const char free_q[] = "Is the vaccine free?";
	struct chatbot *bot = fixture_sample_bot("sibling.db");
	json_t *r = ask_at(bot, free_q, 0);
	REQUIRE(r);
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(r, "candidates"), i, c)
		if (i < 2)
			CHECK_STR(s(c, "slug"), "cost");
	CHECK_STR(s(r, "decision"), "answer");
	CHECK_STR(s(shown_first(r), "slug"), "cost");
	json_decref(r);
	fixture_sample_bot_close(bot);
}

/* Engine v2 on the sample knowledge base: the cases issue 10 names, as a
 * resident sees them (the first entry offered), and leave-one-out really
 * leaving a phrasing out. */
TEST(chatbot, every_phrasing_is_evidence_and_a_left_out_phrasing_is_gone)
{
	char err[MG_ERR_LEN];
	struct chatbot *bot = fixture_sample_bot("engine.db");
	/* 接種券 and 接種済証 read alike in kana; the ticket is never the certificate. */
	CHECK(strstr(fixture_ask(bot, "接種券をなくしました"), " ticket-lost") != NULL);
	CHECK(strstr(fixture_ask(bot, "接種済証をなくしました"), " certificate-lost") != NULL);
	/* ...nor offered beside it: なくしました meets the phrasings' なくした
	 * (紛失 in the synonyms), so the ticket's lost entry leads by far; named
	 * with the vaccine it is a choice with it first, not a hand-off (0.36
	 * before, ticket-lost and ticket-moved nearly tied). */
	static const char *const lost[] = {"接種券をなくしました", "新型コロナワクチンの接種券をなくしました"};
	for (size_t i = 0; i < sizeof lost / sizeof *lost; i++) {
		json_t *r = ask_at(bot, lost[i], 0);
		REQUIRE(r);
		CHECK(strcmp(s(r, "decision"), "handoff") != 0);
		json_t *ch = json_object_get(r, "choices");
		if (json_array_size(ch))
			CHECK_STR(s(json_array_get(ch, 0), "slug"), "ticket-lost");
		else
			CHECK_STR(s(json_object_get(r, "answer"), "slug"), "ticket-lost");
		for (size_t k = 0; k < json_array_size(ch); k++)
			CHECK(strcmp(s(json_array_get(ch, k), "slug"), "certificate-lost") != 0);
		json_decref(r);
	}
	/* Wanting to book leads to how to book, in kanji or hiragana: first
	 * among the booking entries, all of which say 予約 (offered with them
	 * since the confidence weighs the margin between topics, 2026-12-01). */
	CHECK(strstr(fixture_ask(bot, "予約したい"), " booking-how") != NULL);
	CHECK(strstr(fixture_ask(bot, "よやくしたい"), " booking-how") != NULL);
	CHECK(strstr(fixture_ask(bot, "ワクチンを予約したい"), " booking-how") != NULL);
	/* A remark with no question names its topic. */
	CHECK(strstr(fixture_ask(bot, "何度かけても話し中"), " booking-call-center") != NULL);
	/* Before the new year is not moving house: 越す is 転入 (the synonyms'
	 * 越してきた) only as 越してくる, so the moving entry is not answered
	 * (it was, at 0.98, when every 越す read as 転入). */
	json_t *year = ask_at(bot, "年を越す前に接種したい", 0);
	REQUIRE(year);
	CHECK(strcmp(s(year, "decision"), "answer") != 0);
	json_decref(year);
	CHECK_STR(fixture_ask(bot, "町に越して来ました"), "answer ticket-moved");

	/* Leave-one-out: an alternate asked word for word is its entry's
	 * closest phrasing; left out, no phrasing matches it whole. */
	struct kb_candidate c[3];
	struct kb_query_stats qs;
	int n = 0;
	char today[11];
	fixture_today(today);
	struct kb_entry e;
	REQUIRE(kb_entry_get(chatbot_kb(bot), 0, "114", &e, err) == MG_OK);  /* ticket-lost */
	/* One alternate no other phrasing is close to; its number counts the
	 * question (0), the English question (1), then the alternates. */
	const char *alt = e.alt_questions;
	int number = e.question_en[0] ? 2 : 1;
	while (*alt && strncmp(alt, "犬に", strlen("犬に"))) {
		alt += strcspn(alt, "|");
		alt += *alt == '|';
		number++;
	}
	REQUIRE(*alt);
	size_t alen = strcspn(alt, "|");
	char *q = strndup(alt, alen);
	struct kb_search_opts so = {&POLICY_WEIGHTS, today, NULL};
	CHECK(kb_search(chatbot_kb(bot), q, alen, &so, c, 3, &n, &qs, err) == MG_OK);
	CHECK(n > 0 && !strcmp(c[0].id, "114"));
	double whole = n > 0 ? c[0].phrasing : 0;
	struct kb_exclude ex = {c[0].entry, number, q, alen};
	so.exclude = &ex;
	CHECK(kb_search(chatbot_kb(bot), q, alen, &so, c, 3, &n, &qs, err) == MG_OK);
	double left = 0;
	for (int i = 0; i < n; i++)
		if (!strcmp(c[i].id, "114"))
			left = c[i].phrasing;
	CHECK(whole > 0.85);
	CHECK(left < whole - 0.2);
	free(q);
	kb_entry_clear(&e);
	fixture_sample_bot_close(bot);
}

/* Residents name the vaccine (コロナワクチン, 新型コロナワクチン) whatever they
 * ask about; only the children's entry says so in its phrasings (to tell it
 * from other child vaccines), while most answers say it. The domain's words
 * lead nowhere: each question is met with its own topic, answered or offered
 * first, never the children's entry, and the vaccine's name alone is asked
 * about again. Before the domain's words were damped, every one of these went to
 * the children's entry, most of them answered (0.91-0.99). */
/* A wrong answer is the worst a resident can be told. Questions of dev.tsv
 * the engine answered outright with the wrong entry at 0.92-0.97 before the
 * confidence weighed the margins between the first two topics: each is now
 * offered as a choice, which holds the right entry when it is second. */
TEST(chatbot, a_close_call_between_topics_is_a_choice_not_a_wrong_answer)
{
	struct chatbot *bot = fixture_sample_bot("close-call.db");
	static const struct {
		const char *q, *right;
	} cases[] = {
		{"want book vaccine how", "booking-how"},
		{"40代で打つと全額自己負担なんですか", NULL},  /* cost is third, not within the band */
		{"レプリコンワクチンも使うんですか", "vaccine-types"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		json_t *r = ask_at(bot, cases[i].q, 0);
		REQUIRE(r);
		if (strcmp(s(r, "decision"), "clarify"))
			fprintf(stderr, "    %s: %s %s\n", cases[i].q, s(r, "decision"),
				s(json_array_get(json_object_get(r, "candidates"), 0), "slug"));
		CHECK_STR(s(r, "decision"), "clarify");
		int offered = 0;
		size_t k;
		json_t *c;
		json_array_foreach(json_object_get(r, "choices"), k, c)
			offered |= cases[i].right && !strcmp(s(c, "slug"), cases[i].right);
		CHECK(offered || !cases[i].right);
		json_decref(r);
	}
	fixture_sample_bot_close(bot);
}

/* Two entries of one topic at the top are one answer, not a doubt: the same
 * scores with the second candidate a sibling entry of the first's topic give
 * more confidence than with it another topic, and enough to answer; and the
 * confidence does not depend on how many candidates the caller asked for.
 * The knowledge base has many phrasings an entry (evidence 1): the
 * candidates are ordered by their score. */
TEST(chatbot, a_sibling_entry_second_is_no_reason_to_doubt)
{
	struct kb_candidate c[10] = {
		{.entry = 1, .slug = "ticket-lost", .score = 1.6, .rank = 1.6, .bm25f = 0.55, .nb = 0.55, .phrasing = 0.7,
		 .term_query = 0.8, .vocabulary = 0.9},
		{.entry = 2, .slug = "ticket-lost", .score = 1.5, .rank = 1.5, .bm25f = 0.52, .nb = 0.40, .phrasing = 0.65,
		 .term_query = 0.8, .vocabulary = 0.9},
	};
	for (int i = 2; i < 10; i++)
		c[i] = (struct kb_candidate){.entry = i + 1, .slug = "other", .score = 0.5, .rank = 0.5, .bm25f = 0.2,
					     .nb = 0.05 / 8, .phrasing = 0.3, .term_query = 0.3};
	snprintf(c[2].slug, sizeof c[2].slug, "cost");
	struct kb_query_stats qs = {.words = 3, .known_words = 3, .evidence = 1};
	double sibling = chatbot_confidence(c, 10, &qs);
	CHECK(sibling >= POLICY_ANSWER_MIN_CONFIDENCE);
	CHECK(fabs(chatbot_confidence(c, 6, &qs) - sibling) < 1e-12);
	snprintf(c[1].slug, sizeof c[1].slug, "ticket-moved");
	double rival = chatbot_confidence(c, 10, &qs);
	if (rival >= sibling || rival >= POLICY_ANSWER_MIN_CONFIDENCE)
		fprintf(stderr, "    sibling second %.3f, another topic second %.3f\n", sibling, rival);
	CHECK(rival < sibling);
	CHECK(rival < POLICY_ANSWER_MIN_CONFIDENCE);
}

/* A town's FAQ imported as it is (one question an entry, no alternates):
 * the words a resident uses are often in the answer only, and the one
 * question is poor evidence of its own, so BM25F over question and answer
 * orders the entries (kb_weights.evidence_from). The closest phrasing put
 * booking-cancel's 「予約をキャンセルしたいです。」 first for the first
 * question and ticket-not-arrived first for the other two. */
TEST(chatbot, a_faq_without_alternates_is_ranked_by_its_questions_and_answers)
{
	char err[MG_ERR_LEN];
	struct chatbot *bot = fixture_sample_bot("plain.db");
	REQUIRE(kb_without_alternates(chatbot_kb(bot), 0, err) == MG_OK);
	CHECK(strstr(fixture_ask(bot, "予約の仕方を教えてください"), " booking-how") != NULL);
	CHECK(strstr(fixture_ask(bot, "65歳以上の自己負担はいくら？"), " cost") != NULL);
	CHECK(strstr(fixture_ask(bot, "65歳未満でも受けられる？"), " eligibility-age") != NULL);
	kb_without_alternates_end(chatbot_kb(bot));
	/* With its thirty phrasings an entry back, the closest phrasing orders
	 * again: 接種券 lost is not 接種券 moved (BM25F alone puts ticket-moved
	 * first: its phrasings say 亡くしました). */
	CHECK(strstr(fixture_ask(bot, "接種券をなくしました"), " ticket-lost") != NULL);
	fixture_sample_bot_close(bot);
}

/* A resident asks the price with いくら, the town's FAQ says 費用はいくら
 * ですか: ipadic reads the first as an adverb and the analyser dropped it,
 * so on a FAQ as imported (no alternates) 「いくらかかる？」 did not have
 * the cost entry among its first ten and was handed off to the phone, and
 * 何歳から (何 a numeral) said only 歳. */
TEST(chatbot, the_question_word_a_resident_asks_with_finds_its_entry)
{
	char err[MG_ERR_LEN];
	struct chatbot *bot = fixture_sample_bot("asking.db");
	/* with the sample's alternates: answered, where it was a choice at 0.81 */
	CHECK_STR(fixture_ask(bot, "いくらかかりますか"), "answer cost");
	CHECK_STR(fixture_ask(bot, "何歳から受けられますか"), "answer eligibility-age");
	REQUIRE(kb_without_alternates(chatbot_kb(bot), 0, err) == MG_OK);
	/* the cost entry first, answered or offered: not the phone */
	CHECK_STR(fixture_ask(bot, "いくらかかる？"), "clarify cost");
	CHECK_STR(fixture_ask(bot, "65歳以上の自己負担はいくら？"), "clarify cost");
	kb_without_alternates_end(chatbot_kb(bot));
	fixture_sample_bot_close(bot);
}

/* On a town's FAQ as imported, the confidence reads the order BM25F gave
 * and was fitted on such a knowledge base too: a clear question is answered
 * and a vague one offered with its topic first, where both were a choice or
 * a hand-off to the phone while the confidence read the order of the whole
 * sample (予約はいつから？ and 予約変更 offered at 0.91 and 0.86, ＷＥＢ予約の
 * やりかた handed off at 0.35); a question for another office is still not
 * answered. */
TEST(chatbot, a_plain_faqs_clear_question_is_answered_not_sent_to_the_phone)
{
	char err[MG_ERR_LEN];
	struct chatbot *bot = fixture_sample_bot("plain-conf.db");
	REQUIRE(kb_without_alternates(chatbot_kb(bot), 0, err) == MG_OK);
	static const struct {
		const char *q, *want;
	} cases[] = {
		{"予約はいつから？", "answer booking-open-date"},
		{"予約変更", "answer booking-change"},
		{"予約をキャンセルしたい", "answer booking-cancel"},
		{"ＷＥＢ予約のやりかた　教えて", "clarify booking-how"},
		{"看護師さんに体調のこと相談したい", "clarify side-effects-consult"},
		{"粗大ごみの出し方を教えて", "handoff other-garbage"},
		{"駅前のラーメン屋っていくら？", "handoff"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *got = fixture_ask(bot, cases[i].q);
		if (strncmp(got, cases[i].want, strlen(cases[i].want)))
			fprintf(stderr, "    %s: %s, want %s\n", cases[i].q, got, cases[i].want);
		CHECK(!strncmp(got, cases[i].want, strlen(cases[i].want)));
	}
	kb_without_alternates_end(chatbot_kb(bot));
	fixture_sample_bot_close(bot);
}

/* A town's FAQ as imported answers from a lower confidence than the
 * curated sample (POLICY_ANSWER_PLAIN_SHIFT): its confidence, fitted mostly
 * on the sample, is surer than it says there. The first two were a choice
 * at 0.91 and 0.93 and are answered; on the whole sample a question at that
 * confidence is still a choice, the threshold there being 0.94. */
TEST(chatbot, a_plain_faq_answers_what_it_is_sure_of_and_the_sample_keeps_its_threshold)
{
	char err[MG_ERR_LEN];
	struct chatbot *bot = fixture_sample_bot("plain-shift.db");
	static const struct {
		int plain;
		const char *q, *want;
	} cases[] = {
		{1, "引っ越してきたばかりです。接種券はどうなりますか", "answer ticket-moved"},
		{1, "コールセンターは何時までやってますか", "answer booking-call-center"},
		{0, "ＬＩＮＥで予約できますか", "clarify booking-how"},
		{0, "予信表の書き方", "clarify day-questionnaire"},
	};
	REQUIRE(kb_without_alternates(chatbot_kb(bot), 0, err) == MG_OK);
	for (int plain = 1; plain >= 0; plain--) {
		if (!plain)
			kb_without_alternates_end(chatbot_kb(bot));
		for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
			if (cases[i].plain != plain)
				continue;
			const char *got = fixture_ask(bot, cases[i].q);
			if (strncmp(got, cases[i].want, strlen(cases[i].want)))
				fprintf(stderr, "    %s: %s, want %s\n", cases[i].q, got, cases[i].want);
			CHECK(!strncmp(got, cases[i].want, strlen(cases[i].want)));
		}
	}
	fixture_sample_bot_close(bot);
}

TEST(chatbot, naming_the_vaccine_does_not_lead_to_the_childrens_entry)
{
	struct chatbot *bot = fixture_sample_bot("domain.db");
	static const char *const asks[][2] = {
		{"コロナワクチンの費用は", "cost"},
		{"コロナワクチンは無料で受けられますか", "cost"},
		{"新型コロナワクチンはいくらかかりますか", "cost"},
		{"新型コロナワクチンの副反応が心配です", "side-effects-common"},
		{"コロナワクチンの副作用は", "side-effects-common"},
		{"新型コロナワクチンの予約方法を教えてください", "booking-how"},
		{"コロナワクチンを受けるとき持ち物は", "day-what-to-bring"},
		{"新型コロナワクチンの接種に必要なものは何ですか", "day-what-to-bring"},
		{"新型コロナワクチンの接種券が届かない", "ticket-not-arrived"},
		{"コロナワクチンの接種証明書がほしい", "certificate-proof"},
	};
	for (size_t i = 0; i < sizeof asks / sizeof *asks; i++) {
		const char *got = fixture_ask(bot, asks[i][0]);
		char answered[96], offered[96];
		snprintf(answered, sizeof answered, "answer %s", asks[i][1]);
		snprintf(offered, sizeof offered, "clarify %s", asks[i][1]);
		if (strcmp(got, answered) && strcmp(got, offered))
			fprintf(stderr, "  %s: %s, not %s\n", asks[i][0], got, asks[i][1]);
		CHECK(!strcmp(got, answered) || !strcmp(got, offered));
	}
	/* The vaccine's name and nothing else says no topic: the resident is
	 * asked to say more (with the popular questions), as after 「はい」. */
	static const char *const bare[] = {"コロナワクチン", "新型コロナワクチン", "新型コロナワクチンについて教えて",
					   "ワクチン"};
	for (size_t i = 0; i < sizeof bare / sizeof *bare; i++)
		CHECK(strncmp(fixture_ask(bot, bare[i]), "rephrase ", 9) == 0);
	/* The children's entry is still the answer when a child is asked about. */
	CHECK_STR(fixture_ask(bot, "子どももコロナワクチンを打てますか"), "answer eligibility-children");
	CHECK_STR(fixture_ask(bot, "5歳の子にコロナワクチンを受けさせたい"), "answer eligibility-children");
	fixture_sample_bot_close(bot);
}

/* 1 when the first stage hands on the same entries with the same scores by
 * the model's bm25 (w) as by FTS5's own (w with fts_rank), entries of equal
 * score in either order; -1 when a search fails. */
static int same_first_stage(struct chatbot *bot, const char *q, size_t qlen, const char *today,
			    const struct kb_weights *w, struct kb_candidate *a, struct kb_candidate *b)
{
	char err[MG_ERR_LEN];
	struct kb_weights fts = *w;
	fts.fts_rank = 1;
	struct kb_query_stats qs;
	int na = 0, nb = 0;
	struct kb_search_opts so = {w, today, NULL};
	if (kb_search(chatbot_kb(bot), q, qlen, &so, a, w->depth, &na, &qs, err) != MG_OK)
		return -1;
	so.w = &fts;
	if (kb_search(chatbot_kb(bot), q, qlen, &so, b, w->depth, &nb, &qs, err) != MG_OK)
		return -1;
	int same = na == nb;
	for (int i = 0; same && i < na; i++) {
		same = fabs(a[i].score - b[i].score) <= 1e-9 * fmax(1, fabs(b[i].score));
		int tied = (i > 0 && b[i - 1].score == b[i].score) || (i + 1 < nb && b[i + 1].score == b[i].score);
		same = same && (tied || a[i].entry == b[i].entry);
	}
	return same;
}

/* The first stage ranks entries by the bm25 FTS5 would give them, computed
 * from the in-memory model instead of by FTS5's aux function: for every
 * question of dev.tsv, the second stage is handed the same entries with the
 * same scores either way, so the speed-up changes no answer; with the
 * answers weighed 0 too (eval --weights fts_answer=0), where an entry that
 * holds the words in its answer alone scores 0 and FTS5 still finds it (the
 * model's ranking left it out: dev plain top-1 70.5 -> 69.2% under that
 * weight). And it asks FTS5 only for the phrases whose lists hold the best
 * entries most cheaply (kb/search.c match_cover): with every match kept
 * (depth above the knowledge base's size) it finds exactly the entries the
 * MATCH of all the phrases finds, though FTS5 reads fewer postings
 * (counted, so that the check cannot pass by leaving nothing out). */
TEST(chatbot, the_first_stage_hands_on_the_entries_fts5s_own_bm25_ranks_first)
{
	char err[MG_ERR_LEN], today[11];
	fixture_today(today);
	struct chatbot *bot = fixture_sample_bot("first_stage.db");
	size_t len = 0;
	char *set = fixture_read("tests/eval/dev.tsv", &len);
	struct kb_weights model = POLICY_WEIGHTS, fts = POLICY_WEIGHTS;
	model.first_only = fts.first_only = 1;
	fts.fts_rank = 1;
	struct kb_weights model_all = model, fts_all = fts;
	model_all.depth = fts_all.depth = 100000;
	enum { ALL = 1000 };
	static struct kb_candidate a[ALL], b[ALL];
	struct kb_weights unweighed = model;  /* the answers weighed 0 */
	unweighed.fts_answer = 0;
	int questions = 0, differ = 0, differ_unweighed = 0, found = 0, differ_all = 0, full = 0;
	int64_t read_cover = 0, read_all = 0;
	for (char *save = NULL, *line = strtok_r(set, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		size_t qlen = strcspn(line, "\t");
		struct kb_query_stats qs;
		int na = 0, nb = 0;
		struct kb_search_opts so = {&model, today, NULL};
		CHECK(kb_search(chatbot_kb(bot), line, qlen, &so, a, POLICY_WEIGHTS.depth, &na, &qs, err) == MG_OK);
		questions++;
		found += na > 0;
		differ += same_first_stage(bot, line, qlen, today, &model, a, b) != 1;
		differ_unweighed += same_first_stage(bot, line, qlen, today, &unweighed, a, b) != 1;
		int same;

		so.w = &model_all;
		CHECK(kb_search(chatbot_kb(bot), line, qlen, &so, a, ALL, &na, &qs, err) == MG_OK);
		read_cover += qs.fts_postings;
		so.w = &fts_all;
		CHECK(kb_search(chatbot_kb(bot), line, qlen, &so, b, ALL, &nb, &qs, err) == MG_OK);
		read_all += qs.fts_postings;
		full += na == ALL;
		same = na == nb;
		for (int i = 0; same && i < na; i++) {
			int in = 0;
			for (int j = 0; j < nb && !in; j++)
				in = a[i].entry == b[j].entry;
			same = in;
		}
		differ_all += !same;
	}
	CHECK(questions > 300);
	CHECK(found > questions * 9 / 10);
	CHECK(differ == 0);
	CHECK(differ_unweighed == 0);
	CHECK(full == 0);
	CHECK(differ_all == 0);
	CHECK(read_cover > 0 && read_cover < read_all);
	free(set);
	fixture_sample_bot_close(bot);
}

/* 「はい」 after an answer, "Hello", punctuation: no word names a topic, so
 * the resident is asked to put it another way, not sent to a phone line. A
 * word the knowledge base does not know is still a question for a person. */
TEST(chatbot, a_message_without_a_word_is_asked_again_not_handed_off)
{
	struct chatbot *bot = fixture_bot("cb_rephrase.db");
	const char *none[] = {"はい", "わかりました", "Hello", "？？？", "yes"};
	for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
		json_t *r = ask_at(bot, none[i], at(2026, 11, 24, 2, 0));
		REQUIRE(r);
		CHECK_STR(s(r, "decision"), "rephrase");
		CHECK(json_is_null(json_object_get(r, "handoff")));
		json_decref(r);
	}
	CHECK_STR(fixture_ask(bot, "粗大ごみの出し方を教えて"), "handoff -");
	fixture_bot_close(bot);
}

/* Runs `madoguchi --db db ask ARGS...` in this process with stdin read from
 * in and stdout written to a file; returns that output (caller frees). */
static char *run_ask(const char *db, char **args, int nargs, const char *in, size_t in_len, int *status)
{
	const char *in_path = fixture_path("ask-in.txt"), *out_path = fixture_path("ask-out.txt");
	FILE *f = fopen(in_path, "wb");
	if (!f || fwrite(in, 1, in_len, f) != in_len || fclose(f))
		return NULL;
	int in_fd = open(in_path, O_RDONLY), out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int saved_in = dup(0), saved_out = dup(1);
	if (in_fd < 0 || out_fd < 0 || saved_in < 0 || saved_out < 0)
		return NULL;
	fflush(stdout);
	dup2(in_fd, 0);
	dup2(out_fd, 1);
	clearerr(stdin);
	char *argv[8] = {"ask"};
	for (int i = 0; i < nargs && i < 7; i++)
		argv[i + 1] = args[i];
	struct cli_ctx ctx = {.db = db};
	*status = chatbot_cli_ask(&ctx, nargs + 1, argv);
	fflush(stdout);
	dup2(saved_in, 0);
	dup2(saved_out, 1);
	clearerr(stdin);
	close(saved_in);
	close(saved_out);
	close(in_fd);
	close(out_fd);
	size_t len;
	return fixture_read(out_path, &len);
}

TEST(chatbot, ask_json_gives_one_object_per_input_line)
{
	/* A script pairs output line N with input line N: empty lines, blank
	 * lines and bytes that are not UTF-8 each get an error object in place. */
	struct chatbot *bot = fixture_bot("cb-lines.db");
	fixture_bot_close(bot);
	static const char in[] = "接種券をなくしました\n\n   \r\n\xff\xfe\nI lost my vaccination ticket\r\n\n";
	int status = -1;
	char *out = run_ask(fixture_path("cb-lines.db"), (char *[]){"--json"}, 1, in, sizeof in - 1, &status);
	REQUIRE(out);
	CHECK(status == 1);  /* some lines were not questions */
	int lines = 0;
	json_t *obj[8] = {0};
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (lines < 8)
			obj[lines] = json_loads(l, 0, NULL);
		lines++;
	}
	CHECK(lines == 6);
	for (int i = 0; i < 6 && i < lines; i++)
		CHECK(json_is_object(obj[i]));
	CHECK_STR(s(obj[0], "decision"), "answer");
	CHECK_STR(s(obj[1], "error"), "the question is empty");
	CHECK_STR(s(obj[1], "question"), "");
	CHECK(s(obj[2], "error") != NULL);
	CHECK(s(obj[3], "error") != NULL && json_is_null(json_object_get(obj[3], "question")));
	CHECK(s(obj[4], "decision") != NULL);
	CHECK(s(obj[5], "error") != NULL);
	for (int i = 0; i < 8; i++)
		json_decref(obj[i]);
	free(out);
}

TEST(chatbot, ask_ruby_gives_the_furigana_the_widget_asks_for)
{
	/* `ask --ruby` answers as the widget's ふりがな switch asks: the
	 * readings over the answer's kanji; without it none. */
	struct chatbot *bot = fixture_bot("cb-ruby.db");
	fixture_bot_close(bot);
	static const char in[] = "接種券をなくしました\n";
	int status = -1;
	char *out = run_ask(fixture_path("cb-ruby.db"), (char *[]){"--json", "--ruby"}, 2, in, sizeof in - 1, &status);
	REQUIRE(out);
	CHECK(status == 0);
	json_t *r = json_loads(out, 0, NULL);
	json_t *seg = json_array_get(json_object_get(json_object_get(json_object_get(r, "answer"), "ruby"), "answer"), 0);
	CHECK(s(seg, "t") != NULL && s(seg, "r") != NULL);
	json_decref(r);
	free(out);
	out = run_ask(fixture_path("cb-ruby.db"), (char *[]){"--json"}, 1, in, sizeof in - 1, &status);
	REQUIRE(out);
	r = json_loads(out, 0, NULL);
	CHECK(json_object_get(json_object_get(r, "answer"), "answer") != NULL);
	CHECK(!json_object_get(json_object_get(r, "answer"), "ruby"));
	json_decref(r);
	free(out);
}

/* A town's FAQ in Japanese alone: an English question reaches its entries
 * through the dictionary's glosses, and its first topic is right only 38.5%
 * of the time (`eval --japanese-only --lang en` over dev, holdout and
 * styles). Such a question is offered the choices, never answered in
 * Japanese: on main nine were answered there, three wrongly. */
TEST(chatbot, an_english_question_of_a_japanese_only_faq_is_offered_choices_not_answered)
{
	char err[MG_ERR_LEN];
	struct chatbot *bot = fixture_sample_bot("japanese-only.db");
	REQUIRE(kb_without_alternates(chatbot_kb(bot), 1, err) == MG_OK);
	static const char *const asked[] = {
		"How do I make a reservation for the covid vaccine?", "When can I start booking?",
		"I need to change my appointment date", "How to cancel my booking?",
		"I lost my vaccination voucher", "What should I bring on the day?", "How much does it cost?",
		"is it free??", "Side effects?", "Can I take painkillers after the shot?",
		"I'm pregnant. is vaccine safe for baby?", "vaccination certificate for travel",
		"Can my kid get the vaccine?", "How long between doses?", "Which vaccine will I get?",
	};
	int answered = 0, offered = 0;
	for (size_t i = 0; i < sizeof asked / sizeof *asked; i++) {
		const char *got = fixture_ask(bot, asked[i]);
		if (!strncmp(got, "answer", 6))
			fprintf(stderr, "    %s: %s\n", asked[i], got);
		answered += !strncmp(got, "answer", 6);
		offered += !strncmp(got, "clarify", 7);
	}
	CHECK(answered == 0);
	CHECK(offered > 0);
	kb_without_alternates_end(chatbot_kb(bot));
	fixture_sample_bot_close(bot);
}
