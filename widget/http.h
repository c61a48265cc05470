/* The web server: libmicrohttpd with a pool of worker threads, the JSON API
 * under /api/v1, the built-in static files (widget, demo page) and the
 * `madoguchi serve` subcommand. Each worker thread owns its struct chatbot;
 * the model and the town are shared, read-only. */
#ifndef HTTP_H
#define HTTP_H

#include "chatbot/chatbot.h"
#include "chatbot/cli.h"
#include "widget/limits.h"

struct http_server;

struct http_opts {
	const char *listen;       /* IPv4 or IPv6 address; NULL = "127.0.0.1" */
	unsigned port;            /* 0 = any free port (see http_port) */
	int threads;              /* worker threads; 0 = one per core */
	const char *db;           /* database path, opened once per worker thread */
	const char *assets;       /* serve static files from this folder; NULL = built in */
	const char *cors[HTTP_CORS_MAX];  /* origins allowed to call the API, NULL-ended */
	/* Reverse proxies (IP addresses, NULL-ended) whose X-Forwarded-For names
	 * the client for every per-client limit; from anyone else it is ignored. */
	const char *proxies[HTTP_PROXIES_MAX];
	int rate_burst;           /* per-client bucket; 0 = HTTP_RATE_BURST, <0 = no limit */
	int rate_per_second;      /* refill; 0 = HTTP_RATE_PER_SECOND */
	int quiet;                /* 1: no error lines on stderr (tests) */
	int cookie_secure;        /* 1: the staff session cookie is Secure (served behind HTTPS) */
	const char *eval_set;     /* the console's labelled set; NULL = HTTP_EVAL_SET */
	/* The limits below: 0 = widget/limits.h's; tests set other values, and <0
	 * lifts one to measure what it prevents (tests/unit/test_attack.c). */
	int connections_per_client;  /* HTTP_CONNECTIONS_PER_CLIENT */
	long long request_deadline_ms;  /* HTTP_REQUEST_DEADLINE_S */
	long clock_offset;        /* seconds added to the real clock for residents' routes:
				     a demo or browser test at 00:30 (serve --clock); 0 = real */
	int no_decision_cache;    /* 1: every ask searches (serve --no-decision-cache: the bench's
				     questions that never repeat); 0 = the rankings are kept
				     (chatbot/cache.c, POLICY_DECISION_CACHE_BYTES) */
};

/* Starts listening and serving. Borrows model and town (and the strings in
 * opts), which must outlive the server. On failure *out is NULL and err says why. */
int http_start(const struct http_opts *opts, struct nlp_model *model,
	       const struct town *town, struct http_server **out, char *err);
/* Returns once every event the server has logged so far is in the database,
 * for readers on other connections. */
void http_flush_events(struct http_server *srv);
/* The port actually bound (useful after port 0). */
unsigned http_port(const struct http_server *srv);
/* Stops accepting, lets requests in flight finish (up to HTTP_DRAIN_MS),
 * writes every event still queued for the log, then closes everything and
 * frees srv. Accepts NULL. */
void http_stop(struct http_server *srv);

/* `madoguchi serve [--listen ADDR] [--port N] [--assets DIR] [--threads N]
 * [--cors-origin ORIGIN]... [--trusted-proxy ADDR]... [--rate N] [--secure-cookie] [--eval-set FILE]
 * [--clock "YYYY-MM-DD HH:MM"] [--no-decision-cache]`: prints "listening on http://ADDR:PORT"
 * as its first line, serves until SIGINT or SIGTERM. */
int http_cli_serve(const struct cli_ctx *ctx, int argc, char **argv);

#endif
