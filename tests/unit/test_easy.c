/* やさしい日本語 and furigana as a resident meets them: the short answer in
 * plain Japanese staff write, through import, export and an older database;
 * readings over the kanji of what the bot says, the town's words read as
 * the town reads them. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"
#include "chatbot/chatbot_int.h"
#include "chatbot/town_int.h"

#include <jansson.h>
#include <malloc.h>
#include <sqlite3.h>
#include <stdlib.h>

static const char EASY_CSV[] =
	"id,slug,question,answer,answer_easy,question_en,answer_en\n"
	"1,ticket-lost,接種券をなくしました,接種券は再発行できます。{{call_center_phone}}へお電話ください。,"
	"\"接種券を なくしても 大丈夫です。\n電話して ください（{{call_center_phone}}）。\",I lost my ticket,Call us.\n"
	"2,cost,接種の費用はいくらですか,自己負担は3500円です。,,How much is it?,3500 yen.\n";

/* The entry's member key as the resident gets it, or "" when it is not there. */
static const char *entry_member(struct chatbot *bot, const char *id, const char *lang, const char *key)
{
	static char out[1024];
	char err[MG_ERR_LEN];
	json_t *e = NULL;
	out[0] = 0;
	if (chatbot_entry(bot, id, lang, 0, &e, err) == MG_OK) {
		const char *s = json_string_value(json_object_get(e, key));
		snprintf(out, sizeof out, "%s", s ? s : "");
	}
	json_decref(e);
	return out;
}

TEST(easy, the_plain_answer_goes_through_import_and_export)
{
	struct chatbot *bot = fixture_bot("easy1.db");
	char err[MG_ERR_LEN];
	struct kb_import_opts o = {.placeholder = town_has_fact, .facts = (void *)fixture_town()};
	int n = 0;
	REQUIRE(kb_import(chatbot_kb(bot), EASY_CSV, sizeof EASY_CSV - 1, "faq.csv", &o, &n, err) == MG_OK);
	/* a resident reading Japanese gets it, placeholders filled in; English gets none */
	CHECK_STR(entry_member(bot, "1", "ja", "answer_easy"),
		  "接種券を なくしても 大丈夫です。\n電話して ください（0120-111-111）。");
	CHECK_STR(entry_member(bot, "1", "en", "answer_easy"), "");
	CHECK_STR(entry_member(bot, "2", "ja", "answer_easy"), "");  /* none written: none shown */

	size_t len;
	char *csv = fixture_export(bot, "easy-export.csv", &len);
	REQUIRE(csv);
	CHECK(strstr(csv, ",answer_easy,") != NULL);
	CHECK(strstr(csv, "\"接種券を なくしても 大丈夫です。\n電話して ください（{{call_center_phone}}）。\"") != NULL);
	/* the export, imported again, gives the same short answer */
	CHECK(kb_import(chatbot_kb(bot), csv, len, "export.csv", &o, &n, err) == MG_OK);
	CHECK(strstr(entry_member(bot, "1", "ja", "answer_easy"), "大丈夫です") != NULL);
	free(csv);

	/* an unknown placeholder in it is refused like one in the answer */
	static const char bad[] = "question,answer,answer_easy\n費用は,3500円です。,{{no_such_fact}}です。\n";
	CHECK(kb_import(chatbot_kb(bot), bad, sizeof bad - 1, "bad.csv", &o, &n, err) == MG_ERR_INPUT);
	CHECK(strstr(entry_member(bot, "1", "ja", "answer_easy"), "大丈夫です") != NULL);
	fixture_bot_close(bot);
}

/* A database written before answer_easy existed (schema 5) opens, keeps its
 * entries and answers, and takes the new column. */
TEST(easy, a_database_from_before_the_plain_answer_opens)
{
	const char *path = fixture_path("easy-old.db");
	sqlite3 *db = NULL;
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db,
		"CREATE TABLE kb_meta(key TEXT PRIMARY KEY, value);"
		"INSERT INTO kb_meta VALUES('schema', 5), ('generation', 3), ('instance', 'old');"
		"CREATE TABLE kb_entries(id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL UNIQUE,"
		"  slug TEXT NOT NULL DEFAULT '', category TEXT NOT NULL DEFAULT '',"
		"  route TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'published',"
		"  question TEXT NOT NULL, answer TEXT NOT NULL,"
		"  question_en TEXT NOT NULL DEFAULT '', answer_en TEXT NOT NULL DEFAULT '',"
		"  alt_questions TEXT NOT NULL DEFAULT '', keywords TEXT NOT NULL DEFAULT '',"
		"  valid_from TEXT NOT NULL DEFAULT '', valid_to TEXT NOT NULL DEFAULT '',"
		"  url TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL);"
		"CREATE TABLE kb_synonyms(variant TEXT PRIMARY KEY, canonical TEXT NOT NULL);"
		"INSERT INTO kb_entries(ext_id, slug, question, answer, updated_at) VALUES"
		"  ('9', 'parking', '駐車場はありますか', '無料の駐車場があります。', '2025-01-01T00:00:00Z');",
		NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);

	struct chatbot *bot = NULL;
	char err[MG_ERR_LEN];
	REQUIRE(chatbot_open(&bot, path, fixture_model(), fixture_town(), err) == MG_OK);
	CHECK_STR(fixture_ask(bot, "駐車場はありますか"), "answer parking");
	CHECK_STR(entry_member(bot, "9", "ja", "answer"), "無料の駐車場があります。");
	CHECK_STR(entry_member(bot, "9", "ja", "answer_easy"), "");
	CHECK(mg_db_schema_version(kb_db(chatbot_kb(bot)), "kb") == kb_schema.nsteps);
	static const char more[] = "id,question,answer,answer_easy\n9,駐車場はありますか,無料の駐車場があります。,"
				   "車を 止める ところが あります。お金は いりません。\n";
	struct kb_import_opts o = {0};
	int n = 0;
	CHECK(kb_import(chatbot_kb(bot), more, sizeof more - 1, "faq.csv", &o, &n, err) == MG_OK);
	CHECK_STR(entry_member(bot, "9", "ja", "answer_easy"), "車を 止める ところが あります。お金は いりません。");
	chatbot_close(bot);
}

