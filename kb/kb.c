/* The knowledge base's connection, schema, FTS5 tokenizer and entries.
 * An entry is one FTS5 row: all its phrasings (question, alternate
 * questions, English question, keywords) one per line in q, its answers in
 * a, so that every phrasing is evidence for its entry (kb/search.c). */
#include "kb/kb_int.h"
#include "nlp/mg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Phrasings (q) and answers (a) are separate columns so that the first
 * stage weighs them apart and fts5vocab counts a term's entries per column;
 * shape holds each phrasing's struct kb_shape, in line order; the instance
 * table gives the in-memory model (kb/model.c) every occurrence. Part of
 * step 1, and made again by kb_fts_reset. */
#define FTS_TABLES                                                      \
	"CREATE VIRTUAL TABLE IF NOT EXISTS kb_fts USING fts5("         \
	"  q, a, shape UNINDEXED, tokenize='madoguchi');"               \
	"CREATE VIRTUAL TABLE IF NOT EXISTS kb_vocab_i USING fts5vocab(kb_fts, 'instance');"

/* The kb_ tables' migrations (nlp/db.h): step 1 is the schema as it shipped
 * when migrations came; a change is a step added below it, never an edit of
 * it. */
static const char SCHEMA_1[] =
	"CREATE TABLE IF NOT EXISTS kb_meta(key TEXT PRIMARY KEY, value);"
	"CREATE TABLE IF NOT EXISTS kb_entries("
	"  id INTEGER PRIMARY KEY,"
	"  ext_id TEXT NOT NULL UNIQUE,"
	"  slug TEXT NOT NULL DEFAULT '', category TEXT NOT NULL DEFAULT '',"
	"  route TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'published',"
	"  question TEXT NOT NULL, answer TEXT NOT NULL,"
	"  question_en TEXT NOT NULL DEFAULT '', answer_en TEXT NOT NULL DEFAULT '',"
	"  answer_easy TEXT NOT NULL DEFAULT '',"
	"  alt_questions TEXT NOT NULL DEFAULT '', keywords TEXT NOT NULL DEFAULT '',"
	"  valid_from TEXT NOT NULL DEFAULT '', valid_to TEXT NOT NULL DEFAULT '',"
	"  url TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '',"
	"  updated_at TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS kb_synonyms(variant TEXT PRIMARY KEY, canonical TEXT NOT NULL);"
	/* A knowledge base a full import replaced, as its export (CSV). */
	"CREATE TABLE IF NOT EXISTS kb_replaced(id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
	"  entries INTEGER NOT NULL, csv BLOB NOT NULL);"
	"INSERT OR IGNORE INTO kb_meta VALUES('generation', 0);"
	/* Names this database file for the model cache: a path can be reused by
	 * another database, this never is. */
	"INSERT OR IGNORE INTO kb_meta VALUES('instance', lower(hex(randomblob(16))));"
	FTS_TABLES;

/* Empties the index by dropping it: a DELETE would re-tokenize every row,
 * and rows indexed under another synonym list would then delete the wrong
 * terms and corrupt the index. */
