/* Who the client is: the peer's address, or, when the peer is one of the
 * configured reverse proxies, the last address in X-Forwarded-For that is not
 * one of them. Every per-client limit keys on this, never on the peer alone:
 * behind a proxy every peer is the proxy, and all the town would share one
 * bucket. Knows nothing about MHD: it takes a sockaddr and a header value. */
#ifndef HTTP_CLIENT_ID_H
#define HTTP_CLIENT_ID_H

#include <stddef.h>
#include <sys/socket.h>

#include "widget/limits.h"

struct http_client {
	int family;              /* AF_INET or AF_INET6; 0 = unknown */
	unsigned char addr[16];  /* the raw address, len bytes */
	size_t len;
};

/* The reverse proxies whose X-Forwarded-For is believed. */
struct http_proxies {
	struct http_client list[HTTP_PROXIES_MAX];
	int n;
};

/* 1 when a and b are the same address (an IPv4-mapped IPv6 one is its IPv4). */
int http_client_same(const struct http_client *a, const struct http_client *b);
/* Parses an IPv4 or IPv6 address (an IPv4-mapped IPv6 one as IPv4).
 * Returns 1, or 0 when text is not an address. */
int http_client_parse(const char *text, struct http_client *out);
/* Adds the proxy written as text; 0 when it is not an address or the list is full. */
int http_proxies_add(struct http_proxies *p, const char *text);
/* 1 when c is one of the trusted proxies. */
int http_proxies_has(const struct http_proxies *p, const struct http_client *c);
/* The peer of a socket address as a client (no forwarding looked at). */
void http_client_of_peer(const struct sockaddr *peer, struct http_client *out);
/* The client of a request from peer (NULL: unknown) carrying forwarded_for
 * (the X-Forwarded-For value, or NULL). Forwarded addresses count only when
 * the peer is a trusted proxy; a malformed entry stops the walk there and
 * the last trusted hop is the client. */
void http_client_of(const struct http_proxies *p, const struct sockaddr *peer,
		    const char *forwarded_for, struct http_client *out);
/* The address as text into out ("" when unknown); INET6_ADDRSTRLEN is enough. */
void http_client_text(const struct http_client *c, char *out, size_t size);

#endif