/* The segments of ruby.key in j, written a|b(r)|c; "" when there are none. */
static const char *ruby_text(json_t *j, const char *key)
{
	static char out[8192];
	size_t w = 0;
	json_t *segs = json_object_get(json_object_get(j, "ruby"), key), *s;
	size_t i;
	out[0] = 0;
	json_array_foreach(segs, i, s) {
		const char *r = json_string_value(json_object_get(s, "r"));
		w += (size_t)snprintf(out + w, sizeof out - w, "%s%s", i ? "|" : "",
				      json_string_value(json_object_get(s, "t")));
		if (r && w < sizeof out)
			w += (size_t)snprintf(out + w, sizeof out - w, "(%s)", r);
		if (w >= sizeof out)
			break;
	}
	return out;
}

/* The texts of the segments, joined: what the resident reads under the ruby. */
static int ruby_is_text(json_t *j, const char *key)
{
	json_t *segs = json_object_get(json_object_get(j, "ruby"), key), *s;
	const char *text = json_string_value(json_object_get(j, key));
	size_t i, at = 0;
	if (!text || !json_array_size(segs))
		return 0;
	json_array_foreach(segs, i, s) {
		const char *t = json_string_value(json_object_get(s, "t"));
		if (!t || strncmp(text + at, t, strlen(t)))
			return 0;
		at += strlen(t);
	}
	return text[at] == 0;
}

TEST(easy, an_edited_answer_is_read_anew)
{
	/* The same thread shows an entry with furigana, staff change its answer
	 * on another connection, and the resident's next look reads the new
	 * text: nothing kept from the old one. */
	struct chatbot *bot = fixture_sample_bot("easy-ruby-edit.db");
	char err[MG_ERR_LEN];
	json_t *e = NULL;
	REQUIRE(chatbot_entry(bot, "122", "ja", 1, &e, err) == MG_OK);
	CHECK(ruby_is_text(e, "answer"));
	json_decref(e);
	REQUIRE(chatbot_entry(bot, "122", "ja", 1, &e, err) == MG_OK);  /* the kept one */
	CHECK(ruby_is_text(e, "answer"));
	CHECK(strstr(ruby_text(e, "answer"), "町立病院(ちょうりつびょういん)") != NULL);
	json_decref(e);

	struct kb *staff = NULL;
	REQUIRE(kb_open(&staff, fixture_path("easy-ruby-edit.db"), fixture_model(), err) == MG_OK);
	struct kb_entry ent;
	REQUIRE(kb_entry_get(staff, 0, "122", &ent, err) == MG_OK);
	char *old = ent.answer;
	ent.answer = "会場は東公民館に変わりました。";
	CHECK(kb_entry_put(staff, &ent, NULL, NULL, err) == MG_OK);
	ent.answer = old;
	kb_entry_clear(&ent);
	kb_close(staff);

	REQUIRE(chatbot_entry(bot, "122", "ja", 1, &e, err) == MG_OK);
	CHECK(ruby_is_text(e, "answer"));
	CHECK(strstr(ruby_text(e, "answer"), "会場(かいじょう)") != NULL);
	CHECK(strstr(ruby_text(e, "answer"), "町立病院") == NULL);
	json_decref(e);
	fixture_sample_bot_close(bot);
}

