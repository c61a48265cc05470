/* Per-client rate limiting: a token bucket per client address, in memory,
 * bounded (HTTP_RATE_SLOTS buckets) and shared by the worker threads. */
#ifndef HTTP_RATE_H
#define HTTP_RATE_H

#include <stddef.h>

struct http_rate;

/* burst tokens at most, refilled at per_second (less than one: a token
 * every 1/per_second seconds); the addresses' slots are chosen under a key
 * of its own, random. Returns NULL when out of memory. */
struct http_rate *http_rate_new(int burst, double per_second);
void http_rate_free(struct http_rate *rl);
/* Takes one token for the client whose address is the len bytes at addr
 * (the raw IPv4 or IPv6 address) at time now_ms. Returns 1 when the request
 * may go ahead, 0 when the client must wait. Thread-safe. */
int http_rate_take(struct http_rate *rl, const void *addr, size_t len, long long now_ms);
/* The bucket the address takes its tokens from (0 to HTTP_RATE_SLOTS - 1):
 * two addresses share one when these are equal. For the tests. */
size_t http_rate_slot(const struct http_rate *rl, const void *addr, size_t len);

#endif
