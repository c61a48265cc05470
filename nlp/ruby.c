/* Furigana: a text cut into segments with the hiragana reading of their
 * kanji, for <ruby> in the widget (which has no MeCab). The town's own words
 * are read from its user dictionary before MeCab sees the rest; okurigana
 * stay outside the ruby. */
#include "nlp/buf.h"
#include "nlp/nlp_int.h"
#include "nlp/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Engine limits, not product decisions: a dictionary word is a few
 * characters, so a longer node (an unknown run, a long town word) is read
 * as one ruby without the okurigana split; the alignment gives up after so
 * many steps (a word's kana runs are few, a normal word takes tens). */
#define RUBY_MAX_CHARS   64
#define RUBY_ALIGN_STEPS 4096

/* ---- the town's words ------------------------------------------------------ */

struct reading_word {
	char *word, *reading;
	size_t wlen, rlen;
	int32_t first;  /* the word's first character */
};

/* Sorted by first character, then longest first: the words that may start
 * at a character are one run found by binary search, and the first of
 * them that matches is the longest. */
struct nlp_readings {
	struct reading_word *w;
	size_t n, cap;
};

/* The first word in r->w whose first character is cp or after it, and for
 * cp itself, the first one shorter than wlen (SIZE_MAX: the run's start). */
static size_t word_find(const struct nlp_readings *r, int32_t cp, size_t wlen)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct reading_word *w = &r->w[mid];
		if (w->first < cp || (w->first == cp && w->wlen >= wlen && wlen != SIZE_MAX))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct nlp_readings *nlp_readings_new(void)
{
	return calloc(1, sizeof(struct nlp_readings));
}

void nlp_readings_free(struct nlp_readings *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->w[i].word);
		free(r->w[i].reading);
	}
	free(r->w);
	free(r);
}

static int is_hiragana(int32_t cp)
{
	return (cp >= 0x3041 && cp <= 0x3096) || cp == 0x309d || cp == 0x309e || cp == 0x30fc;
}

/* Katakana as hiragana; anything else unchanged. */
static int32_t to_hiragana(int32_t cp)
{
	return (cp >= 0x30a1 && cp <= 0x30f6) || cp == 0x30fd || cp == 0x30fe ? cp - 0x60 : cp;
}

