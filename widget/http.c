/* The HTTP transport: libmicrohttpd with a pool of epoll worker threads,
 * request bodies collected under a cap, per-client rate limit, CORS for the
 * configured origins, the security headers, static files, the JSON error
 * shape, slow staff work handed to the staff-work pool (widget/pool.h), a
 * clean shutdown, and the `serve` subcommand. The routes themselves are in
 * widget/api.c. */
#include "widget/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chatbot/events.h"
#include "nlp/buf.h"
#include "nlp/db.h"
#include "nlp/mg.h"
#include "reservation/resv.h"
#include "widget/api.h"
#include "widget/assets.h"
#include "widget/client.h"
#include "widget/conns.h"
#include "widget/pool.h"
#include "widget/rate.h"
#include "widget/routes_admin.h"

#define DEFAULT_LISTEN "127.0.0.1"
#define DEFAULT_PORT 8080

/* The demo page and any page served here: only our own script and style, no
 * inline code, never framed. */
#define CSP_PAGE                                                              \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " \
	"form-action 'self'; frame-ancestors 'none'"
/* Everything else (JSON, script, style) is never a document. */
#define CSP_NONE "default-src 'none'; frame-ancestors 'none'"

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_opts opts;
	struct nlp_model *model;
	const struct town *town;
	struct http_rate *rate;  /* NULL: no limit */
	struct http_rate *login_rate;  /* staff log-in tries per client; NULL: no limit */
	struct http_proxies proxies;  /* whose X-Forwarded-For is believed */
	struct events_writer *events;  /* the one thread that writes the event log */
	struct mg_db_ckpt *ckpt;       /* the one thread that checkpoints the file's WAL */
	struct chatbot_cache *cache;  /* the workers' decision cache; NULL: none */
	struct chatbot *_Atomic probe;  /* opened at start, closed once a worker holds the model */
	pthread_key_t bot_key;   /* this worker thread's struct chatbot */
	pthread_key_t staff_key; /* the hashing thread's connection (staff_open) */
	int key_made, staff_key_made;
	unsigned port;
	atomic_int in_flight;    /* requests between first call and completion */
	struct http_pool *pool;  /* slow staff work, and the workers' model loads */
	struct http_pool *hash_pool;  /* passwords' hashes, one at a time */
	struct http_conns *conns;  /* connections per peer, request deadlines */
	pthread_t reaper;          /* cuts requests past their deadline */
	int reaper_started;
	pthread_mutex_t reaper_lock;
	pthread_cond_t reaper_wake;
	int reaper_stop;           /* under reaper_lock */
};

/* Per-request state, from the first call of the access handler to the
 * completion callback, which frees it. */
struct request {
	struct mg_buf body;  /* its max: the route's body cap (HTTP_BODY_MAX unless it says) */
	int too_big;    /* the body went over its max: drain it, answer 413 */
	int no_memory;  /* the body could not be kept: drain it, answer 503 */
	int started;    /* the access handler has been called (counted in in_flight) */
	int replied;    /* a response was queued on the first call */
	int too_many_args;  /* the query had more than HTTP_QUERY_ARGS_MAX arguments */
	/* Decided once, on the first call: */
	struct http_client client;       /* who sent it */
	const struct http_route *route;  /* its route; NULL: none for this method */
	char allow[64];                  /* no route: the methods its path answers, if any */
	/* Staff work handed to the pool: the pool's until it resumes the
	 * connection, then this request's, which sends its reply and frees it. */
	struct staff_job *job;
};

/* ---- what handlers use (widget/api.h) ---------------------------------- */

int http_fail(struct http_call *call, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(call->msg, sizeof call->msg, fmt, ap);
	va_end(ap);
	return status;
}

int http_body_base64(struct http_call *call, const char *key, char **data, size_t *len)
{
	const char *b64 = json_string_value(json_object_get(call->body, key));
	*data = NULL;
	*len = 0;
	if (!b64)
		return http_fail(call, 400, "%s is required", key);
	size_t b64_len = strlen(b64), cap = b64_len / 4 * 3 + 3;
	char *buf = malloc(cap);
	if (!buf)
		return http_fail(call, 500, "out of memory");
	if (sodium_base642bin((unsigned char *)buf, cap, b64, b64_len, "\r\n", len, NULL,
			      sodium_base64_VARIANT_ORIGINAL)) {
		free(buf);
		*len = 0;
		return http_fail(call, 400, "%s is not base64", key);
	}
	*data = buf;
	return 0;
}

/* The one map from the program's error codes to HTTP, for every route and
 * every refusal the server makes itself: a status and, for a refusal that
 * passes (rate, busy, full disk), the seconds to wait (Retry-After). A code
 * missing here is a server failure (500). */
static const struct {
	int status, retry_s;
} STATUS_OF[MG_ERR_COUNT] = {
	[MG_OK] = {200, 0},
	[MG_ERR_INPUT] = {400, 0},
	[MG_ERR_UTF8] = {400, 0},
	[MG_ERR_TOO_LONG] = {400, 0},
	[MG_ERR_EMPTY] = {400, 0},
	[MG_ERR_AUTH] = {401, 0},
	[MG_ERR_DENIED] = {403, 0},
	[MG_ERR_NOT_FOUND] = {404, 0},
	[MG_ERR_CONFLICT] = {409, 0},
	[MG_ERR_FULL] = {409, 0},
	[MG_ERR_RATE] = {429, HTTP_RATE_RETRY_S},
	[MG_ERR_BUSY] = {503, HTTP_BUSY_RETRY_S},
	[MG_ERR_NOSPACE] = {503, HTTP_NOSPACE_RETRY_S},
};

int http_status_of(int mg_rc)
{
	return mg_rc >= 0 && mg_rc < MG_ERR_COUNT && STATUS_OF[mg_rc].status ? STATUS_OF[mg_rc].status
										: 500;
}

/* Fills call->msg and call->retry_s from the map and returns the status.
 * wait_s: for a refusal that passes, a wait its refuser knows better than the
 * code's own (the log-in bucket refills slower, an import takes seconds);
 * 0 = the map's. */
static int fail_rc(struct http_call *call, int mg_rc, const char *msg, int wait_s)
{
	if (msg != call->msg)  /* the handler may have had the callee write call->msg */
		snprintf(call->msg, sizeof call->msg, "%s", msg ? msg : mg_strerror(mg_rc));
	int status = http_status_of(mg_rc);
	int retry_s = status != 500 ? STATUS_OF[mg_rc].retry_s : 0;
	call->retry_s = retry_s && wait_s > 0 ? wait_s : retry_s;
	return status;
}

int http_fail_rc(struct http_call *call, int mg_rc, const char *msg)
{
	return fail_rc(call, mg_rc, msg, 0);
}

static void bot_destroy(void *bot)
{
	chatbot_close(bot);
}

static void staff_db_destroy(void *db)
{
	sqlite3_close(db);
}

/* 1 on the threads of the pools (set by their jobs): they load a new
 * knowledge base's model themselves; the workers never do (want_model). */
static _Thread_local int on_pool;
/* 1 on the hashing thread (set by its jobs): its routes read and write the
 * staff tables alone (http_call_staff_db). */
static _Thread_local int on_hash;

static void want_model(void *ctx);

