/* libFuzzer harness for the client's address behind a trusted proxy
 * (widget/client.c, X-Forwarded-For): any header gives an address (the
 * peer's or one the header names), never a crash or a read past it.
 * Input: the header's bytes (a NUL ends it). */
#include "widget/client.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct http_proxies proxies;
	if (!proxies.n && (!http_proxies_add(&proxies, "127.0.0.1") || !http_proxies_add(&proxies, "::1") ||
			   !http_proxies_add(&proxies, "10.0.0.2")))
		abort();
	char *header = malloc(size + 1);
	if (!header)
		abort();
	memcpy(header, data, size);
	header[size] = 0;
	struct sockaddr_in peer = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &peer.sin_addr);
	struct http_client c;
	http_client_of(&proxies, (const struct sockaddr *)&peer, header, &c);
	char text[64];
	http_client_text(&c, text, sizeof text);
	/* The answer is an address, told and read back the same. */
	struct http_client again;
	if (!c.family || !http_client_parse(text, &again) || again.family != c.family || again.len != c.len ||
	    memcmp(again.addr, c.addr, c.len))
		abort();
	free(header);
	return 0;
}
