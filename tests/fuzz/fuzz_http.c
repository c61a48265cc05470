/* libFuzzer harness for the HTTP layer: any bytes, sent as a raw request to
 * the real server on 127.0.0.1, never crash it or leak, a reply is HTTP, and
 * the server still answers /healthz after them. The staff routes' handlers run on the staff-work pool
 * (their headers, cookies and arguments copied into the job), so requests to
 * them take that path: the log-in, the editor's save, an import. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "chatbot/chatbot.h"
#include "widget/http.h"

/* How long a reply is waited for: a log-in's hash is 0.1-0.3 s, the
 * sanitizers make it slower. Once a reply has begun, a pause this long ends
 * it (a kept-alive connection stays open until MHD's idle timeout, even
 * half-closed). */
#define FUZZ_REPLY_MS 3000
#define FUZZ_PAUSE_MS 100
/* /healthz is asked after every this many inputs. */
#define FUZZ_HEALTH_EVERY 64

static struct http_server *srv;
static unsigned port;

static void setup(void)
{
	char err[MG_ERR_LEN];
	static struct nlp_model *model;
	static struct town *town;
	/* Relative to the repository root, where make fuzz runs. */
	static const char db[] = "build/fuzz/fuzz-http.db";
	unlink(db);
	struct http_opts o = {.db = db, .threads = 2, .quiet = 1, .rate_burst = -1};
	if (nlp_model_open(&model, err) || town_load("tests/unit/data/town.json", &town, err) ||
	    http_start(&o, model, town, &srv, err)) {
		fprintf(stderr, "fuzz: %s (run from the repository root)\n", err);
		exit(1);
	}
	port = http_port(srv);
}

static int connect_local(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Sends data, says it is done (half-close) and reads the reply. Returns its
 * first bytes in head (NUL-terminated; "" when none came). */
static void exchange(const unsigned char *data, size_t size, char *head, size_t head_size)
{
	int fd = connect_local();
	if (fd < 0)
		abort();  /* the server no longer accepts */
	for (size_t off = 0; off < size;) {
		ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;  /* the server answered early and closed */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	size_t got = 0;
	head[0] = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, got ? FUZZ_PAUSE_MS : FUZZ_REPLY_MS) != 1)
			break;
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n <= 0)
			break;
		size_t take = got + (size_t)n < head_size - 1 ? (size_t)n : head_size - 1 - got;
		memcpy(head + got, buf, take);
		got += take;
		head[got] = 0;
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static unsigned long runs;
	if (!srv)
		setup();
	char head[64];
	exchange(data, size, head, sizeof head);
	/* A reply, when there is one, is HTTP. */
	if (head[0] && strncmp(head, "HTTP/1.", 7))
		abort();
	if (++runs % FUZZ_HEALTH_EVERY == 0) {
		static const char health[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
		exchange((const unsigned char *)health, sizeof health - 1, head, sizeof head);
		if (strncmp(head, "HTTP/1.1 200", 12))
			abort();
	}
	return 0;
}
