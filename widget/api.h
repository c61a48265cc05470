/* The contract between the server (widget/http.c) and the JSON routes: a route
 * is a method, a path and a handler that returns an HTTP status and a JSON
 * body. The FAQ routes live in widget/api.c; other folders' web routes (the
 * booking flow, the staff console) add their lines to http_routes there. */
#ifndef HTTP_API_H
#define HTTP_API_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <time.h>

#include "chatbot/chatbot.h"
#include "nlp/mg.h"

struct http_server;
struct http_client;
struct http_kept;
struct MHD_Connection;

/* One request as a handler sees it. Everything is borrowed for the call. */
struct http_call {
	struct http_server *srv;
	/* The connection, read for headers, cookies and query arguments; NULL
	 * for staff work on the pool, which reads its own copy of them (kept). */
	struct MHD_Connection *conn;
	const struct http_kept *kept;
	const char *path;   /* the URL path, e.g. "/api/v1/entries/101" */
	const char *rest;   /* for prefix routes: what follows the prefix */
	const struct http_client *client;  /* who sent it (widget/client.h), decided once */
	json_t *body;       /* POST: the parsed JSON body (an object); else NULL */
	char msg[MG_ERR_LEN];  /* the message of an error status, for the resident */
	/* Fields added to the error object of a 4xx reply beside status and
	 * message (a refusal's reason, for the widget to word); taken by the
	 * server, dropped with any other status. */
	json_t *detail;
	/* Seconds for a Retry-After header on an error reply (0: none), set by
	 * http_fail_rc from the code's entry in the status map. */
	int retry_s;
	/* Set by a handler, sent with a 2xx reply: a Set-Cookie header value... */
	char set_cookie[256];
	/* ...and instead of the JSON body, a text printed already: raw
	 * (malloc'd, taken by the server) of raw_type, a download saved by the
	 * browser as raw_name when that is set. */
	char *raw;
	size_t raw_len;
	const char *raw_type, *raw_name;
};

/* Returns the HTTP status. On 2xx *out is a new JSON value (the call's
 * owner decrefs it); otherwise call->msg says what was wrong. */
typedef int (*http_handler)(struct http_call *call, json_t **out);

/* What the server does around a route's handler (struct http_route's traits). */
enum http_trait {
	/* Slow staff work (a re-index, an import, an eval):
	 * runs on the staff-work pool (widget/pool.h), never on the worker that
	 * read the request, whose connection waits suspended meanwhile. Up to
	 * HTTP_STAFF_WAITING wait for the pool's HTTP_STAFF_THREADS; one more
	 * gets 503 (reason staff_busy) with Retry-After HTTP_STAFF_WORK_RETRY_S
	 * at once. */
	HTTP_STAFF_WORK = 1,
	/* Checks a password: HTTP_LOGIN_BURST tries per client, then one per
	 * HTTP_LOGIN_RETRY_S (429 with that Retry-After), refused before the
	 * body is read. Its hash runs on the hashing thread (HTTP_HASH_THREADS),
	 * never behind an import, in a lane of its own (HTTP_LOGINS_WAITING;
	 * then 503, reason busy, Retry-After HTTP_BUSY_RETRY_S), so that log-ins, which anyone may send, never take
	 * the places of an editor's work. */
	HTTP_PASSWORD = 2,
	/* Hashes a password (an account added, a password set): like
	 * HTTP_PASSWORD's hash, on the hashing thread (HTTP_HASH_THREADS), in
	 * a lane of its own (HTTP_STAFF_WAITING; then 503, reason staff_busy),
	 * so that one 64 MiB hash runs at a time and none waits behind an
	 * import. */
	HTTP_HASHES = 4,
};

struct http_route {
	const char *method;  /* "GET" (also answers HEAD) or "POST" */
	const char *path;    /* exact path, or a prefix when it ends in '/' */
	http_handler fn;
	unsigned traits;     /* enum http_trait, or'ed; 0: none */
};

/* NULL-ended, in widget/api.c. */
extern const struct http_route http_routes[];
/* The staff console's routes, NULL-ended, in widget/routes_admin.c; those
 * of the second table take bodies up to HTTP_UPLOAD_MAX (CSV, eval sets). */
extern const struct http_route http_admin_routes[], http_admin_uploads[];

/* This worker thread's chatbot, opened on first use; NULL when it cannot be
 * opened (call->msg then says why and the handler returns 500). */
struct chatbot *http_call_bot(struct http_call *call);
/* This thread's connection for the staff tables (accounts, sessions, the
 * audit log): on the hashing thread a connection with those tables alone
 * (staff_open), opened on first use, elsewhere the chatbot's. NULL when it
 * cannot be opened (call->msg says why; the handler returns 500). */
sqlite3 *http_call_staff_db(struct http_call *call);
const struct town *http_call_town(const struct http_call *call);
/* The server's event log writer (chatbot/events.h), for events logged
 * outside the engine and for flushing before the log is read. */
struct events_writer *http_call_events(const struct http_call *call);
struct nlp_model *http_call_model(const struct http_call *call);
/* The time the residents' routes go by: the real clock, or the one set
 * with serve --clock (opening hours, booking rules). */
time_t http_call_now(const struct http_call *call);
/* The server's options (cookie_secure, eval_set...). */
const struct http_opts *http_call_opts(const struct http_call *call);
/* A request header (name case-insensitive) or a cookie sent by the browser, or NULL. */
const char *http_call_header(const struct http_call *call, const char *name);
const char *http_call_cookie(const struct http_call *call, const char *name);
/* A query-string argument, URL-decoded, or NULL. */
const char *http_call_arg(const struct http_call *call, const char *name);
/* The database path the server was started with (for modules that open
 * their own per-thread connection, like the booking flow). */
const char *http_call_db(const struct http_call *call);
/* The client's IP address as text into out (INET6_ADDRSTRLEN bytes is
 * enough); "" when unknown. */
void http_call_client(const struct http_call *call, char *out, size_t size);
/* Fills call->msg and returns status, so that a handler can
 * `return http_fail(call, 400, "...")`. */
int http_fail(struct http_call *call, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The body's string key, an uploaded file as base64 (so that a CP932 CSV
 * arrives byte for byte), decoded into *data (malloc'd, the caller frees) of
 * *len bytes. Returns 0, or the status (400: missing or not base64; 500)
 * with call->msg filled and *data NULL. */
int http_body_base64(struct http_call *call, const char *key, char **data, size_t *len);
/* The one map from the error enum to HTTP (widget/http.c): bad input 400,
 * not logged in 401, not allowed 403, missing 404, conflict 409, rate 429,
 * busy or full disk 503 (each of these three with its Retry-After), anything
 * else 500. */
int http_status_of(int mg_rc);
/* Fills call->msg with msg (NULL: the code's strerror) and call->retry_s
 * (the Retry-After of the map's entry: rate, busy, full disk), and returns
 * the status: `return http_fail_rc(c, rc, err);` for any error code a
 * handler gets. */
int http_fail_rc(struct http_call *call, int mg_rc, const char *msg);

#endif
