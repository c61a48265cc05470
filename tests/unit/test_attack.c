/* Attacks on the real server on 127.0.0.1, each asserting what a resident
 * notices: their questions keep being answered within a bound, and nothing
 * written is lost or half-written (issue 11). */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chatbot/staff.h"
#include "tests/unit/http_client.h"
#include "widget/api.h"
#include "widget/http.h"

/* The slowest answer a resident may get while an attack runs: an ask alone
 * takes a few ms (about 100 ms under the sanitizers) on these shared cores. */
#define ATTACK_ASK_MAX_MS 1500

/* MADOGUCHI_ATTACK_NO_LIMITS=1: every attack runs against a server without
 * the limits that stop it (connections per address, the request deadline,
 * one staff work at a time), to measure what each limit prevents
 * (widget/README.md). The attacks then succeed, and their tests fail. */
static int no_limits(void)
{
	const char *v = getenv("MADOGUCHI_ATTACK_NO_LIMITS");
	return v && !strcmp(v, "1");
}

static struct http_server *start(struct http_opts *o, const char *name)
{
	static char db[8][512];  /* the server borrows the path for its life */
	static int used;
	char err[MG_ERR_LEN];
	int i = used++ % 8;
	snprintf(db[i], sizeof db[i], "%s/attack-%s.db", test_tmpdir(), name);
	o->db = db[i];
	o->quiet = 1;
	o->threads = 2;
	if (no_limits()) {
		fprintf(stderr, "    without the limits (MADOGUCHI_ATTACK_NO_LIMITS=1)\n");
		o->connections_per_client = -1;
		o->request_deadline_ms = -1;
		o->staff_work_at_once = -1;
	}
	/* The sample town: its facts fill the sample knowledge base's answers. */
	static struct town *town;
	if (!town && town_load(NULL, &town, err) != MG_OK) {
		fprintf(stderr, "town: %s\n", err);
		return NULL;
	}
	struct http_server *srv = NULL;
	if (http_start(o, fixture_model(), town, &srv, err) != MG_OK)
		fprintf(stderr, "http_start: %s\n", err);
	return srv;
}

/* A resident at address from asks; returns the status, *ms the time taken. */
static int ask_from(const char *from, unsigned port, long long *ms)
{
	static const char body[] = "{\"question\": \"接種券をなくしました\"}";
	char raw[512];
	int n = snprintf(raw, sizeof raw,
			 "POST /api/v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			 strlen(body), body);
	struct tc_resp r;
	long long t0 = tc_ms_now();
	int status = tc_raw_from(from, port, raw, (size_t)n, &r) ? -1 : r.status;
	*ms = tc_ms_now() - t0;
	if (status != -1)
		tc_resp_free(&r);
	return status;
}

/* 1 when the server has closed fd (EOF or reset), waiting up to wait_ms. */
static int closed_by_server(int fd, int wait_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, wait_ms) != 1)
		return 0;
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* More than the server's whole connection limit, as in the issue (1,030
 * slow connections from one address stopped the service). */
#define SLOW_SOCKETS (HTTP_CONNECTION_LIMIT + 10)
#define SLOW_DEADLINE_MS 1500

/* Descriptors for the slow sockets and the test's own: the soft limit is
 * raised to the hard one when it is lower. */
static int enough_descriptors(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur < SLOW_SOCKETS + 200 && rl.rlim_max >= SLOW_SOCKETS + 200) {
		rl.rlim_cur = SLOW_SOCKETS + 200;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur >= SLOW_SOCKETS + 200;
}

