/* Text analysis: normalisation, MeCab, readings, English stemming. The model
 * is loaded once per process; each thread gets its own tagger, lattice and
 * stemmer because MeCab's parse(lattice) is only thread-safe per lattice and
 * libstemmer keeps state in its stemmer object. */
#include "nlp/nlp_int.h"
#include "nlp/buf.h"
#include "nlp/hash.h"

#include <libstemmer.h>
#include <mecab.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Where Debian's mecab-ipadic-utf8 installs the dictionary. */
#define NLP_IPADIC_DIR "/var/lib/mecab/dic/ipadic-utf8"

struct nlp_model {
	mecab_model_t *mecab;
};

struct nlp_analyser {
	mecab_t *tagger;
	mecab_lattice_t *lattice;
	struct sb_stemmer *stemmer;
	char *gram;           /* the current run of katakana reading */
	size_t gram_len, gram_cap;
};

int nlp_model_open(struct nlp_model **out, char *err)
{
	*out = NULL;
	struct nlp_model *m = calloc(1, sizeof *m);
	if (!m)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	/* ipadic by name: its feature layout is what the analysis reads, and
	 * Debian lets another installed dictionary (naist-jdic, which Groonga's
	 * MeCab tokenizer pulls in) take over the system default. Failing that,
	 * the system mecabrc's dictionary. */
	m->mecab = mecab_model_new2("-d " NLP_IPADIC_DIR);
	if (!m->mecab)
		m->mecab = mecab_model_new2("");
	if (!m->mecab) {
		free(m);
		return mg_fail(err, MG_ERR_ANALYSER,
			       "cannot load the MeCab dictionary (is mecab-ipadic-utf8 installed?)");
	}
	*out = m;
	return MG_OK;
}

void nlp_model_close(struct nlp_model *model)
{
	if (!model)
		return;
	mecab_model_destroy(model->mecab);
	free(model);
}

int nlp_analyser_new(struct nlp_model *model, struct nlp_analyser **out, char *err)
{
	*out = NULL;
	struct nlp_analyser *an = calloc(1, sizeof *an);
	if (!an)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	an->tagger = mecab_model_new_tagger(model->mecab);
	an->lattice = mecab_model_new_lattice(model->mecab);
	an->stemmer = sb_stemmer_new("english", "UTF_8");
	if (!an->tagger || !an->lattice || !an->stemmer) {
		nlp_analyser_free(an);
		return mg_fail(err, MG_ERR_ANALYSER, "cannot create a MeCab tagger or English stemmer");
	}
	return *out = an, MG_OK;
}

void nlp_analyser_free(struct nlp_analyser *an)
{
	if (!an)
		return;
	if (an->lattice)
		mecab_lattice_destroy(an->lattice);
	if (an->tagger)
		mecab_destroy(an->tagger);
	if (an->stemmer)
		sb_stemmer_delete(an->stemmer);
	free(an->gram);
	free(an);
}

/* ---- normalisation ---------------------------------------------------- */

int nlp_normalise(const char *text, size_t len, char **out, size_t *out_len, char *err)
{
	*out = NULL;
	*out_len = 0;
	/* Control characters (NUL included) become spaces before utf8proc sees them. */
	uint8_t *clean = malloc(len + 1);
	if (!clean)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		clean[i] = (c < 0x20 || c == 0x7f) ? ' ' : c;
	}
	clean[len] = 0;
	uint8_t *mapped = NULL;
	utf8proc_ssize_t n = utf8proc_map(clean, (utf8proc_ssize_t)len, &mapped,
					  UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
					  UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
	free(clean);
	if (n < 0) {
		if (n == UTF8PROC_ERROR_NOMEM)
			return mg_fail(err, MG_ERR_NOMEM, "out of memory");
		return mg_fail(err, MG_ERR_UTF8, "the text is not valid UTF-8");
	}
	/* Squeeze whitespace (NFKC made U+3000 a plain space) and trim. */
	size_t w = 0;
	int space = 1;
	for (utf8proc_ssize_t r = 0; r < n; r++) {
		if (mapped[r] == ' ') {
			if (!space)
				mapped[w++] = ' ';
			space = 1;
		} else {
			mapped[w++] = mapped[r];
			space = 0;
		}
	}
	if (w && mapped[w - 1] == ' ')
		w--;
	mapped[w] = 0;
	*out = (char *)mapped;
	*out_len = w;
	return MG_OK;
}

/* Written in Japanese: anything of the kana blocks (ゟ and ヿ included: the
 * hiragana-only test counts U+3041-U+309F as hiragana, so the two must agree;
 * found by fuzz_ask), half-width katakana, or kanji. */
static int is_kana_or_kanji(int32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30ff) || nlp_is_kanji(cp) || (cp >= 0xff66 && cp <= 0xff9f);
}

static int other_script(int32_t cp)
{
	return (cp >= 0x00c0 && cp <= 0x024f && cp != 0x00d7 && cp != 0x00f7) ||  /* accented Latin */
	       (cp >= 0x1e00 && cp <= 0x1eff) ||                                  /* Vietnamese */
	       cp == 0x00bf || cp == 0x00a1 ||                                    /* ¿ ¡ */
	       (cp >= 0x0400 && cp <= 0x04ff) || (cp >= 0x0600 && cp <= 0x06ff) ||
	       (cp >= 0x0900 && cp <= 0x097f) || (cp >= 0x0e00 && cp <= 0x0e7f) ||
	       (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0x3130 && cp <= 0x318f) ||
	       (cp >= 0xac00 && cp <= 0xd7af);                                    /* Hangul */
}

/* What a text is written in: kana or kanji, Latin letters a-z, and letters
 * of scripts neither Japanese nor English uses. Invalid UTF-8 counts as
 * Japanese (nothing to answer in English). */
struct scripts {
	int japanese, latin, other;
};

static struct scripts scan_scripts(const char *text, size_t len)
{
	struct scripts sc = {0, 0, 0};
	utf8proc_ssize_t i = 0, n = (utf8proc_ssize_t)len;
	while (i < n) {
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const uint8_t *)text + i, n - i, &cp);
		if (k <= 0 || is_kana_or_kanji(cp)) {
			sc.japanese = 1;
			break;
		}
		sc.latin |= (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
		sc.other |= other_script(cp);
		i += k;
	}
	return sc;
}

