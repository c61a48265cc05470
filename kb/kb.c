/* The knowledge base's connection, schema, FTS5 tokenizer and search.
 * Every phrasing of an entry (question, each alternate question, the English
 * question, each answer) is one FTS5 row, so an entry is scored by its best
 * phrasing rather than by one long document that dilutes every match. */
#include "kb/kb_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char SCHEMA[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"PRAGMA foreign_keys=ON;"
	"CREATE TABLE IF NOT EXISTS kb_meta(key TEXT PRIMARY KEY, value);"
	"CREATE TABLE IF NOT EXISTS kb_entries("
	"  id INTEGER PRIMARY KEY,"
	"  ext_id TEXT NOT NULL UNIQUE,"
	"  slug TEXT NOT NULL DEFAULT '', category TEXT NOT NULL DEFAULT '',"
	"  route TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'published',"
	"  question TEXT NOT NULL, answer TEXT NOT NULL,"
	"  question_en TEXT NOT NULL DEFAULT '', answer_en TEXT NOT NULL DEFAULT '',"
	"  alt_questions TEXT NOT NULL DEFAULT '', keywords TEXT NOT NULL DEFAULT '',"
	"  valid_from TEXT NOT NULL DEFAULT '', valid_to TEXT NOT NULL DEFAULT '',"
	"  url TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '',"
	"  updated_at TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS kb_synonyms(variant TEXT PRIMARY KEY, canonical TEXT NOT NULL);"
	"INSERT OR IGNORE INTO kb_meta VALUES('generation', 0);";

/* nwords/ngrams: how many words and bigrams the row has, for the row-side
 * coverage; kind: see enum kb_kind. */
/* Questions (q) and answers (a) are separate columns so that fts5vocab
 * counts a term's rows per column: a word residents use is weighed by the
 * questions that hold it, not by how often long answers mention it. */
static const char FTS_SCHEMA[] =
	"CREATE VIRTUAL TABLE IF NOT EXISTS kb_fts USING fts5("
	"  q, a, entry UNINDEXED, kind UNINDEXED, nwords UNINDEXED, ngrams UNINDEXED,"
	"  tokenize='madoguchi');"
	"CREATE VIRTUAL TABLE IF NOT EXISTS kb_vocab USING fts5vocab(kb_fts, 'col');";

/* Empties the index by dropping it: a DELETE would re-tokenize every row,
 * and rows indexed under another synonym list would then delete the wrong
 * terms and corrupt the index. */