/* This thread's chatbot, opened on first use; NULL (err says why) when it
 * cannot be. A worker's hands the loads of new knowledge-base generations
 * to the staff-work pool (kb_set_loader). */
static struct chatbot *thread_bot(struct http_server *srv, char *err)
{
	struct chatbot *bot = pthread_getspecific(srv->bot_key);
	if (bot)
		return bot;
	if (chatbot_open(&bot, srv->opts.db, srv->model, srv->town, err) != MG_OK) {
		if (!srv->opts.quiet)
			fprintf(stderr, "madoguchi: %s: %s\n", srv->opts.db, err);
		return NULL;
	}
	chatbot_set_events(bot, srv->events);
	if (!on_pool)
		kb_set_loader(chatbot_kb(bot), want_model, srv);
	chatbot_set_cache(bot, srv->cache);
	if (pthread_setspecific(srv->bot_key, bot)) {
		chatbot_close(bot);
		mg_fail(err, MG_ERR_NOMEM, "out of memory");
		return NULL;
	}
	chatbot_close(atomic_exchange(&srv->probe, NULL));
	return bot;
}

struct chatbot *http_call_bot(struct http_call *call)
{
	char err[MG_ERR_LEN];
	struct chatbot *bot = thread_bot(call->srv, err);
	if (!bot)
		http_fail(call, 500, "the service is not available");
	return bot;
}

sqlite3 *http_call_staff_db(struct http_call *call)
{
	if (!on_hash) {
		struct chatbot *bot = http_call_bot(call);
		return bot ? kb_db(chatbot_kb(bot)) : NULL;
	}
	/* The hashing thread opens no chatbot: a knowledge base would keep the
	 * model of the generation it met first for the process's life. */
	struct http_server *srv = call->srv;
	sqlite3 *db = pthread_getspecific(srv->staff_key);
	char err[MG_ERR_LEN];
	if (db)
		return db;
	if (staff_open(srv->opts.db, &db, err) != MG_OK) {
		if (!srv->opts.quiet)
			fprintf(stderr, "madoguchi: %s: %s\n", srv->opts.db, err);
	} else if (pthread_setspecific(srv->staff_key, db)) {
		sqlite3_close(db);
		db = NULL;
	}
	if (!db)
		http_fail(call, 500, "the service is not available");
	return db;
}

struct events_writer *http_call_events(const struct http_call *call)
{
	return call->srv->events;
}

const struct town *http_call_town(const struct http_call *call)
{
	return call->srv->town;
}

struct nlp_model *http_call_model(const struct http_call *call)
{
	return call->srv->model;
}

time_t http_call_now(const struct http_call *call)
{
	return time(NULL) + call->srv->opts.clock_offset;
}

const struct http_opts *http_call_opts(const struct http_call *call)
{
	return &call->srv->opts;
}

/* A request's headers, cookies and query arguments, copied for staff work
 * that runs on the pool, away from its connection: MHD's own lists belong
 * to the worker's thread. */
struct http_kept {
	size_t n, cap;
	int failed;  /* out of memory: not all are here */
	struct kept_value {
		enum MHD_ValueKind kind;
		char *key, *value;  /* value NULL: an argument without '=' */
	} *v;
};

static enum MHD_Result keep_value(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct http_kept *k = cls;
	if (!key)
		return MHD_YES;
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 16;
		struct kept_value *v = realloc(k->v, cap * sizeof *v);
		if (!v) {
			k->failed = 1;
			return MHD_NO;
		}
		k->v = v;
		k->cap = cap;
	}
	struct kept_value *e = &k->v[k->n];
	e->kind = kind;
	e->key = strdup(key);
	e->value = value ? strdup(value) : NULL;
	if (!e->key || (value && !e->value)) {
		free(e->key);
		free(e->value);
		k->failed = 1;
		return MHD_NO;
	}
	k->n++;
	return MHD_YES;
}

static void kept_clear(struct http_kept *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].key);
		free(k->v[i].value);
	}
	free(k->v);
	*k = (struct http_kept){0};
}

/* The first value of kind named name, case-insensitive as MHD's own lookup. */
static const char *call_value(const struct http_call *call, enum MHD_ValueKind kind,
			      const char *name)
{
	if (!call->kept)
		return MHD_lookup_connection_value(call->conn, kind, name);
	for (size_t i = 0; i < call->kept->n; i++)
		if (call->kept->v[i].kind == kind && !strcasecmp(call->kept->v[i].key, name))
			return call->kept->v[i].value;
	return NULL;
}

const char *http_call_header(const struct http_call *call, const char *name)
{
	return call_value(call, MHD_HEADER_KIND, name);
}

const char *http_call_cookie(const struct http_call *call, const char *name)
{
	return call_value(call, MHD_COOKIE_KIND, name);
}

