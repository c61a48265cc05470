/* Token buckets in a direct-mapped table: the address hashes to one slot.
 * A slot that holds another address is taken over when its bucket has filled
 * up again (that client has been quiet); otherwise the two addresses share
 * it, which can only make the limit stricter, never looser.
 * The hash is keyed with the table's own random key (nlp/hash.h). With an
 * unkeyed hash (FNV-1a before) anyone could compute which addresses
 * share a slot, and an attacker holding an IPv6 /64 (2^64 addresses to
 * choose from) could keep a chosen client's bucket empty, the town hall's
 * or a care home's, and have its residents refused. */
#include "widget/rate.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nlp/hash.h"
#include "nlp/mg.h"
#include "widget/limits.h"

#define ADDR_MAX 16  /* an IPv6 address */

struct bucket {
	unsigned char addr[ADDR_MAX];
	unsigned char len;
	double tokens;
	long long at_ms;  /* when tokens was last brought up to date */
};

struct http_rate {
	pthread_mutex_t lock;
	struct mg_hash_key key;  /* this table's, random */
	double burst, per_ms;
	struct bucket slots[HTTP_RATE_SLOTS];
};

struct http_rate *http_rate_new(int burst, double per_second)
{
	struct http_rate *rl = calloc(1, sizeof *rl);
	if (!rl || mg_hash_key_new(&rl->key) != MG_OK) {
		free(rl);
		return NULL;
	}
	pthread_mutex_init(&rl->lock, NULL);
	rl->burst = burst;
	rl->per_ms = per_second / 1000.0;
	return rl;
}

void http_rate_free(struct http_rate *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

size_t http_rate_slot(const struct http_rate *rl, const void *addr, size_t len)
{
	if (len > ADDR_MAX)
		len = ADDR_MAX;
	return (size_t)(mg_hash_keyed(&rl->key, addr, len) % HTTP_RATE_SLOTS);
}

static void refill(const struct http_rate *rl, struct bucket *b, long long now_ms)
{
	if (now_ms > b->at_ms) {
		b->tokens += (double)(now_ms - b->at_ms) * rl->per_ms;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
		b->at_ms = now_ms;
	}
}

int http_rate_take(struct http_rate *rl, const void *addr, size_t len, long long now_ms)
{
	if (len > ADDR_MAX)
		len = ADDR_MAX;
	pthread_mutex_lock(&rl->lock);
	struct bucket *b = &rl->slots[http_rate_slot(rl, addr, len)];
	int mine = b->len == len && !memcmp(b->addr, addr, len);
	if (!mine) {
		if (b->len)
			refill(rl, b, now_ms);
		if (!b->len || b->tokens >= rl->burst) {
			memcpy(b->addr, addr, len);
			b->len = (unsigned char)len;
			b->tokens = rl->burst;
			b->at_ms = now_ms;
		}
	}
	refill(rl, b, now_ms);
	int ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
