/* The knowledge base as staff meet it: what import accepts, what it refuses
 * (with the line), that nothing is half-imported, and that export
 * round-trips. And search as residents meet it. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"
#include "tests/unit/verbs.h"
#include "chatbot/events.h"
#include "chatbot/policy.h"
#include "chatbot/town_int.h"
#include "kb/kb_int.h"
#include "nlp/buf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct bad_rows {
	int lines[16];
	int n;
	char last[MG_ERR_LEN];
};

static void record(void *ctx, int line, const char *message)
{
	struct bad_rows *b = ctx;
	if (b->n < 16)
		b->lines[b->n++] = line;
	snprintf(b->last, sizeof b->last, "%s", message);
}

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int import_text(struct chatbot *bot, const char *text, int append, struct bad_rows *b, char *err)
{
	int n = 0;
	struct kb_import_opts o = {.append = append, .report = record, .ctx = b};
	int rc = kb_import(chatbot_kb(bot), text, strlen(text), "test.csv", &o, &n, err);
	return rc == MG_OK ? n : -rc;
}

static int64_t entries(struct chatbot *bot)
{
	int64_t n = -1;
	kb_count(chatbot_kb(bot), &n, NULL);
	return n;
}

TEST(kb, a_file_with_only_id_question_answer_loads)
{
	struct chatbot *bot = fixture_bot("kb1.db");
	char err[MG_ERR_LEN];
	struct bad_rows b = {0};
	CHECK(import_text(bot, "id,question,answer\n7,会場に駐車場はありますか,あります。\n", 0, &b, err) == 1);
	CHECK(entries(bot) == 1);  /* import replaces the whole knowledge base */
	CHECK_STR(fixture_ask(bot, "駐車場ある？"), "answer -");
	json_t *e = NULL;
	CHECK(chatbot_entry(bot, "7", "ja", 0, &e, err) == MG_OK);  /* the external id is kept */
	json_decref(e);
	fixture_bot_close(bot);
}

TEST(kb, bad_rows_are_reported_by_line_and_nothing_is_imported)
{
	struct chatbot *bot = fixture_bot("kb2.db");
	int64_t before = entries(bot);
	char err[MG_ERR_LEN];
	struct bad_rows b = {0};
	const char *csv =
		"id,slug,route,question,answer,valid_to\n"
		"10,ok-row,none,正しい質問,正しい答え,\n"           /* line 2: fine */
		"11,Bad Slug,none,質問,答え,\n"                     /* line 3: slug */
		"12,x,nowhere,質問,答え,\n"                          /* line 4: route */
		"13,x,none,\"複数行の\n質問\",答え,2026-02-30\n"    /* lines 5-6: date */
		"14,x,none,,答え,\n"                                /* line 7: empty question */
		"15,x,none,質問,答え\n"                              /* line 8: a field short */
		"10,x,none,質問,答え,\n";                            /* line 9: id again */
	CHECK(import_text(bot, csv, 0, &b, err) == -MG_ERR_INPUT);
	REQUIRE(b.n == 6);
	qsort(b.lines, (size_t)b.n, sizeof *b.lines, int_cmp);  /* field counts are found first */
	CHECK(b.lines[0] == 3);
	CHECK(b.lines[1] == 4);
	CHECK(b.lines[2] == 5);
	CHECK(b.lines[3] == 7);
	CHECK(b.lines[4] == 8);
	CHECK(b.lines[5] == 9);
	CHECK(strstr(err, "6 bad rows") != NULL);
	CHECK(entries(bot) == before);  /* the old knowledge base is untouched */
	CHECK_STR(fixture_ask(bot, "接種券をなくしました"), "answer ticket-lost");
	fixture_bot_close(bot);
}

TEST(kb, malformed_quotes_and_missing_columns_are_refused)
{
	struct chatbot *bot = fixture_bot("kb3.db");
	char err[MG_ERR_LEN];
	struct bad_rows b = {0};
	CHECK(import_text(bot, "id,question\n1,質問だけ\n", 0, &b, err) == -MG_ERR_INPUT);
	CHECK(strstr(err, "answer") != NULL);
	b.n = 0;
	CHECK(import_text(bot, "question,answer\n\"閉じない引用,答え\n", 0, &b, err) == -MG_ERR_INPUT);
	CHECK(b.n >= 1 && b.lines[0] == 2);
	CHECK(import_text(bot, "", 0, &b, err) == -MG_ERR_INPUT);
	CHECK(entries(bot) == 6);
	fixture_bot_close(bot);
}

/* "question,answer" and a line of its cells, each followed by empty cells up to
 * column ncols, as Excel saves a sheet whose used range is wider than the data. */
static char *wide_csv(int ncols, const char *const *lines, int nlines)
{
	size_t cap = (size_t)(nlines + 1) * ((size_t)ncols + 256), at = 0;
	char *csv = malloc(cap);
	for (int l = -1; csv && l < nlines; l++) {
		const char *cells = l < 0 ? "question,answer" : lines[l];
		int commas = 0;
		for (const char *c = cells; *c; c++)
			commas += *c == ',';
		at += (size_t)snprintf(csv + at, cap - at, "%s", cells);
		for (int c = commas + 1; c < ncols; c++)
			csv[at++] = ',';
		csv[at++] = '\n';
		csv[at] = 0;
	}
	return csv;
}

TEST(kb, excel_trailing_empty_columns_load)
{
	/* 200 columns, all but two empty, and a row of empty cells at the end:
	 * it used to crash the import, and the server with it. */
	struct chatbot *bot = fixture_bot("kb-wide.db");
	char err[MG_ERR_LEN] = "";
	struct bad_rows b = {0};
	const char *lines[] = {"会場に駐車場はありますか,あります。", "接種券をなくしました,再発行します。", ""};
	char *csv = wide_csv(200, lines, 3);
	REQUIRE(csv);
	CHECK(import_text(bot, csv, 0, &b, err) == 2);
	CHECK(b.n == 0);
	CHECK(entries(bot) == 2);
	CHECK_STR(fixture_ask(bot, "駐車場ある？"), "answer -");
	free(csv);
	fixture_bot_close(bot);
}

/* Imports len bytes of csv expecting a refusal: the message staff read holds
 * want, the first bad row is reported on line, and no entry has changed. */
static void check_refused(struct chatbot *bot, const char *csv, size_t len, const char *want, int line)
{
	int64_t before = entries(bot);
	char err[MG_ERR_LEN] = "";
	struct bad_rows b = {0};
	struct kb_import_opts o = {.report = record, .ctx = &b};
	int n = -1;
	CHECK(kb_import(chatbot_kb(bot), csv, len, "test.csv", &o, &n, err) == MG_ERR_INPUT);
	if (!strstr(err, want)) {
		char m[2 * MG_ERR_LEN];
		snprintf(m, sizeof m, "\"%s\" is not in \"%s\"", want, err);
		test_fail(__FILE__, __LINE__, m);
	}
	CHECK(b.n >= 1 && b.lines[0] == line);
	CHECK(n == 0);
	CHECK(entries(bot) == before);
}

