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
	.answer = 0.30,       /* the answer text helps when no phrasing is close */
	.vocabulary = 0.15,   /* words spread over several phrasings and keywords count a little:
			       * dev.tsv MRR@10 0.885 → 0.891 with answer 0.3, top-3 92.9% → 93.5% */
	.keyword = 0.5,       /* each keyword is a row; a keyword that is the whole question counts half a
			       * phrasing. dev.tsv: rows instead of one bag 87.1% -> 88.0% top-1; then
			       * 0 and 0.5 tie (88.0%, MRR@10 0.926), 0.85: 87.1%, 1: 86.5% */
	.max_df_ratio = 0.25, /* terms in over a quarter of all phrasings are noise here, */
	.min_df_stop = 50,    /* unless the knowledge base is too small to tell */
	.gram_max_df_ratio = 0.10,  /* bigrams in over a tenth of the phrasings: no loss on dev.tsv, and fewer rows to read */
	.bm25_only = 0,
};

/* The floor the issue asks to beat: untuned BM25 over lemmas, OR of terms. */
static const struct kb_weights POLICY_FLOOR_WEIGHTS = {
	.term_query = 1, .term_row = 1, .gram_query = 1, .gram_row = 1,
	.max_df_ratio = 1.0, .gram_max_df_ratio = 1.0, .bm25_only = 1,
};

/* Questions longer than this are refused with a clear message: a resident's
 * question is a sentence or two; 1000 bytes is ~330 Japanese characters. */
#define POLICY_MAX_QUESTION_BYTES 1000

/* Candidates reported by default and at most (--top). */
#define POLICY_DEFAULT_TOP 3
#define POLICY_MAX_TOP     20

/* Confidence = logistic(BIAS + COEF · x) with x = (s1, s1 - s2, q1, known):
 * s1 and s2 the best scores of the first two topics, q1 the share of the
 * question's words (idf-weighted) that the best phrasing covers, known the
 * share of the question's words the knowledge base has at all. Fitted by
 * logistic regression on dev.tsv (eval --calibrate prints these lines and a
 * reliability table): a confidence of 0.8 means about 8 in 10 such questions
 * were met rightly — the right topic first, or for a question that is not
 * the FAQ's, another office's entry first. (A fifth feature, the share of
 * the question's words anywhere in the best entry, moved no threshold's
 * figures by more than one question.) */
#define POLICY_CONF_FEATURES 4
#define POLICY_CONF_BIAS (-1.17)
static const double POLICY_CONF_COEF[POLICY_CONF_FEATURES] = {5.73, 11.80, -4.52, -0.51};

/* Answer when the confidence reaches this. eval --calibrate on dev.tsv:
 * at 0.85, 68.6% of in-scope questions are answered and 1.5% answered with
 * the wrong topic; 0.80 gives 74.5% and 3.1%, over the 3% the town accepts,
 * so 0.85 keeps a margin for questions unlike dev.tsv's. */
#define POLICY_ANSWER_MIN_CONFIDENCE 0.85

/* Below the answer threshold, offer the best two or three topics when the
 * confidence reaches this; below it hand off to a person. eval --calibrate:
 * at 0.40, 84.6% of in-scope questions get the right topic first while 94.2%
 * of out-of-scope ones are handed off (0.30: 85.5% and 90.4%; 0.50: 82.2%
 * and 98.1%). dev.tsv's out-of-scope questions have been seen while the
 * other-office entries were written, so the threshold leans towards handing
 * off. Offering a choice to someone whose question is elsewhere costs a tap
 * ("none of these" leads to the call centre); handing off a question the
 * FAQ answers costs a phone call. */
#define POLICY_CLARIFY_MIN_CONFIDENCE 0.40
#define POLICY_CLARIFY_BAND      0.15  /* a third topic is offered within this score of the best */
#define POLICY_CLARIFY_MAX       3

/* A hand-off goes to the route of the best candidate when it scores at least
 * this (the question is about that topic even if no entry answers it);
 * otherwise to the call centre. */
#define POLICY_ROUTE_MIN_SCORE 0.25

/* The topic that answers a question written in neither Japanese nor English
 * (Korean, Vietnamese, Portuguese, ...): which languages the lines speak. */
#define POLICY_OTHER_LANGUAGE_TOPIC "foreign-language"

/* Popular questions shown before anything is typed. */
#define POLICY_POPULAR_DEFAULT 6

#endif
