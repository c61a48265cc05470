/* Words that mean the same, from JMdict/EDICT (Debian's edict package, CC
 * BY-SA, the Electronic Dictionary Research and Development Group): an
 * English question's words reach the Japanese words they gloss, and
 * Japanese words sharing a gloss are candidate synonyms. The dictionary and
 * the stems of its short glosses are read once per process (at start:
 * kb_gloss_preload), the knowledge base's side of it once per model;
 * kb/search.c adds what they give to a question at a weight. */
#include "kb/kb_int.h"

#include <iconv.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The dictionary: headwords and glosses interned in hash tables (sorting
 * its half million pairs by string cost seconds at every start), each
 * headword with the list of its glosses. */
struct dpair {
	uint32_t gloss;       /* index into glosses */
	uint32_t next;        /* the headword's next pair, or NONE */
};

struct dgloss {
	uint32_t off;         /* into pool */
	uint32_t fanout;      /* how many senses say it ("to do": hundreds): a gloss said of many
			       * words names none of them */
};

struct dhead {
	uint32_t off, first;
};

struct kb_dict {
	char *pool;           /* the file as UTF-8, its strings NUL-terminated in place */
	struct dpair *pairs;
	struct dgloss *glosses;
	struct dhead *heads;
	uint32_t npairs, nglosses, nheads;
	uint32_t *gslot, *hslot;  /* open addressing: index + 1, 0 empty */
	uint32_t hmask, gmask;    /* the tables have mask + 1 slots */
};

#define NONE UINT32_MAX
#define GLOSS_MAX_BYTES 40  /* longer glosses are definitions, not words */
#define BRIDGE_MAX_WORDS 3  /* the English glosses an English question can say whole */

/* A gloss a knowledge-base term has, sorted by gloss. */
struct kpair {
	uint32_t gloss;       /* index into the dictionary's glosses */
	uint32_t term;        /* index into the model's terms */
};

/* A short English gloss of a knowledge-base term, as the index's stems. */
struct bridge {
	uint32_t stems, nstems;  /* stems..: NUL-separated, in kb_gloss.stem_pool */
	uint32_t term, fanout;
	uint32_t next;           /* the next bridge (by index) with the same first stem, or NONE */
};

/* The knowledge base's side of the dictionary, one per model. */
struct kb_gloss {
	const struct kb_dict *d;
	struct kpair *kp;         /* built only when synonyms are asked for */
	size_t nkp;
	atomic_int kp_built;      /* kp is built (read without the lock) */
	struct bridge *br;
	size_t nbr;
	char *stem_pool;
	size_t stem_len;
	uint32_t *first;          /* by the hash of a first stem: the lowest bridge + 1 saying it */
	uint32_t fmask;
};

/* The slot of s[0..len) in the headword (heads) or gloss table: the one
 * holding it, or the empty one where it goes. */
static uint32_t *dict_find(const struct kb_dict *d, int heads, const char *s, size_t len)
{
	uint32_t *slot = heads ? d->hslot : d->gslot;
	uint32_t mask = heads ? d->hmask : d->gmask;
	uint32_t i = mg_hash(s, len) & mask;
	while (slot[i]) {
		const char *k = d->pool + (heads ? d->heads[slot[i] - 1].off : d->glosses[slot[i] - 1].off);
		if (!strncmp(k, s, len) && !k[len])
			break;
		i = (i + 1) & mask;
	}
	return &slot[i];
}

/* Cleans one gloss in place: parenthesised notes out, spaces squeezed,
 * ASCII lower-cased. Returns its length (0: nothing left). */
static size_t gloss_clean(char *s, size_t len)
{
	size_t w = 0;
	int depth = 0, space = 1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '(' || c == '{') {
			depth++;
			continue;
		}
		if ((c == ')' || c == '}') && depth) {
			depth--;
			continue;
		}
		if (depth)
			continue;
		if (c == ' ') {
			if (!space)
				s[w++] = ' ';
			space = 1;
			continue;
		}
		s[w++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		space = 0;
	}
	while (w && s[w - 1] == ' ')
		w--;
	return w;
}

void kb_dict_free(struct kb_dict *d)
{
	if (!d)
		return;
	free(d->pool);
	free(d->pairs);
	free(d->glosses);
	free(d->heads);
	free(d->gslot);
	free(d->hslot);
	free(d);
}

