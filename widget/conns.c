/* The open connections per peer and their request deadlines (see conns.h).
 * A plain array scanned under one mutex: at most HTTP_CONNECTION_LIMIT
 * entries, a few microseconds per accepted connection. */
#include "widget/conns.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

struct conn {
	struct http_client peer;
	int fd;              /* -1: the slot is free */
	long long since;     /* when the request now arriving began */
	int arriving;        /* 1 while a request is on its way in */
};

struct http_conns {
	pthread_mutex_t lock;
	int per_peer;
	long long deadline_ms;
	int n;
	struct conn slot[];
};

struct http_conns *http_conns_new(int per_peer, long long deadline_ms, int slots)
{
	if (slots <= 0)
		return NULL;
	struct http_conns *c = calloc(1, sizeof *c + (size_t)slots * sizeof c->slot[0]);
	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL)) {
		free(c);
		return NULL;
	}
	c->per_peer = per_peer;
	c->deadline_ms = deadline_ms;
	c->n = slots;
	for (int i = 0; i < slots; i++)
		c->slot[i].fd = -1;
	return c;
}

void http_conns_free(struct http_conns *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* 1 when peer's connections are counted: not when there is no limit, the
 * address is unknown, or peer is a trusted proxy (the town's reverse proxy
 * speaks for every resident). */
static int limited(const struct http_conns *c, const struct http_client *peer,
		   const struct http_proxies *trusted)
{
	return c->per_peer > 0 && peer->family && !http_proxies_has(trusted, peer);
}

/* The connections peer holds, counted up to its share; c->lock held. */
static int held_by(const struct http_conns *c, const struct http_client *peer)
{
	int held = 0;
	for (int i = 0; i < c->n && held < c->per_peer; i++)
		held += c->slot[i].fd >= 0 && http_client_same(&c->slot[i].peer, peer);
	return held;
}

int http_conns_admit(struct http_conns *c, const struct http_client *peer,
		     const struct http_proxies *trusted)
{
	if (!c || !limited(c, peer, trusted))
		return 1;
	pthread_mutex_lock(&c->lock);
	int room = held_by(c, peer) < c->per_peer;
	pthread_mutex_unlock(&c->lock);
	return room;
}

/* The share is counted again here, under the lock that records the
 * connection: http_conns_admit runs on whichever of MHD's worker threads
 * accepted the socket, and two of them can each admit an address that
 * holds one place short of its share before either records its connection
 * (in 3 of 26 runs of attack.slow_connections_from_one_address_leave_the_others_answered
 * the address held 65 of its 64; with this count, 3 of 20 runs refused one
 * here and every run held 64, 2026-12-01). */
int http_conns_open(struct http_conns *c, const struct http_client *peer,
		    const struct http_proxies *trusted, int fd, long long now)
{
	if (!c || fd < 0)
		return HTTP_CONNS_UNTRACKED;
	int at = HTTP_CONNS_UNTRACKED;
	pthread_mutex_lock(&c->lock);
	if (limited(c, peer, trusted) && held_by(c, peer) >= c->per_peer) {
		at = HTTP_CONNS_REFUSED;
	} else {
		for (int i = 0; i < c->n && at < 0; i++)
			if (c->slot[i].fd < 0)
				at = i;
		if (at >= 0)
			c->slot[at] = (struct conn){.peer = *peer, .fd = fd, .since = now, .arriving = 1};
	}
	pthread_mutex_unlock(&c->lock);
	/* shutdown, not close, as in http_conns_reap: the descriptor is MHD's,
	 * which closes the connection as it would one whose client hung up. */
	if (at == HTTP_CONNS_REFUSED)
		shutdown(fd, SHUT_RDWR);
	return at;
}

void http_conns_arrived(struct http_conns *c, int slot)
{
	if (!c || slot < 0 || slot >= c->n)
		return;
	pthread_mutex_lock(&c->lock);
	c->slot[slot].arriving = 0;
	pthread_mutex_unlock(&c->lock);
}

void http_conns_next(struct http_conns *c, int slot, long long now)
{
	if (!c || slot < 0 || slot >= c->n)
		return;
	pthread_mutex_lock(&c->lock);
	c->slot[slot].arriving = 1;
	c->slot[slot].since = now;
	pthread_mutex_unlock(&c->lock);
}

void http_conns_close(struct http_conns *c, int slot)
{
	if (!c || slot < 0 || slot >= c->n)
		return;
	pthread_mutex_lock(&c->lock);
	c->slot[slot].fd = -1;
	pthread_mutex_unlock(&c->lock);
}

int http_conns_reap(struct http_conns *c, long long now)
{
	if (!c || c->deadline_ms <= 0)
		return 0;
	int cut = 0;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->n; i++) {
		struct conn *k = &c->slot[i];
		if (k->fd >= 0 && k->arriving && now - k->since > c->deadline_ms) {
			/* shutdown, not close: the descriptor stays MHD's until it
			 * closes it, so it cannot be reused under MHD's feet. */
			shutdown(k->fd, SHUT_RDWR);
			k->arriving = 0;
			cut++;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return cut;
}
