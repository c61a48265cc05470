/* What the kb/ files share among themselves and nobody else sees. */
#ifndef KB_INT_H
#define KB_INT_H

#include "kb/kb.h"
#include "nlp/hash.h"

#include <time.h>

/* Limits of the engine, not product decisions: a question is judged on its
 * first KB_MAX_PHRASES terms (a 200-character question has about 120). */
#define KB_MAX_PHRASES     192
#define KB_QUERY_BUF       4096
/* A question whose every term has too long a list (kb_weights.max_postings)
 * is searched on this many of its rarest terms. */
#define KB_FALLBACK_TERMS  3
/* The second stage reads a phrase's whole posting list, instead of a binary
 * search of it per candidate, when it holds at most this many entries per
 * candidate. Instructions over the README's 70 dev questions, shipped base /
 * 10,000 entries: binary search only 49.52 M / 91.02 M; 2: 48.23 / 91.89;
 * 4: 47.87 / 91.69; 8: 47.86 / 91.52 (at 10,000 entries most lists are
 * longer than 8 x 40 and the table costs a little more than it saves). */
#define KB_POSTS_WALK      8
/* The most candidates a search orders by insertion (their indices, with
 * the comparison inline) rather than by qsort: a question's 40 (the first
 * 70 dev questions 38.24 -> 37.95 M instructions); leave-one-out's thousands
 * by qsort. */
#define KB_SORT_INSERT     64
/* What FTS5 pays to add a phrase to the first stage's MATCH (finding its
 * list, one more list to merge), in postings of its list: the first stage
 * asks FTS5 for the phrases whose lists hold the best entries most cheaply
 * at this price. Instructions of ask() over the 377 dev questions, shipped
 * base / 10,000 entries: 0 (by the list alone) and 50: 221.92 / 335.08 M
 * (50); 300: 221.11 / 331.92 M; 2,000: 221.38 M shipped; the shortest lists
 * first without a price: 226.10 M shipped, and the 20 longest questions
 * 22.75 M there against 21.63 M at 300. */
#define KB_FTS_PHRASE_COST 300
/* PRAGMA mmap_size of every knowledge-base connection: its pages are read
 * from the file's map, not by a read syscall into its page cache. The event
 * log shares the file, and every commit of its writer makes each worker's
 * next read transaction drop its whole page cache (WAL): uncached asks of
 * tests/bench/http.sh's no-cache server read 0.72 pages an ask by pread64
 * in the workers before, none with the map (perf stat -e
 * 'syscalls:sys_enter_pread64' --per-thread; the map is made again after
 * such a drop, 0.009 mmap and munmap an ask). The most Debian's SQLite
 * allows (SQLITE_MAX_MMAP_SIZE): the log grows the one file, and a
 * re-imported index's pages may lie anywhere in it. The pages touched
 * count in the RSS as the file's page cache (shared, clean): the server's
 * VmRSS after the same run 109.0 -> 109.2 MB, bench-ask's peak 130.4 ->
 * 143.4 MB (a model's load reads the whole index of 10,000 entries). */
#define KB_MMAP_BYTES ((long long)0x7fff0000)
/* FTS5's built-in bm25 constants (fts5_aux.c), which the first stage
 * reproduces from the model: not ours to tune. */
#define KB_FTS_K1 1.2
#define KB_FTS_B  0.75

/* What an import accepts. Limits that keep one bad file from filling memory,
 * far above what a real FAQ needs (the sample's longest answer is ~1.5 KB). */
#define KB_MAX_COLUMNS      64
#define KB_MAX_ENTRIES      100000
#define KB_MAX_FIELD_BYTES  2000
#define KB_MAX_ANSWER_BYTES 20000

/* The kind of a phrasing: which column of the entry it comes from. An
 * entry is one FTS row; its phrasings are the lines of the q column, in the
 * order kb_phrasings() gives, and its answers the a column. */
enum kb_kind {
	KB_KIND_QUESTION = 0,
	KB_KIND_ALT = 1,
	KB_KIND_QUESTION_EN = 2,
	KB_KIND_KEYWORD = 3,    /* one keyword or key phrase: worth part of a phrasing */
};

/* An entry's columns: the CSV header names, in export order. The database
 * columns have the same names but for id, which is ext_id there. */