const char *http_call_arg(const struct http_call *call, const char *name)
{
	return call_value(call, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_call_db(const struct http_call *call)
{
	return call->srv->opts.db;
}

/* Who sent the request on conn: the one answer every per-client limit and
 * handler uses, decided once per request (struct request's client). */
static void client_of(const struct http_server *srv, struct MHD_Connection *conn,
		      struct http_client *out)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	http_client_of(&srv->proxies, ci ? ci->client_addr : NULL,
		       MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For"), out);
}

void http_call_client(const struct http_call *call, char *out, size_t size)
{
	if (call->client)
		http_client_text(call->client, out, size);
	else
		out[0] = 0;
}

/* ---- responses --------------------------------------------------------- */

static const char *status_text(int status)
{
	switch (status) {
	case 400: return "bad request";
	case 401: return "please log in";
	case 403: return "forbidden";
	case 404: return "not found";
	case 405: return "method not allowed";
	case 409: return "conflict";
	case 413: return "request body too large";
	case 415: return "the body must be application/json";
	case 501: return "not implemented";
	case 429: return "too many requests: please wait a moment";
	case 503: return "the service is not available";
	default: return "internal error";
	}
}

static int origin_allowed(const struct http_server *srv, const char *origin)
{
	for (int i = 0; origin && i < HTTP_CORS_MAX && srv->opts.cors[i]; i++)
		if (!strcmp(srv->opts.cors[i], origin))
			return 1;
	return 0;
}

enum kind { KIND_API, KIND_PAGE, KIND_ASSET };

/* Adds the headers every response carries, then queues it. Takes resp. */
static enum MHD_Result send_response(struct http_server *srv, struct MHD_Connection *conn,
				     int status, struct MHD_Response *resp, enum kind kind)
{
	if (!resp)
		return MHD_NO;
	int ok = 1;
	ok &= MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_YES;
	ok &= MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") == MHD_YES;
	ok &= MHD_add_response_header(resp, "Content-Security-Policy",
				      kind == KIND_PAGE ? CSP_PAGE : CSP_NONE) == MHD_YES;
	if (kind == KIND_PAGE) {
		ok &= MHD_add_response_header(resp, "X-Frame-Options", "DENY") == MHD_YES;
		ok &= MHD_add_response_header(resp, "Cache-Control", "no-cache") == MHD_YES;
	} else if (kind == KIND_ASSET) {
		char cc[64];
		snprintf(cc, sizeof cc, "public, max-age=%d", HTTP_ASSET_MAX_AGE_S);
		ok &= MHD_add_response_header(resp, "Cache-Control", cc) == MHD_YES;
		/* The script and style are loaded by the towns' pages, on other origins. */
		ok &= MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
					      "cross-origin") == MHD_YES;
	} else {
		ok &= MHD_add_response_header(resp, "Cache-Control", "no-store") == MHD_YES;
		const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
		if (srv->opts.cors[0])
			ok &= MHD_add_response_header(resp, "Vary", "Origin") == MHD_YES;
		if (origin_allowed(srv, origin))
			ok &= MHD_add_response_header(resp, "Access-Control-Allow-Origin",
						      origin) == MHD_YES;
	}
	enum MHD_Result r = ok ? MHD_queue_response(conn, (unsigned)status, resp) : MHD_NO;
	MHD_destroy_response(resp);
	return r;
}

/* Takes body (may be NULL for an empty reply). header/value: one more
 * header (Allow on a 405, Retry-After on a 429), or NULL. */
static enum MHD_Result send_json_with(struct http_server *srv, struct MHD_Connection *conn,
				      int status, json_t *body, const char *header, const char *value)
{
	char *text = body ? json_dumps(body, CHATBOT_JSON_FLAGS) : NULL;
	json_decref(body);
	struct MHD_Response *resp;
	if (text)
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	if ((text && MHD_add_response_header(resp, "Content-Type",
					     "application/json; charset=utf-8") != MHD_YES) ||
	    (header && MHD_add_response_header(resp, header, value) != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return send_response(srv, conn, status, resp, KIND_API);
}

static enum MHD_Result send_json(struct http_server *srv, struct MHD_Connection *conn,
				 int status, json_t *body)
{
	return send_json_with(srv, conn, status, body, NULL, NULL);
}

/* {"error": {"status": 404, "message": "...", ...}}: msg NULL or "" = the
 * status's text; detail (taken, may be NULL) adds its fields beside status
 * and message; header/value as for send_json_with. */
static enum MHD_Result send_error_with(struct http_server *srv, struct MHD_Connection *conn,
				       int status, const char *msg, json_t *detail,
				       const char *header, const char *value)
{
	if (!msg || !*msg)
		msg = status_text(status);
	json_t *body = json_pack("{s:{s:i,s:s}}", "error", "status", status, "message", msg);
	if (body && detail)
		json_object_update_missing(json_object_get(body, "error"), detail);
	json_decref(detail);
	if (!body)
		return MHD_NO;
	return send_json_with(srv, conn, status, body, header, value);
}

static enum MHD_Result send_error(struct http_server *srv, struct MHD_Connection *conn,
				  int status, const char *msg)
{
	return send_error_with(srv, conn, status, msg, NULL, NULL, NULL);
}

/* 405 carries the methods that path does answer. */
static enum MHD_Result send_405(struct http_server *srv, struct MHD_Connection *conn,
				const char *allow)
{
	return send_error_with(srv, conn, 405, NULL, NULL, "Allow", allow);
}

/* The error reply of a call, a handler's or the server's own refusal (takes
 * call->detail). A refusal (4xx, or 503: busy, full disk) shows its message
 * and detail, and Retry-After when the map (fail_rc) said when to come back;
 * a server failure shows only the status's words, never its inside. */
static enum MHD_Result send_call_error(struct http_server *srv, struct MHD_Connection *conn,
				       int status, struct http_call *call)
{
	int refusal = (status >= 400 && status < 500) || status == 503;
	json_t *detail = call->detail;
	call->detail = NULL;
	if (!refusal) {
		json_decref(detail);
		detail = NULL;
	}
	char retry[16] = "";
	if (call->retry_s > 0)
		snprintf(retry, sizeof retry, "%d", call->retry_s);
	return send_error_with(srv, conn, status, refusal ? call->msg : NULL, detail,
			       retry[0] ? "Retry-After" : NULL, retry);
}

/* ---- static files ------------------------------------------------------ */

static int accepts_gzip(struct MHD_Connection *conn)
{
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
	return ae && strstr(ae, "gzip");
}

static enum MHD_Result send_asset(struct http_server *srv, struct MHD_Connection *conn,
				  const struct http_asset *a)
{
	struct MHD_Response *resp = NULL;
	int gz = 0;
	if (srv->opts.assets) {
		/* Developing: read the file afresh so that an edit shows on reload. */
		char path[4096], err[MG_ERR_LEN], *data;
		size_t len;
		snprintf(path, sizeof path, "%s/%s", srv->opts.assets, a->file);
		if (mg_read_file(path, HTTP_ASSET_MAX, &data, &len, err) != MG_OK) {
			if (!srv->opts.quiet)
				fprintf(stderr, "madoguchi: %s\n", err);
			return send_error(srv, conn, 404, NULL);
		}
		resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(data);
	} else {
		gz = accepts_gzip(conn);
		size_t len = gz ? (size_t)(a->gz_end - a->gz) : (size_t)(a->data_end - a->data);
		resp = MHD_create_response_from_buffer(len,
						       (void *)(gz ? a->gz : a->data),
						       MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	int ok = MHD_add_response_header(resp, "Content-Type", a->type) == MHD_YES;
	if (!srv->opts.assets)
		ok &= MHD_add_response_header(resp, "Vary", "Accept-Encoding") == MHD_YES;
	if (gz)
		ok &= MHD_add_response_header(resp, "Content-Encoding", "gzip") == MHD_YES;
	if (!ok) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return send_response(srv, conn, 200, resp, a->page ? KIND_PAGE : KIND_ASSET);
}

/* ---- routing ----------------------------------------------------------- */

static int route_matches(const struct http_route *r, const char *path, const char **rest)
{
	size_t n = strlen(r->path);
	if (r->path[n - 1] == '/') {
		if (strncmp(path, r->path, n))
			return 0;
		*rest = path + n;
		return 1;
	}
	*rest = "";
	return !strcmp(path, r->path);
}

static int is_get(const char *method)
{
	return !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
}

/* What a route table asks of a request before its body is read. */
struct route_table {
	const struct http_route *routes;
	size_t body_max;
	/* Refuses the request from its headers alone (0: go on, else the
	 * status, the message in call->msg), so that nobody without a session
	 * can make the server read and parse a large body; NULL: none. */
	int (*before_body)(struct http_call *call);
};

static const struct route_table tables[] = {
	{http_routes, HTTP_BODY_MAX, NULL},
	{http_admin_routes, HTTP_BODY_MAX, NULL},
	{http_admin_uploads, HTTP_UPLOAD_MAX, admin_upload_gate},
	{http_ops_routes, HTTP_BODY_MAX, NULL},
	{http_ops_uploads, HTTP_UPLOAD_MAX, ops_upload_gate},
};

/* The route for method and path; NULL with allow filled when the path exists
 * under other methods (405), NULL with allow empty when it does not (404).
 * *table (may be NULL) gets the route's table. */
static const struct http_route *find_route(const char *method, const char *path,
					   const char **rest, char *allow, size_t allow_size,
					   const struct route_table **table)
{
	allow[0] = 0;
	for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
		for (const struct http_route *r = tables[t].routes; r->method; r++) {
			if (!route_matches(r, path, rest))
				continue;
			if (!strcmp(r->method, method) ||
			    (!strcmp(r->method, "GET") && is_get(method))) {
				if (table)
					*table = &tables[t];
				return r;
			}
			size_t used = strlen(allow);
			snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "",
				 r->method);
		}
	return NULL;
}

static int is_json(const char *content_type)
{
	static const char want[] = "application/json";
	if (!content_type || strncasecmp(content_type, want, sizeof want - 1))
		return 0;
	char next = content_type[sizeof want - 1];
	return next == 0 || next == ';' || next == ' ';
}

/* A reply with what a handler added: a cookie, or a text printed already
 * (the ask's) or a download instead of the JSON body.
 * Takes body and call->raw. */
static enum MHD_Result send_extra(struct http_server *srv, struct MHD_Connection *conn,
				  int status, json_t *body, struct http_call *call)
{
	char *text = call->raw;
	size_t len = call->raw_len;
	if (!text) {
		text = body ? json_dumps(body, CHATBOT_JSON_FLAGS) : NULL;
		len = text ? strlen(text) : 0;
	}
	json_decref(body);
	struct MHD_Response *resp =
		text ? MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE) : NULL;
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	int ok = MHD_add_response_header(resp, "Content-Type",
					 call->raw ? call->raw_type
						   : "application/json; charset=utf-8") == MHD_YES;
	if (call->raw && call->raw_name) {
		char cd[256];
		snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", call->raw_name);
		ok &= MHD_add_response_header(resp, "Content-Disposition", cd) == MHD_YES;
	}
	if (call->set_cookie[0])
		ok &= MHD_add_response_header(resp, "Set-Cookie", call->set_cookie) == MHD_YES;
	if (!ok) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return send_response(srv, conn, status, resp, KIND_API);
}

/* Parses the body of a POST and runs the route's handler: the status, *out
 * as http_handler says. Takes nothing. */
static int call_route(struct http_call *call, const struct http_route *r, const char *body,
		      size_t len, json_t **out)
{
	if (!strcmp(r->method, "POST")) {
		json_error_t jerr;
		call->body = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
		if (!call->body)
			return http_fail(call, 400, "the body is not valid JSON");
		if (!json_is_object(call->body)) {
			json_decref(call->body);
			call->body = NULL;
			return http_fail(call, 400, "the body must be a JSON object");
		}
	}
	int status = r->fn(call, out);
	json_decref(call->body);
	call->body = NULL;
	return status;
}

/* Sends what a handler answered. Takes out, call->detail and call->raw. */
static enum MHD_Result reply(struct http_server *srv, struct MHD_Connection *conn,
			     const struct http_route *r, const char *path, int status, json_t *out,
			     struct http_call *call)
{
	char *raw = call->raw;
	call->raw = NULL;
	if (status < 200 || status >= 300) {
		json_decref(out);
		free(raw);
		if (status >= 500 && !srv->opts.quiet)
			fprintf(stderr, "madoguchi: %s %s: %d %s\n", r->method, path, status, call->msg);
		return send_call_error(srv, conn, status, call);
	}
	json_decref(call->detail);
	call->detail = NULL;
	if (raw || call->set_cookie[0]) {
		call->raw = raw;
		enum MHD_Result rr = send_extra(srv, conn, status, out, call);
		call->raw = NULL;  /* taken by send_extra: the job must not free it again */
		return rr;
	}
	return send_json(srv, conn, status, out);
}

/* ---- slow staff work, on the pool ---------------------------------------- */

/* The lanes of the staff-work pool: an editor's work, and the load of a new
 * knowledge base's model that a worker met (want_model). */
enum { LANE_WORK, LANE_MODEL, WORK_LANES };
/* The lanes of the hashing thread: log-ins, which anyone may send, wait
 * apart from an administrator's account changes (widget/limits.h). */
enum { LANE_LOGINS, LANE_ACCOUNTS, HASH_LANES };

/* A knowledge base's model to load on the pool: a worker met a generation
 * no connection had loaded, and answers from the one before meanwhile. */
struct model_job {
	struct http_pool_job link;  /* first: what the pool sees */
	struct http_server *srv;
};

static void model_job_fn(struct http_pool_job *link, enum http_pool_fate fate)
{
	struct model_job *job = (struct model_job *)link;
	char err[MG_ERR_LEN];
	if (fate == HTTP_POOL_RUN) {
		on_pool = 1;
		/* The generation on disk now, with its side of the dictionary:
		 * the workers take it at their next ask (kb/model.c). */
		struct chatbot *bot = thread_bot(job->srv, err);
		int64_t gen;
		if (bot && (kb_refresh(chatbot_kb(bot), &gen, err) != MG_OK || chatbot_warm(bot, err) != MG_OK) &&
		    !job->srv->opts.quiet)
			fprintf(stderr, "madoguchi: loading the knowledge base: %s\n", err);
	}
	free(job);  /* refused: one waits already, or the server stops */
}

/* kb_set_loader's for the workers' knowledge bases: called on a worker, in
 * the ask that met a new generation; the ask goes on at once. */
static void want_model(void *ctx)
{
	struct http_server *srv = ctx;
	struct model_job *job = calloc(1, sizeof *job);
	if (!job)
		return;  /* the next generation met asks again */
	job->link.fn = model_job_fn;
	job->srv = srv;
	http_pool_submit(srv->pool, &job->link, LANE_MODEL);
}

/* Routes whose work is a password's hash (64 MiB, 0.1-0.3 s): on the
 * hashing thread, never behind an import. */
static int hashes(const struct http_route *r)
{
	return r->traits & (HTTP_PASSWORD | HTTP_HASHES);
}

/* A route marked HTTP_STAFF_WORK or HTTP_PASSWORD, handed to the pool with
 * everything its handler reads, owned: made by the worker from the
 * request, the pool's from http_pool_submit until it resumes the
 * connection, then the request's again (struct request's job), which sends
 * the reply from it and frees it. */
struct staff_job {
	struct http_pool_job link;  /* first: what the pool sees */
	struct MHD_Connection *conn;  /* only to resume it: never read on the pool */
	const struct http_route *route;
	char *path;
	char *body;                 /* taken from the request */
	size_t len;
	struct http_client client;
	struct http_kept kept;
	struct http_call call;      /* the handler's call, and then its answer */
	int status;
	json_t *out;
};

static void job_free(struct staff_job *job)
{
	if (!job)
		return;
	free(job->path);
	free(job->body);
	kept_clear(&job->kept);
	json_decref(job->call.body);
	json_decref(job->call.detail);
	free(job->call.raw);
	json_decref(job->out);
	free(job);
}

/* The answer of staff work the pool did not take: its lane is full, or the
 * server is stopping. 503 with the lane's Retry-After, and a reason the
 * console words, as before the pool (a log-in: "busy", as when a hash ran;
 * other work: "staff_busy"). */
static int staff_refused(struct http_call *call, const struct http_route *r,
			 enum http_pool_fate fate)
{
	int login = r->traits & HTTP_PASSWORD;
	json_decref(call->detail);
	call->detail = json_pack("{s:s}", "reason", login ? "busy" : "staff_busy");
	const char *msg = fate == HTTP_POOL_STOPPING ? "the server is restarting: please try again in a moment"
			  : login ? "other staff are logging in: please try again in a second"
				  : "other staff work is running: please try again in a moment";
	return fail_rc(call, MG_ERR_BUSY, msg, login ? 0 : HTTP_STAFF_WORK_RETRY_S);
}

/* Runs or refuses the job (on a pool thread, or on the refusing thread),
 * then gives the connection back to its worker, which replies (on_request).
 * The job is not touched after the resume: it is the request's again. */
static void job_fn(struct http_pool_job *link, enum http_pool_fate fate)
{
	struct staff_job *job = (struct staff_job *)link;
	if (fate == HTTP_POOL_RUN) {
		on_pool = 1;
		on_hash = hashes(job->route);
		job->status = call_route(&job->call, job->route, job->body, job->len, &job->out);
		/* Work that changed the knowledge base made a new generation of
		 * it: bringing this thread's kb up to it loads the generation's
		 * model (and its side of the dictionary) into the process's cache
		 * now, on the pool, before the reply: the editor is told it is done
		 * when residents get it, and the workers, which answer from the
		 * model before meanwhile, take it at their next ask
		 * (kb_set_loader). */
		struct chatbot *bot = pthread_getspecific(job->call.srv->bot_key);
		char err[MG_ERR_LEN];
		if (bot && !hashes(job->route) && job->status >= 200 && job->status < 300)
			chatbot_warm(bot, err);
	} else {
		job->status = staff_refused(&job->call, job->route, fate);
	}
	MHD_resume_connection(job->conn);
}

/* Hands the request to the pool: the connection is suspended (no reply, no
 * timeout) until job_fn resumes it. */
static enum MHD_Result to_pool(struct http_server *srv, struct MHD_Connection *conn,
			       const struct http_route *r, const char *path, const char *rest,
			       struct request *req)
{
	struct staff_job *job = calloc(1, sizeof *job);
	if (job) {
		job->link.fn = job_fn;
		job->conn = conn;
		job->route = r;
		job->client = req->client;
		job->path = strdup(path);
	}
	unsigned kinds = MHD_HEADER_KIND | MHD_COOKIE_KIND | MHD_GET_ARGUMENT_KIND;
	if (job && job->path)
		MHD_get_connection_values(conn, (enum MHD_ValueKind)kinds, keep_value, &job->kept);
	if (!job || !job->path || job->kept.failed) {
		job_free(job);
		return send_error(srv, conn, 503, NULL);
	}
	job->call = (struct http_call){.srv = srv, .path = job->path, .rest = job->path + (rest - path),
				       .client = &job->client, .kept = &job->kept};
	job->body = mg_buf_take(&req->body, &job->len);
	if (!job->body) {
		job_free(job);
		return send_error(srv, conn, 503, NULL);
	}
	req->job = job;
	/* Suspended before the pool can have it, so that its resume always
	 * finds the connection suspended. */
	MHD_suspend_connection(conn);
	if (hashes(r))
		http_pool_submit(srv->hash_pool, &job->link, r->traits & HTTP_PASSWORD ? LANE_LOGINS : LANE_ACCOUNTS);
	else
		http_pool_submit(srv->pool, &job->link, LANE_WORK);
	return MHD_YES;
}

/* The reply of the request's job, once the pool has resumed its connection. */
static enum MHD_Result job_reply(struct http_server *srv, struct MHD_Connection *conn,
				 struct request *req)
{
	struct staff_job *job = req->job;
	req->job = NULL;
	json_t *out = job->out;
	job->out = NULL;
	enum MHD_Result rr = reply(srv, conn, job->route, job->path, job->status, out, &job->call);
	job_free(job);
	return rr;
}

static enum MHD_Result run_route(struct http_server *srv, struct MHD_Connection *conn,
				 const struct http_route *r, const char *path, const char *rest,
				 struct request *req)
{
	if (r->traits & (HTTP_STAFF_WORK | HTTP_PASSWORD | HTTP_HASHES))
		return to_pool(srv, conn, r, path, rest, req);
	struct http_call call = {.srv = srv, .conn = conn, .path = path, .rest = rest,
				 .client = &req->client};
	json_t *out = NULL;
	int status = call_route(&call, r, req->body.p, req->body.len, &out);
	return reply(srv, conn, r, path, status, out, &call);
}

/* Refuses a request before its body is read: mg_rc's status and Retry-After
 * from the map (wait_s as for fail_rc). */
static enum MHD_Result refuse_early(struct http_server *srv, struct MHD_Connection *conn,
				    struct request *req, int mg_rc, const char *msg, int wait_s)
{
	struct http_call call = {.srv = srv, .conn = conn, .client = &req->client};
	req->replied = 1;
	return send_call_error(srv, conn, fail_rc(&call, mg_rc, msg, wait_s), &call);
}

/* Takes a token of the client's bucket in rate (NULL: no limit). */
static int client_allowed(struct http_rate *rate, const struct http_client *c)
{
	return !rate || !c->family || http_rate_take(rate, c->addr, c->len, mg_now_ms());
}

/* The preflight of a cross-origin POST: only configured origins get the
 * permission headers; the browser refuses the call for anyone else. */
static enum MHD_Result send_preflight(struct http_server *srv, struct MHD_Connection *conn)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	if (!origin_allowed(srv, origin))
		return send_error(srv, conn, 403, "this origin may not call the API");
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	char age[16];
	snprintf(age, sizeof age, "%d", HTTP_CORS_MAX_AGE_S);
	if (MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST") != MHD_YES ||
	    MHD_add_response_header(resp, "Access-Control-Allow-Headers",
				    "Content-Type, Authorization, Idempotency-Key") != MHD_YES ||
	    MHD_add_response_header(resp, "Access-Control-Max-Age", age) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return send_response(srv, conn, 204, resp, KIND_API);
}

/* The first call of a request: everything that can be refused before the body
 * is read is refused here (MHD lets a response be queued only now or once the
 * whole body is in). */
static enum MHD_Result first_call(struct http_server *srv, struct MHD_Connection *conn,
				  const char *url, const char *method, struct request *req)
{
	int api = !strncmp(url, "/api/", 5);
	client_of(srv, conn, &req->client);
	const struct route_table *table = NULL;
	const char *rest;
	req->route = find_route(method, url, &rest, req->allow, sizeof req->allow, &table);
	if (api && !client_allowed(srv->rate, &req->client))
		return refuse_early(srv, conn, req, MG_ERR_RATE, status_text(429), 0);
	/* A route that checks a password: a few tries per client as well (its
	 * bucket refills slower than the API's, and says so). */
	if (req->route && (req->route->traits & HTTP_PASSWORD) &&
	    !client_allowed(srv->login_rate, &req->client))
		return refuse_early(srv, conn, req, MG_ERR_RATE, status_text(429), HTTP_LOGIN_RETRY_S);
	if (req->too_many_args) {
		char msg[64];
		snprintf(msg, sizeof msg, "more than %d query arguments", HTTP_QUERY_ARGS_MAX);
		req->replied = 1;
		return send_error(srv, conn, 400, msg);
	}
	/* A body in a coding MHD does not decode has no end it can find: both
	 * sides would wait for the other until the timeout. */
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (te && strcasecmp(te, "chunked")) {
		req->replied = 1;
		return send_error(srv, conn, 501, "the only transfer coding understood is chunked");
	}
	if (!strcmp(method, MHD_HTTP_METHOD_OPTIONS) && api) {
		req->replied = 1;
		return send_preflight(srv, conn);
	}
	if (!strcmp(method, MHD_HTTP_METHOD_POST)) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (table)
			req->body.max = table->body_max;
		if (req->route && table->before_body) {
			struct http_call call = {.srv = srv, .conn = conn, .path = url, .rest = rest,
						 .client = &req->client};
			int status = table->before_body(&call);
			if (status) {
				req->replied = 1;
				return send_call_error(srv, conn, status, &call);
			}
			json_decref(call.detail);
		}
		if (cl && strtoull(cl, NULL, 10) > req->body.max) {
			req->replied = 1;
			return send_error(srv, conn, 413, NULL);
		}
		const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_TYPE);
		/* Requiring JSON also makes every cross-origin POST preflighted. */
		if (req->route && !is_json(ct)) {
			req->replied = 1;
			return send_error(srv, conn, 415, NULL);
		}
	}
	return MHD_YES;
}

static struct request *new_request(void)
{
	struct request *req = calloc(1, sizeof *req);
	if (req)
		req->body = MG_BUF_INIT(HTTP_BODY_MAX);
	return req;
}

/* MHD calls this with the request's target before it parses the query (in
 * parse_initial_message_line, libmicrohttpd 0.9.75), and what it returns
 * becomes the request's *state. MHD keeps every query argument in the
 * connection's memory pool; when they fill it, MHD queues its own error reply
 * and then overwrites the state that would send it, so the client hears
 * nothing until the timeout. A query of too many arguments is therefore cut
 * here, in MHD's own (writable) request buffer, before MHD stores any of it,
 * and first_call refuses the request in JSON. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	struct request *req = new_request();
	char *query = req && uri ? strchr(uri, '?') : NULL;
	if (query) {
		int args = 1;
		for (const char *c = query + 1; *c; c++)
			args += *c == '&';
		if (args > HTTP_QUERY_ARGS_MAX) {
			req->too_many_args = 1;
			query[1] = 0;
		}
	}
	return req;
}

/* ---- connections: per peer, and the request deadline ------------------- */

/* Refuses a new connection of a peer that holds HTTP_CONNECTIONS_PER_CLIENT
 * already: one address cannot take the HTTP_CONNECTION_LIMIT everybody shares.
 * Each of MHD's worker threads accepts on its own, so two can admit the last
 * place at once; on_connection's http_conns_open, which counts and records
 * under one lock, refuses the one too many. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)addrlen;
	struct http_server *srv = cls;
	struct http_client peer;
	http_client_of_peer(addr, &peer);
	return http_conns_admit(srv->conns, &peer, &srv->proxies) ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ai =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const union MHD_ConnectionInfo *fi =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct http_client peer;
		http_client_of_peer(ai ? ai->client_addr : NULL, &peer);
		int slot = http_conns_open(srv->conns, &peer, &srv->proxies,
					   fi ? fi->connect_fd : -1, mg_now_ms());
		*socket_context = slot >= 0 ? (void *)(intptr_t)(slot + 1) : NULL;
	} else {
		http_conns_close(srv->conns, (int)(intptr_t)*socket_context - 1);
		*socket_context = NULL;
	}
}

/* The connection's slot in srv->conns, or -1. */
static int conn_slot(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? (int)(intptr_t)ci->socket_context - 1 : -1;
}

static void *reaper_run(void *arg)
{
	struct http_server *srv = arg;
	pthread_mutex_lock(&srv->reaper_lock);
	while (!srv->reaper_stop) {
		struct timespec until = mg_deadline_ms(HTTP_REAP_INTERVAL_MS);
		pthread_cond_timedwait(&srv->reaper_wake, &srv->reaper_lock, &until);
		if (!srv->reaper_stop)
			http_conns_reap(srv->conns, mg_now_ms());
	}
	pthread_mutex_unlock(&srv->reaper_lock);
	return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **state)
{
	(void)version;
	struct http_server *srv = cls;
	struct request *req = *state;
	if (!req) {  /* on_uri could not allocate it */
		req = new_request();
		if (!req)
			return MHD_NO;
		*state = req;
	}
	if (!req->started) {
		req->started = 1;
		atomic_fetch_add(&srv->in_flight, 1);
		return first_call(srv, conn, url, method, req);
	}
	if (req->replied) {
		*upload_size = 0;  /* drain whatever the client still sends */
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (req->too_big || req->no_memory)
			return MHD_YES;
		int rc = mg_buf_add(&req->body, upload, n);
		if (rc != MG_OK) {  /* drained from here on, not kept */
			req->too_big = rc == MG_ERR_TOO_LONG;
			req->no_memory = !req->too_big;
			mg_buf_free(&req->body);
		}
		return MHD_YES;
	}
	/* Staff work done on the pool, the connection resumed: its reply. */
	if (req->job)
		return job_reply(srv, conn, req);
	/* The request is in, headers and body: no deadline while it is answered. */
	http_conns_arrived(srv->conns, conn_slot(conn));
	if (req->too_big)
		return send_error(srv, conn, 413, NULL);
	if (req->no_memory)
		return send_error(srv, conn, 503, NULL);

	const char *rest;
	if (req->route && route_matches(req->route, url, &rest))
		return run_route(srv, conn, req->route, url, rest, req);
	if (req->allow[0])
		return send_405(srv, conn, req->allow);
	const struct http_asset *a = http_asset_find(url);
	if (a) {
		if (!is_get(method))
			return send_405(srv, conn, "GET, HEAD");
		return send_asset(srv, conn, a);
	}
	return send_error(srv, conn, 404, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
			 enum MHD_RequestTerminationCode code)
{
	(void)code;
	struct http_server *srv = cls;
	/* Keep-alive: the next request's deadline runs from now. */
	http_conns_next(srv->conns, conn_slot(conn), mg_now_ms());
	struct request *req = *state;
	if (!req)
		return;
	if (req->started)
		atomic_fetch_sub(&srv->in_flight, 1);
	/* A job resumed at the stop, whose reply MHD closed the connection
	 * before sending: the pool has ended, the job is the request's. */
	job_free(req->job);
	mg_buf_free(&req->body);
	free(req);
	*state = NULL;
}

/* ---- start and stop ---------------------------------------------------- */

/* libmicrohttpd's own messages: fmt is its format string. */
__attribute__((format(printf, 2, 0)))
static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	const struct http_server *srv = cls;
	if (srv->opts.quiet)
		return;
	fputs("madoguchi: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static int cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

int http_start(const struct http_opts *opts, struct nlp_model *model,
	       const struct town *town, struct http_server **out, char *err)
{
	*out = NULL;
	if (sodium_init() < 0)
		return mg_fail(err, MG_ERR_INTERNAL, "libsodium cannot start");
	struct http_server *srv = calloc(1, sizeof *srv);
	if (!srv)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	srv->opts = *opts;
	pthread_mutex_init(&srv->reaper_lock, NULL);
	pthread_condattr_t ca;  /* its waits on the monotonic clock (mg_deadline_ms) */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->reaper_wake, &ca);
	pthread_condattr_destroy(&ca);
	srv->model = model;
	srv->town = town;
	if (!srv->opts.listen)
		srv->opts.listen = DEFAULT_LISTEN;
	if (srv->opts.threads <= 0)
		srv->opts.threads = cores();
	int rc = MG_OK;

	/* Opening the database once here creates and fills it before the
	 * workers race to, and a bad path fails at start, not on first ask. */
	struct chatbot *probe = NULL;
	rc = chatbot_open(&probe, srv->opts.db, model, town, err);
	/* The dictionary is read before the server listens, and the probe
	 * holds the model (and its side of the dictionary) until the first
	 * worker has its own reference: the first question loads neither. */
	if (rc == MG_OK)
		rc = chatbot_warm(probe, err);
	/* The staff tables, brought up to date once, before the first log-in. */
	if (rc == MG_OK)
		rc = staff_init(kb_db(chatbot_kb(probe)), err);
	atomic_store(&srv->probe, probe);
	/* The booking tables too, brought up to date before the first booking:
	 * a file whose tables a newer program wrote is refused here, at start. */
	if (rc == MG_OK) {
		struct resv *r = NULL;
		rc = resv_open(&r, srv->opts.db, err);
		resv_close(r);
	}
	/* Before the log's writer, the workers and the pools open their
	 * connections: none of them checkpoints at its commits (nlp/db.h). The
	 * probe's, opened with the file, checkpoints as SQLite does by itself. */
	if (rc == MG_OK)
		rc = mg_db_ckpt_start(srv->opts.db, &srv->ckpt, err);
	if (rc == MG_OK)
		rc = events_writer_start(srv->opts.db, srv->opts.quiet, &srv->events, err);
	if (rc == MG_OK && !srv->opts.no_decision_cache)
		rc = chatbot_cache_new(0, &srv->cache, err);

	for (int i = 0; rc == MG_OK && i < HTTP_PROXIES_MAX && srv->opts.proxies[i]; i++)
		if (!http_proxies_add(&srv->proxies, srv->opts.proxies[i]))
			rc = mg_fail(err, MG_ERR_INPUT, "trusted proxy %s: not an IP address",
				     srv->opts.proxies[i]);
	if (rc == MG_OK && srv->opts.rate_burst >= 0) {
		int burst = srv->opts.rate_burst ? srv->opts.rate_burst : HTTP_RATE_BURST;
		int per_s = srv->opts.rate_per_second ? srv->opts.rate_per_second
						      : HTTP_RATE_PER_SECOND;
		srv->rate = http_rate_new(burst, per_s);
		srv->login_rate = http_rate_new(HTTP_LOGIN_BURST, 1.0 / HTTP_LOGIN_RETRY_S);
		if (!srv->rate || !srv->login_rate)
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	if (rc == MG_OK) {
		int per = srv->opts.connections_per_client ? srv->opts.connections_per_client
							   : HTTP_CONNECTIONS_PER_CLIENT;
		long long deadline = srv->opts.request_deadline_ms ? srv->opts.request_deadline_ms
								   : HTTP_REQUEST_DEADLINE_S * 1000LL;
		srv->conns = http_conns_new(per, deadline, HTTP_CONNECTION_LIMIT + HTTP_CONNECTION_SPARE);
		if (!srv->conns)
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	if (rc == MG_OK) {
		if (pthread_key_create(&srv->bot_key, bot_destroy))
			rc = mg_fail(err, MG_ERR_INTERNAL, "no thread-local key left");
		else
			srv->key_made = 1;
	}
	if (rc == MG_OK) {
		if (pthread_key_create(&srv->staff_key, staff_db_destroy))
			rc = mg_fail(err, MG_ERR_INTERNAL, "no thread-local key left");
		else
			srv->staff_key_made = 1;
	}
	/* After the key: a pool thread opens its chatbot as a worker does, and
	 * closes it as it ends. */
	if (rc == MG_OK) {
		int waiting[WORK_LANES] = {[LANE_WORK] = HTTP_STAFF_WAITING, [LANE_MODEL] = HTTP_MODEL_LOADS_WAITING};
		int hash_waiting[HASH_LANES] = {[LANE_LOGINS] = HTTP_LOGINS_WAITING, [LANE_ACCOUNTS] = HTTP_STAFF_WAITING};
		srv->pool = http_pool_new(HTTP_STAFF_THREADS, WORK_LANES, waiting);
		srv->hash_pool = http_pool_new(HTTP_HASH_THREADS, HASH_LANES, hash_waiting);
		if (!srv->pool || !srv->hash_pool)
			rc = mg_fail(err, MG_ERR_NOMEM, "cannot start the staff-work threads");
	}

	struct sockaddr_in sa4 = {.sin_family = AF_INET};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6};
	const struct sockaddr *sa = (const struct sockaddr *)&sa4;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	if (rc == MG_OK) {
		if (opts->port > 65535) {
			rc = mg_fail(err, MG_ERR_INPUT, "port %u: not a port", opts->port);
		} else if (inet_pton(AF_INET, srv->opts.listen, &sa4.sin_addr) == 1) {
			sa4.sin_port = htons((uint16_t)opts->port);
		} else if (inet_pton(AF_INET6, srv->opts.listen, &sa6.sin6_addr) == 1) {
			sa6.sin6_port = htons((uint16_t)opts->port);
			sa = (const struct sockaddr *)&sa6;
			flags |= MHD_USE_IPv6;
		} else {
			rc = mg_fail(err, MG_ERR_INPUT, "%s: not an IP address", srv->opts.listen);
		}
	}
	/* One thread is the polling thread itself: no pool (MHD warns about a pool of 1). */
	struct MHD_OptionItem pool[] = {
		{srv->opts.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
		 srv->opts.threads, NULL},
		{MHD_OPTION_END, 0, NULL},
	};
	if (rc == MG_OK) {
		srv->daemon = MHD_start_daemon(
			flags, (uint16_t)opts->port, on_accept, srv, on_request, srv,
			MHD_OPTION_EXTERNAL_LOGGER, log_mhd, srv,
			MHD_OPTION_SOCK_ADDR, sa,
			MHD_OPTION_ARRAY, pool,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_S,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
			MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
			MHD_OPTION_END);
		if (!srv->daemon)
			rc = mg_fail(err, MG_ERR_IO, "cannot listen on %s port %u: %s",
				     srv->opts.listen, opts->port, strerror(errno));
	}
	if (rc == MG_OK) {
		if (pthread_create(&srv->reaper, NULL, reaper_run, srv))
			rc = mg_fail(err, MG_ERR_INTERNAL, "cannot start the deadline thread");
		else
			srv->reaper_started = 1;
	}
	if (rc == MG_OK) {
		const union MHD_DaemonInfo *di =
			MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
		srv->port = di ? di->port : opts->port;
		*out = srv;
		return MG_OK;
	}
	http_stop(srv);
	return rc;
}

void http_flush_events(struct http_server *srv)
{
	events_writer_flush(srv->events);
}

unsigned http_port(const struct http_server *srv)
{
	return srv->port;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	/* Before the daemon: the reaper shuts down sockets the daemon owns. */
	if (srv->reaper_started) {
		pthread_mutex_lock(&srv->reaper_lock);
		srv->reaper_stop = 1;
		pthread_cond_signal(&srv->reaper_wake);
		pthread_mutex_unlock(&srv->reaper_lock);
		pthread_join(srv->reaper, NULL);
	}
	if (srv->daemon) {
		MHD_socket listener = MHD_quiesce_daemon(srv->daemon);
		/* Staff work waiting is refused (503: come back), the one running
		 * finishes (it is never cut half-way), and every suspended
		 * connection is resumed: MHD must not stop with one suspended.
		 * Both pools refuse what waits before either is waited for: the
		 * running hash (0.1-0.3 s) must not let the staff pool start a
		 * waiting import meanwhile, nor the reverse. */
		http_pool_refuse(srv->hash_pool);
		http_pool_refuse(srv->pool);
		http_pool_stop(srv->hash_pool);
		http_pool_stop(srv->pool);
		for (long long until = mg_now_ms() + HTTP_DRAIN_MS;
		     atomic_load(&srv->in_flight) > 0 && mg_now_ms() < until;)
			usleep(10 * 1000);
		/* Worker threads exit here; their chatbots close by the key's destructor. */
		MHD_stop_daemon(srv->daemon);
		if (listener != MHD_INVALID_SOCKET)
			close(listener);
	}
	/* After the daemon (a worker may still have been refused by it); the
	 * pool's threads, and their chatbots, are gone before the key. */
	http_pool_free(srv->hash_pool);
	http_pool_free(srv->pool);
	/* After the workers: nothing is queued any more, everything queued is written. */
	events_writer_stop(srv->events);
	chatbot_close(atomic_exchange(&srv->probe, NULL));
	/* The last connection: its close copies the rest of the log (SQLite). */
	if (srv->ckpt && !srv->opts.quiet) {
		struct mg_db_ckpt_stats cs;
		mg_db_ckpt_stats(srv->ckpt, &cs);
		fprintf(stderr, "madoguchi: WAL: %lld checkpoints, %lld of them copied the whole log, "
			"the longest log %lld pages; %lld ms in all, the longest %lld ms; %lld commits waited "
			"for one, %lld ms in all\n", cs.runs, cs.whole, cs.log_max, cs.ms, cs.ms_max, cs.waits,
			cs.waited_ms);
	}
	mg_db_ckpt_stop(srv->ckpt);
	chatbot_cache_free(srv->cache);  /* after every chatbot that borrowed it */
	if (srv->key_made)
		pthread_key_delete(srv->bot_key);
	if (srv->staff_key_made)
		pthread_key_delete(srv->staff_key);
	http_rate_free(srv->rate);
	http_rate_free(srv->login_rate);
	http_conns_free(srv->conns);  /* after the daemon: its last closes report here */
	pthread_mutex_destroy(&srv->reaper_lock);
	pthread_cond_destroy(&srv->reaper_wake);
	free(srv);
}

/* ---- madoguchi serve --------------------------------------------------- */

static void serve_usage(void)
{
	fprintf(stderr,
		"usage: madoguchi [--db PATH] [--config PATH] serve [--listen ADDR] [--port N]\n"
		"       [--threads N] [--assets DIR] [--cors-origin ORIGIN]... [--no-rate-limit]\n"
		"       [--trusted-proxy ADDR]...\n"
		"       [--secure-cookie] [--eval-set FILE.tsv] [--clock \"YYYY-MM-DD HH:MM\"]\n"
		"       [--no-decision-cache]\n"
		"  --trusted-proxy  a reverse proxy whose X-Forwarded-For names the client\n"
		"  --clock  residents' routes run from this time in the town's time zone (demos, tests)\n"
		"  --no-decision-cache  search at every ask, never from a question's kept ranking\n");
}

/* "YYYY-MM-DD HH:MM" in the town's time zone as seconds from the real clock. */
static int clock_offset(const struct town *town, const char *s, long *offset, char *err)
{
	struct tm tm = {.tm_isdst = -1};
	char tail;
	if (sscanf(s, "%d-%d-%d %d:%d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tail) != 5 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59)
		return mg_fail(err, MG_ERR_INPUT, "--clock: \"%s\" is not \"YYYY-MM-DD HH:MM\"", s);
	tm.tm_year -= 1900;
	tm.tm_mon--;
	time_t t = nlp_zone_mktime(town_zone(town), &tm);
	if (t == (time_t)-1)
		return mg_fail(err, MG_ERR_INPUT, "--clock: \"%s\" is not a time", s);
	*offset = (long)(t - time(NULL));
	return MG_OK;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return 0;
	*out = (unsigned)v;
	return 1;
}

int http_cli_serve(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct http_opts opts = {.port = DEFAULT_PORT, .db = ctx->db};
	const char *clock = NULL;
	int ncors = 0, nproxies = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned n;
		if (!strcmp(a, "--no-rate-limit")) {
			opts.rate_burst = -1;
			continue;
		}
		if (!strcmp(a, "--secure-cookie")) {
			opts.cookie_secure = 1;
			continue;
		}
		if (!strcmp(a, "--no-decision-cache")) {
			opts.no_decision_cache = 1;
			continue;
		}
		if (!v) {
			serve_usage();
			return 2;
		}
		i++;
		if (!strcmp(a, "--listen")) {
			opts.listen = v;
		} else if (!strcmp(a, "--port") && parse_uint(v, 65535, &n)) {
			opts.port = n;
		} else if (!strcmp(a, "--threads") && parse_uint(v, 256, &n) && n > 0) {
			opts.threads = (int)n;
		} else if (!strcmp(a, "--eval-set")) {
			opts.eval_set = v;
		} else if (!strcmp(a, "--assets")) {
			opts.assets = v;
		} else if (!strcmp(a, "--clock")) {
			clock = v;
		} else if (!strcmp(a, "--cors-origin") && ncors < HTTP_CORS_MAX - 1) {
			opts.cors[ncors++] = v;
		} else if (!strcmp(a, "--trusted-proxy") && nproxies < HTTP_PROXIES_MAX - 1) {
			opts.proxies[nproxies++] = v;
		} else {
			serve_usage();
			return 2;
		}
	}

	/* Worker threads inherit this mask, so the signals reach sigwait below. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	char err[MG_ERR_LEN];
	struct nlp_model *model = NULL;
	struct town *town = NULL;
	struct http_server *srv = NULL;
	int rc = nlp_model_open(&model, err);
	if (rc == MG_OK)
		rc = town_load(ctx->config, &town, err);
	if (rc == MG_OK && clock)
		rc = clock_offset(town, clock, &opts.clock_offset, err);
	if (rc == MG_OK)
		rc = http_start(&opts, model, town, &srv, err);
	if (rc == MG_OK) {
		const char *host = opts.listen ? opts.listen : DEFAULT_LISTEN;
		int v6 = strchr(host, ':') != NULL;
		printf("listening on http://%s%s%s:%u\n", v6 ? "[" : "", host, v6 ? "]" : "",
		       http_port(srv));
		/* The first administrator is made with `madoguchi user add NAME
		 * --role admin`; this line tells them where to log in. */
		printf("staff console: http://%s%s%s:%u/admin\n", v6 ? "[" : "", host, v6 ? "]" : "",
		       http_port(srv));
		fflush(stdout);
		int sig = 0;
		sigwait(&stop, &sig);
		fprintf(stderr, "madoguchi: %s: finishing requests in flight\n", strsignal(sig));
		http_stop(srv);
	} else {
		fprintf(stderr, "madoguchi serve: %s\n", err);
	}
	town_free(town);
	nlp_model_close(model);
	return rc == MG_OK ? 0 : 1;
}
