/* Search in two stages. The first is one FTS5 query over entry rows,
 * ranked by bm25 with the answers weighed apart from the phrasings, that
 * hands its best `depth` entries to the second. The second scores only
 * those, in memory (kb/model.c), on features that see every phrasing of an
 * entry at once: BM25F over phrasings and answers, a multinomial topic model
 * trained on the phrasings, the closest single phrasing, and how much of
 * the question the entry's phrasings say anywhere. Their weighted sum ranks;
 * the weights are the caller's (chatbot/policy.h says how they were chosen). */
#include "kb/kb_int.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct query {
	/* cleared at every question (query_get); the arrays below are written
	 * phrase by phrase (query_push) and word by word (query_stats) */
	int nphrases, nterms, nwords;
	double word_total, gram_total;  /* what a perfect match would score, words and grams */
	int64_t total_q;
	size_t used;
	int last_kind_term;             /* the previous phrase was a term: a reading joins its word */
	double sentence_weight;         /* of the sentence being analysed */
	double compound;                /* weight of a compound next to its parts */
	double asking;                  /* weight of a question word (いくら) next to another word */
	int no_readings;
	/* phrase[0..nterms) are words (a reading grouped with its lemma),
	 * phrase[nterms..nphrases) reading bigrams */
	char *phrase[KB_MAX_PHRASES];
	int len[KB_MAX_PHRASES];
	int word[KB_MAX_PHRASES];       /* for terms: the word the phrase belongs to; -1 for grams */
	int expansion[KB_MAX_PHRASES];  /* a word the dictionary says means the same, not the question's */
	int is_compound[KB_MAX_PHRASES];  /* a compound of the question's nouns (コロナ+ワクチン) */
	double weight[KB_MAX_PHRASES];  /* 1, or less for a long question's other sentences */
	const struct kb_mterm *t[KB_MAX_PHRASES];  /* NULL: not in the index */
	double idf[KB_MAX_PHRASES];     /* 0 for a term too common to say anything */
	int df[KB_MAX_PHRASES];         /* entries whose phrasings hold it (leave-one-out applied) */
	int64_t cf[KB_MAX_PHRASES];     /* its occurrences in all phrasings */
	int in_match[KB_MAX_PHRASES];
	int excluded[KB_MAX_PHRASES];   /* occurrences in the phrasing left out */
	int df_a[KB_MAX_PHRASES];       /* entries whose answers hold it (leave-one-out applied) */
	double damp[KB_MAX_PHRASES];    /* 1, or less for a word of the domain (w->domain) */
	double perfect[KB_MAX_PHRASES]; /* its share of what a perfect match scores: 1, or for a
					 * word of the domain its idf over every field's share */
	double word_idf[KB_MAX_PHRASES], word_weight[KB_MAX_PHRASES];
	double word_damp[KB_MAX_PHRASES];  /* damp and perfect of the spelling word_idf comes from */
	double word_perfect[KB_MAX_PHRASES];
	/* what features() multiplies by for every candidate, computed once per
	 * question by query_coefficients, in the same order of operations */
	int in_nb[KB_MAX_PHRASES];        /* said by some phrasing: in the topic model */
	double nb_coef[KB_MAX_PHRASES];   /* weight * damp * g */
	double nb_mu;                     /* the topic model's prior on this knowledge base */
	double nb_prior[KB_MAX_PHRASES];  /* nb_mu * the phrase's share of all phrasings */
	/* The topic model's log-likelihood of an entry, the sum over i of
	 * nb_coef[i] * log((x_i + nb_prior[i]) / len) with x_i the entry's count
	 * of phrase i, is nb_sum_logprior - nb_sum_coef * log(len) plus, for each
	 * phrase the entry holds, nb_coef[i] * (log(x_i + nb_prior[i]) -
	 * nb_logprior[i]): a log an entry and one a phrase it holds, not one
	 * a phrase and candidate (the log()s were 2.8 M of the first 70 dev
	 * questions' 41.8 M instructions). The sums round otherwise: the
	 * topic model's share moves by 3e-13 at most, the rankings and replies
	 * not at all (ask --json --top 10 over dev and the faq's phrasings,
	 * shipped and 10,000 entries). nb_split is 0 where a prior is 0 (eval's
	 * --weights nb_mu=0), whose log is not a number to add up. */
	double nb_logprior[KB_MAX_PHRASES];
	double nb_sum_logprior, nb_sum_coef;
	int nb_split;
	double sat_coef[KB_MAX_PHRASES];  /* weight * damp * idf */
	double tq_coef[KB_MAX_PHRASES];   /* what a phrasing holding it adds to its tq */
	char buf[KB_QUERY_BUF];
};

/* The connection's query, its counters cleared: kept between questions
 * like the first stage's arrays, because zeroing all of its 29 KB at every
 * question (calloc) was 37 K instructions, 3.5% of an ask. NULL without
 * memory. */
static struct query *query_get(struct kb *kb)
{
	if (!kb->query)
		kb->query = malloc(sizeof(struct query));
	struct query *q = kb->query;
	if (q)
		memset(q, 0, offsetof(struct query, phrase));
	return q;
}

/* A new phrase of the question (its other fields are the caller's): its
 * index, or -1 when the question is full. */
static int query_push(struct query *q, const char *tok, int len)
{
	if (q->nphrases == KB_MAX_PHRASES || q->used + (size_t)len + 1 > sizeof q->buf)
		return -1;
	char *p = q->buf + q->used;
	memcpy(p, tok, (size_t)len);
	p[len] = 0;
	q->used += (size_t)len + 1;
	int i = q->nphrases++;
	q->phrase[i] = p;
	q->len[i] = len;
	q->word[i] = -1;
	q->expansion[i] = q->is_compound[i] = q->in_match[i] = q->excluded[i] = 0;
	q->df[i] = q->df_a[i] = 0;
	q->weight[i] = q->idf[i] = q->damp[i] = q->perfect[i] = 0;
	q->cf[i] = 0;
	q->t[i] = NULL;
	return i;
}

static int query_add(void *ctx, enum nlp_kind kind, const char *tok, int len)
{
	struct query *q = ctx;
	int is_reading = kind == NLP_TERM && len > 0 && tok[0] == NLP_READING_PREFIX;
	if (q->no_readings && (is_reading || kind == NLP_GRAM))
		return 0;
	double weight = q->sentence_weight * (kind == NLP_COMPOUND ? q->compound : 1);
	if (kind == NLP_TERM && nlp_is_question_word(tok, len))
		weight *= q->asking;
	int is_compound = kind == NLP_COMPOUND;
	if (kind == NLP_COMPOUND)
		kind = NLP_TERM;
	for (int i = 0; i < q->nphrases; i++) {
		if (q->len[i] == len && !memcmp(q->phrase[i], tok, (size_t)len)) {
			if (weight > q->weight[i])
				q->weight[i] = weight;
			q->last_kind_term = kind == NLP_TERM && !is_reading;
			return 0;
		}
	}
	int i = query_push(q, tok, len);
	if (i < 0)
		return 0;  /* a very long question is judged on its first terms */
	q->weight[i] = weight;
	q->is_compound[i] = is_compound;
	if (kind == NLP_TERM) {
		q->word[i] = (is_reading && q->last_kind_term) ? q->nwords - 1 : q->nwords++;
		q->last_kind_term = !is_reading;
	} else {
		q->word[i] = -1;
		q->last_kind_term = 0;
	}
	return 0;
}

