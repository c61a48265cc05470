/* In-memory statistics of the index, loaded once per knowledge-base
 * generation: each term's document frequency in questions and answers, and
 * each row's entry, kind and size. Search then needs one FTS5 query and no
 * other read, which keeps ask() near the cost of the bare query. */
#include "kb/kb_int.h"

#include <stdlib.h>
#include <string.h>

void kb_stats_free(struct kb_stats *st)
{
	if (!st)
		return;
	free(st->terms);
	free(st->term_text);
	free(st->rows);
	free(st);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 1024;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

int kb_stats_load(struct kb *kb, struct kb_stats **out, char *err)
{
	*out = NULL;
	struct kb_stats *st = calloc(1, sizeof *st);
	if (!st)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	sqlite3_stmt *q = NULL;
	int rc = MG_OK;
	size_t text_cap = 0, terms_cap = 0, text_len = 0;
	/* fts5vocab lists terms in the index's (memcmp) order, one row per column. */
	if (sqlite3_prepare_v2(kb->db, "SELECT term, col, doc FROM kb_vocab", -1, &q, NULL) != SQLITE_OK)
		rc = kb_db_fail(kb, err, "vocabulary");
	while (rc == MG_OK && sqlite3_step(q) == SQLITE_ROW) {
		const char *term = (const char *)sqlite3_column_text(q, 0);
		int len = sqlite3_column_bytes(q, 0);
		const char *col = (const char *)sqlite3_column_text(q, 1);
		int64_t doc = sqlite3_column_int64(q, 2);
		struct kb_term *last = st->nterms ? &st->terms[st->nterms - 1] : NULL;
		if (!last || last->len != len || memcmp(st->term_text + last->off, term, (size_t)len)) {
			if (grow((void **)&st->terms, &terms_cap, st->nterms + 1, sizeof *st->terms) ||
			    grow((void **)&st->term_text, &text_cap, text_len + (size_t)len, 1)) {
				rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
				break;
			}
			memcpy(st->term_text + text_len, term, (size_t)len);
			last = &st->terms[st->nterms++];
			*last = (struct kb_term){.off = text_len, .len = len};
			text_len += (size_t)len;
		}
		if (col && col[0] == 'q')
			last->df_question = doc;
		else
			last->df_answer = doc;
	}
	sqlite3_finalize(q);
	q = NULL;
	int64_t max_rowid = 0;
	if (rc == MG_OK && sqlite3_prepare_v2(kb->db, "SELECT coalesce(max(rowid), 0) FROM kb_fts", -1, &q,
					      NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		max_rowid = sqlite3_column_int64(q, 0);
	else if (rc == MG_OK)
		rc = kb_db_fail(kb, err, "index rows");
	sqlite3_finalize(q);
	q = NULL;
	if (rc == MG_OK) {
		st->rows = calloc((size_t)max_rowid + 1, sizeof *st->rows);
		st->nrows = max_rowid + 1;
		if (!st->rows)
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	if (rc == MG_OK && sqlite3_prepare_v2(kb->db, "SELECT rowid, entry, kind, nwords, ngrams FROM kb_fts",
					      -1, &q, NULL) != SQLITE_OK)
		rc = kb_db_fail(kb, err, "index rows");
	while (rc == MG_OK && sqlite3_step(q) == SQLITE_ROW) {
		int64_t r = sqlite3_column_int64(q, 0);
		if (r <= 0 || r >= st->nrows)
			continue;
		st->rows[r] = (struct kb_row){sqlite3_column_int64(q, 1), sqlite3_column_int(q, 2),
					      sqlite3_column_int(q, 3), sqlite3_column_int(q, 4)};
		if (st->rows[r].kind < KB_KIND_ANSWER)
			st->question_rows++;
	}
	sqlite3_finalize(q);
	if (rc != MG_OK) {
		kb_stats_free(st);
		return rc;
	}
	*out = st;
	return MG_OK;
}

const struct kb_term *kb_stats_term(const struct kb_stats *st, const char *term, int len)
{
	size_t lo = 0, hi = st->nterms;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct kb_term *t = &st->terms[mid];
		int n = t->len < len ? t->len : len;
		int c = memcmp(st->term_text + t->off, term, (size_t)n);
		if (c == 0)
			c = (t->len > len) - (t->len < len);
		if (c == 0)
			return t;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