TEST(kb, a_value_past_the_columns_is_refused_with_its_line)
{
	struct chatbot *bot = fixture_bot("kb-extra.db");
	/* Line 3 has a value in column 150, past the cap of columns read. */
	char third[512] = "質問二,答え二";
	for (int c = 3; c <= 150; c++)
		strcat(third, ",");
	strcat(third, "x");
	char *csv = wide_csv(200, (const char *const[]){"質問,答え", third}, 2);
	REQUIRE(csv);
	check_refused(bot, csv, strlen(csv),
		      "test.csv: line 3: a value in column 150, but the header has 2 columns", 3);
	free(csv);
	/* Within the cap, a value right of the header's last name is refused too. */
	const char *within = "question,answer,,\n質問,答え,,\n質問,答え,,余分\n";
	check_refused(bot, within, strlen(within), "line 3: a value in column 4, but the header has 2 columns", 3);
	/* A header naming a column past the cap. */
	char head[1024] = "";
	for (int c = 1; c <= 70; c++)
		snprintf(head + strlen(head), sizeof head - strlen(head), "%s%s",
			 c == 1 ? "question" : c == 2 ? ",answer" : ",", c == 70 ? "note" : "");
	strcat(head, "\n質問,答え\n");
	check_refused(bot, head, strlen(head), "line 1: column 70 has a name, but at most 64 columns are read", 1);
	CHECK_STR(fixture_ask(bot, "接種券をなくしました"), "answer ticket-lost");
	fixture_bot_close(bot);
}

TEST(kb, a_column_named_twice_is_refused_on_the_header_line)
{
	/* Found by fuzz_kb_import: the second column's cells were kept over the
	 * first's, which leaked (seen by the sanitizer run's leak check). */
	struct chatbot *bot = fixture_bot("kb-twice.db");
	const char *csv = "question,answer,answer\n質問,答え一,答え二\n";
	check_refused(bot, csv, strlen(csv), "test.csv: line 1: column 'answer' appears twice", 1);
	fixture_bot_close(bot);
}

TEST(kb, a_nul_byte_in_a_field_is_refused_with_its_line)
{
	struct chatbot *bot = fixture_bot("kb-nul.db");
	static const char csv[] = "question,answer\n質問,答え\n接種券,再発行\0します\n";
	check_refused(bot, csv, sizeof csv - 1, "test.csv: line 3: column 2 holds a NUL byte", 3);
	fixture_bot_close(bot);
}

TEST(kb, cp932_bom_and_tsv_files_load)
{
	struct chatbot *bot = fixture_bot("kb4.db");
	char err[MG_ERR_LEN];
	struct bad_rows b = {0};
	/* 接種券 in CP932 */
	const char cp932[] = "question,answer\n\x90\xda\x8e\xed\x8c\x94,\x8d\xc4\x94\xad\x8d\x73\n";
	CHECK(import_text(bot, cp932, 0, &b, err) == 1);
	json_t *e = NULL;
	CHECK(chatbot_entry(bot, "1", "ja", 0, &e, err) == MG_OK);
	CHECK_STR(json_string_value(json_object_get(e, "question")), "接種券");
	CHECK_STR(json_string_value(json_object_get(e, "answer")), "再発行");
	json_decref(e);
	CHECK(import_text(bot, "\xef\xbb\xbfid\tquestion\tanswer\n5\t会場の場所\t駅前です\n", 0, &b, err) == 1);
	CHECK(chatbot_entry(bot, "5", "ja", 0, &e, err) == MG_OK);
	json_decref(e);
	fixture_bot_close(bot);
}

TEST(kb, cp932_half_width_katakana_loads)
{
	/* One byte in CP932, three in UTF-8: an answer written in half-width
	 * katakana must load whole. */
	struct chatbot *bot = fixture_bot("kb4k.db");
	char err[MG_ERR_LEN], csv[512] = "question,answer\n\x90\xda\x8e\xed\x8c\x94,", want[512] = "";
	struct bad_rows b = {0};
	for (int i = 0; i < 24; i++) {
		strcat(csv, "\xdc\xb8\xc1\xdd");  /* ﾜｸﾁﾝ */
		strcat(want, "ﾜｸﾁﾝ");
	}
	strcat(csv, "\n");
	CHECK(import_text(bot, csv, 0, &b, err) == 1);
	json_t *e = NULL;
	CHECK(chatbot_entry(bot, "1", "ja", 0, &e, err) == MG_OK);
	CHECK_STR(json_string_value(json_object_get(e, "answer")), want);
	json_decref(e);
	fixture_bot_close(bot);
}

TEST(kb, append_adds_and_refuses_a_taken_id)
{
	struct chatbot *bot = fixture_bot("kb5.db");
	char err[MG_ERR_LEN];
	struct bad_rows b = {0};
	CHECK(import_text(bot, "id,question,answer\n50,会場に駐車場はありますか,あります\n", 1, &b, err) == 1);
	CHECK(entries(bot) == 7);
	CHECK(import_text(bot, "id,question,answer\n1,同じid,答え\n", 1, &b, err) == -MG_ERR_CONFLICT);
	CHECK(entries(bot) == 7);
	fixture_bot_close(bot);
}

TEST(kb, unknown_placeholders_are_refused)
{
	struct chatbot *bot = fixture_bot("kb6.db");
	char err[MG_ERR_LEN];
	int n;
	const char *csv = "question,answer\n電話番号は,{{no_such_fact}}へ\n";
	struct kb_import_opts o = {.placeholder = town_has_fact, .facts = (void *)fixture_town()};
	CHECK(kb_import(chatbot_kb(bot), csv, strlen(csv), "t.csv", &o, &n, err) == MG_ERR_INPUT);
	CHECK(strstr(err, "no_such_fact") != NULL);
	fixture_bot_close(bot);
}

TEST(kb, export_round_trips_through_import)
{
	struct chatbot *bot = fixture_bot("kb7.db");
	char err[MG_ERR_LEN];
	const char *path1 = fixture_path("export1.csv"), *path2 = fixture_path("export2.csv");
	FILE *f = fopen(path1, "wb");
	REQUIRE(f);
	CHECK(kb_export(chatbot_kb(bot), f, err) == MG_OK);
	fclose(f);
	size_t len1, len2;
	char *one = fixture_read(path1, &len1);
	CHECK(len1 > 3 && !memcmp(one, "\xef\xbb\xbf", 3));  /* Excel's BOM */
	struct kb_import_opts o = {0};
	int n = 0;
	CHECK(kb_import(chatbot_kb(bot), one, len1, "export1.csv", &o, &n, err) == MG_OK);
	CHECK(n == 6);
	f = fopen(path2, "wb");
	REQUIRE(f);
	CHECK(kb_export(chatbot_kb(bot), f, err) == MG_OK);
	fclose(f);
	char *two = fixture_read(path2, &len2);
	CHECK(len1 == len2 && !memcmp(one, two, len1));
	free(one);
	free(two);
	fixture_bot_close(bot);
}

/* A resident's question added as an alternate may start like a formula: in
 * the export Excel shows it as text, and it imports back exactly as it was. */