int nlp_is_english(const char *text, size_t len)
{
	struct scripts sc = scan_scripts(text, len);
	return !sc.japanese && sc.latin;
}

int nlp_is_other_language(const char *text, size_t len)
{
	struct scripts sc = scan_scripts(text, len);
	return !sc.japanese && sc.other;
}

int nlp_is_hiragana_only(const char *text, size_t len)
{
	int hiragana = 0;
	utf8proc_ssize_t i = 0, n = (utf8proc_ssize_t)len;
	while (i < n) {
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const uint8_t *)text + i, n - i, &cp);
		if (k <= 0)
			return 0;
		if (cp >= 0x3041 && cp <= 0x309f)
			hiragana = 1;
		else if (cp != 0x30fc && (is_kana_or_kanji(cp) || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') ||
					  (cp >= 0xff21 && cp <= 0xff5a)))
			return 0;  /* katakana (but the long-vowel mark), kanji, a Latin letter */
		i += k;
	}
	return hiragana;
}

/* ---- synonyms ----------------------------------------------------------- */

struct syn_pair {
	char *variant, *canonical;
	size_t vlen;
};

#define SYN_BUCKETS 1024

/* The bucket of the UTF-8 character at s (at most n bytes): the hash of its bytes. */
static unsigned syn_bucket(const char *s, size_t n)
{
	size_t len = 1;
	while (len < n && len < 4 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len++;
	return mg_hash(s, len) % SYN_BUCKETS;
}

/* A verb or adjective of a variant by its lemma (なくした → なくす): every
 * inflection of it meets the canonical word, not only the one listed. */
struct syn_lemma {
	char *lemma;
	const char *canonical;  /* the pair's */
};

/* A set of strings (borrowed, NUL-terminated), open addressing, at most
 * half full: a list's variants (a variant listed twice keeps its first
 * canonical) and its groups' readings (nlp_synonyms_lemmatise), each looked
 * up at once. Comparing every pair with every other made a list of 2,000
 * verb variants cost 296 M instructions to load. The list is what a member
 * of staff uploads, so the hash is keyed (nlp/hash.h): no list can be made
 * whose words share one run of slots and bring that cost back. */
struct syn_set {
	const char **slot;
	size_t cap, n;  /* cap: a power of two; 0 before the first add */
	struct mg_hash_key key;  /* the set's own, random, made at the first add */
};

/* The slot of key, or the empty slot where it would go; cap > 0. */
static size_t syn_set_at(const struct syn_set *s, const char *key)
{
	size_t i = mg_hash_keyed(&s->key, key, strlen(key)) & (s->cap - 1);
	while (s->slot[i] && strcmp(s->slot[i], key))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int syn_set_has(const struct syn_set *s, const char *key)
{
	return s->cap && s->slot[syn_set_at(s, key)];
}

/* Adds key, which must outlive the set: MG_OK, MG_ERR_NOMEM, or
 * MG_ERR_INTERNAL when there is no randomness for the key (the set as it was). */
static int syn_set_add(struct syn_set *s, const char *key)
{
	if (!s->cap && mg_hash_key_new(&s->key) != MG_OK)
		return MG_ERR_INTERNAL;
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct syn_set grown = {calloc(cap, sizeof *s->slot), cap, s->n, s->key};
		if (!grown.slot)
			return MG_ERR_NOMEM;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i])
				grown.slot[syn_set_at(&grown, s->slot[i])] = s->slot[i];
		free(s->slot);
		*s = grown;
	}
	size_t i = syn_set_at(s, key);
	if (!s->slot[i]) {
		s->slot[i] = key;
		s->n++;
	}
	return MG_OK;
}

/* What a failed syn_set_add (or allocation beside it) says. */
static int syn_set_fail(char *err, int rc)
{
	return mg_fail(err, rc, "%s", rc == MG_ERR_INTERNAL ? "no source of randomness for a hash key"
							    : "out of memory");
}

struct nlp_synonyms {
	struct syn_pair *pairs;
	size_t n, cap;
	struct syn_set variants;   /* every pair's variant */
	struct syn_lemma *lemmas;  /* sorted by lemma (nlp_synonyms_lemmatise) */
	size_t nlemmas;
	int sorted;
	/* pairs whose variant starts with a character of hash h:
	 * [bucket[h], bucket[h+1]). By the whole first character, not its first
	 * byte: every kana and kanji starts with one of a few bytes, and a
	 * question then compared itself with most of the list at each character. */
	size_t bucket[SYN_BUCKETS + 1];
};

struct nlp_synonyms *nlp_synonyms_new(void)
{
	return calloc(1, sizeof(struct nlp_synonyms));
}

void nlp_synonyms_free(struct nlp_synonyms *syn)
{
	if (!syn)
		return;
	for (size_t i = 0; i < syn->n; i++) {
		free(syn->pairs[i].variant);
		free(syn->pairs[i].canonical);
	}
	for (size_t i = 0; i < syn->nlemmas; i++)
		free(syn->lemmas[i].lemma);
	free(syn->lemmas);
	free(syn->pairs);
	free(syn->variants.slot);
	free(syn);
}

/* Appends the pair (c, v), normalised, taking both strings, and says in
 * *added whether it did: a variant the list has already keeps its first
 * canonical. MG_OK or MG_ERR_NOMEM. */
static int pair_add(struct nlp_synonyms *syn, char *c, char *v, size_t vlen, int *added, char *err)
{
	int rc = MG_OK;
	*added = 0;
	if (syn_set_has(&syn->variants, v)) {
		free(c);
		free(v);
		return MG_OK;
	}
	if (syn->n == syn->cap) {
		size_t cap = syn->cap ? syn->cap * 2 : 64;
		struct syn_pair *p = realloc(syn->pairs, cap * sizeof *p);
		if (!p)
			rc = MG_ERR_NOMEM;
		else
			syn->pairs = p, syn->cap = cap;
	}
	if (rc == MG_OK)
		rc = syn_set_add(&syn->variants, v);
	if (rc != MG_OK) {
		free(c);
		free(v);
		return syn_set_fail(err, rc);
	}
	syn->pairs[syn->n++] = (struct syn_pair){v, c, vlen};
	syn->sorted = 0;
	*added = 1;
	return MG_OK;
}