int kb_fts_reset(struct kb *kb, char *err)
{
	if (sqlite3_exec(kb->db, "DROP TABLE IF EXISTS kb_vocab; DROP TABLE IF EXISTS kb_vocab_i; "
			 "DROP TABLE IF EXISTS kb_fts;",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(kb->db, FTS_TABLES, NULL, NULL, NULL) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "index");
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
	/* One line is one phrasing: reading bigrams never join two of them,
	 * and the token counts in the shape column hold line by line. */
	struct tok_ctx t = {fts_ctx, xToken, n, SQLITE_OK};
	int rc = MG_OK;
	for (int i = 0; i < n && rc == MG_OK;) {
		const char *nl = memchr(text + i, '\n', (size_t)(n - i));
		int end = nl ? (int)(nl - text) : n;
		if (end > i)
			rc = nlp_analyse(kb->an, kb_syn(kb), text + i, (size_t)(end - i), tok_emit, &t, NULL);
		i = end + 1;
	}
	if (t.sqlite_rc != SQLITE_OK)
		return t.sqlite_rc;
	if (rc == MG_ERR_NOMEM)
		return SQLITE_NOMEM;
	/* Text that is not UTF-8 never reaches the index: import checks it. */
	return rc == MG_OK ? SQLITE_OK : SQLITE_ERROR;
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
	return rc == SQLITE_OK ? MG_OK : mg_fail(err, MG_ERR_DB, "cannot register the FTS5 tokenizer");
}

/* ---- connection ------------------------------------------------------------ */

/* Before migrations were per module, kb_meta's 'schema' counted the
 * knowledge base's own versions, 6 when they came: version 2 added keywords
 * and renumbered the row kinds, version 3 split questions and answers into
 * two index columns, version 4 made each keyword a row of its own, version 5
 * made each entry one row (all re-index); version 6 added answer_easy (the
 * plain-Japanese answer), which no index reads. A file below 6 (or a new
 * one) gets the columns and is re-indexed, with the synonyms on disk. */
#define KB_SCHEMA_BEFORE_MIGRATIONS 6

/* Every entry analysed again with the synonyms on disk (read for the
 * migration's write when no model has them yet): a migration that changes
 * what the analyser makes of the entries. */
static int reindex_with_synonyms(struct kb *kb, char *err)
{
	int rc = kb_syn(kb) ? MG_OK : kb_synonyms_load(kb, &kb->syn_own, err);
	return rc == MG_OK ? kb_reindex(kb, err) : rc;
}

/* The same, as a new generation: the columns added below change entries. */
static int analyse_again(struct kb *kb, char *err)
{
	int rc = reindex_with_synonyms(kb, err);
	return rc == MG_OK ? kb_bump_generation(kb, err) : rc;
}

static int adopt_1(sqlite3 *db, void *ctx, char *err)
{
	struct kb *kb = ctx;
	sqlite3_stmt *st = NULL;
	int version = 0;
	if (sqlite3_prepare_v2(db, "SELECT value FROM kb_meta WHERE key='schema'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version >= KB_SCHEMA_BEFORE_MIGRATIONS)
		return MG_OK;
	int rc = mg_db_add_column(db, "kb_entries", "keywords", "TEXT NOT NULL DEFAULT ''", err);
	if (rc == MG_OK)
		rc = mg_db_add_column(db, "kb_entries", "answer_easy", "TEXT NOT NULL DEFAULT ''", err);
	return rc == MG_OK ? analyse_again(kb, err) : rc;
}

/* Step 2: the entries of a topic found by their slug, not by reading the
 * whole table: a question in another language is met with the first entry
 * of one topic (kb_topic_first), which read every entry's row, 4-6 ms of
 * CPU at 10,000 entries (`BENCH_ASK_TIMES`, README § Performance). */
static const char SCHEMA_2[] = "CREATE INDEX IF NOT EXISTS kb_entries_slug ON kb_entries(slug);";

/* Step 3: every inflection of a synonym's verb or adjective is its canonical
 * word (nlp_synonyms_lemmatise): the index is analysed again so that its
 * phrasings say what the questions now say. The generation stays: no model
 * of this file can be loaded before its migration, and every row a staff
 * member or resident wrote is as it was. */
static int adopt_3(sqlite3 *db, void *ctx, char *err)
{
	(void)db;
	return reindex_with_synonyms(ctx, err);
}

/* Step 4: a synonym's verb listed with a direction, the tail of another
 * verb of its group (越してきた beside 引っ越してきた), is its canonical
 * word only with that direction: the index is analysed again, as in step
 * 3, so that a phrasing's 県へ越す is 越す again, not 転入. */
/* Step 5: the question words whose answer is one topic (いくら, 何歳) are
 * words of the index (nlp/nlp.c question_words): the entries are analysed
 * again, as in step 3, so that a phrasing's いくらかかりますか holds いくら
 * and 何歳から holds 何歳. */
static const struct mg_db_step STEPS[] = {
	{SCHEMA_1, adopt_1},
	{SCHEMA_2, NULL},
	{NULL, adopt_3},
	{NULL, adopt_3},
	{NULL, adopt_3},
};
const struct mg_db_schema kb_schema = {"kb", STEPS, sizeof STEPS / sizeof *STEPS};

int kb_open(struct kb **out, const char *path, struct nlp_model *model, char *err)
{
	*out = NULL;
	struct kb *kb = calloc(1, sizeof *kb);
	if (!kb)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	kb->wanted = -1;
	kb->synced_generation = -1;
	int rc = nlp_analyser_new(model, &kb->an, err);
	if (rc == MG_OK)
		rc = mg_db_open(path, 1, MG_DB_SYNC_NORMAL, &kb->db, err);
	/* pages read from the file's map (KB_MMAP_BYTES says why) */
	if (rc == MG_OK) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA mmap_size=%lld", (long long)KB_MMAP_BYTES);
		if (sqlite3_exec(kb->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			rc = mg_db_fail(kb->db, err, "mmap");
	}
	if (rc == MG_OK && !(kb->stmts = mg_db_stmts_new(kb->db)))
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = register_fts(kb, err);
	if (rc == MG_OK)
		rc = mg_db_migrate(kb->db, &kb_schema, kb, err);
	if (rc == MG_OK)
		rc = kb_sync(kb, err);
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
	mg_db_stmts_free(kb->stmts);
	sqlite3_close(kb->db);
	nlp_analyser_free(kb->an);
	nlp_synonyms_free(kb->syn_own);
	kb_model_put(kb->model);
	free(kb->stage_score);
	free(kb->stage_ranked);
	free(kb->stage_mark);
	free(kb->stage_cand);
	free(kb->query);
	free(kb);
}

sqlite3 *kb_db(struct kb *kb)
{
	return kb->db;
}

struct nlp_analyser *kb_analyser(struct kb *kb)
{
	return kb->an;
}

int64_t kb_generation(const struct kb *kb)
{
	return kb->generation;
}

int kb_refresh(struct kb *kb, int64_t *generation, char *err)
{
	int rc = kb_sync(kb, err);
	/* While the model is older than the entries (kb->stale), or inside a
	 * write (what it sees may be rolled back), nothing a search ranks is to
	 * be kept: -1 keys nothing. */
	*generation = rc == MG_OK && !kb->stale && sqlite3_txn_state(kb->db, "main") != SQLITE_TXN_WRITE
		      ? kb->generation : -1;
	return rc;
}

int kb_exec(struct kb *kb, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = mg_db_stmt_get(kb->stmts, sql, &st);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
		rc = SQLITE_OK;
	mg_db_stmt_put(kb->stmts, st);
	return rc;
}

int kb_read_begin(struct kb *kb)
{
	return sqlite3_get_autocommit(kb->db) && kb_exec(kb, "BEGIN") == SQLITE_OK;
}

void kb_read_end(struct kb *kb, int began)
{
	if (began)
		kb_exec(kb, "COMMIT");
}

const struct nlp_synonyms *kb_synonyms(struct kb *kb)
{
	char err[MG_ERR_LEN];
	return kb_sync(kb, err) == MG_OK ? kb_syn(kb) : NULL;
}

int kb_write_begin(struct kb *kb, char *err)
{
	return mg_db_write_begin(kb->db, &kb->write, err);
}

int kb_write_end(struct kb *kb, int rc, char *err)
{
	rc = mg_db_write_end(kb->db, &kb->write, rc, err);
	if (rc != MG_OK)
		kb->generation = -1;  /* the next search reloads what is on disk */
	return rc;
}

int kb_count(struct kb *kb, int64_t *n, char *err)
{
	sqlite3_stmt *st = NULL;
	int rc = mg_db_stmt_get(kb->stmts, "SELECT count(*) FROM kb_entries", &st);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		rc = SQLITE_ERROR;
	mg_db_stmt_put(kb->stmts, st);
	return rc == SQLITE_OK ? MG_OK : mg_db_fail(kb->db, err, "count");
}

static atomic_long synonyms_loads;

long kb_synonyms_loads(void)
{
	return atomic_load(&synonyms_loads);
}

int kb_synonyms_load(struct kb *kb, struct nlp_synonyms **out, char *err)
{
	struct nlp_synonyms *syn = nlp_synonyms_new();
	sqlite3_stmt *st = NULL;
	int rc = MG_OK;
	*out = NULL;
	if (!syn)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	atomic_fetch_add(&synonyms_loads, 1);
	if (mg_db_stmt_get(kb->stmts, "SELECT canonical, variant FROM kb_synonyms", &st) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "synonyms");
	while (rc == MG_OK && sqlite3_step(st) == SQLITE_ROW)
		rc = nlp_synonyms_add(syn, (const char *)sqlite3_column_text(st, 0),
				      (const char *)sqlite3_column_text(st, 1), err);
	mg_db_stmt_put(kb->stmts, st);
	if (rc == MG_OK)
		rc = nlp_synonyms_lemmatise(syn, kb->an, err);
	if (rc != MG_OK) {
		nlp_synonyms_free(syn);
		return rc;
	}
	*out = syn;
	return MG_OK;
}

/* The file's data version in kb's read transaction, opened here when the
 * caller's has not read yet (PRAGMA data_version reads no table); 0 when
 * there is none to compare: no read transaction (a write's is its own). */
static unsigned read_version(struct kb *kb)
{
	if (sqlite3_txn_state(kb->db, "main") == SQLITE_TXN_NONE && !sqlite3_get_autocommit(kb->db)) {
		sqlite3_stmt *st = NULL;
		if (mg_db_stmt_get(kb->stmts, "PRAGMA data_version", &st) == SQLITE_OK)
			sqlite3_step(st);
		mg_db_stmt_put(kb->stmts, st);
	}
	unsigned v = 0;
	if (sqlite3_txn_state(kb->db, "main") != SQLITE_TXN_READ ||
	    sqlite3_file_control(kb->db, "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK)
		return 0;
	return v;
}

/* Records that the read transaction of data version v (read_version) saw
 * kb->generation: nothing to compare with when v is 0 (a write's: what it
 * wrote may yet be rolled back) or the model is an older one's (stale). */
static void synced(struct kb *kb, unsigned v)
{
	kb->synced_version = v;
	kb->synced_generation = v && !kb->stale ? kb->generation : -1;
}

/* The generation on disk (-1 when the row is missing). */
static int generation_now(struct kb *kb, int64_t *gen, char *err)
{
	sqlite3_stmt *st = NULL;
	if (mg_db_stmt_get(kb->stmts, "SELECT value FROM kb_meta WHERE key='generation'", &st) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "generation");
	*gen = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		*gen = sqlite3_column_int64(st, 0);
	mg_db_stmt_put(kb->stmts, st);
	return MG_OK;
}

int kb_sync(struct kb *kb, char *err)
{
	/* The generation and the model (with its synonyms) read in one
	 * snapshot: a commit between them would name a model by another's
	 * number. */
	int began = kb_read_begin(kb);
	/* Nothing committed to the file since the last sync read the
	 * generation (the data version of this read transaction is that
	 * sync's): the same generation, whose model is here, shared; no kb_meta
	 * row is read. The search after the decision cache's check, in the
	 * same read transaction, always finds so. A connection waiting for a
	 * model loaded elsewhere (stale) looks for it at every sync. kb_sync
	 * per uncached HTTP ask 5.2 K -> 3.2 K instructions
	 * (tests/bench/callgrind-http.sh ./madoguchi --no-decision-cache). */
	unsigned version = 0;
	if (kb->synced_generation >= 0 && kb->synced_generation == kb->generation && !kb->stale &&
	    kb->model && kb->model->cached && !kb->syn_own &&
	    (version = read_version(kb)) != 0 && version == kb->synced_version) {
		kb_read_end(kb, began);
		return MG_OK;
	}
	int64_t gen = -1;
	int rc = generation_now(kb, &gen, err);
	if (rc != MG_OK) {
		kb_read_end(kb, began);
		return rc;
	}
	kb->stale = 0;
	/* A model kept to the connection (loaded inside a write) is loaded
	 * again, shared, once the write is over. */
	if (gen == kb->generation && kb->model &&
	    (kb->model->cached || !kb_model_shareable(kb))) {
		synced(kb, read_version(kb));
		kb_read_end(kb, began);
		return MG_OK;
	}
	struct kb_model *model = NULL;
	/* A connection's first sync (at open) neither loads nor waits for a
	 * model when the process has one of this file already: it takes the
	 * newest loaded and, when that is older than the entries, ranks with it
	 * as kb_set_loader's window does until the new one is in; its first
	 * search then hands the load to its loader (set after the open), or
	 * makes it, as for any generation met later. A server's worker opened
	 * beside an import never pays for the import's model, nor its synonyms:
	 * it analyses with the model's, of the generation it ranks with, as
	 * every worker does in kb_set_loader's window. */
	if (!kb->model && kb_model_shareable(kb) && (model = kb_model_newest(kb, gen)) &&
	    model->generation != gen)
		kb->stale = 1;
	/* A connection whose loads are another's (kb_set_loader) goes on with
	 * the model it has until that one is loaded. */
	else if (!model && kb->loader && kb->model && sqlite3_txn_state(kb->db, "main") != SQLITE_TXN_WRITE &&
	    !(model = kb_model_ready(kb, gen))) {
		kb->stale = 1;
		/* a write's own list ended with the write: the connection that
		 * saved it analyses with its model's, as every other does */
		nlp_synonyms_free(kb->syn_own);
		kb->syn_own = NULL;
		/* the monotonic clock: one stepped back must not keep the worker
		 * from asking again */
		time_t now = (time_t)(mg_now_ms() / 1000);
		if (kb->wanted != gen || now - kb->wanted_at >= KB_LOADER_AGAIN_S) {
			kb->wanted = gen;
			kb->wanted_at = now;
			kb->loader(kb->loader_ctx);
		}
		kb_read_end(kb, began);
		return MG_OK;
	}
	if (!model)
		rc = kb_model_get(kb, gen, &model, err);
	unsigned version_now = rc == MG_OK ? read_version(kb) : 0;
	kb_read_end(kb, began);
	if (rc != MG_OK)
		return rc;
	/* a write's own list gives way to the model's, of the same snapshot */
	nlp_synonyms_free(kb->syn_own);
	kb->syn_own = NULL;
	kb_model_put(kb->model);
	kb->model = model;
	kb->generation = kb->stale ? model->generation : gen;
	synced(kb, version_now);
	return MG_OK;
}

int kb_fresh(const struct kb *kb)
{
	return !kb->stale;
}

void kb_set_loader(struct kb *kb, void (*fn)(void *ctx), void *ctx)
{
	kb->loader = fn;
	kb->loader_ctx = ctx;
}

int kb_bump_generation(struct kb *kb, char *err)
{
	if (kb_exec(kb, "UPDATE kb_meta SET value=value+1 WHERE key='generation'") != SQLITE_OK)
		return mg_db_fail(kb->db, err, "generation");
	return MG_OK;
}

/* Copies the best live entries of the sorted list into out, skipping drafts
 * and entries outside their validity, from the model (the caller has
 * synced): no SQL per candidate. */
/* An entry is shown on today when published and today lies within its
 * validity (YYYY-MM-DD, either end empty: open). */
static int live_on(int published, const char *from, const char *to, const char *today)
{
	return published && (!from[0] || strcmp(from, today) <= 0) && (!to[0] || strcmp(to, today) >= 0);
}

/* While the model is older than the entries (kb->stale), the entry of
 * row (current: a row of kb_entries now) or of the model's id (a search's
 * candidate: its row may have been deleted, or reused by a re-import) as
 * it is on disk now, into c, when it is live on today; 0 when it is not, or
 * is gone. st is the caller's, taken from the cache here once. */
static int entry_now(struct kb *kb, sqlite3_stmt **st, int current, int64_t row, const char *id,
		     const char *today, struct kb_candidate *c)
{
	if (!*st && mg_db_stmt_get(kb->stmts, current
			? "SELECT id, ext_id, slug, route, status='published', valid_from, valid_to FROM kb_entries WHERE id=?1"
			: "SELECT id, ext_id, slug, route, status='published', valid_from, valid_to FROM kb_entries WHERE ext_id=?2",
			st) != SQLITE_OK)
		return 0;
	if (current)
		sqlite3_bind_int64(*st, 1, row);
	else
		sqlite3_bind_text(*st, 2, id, -1, SQLITE_STATIC);
	int live = sqlite3_step(*st) == SQLITE_ROW &&
		   live_on(sqlite3_column_int(*st, 4), (const char *)sqlite3_column_text(*st, 5),
			   (const char *)sqlite3_column_text(*st, 6), today);
	if (live) {
		c->entry = sqlite3_column_int64(*st, 0);
		char *to[] = {c->id, c->slug, c->route};
		size_t cap[] = {sizeof c->id, sizeof c->slug, sizeof c->route};
		for (int i = 0; i < 3; i++)
			snprintf(to[i], cap[i], "%s", (const char *)sqlite3_column_text(*st, i + 1));
	}
	sqlite3_reset(*st);
	return live;
}

int kb_candidates_fill(struct kb *kb, const struct kb_candidate *sorted, int nsorted, int current,
		       const char *today, struct kb_candidate *out, int max, int *n, char *err)
{
	(void)err;
	const struct kb_model *m = kb->model;
	sqlite3_stmt *st = NULL;
	for (int i = 0; i < nsorted && *n < max; i++) {
		int64_t row = sorted[i].entry;
		int32_t slot = row > 0 && row < m->nslot_of ? m->slot_of[row] : -1;
		struct kb_candidate *c = &out[*n];
		*c = sorted[i];
		if (kb->stale) {
			/* an entry the model has not seen yet is found with the new one */
			if (!current && slot < 0)
				continue;
			if (entry_now(kb, &st, current, row, slot >= 0 ? m->ents[slot].id : "", today, c))
				(*n)++;
			continue;
		}
		if (slot < 0)
			continue;
		const struct kb_ment *e = &m->ents[slot];
		if (!live_on(e->published, e->valid_from, e->valid_to, today))
			continue;
		(*n)++;
		memcpy(c->id, e->id, sizeof c->id);
		memcpy(c->slug, e->slug, sizeof c->slug);
		memcpy(c->route, e->route, sizeof c->route);
	}
	mg_db_stmt_put(kb->stmts, st);
	return MG_OK;
}

/* The entries the statement st selects (their rowids, first column), live on
 * today, into out: every list of entries ends in kb_candidates_fill. */
static int fill_selected(struct kb *kb, sqlite3_stmt *st, const char *today, struct kb_candidate *out,
			 int max, int *n, char *err)
{
	int rc = MG_OK;
	while (rc == MG_OK && *n < max && sqlite3_step(st) == SQLITE_ROW) {
		struct kb_candidate c = {.entry = sqlite3_column_int64(st, 0), .score = 1};
		rc = kb_candidates_fill(kb, &c, 1, 1, today, out, max, n, err);
	}
	mg_db_stmt_put(kb->stmts, st);
	return rc;
}

int kb_first_entries(struct kb *kb, const char *today, struct kb_candidate *out, int max, int *n,
		     char *err)
{
	*n = 0;
	sqlite3_stmt *st = NULL;
	int rc = kb_sync(kb, err);
	if (rc != MG_OK)
		return rc;
	if (mg_db_stmt_get(kb->stmts, "SELECT id FROM kb_entries ORDER BY id", &st) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "entries");
	return fill_selected(kb, st, today, out, max, n, err);
}

int kb_topic_first(struct kb *kb, const char *slug, const char *today, struct kb_candidate *out,
		   int *found, char *err)
{
	*found = 0;
	sqlite3_stmt *st = NULL;
	int rc = kb_sync(kb, err);
	if (rc != MG_OK)
		return rc;
	if (mg_db_stmt_get(kb->stmts, "SELECT id FROM kb_entries WHERE slug=? ORDER BY ext_id", &st) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "topic");
	sqlite3_bind_text(st, 1, slug, -1, SQLITE_TRANSIENT);
	return fill_selected(kb, st, today, out, 1, found, err);
}

/* ---- entries ------------------------------------------------------------------ */

int kb_entry_get(struct kb *kb, int64_t entry, const char *id, struct kb_entry *out, char *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = NULL;
	if (mg_db_stmt_get(kb->stmts, entry > 0
			? "SELECT " KB_ENTRY_COLUMNS " FROM kb_entries WHERE id=?"
			: "SELECT " KB_ENTRY_COLUMNS " FROM kb_entries WHERE ext_id=?", &st) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "entry");
	if (entry > 0)
		sqlite3_bind_int64(st, 1, entry);
	else
		sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_STATIC);
	int rc = MG_OK;
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		char **field[] = {&out->id, &out->slug, &out->category, &out->route, &out->status,
				  &out->question, &out->answer, &out->question_en, &out->answer_en,
				  &out->answer_easy, &out->alt_questions, &out->keywords, &out->valid_from, &out->valid_to, &out->url,
				  &out->source, &out->updated_at};
		for (int i = 0; i < (int)(sizeof field / sizeof *field) && rc == MG_OK; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);
			*field[i] = strdup(v ? v : "");
			if (!*field[i])
				rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
		}
	} else if (step == SQLITE_DONE) {
		rc = mg_fail(err, MG_ERR_NOT_FOUND, "no entry %s", id ? id : "");
	} else {
		rc = mg_db_fail(kb->db, err, "entry");
	}
	mg_db_stmt_put(kb->stmts, st);
	if (rc != MG_OK)
		kb_entry_clear(out);
	return rc;
}

void kb_entry_clear(struct kb_entry *e)
{
	char *fields[] = {e->id, e->slug, e->category, e->route, e->status, e->question, e->answer,
			  e->question_en, e->answer_en, e->answer_easy, e->alt_questions, e->keywords, e->valid_from, e->valid_to,
			  e->url, e->source, e->updated_at};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
		free(fields[i]);
	memset(e, 0, sizeof *e);
}

int kb_entry_live(const struct kb_entry *e, const char *today)
{
	return live_on(!strcmp(e->status, "published"), e->valid_from, e->valid_to, today);
}

/* Copies the columns cols of table from one connection to the other. */
static int copy_table(sqlite3 *from, struct kb *to, const char *table, const char *cols, int ncols, char *err)
{
	char sql[512];
	sqlite3_stmt *sel = NULL, *ins = NULL;
	int rc = MG_OK;
	snprintf(sql, sizeof sql, "SELECT %s FROM %s", cols, table);
	if (sqlite3_prepare_v2(from, sql, -1, &sel, NULL) != SQLITE_OK)
		rc = mg_db_fail(from, err, table);
	size_t at = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES(?", table, cols);
	for (int c = 1; c < ncols && at + 3 < sizeof sql; c++)
		at += (size_t)snprintf(sql + at, sizeof sql - at, ",?");
	snprintf(sql + at, sizeof sql - at, ")");
	if (rc == MG_OK && sqlite3_prepare_v2(to->db, sql, -1, &ins, NULL) != SQLITE_OK)
		rc = mg_db_fail(to->db, err, table);
	int step = SQLITE_DONE;
	while (rc == MG_OK && (step = sqlite3_step(sel)) == SQLITE_ROW) {
		for (int c = 0; c < ncols; c++)
			sqlite3_bind_value(ins, c + 1, sqlite3_column_value(sel, c));
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = mg_db_fail(to->db, err, table);
		sqlite3_reset(ins);
	}
	if (rc == MG_OK && step != SQLITE_DONE)
		rc = mg_db_fail(from, err, table);
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	return rc;
}

int kb_open_copy(struct kb *src, struct nlp_model *model, struct kb **out, char *err)
{
	struct kb *kb = NULL;
	int rc = kb_open(&kb, ":memory:", model, err);
	if (rc != MG_OK) {
		*out = NULL;
		return rc;
	}
	rc = kb_write_begin(kb, err);
	if (rc == MG_OK) {
		/* one snapshot of src: its entries and synonyms of one moment */
		int began = kb_read_begin(src);
		rc = copy_table(src->db, kb, "kb_entries", "id, " KB_ENTRY_COLUMNS, KB_NCOLS + 1, err);
		if (rc == MG_OK)
			rc = copy_table(src->db, kb, "kb_synonyms", "variant, canonical", 2, err);
		kb_read_end(src, began);
		/* the index is built with the copied synonyms, as an import's is */
		if (rc == MG_OK) {
			nlp_synonyms_free(kb->syn_own);
			rc = kb_synonyms_load(kb, &kb->syn_own, err);
		}
		if (rc == MG_OK)
			rc = kb_reindex(kb, err);
		if (rc == MG_OK)
			rc = kb_bump_generation(kb, err);
		rc = kb_write_end(kb, rc, err);
	}
	if (rc != MG_OK) {
		kb_close(kb);
		kb = NULL;
	}
	*out = kb;
	return rc;
}
