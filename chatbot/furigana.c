/* The furigana of the texts residents are shown, worked out once per text
 * and knowledge-base generation: MeCab reads an answer the first time it is
 * shown with ruby, not at every ask (chatbot/policy.h has what it saves). */
#include "chatbot/chatbot_int.h"

#include <string.h>

static int ruby_seg(void *ctx, const char *t, size_t len, const char *r, size_t rlen)
{
	json_t *seg = r ? json_pack("{s:s%, s:s%}", "t", t, len, "r", r, rlen) : json_pack("{s:s%}", "t", t, len);
	return json_array_append_new(ctx, seg) ? MG_ERR_NOMEM : 0;
}

/* The bytes a text's furigana hold in the cache: the key, the array and
 * each segment's object with its strings, as jansson allocates them
 * (POLICY_RUBY_TEXT_BYTES and POLICY_RUBY_SEGMENT_BYTES, measured). */
static size_t ruby_bytes(const char *text, const json_t *a)
{
	size_t n = strlen(text) + POLICY_RUBY_TEXT_BYTES;
	size_t i;
	const json_t *seg;
	json_array_foreach(a, i, seg) {
		n += POLICY_RUBY_SEGMENT_BYTES + json_string_length(json_object_get(seg, "t")) +
		     json_string_length(json_object_get(seg, "r"));
	}
	return n;
}

/* The cache is the chatbot's own (one per server thread), so it needs no
 * lock; the arrays it hands out are shared, never changed. A new
 * generation, or a full cache, starts it afresh: an edited entry's old text
 * is never shown again, and the cache never grows past its cap. */
json_t *chatbot_ruby(struct chatbot *bot, const char *text)
{
	int64_t gen = kb_generation(bot->kb);
	if (bot->ruby_cache && gen != bot->ruby_generation) {
		json_decref(bot->ruby_cache);
		bot->ruby_cache = NULL;
	}
	json_t *a = bot->ruby_cache ? json_object_get(bot->ruby_cache, text) : NULL;
	if (a)
		return json_incref(a);
	char err[MG_ERR_LEN];
	a = json_array();
	if (a && nlp_ruby(kb_analyser(bot->kb), bot->town ? bot->town->readings : NULL, text, strlen(text),
			  ruby_seg, a, err) != MG_OK) {
		json_decref(a);
		return NULL;
	}
	if (!a)
		return NULL;
	size_t bytes = ruby_bytes(text, a);
	if (bot->ruby_cache && bot->ruby_bytes + bytes > POLICY_RUBY_CACHE_BYTES) {
		json_decref(bot->ruby_cache);
		bot->ruby_cache = NULL;
	}
	if (!bot->ruby_cache && (bot->ruby_cache = json_object())) {
		bot->ruby_generation = gen;
		bot->ruby_bytes = 0;
	}
	/* without memory, only not kept */
	if (bot->ruby_cache && bytes <= POLICY_RUBY_CACHE_BYTES && !json_object_set(bot->ruby_cache, text, a))
		bot->ruby_bytes += bytes;
	return a;
}