int kb_dict_parse(char *text, size_t len, struct kb_dict **out)
{
	*out = NULL;
	struct kb_dict *d = calloc(1, sizeof *d);
	if (!d) {
		free(text);
		return MG_ERR_NOMEM;
	}
	d->pool = text;
	size_t slashes = 0, lines = 1;
	for (size_t i = 0; i < len; i++)
		slashes += text[i] == '/', lines += text[i] == '\n';
	size_t gcap = 16, hcap = 16;  /* at most half full */
	while (gcap < 2 * slashes)
		gcap *= 2;
	while (hcap < 2 * lines)
		hcap *= 2;
	if (gcap > NONE / 2 || len >= NONE) {
		kb_dict_free(d);
		return MG_ERR_TOO_LONG;
	}
	d->gmask = (uint32_t)gcap - 1;
	d->hmask = (uint32_t)hcap - 1;
	d->pairs = malloc(slashes * sizeof *d->pairs + 1);
	d->glosses = malloc(slashes * sizeof *d->glosses + 1);
	d->heads = malloc(lines * sizeof *d->heads);
	d->gslot = calloc(gcap, sizeof *d->gslot);
	d->hslot = calloc(hcap, sizeof *d->hslot);
	if (!d->pairs || !d->glosses || !d->heads || !d->gslot || !d->hslot) {
		kb_dict_free(d);
		return MG_ERR_NOMEM;
	}
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		char *line = text + i;
		size_t n = e - i;
		i = e + 1;
		char *sp = memchr(line, ' ', n);
		char *slash = memchr(line, '/', n);
		if (!sp || !slash || sp > slash || sp == line || memchr(line, 0, (size_t)(sp - line)))
			continue;
		*sp = 0;
		uint32_t *hs = dict_find(d, 1, line, (size_t)(sp - line));
		if (!*hs) {
			d->heads[d->nheads] = (struct dhead){(uint32_t)(line - text), NONE};
			*hs = ++d->nheads;
		}
		struct dhead *h = &d->heads[*hs - 1];
		char *g = slash + 1, *end = line + n;
		while (g < end) {
			char *ge = memchr(g, '/', (size_t)(end - g));
			if (!ge)
				break;
			size_t gl = gloss_clean(g, (size_t)(ge - g));
			if (gl && gl <= GLOSS_MAX_BYTES && strncmp(g, "entl", 4) && !memchr(g, 0, gl)) {
				g[gl] = 0;
				uint32_t *gs = dict_find(d, 0, g, gl);
				if (!*gs) {
					d->glosses[d->nglosses] = (struct dgloss){(uint32_t)(g - text), 0};
					*gs = ++d->nglosses;
				}
				d->glosses[*gs - 1].fanout++;
				d->pairs[d->npairs] = (struct dpair){*gs - 1, h->first};
				h->first = d->npairs++;
			}
			g = ge + 1;
		}
	}
	*out = d;
	return MG_OK;
}

int kb_dict_read(const char *path, struct kb_dict **out)
{
	*out = NULL;
	char *raw = NULL;
	size_t raw_len = 0;
	int rc = mg_read_file(path, KB_EDICT_MAX_BYTES, &raw, &raw_len, NULL);
	if (rc != MG_OK)
		return rc;
	iconv_t cd = iconv_open("UTF-8", "EUC-JP");
	size_t cap = raw_len * 3 / 2 + 16;  /* EUC-JP's 2 bytes are UTF-8's 3 */
	char *utf = cd != (iconv_t)-1 ? malloc(cap) : NULL;
	rc = MG_ERR_NOMEM;
	if (utf) {
		char *in = raw, *o = utf;
		size_t in_left = raw_len, out_left = cap - 1;
		while (in_left && iconv(cd, &in, &in_left, &o, &out_left) == (size_t)-1 && out_left)
			in++, in_left--;  /* a byte EUC-JP does not know: skipped */
		*o = 0;
		rc = kb_dict_parse(utf, (size_t)(o - utf), out);
	}
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	free(raw);
	return rc;
}

/* The dictionary of the process, read once (kb_gloss_preload at start, or
 * the first search that needs it); NULL when the file is missing or
 * unreadable (the engine then works without it). */
static pthread_mutex_t dict_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kb_dict *dict;
static int dict_tried;

