/* Who the client is (see client.h): the peer, or behind a trusted reverse
 * proxy the nearest forwarded address the proxies did not add themselves. */
#include "widget/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static const unsigned char V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void set_addr(struct http_client *out, int family, const void *addr, size_t len)
{
	if (family == AF_INET6 && !memcmp(addr, V4_MAPPED, sizeof V4_MAPPED)) {
		family = AF_INET;
		addr = (const unsigned char *)addr + sizeof V4_MAPPED;
		len = 4;
	}
	out->family = family;
	out->len = len;
	memcpy(out->addr, addr, len);
}

int http_client_parse(const char *text, struct http_client *out)
{
	unsigned char buf[16];
	*out = (struct http_client){0};
	if (inet_pton(AF_INET, text, buf) == 1)
		set_addr(out, AF_INET, buf, 4);
	else if (inet_pton(AF_INET6, text, buf) == 1)
		set_addr(out, AF_INET6, buf, 16);
	return out->family != 0;
}

int http_proxies_add(struct http_proxies *p, const char *text)
{
	if (p->n >= HTTP_PROXIES_MAX || !http_client_parse(text, &p->list[p->n]))
		return 0;
	p->n++;
	return 1;
}

int http_client_same(const struct http_client *a, const struct http_client *b)
{
	return a->family == b->family && a->len == b->len && !memcmp(a->addr, b->addr, a->len);
}

int http_proxies_has(const struct http_proxies *p, const struct http_client *c)
{
	for (int i = 0; p && i < p->n; i++)
		if (http_client_same(&p->list[i], c))
			return 1;
	return 0;
}

void http_client_of_peer(const struct sockaddr *peer, struct http_client *out)
{
	*out = (struct http_client){0};
	if (peer && peer->sa_family == AF_INET6)
		set_addr(out, AF_INET6, &((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr, 16);
	else if (peer && peer->sa_family == AF_INET)
		set_addr(out, AF_INET, &((const struct sockaddr_in *)(const void *)peer)->sin_addr, 4);
}

void http_client_of(const struct http_proxies *p, const struct sockaddr *peer,
		    const char *forwarded_for, struct http_client *out)
{
	http_client_of_peer(peer, out);
	if (!out->family || !forwarded_for || !http_proxies_has(p, out))
		return;
	/* From the right: each hop appends the address it heard from, so only
	 * the entries added by our own proxies are true; the first one that is
	 * not a proxy is the client. Anything left of it the client wrote. */
	const char *end = forwarded_for + strlen(forwarded_for);
	while (end > forwarded_for && http_proxies_has(p, out)) {
		const char *start = end;
		while (start > forwarded_for && start[-1] != ',')
			start--;
		const char *a = start, *b = end;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		char text[INET6_ADDRSTRLEN];
		struct http_client hop;
		if ((size_t)(b - a) >= sizeof text)
			return;
		memcpy(text, a, (size_t)(b - a));
		text[b - a] = 0;
		if (!http_client_parse(text, &hop))
			return;
		*out = hop;
		end = start > forwarded_for ? start - 1 : start;
	}
}

void http_client_text(const struct http_client *c, char *out, size_t size)
{
	out[0] = 0;
	if (!c->family || !inet_ntop(c->family, c->addr, out, (socklen_t)size))
		out[0] = 0;
}
