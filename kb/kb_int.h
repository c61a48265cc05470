/* What the kb/ files share among themselves and nobody else sees. */
#ifndef KB_INT_H
#define KB_INT_H

#include "kb/kb.h"

/* Limits of the engine, not product decisions: a question is judged on its
 * first KB_MAX_PHRASES terms (a 200-character question has about 120). */
#define KB_MAX_PHRASES     192
#define KB_QUERY_BUF       4096
#define KB_BUSY_TIMEOUT_MS 5000
#define KB_SCHEMA_VERSION  4
#define KB_STR_(x) #x
#define KB_STR(x)  KB_STR_(x)

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
	KB_KIND_KEYWORDS = 3,   /* the entry's keywords, one bag: counts for vocabulary only */
	KB_KIND_ANSWER = 4,     /* kinds from here on are answers */
	KB_KIND_ANSWER_EN = 5,
};

/* An entry's columns: the CSV header names, in export order. The database
 * columns have the same names but for id, which is ext_id there. */
enum kb_col {
	KB_C_ID, KB_C_SLUG, KB_C_CATEGORY, KB_C_ROUTE, KB_C_STATUS, KB_C_QUESTION, KB_C_ANSWER,
	KB_C_QUESTION_EN, KB_C_ANSWER_EN, KB_C_ALT, KB_C_KEYWORDS, KB_C_VALID_FROM, KB_C_VALID_TO,
	KB_C_URL, KB_C_SOURCE, KB_C_UPDATED_AT, KB_NCOLS
};
#define KB_ENTRY_COLUMNS                                                              \
	"ext_id, slug, category, route, status, question, answer, question_en, answer_en, " \
	"alt_questions, keywords, valid_from, valid_to, url, source, updated_at"
extern const char *const kb_col_name[KB_NCOLS];

/* What an entry's cells may hold; import and the one-entry editor check the
 * same rules. Empty slugs and dates are valid (the column is optional). */
extern const char *const kb_routes[];    /* NULL-terminated; "" is allowed */
extern const char *const kb_statuses[];
int kb_one_of(const char *s, const char *const *list);
int kb_valid_slug(const char *s);
int kb_valid_date(const char *s);   /* YYYY-MM-DD, a real day */

/* A term of the index and the number of question and answer rows holding it. */
struct kb_term {
	size_t off;  /* into kb_stats.term_text */
	int len;
	int64_t df_question, df_answer;
};

/* An index row: the entry it belongs to, its kind and its size. */
struct kb_row {
	int64_t entry;
	int kind;
	int nwords, ngrams;
};

struct kb_stats {
	struct kb_term *terms;  /* sorted as the index sorts (memcmp) */
	size_t nterms;
	char *term_text;
	struct kb_row *rows;    /* by rowid; entry 0 = no such row */
	int64_t nrows;
	int64_t question_rows;
};

int kb_stats_load(struct kb *kb, struct kb_stats **out, char *err);
void kb_stats_free(struct kb_stats *st);
const struct kb_term *kb_stats_term(const struct kb_stats *st, const char *term, int len);

struct kb {
	sqlite3 *db;
	struct nlp_analyser *an;
	struct nlp_synonyms *syn;
	int64_t generation;  /* kb_meta.generation when syn and rows were loaded */
	struct kb_stats *stats;  /* of generation */
	sqlite3_stmt *st_search, *st_floor, *st_entry_by_row, *st_entry_by_id, *st_meta, *st_generation;
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
int kb_fts_reset(struct kb *kb, char *err);
/* Re-analyses every entry into kb_fts (after the synonyms changed). */
int kb_reindex(struct kb *kb, char *err);

#endif