static const struct kb_dict *dict_get(void)
{
	pthread_mutex_lock(&dict_lock);
	if (!dict_tried) {
		dict_tried = 1;
		if (kb_dict_read(KB_EDICT_PATH, &dict) != MG_OK)
			dict = NULL;
	}
	pthread_mutex_unlock(&dict_lock);
	return dict;
}

int kb_gloss_content_word(const char *s, int len)
{
	if (len < 3 || (unsigned char)s[0] < 0x80)
		return 0;
	/* the last character: hiragana is U+3041..U+309F, E3 81 81..E3 82 9F */
	const unsigned char *t = (const unsigned char *)s + len - 3;
	int hira = t[0] == 0xe3 && (t[1] == 0x81 || (t[1] == 0x82 && t[2] <= 0x9f));
	return !hira;
}

static int cmp_kp(const void *a, const void *b)
{
	const struct kpair *x = a, *y = b;
	if (x->gloss != y->gloss)
		return x->gloss < y->gloss ? -1 : 1;
	return (x->term > y->term) - (x->term < y->term);
}

/* The stems of the dictionary's short glosses, analysed once per process
 * (a model's side copies them): a gloss's stems do not depend on the
 * knowledge base. Guarded by build_lock. */
static struct {
	uint32_t *off;            /* per gloss: into pool, or NONE when not analysed yet */
	uint8_t *n;               /* per gloss: its stems (0: none) */
	char *pool;
	size_t len, cap;
} stems;

static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

struct stem_ctx {
	int n, rc;
};

static int stem_add(void *ctx, enum nlp_kind kind, const char *tok, int len)
{
	struct stem_ctx *c = ctx;
	if (kind != NLP_TERM || len <= 0 || (unsigned char)tok[0] >= 0x80)
		return 0;
	if (kb_grow((void **)&stems.pool, &stems.cap, stems.len + (size_t)len + 1, 1))
		return c->rc = MG_ERR_NOMEM;
	memcpy(stems.pool + stems.len, tok, (size_t)len);
	stems.len += (size_t)len;
	stems.pool[stems.len++] = 0;
	c->n++;
	return 0;
}

/* The stems of gloss gi (*n of them at *at, NUL-separated), analysed at
 * its first use. */
static int gloss_stems(struct kb *kb, const struct kb_dict *d, uint32_t gi, const char **at, int *n)
{
	if (!stems.off) {
		stems.off = malloc((d->nglosses + 1) * sizeof *stems.off);
		stems.n = calloc(d->nglosses + 1, 1);
		if (!stems.off || !stems.n) {
			free(stems.off);
			free(stems.n);
			stems.off = NULL;
			stems.n = NULL;
			return MG_ERR_NOMEM;
		}
		memset(stems.off, 0xff, (d->nglosses + 1) * sizeof *stems.off);
	}
	if (stems.off[gi] == NONE) {
		const char *gl = d->pool + d->glosses[gi].off;
		size_t start = stems.len;
		struct stem_ctx sc = {0, MG_OK};
		int arc = nlp_analyse(kb->an, NULL, gl, strlen(gl), stem_add, &sc, NULL);
		if (sc.rc != MG_OK) {
			stems.len = start;
			return sc.rc;
		}
		if (arc != MG_OK || sc.n > UINT8_MAX) {
			stems.len = start;
			sc.n = 0;
		}
		stems.off[gi] = (uint32_t)start;
		stems.n[gi] = (uint8_t)sc.n;
	}
	*at = stems.pool + stems.off[gi];
	*n = stems.n[gi];
	return MG_OK;
}

void kb_gloss_free(struct kb_gloss *g)
{
	if (!g)
		return;
	free(g->kp);
	free(g->br);
	free(g->stem_pool);
	free(g->first);
	free(g);
}

/* The slot of the bridges whose first stem is s[0..len). */
static uint32_t *first_slot(const struct kb_gloss *g, const char *s, size_t len)
{
	uint32_t i = mg_hash(s, len) & g->fmask;
	while (g->first[i]) {
		const char *k = g->stem_pool + g->br[g->first[i] - 1].stems;
		if (!strncmp(k, s, len) && !k[len])
			break;
		i = (i + 1) & g->fmask;
	}
	return &g->first[i];
}

/* The first of the dictionary's pairs (headword, gloss) of the model's term
 * t, or NONE when it is not a content word or not a headword. */
