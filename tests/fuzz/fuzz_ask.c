/* libFuzzer harness for the analyser and the query builder: any bytes as a
 * question must give a decision or a clean error, never a crash or a leak.
 * The database is in memory, filled from the test knowledge base. Also the
 * script checks on the same bytes. */
#include "chatbot/chatbot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct chatbot *bot;

static void setup(void)
{
	char err[MG_ERR_LEN];
	static struct nlp_model *model;
	static struct town *town;
	if (nlp_model_open(&model, err) || town_load("tests/unit/data/town.json", &town, err) ||
	    chatbot_open(&bot, ":memory:", model, town, err)) {
		fprintf(stderr, "fuzz: %s (run from the repository root)\n", err);
		exit(1);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (!bot)
		setup();
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	struct ask_opts o = {.no_log = 1, .top = 10};
	if (chatbot_ask(bot, (const char *)data, size, &o, &r, err) == MG_OK) {
		if (!json_string_value(json_object_get(r, "decision")))
			abort();
		json_decref(r);
	}
	/* eval --hiragana-only's filter: a text it takes is Japanese, never English
	 * or another language. */
	if (nlp_is_hiragana_only((const char *)data, size) &&
	    (nlp_is_english((const char *)data, size) || nlp_is_other_language((const char *)data, size)))
		abort();
	json_t *s = NULL;
	if (chatbot_suggest(bot, (const char *)data, size, 5, NULL, &s, err) == MG_OK)
		json_decref(s);
	return 0;
}
