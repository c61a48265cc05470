/* libFuzzer harness for the synonyms file: any bytes, on a fresh in-memory
 * database holding a known list, must replace the list or leave it exactly
 * as it was, never crash or leak. An accepted list's verbs are read by
 * MeCab (nlp_synonyms_lemmatise) and the same bytes are then analysed as a
 * question with it. */
#include "kb/kb.h"
#include "nlp/nlp.h"
#include "nlp/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct nlp_model *model;

static void fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_kb_synonyms: %s: %s\n", what, err);
	abort();
}

static int synonyms(struct kb *kb)
{
	sqlite3_stmt *st = NULL;
	int n = -1;
	if (sqlite3_prepare_v2(kb_db(kb), "SELECT count(*) FROM kb_synonyms", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int count(void *ctx, enum nlp_kind kind, const char *tok, int len)
{
	(void)kind, (void)tok, (void)len;
	++*(int *)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char known[] = "副反応\t副作用\n接種券\tクーポン券\tクーポン\n";
	static const char faq[] = "question,answer\n接種券をなくしました,再発行します\n";
	char err[MG_ERR_LEN] = "";
	if (!model && nlp_model_open(&model, err) != MG_OK)
		fail("model", err);
	struct kb *kb = NULL;
	struct kb_import_opts o = {0};
	int n = 0, groups = -1;
	if (kb_open(&kb, ":memory:", model, err) != MG_OK ||
	    kb_import(kb, faq, sizeof faq - 1, "faq.csv", &o, &n, err) != MG_OK ||
	    kb_import_synonyms(kb, known, sizeof known - 1, "known.tsv", &groups, err) != MG_OK)
		fail("setup", err);
	int before = synonyms(kb);
	if (kb_import_synonyms(kb, (const char *)data, size, "fuzz.tsv", &groups, err) != MG_OK) {
		if (groups != 0 || synonyms(kb) != before || !err[0])
			fail("a refused file changed the list or gave no reason", err);
	} else if (groups <= 0 || synonyms(kb) <= 0) {
		fail("an accepted file", "left no synonyms");
	} else if (nlp_is_utf8((const char *)data, size)) {
		int rc = nlp_analyse(kb_analyser(kb), kb_synonyms(kb), (const char *)data, size, count, &n, err);
		if (rc != MG_OK && rc != MG_ERR_UTF8)
			fail("a question made of an accepted list", err);
	}
	kb_close(kb);
	return 0;
}
