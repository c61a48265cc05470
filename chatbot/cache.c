/* The decision cache: a question's ranking (the candidates and the figures
 * the confidence is worked out from) and, once the server has printed it,
 * its printed reply, kept for the knowledge base's generation and shared by
 * the server's threads, so that a question asked again (the widget's
 * buttons send the same strings) skips the search and the reply's building
 * and printing. What depends on the clock (whether a line is open now) and
 * the event log's one event per ask stay each ask's own (chatbot/chatbot.c).
 * Bounded in bytes; the least recently used goes.
 * Questions are what anyone sends: they hash under the cache's own random
 * key (nlp/hash.h), so no one can pile them into one chain. */
#include "chatbot/chatbot_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nlp/hash.h"

struct node {
	struct node *chain;        /* the next in the same bucket */
	struct node *newer, *older;  /* the order of use, most recent first */
	uint64_t hash;
	size_t bytes;              /* what this node costs the budget */
	size_t key_len;
	int n;
	struct kb_query_stats qs;
	struct chatbot_reply *reply;  /* held; NULL until an ask printed one */
	char *key;                 /* inside the node's block, after cand */
	struct kb_candidate cand[];
};

struct chatbot_cache {
	pthread_mutex_t lock;
	size_t max_bytes;
	int64_t generation;        /* of every node; -1 before the first */
	struct mg_hash_key key;    /* the questions' hash's, random */
	struct node **bucket;
	size_t nbuckets;           /* a power of two */
	struct node *newest, *oldest;
	struct chatbot_cache_stats stats;
};

/* One bucket per this many bytes of the budget: a node is about 1.4 KB
 * (six candidates of 200 bytes and the question) and 3-4 times that with
 * its printed reply, so chains stay short. */
#define BYTES_PER_BUCKET 1024