static int phrase_cmp_terms_first(const void *a, const void *b)
{
	const int *x = a, *y = b;
	return x[1] - y[1];
}

/* Orders the phrases terms first (stable), since the analyser interleaves them. */
static void query_order(struct query *q)
{
	int order[KB_MAX_PHRASES][2];
	for (int i = 0; i < q->nphrases; i++) {
		order[i][0] = i;
		/* a word's spellings together, the question's own before the dictionary's */
		order[i][1] = q->word[i] < 0 ? KB_MAX_PHRASES * KB_MAX_PHRASES + i : q->word[i] * KB_MAX_PHRASES + i;
	}
	qsort(order, (size_t)q->nphrases, sizeof order[0], phrase_cmp_terms_first);
	char *phrase[KB_MAX_PHRASES];
	int len[KB_MAX_PHRASES], word[KB_MAX_PHRASES], expansion[KB_MAX_PHRASES], compound[KB_MAX_PHRASES];
	double weight[KB_MAX_PHRASES];
	q->nterms = 0;
	for (int i = 0; i < q->nphrases; i++) {
		int k = order[i][0];
		phrase[i] = q->phrase[k];
		len[i] = q->len[k];
		word[i] = q->word[k];
		weight[i] = q->weight[k];
		expansion[i] = q->expansion[k];
		compound[i] = q->is_compound[k];
		if (word[i] >= 0)
			q->nterms++;
	}
	memcpy(q->phrase, phrase, sizeof phrase);
	memcpy(q->len, len, sizeof len);
	memcpy(q->word, word, sizeof word);
	memcpy(q->weight, weight, sizeof weight);
	memcpy(q->expansion, expansion, sizeof expansion);
	memcpy(q->is_compound, compound, sizeof compound);
}

/* ---- words the dictionary adds (kb/gloss.c) ---------------------------------- */

struct expand {
	struct query *q;
	int word[KB_MAX_PHRASES];   /* bridge: the word of each stem */
	int src_word, added, max;
	double weight;
	double stem_weight[KB_MAX_PHRASES];
	double factor;
};

/* Another spelling of word src: kept apart from the question's own terms. */
static int expand_add(void *ctx, const char *tok, int len, int src)
{
	struct expand *x = ctx;
	struct query *q = x->q;
	if (x->added >= x->max)
		return 0;
	for (int i = 0; i < q->nphrases; i++)
		if (q->len[i] == len && !memcmp(q->phrase[i], tok, (size_t)len))
			return 0;
	int i = query_push(q, tok, len);
	if (i < 0)
		return 1;
	q->word[i] = src >= 0 ? x->word[src] : x->src_word;
	q->weight[i] = (src >= 0 ? x->stem_weight[src] : x->weight) * x->factor;
	q->expansion[i] = 1;
	x->added++;
	return 0;
}

/* Japanese words sharing a gloss with the question's content words, and
 * the Japanese words an English question's words gloss, as lighter
 * spellings of the question's words. */
static void query_expand(struct kb *kb, struct query *q, const struct kb_weights *w)
{
	struct expand x = {.q = q};
	int n = q->nphrases;
	const char *stem[KB_MAX_PHRASES];
	int stem_len[KB_MAX_PHRASES], nstems = 0;
	for (int i = 0; w->bridge > 0 && i < n; i++) {
		if (q->word[i] < 0 || (unsigned char)q->phrase[i][0] >= 0x80 ||
		    q->phrase[i][0] == NLP_READING_PREFIX)
			continue;
		/* an English word the entries already say needs no bridge */
		if (w->bridge_unknown && kb_model_term(kb->model, q->phrase[i], q->len[i]))
			continue;
		stem[nstems] = q->phrase[i];
		stem_len[nstems] = q->len[i];
		x.word[nstems] = q->word[i];
		x.stem_weight[nstems++] = q->weight[i];
	}
	/* The dictionary is read at start (kb_gloss_preload), or here by a
	 * process that did not. */
	if (w->synonym <= 0 && !nstems)
		return;
	const struct kb_gloss *g = kb_gloss_of(kb, kb->model, w->synonym > 0);
	if (!g)
		return;
	for (int i = 0; w->synonym > 0 && i < n; i++) {
		if (q->word[i] < 0 || q->expansion[i])
			continue;
		x.src_word = q->word[i];
		x.weight = q->weight[i];
		x.factor = w->synonym;
		x.added = 0;
		x.max = w->gloss_max;
		kb_gloss_synonyms(kb->model, g, q->phrase[i], q->len[i], w->gloss_fanout, expand_add, &x);
	}
	if (nstems) {
		x.factor = w->bridge;
		x.added = 0;
		x.max = w->gloss_max * nstems;
		kb_gloss_bridge(kb->model, g, stem, stem_len, nstems, w->gloss_fanout, expand_add, &x);
	}
}

/* A sentence ends at 。 ! ? or a line break. */
static size_t sentence_end(const char *s, size_t len, size_t i)
{
	while (i < len) {
		if (s[i] == '!' || s[i] == '?' || s[i] == '\n')
			return i + 1;
		if (i + 3 <= len && !memcmp(s + i, "。", 3))
			return i + 3;
		i++;
	}
	return len;
}

/* The sentence that asks: the last one ending in a question mark, else the
 * last one with a word in it. Its start and end into *a, *b. */
static void asking_sentence(const char *s, size_t len, size_t *a, size_t *b)
{
	*a = 0, *b = len;
	size_t last_q_a = 0, last_q_b = 0, last_a = 0, last_b = 0;
	for (size_t i = 0; i < len;) {
		size_t e = sentence_end(s, len, i);
		size_t n = e - i;
		if (n > 1) {
			if (s[e - 1] == '?')
				last_q_a = i, last_q_b = e;
			last_a = i, last_b = e;
		}
		i = e;
	}
	if (last_q_b)
		*a = last_q_a, *b = last_q_b;
	else if (last_b)
		*a = last_a, *b = last_b;
}

/* Analyses the question: the asking sentence at full weight first, then the
 * story before and after it at w->context, so that a word only the story
 * says counts less. A question of one sentence is the whole text. The
 * story is analysed without the asking sentence, whose words it would only
 * find again: a sentence ends at a mark that ends every reading run and
 * compound, so the words are nearly those of the whole text (MeCab may
 * read a word at a sentence's edge otherwise once the sentence stands
 * alone): the same rankings over dev, leave-one-out and plain, and of the
 * held-out sets' totals only holdout's answered moved (57.7 → 58.8%, wrongly
 * the same). MeCab reads a long question once, not one and a half times. */
static int query_analyse(struct kb *kb, struct query *q, const char *text, size_t len,
			 const struct kb_weights *w, char *err)
{
	size_t a, b;
	q->compound = w->compound;
	q->asking = w->asking;
	q->no_readings = w->no_readings;
	asking_sentence(text, len, &a, &b);
	q->sentence_weight = 1;
	int rc = nlp_analyse(kb->an, kb_syn(kb), text + a, b - a, query_add, q, err);
	q->sentence_weight = w->context;
	if (rc == MG_OK && a > 0) {
		q->last_kind_term = 0;
		rc = nlp_analyse(kb->an, kb_syn(kb), text, a, query_add, q, err);
	}
	if (rc == MG_OK && b < len) {
		q->last_kind_term = 0;
		rc = nlp_analyse(kb->an, kb_syn(kb), text + b, len - b, query_add, q, err);
	}
	return rc;
}

