/* What the kb/ files share among themselves and nobody else sees. */
#ifndef KB_INT_H
#define KB_INT_H

#include "kb/kb.h"

/* Limits of the engine, not product decisions: a question is judged on its
 * first KB_MAX_PHRASES terms (a 200-character question has about 120). */
#define KB_MAX_PHRASES     192
#define KB_QUERY_BUF       4096
#define KB_BUSY_TIMEOUT_MS 5000

/* What an import accepts. Limits that keep one bad file from filling memory,
 * far above what a real FAQ needs (the sample's longest answer is ~1.5 KB). */
#define KB_MAX_COLUMNS      64
#define KB_MAX_ENTRIES      100000
#define KB_MAX_FIELD_BYTES  2000
#define KB_MAX_ANSWER_BYTES 20000

/* The kind of an FTS row: which phrasing of the entry it holds. */
enum kb_kind {
	KB_KIND_QUESTION = 0,
	KB_KIND_ALT = 1,
	KB_KIND_QUESTION_EN = 2,
	KB_KIND_ANSWER = 3,     /* kinds from here on are answers */
	KB_KIND_ANSWER_EN = 4,
};

struct kb {
	sqlite3 *db;
	struct nlp_analyser *an;
	struct nlp_synonyms *syn;
	int64_t generation;  /* kb_meta.generation when syn and rows were loaded */
	int64_t rows;        /* rows in kb_fts */
	sqlite3_stmt *st_search, *st_vocab, *st_meta, *st_generation;
	/* entry rowid → slot in the per-search hit array, -1 when untouched */
	int32_t *by_entry;
	int64_t *touched;
	int64_t by_entry_cap;
};

int kb_db_fail(struct kb *kb, char *err, const char *what);
int kb_sync(struct kb *kb, char *err);
int kb_bump_generation(struct kb *kb, char *err);
int kb_candidates_fill(struct kb *kb, const struct kb_candidate *sorted, int nsorted,
		       const char *today, struct kb_candidate *out, int max, int *n, char *err);
/* Re-analyses every entry into kb_fts (after the synonyms changed). */
int kb_reindex(struct kb *kb, char *err);

#endif