enum kb_col {
	KB_C_ID, KB_C_SLUG, KB_C_CATEGORY, KB_C_ROUTE, KB_C_STATUS, KB_C_QUESTION, KB_C_ANSWER,
	KB_C_QUESTION_EN, KB_C_ANSWER_EN, KB_C_ANSWER_EASY, KB_C_ALT, KB_C_KEYWORDS, KB_C_VALID_FROM, KB_C_VALID_TO,
	KB_C_URL, KB_C_SOURCE, KB_C_UPDATED_AT, KB_NCOLS
};
/* The next free numeric id: entries without one get it (import, editor). */
#define KB_NEXT_ID "SELECT coalesce(max(CAST(ext_id AS INTEGER)), 0) + 1 FROM kb_entries"
#define KB_ENTRY_COLUMNS                                                              \
	"ext_id, slug, category, route, status, question, answer, question_en, answer_en, answer_easy, " \
	"alt_questions, keywords, valid_from, valid_to, url, source, updated_at"
extern const char *const kb_col_name[KB_NCOLS];

/* What an entry's cells may hold; import and the one-entry editor check the
 * same rules. Empty slugs and dates are valid (the column is optional). */
extern const char *const kb_routes[];    /* NULL-terminated; "" is allowed */
extern const char *const kb_statuses[];
int kb_one_of(const char *s, const char *const *list);
int kb_valid_slug(const char *s);
int kb_valid_date(const char *s);   /* YYYY-MM-DD, a real day */
/* The check of one entry's cells, the same for an import's row and the
 * editor's entry: trims the short cells in place (v[c] NULL = empty) and
 * reports every problem through opts (may be NULL); err gets the first.
 * MG_ERR_INPUT when any. */
int kb_entry_check(char *v[KB_NCOLS], const struct kb_import_opts *opts, char *err);

/* The shape of one phrasing as the index holds it: its kind and how many
 * tokens, words and reading bigrams it has (the row-side coverage needs
 * the last two; the token count maps a position back to its phrasing). */
struct kb_shape {
	int32_t kind, ntokens, nwords, ngrams;
};

/* Calls fn for each phrasing of an entry whose columns are f (NULL = empty),
 * in index order, with its kind and text (not NUL-terminated, placeholders
 * included). The indexer and leave-one-out both walk phrasings through it,
 * so a phrasing's number means the same to both. Stops at fn's non-zero
 * return and returns it. */
typedef int (*kb_phrasing_fn)(void *ctx, int index, enum kb_kind kind, const char *text, size_t len);
int kb_phrasings(const char *const f[KB_NCOLS], kb_phrasing_fn fn, void *ctx);

/* The in-memory model of one generation of the index: every term with its
 * entry frequencies and, per entry holding it, how often each field says it
 * and which phrasings hold it. Loaded from FTS5's own instance table, so it is
 * exactly what the index holds; the second stage reads only this. */
struct kb_mterm {
	size_t off;               /* into kb_model.term_text */
	int len;
	int32_t df_q, df_a;       /* entries whose phrasings / answers hold the term */
	int64_t cf_q;             /* occurrences in all phrasings */
	uint32_t post, npost;     /* postings[post .. post+npost), by entry slot */
};

struct kb_post {
	int32_t ent;              /* entry slot */
	uint16_t tf_q, tf_a;      /* occurrences in the entry's phrasings and answers (capped) */
	uint32_t phr;             /* phrasings[phr .. phr+nphr): the phrasings holding it */
	uint32_t nphr;
};

struct kb_ment {
	int64_t rowid;            /* kb_entries.id */
	/* what kb_candidates_fill needs, read with the model: a search reads
	 * no entry row but those it shows */
	char id[KB_ID_LEN], slug[KB_ID_LEN], route[16];
	char valid_from[11], valid_to[11];  /* YYYY-MM-DD or empty */
	int published;
	int64_t len_q, len_a;     /* tokens in the phrasings and in the answers */
	uint32_t shape, nshape;   /* shapes[shape .. shape+nshape) */
};

