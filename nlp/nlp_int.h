/* What the nlp/ files share among themselves and nobody else sees. */
#ifndef NLP_INT_H
#define NLP_INT_H

#include <mecab.h>
#include <stddef.h>
#include <stdint.h>

#include "nlp/nlp.h"

/* Parses len bytes of text (no NUL inside, and text[len] a NUL: MeCab's
 * dictionary lookup reads up to it) with the analyser's own tagger
 * and lattice and returns the BOS node, or NULL with err set. The nodes'
 * surfaces point into text, which must outlive them; they stay valid until
 * the analyser's next parse. */
const mecab_node_t *nlp_parse_nodes(struct nlp_analyser *an, const char *text, size_t len, char *err);

/* ipadic's feature string has 9 comma-separated fields for a known word
 * (part of speech and 3 subclasses, conjugation type and form, lemma,
 * reading, pronunciation), 7 for an unknown one; "*" is an empty field. */
#define NLP_NFIELDS 9
#define NLP_FIELD_LEMMA 6
#define NLP_FIELD_READING 7

/* Splits a node's feature string into at most NLP_NFIELDS fields (not
 * NUL-terminated: f[i] and flen[i]); returns how many there are. */
int nlp_features(const char *feature, const char *f[NLP_NFIELDS], size_t flen[NLP_NFIELDS]);

/* Characters read with a ruby: the ideographs, the iteration mark 々, 〆 and
 * the small ヶ ヵ (一ヶ月). */
static inline int nlp_is_kanji(int32_t cp)
{
	return (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) ||
	       (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x20000 && cp <= 0x3134f) ||
	       cp == 0x3005 || cp == 0x3006 || cp == 0x30f6 || cp == 0x30f5;
}

/* Full-width hiragana and katakana, marks included (ー ・ ゝ ヽ). */
static inline int nlp_is_kana(int32_t cp)
{
	return (cp >= 0x3041 && cp <= 0x309e) || (cp >= 0x30a1 && cp <= 0x30fe);
}

#endif