static int count_excluded(void *ctx, enum nlp_kind kind, const char *tok, int len)
{
	(void)kind;
	struct query *q = ctx;
	for (int i = 0; i < q->nphrases; i++)
		if (q->len[i] == len && !memcmp(q->phrase[i], tok, (size_t)len))
			q->excluded[i]++;
	q->total_q--;
	return 0;
}

/* Entry frequencies and idf from the model, with the excluded phrasing
 * taken out of them: what the model would say if its entry never had it. */
static int query_stats(struct kb *kb, struct query *q, const struct kb_weights *w,
		       const struct kb_exclude *ex, int32_t ex_slot, char *err)
{
	const struct kb_model *m = kb->model;
	int whole = ex && ex->phrasing < 0 && ex_slot >= 0;
	q->total_q = m->total_q;
	if (whole)
		q->total_q -= m->ents[ex_slot].len_q;
	else if (ex) {
		int rc = nlp_analyse(kb->an, kb_syn(kb), ex->text, ex->len, count_excluded, q, err);
		if (rc != MG_OK)
			return rc;
	}
	double n = m->nents > 0 ? m->nents - whole : 1;
	for (int i = 0; i < q->nphrases; i++) {
		const struct kb_mterm *t = kb_model_term(m, q->phrase[i], q->len[i]);
		const struct kb_post *p = t && ex_slot >= 0 ? kb_model_post(m, t, ex_slot) : NULL;
		q->t[i] = t;
		q->df[i] = t ? t->df_q : 0;
		q->df_a[i] = t ? t->df_a : 0;
		if (whole && p) {  /* the entry is gone: every occurrence of it */
			q->excluded[i] = p->tf_q;
			q->df[i] -= p->tf_q > 0;
			q->df_a[i] -= p->tf_a > 0;
		} else if (p && q->excluded[i] && p->tf_q <= q->excluded[i]) {
			q->df[i]--;
		}
		q->cf[i] = t ? t->cf_q - q->excluded[i] : 0;
		int df_a = q->df_a[i];
		/* Entries that say it anywhere, phrasings or answers. */
		int df_u = t ? (int)t->npost : 0;
		if (whole && p)
			df_u--;
		else if (p && q->excluded[i] && p->tf_q <= q->excluded[i] && !p->tf_a)
			df_u--;
		q->damp[i] = q->perfect[i] = 1;
		if (w->domain > 0 && df_u > q->df[i] && (i < q->nterms || w->domain_grams)) {
			/* A word of the domain (コロナ, ワクチン) is said by most
			 * entries' answers and few phrasings: its idf over the
			 * phrasings alone says it tells entries apart, its idf over
			 * every field says it does not. When their ratio is far under
			 * the knowledge base's usual word's (a plain FAQ's one
			 * question says less than its answer, thirty phrasings say
			 * more), the ratio to w->domain damps it in every signal of
			 * the second stage, the topic model included, which weighs
			 * no idf. The first stage needs nothing: FTS5's bm25 counts
			 * a term's entries over every field already. */
			double idf_u = log(1.0 + (n - df_u + 0.5) / (df_u + 0.5));
			double idf_q = log(1.0 + (n - q->df[i] + 0.5) / (q->df[i] + 0.5));
			double ratio = idf_q > 0 && m->usual_spread > 0 ? fmax(0, idf_u) / idf_q / m->usual_spread : 1;
			if (ratio < w->domain_ratio) {
				q->damp[i] = pow(ratio, w->domain);
				q->perfect[i] = fmax(q->damp[i], fmax(0, idf_u) / idf_q);
			}
		}
		/* A word most answers say is the domain's (コロナ, ワクチン), however
		 * few phrasings say it: it tells no entry from another. */
		double df = fmax(q->df[i], w->answer_df * df_a);
		q->idf[i] = log(1.0 + (n - df + 0.5) / (df + 0.5));
		if (w->bm25_only) {
			q->in_match[i] = i < q->nterms && q->phrase[i][0] != NLP_READING_PREFIX;
			continue;
		}
		/* Very common terms select nearly every entry and say nothing: no
		 * weight, and a word is left out of the first stage. A bigram in a
		 * tenth of the entries still says something (the second stage weighs
		 * it) but is not worth its long posting list in the first stage. */
		int too_common = q->df[i] > w->max_df_ratio * n && q->df[i] > w->min_df_stop;
		int common = i < q->nterms && too_common;
		int long_list = (i >= q->nterms && q->df[i] > w->gram_max_df_ratio * n &&
				 q->df[i] > w->min_df_stop) ||
				(w->max_postings > 0 && q->df[i] + df_a > w->max_postings);
		if (too_common)
			q->idf[i] = 0;
		q->in_match[i] = (q->df[i] > 0 || df_a > 0) && !common && !long_list;
	}
	/* A compound says no more than its most telling part: コロナワクチン is
	 * as common as コロナ, whatever few phrasings spell it as one word. */
	for (int i = 0; w->compound_cap && i < q->nphrases; i++) {
		if (!q->is_compound[i])
			continue;
		double cap = -1, cap_damped = -1, cap_perfect = 0;
		for (int j = 0; j < q->nphrases; j++)
			if (j != i && !q->is_compound[j] && q->word[j] >= 0 && q->len[j] < q->len[i] &&
			    q->phrase[j][0] != NLP_READING_PREFIX && memmem(q->phrase[i], (size_t)q->len[i], q->phrase[j], (size_t)q->len[j])) {
				cap = fmax(cap, q->idf[j]);
				cap_damped = fmax(cap_damped, q->idf[j] * q->damp[j]);
				cap_perfect = fmax(cap_perfect, q->perfect[j]);
			}
		if (cap >= 0 && q->idf[i] > cap)
			q->idf[i] = cap;
		/* ...and is of the domain as much as its parts are (新型コロナワクチン
		 * in the answers, コロナワクチン in a few phrasings) */
		if (cap_damped >= 0 && q->idf[i] > 0 && q->idf[i] * q->damp[i] > cap_damped) {
			q->damp[i] = cap_damped / q->idf[i];
			q->perfect[i] = fmin(q->perfect[i], fmax(q->damp[i], cap_perfect));
		}
	}
	/* A question made only of terms with long lists still gets candidates:
	 * its rarest terms, at the cost of reading their lists. */
	int any = 0;
	for (int i = 0; i < q->nphrases; i++)
		any |= q->in_match[i];
	for (int k = 0; !any && !w->bm25_only && k < KB_FALLBACK_TERMS; k++) {
		int best = -1;
		for (int i = 0; i < q->nphrases; i++)
			if (!q->in_match[i] && q->idf[i] > 0 && q->df[i] > 0 && (best < 0 || q->df[i] < q->df[best]))
				best = i;
		if (best >= 0)
			q->in_match[best] = 2;  /* 2: taken as a fallback */
	}
	for (int i = 0; i < q->nphrases; i++)
		if (q->in_match[i] == 2)
			q->in_match[i] = 1;
	/* A word weighs as its best-known spelling (lemma or reading); a word
	 * the knowledge base has never seen weighs the most. */
	for (int k = 0; k < q->nwords; k++)
		q->word_idf[k] = -1, q->word_weight[k] = 0, q->word_damp[k] = q->word_perfect[k] = 1;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < q->nterms; i++) {
			int k = q->word[i];
			if (q->expansion[i] != pass)
				continue;
			if (q->weight[i] > q->word_weight[k])
				q->word_weight[k] = q->weight[i];
			/* the dictionary's words weigh a word only the knowledge base does not know */
			if (pass && q->word_idf[k] >= 0)
				continue;
			if (q->df[i] > 0 && q->word_idf[k] != 0 && (q->idf[i] == 0 || q->idf[i] > q->word_idf[k]))
				q->word_idf[k] = q->idf[i], q->word_damp[k] = q->damp[i], q->word_perfect[k] = q->perfect[i];
		}
	}
	double unseen = log(1.0 + (n + 0.5) / 0.5);
	/* What a perfect match would score: with domain_whole, a word of the
	 * domain counts there at its idf over every field, above what a match
	 * of it brings, so that a match of the domain's words alone is a
	 * partial one (the vaccine's name alone is not an answer). */
	q->word_total = 0;
	for (int k = 0; k < q->nwords; k++) {
		if (q->word_idf[k] < 0)
			q->word_idf[k] = unseen;
		q->word_total += q->word_weight[k] * q->word_idf[k] * (w->domain_whole ? q->word_perfect[k] : q->word_damp[k]);
	}
	q->gram_total = 0;
	for (int i = q->nterms; i < q->nphrases; i++)  /* 0 for a common one */
		q->gram_total += q->weight[i] * q->idf[i] * (w->domain_whole ? q->perfect[i] : q->damp[i]);
	return MG_OK;
}

