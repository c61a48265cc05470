/* libFuzzer harness for the analyser and the query builder: any bytes as a
 * question must give a decision or a clean error, never a crash or a leak.
 * The database is in memory, filled from the test knowledge base. The same
 * bytes asked again through the decision cache (a small one, so that it
 * fills and lets go) must give the very reply the search gave, and printed
 * as the server prints it (chatbot_ask_printed: without the cache, then
 * kept and printed again from the cache) the very bytes of that reply
 * printed whole. Also the script checks on the same bytes. */
#include "chatbot/chatbot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct chatbot *bot;
static struct chatbot_cache *cache;

/* Budget of the harness's decision cache: a few dozen rankings. */
#define FUZZ_CACHE_BYTES (64 * 1024)

static void setup(void)
{
	char err[MG_ERR_LEN];
	static struct nlp_model *model;
	static struct town *town;
	if (nlp_model_open(&model, err) || town_load("tests/unit/data/town.json", &town, err) ||
	    chatbot_open(&bot, ":memory:", model, town, err) ||
	    chatbot_cache_new(FUZZ_CACHE_BYTES, &cache, err)) {
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
	/* A fixed time: the three replies must be the same, byte for byte. */
	struct ask_opts o = {.no_log = 1, .top = 10, .now = 1764547200};
	char *searched = NULL, *whole = NULL;
	chatbot_set_cache(bot, NULL);
	if (chatbot_ask(bot, (const char *)data, size, &o, &r, err) == MG_OK) {
		if (!json_string_value(json_object_get(r, "decision")))
			abort();
		searched = json_dumps(r, JSON_SORT_KEYS);
		whole = json_dumps(r, CHATBOT_JSON_FLAGS);
		json_decref(r);
	}
	for (int i = 0; whole && i < 3; i++) {  /* searched, kept, then from the cache */
		char *text = NULL;
		size_t len = 0;
		if (chatbot_ask_printed(bot, (const char *)data, size, &o, &text, &len, err) != MG_OK ||
		    len != strlen(whole) || strcmp(text, whole))
			abort();
		free(text);
		chatbot_set_cache(bot, cache);
	}
	free(whole);
	chatbot_set_cache(bot, cache);
	for (int i = 0; searched && i < 2; i++) {  /* kept, then from the cache */
		if (chatbot_ask(bot, (const char *)data, size, &o, &r, err) != MG_OK)
			abort();
		char *kept = json_dumps(r, JSON_SORT_KEYS);
		json_decref(r);
		if (!kept || strcmp(kept, searched))
			abort();
		free(kept);
	}
	free(searched);
	chatbot_set_cache(bot, NULL);
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