int kb_fts_reset(struct kb *kb, char *err)
{
	if (sqlite3_exec(kb->db, "DROP TABLE IF EXISTS kb_vocab; DROP TABLE IF EXISTS kb_fts;",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(kb->db, FTS_SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
		return kb_db_fail(kb, err, "index");
	return MG_OK;
}

/* ---- the FTS5 tokenizer ------------------------------------------------- */

struct tok_ctx {
	void *fts_ctx;
	int (*xToken)(void *, int, const char *, int, int, int);
	int n_text;
	int sqlite_rc;
};

static int tok_emit(void *ctx, enum nlp_kind kind, const char *tok, int len)
{
	(void)kind;
	struct tok_ctx *t = ctx;
	/* Offsets would only serve highlight() and snippet(), which madoguchi
	 * does not use; after NFKC and the synonym rewrite they cannot be exact,
	 * so every token claims the whole text. */
	t->sqlite_rc = t->xToken(t->fts_ctx, 0, tok, len, 0, t->n_text);
	return t->sqlite_rc;
}

static int tok_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	(void)argv;
	(void)argc;
	*out = (Fts5Tokenizer *)ctx;  /* stateless: the kb carries the analyser */
	return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *tok)
{
	(void)tok;
}

static int tok_tokenize(Fts5Tokenizer *tok, void *fts_ctx, int flags, const char *text, int n,
			int (*xToken)(void *, int, const char *, int, int, int))
{
	struct kb *kb = (struct kb *)tok;
	if (flags & FTS5_TOKENIZE_QUERY) {
		/* Queries are built by kb_search from terms the analyser already
		 * produced, one quoted phrase per term: take each as it is. */
		return n > 0 ? xToken(fts_ctx, 0, text, n, 0, n) : SQLITE_OK;
	}
	struct tok_ctx t = {fts_ctx, xToken, n, SQLITE_OK};
	int rc = nlp_analyse(kb->an, kb->syn, text, (size_t)n, tok_emit, &t, NULL);
	if (t.sqlite_rc != SQLITE_OK)
		return t.sqlite_rc;
	if (rc == MG_ERR_NOMEM)
		return SQLITE_NOMEM;
	/* Text that is not UTF-8 never reaches the index: import checks it. */
	return rc == MG_OK ? SQLITE_OK : SQLITE_ERROR;
}

/* mg_matched(kb_fts): a blob of uint64 words, bit i set when query phrase i
 * occurs in the row. Everything else is computed in C from these bits. */
static void aux_matched(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
			int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	uint64_t bits[KB_MAX_PHRASES / 64] = {0};
	int nphrase = api->xPhraseCount(fts);
	if (nphrase > KB_MAX_PHRASES)
		nphrase = KB_MAX_PHRASES;
	for (int i = 0; i < nphrase; i++) {
		Fts5PhraseIter it;
		int col = -1, off = -1;
		int rc = api->xPhraseFirst(fts, i, &it, &col, &off);
		if (rc != SQLITE_OK) {
			sqlite3_result_error_code(ctx, rc);
			return;
		}
		if (col >= 0)
			bits[i / 64] |= (uint64_t)1 << (i % 64);
	}
	sqlite3_result_blob(ctx, bits, sizeof bits, SQLITE_TRANSIENT);
}

static fts5_api *fts5_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return api;
}

static int register_fts(struct kb *kb, char *err)
{
	fts5_api *api = fts5_api_of(kb->db);
	if (!api || api->iVersion < 2)
		return mg_fail(err, MG_ERR_DB, "this SQLite has no FTS5");
	static fts5_tokenizer tokenizer = {tok_create, tok_delete, tok_tokenize};
	int rc = api->xCreateTokenizer(api, "madoguchi", kb, &tokenizer, NULL);
	if (rc == SQLITE_OK)
		rc = api->xCreateFunction(api, "mg_matched", NULL, aux_matched, NULL);
	return rc == SQLITE_OK ? MG_OK : mg_fail(err, MG_ERR_DB, "cannot register the FTS5 tokenizer");
}

/* ---- connection ------------------------------------------------------------ */

int kb_db_fail(struct kb *kb, char *err, const char *what)
{
	return mg_fail(err, MG_ERR_DB, "%s: %s", what, sqlite3_errmsg(kb->db));
}

/* Brings a database made by an earlier version up to KB_SCHEMA_VERSION.
 * Version 2 added keywords and renumbered the row kinds, version 3 split
 * questions and answers into two index columns, version 4 made each keyword
 * a row of its own: all re-index. */
static int migrate(struct kb *kb, char *err)
{
	sqlite3_stmt *st = NULL;
	int version = 0;
	if (sqlite3_prepare_v2(kb->db, "SELECT value FROM kb_meta WHERE key='schema'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version >= KB_SCHEMA_VERSION)
		return MG_OK;
	int fresh = sqlite3_exec(kb->db, "SELECT keywords FROM kb_entries LIMIT 0", NULL, NULL, NULL) == SQLITE_OK;
	int rc = MG_OK;
	if (sqlite3_exec(kb->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return kb_db_fail(kb, err, "migration");
	if (!fresh && sqlite3_exec(kb->db, "ALTER TABLE kb_entries ADD COLUMN keywords TEXT NOT NULL DEFAULT ''",
				   NULL, NULL, NULL) != SQLITE_OK)
		rc = kb_db_fail(kb, err, "migration");
	if (rc == MG_OK)
		rc = kb_reindex(kb, err);
	if (rc == MG_OK && sqlite3_exec(kb->db, "INSERT OR REPLACE INTO kb_meta VALUES('schema', "
				       KB_STR(KB_SCHEMA_VERSION) ")", NULL, NULL, NULL) != SQLITE_OK)
		rc = kb_db_fail(kb, err, "migration");
	if (rc == MG_OK)
		rc = kb_bump_generation(kb, err);
	if (rc == MG_OK && sqlite3_exec(kb->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = kb_db_fail(kb, err, "migration");
	if (rc != MG_OK)
		sqlite3_exec(kb->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int kb_open(struct kb **out, const char *path, struct nlp_model *model, char *err)
{
	*out = NULL;
	struct kb *kb = calloc(1, sizeof *kb);
	if (!kb)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	int rc = nlp_analyser_new(model, &kb->an, err);
	if (rc == MG_OK && sqlite3_open_v2(path, &kb->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					   SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		rc = mg_fail(err, MG_ERR_DB, "%s: %s", path, kb->db ? sqlite3_errmsg(kb->db) : "cannot open");
	if (rc == MG_OK) {
		sqlite3_busy_timeout(kb->db, KB_BUSY_TIMEOUT_MS);
		rc = register_fts(kb, err);
	}
	if (rc == MG_OK && (sqlite3_exec(kb->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK ||
			    sqlite3_exec(kb->db, FTS_SCHEMA, NULL, NULL, NULL) != SQLITE_OK))
		rc = kb_db_fail(kb, err, path);
	if (rc == MG_OK)
		rc = kb_sync(kb, err);
	if (rc == MG_OK)
		rc = migrate(kb, err);
	if (rc != MG_OK) {
		kb_close(kb);
		return rc;
	}
	*out = kb;
	return MG_OK;
}

void kb_close(struct kb *kb)
{
	if (!kb)
		return;
	sqlite3_finalize(kb->st_search);
	sqlite3_finalize(kb->st_floor);
	sqlite3_finalize(kb->st_entry_by_row);
	sqlite3_finalize(kb->st_entry_by_id);
	sqlite3_finalize(kb->st_meta);
	sqlite3_finalize(kb->st_generation);
	sqlite3_close(kb->db);
	nlp_analyser_free(kb->an);
	nlp_synonyms_free(kb->syn);
	kb_stats_free(kb->stats);
	free(kb->by_entry);
	free(kb->touched);
	free(kb);
}

sqlite3 *kb_db(struct kb *kb)
{
	return kb->db;
}

int kb_read_begin(struct kb *kb)
{
	return sqlite3_get_autocommit(kb->db) &&
	       sqlite3_exec(kb->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

void kb_read_end(struct kb *kb, int began)
{
	if (began)
		sqlite3_exec(kb->db, "COMMIT", NULL, NULL, NULL);
}

int kb_count(struct kb *kb, int64_t *n, char *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(kb->db, "SELECT count(*) FROM kb_entries", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		rc = SQLITE_ERROR;
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? MG_OK : kb_db_fail(kb, err, "count");
}

/* Reloads what other connections may have changed: the synonym list and the
 * index statistics. Cheap when nothing changed (one indexed read). */
int kb_sync(struct kb *kb, char *err)
{
	int rc = MG_OK;
	if (!kb->st_generation &&
	    sqlite3_prepare_v2(kb->db, "SELECT value FROM kb_meta WHERE key='generation'", -1,
			       &kb->st_generation, NULL) != SQLITE_OK)
		return kb_db_fail(kb, err, "generation");
	int64_t gen = -1;
	if (sqlite3_step(kb->st_generation) == SQLITE_ROW)
		gen = sqlite3_column_int64(kb->st_generation, 0);
	sqlite3_reset(kb->st_generation);
	if (gen == kb->generation && kb->syn)
		return MG_OK;

	struct nlp_synonyms *syn = nlp_synonyms_new();
	sqlite3_stmt *st = NULL;
	if (!syn)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (sqlite3_prepare_v2(kb->db, "SELECT canonical, variant FROM kb_synonyms", -1, &st, NULL) != SQLITE_OK)
		rc = kb_db_fail(kb, err, "synonyms");
	while (rc == MG_OK && sqlite3_step(st) == SQLITE_ROW)
		rc = nlp_synonyms_add(syn, (const char *)sqlite3_column_text(st, 0),
				      (const char *)sqlite3_column_text(st, 1), err);
	sqlite3_finalize(st);
	st = NULL;
	int64_t max_entry = 0;
	struct kb_stats *stats = NULL;
	if (rc == MG_OK)
		rc = kb_stats_load(kb, &stats, err);
	if (rc == MG_OK && sqlite3_prepare_v2(kb->db, "SELECT coalesce(max(id), 0) FROM kb_entries",
					      -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		max_entry = sqlite3_column_int64(st, 0);
	else if (rc == MG_OK)
		rc = kb_db_fail(kb, err, "entries");
	sqlite3_finalize(st);
	if (rc == MG_OK && max_entry + 1 > kb->by_entry_cap) {
		size_t cap = (size_t)max_entry + 1;
		int32_t *b = realloc(kb->by_entry, cap * sizeof *b);
		int64_t *t = b ? realloc(kb->touched, cap * sizeof *t) : NULL;
		if (b)
			kb->by_entry = b;
		if (t)
			kb->touched = t;
		if (!b || !t)
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
		else {
			for (size_t i = 0; i < cap; i++)
				kb->by_entry[i] = -1;
			kb->by_entry_cap = (int64_t)cap;
		}
	}
	if (rc != MG_OK) {
		nlp_synonyms_free(syn);
		kb_stats_free(stats);
		return rc;
	}
	nlp_synonyms_free(kb->syn);
	kb_stats_free(kb->stats);
	kb->syn = syn;
	kb->stats = stats;
	kb->generation = gen;
	return MG_OK;
}

int kb_bump_generation(struct kb *kb, char *err)
{
	if (sqlite3_exec(kb->db, "UPDATE kb_meta SET value=value+1 WHERE key='generation'",
			 NULL, NULL, NULL) != SQLITE_OK)
		return kb_db_fail(kb, err, "generation");
	return MG_OK;
}

/* ---- search ---------------------------------------------------------------- */

struct query {
	/* phrases[0..nterms) are words (with '@' readings grouped to their word),
	 * phrases[nterms..nphrases) reading bigrams */
	char *phrase[KB_MAX_PHRASES];
	int len[KB_MAX_PHRASES];
	int word[KB_MAX_PHRASES];    /* for terms: the word the phrase belongs to */
	double idf[KB_MAX_PHRASES];
	int64_t df[KB_MAX_PHRASES];
	int nphrases, nterms, nwords;
	int in_match[KB_MAX_PHRASES];
	double word_idf[KB_MAX_PHRASES];
	double gram_idf_total;
	char buf[KB_QUERY_BUF];
	size_t used;
	int last_kind_term;          /* the previous phrase was a term: a reading joins its word */
};

static int query_add(void *ctx, enum nlp_kind kind, const char *tok, int len)
{
	struct query *q = ctx;
	int is_reading = kind == NLP_TERM && len > 0 && tok[0] == NLP_READING_PREFIX;
	/* Terms first, then grams: grams are collected after the terms are fixed. */
	for (int i = 0; i < q->nphrases; i++)
		if (q->len[i] == len && !memcmp(q->phrase[i], tok, (size_t)len))
			return 0;
	if (q->nphrases == KB_MAX_PHRASES || q->used + (size_t)len + 1 > sizeof q->buf)
		return 0;  /* a very long question is judged on its first terms */
	char *p = q->buf + q->used;
	memcpy(p, tok, (size_t)len);
	p[len] = 0;
	q->used += (size_t)len + 1;
	int i = q->nphrases++;
	q->phrase[i] = p;
	q->len[i] = len;
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
		order[i][1] = (q->word[i] < 0) * KB_MAX_PHRASES + i;
	}
	qsort(order, (size_t)q->nphrases, sizeof order[0], phrase_cmp_terms_first);
	char *phrase[KB_MAX_PHRASES];
	int len[KB_MAX_PHRASES], word[KB_MAX_PHRASES];
	q->nterms = 0;
	for (int i = 0; i < q->nphrases; i++) {
		int k = order[i][0];
		phrase[i] = q->phrase[k];
		len[i] = q->len[k];
		word[i] = q->word[k];
		if (word[i] >= 0)
			q->nterms++;
	}
	memcpy(q->phrase, phrase, sizeof phrase);
	memcpy(q->len, len, sizeof len);
	memcpy(q->word, word, sizeof word);
}

/* Document frequencies from the loaded statistics; idf as in BM25, kept positive. */
static int query_stats(struct kb *kb, struct query *q, const struct kb_weights *w, char *err)
{
	(void)err;
	double n = (double)(kb->stats->question_rows > 0 ? kb->stats->question_rows : 1);
	if (w->bm25_only) {  /* the floor: every lemma as it is, no statistics */
		for (int i = 0; i < q->nphrases; i++)
			q->in_match[i] = 1;
		return MG_OK;
	}
	for (int i = 0; i < q->nphrases; i++) {
		const struct kb_term *t = kb_stats_term(kb->stats, q->phrase[i], q->len[i]);
		int64_t in_answers = t ? t->df_answer : 0;
		q->df[i] = t ? t->df_question : 0;
		q->idf[i] = log(1.0 + (n - (double)q->df[i] + 0.5) / ((double)q->df[i] + 0.5));
		/* Very common terms select nearly every row and say nothing: skip. A
		 * term only answers use still finds them, but counts as unknown. */
		double ratio = i < q->nterms ? w->max_df_ratio : w->gram_max_df_ratio;
		int common = (double)q->df[i] > ratio * n && q->df[i] > w->min_df_stop;
		q->in_match[i] = (q->df[i] > 0 || in_answers > 0) && !common;
	}
	/* A word's weight is that of its best-known spelling (lemma or reading);
	 * a word the knowledge base has never seen weighs the most. */
	for (int k = 0; k < q->nwords; k++)
		q->word_idf[k] = -1;
	for (int i = 0; i < q->nterms; i++) {
		int k = q->word[i];
		int common = q->df[i] > 0 && !q->in_match[i];  /* a stop word here */
		if (common) {
			q->word_idf[k] = 0;  /* a stop word in this knowledge base */
		} else if (q->word_idf[k] != 0) {
			double v = q->df[i] > 0 ? q->idf[i] : -1;
			if (v > q->word_idf[k])
				q->word_idf[k] = v;
		}
	}
	double unseen = log(1.0 + (n + 0.5) / 0.5);
	for (int k = 0; k < q->nwords; k++)
		if (q->word_idf[k] < 0)
			q->word_idf[k] = unseen;
	q->gram_idf_total = 0;
	for (int i = q->nterms; i < q->nphrases; i++)
		if (!q->df[i] || q->in_match[i])
			q->gram_idf_total += q->idf[i];

	return MG_OK;
}

/* Builds the MATCH expression from quoted terms only: user text never
 * reaches FTS5's query syntax. Returns the phrase index map in pos[]. */
static int query_match(const struct query *q, char *out, size_t cap, int pos[KB_MAX_PHRASES],
		       int bm25_only)
{
	size_t w = 0;
	int k = 0;
	for (int i = 0; i < q->nphrases; i++) {
		pos[i] = -1;
		if (!q->in_match[i] || (bm25_only && (i >= q->nterms || q->phrase[i][0] == NLP_READING_PREFIX)))
			continue;
		if (w + 2 * (size_t)q->len[i] + 8 > cap)
			break;
		if (k)
			w += (size_t)snprintf(out + w, cap - w, " OR ");
		out[w++] = '"';
		for (int j = 0; j < q->len[i]; j++) {
			if (q->phrase[i][j] == '"')
				out[w++] = '"';
			out[w++] = q->phrase[i][j];
		}
		out[w++] = '"';
		pos[i] = k++;
	}
	out[w] = 0;
	return k;
}

struct row_hit {
	double q_score, a_score;
	double tq, tr, gq, gr;
	uint64_t seen[KB_MAX_PHRASES / 64];  /* phrases found in any question row or the keywords */
};

/* The share of the question's words (idf-weighted) found anywhere in the
 * entry's questions and keywords: evidence spread over several phrasings. */
static double vocabulary(const struct query *q, const int pos[KB_MAX_PHRASES], const uint64_t *seen,
			 double word_total)
{
	int word_seen[KB_MAX_PHRASES] = {0};
	double sum = 0;
	for (int i = 0; i < q->nterms; i++) {
		int p = pos[i];
		if (p < 0 || !(seen[p / 64] >> (p % 64) & 1) || word_seen[q->word[i]])
			continue;
		word_seen[q->word[i]] = 1;
		sum += q->word_idf[q->word[i]];
	}
	return word_total > 0 ? sum / word_total : 0;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct kb_candidate *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

int kb_search(struct kb *kb, const char *question, size_t len, const struct kb_weights *w,
	      const char *today, struct kb_candidate *out, int max, int *n,
	      struct kb_query_stats *stats, char *err)
{
	*n = 0;
	memset(stats, 0, sizeof *stats);
	int rc = kb_sync(kb, err);
	if (rc != MG_OK)
		return rc;
	struct query *q = calloc(1, sizeof *q);
	struct row_hit *hits = NULL;
	struct kb_candidate *all = NULL;
	int ntouched = 0;
	if (!q)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	rc = nlp_analyse(kb->an, kb->syn, question, len, query_add, q, err);
	if (rc == MG_OK) {
		query_order(q);
		rc = query_stats(kb, q, w, err);
	}
	stats->words = q->nwords;
	stats->grams = q->nphrases - q->nterms;
	for (int k = 0; k < q->nwords; k++) {
		for (int i = 0; i < q->nterms; i++)
			if (q->word[i] == k && q->df[i] > 0) {
				stats->known_words++;
				break;
			}
	}
	char match[KB_QUERY_BUF * 2 + KB_MAX_PHRASES * 6];
	int pos[KB_MAX_PHRASES];
	int nmatch = rc == MG_OK ? query_match(q, match, sizeof match, pos, w->bm25_only) : 0;
	if (rc != MG_OK || nmatch == 0)
		goto done;

	sqlite3_stmt **st = w->bm25_only ? &kb->st_floor : &kb->st_search;
	if (!*st && sqlite3_prepare_v2(kb->db, w->bm25_only
			? "SELECT rowid, mg_matched(kb_fts), bm25(kb_fts) FROM kb_fts WHERE kb_fts MATCH ?"
			: "SELECT rowid, mg_matched(kb_fts) FROM kb_fts WHERE kb_fts MATCH ?",
			-1, st, NULL) != SQLITE_OK) {
		rc = kb_db_fail(kb, err, "search");
		goto done;
	}
	int phrase_of[KB_MAX_PHRASES];  /* MATCH phrase → query phrase */
	for (int i = 0; i < q->nphrases; i++)
		if (pos[i] >= 0)
			phrase_of[pos[i]] = i;
	hits = malloc((size_t)kb->by_entry_cap * sizeof *hits);
	if (!hits) {
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
		goto done;
	}
	double word_total = 0;
	for (int k = 0; k < q->nwords; k++)
		word_total += q->word_idf[k];
	sqlite3_bind_text(*st, 1, match, -1, SQLITE_STATIC);
	int step;
	while ((step = sqlite3_step(*st)) == SQLITE_ROW) {
		int64_t rowid = sqlite3_column_int64(*st, 0);
		const uint64_t *bits = sqlite3_column_blob(*st, 1);
		if (rowid <= 0 || rowid >= kb->stats->nrows || !bits)
			continue;
		const struct kb_row *row = &kb->stats->rows[rowid];
		int64_t entry = row->entry;
		int kind = row->kind;
		double nwords = row->nwords, ngrams = row->ngrams;
		if (entry <= 0 || entry >= kb->by_entry_cap)
			continue;
		double tq = 0, tr = 0, gq = 0, gr = 0, score;
		if (w->bm25_only) {
			score = -sqlite3_column_double(*st, 2);
		} else {
			uint64_t word_seen[KB_MAX_PHRASES / 64] = {0};
			int words_matched = 0, grams_matched = 0;
			/* Only the phrases the row holds: walk the set bits. */
			for (int k = 0; k < KB_MAX_PHRASES / 64; k++) {
				for (uint64_t b = bits[k]; b; b &= b - 1) {
					int i = phrase_of[k * 64 + __builtin_ctzll(b)];
					if (i >= q->nterms) {
						grams_matched++;
						gq += q->idf[i];
						continue;
					}
					int wd = q->word[i];
					if (!(word_seen[wd / 64] >> (wd % 64) & 1)) {
						word_seen[wd / 64] |= (uint64_t)1 << (wd % 64);
						words_matched++;
						tq += q->word_idf[wd];
					}
				}
			}
			tq = word_total > 0 ? tq / word_total : 0;
			tr = nwords > 0 ? fmin(1.0, words_matched / nwords) : 0;
			gq = q->gram_idf_total > 0 ? gq / q->gram_idf_total : 0;
			gr = ngrams > 0 ? fmin(1.0, grams_matched / ngrams) : 0;
			double terms = (w->term_query * tq + w->term_row * tr) / (w->term_query + w->term_row);
			double grams = (w->gram_query * gq + w->gram_row * gr) / (w->gram_query + w->gram_row);
			/* English questions and rows have no kana reading: words alone decide. */
			score = (q->gram_idf_total > 0 && ngrams > 0)
				? (1 - w->gram_share) * terms + w->gram_share * grams : terms;
		}
		int32_t slot = kb->by_entry[entry];
		if (slot < 0) {
			slot = ntouched++;
			kb->by_entry[entry] = slot;
			kb->touched[slot] = entry;
			hits[slot] = (struct row_hit){0};
		}
		struct row_hit *h = &hits[slot];
		if (kind >= KB_KIND_ANSWER) {
			if (score > h->a_score)
				h->a_score = score;
			continue;
		}
		for (int k = 0; k < KB_MAX_PHRASES / 64; k++)
			h->seen[k] |= bits[k];
		if (kind == KB_KIND_KEYWORDS)
			score *= w->keyword;
		if (score > h->q_score) {
			h->q_score = score;
			h->tq = tq, h->tr = tr, h->gq = gq, h->gr = gr;
		}
	}
	sqlite3_reset(*st);
	if (step != SQLITE_DONE) {
		rc = kb_db_fail(kb, err, "search");
		goto done;
	}
	all = malloc(((size_t)ntouched + 1) * sizeof *all);
	if (!all) {
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (int s = 0; s < ntouched; s++) {
		struct row_hit *h = &hits[s];
		double vocab = w->bm25_only ? 0 : vocabulary(q, pos, h->seen, word_total);
		all[s] = (struct kb_candidate){.entry = kb->touched[s],
			.score = h->q_score + w->answer * h->a_score + w->vocabulary * vocab,
			.vocabulary = vocab,
			.term_query = h->tq, .term_row = h->tr, .gram_query = h->gq,
			.gram_row = h->gr, .answer = h->a_score};
	}
	qsort(all, (size_t)ntouched, sizeof *all, cand_cmp);
	rc = kb_candidates_fill(kb, all, ntouched, today, out, max, n, err);
done:
	for (int s = 0; s < ntouched; s++)
		kb->by_entry[kb->touched[s]] = -1;
	free(all);
	free(hits);
	free(q);
	return rc;
}

/* Copies the best live entries of the sorted list into out, skipping drafts
 * and entries outside their validity. */
int kb_candidates_fill(struct kb *kb, const struct kb_candidate *sorted, int nsorted,
		       const char *today, struct kb_candidate *out, int max, int *n, char *err)
{
	if (!kb->st_meta &&
	    sqlite3_prepare_v2(kb->db,
			       "SELECT ext_id, slug, route FROM kb_entries WHERE id=? AND status='published' "
			       "AND (valid_from='' OR valid_from<=?2) AND (valid_to='' OR valid_to>=?2)",
			       -1, &kb->st_meta, NULL) != SQLITE_OK)
		return kb_db_fail(kb, err, "entry");
	for (int i = 0; i < nsorted && *n < max; i++) {
		sqlite3_bind_int64(kb->st_meta, 1, sorted[i].entry);
		sqlite3_bind_text(kb->st_meta, 2, today, -1, SQLITE_STATIC);
		if (sqlite3_step(kb->st_meta) == SQLITE_ROW) {
			struct kb_candidate *c = &out[(*n)++];
			*c = sorted[i];
			snprintf(c->id, sizeof c->id, "%s", (const char *)sqlite3_column_text(kb->st_meta, 0));
			snprintf(c->slug, sizeof c->slug, "%s", (const char *)sqlite3_column_text(kb->st_meta, 1));
			snprintf(c->route, sizeof c->route, "%s", (const char *)sqlite3_column_text(kb->st_meta, 2));
		}
		sqlite3_reset(kb->st_meta);
	}
	return MG_OK;
}

int kb_topic_first(struct kb *kb, const char *slug, const char *today, struct kb_candidate *out,
		   int *found, char *err)
{
	*found = 0;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(kb->db, "SELECT id FROM kb_entries WHERE slug=? AND status='published' "
			       "AND (valid_from='' OR valid_from<=?2) AND (valid_to='' OR valid_to>=?2) "
			       "ORDER BY ext_id LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return kb_db_fail(kb, err, "topic");
	sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, today, -1, SQLITE_STATIC);
	int rc = MG_OK;
	if (sqlite3_step(st) == SQLITE_ROW) {
		struct kb_candidate c = {.entry = sqlite3_column_int64(st, 0), .score = 1};
		rc = kb_candidates_fill(kb, &c, 1, today, out, 1, found, err);
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- entries ------------------------------------------------------------------ */

int kb_entry_get(struct kb *kb, int64_t entry, const char *id, struct kb_entry *out, char *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt **st = entry > 0 ? &kb->st_entry_by_row : &kb->st_entry_by_id;
	if (!*st && sqlite3_prepare_v2(kb->db, entry > 0
			? "SELECT " KB_ENTRY_COLUMNS " FROM kb_entries WHERE id=?"
			: "SELECT " KB_ENTRY_COLUMNS " FROM kb_entries WHERE ext_id=?", -1, st, NULL) != SQLITE_OK)
		return kb_db_fail(kb, err, "entry");
	if (entry > 0)
		sqlite3_bind_int64(*st, 1, entry);
	else
		sqlite3_bind_text(*st, 1, id ? id : "", -1, SQLITE_STATIC);
	int rc = MG_OK;
	int step = sqlite3_step(*st);
	if (step == SQLITE_ROW) {
		char **field[] = {&out->id, &out->slug, &out->category, &out->route, &out->status,
				  &out->question, &out->answer, &out->question_en, &out->answer_en,
				  &out->alt_questions, &out->keywords, &out->valid_from, &out->valid_to, &out->url,
				  &out->source, &out->updated_at};
		for (int i = 0; i < (int)(sizeof field / sizeof *field) && rc == MG_OK; i++) {
			const char *v = (const char *)sqlite3_column_text(*st, i);
			*field[i] = strdup(v ? v : "");
			if (!*field[i])
				rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
		}
	} else if (step == SQLITE_DONE) {
		rc = mg_fail(err, MG_ERR_NOT_FOUND, "no entry %s", id ? id : "");
	} else {
		rc = kb_db_fail(kb, err, "entry");
	}
	sqlite3_reset(*st);
	if (rc != MG_OK)
		kb_entry_clear(out);
	return rc;
}

void kb_entry_clear(struct kb_entry *e)
{
	char *fields[] = {e->id, e->slug, e->category, e->route, e->status, e->question, e->answer,
			  e->question_en, e->answer_en, e->alt_questions, e->keywords, e->valid_from, e->valid_to,
			  e->url, e->source, e->updated_at};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
		free(fields[i]);
	memset(e, 0, sizeof *e);
}

int kb_entry_live(const struct kb_entry *e, const char *today)
{
	return !strcmp(e->status, "published") &&
	       (!e->valid_from[0] || strcmp(e->valid_from, today) <= 0) &&
	       (!e->valid_to[0] || strcmp(e->valid_to, today) >= 0);
}