static uint32_t term_pairs(const struct kb_model *m, const struct kb_dict *d, size_t t)
{
	const char *s = m->term_text + m->terms[t].off;
	int len = m->terms[t].len;
	if (!kb_gloss_content_word(s, len))
		return NONE;
	uint32_t *hs = dict_find(d, 1, s, (size_t)len);
	return *hs ? d->heads[*hs - 1].first : NONE;
}

/* The knowledge base's side: every content word of the model with its
 * short English glosses as stems, indexed by their first stem. */
static int bridges_build(struct kb *kb, const struct kb_model *m, struct kb_gloss *g)
{
	const struct kb_dict *d = g->d;
	size_t brcap = 0, stemcap = 0;
	for (size_t t = 0; t < m->nterms; t++) {
		for (uint32_t k = term_pairs(m, d, t); k != NONE; k = d->pairs[k].next) {
			const struct dgloss *dg = &d->glosses[d->pairs[k].gloss];
			int words = 1;
			for (const char *p = d->pool + dg->off; *p; p++)
				words += *p == ' ';
			if (words > BRIDGE_MAX_WORDS)
				continue;
			const char *at;
			int n;
			int rc = gloss_stems(kb, d, d->pairs[k].gloss, &at, &n);
			if (rc != MG_OK)
				return rc;
			if (!n)
				continue;
			size_t bytes = 0;
			for (int j = 0; j < n; j++)
				bytes += strlen(at + bytes) + 1;
			if (kb_grow((void **)&g->br, &brcap, g->nbr + 1, sizeof *g->br) ||
			    kb_grow((void **)&g->stem_pool, &stemcap, g->stem_len + bytes, 1))
				return MG_ERR_NOMEM;
			memcpy(g->stem_pool + g->stem_len, at, bytes);
			g->br[g->nbr++] = (struct bridge){(uint32_t)g->stem_len, (uint32_t)n, (uint32_t)t,
							  dg->fanout, NONE};
			g->stem_len += bytes;
		}
	}
	size_t cap = 16;  /* at most half full */
	while (cap < 2 * g->nbr)
		cap *= 2;
	g->fmask = (uint32_t)cap - 1;
	g->first = calloc(cap, sizeof *g->first);
	if (!g->first)
		return MG_ERR_NOMEM;
	/* from the last, so each chain runs in the bridges' order */
	for (size_t k = g->nbr; k-- > 0;) {
		const char *s = g->stem_pool + g->br[k].stems;
		uint32_t *slot = first_slot(g, s, strlen(s));
		g->br[k].next = *slot ? *slot - 1 : NONE;
		*slot = (uint32_t)k + 1;
	}
	return MG_OK;
}

/* Every content word of the model with its glosses, sorted by gloss: what
 * synonyms by shared gloss read. */
static int kp_build(const struct kb_model *m, struct kb_gloss *g)
{
	const struct kb_dict *d = g->d;
	size_t cap = 0;
	for (size_t t = 0; t < m->nterms; t++) {
		for (uint32_t k = term_pairs(m, d, t); k != NONE; k = d->pairs[k].next) {
			if (kb_grow((void **)&g->kp, &cap, g->nkp + 1, sizeof *g->kp))
				return MG_ERR_NOMEM;
			g->kp[g->nkp++] = (struct kpair){d->pairs[k].gloss, (uint32_t)t};
		}
	}
	qsort(g->kp, g->nkp, sizeof *g->kp, cmp_kp);
	return MG_OK;
}

const struct kb_gloss *kb_gloss_of(struct kb *kb, struct kb_model *m, int synonyms)
{
	const struct kb_dict *d = dict_get();
	if (!d)
		return NULL;
	/* Built once per model, at start (kb_gloss_preload): every question
	 * after that reads it without the lock. */
	if (atomic_load_explicit(&m->gloss_built, memory_order_acquire)) {
		struct kb_gloss *g = m->gloss;
		if (!g || !synonyms || atomic_load_explicit(&g->kp_built, memory_order_acquire))
			return g;
	}
	pthread_mutex_lock(&build_lock);
	if (!m->gloss_built) {
		struct kb_gloss *g = calloc(1, sizeof *g);
		if (g) {
			g->d = d;
			if (bridges_build(kb, m, g) != MG_OK) {
				kb_gloss_free(g);
				g = NULL;  /* without memory: the engine works without it */
			}
		}
		m->gloss = g;
		atomic_store_explicit(&m->gloss_built, 1, memory_order_release);
	}
	struct kb_gloss *g = m->gloss;
	if (g && synonyms && !g->kp_built) {
		if (kp_build(m, g) != MG_OK) {
			free(g->kp);
			g->kp = NULL;
			g->nkp = 0;
		}
		atomic_store_explicit(&g->kp_built, 1, memory_order_release);
	}
	pthread_mutex_unlock(&build_lock);
	return g;
}

