/* libFuzzer harness for who the client is (widget/client.c): any
 * X-Forwarded-For value, from a trusted proxy or from anyone else, gives an
 * address or none, never a crash or a read past the header. The answer is the
 * peer itself unless the peer is a trusted proxy, and it reads back as itself. */
#include "widget/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct http_proxies proxies;
	if (!proxies.n && (!http_proxies_add(&proxies, "127.0.0.1") || !http_proxies_add(&proxies, "::1")))
		abort();
	if (!size)
		return 0;
	/* The first byte picks the peer: a trusted proxy (v4, v6) or a stranger. */
	struct sockaddr_in v4 = {.sin_family = AF_INET};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
	const struct sockaddr *peer = (const struct sockaddr *)&v4;
	switch (data[0] % 3) {
	case 0: inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr); break;
	case 1: inet_pton(AF_INET6, "::1", &v6.sin6_addr); peer = (const struct sockaddr *)&v6; break;
	default: inet_pton(AF_INET, "203.0.113.5", &v4.sin_addr); break;
	}
	/* The header as MHD hands it over: NUL-terminated, exactly this long. */
	char *header = malloc(size);
	if (!header)
		return 0;
	memcpy(header, data + 1, size - 1);
	header[size - 1] = 0;
	struct http_client me, got, back;
	http_client_of_peer(peer, &me);
	http_client_of(&proxies, peer, header, &got);
	free(header);
	if (got.family != AF_INET && got.family != AF_INET6)
		abort();
	if (got.len != (got.family == AF_INET ? 4u : 16u))
		abort();
	if (!http_client_same(&got, &me) && !http_proxies_has(&proxies, &me))
		abort();  /* a stranger's header was believed */
	char text[INET6_ADDRSTRLEN];
	http_client_text(&got, text, sizeof text);
	if (!http_client_parse(text, &back) || !http_client_same(&back, &got))
		abort();
	return 0;
}