int nlp_synonyms_add(struct nlp_synonyms *syn, const char *canonical, const char *variant, char *err)
{
	char *c = NULL, *v = NULL;
	size_t clen, vlen;
	int rc = nlp_normalise(canonical, strlen(canonical), &c, &clen, err);
	if (rc == MG_OK)
		rc = nlp_normalise(variant, strlen(variant), &v, &vlen, err);
	if (rc == MG_OK && (!clen || !vlen))
		rc = mg_fail(err, MG_ERR_INPUT, "a synonym is empty");
	if (rc != MG_OK) {
		free(c);
		free(v);
		return rc;
	}
	int added, self = strcmp(c, v) != 0;
	rc = pair_add(syn, c, v, vlen, &added, err);
	if (rc != MG_OK || !added || !self)
		return rc;
	/* The canonical word maps to itself, so that a variant inside it
	 * (コールセンタ in コールセンター) never rewrites it: the longer match wins. */
	c = strdup(syn->pairs[syn->n - 1].canonical);
	v = c ? strdup(c) : NULL;
	if (!v) {
		free(c);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	return pair_add(syn, c, v, clen, &added, err);
}

static int pair_cmp(const void *a, const void *b)
{
	const struct syn_pair *x = a, *y = b;
	unsigned bx = syn_bucket(x->variant, x->vlen), by = syn_bucket(y->variant, y->vlen);
	if (bx != by)
		return bx < by ? -1 : 1;
	if (x->vlen != y->vlen)  /* longest first within a bucket */
		return x->vlen > y->vlen ? -1 : 1;
	return strcmp(x->variant, y->variant);
}

static void synonyms_sort(struct nlp_synonyms *syn)
{
	if (syn->n)  /* an empty list has no array to sort */
		qsort(syn->pairs, syn->n, sizeof *syn->pairs, pair_cmp);
	size_t i = 0;
	for (unsigned b = 0; b <= SYN_BUCKETS; b++) {
		while (i < syn->n && syn_bucket(syn->pairs[i].variant, syn->pairs[i].vlen) < b)
			i++;
		syn->bucket[b] = i;
	}
	syn->bucket[SYN_BUCKETS] = syn->n;
	syn->sorted = 1;
}

static int is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int nlp_synonyms_apply(const struct nlp_synonyms *csyn, const char *text, size_t len,
		       char **out, size_t *out_len)
{
	/* Sorting lazily keeps add() cheap; the list is not shared while it is built. */
	struct nlp_synonyms *syn = (struct nlp_synonyms *)csyn;
	if (syn && !syn->sorted)
		synonyms_sort(syn);
	struct mg_buf buf = MG_BUF_INIT(SIZE_MAX);
	if (mg_buf_room(&buf, len))
		return MG_ERR_NOMEM;
	for (size_t i = 0; i < len;) {
		const struct syn_pair *hit = NULL;
		unsigned char b = (unsigned char)text[i];
		int at_word_start = !(i > 0 && is_word_byte((unsigned char)text[i - 1]));
		if (syn) {
			unsigned h = syn_bucket(text + i, len - i);
			for (size_t k = syn->bucket[h]; k < syn->bucket[h + 1]; k++) {
				const struct syn_pair *p = &syn->pairs[k];
				if (p->vlen > len - i || memcmp(text + i, p->variant, p->vlen))
					continue;
				/* Latin variants match whole words only ("shot" not in "screenshot"). */
				if (is_word_byte(b) && (!at_word_start ||
				    (i + p->vlen < len && is_word_byte((unsigned char)text[i + p->vlen]))))
					continue;
				hit = p;
				break;
			}
		}
		const char *src = hit ? hit->canonical : text + i;
		size_t n = 1;
		if (hit) {
			n = strlen(hit->canonical);
		} else {  /* copy one whole UTF-8 character */
			while (i + n < len && ((unsigned char)text[i + n] & 0xc0) == 0x80)
				n++;
		}
		if (mg_buf_add(&buf, src, n)) {
			mg_buf_free(&buf);
			return MG_ERR_NOMEM;
		}
		if (hit) {
			i += hit->vlen;
		} else {
			i += 1;
			while (i < len && ((unsigned char)text[i] & 0xc0) == 0x80)
				i++;
		}
	}
	*out = mg_buf_take(&buf, out_len);
	return MG_OK;
}

/* ---- analysis ----------------------------------------------------------- */

/* Words that carry no topic. Japanese entries are lemmas as ipadic writes them. */
static const char *const stop_ja[] = {
	"する", "ある", "いる", "なる", "できる", "おる", "くる", "いう", "やる", "もらう",
	"くれる", "いただく", "くださる", "ください", "下さる", "しまう", "おく", "みる",
	"こと", "もの", "ため", "よう", "とき", "ところ", "ん", "の", "さん", "様", "方",
	"何", "なん", "なに", "どう", "どこ", "いつ", "誰", "これ", "それ", "あれ", "ここ",
	"そこ", "私", "僕", "わたし", "自分", "よい", "いい", "良い", "ない", "ほしい",
	"欲しい", "思う", "教える", "知る", "わかる", "分かる", "お願い", "願う", "場合",
	"的", "等", "など", "今", "今日", "問題", "大丈夫", "ー", "?", "方法",
};

static const char *const stop_en[] = {
	"a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "can",
	"could", "did", "do", "does", "doing", "for", "from", "get", "got", "have", "has",
	"how", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on", "or", "please",
	"should", "so", "some", "that", "the", "there", "this", "to", "up", "was", "we",
	"what", "when", "where", "which", "who", "why", "will", "with", "would", "you",
	"your", "s", "t", "don", "im", "want", "need", "hello", "hi", "thanks", "thank",
	"tell", "know", "let", "still", "just", "one", "them", "they", "he", "she", "her",
	"his", "our", "us", "than", "then", "but", "not", "no", "yes", "by", "into",
};

/* The word of list that is s (len bytes), or NULL. No word is empty: the
 * first bytes are compared before a word's length is counted (a strlen of
 * every stop word for each word of a question: asking the first 70 dev
 * questions 36.84 -> 36.55 M instructions without it). */
static const char *list_find(const char *const *list, size_t n, const char *s, size_t len)
{
	if (len == 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (list[i][0] == s[0] && strlen(list[i]) == len && !memcmp(list[i], s, len))
			return list[i];
	return NULL;
}

static int in_list(const char *const *list, size_t n, const char *s, size_t len)
{
	return list_find(list, n, s, len) != NULL;
}

/* The question words whose answer is one topic (how much: the price; how
 * old: the age), each as the one word its spellings are: ipadic reads
 * いくら as an adverb in いくらかかりますか and as a noun in 費用はいくら
 * ですか, and 何 before 歳 as a numeral, so the POS floor dropped the
 * adverb and the numeral. Measured (chatbot/policy.h, `asking`): いつ, どこ
 * and 誰 too pulled questions to the entries whose phrasings ask with them
 * (このチャットって誰かに見られてる？ to the age entry); not kept. */
#define NLP_HOW_OLD "何歳"  /* never one word of ipadic's: 何 + 歳 */
static const char *const question_words[] = {"いくら", NLP_HOW_OLD};

int nlp_is_question_word(const char *tok, int len)
{
	return in_list(question_words, sizeof question_words / sizeof *question_words, tok, (size_t)len);
}

/* The word a question word at node stands for (lemma is its lemma), or
 * NULL: 何 only before 歳 or 才 (何歳, 何才 → 何歳). */
static const char *interrogative_of(const mecab_node_t *node, const char *lemma, size_t len)
{
	const char *word = list_find(question_words, sizeof question_words / sizeof *question_words, lemma, len);
	if (word)
		return word;
	const mecab_node_t *n = node->next;
	if (len == strlen("何") && !memcmp(lemma, "何", len) && n && n->stat != MECAB_EOS_NODE &&
	    n->length == strlen("歳") && (!memcmp(n->surface, "歳", n->length) || !memcmp(n->surface, "才", n->length)))
		return NLP_HOW_OLD;
	return NULL;
}

#define NLP_MAX_COMPOUND_BYTES 48  /* 16 kanji: longer runs are lists, not words */

int nlp_features(const char *feature, const char *f[NLP_NFIELDS], size_t flen[NLP_NFIELDS])
{
	int n = 0;
	const char *p = feature;
	while (n < NLP_NFIELDS) {
		const char *comma = strchr(p, ',');
		f[n] = p;
		flen[n] = comma ? (size_t)(comma - p) : strlen(p);
		n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	return n;
}

static int field_is(const char *f, size_t len, const char *s)
{
	return strlen(s) == len && !memcmp(f, s, len);
}

static int gram_push(struct nlp_analyser *an, const char *s, size_t len)
{
	if (an->gram_len + len + 1 > an->gram_cap) {
		size_t cap = (an->gram_len + len + 1) * 2;
		char *g = realloc(an->gram, cap);
		if (!g)
			return MG_ERR_NOMEM;
		an->gram = g;
		an->gram_cap = cap;
	}
	memcpy(an->gram + an->gram_len, s, len);
	an->gram_len += len;
	return MG_OK;
}

/* Appends text's kana as katakana (hiragana shifted, long-vowel marks dropped
 * so that ふくはんのー and 副反応 read alike); other characters as they are. */
static int gram_push_reading(struct nlp_analyser *an, const char *s, size_t len)
{
	utf8proc_ssize_t i = 0;
	while (i < (utf8proc_ssize_t)len) {
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const uint8_t *)s + i, (utf8proc_ssize_t)len - i, &cp);
		if (k <= 0)
			return MG_ERR_UTF8;
		i += k;
		if (cp == 0x30fc)
			continue;
		if (cp >= 0x3041 && cp <= 0x3096)
			cp += 0x60;
		uint8_t enc[4];
		utf8proc_ssize_t m = utf8proc_encode_char(cp, enc);
		int rc = gram_push(an, (const char *)enc, (size_t)m);
		if (rc)
			return rc;
	}
	return MG_OK;
}

/* Emits the bigrams of the current reading run, then empties it. */
static int gram_flush(struct nlp_analyser *an, nlp_emit_fn emit, void *ctx)
{
	char tok[1 + 8];
	size_t starts[2] = {0, 0};
	int have = 0, rc = 0;
	size_t i = 0;
	tok[0] = NLP_GRAM_PREFIX;
	while (i < an->gram_len && !rc) {
		size_t k = 1;
		while (i + k < an->gram_len && ((unsigned char)an->gram[i + k] & 0xc0) == 0x80)
			k++;
		if (have == 0) {
			starts[0] = i;
			have = 1;
		} else {
			starts[1] = i;
			size_t n = i + k - starts[0];
			if (n <= 8) {
				memcpy(tok + 1, an->gram + starts[0], n);
				rc = emit(ctx, NLP_GRAM, tok, (int)(n + 1));
			}
			starts[0] = starts[1];
			have = 2;
		}
		i += k;
	}
	if (!rc && have == 1 && an->gram_len <= 7) {  /* a one-kana run still counts */
		memcpy(tok + 1, an->gram, an->gram_len);
		rc = emit(ctx, NLP_GRAM, tok, (int)(an->gram_len + 1));
	}
	an->gram_len = 0;
	return rc;
}

static int is_ascii_word(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_word_byte((unsigned char)s[i]) && s[i] != '\'')
			return 0;
	return len > 0;
}