/* The MATCH expression from quoted terms only (phrase i when use[i]): user
 * text never reaches FTS5's query syntax. Returns how many phrases it holds. */
static int query_match(const struct query *q, const int *use, char *out, size_t cap)
{
	size_t w = 0;
	int k = 0;
	for (int i = 0; i < q->nphrases; i++) {
		if (!use[i])
			continue;
		if (w + 2 * (size_t)q->len[i] + 8 > cap)
			break;
		if (k) {  /* room checked above: 2 * len + 8 holds the quotes and this */
			memcpy(out + w, " OR ", 4);
			w += 4;
		}
		out[w++] = '"';
		for (int j = 0; j < q->len[i]; j++) {
			if (q->phrase[i][j] == '"')
				out[w++] = '"';
			out[w++] = q->phrase[i][j];
		}
		out[w++] = '"';
		k++;
	}
	out[w] = 0;
	return k;
}

/* Per-phrasing sums of the closest-phrasing feature, reused across candidates. */
struct acc {
	double tq, gq;          /* idf of the question's words and bigrams the phrasing holds */
	int words, grams;       /* how many */
	int last_word;          /* the last word counted: a word's spellings count once */
};

/* a[] is all empty between candidates: a candidate empties only the
 * phrasings it touched (the bits of touched), not all of its 35 or so,
 * most of which hold no word of the question. The bits give the touched
 * phrasings in their order without sorting them (an insertion sort of
 * them was 6 K instructions an ask). */
struct scratch {
	struct acc *a;
	uint64_t *touched;  /* bit j: phrasing j was touched; all 0 between candidates */
	int cap;
};

static int scratch_fit(struct scratch *s, int n)
{
	if (n <= s->cap)
		return 0;
	struct acc *a = realloc(s->a, (size_t)n * sizeof *a);
	if (a)
		s->a = a;
	size_t words = ((size_t)n + 63) / 64;
	uint64_t *t = a ? calloc(words, sizeof *t) : NULL;
	if (!t)
		return -1;
	free(s->touched);
	s->touched = t;
	for (int j = s->cap; j < n; j++)
		s->a[j] = (struct acc){.last_word = -1};
	s->cap = n;
	return 0;
}

/* The factors of features() that depend on the question alone, on a
 * knowledge base whose phrasings order the candidates as far as evidence
 * says (phrasing_evidence). */
static void query_coefficients(struct query *q, const struct kb_weights *w, double evidence)
{
	/* A prior of nb_mu tokens, chosen where entries have fifty phrasings,
	 * outweighs an entry of one question and its answer: every entry's share
	 * of the topic model stays near the knowledge base's own, and the
	 * confidence reads that share. A plain FAQ has a prior of its size. */
	q->nb_mu = w->nb_mu_plain > 0 ? w->nb_mu_plain + (w->nb_mu - w->nb_mu_plain) * evidence : w->nb_mu;
	q->nb_sum_logprior = q->nb_sum_coef = 0;
	q->nb_split = 1;
	int ngrams = q->nphrases - q->nterms;
	double gram_scale = ngrams > 0 ? (double)(q->nwords > 0 ? q->nwords : 1) / ngrams : 0;
	for (int i = 0; i < q->nphrases; i++) {
		int gram = i >= q->nterms;
		/* Bigrams say again what the words say, four or five to a word:
		 * as a whole they weigh gram_weight of the evidence, words the rest. */
		double g = gram ? w->gram_weight * gram_scale : 1 - w->gram_weight;
		q->in_nb[i] = q->cf[i] > 0 && q->total_q > 0;
		if (q->in_nb[i]) {
			double prior = (double)q->cf[i] / (double)q->total_q;
			q->nb_coef[i] = q->weight[i] * q->damp[i] * g;
			q->nb_prior[i] = q->nb_mu * prior;
			q->nb_logprior[i] = log(q->nb_prior[i]);
			q->nb_sum_logprior += q->nb_coef[i] * q->nb_logprior[i];
			q->nb_sum_coef += q->nb_coef[i];
			if (!(q->nb_prior[i] > 0) || !isfinite(q->nb_logprior[i]))
				q->nb_split = 0;
		}
		q->sat_coef[i] = q->weight[i] * q->damp[i] * q->idf[i];
		if (!gram) {
			int k = q->word[i];
			q->tq_coef[i] = (q->expansion[i] ? q->weight[i] * q->damp[i] : q->word_weight[k] * q->word_damp[k]) *
					q->word_idf[k];
		}
	}
}

/* A phrase of the question and the candidate's posting of it (NULL: the
 * entry does not hold it). */
struct held {
	int phrase;
	const struct kb_post *p;
};

/* Whether a candidate's list of phrases names every phrase of the question,
 * held or not: only when the topic model cannot sum the priors of those it
 * does not hold (query_coefficients), which then count one by one. The
 * other features read nothing of a phrase the entry does not hold. */
static int held_every(const struct query *q)
{
	return !q->nb_split;
}

/* The second stage's features of entry slot ent into c (all but nb, which
 * needs every candidate's likelihood: returned as the log-likelihood), from
 * held[0..nheld): the phrases it holds in the question's order
 * (held_every: every phrase). */
