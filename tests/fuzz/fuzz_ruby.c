/* libFuzzer harness for furigana (nlp/ruby.c): any bytes, read with and
 * without a town's words, come back as segments whose texts concatenate to
 * the input exactly, with readings in hiragana only and never over text
 * without kanji; no crash, no read out of bounds, no leak. */
#include "nlp/nlp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static struct nlp_analyser *an;
static struct nlp_readings *words;

struct seen {
	char *buf;
	size_t len, cap;
};

static int hiragana_only(const char *r, size_t n)
{
	for (utf8proc_ssize_t i = 0; i < (utf8proc_ssize_t)n;) {
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const uint8_t *)r + i, (utf8proc_ssize_t)n - i, &cp);
		if (k <= 0 || !((cp >= 0x3041 && cp <= 0x309e) || cp == 0x30fc))
			return 0;
		i += k;
	}
	return n > 0;
}

static int seg(void *ctx, const char *t, size_t len, const char *r, size_t rlen)
{
	struct seen *s = ctx;
	if (!len || (r && !hiragana_only(r, rlen)) || s->len + len > s->cap)
		abort();
	memcpy(s->buf + s->len, t, len);
	s->len += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char err[MG_ERR_LEN];
	if (!an) {
		static struct nlp_model *model;
		words = nlp_readings_new();
		if (!words || nlp_model_open(&model, err) || nlp_analyser_new(model, &an, err) ||
		    nlp_readings_add(words, "みどり町", "みどりちょう", err) ||
		    nlp_readings_add(words, "中央公民館", "ちゅうおうこうみんかん", err) ||
		    nlp_readings_add(words, "緑ヶ丘", "ミドリガオカ", err)) {
			fprintf(stderr, "fuzz_ruby: %s\n", err);
			exit(1);
		}
	}
	struct seen s = {malloc(size + 1), 0, size};
	if (!s.buf)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		s.len = 0;
		int rc = nlp_ruby(an, pass ? words : NULL, (const char *)data, size, seg, &s, err);
		if (rc == MG_ERR_NOMEM)
			break;
		if (rc != MG_OK || s.len != size || memcmp(s.buf, data, size))
			abort();
	}
	free(s.buf);
	return 0;
}