int nlp_readings_add(struct nlp_readings *r, const char *word, const char *reading, char *err)
{
	size_t wlen = strlen(word), rlen = strlen(reading);
	if (!wlen || !rlen)
		return mg_fail(err, MG_ERR_INPUT, "a reading needs a word and its reading");
	if (!nlp_is_utf8(word, wlen) || !nlp_is_utf8(reading, rlen))
		return mg_fail(err, MG_ERR_UTF8, "the reading of '%s' is not valid UTF-8", word);
	for (utf8proc_ssize_t i = 0; i < (utf8proc_ssize_t)rlen;) {
		int32_t cp;
		i += utf8proc_iterate((const uint8_t *)reading + i, (utf8proc_ssize_t)rlen - i, &cp);
		if (!is_hiragana(to_hiragana(cp)))
			return mg_fail(err, MG_ERR_INPUT, "the reading of '%s' is not in hiragana: '%s'", word, reading);
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct reading_word *w = realloc(r->w, cap * sizeof *w);
		if (!w)
			return mg_fail(err, MG_ERR_NOMEM, "out of memory");
		r->w = w;
		r->cap = cap;
	}
	int32_t first;
	utf8proc_iterate((const uint8_t *)word, (utf8proc_ssize_t)wlen, &first);
	struct reading_word nw = {strdup(word), strdup(reading), wlen, rlen, first};
	if (!nw.word || !nw.reading) {
		free(nw.word);
		free(nw.reading);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	size_t at = word_find(r, first, wlen);  /* after a word as long: the first added wins */
	memmove(r->w + at + 1, r->w + at, (r->n - at) * sizeof *r->w);
	r->w[at] = nw;
	r->n++;
	return MG_OK;
}

/* The longest town word that starts at s (n bytes of valid UTF-8), or NULL. */
static const struct reading_word *word_at(const struct nlp_readings *r, const char *s, size_t n)
{
	if (!r || !r->n)
		return NULL;
	int32_t cp;
	if (utf8proc_iterate((const uint8_t *)s, (utf8proc_ssize_t)n, &cp) <= 0)
		return NULL;
	for (size_t i = word_find(r, cp, SIZE_MAX); i < r->n && r->w[i].first == cp; i++)
		if (r->w[i].wlen <= n && !memcmp(r->w[i].word, s, r->w[i].wlen))
			return &r->w[i];
	return NULL;
}

/* ---- segments ------------------------------------------------------------- */

/* The segment not yet handed out: plain text joins plain text, and an
 * all-kanji ruby joins the all-kanji ruby before it (接種+券). */
struct out {
	nlp_ruby_fn fn;
	void *ctx;
	const char *text;
	size_t len;
	int ruby, kanji_only;
	struct mg_buf r;  /* the reading of the run in text */
};

static int flush(struct out *o)
{
	int rc = 0;
	if (o->len)
		rc = o->fn(o->ctx, o->text, o->len, o->ruby ? o->r.p : NULL, o->ruby ? o->r.len : 0);
	o->len = 0;
	mg_buf_clear(&o->r);
	o->ruby = 0;
	return rc;
}

static int push(struct out *o, const char *t, size_t len, const char *r, size_t rlen, int kanji_only)
{
	if (!len)
		return 0;
	int ruby = r != NULL;
	int joins = o->len && o->text + o->len == t &&
		    ((!ruby && !o->ruby) || (ruby && o->ruby && kanji_only && o->kanji_only));
	if (!joins) {
		int rc = flush(o);
		if (rc)
			return rc;
		o->text = t;
		o->ruby = ruby;
		o->kanji_only = kanji_only;
	}
	o->len += len;
	if (ruby) {
		int rc = mg_buf_add(&o->r, r, rlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* A word's characters: kanji (K), kana (L) compared with the reading, or
 * anything else (a digit, a letter), which leaves the word without ruby. */
struct word {
	int32_t cp[RUBY_MAX_CHARS];
	size_t off[RUBY_MAX_CHARS + 1];  /* byte offset of each character, and the end */
	int n, kanji, other;
};

struct run {
	int from, to, kanji;
	int rfrom, rto;  /* the reading's span of a kanji run */
};

/* Gives each kanji run a non-empty span of the reading so that every kana
 * run meets its own kana in the reading: 受|け → う|け, 取|り|扱|い →
 * と|り|あつか|い. The shortest span that works is tried first. */
static int align(const struct word *w, struct run *runs, int nruns, int i,
		 const int32_t *rd, int rpos, int rn, int *steps)
{
	if (++*steps > RUBY_ALIGN_STEPS)
		return 0;
	if (i == nruns)
		return rpos == rn;
	struct run *u = &runs[i];
	if (!u->kanji) {
		int k = u->to - u->from;
		if (rpos + k > rn)
			return 0;
		for (int j = 0; j < k; j++)
			if (to_hiragana(w->cp[u->from + j]) != rd[rpos + j])
				return 0;
		return align(w, runs, nruns, i + 1, rd, rpos + k, rn, steps);
	}
	for (int end = rpos + 1; end <= rn; end++) {
		u->rfrom = rpos;
		u->rto = end;
		if (align(w, runs, nruns, i + 1, rd, end, rn, steps))
			return 1;
	}
	return 0;
}

static size_t encode(const int32_t *cp, int n, char *out)
{
	size_t w = 0;
	for (int i = 0; i < n; i++)
		w += (size_t)utf8proc_encode_char(cp[i], (uint8_t *)out + w);
	return w;
}

/* One word (a MeCab node or a town word) with its reading in kana, or NULL. */
static int word_ruby(struct out *o, const char *s, size_t slen, const char *kana, size_t klen)
{
	struct word w = {.n = 0};
	utf8proc_ssize_t i = 0;
	int whole = 0;  /* too long to split: one ruby over it all */
	while (i < (utf8proc_ssize_t)slen) {
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const uint8_t *)s + i, (utf8proc_ssize_t)slen - i, &cp);
		if (k <= 0)
			return push(o, s, slen, NULL, 0, 0);
		if (w.n < RUBY_MAX_CHARS) {
			w.cp[w.n] = cp;
			w.off[w.n++] = (size_t)i;
		} else {
			whole = 1;
		}
		w.kanji |= nlp_is_kanji(cp);
		w.other |= !nlp_is_kanji(cp) && !nlp_is_kana(cp);
		i += k;
	}
	w.off[w.n] = whole ? slen : (size_t)i;
	if (!w.kanji || w.other || !kana || !klen)
		return push(o, s, slen, NULL, 0, 0);

	int32_t rd[RUBY_MAX_CHARS * 4];
	int rn = 0;
	for (i = 0; i < (utf8proc_ssize_t)klen;) {
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const uint8_t *)kana + i, (utf8proc_ssize_t)klen - i, &cp);
		if (k <= 0 || rn == (int)(sizeof rd / sizeof *rd) || !is_hiragana(to_hiragana(cp)))
			return push(o, s, slen, NULL, 0, 0);  /* no reading we can show */
		rd[rn++] = to_hiragana(cp);
		i += k;
	}
	char buf[sizeof rd];
	struct run runs[RUBY_MAX_CHARS];
	int nruns = 0;
	for (int c = 0; c < w.n && !whole; c++) {
		int kj = nlp_is_kanji(w.cp[c]);
		if (nruns && runs[nruns - 1].kanji == kj)
			runs[nruns - 1].to = c + 1;
		else
			runs[nruns++] = (struct run){c, c + 1, kj, 0, 0};
	}
	int steps = 0;
	if (whole || !align(&w, runs, nruns, 0, rd, 0, rn, &steps)) {
		int all_kanji = !whole;
		for (int c = 0; c < w.n; c++)
			all_kanji &= nlp_is_kanji(w.cp[c]);
		return push(o, s, slen, buf, encode(rd, rn, buf), all_kanji);
	}
	int rc = 0;
	for (int r = 0; r < nruns && !rc; r++) {
		const char *t = s + w.off[runs[r].from];
		size_t tl = w.off[runs[r].to] - w.off[runs[r].from];
		if (runs[r].kanji)
			rc = push(o, t, tl, buf, encode(rd + runs[r].rfrom, runs[r].rto - runs[r].rfrom, buf), 1);
		else
			rc = push(o, t, tl, NULL, 0, 0);
	}
	return rc;
}