static double features(const struct kb_model *m, const struct query *q, const struct kb_weights *w,
		       int32_t ent, const struct kb_exclude *ex, int32_t ex_slot, struct scratch *s,
		       const struct held *held, int nheld, struct kb_candidate *c)
{
	const struct kb_ment *e = &m->ents[ent];
	int own = ex && ent == ex_slot;
	int ex_phrasing = own ? ex->phrasing : -1;
	double len_q = (double)e->len_q;
	if (own && ex_phrasing >= 0 && (uint32_t)ex_phrasing < e->nshape)
		len_q -= m->shapes[e->shape + (uint32_t)ex_phrasing].ntokens;
	if (len_q < 0)
		len_q = 0;
	double norm_q = 1 - w->b + w->b * len_q / (m->avg_q > 0 ? m->avg_q : 1);
	/* The topic model: a multinomial over the entry's phrasing tokens with
	 * a Dirichlet prior from all phrasings (its numerator per phrase). */
	double nb_len = len_q + w->nb_answer * (double)e->len_a + q->nb_mu;
	double bm25 = 0, bm25_grams = 0, ll = 0, vocab = 0;
	double word_best[KB_MAX_PHRASES];
	double word_seen[KB_MAX_PHRASES];  /* 1, or less when only the dictionary's spelling is said */
	for (int k = 0; k < q->nwords; k++)
		word_best[k] = 0, word_seen[k] = 0;
	int n = (int)e->nshape;
	for (int h = 0; h < nheld; h++) {
		int i = held[h].phrase;
		const struct kb_post *p = held[h].p;
		double tf_q = p ? p->tf_q : 0, tf_a = p ? p->tf_a : 0;
		if (own)
			tf_q -= q->excluded[i];
		if (tf_q < 0)
			tf_q = 0;
		int gram = i >= q->nterms;
		if (q->in_nb[i]) {
			double x = tf_q + w->nb_answer * tf_a;
			if (!q->nb_split)
				ll += q->nb_coef[i] * log((x + q->nb_prior[i]) / nb_len);
			else if (x != 0)  /* else the phrase's term is its prior's, in the sums */
				ll += q->nb_coef[i] * (log(x + q->nb_prior[i]) - q->nb_logprior[i]);
		}
		if (!p || q->idf[i] == 0)
			continue;
		double tf = tf_q / norm_q + w->bm25_answer * tf_a;
		double sat = q->sat_coef[i] * tf / (w->k1 + tf);
		if (gram) {
			bm25_grams += sat;
		} else {
			int k = q->word[i];
			if (sat > word_best[k])
				word_best[k] = sat;
			double share = !q->expansion[i] ? 1 : q->word_weight[k] > 0 ? q->weight[i] / q->word_weight[k] : 0;
			if (tf_q > 0 && share > word_seen[k])
				word_seen[k] = share;
		}
		if (tf_q <= 0)
			continue;
		for (uint32_t x = 0; x < p->nphr; x++) {
			int j = m->phrasings[p->phr + x];
			if (j == ex_phrasing || j >= n)
				continue;
			struct acc *a = &s->a[j];
			s->touched[(unsigned)j / 64] |= (uint64_t)1 << ((unsigned)j % 64);
			if (gram) {
				a->gq += q->sat_coef[i];
				a->grams++;
			} else if (a->last_word != q->word[i]) {
				a->last_word = q->word[i];
				a->tq += q->tq_coef[i];
				a->words++;
			}
		}
	}
	for (int k = 0; k < q->nwords; k++) {
		bm25 += word_best[k];
		vocab += word_seen[k] * q->word_weight[k] * q->word_damp[k] * q->word_idf[k];
	}
	/* the phrasings in their order, so that the first of equal scores wins;
	 * w's and q's factors read once (a's writes may alias them for the
	 * compiler), and ratios at most 1 without fmin's call: the same values */
	double best = 0, best_tq = 0;
	const double term_query = w->term_query, term_row = w->term_row, terms_sum = term_query + term_row;
	const double gram_share = w->gram_share, keyword = w->keyword;
	const double word_total = q->word_total, gram_total = q->gram_total;
	for (int wd = 0; wd * 64 < n; wd++) {
		for (uint64_t bits = s->touched[wd]; bits; bits &= bits - 1) {
			int j = wd * 64 + __builtin_ctzll(bits);
			const struct kb_shape *sh = &m->shapes[e->shape + (uint32_t)j];
			struct acc *a = &s->a[j];
			double tq = word_total > 0 ? a->tq / word_total : 0;
			double tr = sh->nwords > 0 ? (double)a->words / sh->nwords : 0;
			double gq = gram_total > 0 ? a->gq / gram_total : 0;
			double gr = sh->ngrams > 0 ? (double)a->grams / sh->ngrams : 0;
			if (tr > 1.0)
				tr = 1.0;
			if (gr > 1.0)
				gr = 1.0;
			*a = (struct acc){.last_word = -1};
			double terms = (term_query * tq + term_row * tr) / terms_sum;
			double grams = (term_query * gq + term_row * gr) / terms_sum;
			/* English has no kana reading: words alone decide. */
			double score = (gram_total > 0 && sh->ngrams > 0)
				? (1 - gram_share) * terms + gram_share * grams : terms;
			if (sh->kind == KB_KIND_KEYWORD)
				score *= keyword;
			if (score > best)
				best = score, best_tq = tq;
		}
		s->touched[wd] = 0;
	}
	/* English has no readings: words alone. */
	double share = q->gram_total > 0 ? w->gram_weight : 0;
	double bm25f = (q->word_total > 0 ? (1 - share) * bm25 / q->word_total : 0) +
		       (q->gram_total > 0 ? share * bm25_grams / q->gram_total : 0);
	if (q->nb_split)
		ll += q->nb_sum_logprior - q->nb_sum_coef * log(nb_len);
	*c = (struct kb_candidate){.entry = e->rowid,
		.bm25f = bm25f,
		.phrasing = best, .term_query = best_tq,
		.vocabulary = q->word_total > 0 ? vocab / q->word_total : 0};
	return ll;
}

/* Each candidate's postings of the question's phrases, in the phrases'
 * order, into held[c * nphrases ..], their number into nheld[c] (every
 * phrase when held_every): a phrase's list read once when it is short,
 * instead of a binary search of it per candidate (kb_model_post was 4% of
 * an ask, 5% at 10,000 entries), and no slot for a phrase an entry does not
 * hold (writing every slot was 6 K instructions an ask). cand is all 0, and
 * left so. */
static void candidate_posts(const struct kb_model *m, const struct query *q, const int32_t *slots, int nslots,
			    int32_t *cand, struct held *held, int *nheld)
{
	int np = q->nphrases, every = held_every(q);
	for (int c = 0; c < nslots; c++) {
		cand[slots[c]] = c + 1;
		nheld[c] = 0;
	}
	for (int i = 0; i < np; i++) {
		const struct kb_mterm *t = q->t[i];
		int walk = t && t->npost <= (uint32_t)nslots * KB_POSTS_WALK;
		for (int c = 0; (every || (t && !walk)) && c < nslots; c++) {
			const struct kb_post *p = t && !walk ? kb_model_post(m, t, slots[c]) : NULL;
			if (p || every)
				held[c * np + nheld[c]++] = (struct held){i, p};
		}
		for (uint32_t x = 0; walk && x < t->npost; x++) {
			const struct kb_post *p = &m->posts[t->post + x];
			int c = cand[p->ent] - 1;
			if (c < 0)
				continue;
			if (every)  /* its slot was made above */
				held[c * np + nheld[c] - 1].p = p;
			else
				held[c * np + nheld[c]++] = (struct held){i, p};
		}
	}
	for (int c = 0; c < nslots; c++)
		cand[slots[c]] = 0;
}

/* Candidate slot ent's postings as candidate_posts gives them, by a binary
 * search of each phrase's list: leave-one-out's thousands of candidates.
 * Their number. */
