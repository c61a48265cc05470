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
/* The request deadline of the test's server: long enough that the address's
 * share is still held while a resident's ask is answered on a busy machine,
 * short enough for a unit test. */
#define SLOW_DEADLINE_MS 4000
/* How long past the deadline the cut may come (the reaper runs every
 * HTTP_REAP_INTERVAL_MS; a loaded machine runs it late), still far below
 * the 15 s idle timeout that the dribbled bytes keep resetting. */
#define SLOW_CUT_SLACK_MS 5000

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

/* How many of the n sockets in fd the server has closed. */
static int count_closed(const int *fd, int n)
{
	int closed = 0;
	for (int i = 0; i < n; i++)
		closed += fd[i] >= 0 && closed_by_server(fd[i], 0);
	return closed;
}

/* What it proves is ordering, not speed, so that a busy machine cannot fail
 * it: the address gets its share of connections and no more, a resident at
 * another address is answered while that share is still held (not once the
 * slow ones are cut: without the per-address cap the ask found no
 * connection free, and waited 15.6 s), and every slow connection is cut
 * though each byte resets the idle timer. */
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
	/* The address holds its share and no more: the rest are refused as the
	 * server accepts them (however late a busy machine gets to it). */
	int refused = 0;
	for (long long until = tc_ms_now() + SLOW_DEADLINE_MS;
	     (refused = count_closed(fd, SLOW_SOCKETS)) < SLOW_SOCKETS - HTTP_CONNECTIONS_PER_CLIENT &&
	     tc_ms_now() < until;)
		usleep(20 * 1000);
	CHECK(refused >= SLOW_SOCKETS - HTTP_CONNECTIONS_PER_CLIENT);

	/* Another resident is answered meanwhile, and keeps being answered while
	 * the slow ones dribble a byte every 200 ms, until they have all been cut. */
	long long ms = 0, slowest = 0, t0 = tc_ms_now();
	int answered = 0, asked = 0, answered_while_held = 0, cut = 0;
	do {
		for (int i = 0; i < SLOW_SOCKETS; i++)
			if (fd[i] >= 0)
				send(fd[i], "X", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		asked++;
		int ok = ask_from("127.0.0.2", port, &ms) == 200;
		answered += ok;
		if (ms > slowest)
			slowest = ms;
		/* Answered while the attacker still held connections: the ask did
		 * not wait for them to go. */
		cut = count_closed(fd, SLOW_SOCKETS);
		answered_while_held += ok && cut < opened;
		if (cut < opened)
			usleep(200 * 1000);
	} while (cut < opened && tc_ms_now() - t0 < SLOW_DEADLINE_MS + SLOW_CUT_SLACK_MS);
	fprintf(stderr, "    %d asks during the slow connections, slowest %lld ms; %d answered while"
		" the address held its share\n", asked, slowest, answered_while_held);
	CHECK(answered == asked);
	if (no_limits()) {  /* nothing is cut without a deadline: the slowest ask is the figure */
		for (int i = 0; i < SLOW_SOCKETS; i++)
			if (fd[i] >= 0)
				close(fd[i]);
		http_stop(srv);
		return;
	}
	CHECK(answered_while_held >= 1);
	/* Every slow connection has been cut, though each byte reset the idle timer. */
	CHECK(cut == opened);
	for (int i = 0; i < SLOW_SOCKETS; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	/* And the address that was refused is served again. */
	CHECK(ask_from("127.0.0.1", port, &ms) == 200);
	http_stop(srv);
}

/* What a request that libmicrohttpd refuses before any route sees it gets
 * (headers or URL over HTTP_CONNECTION_MEMORY, an HTTP version it does not
 * speak, a header line it cannot parse): MHD's short HTML page, which 0.9.75
 * offers no way to replace. The status is right, the connection is closed,
 * and no browser or widget sends such requests (widget/README.md lists
 * them); the server answers at once and goes on answering. The API's own
 * refusals (400, 404, 405, 413, 415, 501, too many arguments) are JSON:
 * test_http.c asserts each once. */
TEST(attack, requests_libmicrohttpd_refuses_get_their_status_at_once)
{
	struct http_opts o = {.rate_burst = -1};
	struct http_server *srv = start(&o, "malformed");
	REQUIRE(srv);
	unsigned port = http_port(srv);
	static char big[HTTP_CONNECTION_MEMORY + 64];
	memset(big, 'a', sizeof big - 1);
	char *header = NULL, *url = NULL;
	REQUIRE(asprintf(&header, "GET /api/v1/popular HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: %s\r\n\r\n", big) > 0);
	REQUIRE(asprintf(&url, "GET /api/v1/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", big) > 0);
	const struct {
		const char *raw;
		int status;
	} cases[] = {
		{header, 431},
		{url, 414},
		{"GET /api/v1/popular HTTP/2.7\r\nHost: x\r\nConnection: close\r\n\r\n", 505},
		{"GET /api/v1/popular HTTP/1.1\r\nHost: x\r\nConnection: close\r\nNot a header line\r\n\r\n", 400},
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
		tc_resp_free(&r);
	}
	long long ms;
	CHECK(ask_from("127.0.0.1", port, &ms) == 200);
	free(header);
	free(url);
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
	atomic_llong first_since;  /* when the first editor's import was sent; 0 = none in flight */
	atomic_int next;           /* which editor a starting thread is */
};

/* The first editor imports over and over. The second sends its import only
 * once the first's has been on its way for a while, so that the first's
 * body has been read and its import runs: a worker that accepted both
 * connections while still reading a body (MHD's pool does) would otherwise
 * run them one after the other, and the test would measure that instead of
 * the limit. */
#define SECOND_EDITOR_AFTER_MS 300

static void *import_run(void *arg)
{
	struct importer *im = arg;
	int second = atomic_fetch_add(&im->next, 1) == 1;
	while (!atomic_load(&im->stop)) {
		struct tc_resp r;
		if (second) {
			long long since;
			while (!atomic_load(&im->stop) &&
			       (!(since = atomic_load(&im->first_since)) || tc_ms_now() - since < SECOND_EDITOR_AFTER_MS))
				usleep(10 * 1000);
			if (atomic_load(&im->stop))
				break;
		}
		long long t0 = tc_ms_now();
		if (!second)
			atomic_store(&im->first_since, t0);
		int sent = tc_staff(im->port, "POST", "/api/v1/admin/kb.csv", im->token, im->csrf, im->body, &r) == 0;
		if (!second)
			atomic_store(&im->first_since, 0);
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