TEST(easy, furigana_over_the_answer_the_choices_and_the_towns_words)
{
	struct chatbot *bot = fixture_sample_bot("easy-ruby.db");
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	struct ask_opts o = {.no_log = 1, .ruby = 1};
	const char *q = "接種券をなくしてしまいました。再発行できますか";
	REQUIRE(chatbot_ask(bot, q, strlen(q), &o, &r, err) == MG_OK);
	json_t *a = json_object_get(r, "answer");
	REQUIRE(json_is_object(a));
	CHECK(ruby_is_text(a, "answer") && ruby_is_text(a, "question") && ruby_is_text(a, "answer_easy"));
	CHECK(strstr(ruby_text(a, "answer_easy"), "接種券(せっしゅけん)|を なくしても |大丈夫(だいじょうぶ)|です。") != NULL);
	CHECK(strstr(ruby_text(a, "question"), "再発行(さいはっこう)|できますか？") != NULL);
	CHECK(strstr(ruby_text(json_array_get(json_object_get(r, "candidates"), 0), "question"),
		     "接種券(せっしゅけん)") != NULL);
	json_decref(r);

	/* みどり町 is みどりちょう (town.json "readings"), which MeCab reads まち */
	json_t *e = NULL;
	REQUIRE(chatbot_entry(bot, "122", "ja", 1, &e, err) == MG_OK);
	CHECK(ruby_is_text(e, "answer"));
	CHECK(strstr(ruby_text(e, "answer"), "みどり|町中央公民館(ちょうちゅうおうこうみんかん)") != NULL);
	/* the hospital is the town's (ちょうりつ), not read as 町 + 立病院 */
	CHECK(strstr(ruby_text(e, "answer"), "町立病院(ちょうりつびょういん)") != NULL);
	CHECK(strstr(ruby_text(e, "answer"), "みどり|町(まち)") == NULL);
	json_decref(e);

	/* without asking, and in English, no ruby */
	REQUIRE(chatbot_entry(bot, "122", "ja", 0, &e, err) == MG_OK);
	CHECK(!json_object_get(e, "ruby"));
	json_decref(e);
	REQUIRE(chatbot_entry(bot, "122", "en", 1, &e, err) == MG_OK);
	CHECK(!json_object_get(e, "ruby"));
	json_decref(e);
	fixture_sample_bot_close(bot);
}

TEST(easy, a_towns_reading_that_is_not_kana_is_refused_with_its_word)
{
	size_t len;
	char *base = fixture_read("tests/unit/data/town.json", &len);
	REQUIRE(base && base[0] == '{');
	const char *path = fixture_path("town-readings.json");
	struct town *t = NULL;
	char err[MG_ERR_LEN];
	static const char *const readings[] = {
		"{\"readings\": {\"東町\": \"ひがしちょう\"},", "{\"readings\": {\"東町\": \"higashi-cho\"},",
		"{\"readings\": [\"東町\"],",
	};
	for (int i = 0; i < 3; i++) {
		FILE *f = fopen(path, "w");
		REQUIRE(f);
		fprintf(f, "%s%s", readings[i], base + 1);
		fclose(f);
		int rc = town_load(path, &t, err);
		if (i == 0) {
			CHECK(rc == MG_OK);
			town_free(t);
		} else {
			CHECK(rc == MG_ERR_INPUT && t == NULL);
			CHECK(strstr(err, "readings") != NULL);
		}
		if (i == 1)
			CHECK(strstr(err, "readings.東町: the reading of '東町' is not in hiragana") != NULL);
	}
	free(base);
}

/* jansson's live bytes while counting (json_set_alloc_funcs). */
static long long json_live;

static void *counting_malloc(size_t n)
{
	void *p = malloc(n);
	if (p)
		json_live += (long long)malloc_usable_size(p);
	return p;
}

static void counting_free(void *p)
{
	if (p)
		json_live -= (long long)malloc_usable_size(p);
	free(p);
}

/* The furigana cache is capped in bytes (POLICY_RUBY_CACHE_BYTES): what it
 * counts for the texts it keeps must be what they hold. Every entry of the
 * sample knowledge base shown with ruby, jansson's allocations counted
 * meanwhile: the cache's own count is within a fifth of them, and the
 * sample fits under the cap (the figures policy.h cites). */
TEST(easy, the_furigana_cache_counts_the_memory_it_holds)
{
	struct chatbot *bot = fixture_sample_bot("ruby-bytes.db");
	char err[MG_ERR_LEN];
	sqlite3_stmt *st = NULL;
	REQUIRE(sqlite3_prepare_v2(kb_db(chatbot_kb(bot)), "SELECT ext_id FROM kb_entries WHERE status='published'",
				   -1, &st, NULL) == SQLITE_OK);
	json_set_alloc_funcs(counting_malloc, counting_free);
	int shown = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *out = NULL;
		if (chatbot_entry(bot, (const char *)sqlite3_column_text(st, 0), "ja", 1, &out, err) == MG_OK)
			shown++;
		json_decref(out);
	}
	long long real = json_live;
	size_t counted = bot->ruby_bytes, texts = json_object_size(bot->ruby_cache);
	json_decref(bot->ruby_cache);
	bot->ruby_cache = NULL;
	long long left = json_live;
	json_set_alloc_funcs(malloc, free);
	sqlite3_finalize(st);
	fprintf(stderr, "    %d entries shown with ruby: %zu texts kept, %lld bytes allocated, %zu counted (%lld left after)\n",
		shown, texts, real, counted, left);
	CHECK(shown > 90 && texts > 150);
	CHECK(left == 0);  /* the count saw every byte the cache held */
	CHECK((double)counted > 0.8 * (double)real && (double)counted < 1.2 * (double)real);
	CHECK(counted < POLICY_RUBY_CACHE_BYTES);
	fixture_sample_bot_close(bot);
}