static int held_of(const struct kb_model *m, const struct query *q, int32_t ent, struct held *held)
{
	int n = 0, every = held_every(q);
	for (int i = 0; i < q->nphrases; i++) {
		const struct kb_post *p = q->t[i] ? kb_model_post(m, q->t[i], ent) : NULL;
		if (p || every)
			held[n++] = (struct held){i, p};
	}
	return n;
}

/* How far the closest phrasing and the topic model may order the
 * candidates (0..1), from the knowledge base's phrasings per entry: a town's
 * FAQ as imported has one question an entry (and its English), where the
 * closest phrasing is that one sentence and the topic model is trained on
 * it, and BM25F over question and answer alone orders better; thirty
 * phrasings an entry make them good evidence. Their margins weigh in the
 * confidence either way. */
static double phrasing_evidence(const struct kb_model *m, const struct kb_weights *w)
{
	if (w->evidence_full <= w->evidence_from)
		return 1;
	double per_entry = m->nents > 0 ? (double)m->nshapes / m->nents : 0;
	return fmin(1, fmax(0, (per_entry - w->evidence_from) / (w->evidence_full - w->evidence_from)));
}

static int cand_cmp(const void *a, const void *b)
{
	const struct kb_candidate *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* The first stage ranked by FTS5's own bm25, whose aux function walks every
 * position of every matching row (82% of an ask when the engine used it):
 * the floor's (POLICY_FLOOR_WEIGHTS), and the yardstick of first_stage. */
static int first_stage_fts_bm25(struct kb *kb, const char *match, const struct kb_weights *w,
				int32_t *slots, double *bm25, int max, int *n, char *err)
{
	sqlite3_stmt *st = NULL;
	if (mg_db_stmt_get(kb->stmts, "SELECT rowid, bm25(kb_fts, 1.0, ?2) AS r FROM kb_fts WHERE kb_fts MATCH ?1 "
				      "ORDER BY r LIMIT ?3", &st) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "search");
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, w->bm25_only ? 1.0 : w->fts_answer);
	sqlite3_bind_int(st, 3, max);
	int step;
	const struct kb_model *m = kb->model;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t rowid = sqlite3_column_int64(st, 0);
		if (rowid <= 0 || rowid >= m->nslot_of || m->slot_of[rowid] < 0)
			continue;
		bm25[*n] = -sqlite3_column_double(st, 1);
		slots[(*n)++] = m->slot_of[rowid];
	}
	mg_db_stmt_put(kb->stmts, st);
	return step == SQLITE_DONE ? MG_OK : mg_db_fail(kb->db, err, "search");
}

struct ranked {
	int32_t slot;
	double score;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return (x->slot > y->slot) - (x->slot < y->slot);
}

/* The worse of two at a heap's top. */
static void ranked_sift(struct ranked *h, int n, int i)
{
	for (;;) {
		int worst = i, l = 2 * i + 1;
		if (l < n && ranked_cmp(&h[l], &h[worst]) > 0)
			worst = l;
		if (l + 1 < n && ranked_cmp(&h[l + 1], &h[worst]) > 0)
			worst = l + 1;
		if (worst == i)
			return;
		struct ranked t = h[i];
		h[i] = h[worst];
		h[worst] = t;
		i = worst;
	}
}

/* The best max of r[0..nr) in ranked_cmp's order into r[0..), their number:
 * a heap of the best so far, not a sort of every entry matched (thousands
 * at 10,000 entries), then sorted from that heap, its worst taken to the
 * end one by one (a total order: as qsort sorts them, in half its
 * instructions, which call ranked_cmp through a pointer). */
static int ranked_best(struct ranked *r, int nr, int max)
{
	int n = nr < max ? nr : max;
	for (int i = n / 2 - 1; i >= 0; i--)
		ranked_sift(r, n, i);
	for (int i = n; i < nr; i++)
		if (ranked_cmp(&r[i], &r[0]) < 0) {
			r[0] = r[i];
			ranked_sift(r, n, 0);
		}
	for (int end = n - 1; end > 0; end--) {
		struct ranked t = r[0];
		r[0] = r[end];
		r[end] = t;
		ranked_sift(r, end, 0);
	}
	return n;
}

/* The entries the MATCH of q would find in the index of model m's
 * generation, from the model's postings alone, into r with their FTS5 bm25
 * (fts5_aux.c) from the model's counts: the same idf (floored at 1e-6), the
 * same k1 and b, the row's length over every column, the answers at
 * w->fts_answer. Their number. An entry is taken at its first posting (in
 * mark, not by its score being above 0: one that holds the words in its
 * answer alone scores 0 with the answers at w->fts_answer 0, and FTS5 finds
 * it all the same), its score summed over every phrase, then read: one walk
 * of the postings, where a second walk took them was 0.5 M of the first 70
 * dev questions' 37.5 M instructions. score and mark are all 0, and left so.
 * A connection whose model is older than the index on disk (kb->stale)
 * ranks by these alone: FTS5 would match the newer index's rows, which the
 * model does not know. */
static int first_stage_model(const struct kb_model *m, const struct query *q, const struct kb_weights *w,
			     double *score, unsigned char *mark, struct ranked *r)
{
	int nr = 0;
	double nrow = m->nents;
	const double fts_answer = w->fts_answer;  /* read once: score's writes might alias it */
	for (int i = 0; i < q->nphrases; i++) {
		const struct kb_mterm *t = q->t[i];
		if (!q->in_match[i] || !t)
			continue;
		double idf = log((nrow - t->npost + 0.5) / (t->npost + 0.5));
		if (idf <= 0)
			idf = 1e-6;
		for (uint32_t k = 0; k < t->npost; k++) {
			const struct kb_post *p = &m->posts[t->post + k];
			if (!mark[p->ent]) {
				mark[p->ent] = 1;
				r[nr++].slot = p->ent;
			}
			double f = p->tf_q + fts_answer * p->tf_a;
			score[p->ent] += idf * f * (KB_FTS_K1 + 1) / (f + m->fts_k1norm[p->ent]);
		}
	}
	for (int k = 0; k < nr; k++) {
		int32_t s = r[k].slot;
		r[k].score = score[s];
		score[s] = 0;
		mark[s] = 0;
	}
	return nr;
}

/* The entries in the posting lists of the phrases used. */
static int match_postings(const struct query *q, const int *use)
{
	int n = 0;
	for (int i = 0; i < q->nphrases; i++)
		n += use[i] && q->t[i] ? (int)q->t[i]->npost : 0;
	return n;
}

struct cover {
	int phrase;
	double worth;
};

/* By what a phrase's list brings the first stage for what FTS5 pays to
 * read it, the most first. */
static int cover_desc(const void *a, const void *b)
{
	const struct cover *x = a, *y = b;
	return x->worth != y->worth ? (x->worth < y->worth) - (x->worth > y->worth) : x->phrase - y->phrase;
}

/* Which of the first stage's phrases FTS5 needs to find the best entries
 * r[0..nr) (the model's ranking of every entry the MATCH of all of them
 * finds), into use[]: each phrase weighed by how many of the best it holds
 * over what FTS5 pays for it (KB_FTS_PHRASE_COST and its list), taken in
 * that order while it holds a best entry no phrase taken before holds. A
 * long question's words find most of a large knowledge base; FTS5 returning
 * every one of those rows, to keep the best 40 the model had already
 * ranked, was most of its ask. mark is all 0; the best entries are left at
 * 1, the rest at 0. */
