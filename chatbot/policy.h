/* Every product decision of the answer engine, in one place. Each value says
 * which measurement chose it; the figures come from
 *   ./madoguchi eval tests/eval/dev.tsv            (answer quality)
 *   ./madoguchi eval --calibrate tests/eval/dev.tsv (the confidence fit)
 * on the shipped sample knowledge base. tests/eval/holdout.tsv is never used
 * to choose a value: it only reports. */
#ifndef POLICY_H
#define POLICY_H

#include "kb/kb.h"

/* How a phrasing is scored against a question (see struct kb_weights).
 * Chosen on dev.tsv by comparing MRR@10 and top-1 one change at a time;
 * the README's "Answer quality" table shows the steps. */
static const struct kb_weights POLICY_WEIGHTS = {
	.term_query = 0.7,    /* what share of the resident's words the phrasing covers matters most */
	.term_row = 0.3,      /* ...and a phrasing that is mostly those words wins ties */
	.gram_query = 0.7,
	.gram_row = 0.3,
	.gram_share = 0.35,   /* readings rescue hiragana and typos but are noisier than words */
	.answer = 0.15,       /* the answer text helps when no phrasing is close */
	.max_df_ratio = 0.25, /* terms in over a quarter of all phrasings are noise here, */
	.min_df_stop = 50,    /* unless the knowledge base is too small to tell */
	.bm25_only = 0,
};

/* The floor the issue asks to beat: untuned BM25 over lemmas, OR of terms. */
static const struct kb_weights POLICY_FLOOR_WEIGHTS = {
	.term_query = 1, .term_row = 1, .gram_query = 1, .gram_row = 1,
	.max_df_ratio = 1.0, .bm25_only = 1,
};

/* Questions longer than this are refused with a clear message: a resident's
 * question is a sentence or two; 1000 bytes is ~330 Japanese characters. */
#define POLICY_MAX_QUESTION_BYTES 1000

/* Candidates reported by default and at most (--top). */
#define POLICY_DEFAULT_TOP 3
#define POLICY_MAX_TOP     20

/* Confidence = logistic(B0 + B_SCORE*s1 + B_MARGIN*(s1 - s2) + B_KNOWN*known),
 * s1 and s2 the best scores of the first two topics, known the share of the
 * question's words that the knowledge base has. Fitted by logistic regression
 * on dev.tsv (eval --calibrate): a confidence of 0.8 means about 8 in 10 such
 * answers had the right topic. */
#define POLICY_CONF_B0       (-6.0)
#define POLICY_CONF_B_SCORE  (9.0)
#define POLICY_CONF_B_MARGIN (6.0)
#define POLICY_CONF_B_KNOWN  (1.5)

/* Answer when the confidence reaches this: chosen on dev.tsv so that wrong
 * confident answers stay under 3% of in-scope questions. */
#define POLICY_ANSWER_MIN_CONFIDENCE 0.6

/* Offer a choice when the best topic scores at least this and the next ones
 * are within the band; below it the question goes to a person. */
#define POLICY_CLARIFY_MIN_SCORE 0.35
#define POLICY_CLARIFY_BAND      0.15
#define POLICY_CLARIFY_MAX       3

/* A hand-off goes to the route of the best candidate when it scores at least
 * this (the question is about that topic even if no entry answers it);
 * otherwise to the call centre. */
#define POLICY_ROUTE_MIN_SCORE 0.25

/* Popular questions shown before anything is typed. */
#define POLICY_POPULAR_DEFAULT 6

#endif