/* ipadic tags ASCII punctuation as nouns; Unicode's categories know better. */
static int is_punctuation(const char *s, size_t len)
{
	utf8proc_ssize_t i = 0;
	while (i < (utf8proc_ssize_t)len) {
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const uint8_t *)s + i, (utf8proc_ssize_t)len - i, &cp);
		if (k <= 0)
			return 0;
		utf8proc_category_t c = utf8proc_category(cp);
		if (c < UTF8PROC_CATEGORY_PC || c > UTF8PROC_CATEGORY_ZS)
			return 0;
		i += k;
	}
	return 1;
}

static int emit_english(struct nlp_analyser *an, const char *s, size_t len,
			nlp_emit_fn emit, void *ctx)
{
	/* MeCab keeps "don't" together as one unknown word; split at apostrophes. */
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && s[j] != '\'')
			j++;
		size_t n = j - i;
		if (n && !in_list(stop_en, sizeof stop_en / sizeof *stop_en, s + i, n)) {
			const sb_symbol *st = sb_stemmer_stem(an->stemmer, (const sb_symbol *)s + i, (int)n);
			if (!st)
				return MG_ERR_NOMEM;
			int rc = emit(ctx, NLP_TERM, (const char *)st, sb_stemmer_length(an->stemmer));
			if (rc)
				return rc;
		}
		i = j + 1;
	}
	return 0;
}