struct kb_model {
	struct kb_mterm *terms;   /* sorted as the index sorts (memcmp) */
	size_t nterms;
	char *term_text;
	struct kb_post *posts;
	size_t nposts;
	uint16_t *phrasings;
	size_t nphrasings;
	struct kb_ment *ents;
	int32_t nents;
	struct kb_shape *shapes;
	size_t nshapes;
	int32_t *slot_of;         /* rowid → entry slot, -1 when none */
	int64_t nslot_of;
	int64_t total_q, total_a; /* tokens in all phrasings, in all answers */
	double avg_q, avg_a;      /* mean tokens per entry */
	int max_shapes;           /* most phrasings of one entry */
	double usual_spread;      /* a word's usual idf over every field / idf over the phrasings */
	double *fts_k1norm;       /* per entry slot: k1 times FTS5's bm25 length norm of its row */
	uint32_t *term_slot;      /* terms by hash: index + 1, 0 empty (kb_model_term) */
	size_t term_mask;         /* the table's size - 1 */
	struct mg_hash_key term_key;  /* the table's hash key, the model's own */
	/* The synonym list of generation, read on the snapshot that names it by
	 * whoever loads the model (the server's pool), and shared with it: a
	 * connection that takes the model does no synonym work (16 M
	 * instructions for the sample's list when each read its own). */
	struct nlp_synonyms *syn;
	struct kb_gloss *gloss;   /* the dictionary's words for this model's (kb/gloss.c) */
	atomic_int gloss_built;   /* gloss is built (read without the lock) */
	/* the process-wide cache (kb/model.c): immutable once shared */
	char *path;               /* kb_meta's instance of the database */
	int64_t generation;
	int refs, cached;
	struct kb_model *next;
};

/* The model of generation of kb's database file, shared with every other
 * connection of the process to that file (a new reference: kb_model_put
 * it). Read-only once returned. */
int kb_model_get(struct kb *kb, int64_t generation, struct kb_model **out, char *err);
/* The model of generation if some connection of the process has loaded it
 * already (a new reference), else NULL at once: never waits for a load. */
struct kb_model *kb_model_ready(struct kb *kb, int64_t generation);
/* The newest model of kb's database file that some connection of the
 * process has loaded, of generation at most generation (a new reference),
 * else NULL at once: never loads, never waits for a load. A connection's
 * first sync takes it rather than load a model itself (kb_sync). */
struct kb_model *kb_model_newest(struct kb *kb, int64_t generation);
/* Model reads this process has begun so far (shared models and those kept
 * to a connection): what the tests count loads by. */
long kb_model_loads(void);
/* Times a connection whose loads are another's (kb_set_loader: a server's
 * worker) had no model of the generation it met and loaded one or waited
 * for another's load: a resident's ask waiting for a knowledge base. What
 * the tests count that by (never, beside imports). */
long kb_model_waits_served(void);
/* Synonym lists this process has read from kb_synonyms so far (with a model,
 * or for a write that has none yet): what the tests count them by. */
long kb_synonyms_loads(void);
/* The synonym list on disk, in kb's snapshot, read (nlp_synonyms_lemmatise)
 * with kb's analyser: *out is the caller's (NULL on failure). */
int kb_synonyms_load(struct kb *kb, struct nlp_synonyms **out, char *err);
/* Models the process's cache holds now, of every file and generation: a
 * model stays while any connection holds it (the tests check that none is
 * kept for nothing). */
int kb_models_cached(void);
/* 1 when kb_model_get would share the model it loads (a file, outside a
 * write transaction); 0 when it would keep it to the connection. */
int kb_model_shareable(struct kb *kb);
/* Seconds a connection waits for the loader (kb_set_loader) to bring a
 * generation's model before it calls the loader again: a load that never
 * came (a failed one, a pool that dropped the job) must not leave it
 * ranking with the old model until the next edit. A load takes 0.3-1.4 s
 * (attack.residents_never_wait_for_a_new_knowledge_base_to_load). */
#define KB_LOADER_AGAIN_S 5
void kb_model_put(struct kb_model *m);
const struct kb_mterm *kb_model_term(const struct kb_model *m, const char *term, int len);
/* The posting of term t for entry slot ent, or NULL. */
const struct kb_post *kb_model_post(const struct kb_model *m, const struct kb_mterm *t, int32_t ent);

/* JMdict/EDICT as Debian's edict package installs it (EUC-JP, 19 MB). */
#define KB_EDICT_PATH "/usr/share/edict/edict"
#define KB_EDICT_MAX_BYTES ((size_t)64 << 20)

/* The dictionary parsed from EDICT's lines in UTF-8 (`HEAD [READING]
 * /gloss/gloss/.../`); takes text (malloc'd, NUL-terminated, len bytes
 * before the NUL) as its own and rewrites it in place, freed by
 * kb_dict_free even when parsing fails. */
struct kb_dict;
int kb_dict_parse(char *text, size_t len, struct kb_dict **out);
/* The dictionary read from path (EDICT's EUC-JP file) and parsed. */
int kb_dict_read(const char *path, struct kb_dict **out);
void kb_dict_free(struct kb_dict *d);

