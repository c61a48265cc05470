/* The server tests' HTTP client (see http_client.h). */
#include "tests/unit/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void tc_resp_free(struct tc_resp *r)
{
	free(r->head);
	json_decref(r->json);
	*r = (struct tc_resp){0};
}

long long tc_ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tc_connect_from(const char *from, unsigned port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in src = {.sin_family = AF_INET};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (inet_pton(AF_INET, from, &src.sin_addr) != 1 || bind(fd, (struct sockaddr *)&src, sizeof src) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		close(fd);
		return -1;
	}
	return fd;
}

int tc_raw(unsigned port, const char *raw, size_t raw_len, struct tc_resp *r)
{
	return tc_raw_from("127.0.0.1", port, raw, raw_len, r);
}

int tc_raw_from(const char *from, unsigned port, const char *raw, size_t raw_len, struct tc_resp *r)
{
	*r = (struct tc_resp){0};
	int fd = tc_connect_from(from, port);
	if (fd < 0)
		return -1;
	for (size_t off = 0; off < raw_len;) {
		ssize_t n = send(fd, raw + off, raw_len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;  /* the server may answer early (413) and stop reading */
		off += (size_t)n;
	}
	char *buf = malloc(TC_REPLY_MAX + 1);
	size_t len = 0;
	ssize_t n;
	while (buf && len < TC_REPLY_MAX && (n = recv(fd, buf + len, TC_REPLY_MAX - len, 0)) > 0)
		len += (size_t)n;
	close(fd);
	if (!buf)
		return -1;
	buf[len] = 0;
	char *sep = strstr(buf, "\r\n\r\n");
	if (!sep || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
		free(buf);
		return -1;
	}
	*sep = 0;
	r->head = buf;
	r->body = sep + 4;
	r->json = json_loads(r->body, 0, NULL);
	return 0;
}

int tc_http(unsigned port, const char *method, const char *path, const char *extra,
	    const char *body, struct tc_resp *r)
{
	char *req = NULL;
	size_t blen = body ? strlen(body) : 0;
	int n = asprintf(&req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s"
			 "Content-Length: %zu\r\n\r\n%s",
			 method, path,
			 body ? "Content-Type: application/json\r\n" : "", extra ? extra : "",
			 blen, body ? body : "");
	if (n < 0)
		return -1;
	int rc = tc_raw(port, req, (size_t)n, r);
	free(req);
	return rc;
}

const char *tc_header(const struct tc_resp *r, const char *name)
{
	static _Thread_local char value[1024];  /* the hammering tests read from many threads */
	size_t n = strlen(name);
	for (const char *line = strstr(r->head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
		const char *h = line + 2;
		if (!strncasecmp(h, name, n) && h[n] == ':') {
			const char *v = h + n + 1;
			while (*v == ' ')
				v++;
			size_t len = strcspn(v, "\r");
			snprintf(value, sizeof value, "%.*s", (int)len, v);
			return value;
		}
	}
	return NULL;
}

int tc_staff(unsigned port, const char *method, const char *path, const char *cookie,
	     const char *csrf, const char *body, struct tc_resp *r)
{
	char *extra = NULL;
	if (asprintf(&extra, "%s%s%s%s%s%s", cookie ? "Cookie: mg_staff=" : "", cookie ? cookie : "",
		     cookie ? "\r\n" : "", csrf ? "X-CSRF-Token: " : "", csrf ? csrf : "",
		     csrf ? "\r\n" : "") < 0)
		return -1;
	int rc = tc_http(port, method, path, extra, body, r);
	free(extra);
	return rc;
}

void tc_staff_cookie(const struct tc_resp *r, char token[TC_STAFF_TOKEN_LEN + 1])
{
	static const char set[] = "\r\nSet-Cookie: mg_staff=";
	token[0] = 0;
	const char *c = r->head ? strstr(r->head, set) : NULL;
	if (c)
		snprintf(token, TC_STAFF_TOKEN_LEN + 1, "%s", c + strlen(set));
}

int tc_staff_login(unsigned port, const char *name, const char *password,
		   char token[TC_STAFF_TOKEN_LEN + 1], char csrf[TC_STAFF_TOKEN_LEN + 1])
{
	json_t *body = json_pack("{s:s, s:s}", "name", name, "password", password);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	struct tc_resp r;
	int rc = text ? tc_staff(port, "POST", "/api/v1/admin/login", NULL, NULL, text, &r) : -1;
	free(text);
	if (rc)
		return -1;
	tc_staff_cookie(&r, token);
	const char *c = json_string_value(json_object_get(r.json, "csrf"));
	snprintf(csrf, TC_STAFF_TOKEN_LEN + 1, "%s", c ? c : "");
	int status = r.status;
	tc_resp_free(&r);
	return status;
}

/* Sends the head of a 4 MB upload (head ends in \r\n\r\n) and no body, then
 * waits up to wait_ms for the server's reply. Returns its status, 0 when the
 * server said nothing (it is waiting for the body), -1 on a socket error. */
int tc_status_before_body(unsigned port, const char *head, int wait_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int status = -1;
	if (!connect(fd, (struct sockaddr *)&sa, sizeof sa) &&
	    send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char buf[256] = "";
		status = 0;
		if (poll(&p, 1, wait_ms) == 1 && recv(fd, buf, sizeof buf - 1, 0) > 0 &&
		    sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
			status = -1;
	}
	close(fd);
	return status;
}