TEST(kb, export_cells_excel_would_run_are_marked_and_import_back_as_they_were)
{
	struct chatbot *bot = fixture_bot("kb7x.db");
	char err[MG_ERR_LEN];
	static const char csv[] =
		"id,slug,category,route,question,answer,alt_questions\n"
		"1,cost,cost,call_center,\"=HYPERLINK(\"\"http://x.example\"\")\",\"- 接種券\n- 本人確認書類\","
		"@SUM(A1)|'quoted|+81 の番号\n";
	struct kb_import_opts o = {0};
	int n = 0;
	REQUIRE(kb_import(chatbot_kb(bot), csv, strlen(csv), "f.csv", &o, &n, err) == MG_OK);
	size_t len;
	char *out = fixture_export(bot, "formula.csv", &len);
	REQUIRE(out);
	CHECK(strstr(out, "\"'=HYPERLINK(") != NULL);
	CHECK(strstr(out, "\"'@SUM(A1)|'quoted|+81") != NULL);  /* a cell's start only */
	CHECK(strstr(out, "\"'- 接種券") != NULL);
	CHECK(kb_import(chatbot_kb(bot), out, len, "formula.csv", &o, &n, err) == MG_OK);
	struct kb_entry e;
	REQUIRE(kb_entry_get(chatbot_kb(bot), 0, "1", &e, err) == MG_OK);
	CHECK_STR(e.question, "=HYPERLINK(\"http://x.example\")");
	CHECK_STR(e.answer, "- 接種券\n- 本人確認書類");
	kb_entry_clear(&e);
	free(out);
	fixture_bot_close(bot);
}

TEST(kb, expired_and_draft_entries_are_never_found)
{
	struct chatbot *bot = fixture_bot("kb8.db");
	CHECK(strncmp(fixture_ask(bot, "春の集団接種の予約"), "answer old-campaign", 19) != 0);
	char err[MG_ERR_LEN];
	struct bad_rows b = {0};
	CHECK(import_text(bot, "id,status,question,answer\n1,draft,会場に駐車場はありますか,下書き\n"
			       "2,published,接種券をなくしました,再発行します\n", 0, &b, err) == 2);
	CHECK_STR(fixture_ask(bot, "会場に駐車場はありますか"), "handoff -");
	json_t *e = NULL;
	CHECK(chatbot_entry(bot, "1", "ja", 0, &e, err) == MG_ERR_NOT_FOUND);
	fixture_bot_close(bot);
}

/* Entries that say the same thing score the same: a resident asking twice,
 * or with more entries matched, must be offered them in one order, the
 * staff's (the order of the file). A search orders its few candidates by
 * insertion and leave-one-out's or a deep search's many by qsort, and the
 * first stage keeps its best from a heap: each must break ties alike. */
TEST(kb, entries_that_tie_are_offered_in_the_files_order_however_many_match)
{
	struct chatbot *bot = fixture_bot("kbtie.db");
	char err[MG_ERR_LEN], today[11];
	fixture_today(today);
	struct mg_buf csv = MG_BUF_INIT(1 << 20);
	char line[128];
	mg_buf_add(&csv, "id,slug,question,answer\n", strlen("id,slug,question,answer\n"));
	/* the tied entries' word in under a quarter of the entries, so the
	 * first stage keeps it */
	for (int i = 0; i < 320; i++) {
		int len = i < 70 ? snprintf(line, sizeof line, "%d,tie-%d,会場に駐車場はありますか,あります。\n", 1000 + i, i)
				 : snprintf(line, sizeof line, "%d,other-%d,接種券をなくしました,再発行します。\n", 2000 + i, i);
		mg_buf_add(&csv, line, (size_t)len);
	}
	struct bad_rows b = {0};
	REQUIRE(csv.p && import_text(bot, csv.p, 0, &b, err) == 320);
	mg_buf_free(&csv);
	struct kb_weights deep = POLICY_WEIGHTS;
	deep.depth = 100;  /* all 70 second-stage candidates: more than KB_SORT_INSERT */
	const struct kb_weights *ws[] = {&POLICY_WEIGHTS, &deep, &POLICY_FLOOR_WEIGHTS};
	for (int k = 0; k < 3; k++) {
		struct kb_candidate c[10];
		struct kb_query_stats qs;
		int n = 0;
		struct kb_search_opts so = {ws[k], today, NULL};
		const char *q = "駐車場はありますか";
		CHECK(kb_search(chatbot_kb(bot), q, strlen(q), &so, c, 10, &n, &qs, err) == MG_OK);
		CHECK(n == 10);
		for (int i = 0; i < n; i++) {
			char want[16];
			snprintf(want, sizeof want, "%d", 1000 + i);
			CHECK_STR(c[i].id, want);
		}
	}
	fixture_bot_close(bot);
}

TEST(kb, synonyms_connect_residents_words_to_entries)
{
	struct chatbot *bot = fixture_bot("kb9.db");
	/* クーポン券 and 副作用 appear in no entry; the synonym list maps them. */
	CHECK_STR(fixture_ask(bot, "クーポン券が来ない"), "answer ticket-not-arrived");
	CHECK(strstr(fixture_ask(bot, "副作用が心配"), "side-effects-common") != NULL);
	CHECK(strstr(fixture_ask(bot, "予約を取り消し"), "booking-cancel") != NULL);
	fixture_bot_close(bot);
}

/* A town's FAQ written in Japanese only still meets an English question:
 * JMdict/EDICT (Debian's edict) says which Japanese words its words gloss. */
TEST(kb, an_english_question_finds_a_japanese_only_entry)
{
	struct chatbot *bot = fixture_bot("kb_en.db");
	char err[MG_ERR_LEN];
	struct bad_rows b = {0};
	CHECK(import_text(bot, "id,slug,question,answer\n"
			       "1,cost,接種の費用はいくらですか,自己負担は3500円です。\n"
			       "2,parking,会場に駐車場はありますか,あります。\n"
			       "3,ticket-lost,接種券をなくしました,再発行します。\n", 0, &b, err) == 3);
	const char *r = fixture_ask(bot, "How much does the vaccination cost?");
	CHECK(!strcmp(r, "answer cost") || !strcmp(r, "clarify cost") || !strcmp(r, "handoff cost"));
	r = fixture_ask(bot, "Where is the venue?");
	CHECK(!strcmp(r, "answer parking") || !strcmp(r, "clarify parking") || !strcmp(r, "handoff parking"));
	fixture_bot_close(bot);
}

/* The server's worker threads each have a connection; they share one model
 * of the index per generation, and an edit made on one is searched by all. */
TEST(kb, connections_to_one_database_share_its_model_and_see_each_edit)
{
	char err[MG_ERR_LEN];
	struct chatbot *a = fixture_bot("shared.db"), *b = NULL;
	REQUIRE(chatbot_open(&b, fixture_path("shared.db"), fixture_model(), fixture_town(), err) == MG_OK);
	CHECK_STR(fixture_ask(a, "接種券をなくしました"), "answer ticket-lost");
	CHECK_STR(fixture_ask(b, "接種券をなくしました"), "answer ticket-lost");
	CHECK(chatbot_kb(a)->model == chatbot_kb(b)->model);
	struct kb_entry e = {.id = "7", .slug = "day-parking", .question = "会場に駐車場はありますか",
			     .answer = "体育館の北側に50台分あります。", .alt_questions = "車で行ってもいい？"};
	CHECK(kb_entry_put(chatbot_kb(a), &e, NULL, NULL, err) == MG_OK);
	CHECK_STR(fixture_ask(b, "車で行っても大丈夫？"), "answer day-parking");
	fixture_ask(a, "駐車場");
	CHECK(chatbot_kb(a)->model == chatbot_kb(b)->model);
	chatbot_close(b);
	fixture_bot_close(a);
}