/* kb/gloss.c: words that share an English gloss in the dictionary. */
struct kb_gloss;
/* Called with a knowledge-base term; src: for a bridge, the index of the
 * question's stem it comes from. Non-zero stops. */
typedef int (*kb_gloss_fn)(void *ctx, const char *term, int len, int src);
/* The gloss map of model m, built at first use (NULL without the
 * dictionary); with synonyms, its map of shared glosses too. */
const struct kb_gloss *kb_gloss_of(struct kb *kb, struct kb_model *m, int synonyms);
void kb_gloss_free(struct kb_gloss *g);
int kb_gloss_content_word(const char *s, int len);
/* The model's terms sharing a gloss of word (said of at most max_fanout
 * headwords), word itself left out. */
int kb_gloss_synonyms(const struct kb_model *m, const struct kb_gloss *g, const char *word, int len,
		      int max_fanout, kb_gloss_fn fn, void *ctx);
/* The model's terms one of whose short English glosses the question's
 * stems all say. */
int kb_gloss_bridge(const struct kb_model *m, const struct kb_gloss *g, const char *const *stem,
		    const int *stem_len, int nstems, int max_fanout, kb_gloss_fn fn, void *ctx);

struct kb {
	sqlite3 *db;
	struct nlp_analyser *an;
	/* The list a write reads with before any model has it (an import of
	 * synonyms, a copy, the schema's steps), until the next model comes in
	 * or, the write over, the connection goes on with its older model
	 * (kb_set_loader's window); otherwise NULL, and the model's is used
	 * (kb_syn). */
	struct nlp_synonyms *syn_own;
	int64_t generation;  /* kb_meta.generation when the model was loaded */
	struct kb_model *model;  /* of generation */
	/* kb_set_loader's: while a newer generation's model is loaded elsewhere,
	 * searches go on with model, and stale says so (kb_candidates_fill then
	 * checks every entry against the entries as they are now) */
	void (*loader)(void *ctx);
	void *loader_ctx;
	int64_t wanted;      /* the newest generation loader was called for */
	time_t wanted_at;    /* when, on the monotonic clock */
	int stale;           /* kb_meta.generation is newer than generation */
	/* The file's data version (SQLITE_FCNTL_DATA_VERSION: it moves with
	 * every commit, this connection's or another's) in the read
	 * transaction where kb_sync last read generation, and that generation
	 * (-1: none). A sync that finds the same version in its read
	 * transaction reads nothing (kb_sync). */
	unsigned synced_version;
	int64_t synced_generation;
	/* every statement on kb_ tables, prepared once per connection
	 * (nlp/db.h): mg_db_stmt_get, then mg_db_stmt_put when done */
	struct mg_db_stmts *stmts;
	/* the first stage's per-entry arrays, kept between questions (kb/search.c):
	 * two arrays of the knowledge base's size allocated per question cost
	 * page faults that grow with it */
	double *stage_score;
	void *stage_ranked;
	unsigned char *stage_mark;
	int32_t *stage_cand;
	size_t stage_cap;
	void *query;  /* kb/search.c's struct query, kept likewise */
	struct mg_db_write write;  /* kb_write_begin's levels */
};

/* The synonym list kb's analyses use now: its own while a write reads with
 * one no model has yet, else its model's (NULL before the first sync). */
static inline const struct nlp_synonyms *kb_syn(const struct kb *kb)
{
	return kb->syn_own ? kb->syn_own : kb->model ? kb->model->syn : NULL;
}

/* Runs sql (one statement, no rows wanted) through the connection's
 * statement cache: SQLite's result code. */
int kb_exec(struct kb *kb, const char *sql);
/* Grows *p to hold need items of size bytes, doubling; -1 without memory. */
int kb_grow(void **p, size_t *cap, size_t need, size_t size);
int kb_sync(struct kb *kb, char *err);
int kb_bump_generation(struct kb *kb, char *err);
/* The live entries of sorted into out. sorted's rows are the model's
 * (a search's) or, with current, rows read from kb_entries now. */
int kb_candidates_fill(struct kb *kb, const struct kb_candidate *sorted, int nsorted, int current,
		       const char *today, struct kb_candidate *out, int max, int *n, char *err);
int kb_fts_reset(struct kb *kb, char *err);
/* Re-analyses every entry into kb_fts (after the synonyms changed). */
int kb_reindex(struct kb *kb, char *err);
/* The one FTS row of an entry: f holds its columns (NULL = empty). */
int kb_index_entry(struct kb *kb, int64_t entry, const char *const f[KB_NCOLS], char *err);

#endif