/* Decides whether a Japanese token carries topic: nouns, verbs and adjectives,
 * without the dependent and pronoun subclasses and without the stop words. */
static int is_content(const char *f[NLP_NFIELDS], size_t flen[NLP_NFIELDS], int nf,
		      const char *lemma, size_t lemma_len)
{
	if (nf < 2)
		return 0;
	int noun = field_is(f[0], flen[0], "名詞");
	int verb = field_is(f[0], flen[0], "動詞");
	int adj = field_is(f[0], flen[0], "形容詞");
	if (!noun && !verb && !adj)
		return 0;
	if (field_is(f[1], flen[1], "非自立") || field_is(f[1], flen[1], "代名詞"))
		return 0;
	if (verb && field_is(f[1], flen[1], "接尾"))
		return 0;
	if (noun && field_is(f[1], flen[1], "数"))
		return 0;  /* numerals are kept through their reading grams only */
	return !in_list(stop_ja, sizeof stop_ja / sizeof *stop_ja, lemma, lemma_len);
}

/* Consecutive nouns also count as one word (接種+券 → 接種券, 歯+医者 →
 * 歯医者): a compound the knowledge base never uses marks a question about
 * something else even when its parts are familiar. */
struct compound {
	char buf[NLP_MAX_COMPOUND_BYTES];
	size_t len;
	int parts;
};

static int compound_flush(struct compound *c, nlp_emit_fn emit, void *ctx)
{
	int rc = 0;
	if (c->parts >= 2)
		rc = emit(ctx, NLP_COMPOUND, c->buf, (int)c->len);
	c->len = 0;
	c->parts = 0;
	return rc;
}

static void compound_add(struct compound *c, const char *s, size_t len)
{
	if (c->len + len > sizeof c->buf) {
		c->parts = 0;  /* too long to be a word: forget it */
		return;
	}
	memcpy(c->buf + c->len, s, len);
	c->len += len;
	c->parts++;
}

/* The direction a dependent verb gives the verb before it (越してくる,
 * 引っ越していく): "くる", "いく", or NULL. f and flen are the dependent's. */
static const char *direction_of(const char *f[NLP_NFIELDS], const size_t flen[NLP_NFIELDS])
{
	if (!field_is(f[0], flen[0], "動詞") || !field_is(f[1], flen[1], "非自立"))
		return NULL;
	const char *l = f[NLP_FIELD_LEMMA];
	size_t ll = flen[NLP_FIELD_LEMMA];
	if (field_is(l, ll, "くる") || field_is(l, ll, "来る"))
		return "くる";
	if (field_is(l, ll, "いく") || field_is(l, ll, "行く"))
		return "いく";
	return NULL;
}

/* The direction of the verb at node: a dependent くる or いく after it,
 * through て (越してきた, 移って来ました), or NULL. */
static const char *verb_direction(const mecab_node_t *node)
{
	for (const mecab_node_t *n = node->next; n && n->stat != MECAB_EOS_NODE; n = n->next) {
		const char *f[NLP_NFIELDS];
		size_t flen[NLP_NFIELDS];
		if (nlp_features(n->feature, f, flen) <= NLP_FIELD_LEMMA)
			return NULL;
		if (field_is(f[0], flen[0], "助詞") && field_is(f[1], flen[1], "接続助詞") &&
		    (field_is(f[NLP_FIELD_LEMMA], flen[NLP_FIELD_LEMMA], "て") ||
		     field_is(f[NLP_FIELD_LEMMA], flen[NLP_FIELD_LEMMA], "で")))
			continue;
		return direction_of(f, flen);
	}
	return NULL;
}

/* A synonym's verb listed with a direction (越してきた: moving in) is
 * looked up as lemma + NLP_DIRECTION_SEP + direction (越す+くる): 年を越す
 * is not 転入. */
#define NLP_DIRECTION_SEP "+"

static const char *synonym_of_lemma(const struct nlp_synonyms *syn, const char *lemma, size_t len);