int kb_gloss_preload(struct kb *kb, const struct kb_weights *w, char *err)
{
	if (w->bridge <= 0 && w->synonym <= 0)
		return MG_OK;
	int rc = kb_sync(kb, err);
	if (rc == MG_OK)
		kb_gloss_of(kb, kb->model, w->synonym > 0);
	return rc;
}

int kb_gloss_synonyms(const struct kb_model *m, const struct kb_gloss *g, const char *word, int len,
		      int max_fanout, kb_gloss_fn fn, void *ctx)
{
	if (!g || !g->kp_built || !kb_gloss_content_word(word, len))
		return 0;
	const struct kb_dict *d = g->d;
	uint32_t *hs = dict_find(d, 1, word, (size_t)len);
	for (uint32_t k = *hs ? d->heads[*hs - 1].first : NONE; k != NONE; k = d->pairs[k].next) {
		uint32_t gi = d->pairs[k].gloss;
		if ((int)d->glosses[gi].fanout > max_fanout)
			continue;
		size_t a = 0, b = g->nkp;
		while (a < b) {
			size_t mid = (a + b) / 2;
			if (g->kp[mid].gloss < gi)
				a = mid + 1;
			else
				b = mid;
		}
		for (; a < g->nkp && g->kp[a].gloss == gi; a++) {
			const struct kb_mterm *t = &m->terms[g->kp[a].term];
			if (t->len == len && !memcmp(m->term_text + t->off, word, (size_t)len))
				continue;
			int rc = fn(ctx, m->term_text + t->off, t->len, -1);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* A bridge whose stems the question all says, with the question's stem
 * its first stem is. */
struct bridge_hit {
	uint32_t bridge;
	int first;
};

static int cmp_hit(const void *a, const void *b)
{
	const struct bridge_hit *x = a, *y = b;
	return (x->bridge > y->bridge) - (x->bridge < y->bridge);
}

int kb_gloss_bridge(const struct kb_model *m, const struct kb_gloss *g, const char *const *stem,
		    const int *stem_len, int nstems, int max_fanout, kb_gloss_fn fn, void *ctx)
{
	if (!g || !g->nbr)
		return 0;
	struct bridge_hit *hit = NULL;
	size_t nhit = 0, cap = 0;
	int rc = 0;
	for (int i = 0; i < nstems && !rc; i++) {
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = stem_len[j] == stem_len[i] && !memcmp(stem[j], stem[i], (size_t)stem_len[i]);
		if (seen)  /* the bridges of a stem said twice are its first saying's */
			continue;
		for (uint32_t k = *first_slot(g, stem[i], (size_t)stem_len[i]); k;) {
			const struct bridge *b = &g->br[k - 1];
			uint32_t at = k - 1;
			k = b->next == NONE ? 0 : b->next + 1;
			if ((int)b->fanout > max_fanout)
				continue;
			const char *s = g->stem_pool + b->stems;
			s += strlen(s) + 1;
			int all = 1;
			for (uint32_t j = 1; j < b->nstems && all; j++) {
				size_t sl = strlen(s);
				all = 0;
				for (int q = 0; q < nstems && !all; q++)
					all = (size_t)stem_len[q] == sl && !memcmp(stem[q], s, sl);
				s += sl + 1;
			}
			if (!all)
				continue;
			if (kb_grow((void **)&hit, &cap, nhit + 1, sizeof *hit)) {
				rc = MG_ERR_NOMEM;
				break;
			}
			hit[nhit++] = (struct bridge_hit){at, i};
		}
	}
	/* in the bridges' order: the caller keeps the first few */
	if (nhit > 1)
		qsort(hit, nhit, sizeof *hit, cmp_hit);
	for (size_t h = 0; h < nhit && !rc; h++) {
		const struct kb_mterm *t = &m->terms[g->br[hit[h].bridge].term];
		rc = fn(ctx, m->term_text + t->off, t->len, hit[h].first);
	}
	free(hit);
	return rc;
}
