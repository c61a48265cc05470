/* A minimal HTTP/1.1 client for the server tests: one request per
 * connection (Connection: close), the whole reply read until the server
 * closes. Shared by every test that talks to the real server. */
#ifndef HTTP_CLIENT_H
#define HTTP_CLIENT_H

#include <jansson.h>
#include <stddef.h>

/* The largest reply a test reads whole: an audit CSV at its cap of
 * OPS_AUDIT_CSV_ROWS short records is about 0.6 MB. */
#define TC_REPLY_MAX (4 * 1024 * 1024)

struct tc_resp {
	int status;
	char *head;   /* status line and headers, NUL-terminated; owned */
	char *body;   /* NUL-terminated, inside head's buffer */
	json_t *json; /* the body parsed, or NULL; owned */
};

void tc_resp_free(struct tc_resp *r);
/* Sends raw (a whole request) to 127.0.0.1:port and reads the reply.
 * Returns 0, or -1 when nothing that looks like HTTP came back. */
int tc_raw(unsigned port, const char *raw, size_t raw_len, struct tc_resp *r);
/* The same from the local address from ("127.0.0.2": Linux answers the whole
 * of 127/8 on loopback), as a second client would. */
int tc_raw_from(const char *from, unsigned port, const char *raw, size_t raw_len, struct tc_resp *r);
/* A socket connected from from to 127.0.0.1:port, or -1. */
int tc_connect_from(const char *from, unsigned port);
/* A request with a JSON body (or none); extra is more header lines, each
 * ending in \r\n, or NULL. */
int tc_http(unsigned port, const char *method, const char *path, const char *extra,
	    const char *body, struct tc_resp *r);
/* The value of header name (case-insensitive) in a static buffer, or NULL. */
const char *tc_header(const struct tc_resp *r, const char *name);

/* Sends head (a request's head, ending in \r\n\r\n, announcing a large body)
 * and no body, then waits up to wait_ms for a reply. Returns its status, 0
 * when the server said nothing (it is waiting for the body), -1 on a socket
 * error: how a test sees an upload refused before its body is read. */
int tc_status_before_body(unsigned port, const char *head, int wait_ms);

/* The monotonic clock in milliseconds, for timing a reply. */
long long tc_ms_now(void);

/* ---- the staff console --------------------------------------------------------- */

/* The console's session cookie and CSRF token: 64 hex characters each. */
#define TC_STAFF_TOKEN_LEN 64

/* A request as the console sends it: cookie is a session token or NULL,
 * csrf a token or NULL. */
int tc_staff(unsigned port, const char *method, const char *path, const char *cookie,
	     const char *csrf, const char *body, struct tc_resp *r);
/* The session token of the reply's Set-Cookie into token, or "". */
void tc_staff_cookie(const struct tc_resp *r, char token[TC_STAFF_TOKEN_LEN + 1]);
/* Logs in; token and csrf get the session's. Returns the status, -1 when
 * nothing came back. */
int tc_staff_login(unsigned port, const char *name, const char *password,
		   char token[TC_STAFF_TOKEN_LEN + 1], char csrf[TC_STAFF_TOKEN_LEN + 1]);

#endif
