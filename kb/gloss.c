/* Words that mean the same, from JMdict/EDICT (Debian's edict package, CC
 * BY-SA, the Electronic Dictionary Research and Development Group): an
 * English question's words reach the Japanese words they gloss, and
 * Japanese words sharing a gloss are candidate synonyms. The dictionary is
 * read once per process, the knowledge base's side of it once per model;
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
};

struct kb_gloss {
	const struct kb_dict *d;
	struct kpair *kp;
	size_t nkp;
	struct bridge *br;
	size_t nbr;
	char *stem_pool;
	size_t stem_len;
};

static uint32_t hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;  /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The slot of s[0..len) in the headword (heads) or gloss table: the one
 * holding it, or the empty one where it goes. */
static uint32_t *dict_find(const struct kb_dict *d, int heads, const char *s, size_t len)
{
	uint32_t *slot = heads ? d->hslot : d->gslot;
	uint32_t mask = heads ? d->hmask : d->gmask;
	uint32_t i = hash(s, len) & mask;
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

/* The dictionary of the process, read at first use; NULL when the file is
 * missing or unreadable (the engine then works without it). */
static pthread_mutex_t dict_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kb_dict *dict;
static int dict_tried;

static const struct kb_dict *dict_get(void)
{
	pthread_mutex_lock(&dict_lock);
	if (!dict_tried) {
		dict_tried = 1;
		char *raw = NULL;
		size_t raw_len = 0;
		if (mg_read_file(KB_EDICT_PATH, KB_EDICT_MAX_BYTES, &raw, &raw_len, NULL) == MG_OK) {
			iconv_t cd = iconv_open("UTF-8", "EUC-JP");
			size_t cap = raw_len * 3 / 2 + 16;  /* EUC-JP's 2 bytes are UTF-8's 3 */
			char *utf = cd != (iconv_t)-1 ? malloc(cap) : NULL;
			if (utf) {
				char *in = raw, *o = utf;
				size_t in_left = raw_len, out_left = cap - 1;
				while (in_left && iconv(cd, &in, &in_left, &o, &out_left) == (size_t)-1 &&
				       out_left)
					in++, in_left--;  /* a byte EUC-JP does not know: skipped */
				*o = 0;
				struct kb_dict *d = NULL;
				if (kb_dict_parse(utf, (size_t)(o - utf), &d) == MG_OK)
					dict = d;
			}
			if (cd != (iconv_t)-1)
				iconv_close(cd);
		}
		free(raw);
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

struct stem_ctx {
	struct kb_gloss *g;
	size_t cap;
	int n, rc;
};

static int stem_add(void *ctx, enum nlp_kind kind, const char *tok, int len)
{
	struct stem_ctx *c = ctx;
	if (kind != NLP_TERM || len <= 0 || (unsigned char)tok[0] >= 0x80)
		return 0;
	if (kb_grow((void **)&c->g->stem_pool, &c->cap, c->g->stem_len + (size_t)len + 1, 1))
		return c->rc = MG_ERR_NOMEM;
	memcpy(c->g->stem_pool + c->g->stem_len, tok, (size_t)len);
	c->g->stem_len += (size_t)len;
	c->g->stem_pool[c->g->stem_len++] = 0;
	c->n++;
	return 0;
}

void kb_gloss_free(struct kb_gloss *g)
{
	if (!g)
		return;
	free(g->kp);
	free(g->br);
	free(g->stem_pool);
	free(g);
}

/* The knowledge base's side: every content word of the model with its
 * glosses, sorted by gloss, and its short English glosses as stems. */
static int gloss_build(struct kb *kb, const struct kb_model *m, struct kb_gloss **out)
{
	*out = NULL;
	const struct kb_dict *d = dict_get();
	if (!d)
		return MG_OK;
	struct kb_gloss *g = calloc(1, sizeof *g);
	if (!g)
		return MG_ERR_NOMEM;
	g->d = d;
	size_t cap = 0, brcap = 0, stemcap = 0;
	int rc = MG_OK;
	for (size_t t = 0; t < m->nterms && rc == MG_OK; t++) {
		const char *s = m->term_text + m->terms[t].off;
		int len = m->terms[t].len;
		if (!kb_gloss_content_word(s, len))
			continue;
		uint32_t *hs = dict_find(d, 1, s, (size_t)len);
		for (uint32_t k = *hs ? d->heads[*hs - 1].first : NONE; k != NONE && rc == MG_OK;
		     k = d->pairs[k].next) {
			const struct dgloss *dg = &d->glosses[d->pairs[k].gloss];
			if (kb_grow((void **)&g->kp, &cap, g->nkp + 1, sizeof *g->kp)) {
				rc = MG_ERR_NOMEM;
				break;
			}
			g->kp[g->nkp++] = (struct kpair){d->pairs[k].gloss, (uint32_t)t};
			const char *gl = d->pool + dg->off;
			int words = 1;
			for (const char *p = gl; *p; p++)
				words += *p == ' ';
			if (words > BRIDGE_MAX_WORDS)
				continue;
			if (kb_grow((void **)&g->br, &brcap, g->nbr + 1, sizeof *g->br)) {
				rc = MG_ERR_NOMEM;
				break;
			}
			struct stem_ctx sc = {g, stemcap, 0, MG_OK};
			size_t start = g->stem_len;
			int arc = nlp_analyse(kb->an, NULL, gl, strlen(gl), stem_add, &sc, NULL);
			stemcap = sc.cap;
			if (sc.rc != MG_OK) {
				rc = sc.rc;
				break;
			}
			if (arc == MG_OK && sc.n > 0)
				g->br[g->nbr++] = (struct bridge){(uint32_t)start, (uint32_t)sc.n, (uint32_t)t,
								  dg->fanout};
			else
				g->stem_len = start;
		}
	}
	if (rc != MG_OK) {
		kb_gloss_free(g);
		return rc;
	}
	qsort(g->kp, g->nkp, sizeof *g->kp, cmp_kp);
	*out = g;
	return MG_OK;
}

static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

const struct kb_gloss *kb_gloss_of(struct kb *kb, struct kb_model *m)
{
	pthread_mutex_lock(&build_lock);
	if (!m->gloss_built) {
		m->gloss_built = 1;
		if (gloss_build(kb, m, &m->gloss) != MG_OK)
			m->gloss = NULL;  /* without memory: the engine works without it */
	}
	const struct kb_gloss *g = m->gloss;
	pthread_mutex_unlock(&build_lock);
	return g;
}

int kb_gloss_synonyms(const struct kb_model *m, const struct kb_gloss *g, const char *word, int len,
		      int max_fanout, kb_gloss_fn fn, void *ctx)
{
	if (!g || !kb_gloss_content_word(word, len))
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

int kb_gloss_bridge(const struct kb_model *m, const struct kb_gloss *g, const char *const *stem,
		    const int *stem_len, int nstems, int max_fanout, kb_gloss_fn fn, void *ctx)
{
	if (!g)
		return 0;
	for (size_t k = 0; k < g->nbr; k++) {
		const struct bridge *b = &g->br[k];
		if ((int)b->fanout > max_fanout)
			continue;
		const char *s = g->stem_pool + b->stems;
		int first = -1, all = 1;
		for (uint32_t j = 0; j < b->nstems && all; j++) {
			size_t sl = strlen(s);
			int found = -1;
			for (int i = 0; i < nstems && found < 0; i++)
				if ((size_t)stem_len[i] == sl && !memcmp(stem[i], s, sl))
					found = i;
			if (found < 0)
				all = 0;
			else if (first < 0)
				first = found;
			s += sl + 1;
		}
		if (!all)
			continue;
		const struct kb_mterm *t = &m->terms[b->term];
		int rc = fn(ctx, m->term_text + t->off, t->len, first);
		if (rc)
			return rc;
	}
	return 0;
}