int nlp_analyse(struct nlp_analyser *an, const struct nlp_synonyms *syn,
		const char *text, size_t len, nlp_emit_fn emit, void *ctx, char *err)
{
	char *norm = NULL, *rewritten = NULL;
	size_t norm_len = 0, rw_len = 0;
	int rc = nlp_normalise(text, len, &norm, &norm_len, err);
	if (rc != MG_OK)
		return rc;
	rc = nlp_synonyms_apply(syn, norm, norm_len, &rewritten, &rw_len);
	free(norm);
	if (rc != MG_OK)
		return mg_fail(err, rc, "out of memory");
	if (rw_len == 0) {
		free(rewritten);
		return MG_OK;
	}

	const mecab_node_t *bos = nlp_parse_nodes(an, rewritten, rw_len, err);
	if (!bos) {
		free(rewritten);
		return MG_ERR_ANALYSER;
	}
	an->gram_len = 0;
	char term[256];
	struct compound comp = {.len = 0};
	for (const mecab_node_t *node = bos; node && rc == 0; node = node->next) {
		if (node->stat == MECAB_BOS_NODE || node->stat == MECAB_EOS_NODE)
			continue;
		const char *surface = node->surface;  /* not NUL-terminated */
		size_t slen = node->length;
		/* MeCab swallows the spaces between words; a space ends a reading run. */
		if (node->rlength != node->length) {
			rc = gram_flush(an, emit, ctx);
			if (!rc)
				rc = compound_flush(&comp, emit, ctx);
		}
		if (rc)
			break;
		if (is_ascii_word(surface, slen)) {
			rc = compound_flush(&comp, emit, ctx);
			if (rc)
				break;
			rc = gram_flush(an, emit, ctx);
			if (!rc)
				rc = emit_english(an, surface, slen, emit, ctx);
			continue;
		}
		const char *f[NLP_NFIELDS];
		size_t flen[NLP_NFIELDS];
		int nf = nlp_features(node->feature, f, flen);
		if (field_is(f[0], flen[0], "記号") || is_punctuation(surface, slen)) {
			rc = gram_flush(an, emit, ctx);
			if (!rc)
				rc = compound_flush(&comp, emit, ctx);
			continue;
		}
		const char *lemma = surface;
		size_t lemma_len = slen;
		if (nf > NLP_FIELD_LEMMA && !field_is(f[NLP_FIELD_LEMMA], flen[NLP_FIELD_LEMMA], "*")) {
			lemma = f[NLP_FIELD_LEMMA];
			lemma_len = flen[NLP_FIELD_LEMMA];
		}
		const char *reading = surface;
		size_t reading_len = slen;
		if (nf > NLP_FIELD_READING && !field_is(f[NLP_FIELD_READING], flen[NLP_FIELD_READING], "*")) {
			reading = f[NLP_FIELD_READING];
			reading_len = flen[NLP_FIELD_READING];
		}
		rc = gram_push_reading(an, reading, reading_len);
		int content = !rc && is_content(f, flen, nf, lemma, lemma_len);
		const char *asks = rc || content ? NULL : interrogative_of(node, lemma, lemma_len);
		if (asks) {
			rc = compound_flush(&comp, emit, ctx);
			if (!rc)
				rc = emit(ctx, NLP_TERM, asks, (int)strlen(asks));
			continue;
		}
		if (!rc && content && field_is(f[0], flen[0], "名詞"))
			compound_add(&comp, surface, slen);
		else if (!rc)
			rc = compound_flush(&comp, emit, ctx);
		if (rc || !content || lemma_len + 2 > sizeof term)
			continue;
		/* an inflection of a synonym's verb or adjective is its canonical
		 * word; one listed with a direction, only with that direction */
		const char *canon = NULL;
		if (!field_is(f[0], flen[0], "名詞") && syn && syn->nlemmas) {
			const char *dir = verb_direction(node);
			if (dir && lemma_len + strlen(dir) + 2 <= sizeof term) {
				memcpy(term, lemma, lemma_len);
				memcpy(term + lemma_len, NLP_DIRECTION_SEP, 1);  /* one byte */
				memcpy(term + lemma_len + 1, dir, strlen(dir));
				canon = synonym_of_lemma(syn, term, lemma_len + 1 + strlen(dir));
			}
			if (!canon)
				canon = synonym_of_lemma(syn, lemma, lemma_len);
		}
		if (canon)
			lemma = canon, lemma_len = strlen(canon);
		rc = emit(ctx, NLP_TERM, lemma, (int)lemma_len);
		if (!rc && field_is(f[0], flen[0], "名詞") && reading_len + 2 <= sizeof term) {
			/* The noun's kana reading lets せっしゅ meet 接種. */
			size_t save = an->gram_len;
			rc = gram_push_reading(an, reading, reading_len);
			if (!rc) {
				term[0] = NLP_READING_PREFIX;
				size_t n = an->gram_len - save;
				if (n + 1 <= sizeof term) {
					memcpy(term + 1, an->gram + save, n);
					rc = emit(ctx, NLP_TERM, term, (int)(n + 1));
				}
			}
			an->gram_len = save;
		}
	}
	if (!rc)
		rc = gram_flush(an, emit, ctx);
	if (!rc)
		rc = compound_flush(&comp, emit, ctx);
	free(rewritten);
	if (rc == MG_ERR_NOMEM || rc == MG_ERR_UTF8)
		mg_fail(err, rc, "%s", mg_strerror(rc));
	return rc;
}

static int lemma_cmp(const void *a, const void *b)
{
	const struct syn_lemma *x = a, *y = b;
	return strcmp(x->lemma, y->lemma);
}