static void match_cover(const struct kb_model *m, const struct query *q, const struct ranked *r, int nr,
			unsigned char *mark, int *use)
{
	struct cover order[KB_MAX_PHRASES];
	int n = 0;
	for (int k = 0; k < nr; k++)
		mark[r[k].slot] = 2;  /* 2: best, not yet covered */
	for (int i = 0; i < q->nphrases; i++) {
		use[i] = 0;
		const struct kb_mterm *t = q->t[i];
		if (!q->in_match[i] || !t)
			continue;
		int best = 0;
		for (uint32_t x = 0; x < t->npost; x++)
			best += mark[m->posts[t->post + x].ent] == 2;
		if (best)
			order[n++] = (struct cover){i, best / (KB_FTS_PHRASE_COST + (double)t->npost)};
	}
	/* a few phrases, in cover_desc's (total) order: an insertion sort, not
	 * qsort's calls through a pointer */
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && cover_desc(&order[k - 1], &order[k]) > 0; k--) {
			struct cover t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	int left = nr;
	for (int k = 0; k < n && left > 0; k++) {
		const struct kb_mterm *t = q->t[order[k].phrase];
		for (uint32_t x = 0; x < t->npost; x++) {
			unsigned char *e = &mark[m->posts[t->post + x].ent];
			if (*e == 2) {
				*e = 1;
				left--;
				use[order[k].phrase] = 1;
			}
		}
	}
}

/* The per-entry arrays of the knowledge base's size, kept between
 * questions; stage_cap 0 without memory. */
static void stage_fit(struct kb *kb)
{
	size_t need = (size_t)kb->model->nents + 1;
	if (kb->stage_cap >= need)
		return;
	free(kb->stage_score);
	free(kb->stage_ranked);
	free(kb->stage_mark);
	free(kb->stage_cand);
	kb->stage_score = calloc(need, sizeof *kb->stage_score);  /* kept at 0 between questions */
	kb->stage_ranked = malloc(need * sizeof(struct ranked));
	kb->stage_mark = calloc(need, 1);  /* likewise */
	kb->stage_cand = calloc(need, sizeof *kb->stage_cand);  /* likewise */
	kb->stage_cap = kb->stage_score && kb->stage_ranked && kb->stage_mark && kb->stage_cand ? need : 0;
}

/* The first stage: the entries FTS5 matches, ranked by the bm25 FTS5 would
 * give them, computed from the model's per-entry counts instead of by
 * FTS5's aux function (a plain MATCH only reads the posting lists). The
 * model ranks every entry the MATCH would find and FTS5 is asked for the
 * rows of the phrases that hold the best max (match_cover): those it returns
 * are the first stage, in the model's order, into slots[] and their scores
 * into bm25[]. A connection whose model is older than the index on disk
 * (kb->stale) ranks by the model alone. */
static int first_stage(struct kb *kb, const struct query *q, const struct kb_weights *w,
		       int32_t *slots, double *bm25, int max, int *n, int *postings, char *err)
{
	char match[KB_QUERY_BUF * 2 + KB_MAX_PHRASES * 6];
	*n = 0;
	if (query_match(q, q->in_match, match, sizeof match) == 0)
		return MG_OK;
	*postings = match_postings(q, q->in_match);
	if (w->bm25_only || w->fts_rank)
		return first_stage_fts_bm25(kb, match, w, slots, bm25, max, n, err);
	const struct kb_model *m = kb->model;
	stage_fit(kb);
	if (!kb->stage_cap)
		return MG_ERR_NOMEM;
	struct ranked *r = kb->stage_ranked;
	int nr = ranked_best(r, first_stage_model(m, q, w, kb->stage_score, kb->stage_mark, r), max);
	if (kb->stale) {
		for (*n = 0; *n < nr; (*n)++) {
			slots[*n] = r[*n].slot;
			bm25[*n] = r[*n].score;
		}
		return MG_OK;
	}
	unsigned char *mark = kb->stage_mark;
	int use[KB_MAX_PHRASES];
	match_cover(m, q, r, nr, mark, use);
	query_match(q, use, match, sizeof match);
	*postings = match_postings(q, use);
	sqlite3_stmt *st = NULL;
	int rc = MG_OK, step = SQLITE_DONE;
	if (nr > 0 && mg_db_stmt_get(kb->stmts, "SELECT rowid FROM kb_fts WHERE kb_fts MATCH ?1", &st) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "search");
	if (rc == MG_OK && nr > 0) {
		sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t rowid = sqlite3_column_int64(st, 0);
			if (rowid > 0 && rowid < m->nslot_of && m->slot_of[rowid] >= 0 && mark[m->slot_of[rowid]])
				mark[m->slot_of[rowid]] = 3;  /* 3: a best entry the index holds */
		}
		mg_db_stmt_put(kb->stmts, st);
		if (step != SQLITE_DONE)
			rc = mg_db_fail(kb->db, err, "search");
	}
	for (int k = 0; k < nr; k++) {
		if (rc == MG_OK && mark[r[k].slot] == 3) {
			slots[*n] = r[k].slot;
			bm25[(*n)++] = r[k].score;
		}
		mark[r[k].slot] = 0;
	}
	return rc;
}

/* Leave-one-out's first stage, in memory: every entry that still holds a
 * term of the question once the left-out phrasing is gone (the index
 * still has it, so FTS5 cannot be asked). */
static int first_stage_without(const struct kb_model *m, const struct query *q, int32_t ex_slot,
			       int whole, int32_t *slots, int *n)
{
	char *mark = calloc((size_t)m->nents + 1, 1);
	if (!mark)
		return MG_ERR_NOMEM;
	*n = 0;
	for (int i = 0; i < q->nphrases; i++) {
		const struct kb_mterm *t = q->t[i];
		if (!q->in_match[i] || !t)
			continue;
		for (uint32_t k = 0; k < t->npost; k++) {
			const struct kb_post *p = &m->posts[t->post + k];
			int left = p->tf_a > 0 || p->tf_q > (p->ent == ex_slot ? q->excluded[i] : 0);
			if (p->ent == ex_slot && whole)
				left = 0;
			if (left && !mark[p->ent]) {
				mark[p->ent] = 1;
				slots[(*n)++] = p->ent;
			}
		}
	}
	free(mark);
	return MG_OK;
}

