/* The open connections: how many each peer holds (so that one address
 * cannot take every connection the server has), and how long each has been
 * sending its request (so that a client dribbling a byte at a time, which
 * resets MHD's idle timer with every byte, is cut off at a deadline). Knows
 * nothing about MHD: http.c reports each connection's life and calls
 * http_conns_reap from its own thread. */
#ifndef HTTP_CONNS_H
#define HTTP_CONNS_H

#include "widget/client.h"

struct http_conns;

/* per_peer: connections one peer may hold (<= 0: no limit); deadline_ms: the
 * longest a request may take to arrive, headers and body (<= 0: none);
 * slots: the most connections open at once. NULL when out of memory. */
struct http_conns *http_conns_new(int per_peer, long long deadline_ms, int slots);
void http_conns_free(struct http_conns *c);
/* 1 when peer may open one more connection; trusted proxies (the town's
 * reverse proxy speaks for every resident) always may. The early refusal,
 * before the server gives the socket any memory; http_conns_open decides. */
int http_conns_admit(struct http_conns *c, const struct http_client *peer,
		     const struct http_proxies *trusted);
/* http_conns_open's answers besides a slot. */
enum {
	HTTP_CONNS_UNTRACKED = -1,  /* every slot is taken: kept, not tracked */
	HTTP_CONNS_REFUSED = -2,    /* peer holds its share: the socket is shut down */
};
/* A connection of peer on socket fd opened at now: its slot (>= 0), whose
 * first request starts arriving now. HTTP_CONNS_REFUSED when peer already
 * holds its share, however many accepts http_conns_admit let through at
 * once: the socket is then shut down, and the server closes it as a client
 * that hung up. HTTP_CONNS_UNTRACKED when every slot is taken. */
int http_conns_open(struct http_conns *c, const struct http_client *peer,
		    const struct http_proxies *trusted, int fd, long long now);
/* The request on slot has arrived whole: no deadline while it is answered. */
void http_conns_arrived(struct http_conns *c, int slot);
/* The reply on slot is done: the next request (keep-alive) starts now. */
void http_conns_next(struct http_conns *c, int slot, long long now);
void http_conns_close(struct http_conns *c, int slot);
/* Shuts down the socket of every connection whose request has been arriving
 * for longer than the deadline (the server then closes it as it would a
 * client that hung up). Returns how many. */
int http_conns_reap(struct http_conns *c, long long now);

#endif
