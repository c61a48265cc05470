/* The in-memory model of the index, loaded once per knowledge-base
 * generation from FTS5's own tables: each term's entry frequencies, and per
 * entry that holds it the occurrences in phrasings and answers and which
 * phrasings hold it. The second stage of a search reads only this, so it
 * costs no SQL beyond the first stage's one query. The generation's synonym
 * list is read with it and shared with it, so that a connection taking the
 * model analyses questions without reading the list itself. */
#include "kb/kb_int.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void model_free(struct kb_model *m)
{
	if (!m)
		return;
	free(m->path);
	free(m->terms);
	free(m->term_text);
	free(m->posts);
	free(m->phrasings);
	free(m->ents);
	free(m->shapes);
	free(m->slot_of);
	free(m->fts_k1norm);
	free(m->term_slot);
	nlp_synonyms_free(m->syn);
	kb_gloss_free(m->gloss);
	free(m);
}

int kb_grow(void **p, size_t *cap, size_t need, size_t size)
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

/* The entries and their phrasings' shapes, from the index rows. */
static int load_entries(struct kb *kb, struct kb_model *m, char *err)
{
	sqlite3_stmt *q = NULL;
	size_t ents_cap = 0, shapes_cap = 0;
	int64_t max_rowid = 0;
	int rc = MG_OK;
	if (sqlite3_prepare_v2(kb->db, "SELECT f.rowid, f.shape, e.ext_id, e.slug, e.route, e.status='published', "
			       "e.valid_from, e.valid_to FROM kb_fts f LEFT JOIN kb_entries e ON e.id=f.rowid "
			       "ORDER BY f.rowid", -1, &q, NULL) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "index rows");
	int step;
	while (rc == MG_OK && (step = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t rowid = sqlite3_column_int64(q, 0);
		const struct kb_shape *sh = sqlite3_column_blob(q, 1);
		size_t nsh = (size_t)sqlite3_column_bytes(q, 1) / sizeof *sh;
		if (kb_grow((void **)&m->ents, &ents_cap, (size_t)m->nents + 1, sizeof *m->ents) ||
		    kb_grow((void **)&m->shapes, &shapes_cap, m->nshapes + nsh, sizeof *m->shapes)) {
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
			break;
		}
		struct kb_ment *e = &m->ents[m->nents++];
		*e = (struct kb_ment){.rowid = rowid, .shape = (uint32_t)m->nshapes, .nshape = (uint32_t)nsh,
				      .published = sqlite3_column_int(q, 5)};
		struct { char *to; size_t cap; } meta[] = {{e->id, sizeof e->id}, {e->slug, sizeof e->slug},
			{e->route, sizeof e->route}, {e->valid_from, sizeof e->valid_from}, {e->valid_to, sizeof e->valid_to}};
		static const int col[] = {2, 3, 4, 6, 7};
		for (size_t i = 0; i < sizeof meta / sizeof *meta; i++) {
			const char *v = (const char *)sqlite3_column_text(q, col[i]);
			snprintf(meta[i].to, meta[i].cap, "%s", v ? v : "");
		}
		if (nsh)
			memcpy(m->shapes + m->nshapes, sh, nsh * sizeof *sh);
		m->nshapes += nsh;
		for (size_t i = 0; i < nsh; i++)
			e->len_q += sh[i].ntokens;
		m->total_q += e->len_q;
		if ((int)nsh > m->max_shapes)
			m->max_shapes = (int)nsh;
		max_rowid = rowid;
	}
	if (rc == MG_OK && step != SQLITE_DONE)
		rc = mg_db_fail(kb->db, err, "index rows");
	sqlite3_finalize(q);
	if (rc != MG_OK)
		return rc;
	m->nslot_of = max_rowid + 1;
	m->slot_of = malloc((size_t)m->nslot_of * sizeof *m->slot_of);
	if (!m->slot_of)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	for (int64_t i = 0; i < m->nslot_of; i++)
		m->slot_of[i] = -1;
	for (int32_t s = 0; s < m->nents; s++)
		if (m->ents[s].rowid > 0)
			m->slot_of[m->ents[s].rowid] = s;
	return MG_OK;
}

/* The phrasing of entry e that holds token position off. */
static uint16_t phrasing_at(const struct kb_model *m, const struct kb_ment *e, int64_t off)
{
	int64_t end = 0;
	for (uint32_t i = 0; i < e->nshape; i++) {
		end += m->shapes[e->shape + i].ntokens;
		if (off < end)
			return (uint16_t)i;
	}
	return (uint16_t)(e->nshape ? e->nshape - 1 : 0);
}

/* How much a word's idf falls when its entries are counted over the answers
 * too (idf over every field / idf over the phrasings), for the knowledge
 * base's usual word: the mean over its words, each weighed by the entries
 * that say it. 0.81 on the shipped base, whose entries' thirty phrasings say
 * more than their answers; 0.56 on it without alternates and keywords, whose
 * one question says less. A word of the domain falls far below it
 * (kb/search.c). */
static double usual_spread(const struct kb_model *m)
{
	double n = m->nents, sum = 0, weight = 0;
	for (size_t i = 0; i < m->nterms; i++) {
		const struct kb_mterm *t = &m->terms[i];
		char c = m->term_text[t->off];
		if (c == NLP_READING_PREFIX || c == NLP_GRAM_PREFIX || !t->npost)
			continue;
		double idf_q = log(1.0 + (n - t->df_q + 0.5) / (t->df_q + 0.5));
		double idf_u = log(1.0 + (n - t->npost + 0.5) / (t->npost + 0.5));
		if (idf_q <= 0)
			continue;
		sum += t->npost * fmax(0, idf_u) / idf_q;
		weight += t->npost;
	}
	return weight > 0 ? sum / weight : 1;
}

/* Model reads this process has begun, shared or not (kb_model_loads). */
static atomic_long loads_started;

long kb_model_loads(void)
{
	return atomic_load(&loads_started);
}

/* kb_model_waits_served's count. */
static atomic_long served_waits;

long kb_model_waits_served(void)
{
	return atomic_load(&served_waits);
}

/* The terms by their text's hash (open addressing, at most half full), for
 * kb_model_term: a question's 18 or so lookups were 11 K instructions of an
 * ask by binary search over the terms (memcmp at each step). A question can
 * only look up, never fill a slot; the terms are the entries' words, which
 * staff write (a whole FAQ imported from a file), so the hash is keyed per
 * model (nlp/hash.h): a file of words made to share one run of slots cannot
 * turn every lookup into a walk of them. 4 bytes a slot. */
static int terms_index(struct kb_model *m)
{
	size_t cap = 16;
	while (cap < 2 * m->nterms)
		cap *= 2;
	if (mg_hash_key_new(&m->term_key) != MG_OK)
		return MG_ERR_INTERNAL;
	m->term_slot = calloc(cap, sizeof *m->term_slot);
	if (!m->term_slot)
		return MG_ERR_NOMEM;
	m->term_mask = cap - 1;
	for (size_t i = 0; i < m->nterms; i++) {
		const struct kb_mterm *t = &m->terms[i];
		size_t h = mg_hash_keyed(&m->term_key, m->term_text + t->off, (size_t)t->len) & m->term_mask;
		while (m->term_slot[h])
			h = (h + 1) & m->term_mask;
		m->term_slot[h] = (uint32_t)i + 1;
	}
	return MG_OK;
}

static int model_load(struct kb *kb, struct kb_model **out, char *err)
{
	*out = NULL;
	atomic_fetch_add(&loads_started, 1);
	struct kb_model *m = calloc(1, sizeof *m);
	if (!m)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	int rc = kb_synonyms_load(kb, &m->syn, err);
	if (rc == MG_OK)
		rc = load_entries(kb, m, err);
	size_t terms_cap = 0, text_cap = 0, posts_cap = 0, phr_cap = 0, text_len = 0;
	sqlite3_stmt *q = NULL;
	/* fts5vocab 'instance' lists every occurrence ordered by term, entry,
	 * column and position: postings are built in one pass. */
	if (rc == MG_OK && sqlite3_prepare_v2(kb->db, "SELECT term, doc, col, offset FROM kb_vocab_i", -1, &q,
					      NULL) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "vocabulary");
	struct kb_mterm *t = NULL;
	struct kb_post *p = NULL;
	int step = SQLITE_DONE;
	while (rc == MG_OK && (step = sqlite3_step(q)) == SQLITE_ROW) {
		const char *term = (const char *)sqlite3_column_text(q, 0);
		int len = sqlite3_column_bytes(q, 0);
		int64_t doc = sqlite3_column_int64(q, 1);
		const char *col = (const char *)sqlite3_column_text(q, 2);
		int64_t off = sqlite3_column_int64(q, 3);
		if (doc <= 0 || doc >= m->nslot_of || m->slot_of[doc] < 0 || !term || !col)
			continue;
		int32_t ent = m->slot_of[doc];
		if (!t || t->len != len || memcmp(m->term_text + t->off, term, (size_t)len)) {
			if (kb_grow((void **)&m->terms, &terms_cap, m->nterms + 1, sizeof *m->terms) ||
			    kb_grow((void **)&m->term_text, &text_cap, text_len + (size_t)len, 1)) {
				rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
				break;
			}
			memcpy(m->term_text + text_len, term, (size_t)len);
			t = &m->terms[m->nterms++];
			*t = (struct kb_mterm){.off = text_len, .len = len, .post = (uint32_t)m->nposts};
			text_len += (size_t)len;
			p = NULL;
		}
		if (!p || p->ent != ent) {
			if (kb_grow((void **)&m->posts, &posts_cap, m->nposts + 1, sizeof *m->posts)) {
				rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
				break;
			}
			p = &m->posts[m->nposts++];
			*p = (struct kb_post){.ent = ent, .phr = (uint32_t)m->nphrasings};
			t->npost++;
		}
		if (col[0] == 'q') {
			if (!p->tf_q)
				t->df_q++;
			if (p->tf_q < UINT16_MAX)
				p->tf_q++;
			t->cf_q++;
			uint16_t ph = phrasing_at(m, &m->ents[ent], off);
			if (!p->nphr || m->phrasings[p->phr + p->nphr - 1] != ph) {
				if (kb_grow((void **)&m->phrasings, &phr_cap, m->nphrasings + 1, sizeof *m->phrasings)) {
					rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
					break;
				}
				m->phrasings[m->nphrasings++] = ph;
				p->nphr++;
			}
		} else {
			if (!p->tf_a)
				t->df_a++;
			if (p->tf_a < UINT16_MAX)
				p->tf_a++;
			m->ents[ent].len_a++;
		}
	}
	if (rc == MG_OK && step != SQLITE_DONE)
		rc = mg_db_fail(kb->db, err, "vocabulary");
	sqlite3_finalize(q);
	if (rc != MG_OK) {
		model_free(m);
		return rc;
	}
	for (int32_t s = 0; s < m->nents; s++)
		m->total_a += m->ents[s].len_a;
	m->avg_q = m->nents ? (double)m->total_q / m->nents : 1;
	m->avg_a = m->nents ? (double)m->total_a / m->nents : 1;
	m->usual_spread = usual_spread(m);
	/* FTS5's length normalisation of each entry's row, times k1, as the
	 * first stage's bm25 reads it at every posting of every question
	 * (first_stage_model in kb/search.c): the same expression, once per entry. */
	m->fts_k1norm = malloc(((size_t)m->nents + 1) * sizeof *m->fts_k1norm);
	if (!m->fts_k1norm) {
		model_free(m);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	double avgdl = m->nents ? (double)(m->total_q + m->total_a) / m->nents : 1;
	for (int32_t s = 0; s < m->nents; s++) {
		const struct kb_ment *e = &m->ents[s];
		m->fts_k1norm[s] = KB_FTS_K1 * (1 - KB_FTS_B + KB_FTS_B * (double)(e->len_q + e->len_a) / avgdl);
	}
	rc = terms_index(m);
	if (rc != MG_OK) {
		model_free(m);
		return mg_fail(err, rc, rc == MG_ERR_NOMEM ? "out of memory" : "no randomness for the model's term table");
	}
	*out = m;
	return MG_OK;
}

/* Every connection of a process to one database (kb_meta's instance, not
 * its path) shares the model of a generation: the server's worker threads hold one copy, and one load. The
 * cache holds no reference of its own: the last kb_model_put frees it.
 * The lock is held only to look the list up and link a model in, never
 * during a load (0.9-1.4 s for 2,600 entries): a load in progress is a
 * struct load on its loader's stack, and only callers that want to wait for
 * it (kb_model_get) wait, on cache_loaded; kb_model_ready never does. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cache_loaded = PTHREAD_COND_INITIALIZER;
static struct kb_model *cache;
struct load {
	const char *path;
	int64_t generation;
	struct load *next;
};
static struct load *loads;

/* kb_meta's instance of kb's database into path (empty when unread). */
static void instance_of(struct kb *kb, char path[64])
{
	sqlite3_stmt *st = NULL;
	path[0] = 0;
	if (sqlite3_prepare_v2(kb->db, "SELECT value FROM kb_meta WHERE key='instance'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(path, 64, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* The cached model of (path, generation) with a new reference, or NULL;
 * under cache_lock. */
static struct kb_model *cache_find(const char *path, int64_t generation)
{
	for (struct kb_model *m = cache; m; m = m->next)
		if (m->generation == generation && !strcmp(m->path, path)) {
			m->refs++;
			return m;
		}
	return NULL;
}

static int loading(const char *path, int64_t generation)
{
	for (struct load *l = loads; l; l = l->next)
		if (l->generation == generation && !strcmp(l->path, path))
			return 1;
	return 0;
}

int kb_model_get(struct kb *kb, int64_t generation, struct kb_model **out, char *err)
{
	*out = NULL;
	char path[64];
	instance_of(kb, path);
	/* Inside a write transaction the connection sees what nobody else does
	 * (plain mode's stripped entries, an import about to fail): its model
	 * stays its own, and a rolled-back generation number never names it. */
	if (!kb_model_shareable(kb)) {
		int rc = model_load(kb, out, err);
		if (rc == MG_OK)
			(*out)->refs = 1;
		return rc;
	}
	pthread_mutex_lock(&cache_lock);
	/* Threads that want the generation another is loading wait for that
	 * load instead of each making its own. */
	int waited = 0;
	while (!(*out = cache_find(path, generation)) && loading(path, generation)) {
		waited = 1;
		pthread_cond_wait(&cache_loaded, &cache_lock);
	}
	if (kb->loader && (waited || !*out))
		atomic_fetch_add(&served_waits, 1);
	if (*out) {
		pthread_mutex_unlock(&cache_lock);
		return MG_OK;
	}
	struct load me = {path, generation, loads};
	loads = &me;
	pthread_mutex_unlock(&cache_lock);

	struct kb_model *m = NULL;
	int rc = model_load(kb, &m, err);
	if (rc == MG_OK && !(m->path = strdup(path))) {
		model_free(m);
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_lock(&cache_lock);
	for (struct load **l = &loads; *l; l = &(*l)->next)
		if (*l == &me) {
			*l = me.next;
			break;
		}
	if (rc == MG_OK) {
		m->generation = generation;
		m->refs = 1;
		m->cached = 1;
		m->next = cache;
		cache = m;
		*out = m;
	}
	pthread_cond_broadcast(&cache_loaded);
	pthread_mutex_unlock(&cache_lock);
	return rc;
}

int kb_model_shareable(struct kb *kb)
{
	char path[64];
	instance_of(kb, path);
	return *path && sqlite3_txn_state(kb->db, "main") != SQLITE_TXN_WRITE;
}

/* The model of kb's file of generation or, with older, the newest of
 * generation at most that, with a new reference; NULL at once when the
 * cache has none. */
static struct kb_model *cache_take(struct kb *kb, int64_t generation, int older)
{
	char path[64];
	instance_of(kb, path);
	if (!*path)
		return NULL;
	pthread_mutex_lock(&cache_lock);
	struct kb_model *best = NULL;
	for (struct kb_model *m = cache; m; m = m->next)
		if ((m->generation == generation || (older && m->generation < generation)) && !strcmp(m->path, path) &&
		    (!best || m->generation > best->generation))
			best = m;
	if (best)
		best->refs++;
	pthread_mutex_unlock(&cache_lock);
	return best;
}

struct kb_model *kb_model_ready(struct kb *kb, int64_t generation)
{
	return cache_take(kb, generation, 0);
}

struct kb_model *kb_model_newest(struct kb *kb, int64_t generation)
{
	return cache_take(kb, generation, 1);
}

int kb_models_cached(void)
{
	int n = 0;
	pthread_mutex_lock(&cache_lock);
	for (struct kb_model *m = cache; m; m = m->next)
		n++;
	pthread_mutex_unlock(&cache_lock);
	return n;
}

void kb_model_put(struct kb_model *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&cache_lock);
	int last = --m->refs == 0;
	if (last && m->cached) {
		struct kb_model **p = &cache;
		while (*p && *p != m)
			p = &(*p)->next;
		if (*p)
			*p = m->next;
	}
	pthread_mutex_unlock(&cache_lock);
	if (last)
		model_free(m);
}

const struct kb_mterm *kb_model_term(const struct kb_model *m, const char *term, int len)
{
	if (len < 0)
		return NULL;
	for (size_t h = mg_hash_keyed(&m->term_key, term, (size_t)len) & m->term_mask; m->term_slot[h];
	     h = (h + 1) & m->term_mask) {
		const struct kb_mterm *t = &m->terms[m->term_slot[h] - 1];
		if (t->len == len && !memcmp(m->term_text + t->off, term, (size_t)len))
			return t;
	}
	return NULL;
}

const struct kb_post *kb_model_post(const struct kb_model *m, const struct kb_mterm *t, int32_t ent)
{
	/* Postings are in entry order: the instance table lists entries by rowid. */
	size_t lo = t->post, hi = (size_t)t->post + t->npost;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->posts[mid].ent == ent)
			return &m->posts[mid];
		if (m->posts[mid].ent < ent)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