int chatbot_cache_new(size_t max_bytes, struct chatbot_cache **out, char *err)
{
	*out = NULL;
	if (!max_bytes)
		max_bytes = POLICY_DECISION_CACHE_BYTES;
	struct chatbot_cache *c = calloc(1, sizeof *c);
	size_t n = 16;
	while (n < max_bytes / BYTES_PER_BUCKET)
		n *= 2;
	if (c)
		c->bucket = calloc(n, sizeof *c->bucket);
	if (!c || !c->bucket || pthread_mutex_init(&c->lock, NULL)) {
		if (c)
			free(c->bucket);
		free(c);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	if (mg_hash_key_new(&c->key) != MG_OK) {
		chatbot_cache_free(c);
		return mg_fail(err, MG_ERR_INTERNAL, "no source of randomness for the cache's key");
	}
	c->nbuckets = n;
	c->max_bytes = max_bytes;
	c->generation = -1;
	*out = c;
	return MG_OK;
}

void chatbot_reply_hold(struct chatbot_reply *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void chatbot_reply_drop(struct chatbot_reply *r)
{
	if (r && atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
		free(r);
}

static void node_free(struct node *p)
{
	chatbot_reply_drop(p->reply);
	free(p);
}

static void drop_all(struct chatbot_cache *c)
{
	for (struct node *p = c->newest, *next; p; p = next) {
		next = p->older;
		node_free(p);
	}
	memset(c->bucket, 0, c->nbuckets * sizeof *c->bucket);
	c->newest = c->oldest = NULL;
	c->stats.entries = 0;
	c->stats.bytes = 0;
}

void chatbot_cache_free(struct chatbot_cache *c)
{
	if (!c)
		return;
	drop_all(c);
	pthread_mutex_destroy(&c->lock);
	free(c->bucket);
	free(c);
}

void chatbot_cache_stats(struct chatbot_cache *c, struct chatbot_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}

static void unlink_use(struct chatbot_cache *c, struct node *p)
{
	if (p->newer)
		p->newer->older = p->older;
	else
		c->newest = p->older;
	if (p->older)
		p->older->newer = p->newer;
	else
		c->oldest = p->newer;
	p->newer = p->older = NULL;
}

static void link_newest(struct chatbot_cache *c, struct node *p)
{
	p->older = c->newest;
	p->newer = NULL;
	if (c->newest)
		c->newest->newer = p;
	c->newest = p;
	if (!c->oldest)
		c->oldest = p;
}

static struct node **slot_of(struct chatbot_cache *c, uint64_t hash, const char *key, size_t len)
{
	struct node **s = &c->bucket[hash & (c->nbuckets - 1)];
	while (*s && !((*s)->hash == hash && (*s)->key_len == len && !memcmp((*s)->key, key, len)))
		s = &(*s)->chain;
	return s;
}

static void evict(struct chatbot_cache *c, struct node *p)
{
	struct node **s = slot_of(c, p->hash, p->key, p->key_len);
	*s = p->chain;
	unlink_use(c, p);
	c->stats.bytes -= p->bytes;
	c->stats.entries--;
	c->stats.evicted++;
	node_free(p);
}

/* A generation other than the nodes' starts the cache afresh when it is
 * newer; an older one (a thread whose read began before an edit) is neither
 * served nor kept. Returns whether gen may use the cache. Under the lock. */
static int same_generation(struct chatbot_cache *c, int64_t gen)
{
	if (gen < 0 || gen < c->generation)
		return 0;
	if (gen > c->generation) {
		if (c->generation >= 0)
			c->stats.forgotten++;
		drop_all(c);
		c->generation = gen;
	}
	return 1;
}

int chatbot_cache_get(struct chatbot_cache *c, int64_t gen, const char *key, size_t len,
		      struct kb_candidate *cand, int max, int *n, struct kb_query_stats *qs,
		      struct chatbot_reply **reply)
{
	uint64_t h = mg_hash_keyed(&c->key, key, len);
	int found = 0;
	if (reply)
		*reply = NULL;
	pthread_mutex_lock(&c->lock);
	if (same_generation(c, gen)) {
		struct node *p = *slot_of(c, h, key, len);
		if (p && p->n <= max) {
			if (reply && p->reply) {
				chatbot_reply_hold(p->reply);
				*reply = p->reply;
			} else {  /* the ranking is only copied to be used */
				memcpy(cand, p->cand, (size_t)p->n * sizeof *cand);
				*n = p->n;
				*qs = p->qs;
			}
			unlink_use(c, p);
			link_newest(c, p);
			found = 1;
		}
	}
	if (found)
		c->stats.hits++;
	else
		c->stats.misses++;
	pthread_mutex_unlock(&c->lock);
	return found;
}

void chatbot_cache_put(struct chatbot_cache *c, int64_t gen, const char *key, size_t len,
		       const struct kb_candidate *cand, int n, const struct kb_query_stats *qs)
{
	size_t bytes = sizeof(struct node) + (size_t)n * sizeof *cand + len;
	if (bytes > c->max_bytes)
		return;
	struct node *p = malloc(bytes);
	if (!p)
		return;  /* the answer went out; only the next ask is slower */
	p->hash = mg_hash_keyed(&c->key, key, len);
	p->bytes = bytes;
	p->key_len = len;
	p->n = n;
	p->qs = *qs;
	p->reply = NULL;
	memcpy(p->cand, cand, (size_t)n * sizeof *cand);
	p->key = (char *)(p->cand + n);
	memcpy(p->key, key, len);
	pthread_mutex_lock(&c->lock);
	struct node **s = NULL;
	if (same_generation(c, gen)) {
		s = slot_of(c, p->hash, key, len);
		if (*s)
			s = NULL;  /* another thread kept the same question first */
	}
	if (s) {
		p->chain = NULL;
		*s = p;
		link_newest(c, p);
		c->stats.bytes += bytes;
		c->stats.entries++;
		while (c->stats.bytes > c->max_bytes && c->oldest != p)
			evict(c, c->oldest);
		p = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	free(p);
}

void chatbot_cache_put_reply(struct chatbot_cache *c, int64_t gen, const char *key, size_t len,
			     struct chatbot_reply *reply)
{
	uint64_t h = mg_hash_keyed(&c->key, key, len);
	pthread_mutex_lock(&c->lock);
	struct node *p = same_generation(c, gen) ? *slot_of(c, h, key, len) : NULL;
	if (p && !p->reply && p->bytes + reply->bytes <= c->max_bytes) {
		chatbot_reply_hold(reply);
		p->reply = reply;
		p->bytes += reply->bytes;
		c->stats.bytes += reply->bytes;
		unlink_use(c, p);
		link_newest(c, p);
		while (c->stats.bytes > c->max_bytes && c->oldest != p)
			evict(c, c->oldest);
	}
	pthread_mutex_unlock(&c->lock);
}