/* The canonical word of a verb's or adjective's lemma, or NULL. */
static const char *synonym_of_lemma(const struct nlp_synonyms *syn, const char *lemma, size_t len)
{
	size_t lo = 0, hi = syn ? syn->nlemmas : 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *l = syn->lemmas[mid].lemma;
		size_t ll = strlen(l);
		int c = memcmp(l, lemma, ll < len ? ll : len);
		if (c == 0)
			c = (ll > len) - (ll < len);
		if (c == 0)
			return syn->lemmas[mid].canonical;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The katakana reading MeCab gives text into out (cap bytes, NUL-ended);
 * 0 when it does not fit. */
static int reading_of(struct nlp_analyser *an, const char *text, size_t len, char *out, size_t cap)
{
	char err[MG_ERR_LEN];
	size_t n = 0;
	for (const mecab_node_t *node = nlp_parse_nodes(an, text, len, err); node; node = node->next) {
		if (node->stat == MECAB_BOS_NODE || node->stat == MECAB_EOS_NODE)
			continue;
		const char *f[NLP_NFIELDS];
		size_t flen[NLP_NFIELDS];
		int nf = nlp_features(node->feature, f, flen);
		const char *r = nf > NLP_FIELD_READING ? f[NLP_FIELD_READING] : node->surface;
		size_t rl = nf > NLP_FIELD_READING ? flen[NLP_FIELD_READING] : node->length;
		if (n + rl + 1 > cap)
			return 0;
		memcpy(out + n, r, rl);
		n += rl;
	}
	out[n] = 0;
	return 1;
}

/* The lemma of the one verb or adjective a variant is made of with
 * auxiliaries and particles (なくした, 無くして, 痛かった) into lemma, with
 * its direction when a dependent くる or いく gives it one (越してきた:
 * 越す+くる), or 0:
 * another content word, or a negation (見当たらない: its lemma 見当たる
 * says the opposite). */
static int variant_lemma(struct nlp_analyser *an, const char *v, size_t vlen, char *lemma, size_t cap)
{
	char err[MG_ERR_LEN];
	const mecab_node_t *node = nlp_parse_nodes(an, v, vlen, err), *verb = NULL;
	int found = 0;
	for (; node; node = node->next) {
		if (node->stat == MECAB_BOS_NODE || node->stat == MECAB_EOS_NODE)
			continue;
		const char *f[NLP_NFIELDS];
		size_t flen[NLP_NFIELDS];
		int nf = nlp_features(node->feature, f, flen);
		if (nf <= NLP_FIELD_LEMMA)
			return 0;
		const char *l = f[NLP_FIELD_LEMMA];
		size_t ll = flen[NLP_FIELD_LEMMA];
		int aux = field_is(f[0], flen[0], "助動詞") || field_is(f[0], flen[0], "助詞") ||
			  (field_is(f[0], flen[0], "動詞") && (field_is(f[1], flen[1], "非自立") ||
							       field_is(f[1], flen[1], "接尾")));
		if (aux) {
			if (field_is(l, ll, "ない") || field_is(l, ll, "ぬ") || field_is(l, ll, "ん"))
				return 0;
			continue;
		}
		int word = (field_is(f[0], flen[0], "動詞") || field_is(f[0], flen[0], "形容詞")) &&
			   field_is(f[1], flen[1], "自立");
		if (!word || found || field_is(l, ll, "*") || ll + 1 > cap ||
		    in_list(stop_ja, sizeof stop_ja / sizeof *stop_ja, l, ll))
			return 0;
		memcpy(lemma, l, ll);
		lemma[ll] = 0;
		found = 1;
		verb = node;
	}
	/* the direction read as the analysis reads it (越して+きた) */
	const char *dir = found ? verb_direction(verb) : NULL;
	if (dir) {
		if (strlen(lemma) + strlen(NLP_DIRECTION_SEP) + strlen(dir) + 1 > cap)
			return 0;
		strcat(strcat(lemma, NLP_DIRECTION_SEP), dir);
	}
	return found;
}

/* A verb's or adjective's endings are hiragana: a variant ending otherwise
 * (副作用, クーポン券, shot) is no verb. */
static int ends_in_hiragana(const struct syn_pair *p)
{
	const unsigned char *last = (const unsigned char *)p->variant + p->vlen - (p->vlen >= 3 ? 3 : p->vlen);
	return p->vlen >= 3 && last[0] == 0xe3 && (last[1] == 0x81 || (last[1] == 0x82 && last[2] <= 0x9f));
}

/* A variant with a verb's or adjective's endings that is not its group's
 * canonical word: read for its lemma. The other pairs of its group are the
 * spellings it may be one of. */
static int inflected(const struct syn_pair *p)
{
	return ends_in_hiragana(p) && strcmp(p->variant, p->canonical);
}

/* "canonical<TAB>reading" of pair p into *key (malloc'd; NULL when its
 * reading is empty or too long to compare): the normalised words hold no
 * tab. MG_OK or MG_ERR_NOMEM. */
static int spelling_key(struct nlp_analyser *an, const struct syn_pair *p, char **key)
{
	char r[4 * NLP_MAX_COMPOUND_BYTES];
	*key = NULL;
	if (!reading_of(an, p->variant, p->vlen, r, sizeof r) || !*r)
		return MG_OK;
	size_t cl = strlen(p->canonical), rl = strlen(r);
	if (!(*key = malloc(cl + rl + 2)))
		return MG_ERR_NOMEM;
	memcpy(*key, p->canonical, cl);
	(*key)[cl] = '\t';
	memcpy(*key + cl + 1, r, rl + 1);
	return MG_OK;
}

/* The length of lemma's verb, its direction left out (越す+くる: 越す). */
static size_t lemma_base(const char *lemma)
{
	const char *sep = strstr(lemma, NLP_DIRECTION_SEP);
	return sep ? (size_t)(sep - lemma) : strlen(lemma);
}

/* A direction stays in the key only for a verb that is the tail of
 * another verb of its group (越す of 引っ越す, 越してきた beside
 * 引っ越してきた): clipped, it is another word without the direction
 * (年を越す). 引っ越す itself meets 転入 in any inflection, as before. The
 * tails of the verbs of every group that has a direction go in a set
 * ("canonical<TAB>tail", each key once in one block), so that a long list
 * costs linear time, not a walk of the group's verbs for each. MG_OK,
 * MG_ERR_NOMEM or MG_ERR_INTERNAL (syn_set_add; v unchanged). */
static int keep_clipped_directions(struct syn_lemma *v, size_t n)
{
	struct syn_set directed = {0}, tails = {0};
	size_t bytes = 0;
	int rc = MG_OK;
	for (size_t k = 0; k < n && rc == MG_OK; k++)
		if (strstr(v[k].lemma, NLP_DIRECTION_SEP)) {
			rc = syn_set_add(&directed, v[k].canonical);
			bytes += strlen(v[k].canonical) + lemma_base(v[k].lemma) + 2;
		}
	/* every tail of a verb, at a character: a verb's lemma is UTF-8 */
	for (size_t m = 0; m < n && rc == MG_OK; m++) {
		size_t olen = lemma_base(v[m].lemma);
		if (syn_set_has(&directed, v[m].canonical))
			for (size_t at = 1; at < olen; at++)
				if (((unsigned char)v[m].lemma[at] & 0xc0) != 0x80)
					bytes += strlen(v[m].canonical) + olen - at + 2;
	}
	char *block = rc == MG_OK && directed.n ? malloc(bytes) : NULL, *next = block;
	if (directed.n && !block)
		rc = MG_ERR_NOMEM;
	for (size_t m = 0; m < n && rc == MG_OK && block; m++) {
		size_t olen = lemma_base(v[m].lemma), cl = strlen(v[m].canonical);
		if (!syn_set_has(&directed, v[m].canonical))
			continue;
		for (size_t at = 1; at < olen && rc == MG_OK; at++) {
			if (((unsigned char)v[m].lemma[at] & 0xc0) == 0x80)
				continue;
			memcpy(next, v[m].canonical, cl);
			next[cl] = '\t';
			memcpy(next + cl + 1, v[m].lemma + at, olen - at);
			next[cl + 1 + olen - at] = 0;
			rc = syn_set_add(&tails, next);
			next += cl + olen - at + 2;
		}
	}
	/* the verbs with a direction, looked up last: none is dropped before all are seen */
	unsigned char *clipped = rc == MG_OK && directed.n ? calloc(n, 1) : NULL;
	if (directed.n && !clipped)
		rc = MG_ERR_NOMEM;
	for (size_t k = 0; k < n && rc == MG_OK && clipped; k++) {
		if (!strstr(v[k].lemma, NLP_DIRECTION_SEP))
			continue;
		size_t blen = lemma_base(v[k].lemma), cl = strlen(v[k].canonical);
		memcpy(next, v[k].canonical, cl);
		next[cl] = '\t';
		memcpy(next + cl + 1, v[k].lemma, blen);
		next[cl + 1 + blen] = 0;
		clipped[k] = syn_set_has(&tails, next);
		next += cl + blen + 2;
	}
	for (size_t k = 0; k < n && rc == MG_OK; k++) {
		char *sep = strstr(v[k].lemma, NLP_DIRECTION_SEP);
		if (sep && !clipped[k])
			*sep = 0;
	}
	free(clipped);
	free(block);
	free(directed.slot);
	free(tails.slot);
	return rc;
}

int nlp_synonyms_lemmatise(struct nlp_synonyms *syn, struct nlp_analyser *an, char *err)
{
	for (size_t i = 0; i < syn->nlemmas; i++)
		free(syn->lemmas[i].lemma);
	free(syn->lemmas);
	syn->lemmas = NULL;
	syn->nlemmas = 0;
	/* v[i]: pair i's lemma, when its variant is one verb or adjective */
	struct syn_lemma *v = syn->n ? calloc(syn->n, sizeof *v) : NULL;
	char **key = syn->n ? calloc(syn->n, sizeof *key) : NULL;
	struct syn_set groups = {0}, spellings = {0};
	if (syn->n && (!v || !key)) {
		free(v);
		free(key);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	int rc = MG_OK;
	for (size_t i = 0; rc == MG_OK && i < syn->n; i++) {
		const struct syn_pair *p = &syn->pairs[i];
		char lemma[NLP_MAX_COMPOUND_BYTES];
		if (!inflected(p) || !variant_lemma(an, p->variant, p->vlen, lemma, sizeof lemma))
			continue;
		v[i].canonical = p->canonical;
		if (!(v[i].lemma = strdup(lemma)))
			rc = MG_ERR_NOMEM;
		else
			rc = syn_set_add(&groups, p->canonical);
	}
	/* A kana spelling of a word of its group (よやく of 予約, ねだん of 値段
	 * under 費用) is a noun MeCab took for a verb (やく, ねだる), for which
	 * the rewrite is all it needs: it reads as one of the group's other
	 * spellings. The group's verbs are not compared (なくした is not a
	 * spelling of 無くした). */
	for (size_t j = 0; rc == MG_OK && j < syn->n; j++) {
		const struct syn_pair *q = &syn->pairs[j];
		if (inflected(q) || !syn_set_has(&groups, q->canonical))
			continue;
		rc = spelling_key(an, q, &key[j]);
		if (rc == MG_OK && key[j])
			rc = syn_set_add(&spellings, key[j]);
	}
	size_t n = 0;
	for (size_t i = 0; rc == MG_OK && i < syn->n; i++) {
		if (!v[i].lemma)
			continue;
		rc = spelling_key(an, &syn->pairs[i], &key[i]);
		if (rc == MG_OK && key[i] && syn_set_has(&spellings, key[i])) {
			free(v[i].lemma);
			v[i].lemma = NULL;
		}
	}
	for (size_t i = 0; i < syn->n; i++) {
		free(key[i]);
		if (v[i].lemma && rc == MG_OK)
			v[n++] = v[i];
		else
			free(v[i].lemma);
	}
	free(key);
	free(groups.slot);
	free(spellings.slot);
	if (rc != MG_OK) {
		free(v);
		return syn_set_fail(err, rc);
	}
	if ((rc = keep_clipped_directions(v, n)) != MG_OK) {
		for (size_t k = 0; k < n; k++)
			free(v[k].lemma);
		free(v);
		return syn_set_fail(err, rc);
	}
	/* a lemma two canonical words claim is left to neither */
	if (n)  /* an empty list has no array */
		qsort(v, n, sizeof *v, lemma_cmp);
	size_t w = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1, clash = 0;
		while (j < n && !strcmp(v[j].lemma, v[i].lemma)) {
			clash |= strcmp(v[j].canonical, v[i].canonical) != 0;
			j++;
		}
		for (size_t k = i + 1; k < j; k++)
			free(v[k].lemma);
		if (clash)
			free(v[i].lemma);
		else
			v[w++] = v[i];
		i = j;
	}
	syn->lemmas = v;
	syn->nlemmas = w;
	/* The list is complete: sorted now, it is only read from here on, and
	 * may be shared by every thread (kb/model.c). */
	if (!syn->sorted)
		synonyms_sort(syn);
	return MG_OK;
}

const mecab_node_t *nlp_parse_nodes(struct nlp_analyser *an, const char *text, size_t len, char *err)
{
	mecab_lattice_set_sentence2(an->lattice, text, len);
	if (!mecab_parse_lattice(an->tagger, an->lattice)) {
		mg_fail(err, MG_ERR_ANALYSER, "MeCab: %s", mecab_lattice_strerror(an->lattice));
		return NULL;
	}
	return mecab_lattice_get_bos_node(an->lattice);
}
