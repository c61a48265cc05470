/* libFuzzer harness for the preview of a change (staff_preview, the
 * console's eval/compare): any bytes as the proposed wording and as the
 * labelled set must give a comparison or a clean error, never a crash or a
 * leak, and never touch the published knowledge base. Input: a first byte
 * (even: an alternate question for entry 1; odd: entry 2 saved with that
 * question), the question up to the first newline, then the set (TSV).
 * The database is in memory, holding the test knowledge base
 * (tests/unit/data/mini.csv): a copy per input stays cheap. */
#include "chatbot/chatbot_int.h"
#include "chatbot/staff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct chatbot *bot;
static struct nlp_model *model;

static void setup(void)
{
	char err[MG_ERR_LEN], *csv = NULL;
	static struct town *town;
	size_t len = 0;
	int n = 0;
	struct kb_import_opts o = {0};
	if (nlp_model_open(&model, err) || town_load("tests/unit/data/town.json", &town, err) ||
	    chatbot_open(&bot, ":memory:", model, town, err) ||
	    mg_read_file("tests/unit/data/mini.csv", 1 << 20, &csv, &len, err) ||
	    kb_import(chatbot_kb(bot), csv, len, "mini.csv", &o, &n, err)) {
		fprintf(stderr, "fuzz: %s (run from the repository root)\n", err);
		exit(1);
	}
	free(csv);
}

static long long generation(void)
{
	sqlite3_stmt *st = NULL;
	long long g = -1;
	if (sqlite3_prepare_v2(kb_db(chatbot_kb(bot)), "SELECT value FROM kb_meta WHERE key='generation'", -1, &st,
			       NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		g = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return g;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (!bot)
		setup();
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	const char *nl = memchr(text, '\n', len);
	size_t qlen = nl ? (size_t)(nl - text) : len;
	char *q = strndup(text, qlen);
	if (!q)
		return 0;
	const char *set = nl ? nl + 1 : "";
	size_t setlen = nl ? len - qlen - 1 : 0;
	long long was = generation();
	json_t *fields = json_pack("{s:s,s:s,s:s,s:s}", "id", "2", "slug", "ticket-not-arrived", "question", q,
				   "answer", "届くまで２週間ほどかかります。");
	struct staff_proposal p = {.alt_entry = "1", .alt_question = q};
	if (data[0] & 1)
		p.entry = fields;
	char err[MG_ERR_LEN], key[KB_ID_LEN];
	json_t *r = NULL;
	if (staff_preview(bot, model, NULL, &p, set, setlen, &r, key, err) == MG_OK) {
		json_t *ch = json_object_get(r, "changes");
		json_int_t sum = json_integer_value(json_object_get(ch, "better")) +
				 json_integer_value(json_object_get(ch, "worse")) +
				 json_integer_value(json_object_get(ch, "changed")) +
				 json_integer_value(json_object_get(ch, "same"));
		/* every question compared once, both sides over the same questions */
		if (sum != (json_int_t)json_array_size(json_object_get(r, "questions")) ||
		    sum != json_integer_value(json_object_get(json_object_get(r, "before"), "questions")) ||
		    sum != json_integer_value(json_object_get(json_object_get(r, "after"), "questions")))
			abort();
		json_decref(r);
	} else if (r) {
		abort();
	}
	/* the published knowledge base never moves */
	if (generation() != was)
		abort();
	json_decref(fields);
	free(q);
	return 0;
}