TEST(attack, slow_connections_from_one_address_leave_the_others_answered)
{
	struct http_opts o = {.rate_burst = -1, .request_deadline_ms = SLOW_DEADLINE_MS};
	REQUIRE(enough_descriptors());
	struct http_server *srv = start(&o, "slowloris");
	REQUIRE(srv);
	unsigned port = http_port(srv);
	static int fd[SLOW_SOCKETS];
	int opened = 0;
	/* Headers that never end, from one address, a byte at a time. */
	for (int i = 0; i < SLOW_SOCKETS; i++) {
		fd[i] = tc_connect_from("127.0.0.1", port);
		if (fd[i] >= 0) {
			opened++;
			send(fd[i], "POST /api/v1/ask HTTP/1.1\r\nHost: x\r\n", 36, MSG_NOSIGNAL);
		}
	}
	CHECK(opened == SLOW_SOCKETS);
	usleep(300 * 1000);
	int refused = 0;
	for (int i = 0; i < SLOW_SOCKETS; i++)
		refused += fd[i] >= 0 && closed_by_server(fd[i], 0);
	/* The address holds its share and no more. */
	CHECK(refused >= SLOW_SOCKETS - HTTP_CONNECTIONS_PER_CLIENT);
	CHECK(refused < SLOW_SOCKETS);

	/* Another resident is answered meanwhile, and keeps being answered while
	 * the slow ones dribble a byte every 200 ms past their deadline. */
	long long ms = 0, slowest = 0, t0 = tc_ms_now();
	int answered = 0, asked = 0;
	while (tc_ms_now() - t0 < SLOW_DEADLINE_MS + 1000) {
		for (int i = 0; i < SLOW_SOCKETS; i++)
			if (fd[i] >= 0)
				send(fd[i], "X", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		asked++;
		answered += ask_from("127.0.0.2", port, &ms) == 200;
		if (ms > slowest)
			slowest = ms;
		usleep(200 * 1000);
	}
	fprintf(stderr, "    %d of %d asks answered during the slow connections, the slowest in %lld ms\n",
		answered, asked, slowest);
	CHECK(answered == asked);
	CHECK(slowest <= ATTACK_ASK_MAX_MS);
	if (no_limits()) {  /* nothing is cut without a deadline: done */
		for (int i = 0; i < SLOW_SOCKETS; i++)
			if (fd[i] >= 0)
				close(fd[i]);
		http_stop(srv);
		return;
	}
	/* Past the deadline every slow connection has been cut, though each
	 * byte reset the idle timer. */
	int cut = 0;
	for (int i = 0; i < SLOW_SOCKETS; i++)
		cut += fd[i] >= 0 && closed_by_server(fd[i], 500);
	CHECK(cut == opened);
	for (int i = 0; i < SLOW_SOCKETS; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	/* And the address that was refused is served again. */
	CHECK(ask_from("127.0.0.1", port, &ms) == 200);
	http_stop(srv);
}

/* What a malformed request gets. The API's own refusals are JSON; a request
 * that libmicrohttpd refuses before any route sees it (headers or URL over
 * HTTP_CONNECTION_MEMORY, an HTTP version it does not speak, a header line or
 * chunk it cannot parse, a Content-Length that is not a number) gets MHD's
 * short HTML page, which 0.9.75 offers no way to replace: the status is
 * right, the connection is closed, and no browser or widget sends such
 * requests (widget/README.md lists them). Either way the server answers at
 * once and goes on answering. */
TEST(attack, malformed_requests_get_their_status_at_once_and_api_errors_are_json)
{
	struct http_opts o = {.rate_burst = -1};
	struct http_server *srv = start(&o, "malformed");
	REQUIRE(srv);
	unsigned port = http_port(srv);
	static char big[HTTP_CONNECTION_MEMORY + 64], args[8192];
	memset(big, 'a', sizeof big - 1);
	size_t n = 0;
	for (int i = 0; i < 600; i++)
		n += (size_t)snprintf(args + n, sizeof args - n, "%sa%d=1", i ? "&" : "", i);
	char *header = NULL, *url = NULL, *many = NULL;
	REQUIRE(asprintf(&header, "GET /api/v1/popular HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: %s\r\n\r\n", big) > 0);
	REQUIRE(asprintf(&url, "GET /api/v1/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", big) > 0);
	REQUIRE(asprintf(&many, "GET /api/v1/popular?%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", args) > 0);
	const struct {
		const char *raw;
		int status, json;
	} cases[] = {
		{many, 400, 1},
		{"GET /api/v1/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404, 1},
		{"DELETE /api/v1/ask HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405, 1},
		{"POST /api/v1/ask HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi", 415, 1},
		{"POST /api/v1/ask HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
		 "Content-Length: 99999999\r\n\r\n", 413, 1},
		{"POST /api/v1/ask HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
		 "Content-Length: 6\r\n\r\n{\"a\":1", 400, 1},
		/* libmicrohttpd's own */
		{header, 431, 0},
		{url, 414, 0},
		{"GET /api/v1/popular HTTP/2.7\r\nHost: x\r\nConnection: close\r\n\r\n", 505, 0},
		{"GET /api/v1/popular HTTP/1.1\r\nHost: x\r\nConnection: close\r\nNot a header line\r\n\r\n", 400, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct tc_resp r;
		long long t0 = tc_ms_now();
		int got = tc_raw(port, cases[i].raw, strlen(cases[i].raw), &r) == 0;
		if (!got)
			fprintf(stderr, "    case %zu: no reply\n", i);
		CHECK(got);
		if (!got)
			continue;
		if (tc_ms_now() - t0 >= ATTACK_ASK_MAX_MS)
			fprintf(stderr, "    case %zu: %lld ms\n", i, tc_ms_now() - t0);
		CHECK(tc_ms_now() - t0 < ATTACK_ASK_MAX_MS);
		if (r.status != cases[i].status)
			fprintf(stderr, "    case %zu: %d, not %d\n", i, r.status, cases[i].status);
		CHECK(r.status == cases[i].status);
		const char *type = tc_header(&r, "Content-Type");
		int is_json = type && strstr(type, "application/json") && r.json &&
			      json_integer_value(json_object_get(json_object_get(r.json, "error"), "status")) ==
				      cases[i].status;
		CHECK(is_json == cases[i].json);
		tc_resp_free(&r);
	}
	long long ms;
	CHECK(ask_from("127.0.0.1", port, &ms) == 200);
	free(header);
	free(url);
	free(many);
	http_stop(srv);
}

/* ---- staff work beside residents ------------------------------------------------ */

/* Asks while two editors re-import the whole knowledge base over and over on
 * a server of two workers: one import runs (HTTP_STAFF_WORK_AT_ONCE), the
 * other is told to come back, and residents keep a worker. Before that limit
 * the two imports took both workers and asks waited: p99 3,981 ms. The bound
 * is loose (these cores are shared); the figures printed are what
 * widget/limits.h cites. */
#define ASKS_MEASURED 100
#define ASK_DURING_IMPORT_MAX_MS 1000

struct importer {
	unsigned port;
	char token[STAFF_TOKEN_LEN + 1], csrf[STAFF_TOKEN_LEN + 1];
	char *body;
	atomic_int stop, done, failed, busy, busy_with_retry;
	atomic_llong ms;  /* the imports' time, summed */
};

static void *import_run(void *arg)
{
	struct importer *im = arg;
	while (!atomic_load(&im->stop)) {
		struct tc_resp r;
		long long t0 = tc_ms_now();
		int sent = tc_staff(im->port, "POST", "/api/v1/admin/kb.csv", im->token, im->csrf, im->body, &r) == 0;
		if (sent && r.status == 200 && json_is_true(json_object_get(r.json, "ok"))) {
			atomic_fetch_add(&im->done, 1);
		} else if (sent && r.status == 503) {
			atomic_fetch_add(&im->busy, 1);
			json_t *why = json_object_get(json_object_get(r.json, "error"), "reason");
			if (tc_header(&r, "Retry-After") && atoi(tc_header(&r, "Retry-After")) == HTTP_STAFF_WORK_RETRY_S &&
			    json_is_string(why) && !strcmp(json_string_value(why), "staff_busy"))
				atomic_fetch_add(&im->busy_with_retry, 1);
			usleep(50 * 1000);
		} else if (atomic_fetch_add(&im->failed, 1) == 0) {
			fprintf(stderr, "    import: %d %.200s\n", r.status, r.head ? r.body : "no reply");
		}
		if (sent && r.status == 200)
			atomic_fetch_add(&im->ms, tc_ms_now() - t0);
		if (r.head)
			tc_resp_free(&r);
	}
	return NULL;
}

static int by_value(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* Asks one after the other, at least ASKS_MEASURED and, when imports is not
 * NULL, until it has done IMPORTS_MEASURED; p50 and p99 into p[0], p[1].
 * Returns how many were not answered with 200. */
#define IMPORTS_MEASURED 3
#define ASKS_MAX 20000
static int asks_timed(unsigned port, struct importer *imports, int *asked, long long p[2])
{
	static long long ms[ASKS_MAX];
	int n = 0, bad = 0;
	while (n < ASKS_MAX && (n < ASKS_MEASURED || (imports && atomic_load(&imports->done) +
						     atomic_load(&imports->failed) < IMPORTS_MEASURED)))
	{
		int st = ask_from("127.0.0.1", port, &ms[n]);
		if (st != 200 && bad++ < 3)
			fprintf(stderr, "    ask %d: status %d after %lld ms\n", n, st, ms[n]);
		n++;
	}
	qsort(ms, (size_t)n, sizeof *ms, by_value);
	p[0] = ms[n / 2];
	p[1] = ms[n * 99 / 100];
	*asked = n;
	return bad;
}

TEST(attack, residents_asks_during_a_whole_knowledge_base_import)
{
	struct http_opts o = {.rate_burst = -1};
	struct http_server *srv = start(&o, "import");
	REQUIRE(srv);
	static struct importer im;
	im.port = http_port(srv);
	sqlite3 *db = NULL;
	char err[MG_ERR_LEN];
	REQUIRE(sqlite3_open(o.db, &db) == SQLITE_OK);
	int added = staff_user_add(db, NULL, "importer1", STAFF_EDITOR, "correct horse battery", err) == MG_OK;
	sqlite3_close(db);
	REQUIRE(added);
	REQUIRE(tc_staff_login(im.port, "importer1", "correct horse battery", im.token, im.csrf) == 200);
	struct tc_resp r;
	REQUIRE(tc_staff(im.port, "GET", "/api/v1/admin/kb.csv", im.token, NULL, NULL, &r) == 0);
	REQUIRE(r.status == 200);
	size_t len = strlen(r.body), b64 = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *enc = malloc(b64);
	REQUIRE(enc);
	sodium_bin2base64(enc, b64, (const unsigned char *)r.body, len, sodium_base64_VARIANT_ORIGINAL);
	tc_resp_free(&r);
	REQUIRE(asprintf(&im.body, "{\"csv_base64\": \"%s\"}", enc) > 0);
	free(enc);

	long long alone[2], during[2];
	int asked_alone = 0, asked = 0;
	CHECK(asks_timed(im.port, NULL, &asked_alone, alone) == 0);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		REQUIRE(pthread_create(&t[i], NULL, import_run, &im) == 0);
	usleep(100 * 1000);
	int refused = asks_timed(im.port, &im, &asked, during);
	atomic_store(&im.stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	fprintf(stderr, "    %d asks alone: p50 %lld ms, p99 %lld ms; %d asks during %d whole imports (%lld ms each):"
		" p50 %lld ms, p99 %lld ms\n", asked_alone, alone[0], alone[1], asked, atomic_load(&im.done),
		atomic_load(&im.done) ? atomic_load(&im.ms) / atomic_load(&im.done) : 0, during[0], during[1]);
	CHECK(refused == 0);
	CHECK(atomic_load(&im.done) >= 1 && atomic_load(&im.failed) == 0);
	/* The second editor was told to come back, and when. */
	CHECK(atomic_load(&im.busy) >= 1);
	CHECK(atomic_load(&im.busy_with_retry) == atomic_load(&im.busy));
	CHECK(during[1] <= ASK_DURING_IMPORT_MAX_MS);
	free(im.body);
	http_stop(srv);
}