int kb_search(struct kb *kb, const char *question, size_t len, const struct kb_search_opts *o,
	      struct kb_candidate *out, int max, int *n, struct kb_query_stats *stats, char *err)
{
	*n = 0;
	memset(stats, 0, sizeof *stats);
	const struct kb_weights *w = o->w;
	int rc = kb_sync(kb, err);
	if (rc != MG_OK)
		return rc;
	const struct kb_model *m = kb->model;
	const struct kb_exclude *ex = o->exclude;
	int32_t ex_slot = ex && ex->entry > 0 && ex->entry < m->nslot_of ? m->slot_of[ex->entry] : -1;
	struct query *q = query_get(kb);
	int depth = w->depth > 0 ? w->depth : 1;
	/* leave-one-out's first stage keeps every entry left holding a term */
	int nslots_max = ex && !w->bm25_only && m->nents > depth ? m->nents : depth;
	int32_t *slots = malloc((size_t)nslots_max * sizeof *slots);
	double *bm25 = malloc((size_t)depth * sizeof *bm25);
	struct kb_candidate *all = NULL;
	double *ll = NULL;
	struct scratch s = {0};
	struct held *held = NULL;
	int *nheld = NULL;
	int nslots = 0;
	if (!q || !slots || !bm25) {
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
		goto done;
	}
	rc = query_analyse(kb, q, question, len, w, err);
	if (rc == MG_OK) {
		query_expand(kb, q, w);
		query_order(q);
		rc = query_stats(kb, q, w, ex, ex_slot, err);
	}
	if (rc != MG_OK)
		goto done;
	stats->words = q->nwords;
	stats->grams = q->nphrases - q->nterms;
	double unseen = 0;
	for (int k = 0; k < q->nwords; k++) {
		int known = 0;
		for (int i = 0; i < q->nterms && !known; i++)
			known = q->word[i] == k && (q->df[i] > 0 || q->df_a[i] > 0);
		stats->known_words += known;
		stats->domain_words += known && q->word_damp[k] < 1;
		if (!known)
			unseen += q->word_weight[k] * q->word_idf[k];
	}
	stats->unseen = q->word_total > 0 ? unseen / q->word_total : 0;
	if (ex && !w->bm25_only)
		rc = first_stage_without(m, q, ex_slot, ex->phrasing < 0, slots, &nslots);
	else
		rc = first_stage(kb, q, w, slots, bm25, depth, &nslots, &stats->fts_postings, err);
	if (rc != MG_OK) {
		if (rc == MG_ERR_NOMEM)
			mg_fail(err, rc, "out of memory");
		goto done;
	}
	stats->first_stage = nslots;
	all = malloc(((size_t)nslots + 1) * sizeof *all);
	ll = malloc(((size_t)nslots + 1) * sizeof *ll);
	if (!all || !ll || scratch_fit(&s, m->max_shapes + 1)) {
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (w->bm25_only || w->first_only) {
		for (int i = 0; i < nslots; i++)
			all[i] = (struct kb_candidate){.entry = m->ents[slots[i]].rowid, .score = bm25[i], .rank = bm25[i]};
	} else {
		double top = -INFINITY, sum = 0;
		double evidence = phrasing_evidence(m, w);
		stats->evidence = evidence;
		query_coefficients(q, w, evidence);
		/* leave-one-out's thousands of candidates keep the binary search */
		stage_fit(kb);
		if (nslots <= depth && kb->stage_cap) {
			held = malloc(((size_t)nslots * (size_t)q->nphrases + 1) * sizeof *held);
			nheld = malloc(((size_t)nslots + 1) * sizeof *nheld);
		}
		if (held && nheld)
			candidate_posts(m, q, slots, nslots, kb->stage_cand, held, nheld);
		for (int i = 0; i < nslots; i++) {
			struct held one[KB_MAX_PHRASES];
			if (held && nheld)
				ll[i] = features(m, q, w, slots[i], ex, ex_slot, &s, held + (size_t)i * (size_t)q->nphrases,
						 nheld[i], &all[i]);
			else
				ll[i] = features(m, q, w, slots[i], ex, ex_slot, &s, one, held_of(m, q, slots[i], one),
						 &all[i]);
			if (ll[i] > top)
				top = ll[i];
		}
		for (int i = 0; i < nslots; i++)
			sum += exp(ll[i] - top);
		for (int i = 0; i < nslots; i++) {
			struct kb_candidate *c = &all[i];
			c->nb = sum > 0 ? exp(ll[i] - top) / sum : 0;
			double rest = w->w_nb * c->nb + w->w_phrasing * c->phrasing + w->w_vocab * c->vocabulary;
			c->score = w->w_bm25 * c->bm25f + rest;
			c->rank = w->w_bm25 * c->bm25f + evidence * rest;
		}
	}
	if (nslots > KB_SORT_INSERT) {
		qsort(all, (size_t)nslots, sizeof *all, cand_cmp);
		rc = kb_candidates_fill(kb, all, nslots, 0, o->today, out, max, n, err);
	} else {
		/* the candidates' indices in cand_cmp's (total) order, by
		 * insertion, handed on until out is full: not qsort's calls
		 * through a pointer and moves of every 208-byte candidate */
		int ord[KB_SORT_INSERT];
		for (int i = 0; i < nslots; i++) {
			int k = i;
			for (; k > 0 && cand_cmp(&all[ord[k - 1]], &all[i]) > 0; k--)
				ord[k] = ord[k - 1];
			ord[k] = i;
		}
		for (int i = 0; rc == MG_OK && i < nslots && *n < max; i++)
			rc = kb_candidates_fill(kb, &all[ord[i]], 1, 0, o->today, out, max, n, err);
	}
done:
	free(held);
	free(nheld);
	free(s.a);
	free(s.touched);
	free(ll);
	free(all);
	free(bm25);
	free(slots);
	return rc;
}

/* ---- leave-one-out ------------------------------------------------------------ */

struct each {
	kb_each_fn fn;
	void *ctx;
	struct kb_phrasing_item item;
	char *text;
	char *err;
};

static int each_one(void *ctx, int index, enum kb_kind kind, const char *text, size_t len)
{
	struct each *e = ctx;
	char *t = strndup(text, len);
	if (!t)
		return mg_fail(e->err, MG_ERR_NOMEM, "out of memory");
	e->item.phrasing = index;
	e->item.alternate = kind == KB_KIND_ALT;
	e->item.kind_keyword = kind == KB_KIND_KEYWORD;
	e->item.text = t;
	e->item.len = len;
	int rc = e->fn(e->ctx, &e->item);
	free(t);
	return rc;
}

int kb_each_phrasing(struct kb *kb, kb_each_fn fn, void *ctx, char *err)
{
	sqlite3_stmt *sel = NULL;
	if (mg_db_stmt_get(kb->stmts, "SELECT " KB_ENTRY_COLUMNS ", id FROM kb_entries "
				      "WHERE status='published' ORDER BY id", &sel) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "entries");
	struct each e = {.fn = fn, .ctx = ctx, .err = err};
	int rc = MG_OK;
	while (rc == MG_OK && sqlite3_step(sel) == SQLITE_ROW) {
		const char *f[KB_NCOLS];
		for (int c = 0; c < KB_NCOLS; c++)
			f[c] = (const char *)sqlite3_column_text(sel, c);
		e.item.entry = sqlite3_column_int64(sel, KB_NCOLS);
		e.item.id = f[KB_C_ID];
		e.item.slug = f[KB_C_SLUG];
		e.item.route = f[KB_C_ROUTE];
		rc = kb_phrasings(f, each_one, &e);
	}
	mg_db_stmt_put(kb->stmts, sel);
	return rc;
}

int kb_without_alternates(struct kb *kb, int japanese_only, char *err)
{
	if (sqlite3_exec(kb->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "plain");
	int rc = kb_sync(kb, err);
	if (rc == MG_OK && sqlite3_exec(kb->db, japanese_only
			? "UPDATE kb_entries SET alt_questions='', keywords='', question_en='', answer_en=''"
			: "UPDATE kb_entries SET alt_questions='', keywords=''", NULL, NULL, NULL) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "plain");
	if (rc == MG_OK)
		rc = kb_reindex(kb, err);
	if (rc == MG_OK)
		rc = kb_bump_generation(kb, err);
	if (rc != MG_OK)
		kb_without_alternates_end(kb);
	return rc;
}

void kb_without_alternates_end(struct kb *kb)
{
	sqlite3_exec(kb->db, "ROLLBACK", NULL, NULL, NULL);
	kb->generation = -1;  /* the next search reloads what is on disk */
}
