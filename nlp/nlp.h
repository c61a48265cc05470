/* Text → search terms. Owns Unicode normalisation (NFKC, case folding), the
 * synonym rewrite, MeCab analysis (lemmas and readings of content words) and
 * the English stemmer. Knows nothing about SQLite or HTTP. */
#ifndef NLP_H
#define NLP_H

#include <stddef.h>

#include "nlp/mg.h"

struct nlp_model;     /* the MeCab model: one per process, shared by all threads */
struct nlp_analyser;  /* tagger, lattice, stemmer and buffers: one per thread */
struct nlp_synonyms;  /* variant → canonical rewrite list; read-only once lemmatised */

/* Prefixes that keep the three kinds of term apart in one index. A lemma has
 * none; the kana reading of a noun starts with '@'; a reading bigram with '~'. */
#define NLP_READING_PREFIX '@'
#define NLP_GRAM_PREFIX    '~'

enum nlp_kind {
	NLP_TERM,  /* a lemma, an English stem or a noun's reading: a word */
	NLP_GRAM,  /* two kana of the text's reading: survives hiragana input and typos */
	NLP_COMPOUND,  /* consecutive nouns as one word (接種+券 → 接種券), after its parts */
};

/* Called once per term, in text order; tok is valid only during the call and
 * is not NUL-terminated. A non-zero return stops the analysis and is returned
 * by nlp_analyse() unchanged (the FTS5 tokenizer passes SQLite codes through). */
typedef int (*nlp_emit_fn)(void *ctx, enum nlp_kind kind, const char *tok, int len);

/* 1 when tok (len bytes) is the word nlp_analyse emits for a question word
 * whose answer is one topic (いくら, 何歳), else 0. */
int nlp_is_question_word(const char *tok, int len);

int nlp_model_open(struct nlp_model **out, char *err);
void nlp_model_close(struct nlp_model *model);

/* The analyser borrows the model, which must outlive it. */
int nlp_analyser_new(struct nlp_model *model, struct nlp_analyser **out, char *err);
void nlp_analyser_free(struct nlp_analyser *an);

/* Analyses len bytes of text (need not be NUL-terminated; NUL and control
 * bytes count as spaces). syn may be NULL. Returns MG_ERR_UTF8 for invalid
 * UTF-8, MG_OK, or what emit returned. */
int nlp_analyse(struct nlp_analyser *an, const struct nlp_synonyms *syn,
		const char *text, size_t len, nlp_emit_fn emit, void *ctx, char *err);

/* NFKC + case folding, control characters as spaces, runs of spaces squeezed
 * and trimmed. *out is malloc'd and NUL-terminated; the caller frees it. */
int nlp_normalise(const char *text, size_t len, char **out, size_t *out_len, char *err);

/* True when the text has Latin letters and no kana or kanji: answer in English. */
int nlp_is_english(const char *text, size_t len);

/* True when the text has hiragana and no kanji, no katakana (the long-vowel
 * mark ー aside) and no Latin letter: a question typed without converting,
 * as many older residents type on a phone. */
int nlp_is_hiragana_only(const char *text, size_t len);

/* True when the text has no kana or kanji and is written in a script or
 * with letters that neither Japanese nor English uses (Hangul, Thai,
 * Devanagari, Cyrillic, Arabic, Vietnamese or accented Latin letters, ¿ ¡):
 * a language the knowledge base is not written in. */
int nlp_is_other_language(const char *text, size_t len);

struct nlp_synonyms *nlp_synonyms_new(void);
void nlp_synonyms_free(struct nlp_synonyms *syn);
/* Both words are normalised first. A variant listed twice keeps its first
 * canonical (a hash of the variants: constant time a pair). */
int nlp_synonyms_add(struct nlp_synonyms *syn, const char *canonical, const char *variant, char *err);
/* Rewrites variants to their canonical word, longest variant first. *out is
 * malloc'd and NUL-terminated; the caller frees it. */
int nlp_synonyms_apply(const struct nlp_synonyms *syn, const char *text, size_t len,
		       char **out, size_t *out_len);
/* Reads each variant made of one verb or adjective and its endings
 * (なくした, 無くして) with an's MeCab, so that nlp_analyse gives any
 * inflection of it (なくしました, なくす) the canonical word, where the
 * rewrite above meets only the spelling listed. A negated variant
 * (見当たらない), a kana spelling of a word of its group (ねだん of 値段:
 * MeCab's ねだる) and a lemma two canonical words claim are left out. A
 * verb listed with a direction (越してきた) that is the tail of a longer
 * verb of its group (引っ越してきた) meets it only with that direction:
 * 年を越す is not 転入. Call once the list is complete: from then on the
 * list is only read, and threads may share it (kb/'s model does). Linear
 * in the list's length. MG_OK or MG_ERR_NOMEM. */
int nlp_synonyms_lemmatise(struct nlp_synonyms *syn, struct nlp_analyser *an, char *err);

/* ---- furigana (nlp/ruby.c) ------------------------------------------------ */

/* The town's own words with their readings (place names, the names of its
 * halls), which MeCab's dictionary does not know or reads wrongly: the
 * town's user dictionary for furigana. Immutable while in use. */
struct nlp_readings;

struct nlp_readings *nlp_readings_new(void);
void nlp_readings_free(struct nlp_readings *r);
/* word is matched byte for byte as written in the text; reading is in
 * hiragana (katakana is taken as hiragana). MG_ERR_INPUT, err saying why,
 * for an empty word or reading, a reading that is not kana, invalid UTF-8. */
int nlp_readings_add(struct nlp_readings *r, const char *word, const char *reading, char *err);

/* Called once per segment, in text order; the segments' texts concatenate
 * back to the input exactly. reading is NULL for a segment without ruby
 * (kana, numbers, Latin letters, punctuation, spaces, a word without a known
 * reading), otherwise the segment's reading in hiragana (and the long-vowel
 * mark ー). Neither string is NUL-terminated nor valid after the call. A
 * non-zero return stops the walk and is returned by nlp_ruby(). */
typedef int (*nlp_ruby_fn)(void *ctx, const char *text, size_t len, const char *reading, size_t rlen);

/* Splits text into segments with readings over their kanji only, for
 * <ruby>: the town's words first, longest match first, then MeCab's
 * readings; okurigana are left out of the ruby (受|け: ruby over 受), and
 * neighbouring all-kanji words share one ruby (接種券 せっしゅけん). Invalid
 * UTF-8 is one segment without ruby. words may be NULL. */
int nlp_ruby(struct nlp_analyser *an, const struct nlp_readings *words, const char *text, size_t len,
	     nlp_ruby_fn fn, void *ctx, char *err);

#endif