/* A stretch of text without the town's words or control bytes, through MeCab. */
static int mecab_ruby(struct nlp_analyser *an, struct out *o, const char *text, size_t len, char *err)
{
	if (!len)
		return 0;
	char *copy = malloc(len + 1);  /* NUL-terminated: MeCab reads up to the NUL */
	if (!copy)
		return MG_ERR_NOMEM;
	memcpy(copy, text, len);
	copy[len] = 0;
	const mecab_node_t *node = nlp_parse_nodes(an, copy, len, err);
	if (!node) {
		free(copy);
		return MG_ERR_ANALYSER;
	}
	size_t pos = 0;
	int rc = 0;
	for (; node && !rc; node = node->next) {
		if (node->stat == MECAB_BOS_NODE || node->stat == MECAB_EOS_NODE)
			continue;
		if (node->surface < copy || (size_t)(node->surface - copy) < pos ||
		    (size_t)(node->surface - copy) + node->length > len)
			continue;  /* never seen; the text stays whole whatever MeCab does */
		size_t off = (size_t)(node->surface - copy);
		rc = push(o, text + pos, off - pos, NULL, 0, 0);  /* the spaces MeCab skipped */
		const char *f[NLP_NFIELDS], *reading = NULL;
		size_t flen[NLP_NFIELDS], rlen = 0;
		if (node->feature && nlp_features(node->feature, f, flen) > NLP_FIELD_READING &&
		    !(flen[NLP_FIELD_READING] == 1 && *f[NLP_FIELD_READING] == '*')) {
			reading = f[NLP_FIELD_READING];
			rlen = flen[NLP_FIELD_READING];
		}
		if (!rc)
			rc = word_ruby(o, text + off, node->length, reading, rlen);
		pos = off + node->length;
	}
	if (!rc)
		rc = push(o, text + pos, len - pos, NULL, 0, 0);
	free(copy);
	return rc;
}

int nlp_ruby(struct nlp_analyser *an, const struct nlp_readings *words, const char *text, size_t len,
	     nlp_ruby_fn fn, void *ctx, char *err)
{
	if (!nlp_is_utf8(text, len))
		return len ? fn(ctx, text, len, NULL, 0) : 0;
	struct out o = {.fn = fn, .ctx = ctx, .r = MG_BUF_INIT(SIZE_MAX)};
	size_t chunk = 0, i = 0;
	int rc = 0;
	while (i < len && !rc) {
		unsigned char b = (unsigned char)text[i];
		const struct reading_word *w = b < 0x20 || b == 0x7f ? NULL : word_at(words, text + i, len - i);
		if (b < 0x20 || b == 0x7f || w) {
			/* MeCab never sees a NUL, and never a town word it would cut */
			rc = mecab_ruby(an, &o, text + chunk, i - chunk, err);
			if (!rc && w)
				rc = word_ruby(&o, text + i, w->wlen, w->reading, w->rlen);
			else if (!rc)
				rc = push(&o, text + i, 1, NULL, 0, 0);
			i += w ? w->wlen : 1;
			chunk = i;
			continue;
		}
		i++;
		while (i < len && ((unsigned char)text[i] & 0xc0) == 0x80)
			i++;
	}
	if (!rc)
		rc = mecab_ruby(an, &o, text + chunk, len - chunk, err);
	if (!rc)
		rc = flush(&o);
	mg_buf_free(&o.r);
	if (rc == MG_ERR_NOMEM)
		mg_fail(err, rc, "out of memory");
	return rc;
}
