/* A synonym list of generated verb variants, the size of a large town's
 * (2,000: each of 50 verbs with 40 endings, 40 to a group): what loading
 * the list costs is measured on it by tests/bench/bench_synonyms.c and
 * bounded by test_kb.c. A header, so that the bench, which links no test
 * code, builds the same list. */
#ifndef TESTS_VERBS_H
#define TESTS_VERBS_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nlp/nlp.h"

#define VERBS_MAX 2000
#define VERBS_PER_GROUP 40

/* Ichidan and s-godan stems, whose て and た forms are the stem and ending. */
static const char *const verbs_stem[VERBS_MAX / VERBS_PER_GROUP] = {
	"なくし", "落とし", "探し", "話し", "返し", "出し", "貸し", "渡し", "消し", "直し",
	"戻し", "移し", "許し", "示し", "残し", "押し", "動かし", "起こし", "増やし", "減らし",
	"忘れ", "受け", "届け", "調べ", "見せ", "決め", "始め", "止め", "変え", "答え",
	"教え", "覚え", "考え", "伝え", "続け", "付け", "分け", "集め", "求め", "遅れ",
	"疲れ", "離れ", "入れ", "借り", "起き", "過ぎ", "落ち", "逃げ", "預け", "避け",
};
static const char *const verbs_ending[VERBS_PER_GROUP] = {
	"た", "て", "ました", "ます", "たい", "たかった", "たら", "ている", "ていた", "ています",
	"ていました", "てしまった", "てしまいました", "ちゃった", "ておいた", "てもらった", "てくれた",
	"てあげた", "てほしい", "てみた", "てみたい", "ておきたい", "たいです", "たいのですが",
	"ましたが", "ますか", "ましたか", "たんですが", "たのですが", "てから", "てきた", "ていく",
	"ていった", "てある", "たり", "ながら", "やすい", "にくい", "ましょう", "てください",
};

/* The thread's CPU time in ms: the machine is shared, and what loading a
 * list costs is compared in it. */
static inline double verbs_cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Variant i (0 <= i < VERBS_MAX) and its canonical word (a noun of its
 * group's own) into the buffers. */
static inline void verbs_variant(int i, char *canonical, size_t ccap, char *variant, size_t vcap)
{
	snprintf(canonical, ccap, "動作%02d", i / VERBS_PER_GROUP);
	snprintf(variant, vcap, "%s%s", verbs_stem[i / VERBS_PER_GROUP], verbs_ending[i % VERBS_PER_GROUP]);
}

/* A synonyms file as staff upload it: head (len bytes of lines) and then
 * the first n variants, one line a group. malloc'd, NULL without memory. */
static inline char *verbs_tsv(const char *head, size_t head_len, int n, size_t *len)
{
	char *text = NULL, canonical[64], variant[64];
	FILE *f = open_memstream(&text, len);
	if (!f)
		return NULL;
	fwrite(head, 1, head_len, f);
	for (int i = 0; i < n; i++) {
		verbs_variant(i, canonical, sizeof canonical, variant, sizeof variant);
		if (i % VERBS_PER_GROUP == 0)
			fprintf(f, "\n%s", canonical);
		fprintf(f, "\t%s", variant);
	}
	fputc('\n', f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* The first n variants read as a list is read (nlp_synonyms_add, then
 * nlp_synonyms_lemmatise with an): MG_OK or what failed. */
static inline int verbs_load(struct nlp_analyser *an, int n, char *err)
{
	struct nlp_synonyms *syn = nlp_synonyms_new();
	char canonical[64], variant[64];
	int rc = syn ? MG_OK : MG_ERR_NOMEM;
	for (int i = 0; i < n && rc == MG_OK; i++) {
		verbs_variant(i, canonical, sizeof canonical, variant, sizeof variant);
		rc = nlp_synonyms_add(syn, canonical, variant, err);
	}
	if (rc == MG_OK)
		rc = nlp_synonyms_lemmatise(syn, an, err);
	nlp_synonyms_free(syn);
	return rc;
}

#endif