static int synonyms_import(struct chatbot *bot, const char *data, size_t len, char *err)
{
	int groups = -1;
	int rc = kb_import_synonyms(chatbot_kb(bot), data, len, "synonyms.tsv", &groups, err);
	return rc == MG_OK ? groups : -rc;
}

TEST(kb, an_empty_synonyms_file_is_refused_and_the_list_kept)
{
	struct chatbot *bot = fixture_bot("kb-syn-empty.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	int before = fixture_count(db, "SELECT count(*) FROM kb_synonyms");
	REQUIRE(before > 0);
	char err[MG_ERR_LEN] = "";
	/* Nothing at all (an upload of no bytes), then only comments and blank lines. */
	CHECK(synonyms_import(bot, NULL, 0, err) == -MG_ERR_INPUT);
	CHECK(strstr(err, "synonyms.tsv: no synonyms in the file, the list is unchanged") != NULL);
	CHECK(synonyms_import(bot, "# synonyms\r\n\r\n\n", 15, err) == -MG_ERR_INPUT);
	CHECK(strstr(err, "no synonyms in the file") != NULL);
	CHECK(fixture_count(db, "SELECT count(*) FROM kb_synonyms") == before);
	/* The words only the synonyms connect still find their entries. */
	CHECK_STR(fixture_ask(bot, "クーポン券が来ない"), "answer ticket-not-arrived");
	fixture_bot_close(bot);
}

TEST(kb, a_bad_synonyms_line_is_named_by_its_line)
{
	struct chatbot *bot = fixture_bot("kb-syn-bad.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	int before = fixture_count(db, "SELECT count(*) FROM kb_synonyms");
	char err[MG_ERR_LEN] = "";
	/* Blank lines count: the word without variants is on line 4. */
	static const char lone[] = "# synonyms\n副反応\t副作用\n\nワクチン\n";
	CHECK(synonyms_import(bot, lone, sizeof lone - 1, err) == -MG_ERR_INPUT);
	CHECK(strstr(err, "synonyms.tsv: line 4: a canonical word without variants") != NULL);
	/* A NUL byte would end the file there, silently dropping every line after it. */
	static const char nul[] = "副反応\t副作用\n接種券\tクーポン\0券\nキャンセル\t取り消し\n";
	CHECK(synonyms_import(bot, nul, sizeof nul - 1, err) == -MG_ERR_INPUT);
	CHECK(strstr(err, "synonyms.tsv: line 2: a NUL byte") != NULL);
	CHECK(fixture_count(db, "SELECT count(*) FROM kb_synonyms") == before);
	CHECK_STR(fixture_ask(bot, "クーポン券が来ない"), "answer ticket-not-arrived");
	fixture_bot_close(bot);
}

TEST(kb, an_alternate_question_is_added_once_and_taken_out_wherever_it_is)
{
	/* What the review queue's 「この質問を追加」 and its undo write. */
	static const struct {
		const char *alts, *q;
		int add, changed;
		const char *want;
	} cases[] = {
		{"", "予約したい", 1, 1, "予約したい"},
		{"予約の方法|予約したい", "予約したい", 1, 0, "予約の方法|予約したい"},
		{"予約の方法|予約の仕方", "予約したい", 1, 1, "予約の方法|予約の仕方|予約したい"},
		/* taken out first, in the middle, last: no bar left over */
		{"予約したい|予約の方法|予約の仕方", "予約したい", 0, 1, "予約の方法|予約の仕方"},
		{"予約の方法|予約したい|予約の仕方", "予約したい", 0, 1, "予約の方法|予約の仕方"},
		{"予約の方法|予約したい", "予約したい", 0, 1, "予約の方法"},
		/* a longer alternate that starts alike is another question */
		{"予約したいです|予約の方法", "予約したい", 0, 0, "予約したいです|予約の方法"},
		/* an empty question is never an alternate; empty items are dropped */
		{"予約の方法||予約の仕方", "", 1, 0, "予約の方法|予約の仕方"},
		/* listed twice (an old import): both go */
		{"予約したい|予約の方法|予約したい", "予約したい", 0, 1, "予約の方法"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int changed = -1;
		char *s = kb_alternates_edit(cases[i].alts, cases[i].q, cases[i].add, &changed);
		CHECK(s && changed == cases[i].changed);
		CHECK_STR(s, cases[i].want);
		free(s);
	}
}

static void count_loads(void *ctx)
{
	(*(int *)ctx)++;
}

/* 1 when the ask of question shows the entry with id (a candidate or the
 * answer); -1 when the ask fails. */
static int shows(struct chatbot *bot, const char *question, const char *id)
{
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	struct ask_opts o = {.no_log = 1};
	if (chatbot_ask(bot, question, strlen(question), &o, &r, err) != MG_OK)
		return -1;
	const char *answer = json_string_value(json_object_get(json_object_get(r, "answer"), "id"));
	int seen = answer && !strcmp(answer, id);
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(r, "candidates"), i, c)
		seen |= json_is_string(json_object_get(c, "id")) &&
			!strcmp(json_string_value(json_object_get(c, "id")), id);
	json_decref(r);
	return seen;
}

/* A server worker's connection, whose new models are loaded by another
 * (kb_set_loader): after another connection (the command line, the staff
 * pool) commits a change, its searches go on with the model it has, without
 * loading the new one, and ask for the load once; an entry deleted or
 * unpublished meanwhile is never shown; once another connection has loaded
 * the new model, the next search takes it. */
TEST(kb, searches_before_the_new_model_is_in_show_the_entries_as_they_are_now)
{
	struct chatbot *bot = fixture_bot("stale.db");
	struct kb *a = chatbot_kb(bot);
	int loads = 0;
	CHECK(kb_synonyms(a) != NULL);  /* its model is the fixture's import's */
	kb_set_loader(a, count_loads, &loads);
	CHECK(shows(bot, "接種券をなくしました", "1") == 1);
	CHECK(shows(bot, "接種券が届きません", "2") == 1);
	int64_t gen = kb_generation(a);
	CHECK(kb_fresh(a) && loads == 0);

	struct kb *b = NULL;
	char err[MG_ERR_LEN];
	REQUIRE(kb_open(&b, fixture_path("stale.db"), fixture_model(), err) == MG_OK);
	REQUIRE(kb_entry_delete(b, "1", err) == MG_OK);
	REQUIRE(kb_entry_set_status(b, "2", "draft", err) == MG_OK);
	/* b's change is committed; nobody has loaded its model */
	CHECK(shows(bot, "接種券をなくしました", "1") == 0);
	CHECK(shows(bot, "接種券が届きません", "2") == 0);
	CHECK(shows(bot, "副反応が心配", "3") == 1);  /* the others still answered */
	CHECK(!kb_fresh(a) && kb_generation(a) == gen);
	CHECK(loads == 1);  /* asked once for the new generation, not at every search */

	/* The load done elsewhere, as the pool does: a takes it. */
	CHECK(kb_synonyms(b) != NULL);
	CHECK(shows(bot, "接種券をなくしました", "1") == 0);
	CHECK(kb_fresh(a) && kb_generation(a) > gen);
	CHECK(loads == 1);
	kb_close(b);
	fixture_bot_close(bot);
}

/* A server's worker opened after another connection committed a change
 * whose model nobody has loaded yet (the staff-work pool still reading an
 * import's) takes the newest model the process holds, of the generation
 * before, instead of loading the new one itself: the open loads nothing, its
 * first ask is answered with the entries as they are now and hands the load
 * to its loader (set after the open, as widget/http.c does), once. A worker
 * opened once the new model is in shares it: no second load. On main the
 * open loaded the new model (a worker's first ask after an import waited a
 * whole load: attack.a_new_workers_first_ask_never_loads_the_knowledge_base). */
TEST(kb, a_connection_opened_beside_a_change_takes_the_model_the_process_holds)
{
	struct chatbot *pool = fixture_bot("adopt.db");
	CHECK(kb_synonyms(chatbot_kb(pool)) != NULL);  /* holds the fixture's import's model */
	int64_t gen = kb_generation(chatbot_kb(pool));
	struct kb *editor = NULL;
	char err[MG_ERR_LEN];
	REQUIRE(kb_open(&editor, fixture_path("adopt.db"), fixture_model(), err) == MG_OK);
	REQUIRE(kb_entry_delete(editor, "1", err) == MG_OK);

	long loads = kb_model_loads();
	struct chatbot *worker = NULL;
	REQUIRE(chatbot_open(&worker, fixture_path("adopt.db"), fixture_model(), fixture_town(), err) == MG_OK);
	int asked = 0;
	kb_set_loader(chatbot_kb(worker), count_loads, &asked);
	CHECK(kb_model_loads() == loads);  /* the open loaded no model */
	CHECK(shows(worker, "接種券をなくしました", "1") == 0);  /* deleted: never shown */
	CHECK(shows(worker, "副反応が心配", "3") == 1);
	CHECK(kb_model_loads() == loads);
	CHECK(asked == 1);  /* the load handed on, once */
	CHECK(!kb_fresh(chatbot_kb(worker)) && kb_generation(chatbot_kb(worker)) == gen);

	/* the pool's load; the worker takes it at its next ask */
	CHECK(kb_synonyms(chatbot_kb(pool)) != NULL);
	CHECK(kb_model_loads() == loads + 1);
	CHECK(shows(worker, "副反応が心配", "3") == 1);
	CHECK(kb_fresh(chatbot_kb(worker)) && kb_generation(chatbot_kb(worker)) > gen);

	/* a worker opened now shares the model in */
	struct chatbot *late = NULL;
	REQUIRE(chatbot_open(&late, fixture_path("adopt.db"), fixture_model(), fixture_town(), err) == MG_OK);
	kb_set_loader(chatbot_kb(late), count_loads, &asked);
	CHECK(shows(late, "副反応が心配", "3") == 1);
	CHECK(kb_fresh(chatbot_kb(late)) && kb_generation(chatbot_kb(late)) == kb_generation(chatbot_kb(worker)));
	CHECK(kb_model_loads() == loads + 1 && asked == 1);
	chatbot_close(late);
	chatbot_close(worker);
	kb_close(editor);
	fixture_bot_close(pool);
}

/* Staff save a long synonym list (the test list, a new word for the ticket
 * and 2,000 verb variants) while residents ask on four server workers: the
 * list is read once, by the pool, with the new generation's model; every
 * worker then finds the ticket by the new word without reading the list
 * itself. When each worker read its own, each paid the whole load on the
 * first ask after the save (485 M instructions for the sample's list and
 * 2,000 variants, tests/bench/bench_synonyms.c): a read for each worker
 * besides the pool's here. */
TEST(kb, after_staff_save_a_long_synonym_list_no_worker_reads_it)
{
	enum { WORKERS = 4 };
	struct chatbot *pool = fixture_bot("syn-workers.db");
	REQUIRE(kb_synonyms(chatbot_kb(pool)) != NULL);
	char err[MG_ERR_LEN];
	struct chatbot *w[WORKERS] = {0};
	int asked = 0, opened = 0;
	for (; opened < WORKERS; opened++) {
		if (chatbot_open(&w[opened], fixture_path("syn-workers.db"), fixture_model(), fixture_town(), err) != MG_OK)
			break;
		kb_set_loader(chatbot_kb(w[opened]), count_loads, &asked);
		CHECK(shows(w[opened], "副反応が心配", "3") == 1);
		CHECK(shows(w[opened], "ワクパス", "2") == 0);  /* a word no entry and no synonym says */
	}
	REQUIRE(opened == WORKERS);

	size_t mini_len = 0, len = 0;
	char *mini = fixture_read("tests/unit/data/mini_synonyms.tsv", &mini_len), *head = NULL, *list = NULL;
	REQUIRE(asprintf(&head, "%.*s接種券\tワクパス\n", (int)mini_len, mini) > 0);
	REQUIRE((list = verbs_tsv(head, strlen(head), VERBS_MAX, &len)) != NULL);
	long synonyms = kb_synonyms_loads(), models = kb_model_loads();
	int groups = 0;
	CHECK(kb_import_synonyms(chatbot_kb(pool), list, len, "synonyms.tsv", &groups, err) == MG_OK);
	for (int i = 0; i < WORKERS; i++)  /* before the pool's load: the list before */
		CHECK(shows(w[i], "副反応が心配", "3") == 1);
	CHECK(asked == WORKERS);
	CHECK(kb_synonyms(chatbot_kb(pool)) != NULL);  /* the pool's load, as after the server's import */
	for (int i = 0; i < WORKERS; i++) {
		CHECK(shows(w[i], "ワクパス", "2") == 1);
		CHECK(shows(w[i], "副反応が心配", "3") == 1);
		CHECK(kb_fresh(chatbot_kb(w[i])));
	}
	fprintf(stderr, "    synonym lists read after the save: %ld, models: %ld\n", kb_synonyms_loads() - synonyms,
		kb_model_loads() - models);
	CHECK(kb_synonyms_loads() - synonyms == 1);
	CHECK(kb_model_loads() - models == 1);
	CHECK(asked == WORKERS);
	for (int i = 0; i < WORKERS; i++)
		chatbot_close(w[i]);
	free(list);
	free(head);
	free(mini);
	fixture_bot_close(pool);
}

/* The worker that saved a synonym list answers as the others do until the
 * pool's model of it is in: with the list before, the one its model's index
 * was built with. It went on with the list it had saved, against the model
 * before it, so ワクパス found the ticket on one worker and not on the
 * next for as long as the load took. */
TEST(kb, the_worker_that_saved_the_synonyms_answers_as_the_others_until_the_new_model)
{
	struct chatbot *pool = fixture_bot("syn-window.db");
	REQUIRE(kb_synonyms(chatbot_kb(pool)) != NULL);
	char err[MG_ERR_LEN];
	struct chatbot *w[2] = {0};
	int asked = 0, opened = 0;
	for (; opened < 2; opened++) {
		if (chatbot_open(&w[opened], fixture_path("syn-window.db"), fixture_model(), fixture_town(), err) != MG_OK)
			break;
		kb_set_loader(chatbot_kb(w[opened]), count_loads, &asked);
		CHECK(shows(w[opened], "ワクパス", "2") == 0);
	}
	REQUIRE(opened == 2);
	size_t mini_len = 0;
	char *mini = fixture_read("tests/unit/data/mini_synonyms.tsv", &mini_len), *list = NULL;
	REQUIRE(mini && asprintf(&list, "%.*s接種券\tワクパス\n", (int)mini_len, mini) > 0);
	int groups = 0;
	CHECK(kb_import_synonyms(chatbot_kb(w[0]), list, strlen(list), "synonyms.tsv", &groups, err) == MG_OK);
	CHECK(shows(w[0], "ワクパス", "2") == 0);
	CHECK(shows(w[1], "ワクパス", "2") == 0);
	CHECK(kb_synonyms(chatbot_kb(pool)) != NULL);  /* the pool's load */
	CHECK(shows(w[0], "ワクパス", "2") == 1);
	CHECK(shows(w[1], "ワクパス", "2") == 1);
	for (int i = 0; i < 2; i++)
		chatbot_close(w[i]);
	free(list);
	free(mini);
	fixture_bot_close(pool);
}

/* ---- the model swap under threads --------------------------------------- */

/* The server's shape without its HTTP: worker connections with a loader
 * that only raises a flag, a "pool" thread that loads what was asked for
 * (kb_synonyms, as the pool's model job does), and an editor committing new
 * entries from a connection of its own, all at once. */
struct swap_race {
	atomic_int wanted;      /* loader calls not yet served by the pool */
	atomic_int editing;     /* 1 while the editor still commits */
	atomic_int stop_pool;
	struct kb *pool;
	const char *last_q, *last_id;  /* the editor's last entry */
};

struct swap_worker {
	struct swap_race *race;
	struct chatbot *bot;
	int asks, failed, saw_last, fresh;
	int64_t generation;
};

static void race_want(void *ctx)
{
	atomic_fetch_add(&((struct swap_race *)ctx)->wanted, 1);
}

static void *race_pool(void *arg)
{
	struct swap_race *r = arg;
	while (!atomic_load(&r->stop_pool)) {
		if (atomic_exchange(&r->wanted, 0) > 0)
			kb_synonyms(r->pool);
		else
			usleep(500);
	}
	return NULL;
}

static void *race_worker(void *arg)
{
	struct swap_worker *w = arg;
	while (atomic_load(&w->race->editing)) {
		w->failed += shows(w->bot, "副反応が心配", "3") != 1;
		w->asks++;
	}
	/* After the last commit: the entry it added is found once the pool
	 * has loaded its model (20 s: the sanitizers' builds on a loaded machine). */
	for (int i = 0; i < 20000 && !w->saw_last; i++) {
		int s = shows(w->bot, w->race->last_q, w->race->last_id);
		w->failed += s < 0;
		w->saw_last = s == 1;
		w->asks++;
		if (!w->saw_last)
			usleep(1000);
	}
	w->fresh = kb_fresh(chatbot_kb(w->bot));
	w->generation = kb_generation(chatbot_kb(w->bot));
	return NULL;
}

/* Four workers ask without pause while an editor commits four new entries
 * and a pool thread loads each generation a worker asked for: every ask is
 * answered (副反応 all along), every worker ends fresh on the last
 * generation and finds the last entry added, and once the workers and the
 * editor are closed the process holds one model, the pool's: no generation
 * stays pinned by a reference nobody put back. It fails when a sync keeps
 * the model it replaces (a reference never put), or when a worker never
 * takes the model the pool loaded (stale for good); it also runs clean
 * under ThreadSanitizer (build/san-thread/unit-tests). */
TEST(kb, workers_asking_through_edits_end_on_the_last_model_and_hold_no_other)
{
	static const char *const qs[] = {"巡回バスの時刻表を知りたい", "夜間の接種はありますか",
					 "出張接種を頼みたい", "ドライブスルーで接種できますか"};
	enum { WORKERS = 4, EDITS = sizeof qs / sizeof *qs };
	int base = kb_models_cached();
	struct chatbot *pool = fixture_bot("swap-race.db");
	REQUIRE(kb_synonyms(chatbot_kb(pool)) != NULL);
	static struct swap_race r;
	r = (struct swap_race){.pool = chatbot_kb(pool), .last_q = qs[EDITS - 1], .last_id = "race-3"};
	atomic_store(&r.editing, 1);
	char err[MG_ERR_LEN];
	struct swap_worker w[WORKERS] = {0};
	pthread_t wt[WORKERS], pt;
	int started = 0;
	for (; started < WORKERS; started++) {
		w[started].race = &r;
		if (chatbot_open(&w[started].bot, fixture_path("swap-race.db"), fixture_model(), fixture_town(),
				 err) != MG_OK)
			break;
		kb_set_loader(chatbot_kb(w[started].bot), race_want, &r);
		if (pthread_create(&wt[started], NULL, race_worker, &w[started])) {
			chatbot_close(w[started].bot);
			break;
		}
	}
	CHECK(started == WORKERS);
	int pool_started = !pthread_create(&pt, NULL, race_pool, &r);
	CHECK(pool_started);

	struct kb *editor = NULL;
	int edits = 0;
	if (kb_open(&editor, fixture_path("swap-race.db"), fixture_model(), err) == MG_OK) {
		for (int i = 0; i < EDITS; i++) {
			char id[16];
			snprintf(id, sizeof id, "race-%d", i);
			struct kb_entry e = {.id = id, .slug = id, .question = (char *)qs[i],
					     .answer = "みどり町役場にお問い合わせください。"};
			edits += kb_entry_put(editor, &e, NULL, NULL, err) == MG_OK;
			usleep(20 * 1000);
		}
	}
	CHECK(edits == EDITS);
	int64_t last = editor ? fixture_count(kb_db(editor), "SELECT value FROM kb_meta WHERE key='generation'") : -1;
	atomic_store(&r.editing, 0);
	for (int i = 0; i < started; i++)
		pthread_join(wt[i], NULL);
	atomic_store(&r.stop_pool, 1);
	if (pool_started)
		pthread_join(pt, NULL);

	for (int i = 0; i < started; i++) {
		CHECK(w[i].asks > 0 && w[i].failed == 0);
		CHECK(w[i].saw_last);
		CHECK(w[i].fresh && w[i].generation == last);
		chatbot_close(w[i].bot);
	}
	kb_close(editor);
	CHECK(kb_models_cached() == base + 1);
	fixture_bot_close(pool);
	CHECK(kb_models_cached() == base);
}

/* ---- one snapshot per reply ---------------------------------------------- */

/* The knowledge base replaced, by another connection, at the moment the
 * connection traced starts its first statement that sql_has names (before
 * that statement reads anything): the commit a busy town's import makes
 * between two reads of one reply. */
struct commit_between {
	struct kb *editor;
	const char *sql_has;
	char *csv;
	size_t len;
	int done, rc;
};

static int commit_between_cb(unsigned type, void *ctx, void *p, void *x)
{
	(void)type;
	(void)x;
	struct commit_between *cb = ctx;
	const char *sql = sqlite3_sql(p);
	if (cb->done || !sql || !strstr(sql, cb->sql_has))
		return 0;
	cb->done = 1;
	char err[MG_ERR_LEN];
	int imported = 0;
	struct kb_import_opts opts = {0};
	cb->rc = kb_import(cb->editor, cb->csv, cb->len, "reordered.csv", &opts, &imported, err);
	return 0;
}

/* The ids of the entries in list (a JSON array of entries), sorted, joined. */
static const char *ids_of(json_t *list)
{
	static char out[256];
	char ids[20][KB_ID_LEN];
	int n = 0;
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
		if (n < 20)
			snprintf(ids[n++], KB_ID_LEN, "%s", json_string_value(json_object_get(e, "id")));
	qsort(ids, (size_t)n, sizeof *ids, (int (*)(const void *, const void *))strcmp);
	out[0] = 0;
	for (int k = 0; k < n; k++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", k ? " " : "", ids[k]);
	return out;
}

/* The common questions (popular) and the suggestions are read from one
 * knowledge base, whatever an import by another connection commits while
 * the reply is made: one whose first row is a draft about 接種券, committed
 * after the reply's generation is read and before the index is searched
 * (suggest) or the list of rows is read (popular). Every read of a reply
 * must see one snapshot, as an ask's does. Without it popular read the new
 * file's rows, kept or dropped them by the model of the one before and
 * showed them by row from the new file: entries 2 and 3, not 1 and 2. The
 * suggestions showed the draft (entry 7) the same way before the first
 * stage's second speed pass; on that first stage this half no longer
 * fails without the snapshot, and stays as a guard. */
TEST(kb, suggestions_and_popular_read_one_snapshot_while_an_import_commits)
{
	struct chatbot *bot = fixture_bot("one-snapshot.db");
	char err[MG_ERR_LEN];
	json_t *during = NULL;
	/* synced, nothing shown yet: the entries shown are kept per generation
	 * (chatbot/shown.c), and a kept one would hide a row read from another */
	REQUIRE(kb_synonyms(chatbot_kb(bot)) != NULL);

	/* A draft first, then the two ticket entries: rows 1-3 are now the
	 * draft and entries 1 and 2 (rows 1 and 2 were entries 1 and 2). */
	static const char drafted[] =
		"id,slug,category,route,question,answer,status\n"
		"7,ticket-draft,ticket,call_center,接種券の再発行（下書き）,まだ公開しない下書きです。,draft\n"
		"1,ticket-lost,ticket,call_center,接種券をなくしました,接種券は再発行できます。,published\n"
		"2,ticket-not-arrived,ticket,call_center,接種券が届きません,届くまで２週間ほどかかります。,published\n";
	struct commit_between cb = {.sql_has = "MATCH", .csv = strdup(drafted), .len = sizeof drafted - 1};
	REQUIRE(cb.csv != NULL);
	REQUIRE(kb_open(&cb.editor, fixture_path("one-snapshot.db"), fixture_model(), err) == MG_OK);

	sqlite3 *db = kb_db(chatbot_kb(bot));
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, commit_between_cb, &cb);
	CHECK(chatbot_suggest(bot, "接種券", strlen("接種券"), 2, "ja", &during, err) == MG_OK);
	CHECK(cb.done && cb.rc == MG_OK);
	CHECK_STR(ids_of(during), "1 2");
	json_decref(during);

	/* popular: the list of entries read after the sync */
	json_t *pop_during = NULL;
	sqlite3_trace_v2(db, 0, NULL, NULL);
	REQUIRE(kb_synonyms(chatbot_kb(bot)) != NULL);  /* the draft's file: entries 1 and 2 live */
	/* back to mini.csv's own order: every row changes entry again */
	free(cb.csv);
	cb.csv = fixture_read("tests/unit/data/mini.csv", &cb.len);
	REQUIRE(cb.csv != NULL);
	cb.done = 0;
	cb.sql_has = "FROM kb_entries ORDER BY id";
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, commit_between_cb, &cb);
	CHECK(chatbot_popular(bot, 3, "ja", 0, &pop_during, err) == MG_OK);
	CHECK(cb.done && cb.rc == MG_OK);
	CHECK_STR(ids_of(pop_during), "1 2");
	json_decref(pop_during);
	sqlite3_trace_v2(db, 0, NULL, NULL);

	kb_close(cb.editor);
	free(cb.csv);
	fixture_bot_close(bot);
}

/* The parking entry a member of staff adds (the fixture has none). */
static const struct kb_entry parking = {.id = "7", .slug = "day-parking", .question = "会場に駐車場はありますか",
					.answer = "体育館の北側に50台分あります。", .alt_questions = "車で行ってもいい？"};

/* What the resident who asks whether they may come by car is told. */
static const char *by_car(struct chatbot *bot, int logged)
{
	static char out[MG_ERR_LEN + 64];
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	struct ask_opts o = {.no_log = !logged};
	const char *q = "車で行っても大丈夫？";
	if (chatbot_ask(bot, q, strlen(q), &o, &r, err) != MG_OK)
		return "error";
	json_t *first = json_array_get(json_object_get(r, "candidates"), 0);
	snprintf(out, sizeof out, "%s %s", json_string_value(json_object_get(r, "decision")),
		 json_string_value(json_object_get(first, "slug")));
	json_decref(r);
	return out;
}

/* Two server workers on the file name, each asking through one shared
 * decision cache and logging every ask through the event log's writer. */
struct two_workers {
	struct chatbot *bot[2];
	struct chatbot_cache *cache;
	struct events_writer *w;
};

static void two_workers_start(struct two_workers *t, const char *name)
{
	char err[MG_ERR_LEN];
	*t = (struct two_workers){{fixture_bot(name), NULL}, NULL, NULL};
	REQUIRE(chatbot_open(&t->bot[1], fixture_path(name), fixture_model(), fixture_town(), err) == MG_OK);
	REQUIRE(chatbot_cache_new(0, &t->cache, err) == MG_OK);
	REQUIRE(events_writer_start(fixture_path(name), 1, &t->w, err) == MG_OK);
	for (int k = 0; k < 2; k++) {
		chatbot_set_cache(t->bot[k], t->cache);
		chatbot_set_events(t->bot[k], t->w);
	}
}

static void two_workers_stop(struct two_workers *t)
{
	events_writer_stop(t->w);
	chatbot_close(t->bot[1]);
	fixture_bot_close(t->bot[0]);
	chatbot_cache_free(t->cache);
}

/* Two server workers, each asking through the shared decision cache and
 * logging every ask through the event log's writer (its commits, on
 * another connection, are most of what the file sees): a member of staff
 * saves a new entry, and each worker's very next ask finds it, the question
 * asked before or not. A worker whose read transaction sees no commit
 * since its last ask reads no kb_meta row (kb_sync): the staff's commit is
 * one like any other, and must count. */
TEST(kb, a_staff_save_reaches_every_workers_next_ask_while_the_log_writes)
{
	char err[MG_ERR_LEN];
	struct two_workers t;
	two_workers_start(&t, "sync-save.db");
	struct chatbot **worker = t.bot, *staff = NULL;
	struct events_writer *w = t.w;
	REQUIRE(chatbot_open(&staff, fixture_path("sync-save.db"), fixture_model(), fixture_town(), err) == MG_OK);
	/* the log commits between the asks, then nothing does */
	for (int round = 0; round < 3; round++)
		for (int k = 0; k < 2; k++) {
			CHECK_STR(fixture_ask(worker[k], "接種券をなくしました"), "answer ticket-lost");
			CHECK(strcmp(by_car(worker[k], 1), "answer day-parking") != 0);
			CHECK(events_writer_flush(w) == 1);
		}
	for (int k = 0; k < 2; k++)
		CHECK(strcmp(by_car(worker[k], 0), "answer day-parking") != 0);

	CHECK(kb_entry_put(chatbot_kb(staff), &parking, NULL, NULL, err) == MG_OK);
	for (int k = 0; k < 2; k++)
		CHECK_STR(by_car(worker[k], 1), "answer day-parking");
	/* and with the log's commits after the save, as before it */
	CHECK(events_writer_flush(w) == 1);
	CHECK(kb_entry_set_status(chatbot_kb(staff), "7", "draft", err) == MG_OK);
	for (int k = 0; k < 2; k++)
		CHECK(strcmp(by_car(worker[k], 1), "answer day-parking") != 0);

	chatbot_close(staff);
	two_workers_stop(&t);
}

/* A worker asks while a member of staff's save is written but not yet
 * committed: it answers from the knowledge base as it was (the new entry
 * nowhere), keeps nothing of the half-written one, and its first ask after
 * the commit finds the entry; a save rolled back leaves every answer as it
 * was. */
TEST(kb, a_worker_never_answers_from_a_half_written_generation)
{
	char err[MG_ERR_LEN];
	struct chatbot *worker = fixture_bot("sync-half.db"), *staff = NULL;
	struct chatbot_cache *cache = NULL;
	REQUIRE(chatbot_open(&staff, fixture_path("sync-half.db"), fixture_model(), fixture_town(), err) == MG_OK);
	REQUIRE(chatbot_cache_new(0, &cache, err) == MG_OK);
	chatbot_set_cache(worker, cache);
	struct kb *skb = chatbot_kb(staff);
	CHECK(strcmp(by_car(worker, 0), "answer day-parking") != 0);

	/* rolled back */
	REQUIRE(kb_write_begin(skb, err) == MG_OK);
	CHECK(kb_entry_put(skb, &parking, NULL, NULL, err) == MG_OK);
	CHECK_STR(by_car(staff, 0), "answer day-parking");  /* the writer sees its own */
	CHECK(strcmp(by_car(worker, 0), "answer day-parking") != 0);
	CHECK_STR(fixture_ask(worker, "接種券をなくしました"), "answer ticket-lost");
	CHECK(kb_write_end(skb, MG_ERR_INPUT, err) == MG_ERR_INPUT);
	CHECK(strcmp(by_car(worker, 0), "answer day-parking") != 0);
	CHECK(strcmp(by_car(staff, 0), "answer day-parking") != 0);

	/* committed */
	REQUIRE(kb_write_begin(skb, err) == MG_OK);
	CHECK(kb_entry_put(skb, &parking, NULL, NULL, err) == MG_OK);
	CHECK(strcmp(by_car(worker, 0), "answer day-parking") != 0);
	CHECK(kb_write_end(skb, MG_OK, err) == MG_OK);
	CHECK_STR(by_car(worker, 0), "answer day-parking");
	CHECK_STR(by_car(staff, 0), "answer day-parking");

	chatbot_close(staff);
	fixture_bot_close(worker);
	chatbot_cache_free(cache);
}

/* The answer the resident who asks whether they may come by car reads, as
 * the server prints it (through the decision cache's printed reply). */
static int by_car_printed_says(struct chatbot *bot, const char *words)
{
	char err[MG_ERR_LEN];
	char *text = NULL;
	size_t len = 0;
	struct ask_opts o = {.conversation = "c-by-car"};
	const char *q = "車で行っても大丈夫？";
	if (chatbot_ask_printed(bot, q, strlen(q), &o, &text, &len, err) != MG_OK)
		return 0;
	int found = strstr(text, words) != NULL;
	free(text);
	return found;
}

/* The server's staff routes save through the worker's own connection: the
 * worker that saved must answer from its save at its very next ask, as the
 * others do, with the event log committing around it, whether the question
 * was asked before (its printed reply kept) or not. */
TEST(kb, the_worker_that_saved_answers_from_its_own_save_at_its_next_ask)
{
	char err[MG_ERR_LEN];
	struct two_workers t;
	two_workers_start(&t, "sync-own.db");
	struct chatbot **worker = t.bot, *a = t.bot[0], *b = t.bot[1];
	struct events_writer *w = t.w;
	for (int round = 0; round < 2; round++)
		for (int k = 0; k < 2; k++) {
			CHECK(strcmp(by_car(worker[k], 1), "answer day-parking") != 0);
			CHECK(!by_car_printed_says(worker[k], "体育館の北側"));
			CHECK(events_writer_flush(w) == 1);
		}

	for (int k = 0; k < 2; k++)  /* read since the log's last commit */
		CHECK(strcmp(by_car(worker[k], 0), "answer day-parking") != 0);
	/* worker a saves (a staff route on its thread) */
	CHECK(kb_entry_put(chatbot_kb(a), &parking, NULL, NULL, err) == MG_OK);
	CHECK_STR(by_car(a, 0), "answer day-parking");
	CHECK(by_car_printed_says(a, "体育館の北側に50台"));
	CHECK(by_car_printed_says(b, "体育館の北側に50台"));
	CHECK(events_writer_flush(w) == 1);

	/* the answer's text alone edited: the ranking is the same, the reply not */
	struct kb_entry edited = parking;
	edited.answer = "体育館の南側に80台分あります。";
	CHECK(kb_entry_put(chatbot_kb(a), &edited, NULL, NULL, err) == MG_OK);
	CHECK(by_car_printed_says(a, "南側に80台"));
	CHECK(by_car_printed_says(b, "南側に80台"));
	CHECK(events_writer_flush(w) == 1);
	/* both have read since the log's last commit: worker b's own commit is
	 * the only one its next ask can meet */
	for (int k = 0; k < 2; k++)
		CHECK_STR(by_car(worker[k], 0), "answer day-parking");
	CHECK(kb_entry_set_status(chatbot_kb(b), "7", "draft", err) == MG_OK);
	CHECK(!by_car_printed_says(b, "南側に80台"));
	CHECK(!by_car_printed_says(a, "南側に80台"));

	two_workers_stop(&t);
}
