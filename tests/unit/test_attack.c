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
#include "kb/kb_int.h"
#include "tests/unit/http_client.h"
#include "widget/api.h"
#include "widget/conns.h"
#include "widget/http.h"

/* The slowest answer a resident may get while an attack runs: an ask alone
 * takes a few ms (about 100 ms under the sanitizers) on these shared cores. */
#define ATTACK_ASK_MAX_MS 1500

/* MADOGUCHI_ATTACK_NO_LIMITS=1: every attack runs against a server without
 * the limits that stop it (connections per address, the request deadline),
 * to measure what each limit prevents (widget/README.md). The slow
 * connections then succeed, and their test fails. Staff work always runs
 * on its pools: the figures of the design before them are in
 * widget/README.md, measured on its commit. */
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
	if (!o->threads)
		o->threads = 2;
	if (no_limits()) {
		fprintf(stderr, "    without the limits (MADOGUCHI_ATTACK_NO_LIMITS=1)\n");
		o->connections_per_client = -1;
		o->request_deadline_ms = -1;
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
 * share is still held while a resident's ask is answered on a busy machine
 * (at 4 s, under ASan with the machine at load 5, opening and refusing the
 * sockets took the whole deadline and the first ask came after every slow
 * connection was cut), short enough for a unit test. */
#define SLOW_DEADLINE_MS 8000
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
	/* The address holds its share, no more and no less: the rest are
	 * refused as the server accepts them (however late a busy machine gets
	 * to it), on whichever of its two worker threads accepts each. */
	int refused = 0;
	for (long long until = tc_ms_now() + SLOW_DEADLINE_MS;
	     (refused = count_closed(fd, SLOW_SOCKETS)) < SLOW_SOCKETS - HTTP_CONNECTIONS_PER_CLIENT &&
	     tc_ms_now() < until;)
		usleep(20 * 1000);
	fprintf(stderr, "    the address holds %d connections, %d refused\n", opened - refused, refused);
	CHECK(opened - refused == HTTP_CONNECTIONS_PER_CLIENT);

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

/* The server's worker threads each accept on their own: two of them can
 * admit an address one place short of its share at the same moment, before
 * either has recorded its connection (the slow-connections attack above then
 * held 65 of 64 in 3 of 26 runs, and its wait for the refused ones lasted
 * until the deadline had cut the share too). The connection too many
 * is refused as it is recorded, and its client sees it closed; the share
 * stays held, another address and the town's proxy are not refused. */
TEST(attack, two_workers_accepting_one_address_at_once_give_it_no_more_than_its_share)
{
	struct http_conns *c = http_conns_new(HTTP_CONNECTIONS_PER_CLIENT, 0, 4 * HTTP_CONNECTIONS_PER_CLIENT);
	REQUIRE(c);
	struct http_client attacker, other, proxy;
	struct http_proxies trusted = {0};
	REQUIRE(http_client_parse("192.0.2.7", &attacker));
	REQUIRE(http_client_parse("192.0.2.8", &other));
	REQUIRE(http_client_parse("192.0.2.9", &proxy));
	REQUIRE(http_proxies_add(&trusted, "192.0.2.9"));
	/* sp[i][0] is the server's end, sp[i][1] the client's. */
	enum { HELD = HTTP_CONNECTIONS_PER_CLIENT - 1, N = HTTP_CONNECTIONS_PER_CLIENT + 3 };
	int sp[N][2];
	for (int i = 0; i < N; i++)
		REQUIRE(!socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]));
	int slot[N];
	for (int i = 0; i < HELD; i++) {
		CHECK(http_conns_admit(c, &attacker, &trusted));
		slot[i] = http_conns_open(c, &attacker, &trusted, sp[i][0], 0);
		CHECK(slot[i] >= 0);
	}
	/* Both workers admit before either records. */
	CHECK(http_conns_admit(c, &attacker, &trusted));
	CHECK(http_conns_admit(c, &attacker, &trusted));
	slot[HELD] = http_conns_open(c, &attacker, &trusted, sp[HELD][0], 0);
	slot[HELD + 1] = http_conns_open(c, &attacker, &trusted, sp[HELD + 1][0], 0);
	CHECK(slot[HELD] >= 0);
	CHECK(slot[HELD + 1] == HTTP_CONNS_REFUSED);
	CHECK(closed_by_server(sp[HELD + 1][1], 0));
	/* The share is held: none of its connections was closed. */
	CHECK(!count_closed((int[]){sp[0][1], sp[HELD / 2][1], sp[HELD][1]}, 3));
	CHECK(!http_conns_admit(c, &attacker, &trusted));
	/* Another address, and the proxy that speaks for many residents. */
	CHECK(http_conns_admit(c, &other, &trusted));
	CHECK(http_conns_open(c, &other, &trusted, sp[HELD + 2][0], 0) >= 0);
	for (int i = 0; i < HTTP_CONNECTIONS_PER_CLIENT + 1; i++)
		CHECK(http_conns_open(c, &proxy, &trusted, sp[0][0], 0) >= 0);
	/* One of the address's connections ends: it may open one again. */
	http_conns_close(c, slot[0]);
	CHECK(http_conns_admit(c, &attacker, &trusted));
	CHECK(http_conns_open(c, &attacker, &trusted, sp[0][0], 0) >= 0);
	http_conns_free(c);
	for (int i = 0; i < N; i++) {
		close(sp[i][0]);
		close(sp[i][1]);
	}
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

/* The servers below have one worker thread, as a one-core server has: staff
 * work (a password's hash, an import) runs on the staff-work pool, so that
 * the worker is never the one that waits for it. On the old design, where it
 * ran on the worker, every ask that came in meanwhile waited for it. */
#define STAFF_TEST_WORKERS 1
#define ASKS_MEASURED 100
/* Room for asks of a fraction of a millisecond through ASKS_FOR_MS_MAX: with
 * 20,000 the asks ran out while a large import was still being written on a
 * loaded machine (one import done of the two wanted). */
#define ASKS_MAX 200000
/* Asks stop after this long even short of the above: each then waited far
 * beyond any bound (the old design, ASKS_MEASURED asks of seconds each). */
#define ASKS_FOR_MS_MAX 60000

static int by_value(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* A resident's asks one after the other, at least ASKS_MEASURED and, when
 * done is not NULL, until *done reaches want (the staff work measured
 * beside them), for ASKS_FOR_MS_MAX at most; p50, p99 and the slowest into
 * p[0], p[1], p[2].
 * Returns how many were not answered with 200. */
static int asks_timed(unsigned port, const atomic_int *done, int want, int *asked, long long p[3])
{
	static long long ms[ASKS_MAX];
	int n = 0, bad = 0;
	long long until = tc_ms_now() + ASKS_FOR_MS_MAX;
	while (n < ASKS_MAX && tc_ms_now() < until &&
	       (n < ASKS_MEASURED || (done && atomic_load(done) < want))) {
		int st = ask_from("127.0.0.2", port, &ms[n]);
		if (st != 200 && bad++ < 3)
			fprintf(stderr, "    ask %d: status %d after %lld ms\n", n, st, ms[n]);
		n++;
	}
	qsort(ms, (size_t)n, sizeof *ms, by_value);
	p[0] = ms[n / 2];
	p[1] = ms[n * 99 / 100];
	p[2] = ms[n - 1];
	*asked = n;
	return bad;
}

/* A resident's asks alone, then beside n threads of staff(arg), until *done
 * has grown by more (the staff work measured beside them), each as
 * asks_timed measures them; *stop ends the threads. Returns how many asks
 * were not answered with 200, -1 when a thread would not start. */
#define STAFF_THREADS_MAX 16
struct beside {
	long long alone[3], during[3];  /* p50, p99, slowest */
	int asked_alone, asked;
};

static int asks_beside(unsigned port, int n, void *(*staff)(void *), void *arg, atomic_int *stop,
		       const atomic_int *done, int more, struct beside *b)
{
	int bad = asks_timed(port, NULL, 0, &b->asked_alone, b->alone);
	pthread_t t[STAFF_THREADS_MAX];
	int started = 0;
	while (started < n && started < STAFF_THREADS_MAX && !pthread_create(&t[started], NULL, staff, arg))
		started++;
	if (started == n) {
		usleep(100 * 1000);
		bad += asks_timed(port, done, atomic_load(done) + more, &b->asked, b->during);
	}
	atomic_store(stop, 1);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	return started == n ? bad : -1;
}

/* Twelve clients, each from an address of its own, send wrong staff
 * passwords as fast as they are answered, as in the issue (12 clients within
 * the rate limit pushed residents' answers from 4.6 ms to 2.1 s). */
#define GUESSERS 12

struct guessers {
	unsigned port;
	atomic_int next, stop;
	atomic_int hashed;  /* wrong passwords refused (401): each one hashed */
	atomic_int busy, busy_with_retry, other;
	atomic_llong hash_ms;  /* time of the 401s, summed */
};

static void *guess_run(void *arg)
{
	struct guessers *g = arg;
	int me = atomic_fetch_add(&g->next, 1);
	char from[32], body[128], raw[512];
	snprintf(from, sizeof from, "127.0.0.%d", 20 + me);
	int len = snprintf(body, sizeof body, "{\"name\": \"guess%d\", \"password\": \"a wrong guess\"}", me);
	int n = snprintf(raw, sizeof raw,
			 "POST /api/v1/admin/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			 "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len, body);
	while (!atomic_load(&g->stop)) {
		struct tc_resp r;
		long long t0 = tc_ms_now();
		if (tc_raw_from(from, g->port, raw, (size_t)n, &r)) {
			atomic_fetch_add(&g->other, 1);
			continue;
		}
		if (r.status == 401) {
			atomic_fetch_add(&g->hashed, 1);
			atomic_fetch_add(&g->hash_ms, tc_ms_now() - t0);
		} else if (r.status == 503) {
			atomic_fetch_add(&g->busy, 1);
			if (tc_header(&r, "Retry-After") && atoi(tc_header(&r, "Retry-After")) == HTTP_BUSY_RETRY_S)
				atomic_fetch_add(&g->busy_with_retry, 1);
			usleep(20 * 1000);
		} else if (atomic_fetch_add(&g->other, 1) == 0) {
			fprintf(stderr, "    log-in: %d %.200s\n", r.status, r.body);
		}
		tc_resp_free(&r);
	}
	return NULL;
}

/* One wrong password alone: one hash on these cores as loaded as they are. */
static long long one_wrong_password_ms(unsigned port)
{
	struct tc_resp r;
	long long best = 0;
	for (int i = 0; i < 3; i++) {
		long long t0 = tc_ms_now();
		if (tc_http(port, "POST", "/api/v1/admin/login", NULL,
			    "{\"name\": \"nobody\", \"password\": \"a wrong guess\"}", &r))
			return -1;
		long long ms = tc_ms_now() - t0;
		if (r.status == 401 && (!best || ms < best))
			best = ms;
		tc_resp_free(&r);
	}
	return best;
}

TEST(attack, residents_asks_are_answered_while_a_dozen_wrong_staff_passwords_are_hashed)
{
	struct http_opts o = {.rate_burst = -1, .threads = STAFF_TEST_WORKERS};
	struct http_server *srv = start(&o, "guess");
	REQUIRE(srv);
	static struct guessers g;
	g.port = http_port(srv);
	long long hash_ms = one_wrong_password_ms(g.port);
	REQUIRE(hash_ms > 0);
	struct beside b;
	int refused = asks_beside(g.port, GUESSERS, guess_run, &g, &g.stop, &g.hashed, GUESSERS, &b);
	int hashed = atomic_load(&g.hashed);
	fprintf(stderr, "    one wrong password alone %lld ms; %d asks alone: p50 %lld ms, p99 %lld ms;"
		" %d asks while %d wrong passwords were hashed (%d told to come back): p50 %lld ms, p99 %lld ms,"
		" slowest %lld ms\n", hash_ms, b.asked_alone, b.alone[0], b.alone[1], b.asked, hashed,
		atomic_load(&g.busy), b.during[0], b.during[1], b.during[2]);
	CHECK(refused == 0);
	CHECK(hashed >= GUESSERS && atomic_load(&g.other) == 0);
	CHECK(atomic_load(&g.busy_with_retry) == atomic_load(&g.busy));
	/* A resident's answer never waits for a hash: the slowest of a hundred
	 * takes less than half of one (on the old design an ask met a hash
	 * running on its worker and waited for it, and the ones queued before). */
	CHECK(b.during[1] < b.alone[1] + hash_ms / 2);
	CHECK(b.during[1] <= ATTACK_ASK_MAX_MS);
	http_stop(srv);
}

/* Editors importing the whole knowledge base over and over. */
struct importer {
	unsigned port;
	char token[STAFF_TOKEN_LEN + 1], csrf[STAFF_TOKEN_LEN + 1];
	char *body;
	char *sample;  /* the sample knowledge base as exported (CSV) */
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
			atomic_fetch_add(&im->ms, tc_ms_now() - t0);
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
		if (r.head)
			tc_resp_free(&r);
	}
	return NULL;
}

/* Entries added to the sample's for the import these tests time: a town's
 * knowledge base grown over a season (the sample has about a hundred), so
 * that an import takes seconds, as a large one does, not a fraction of one. */
#define BIG_KB_EXTRA 2500

/* The sample knowledge base as exported (csv, len bytes) with the entries
 * extra-FROM .. extra-(TO-1) more, as CSV rows: extra-N is about the car park
 * of 第N会場 (venue N). malloc'd, NULL when out of memory. */
static char *big_kb_of(const char *csv, size_t len, int from, int to)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	if (!f)
		return NULL;
	fwrite(csv, 1, len, f);
	if (len && csv[len - 1] != '\n')
		fputs("\r\n", f);
	for (int i = from; i < to; i++) {
		fprintf(f, "extra-%d,extra-%d,booking,booking,published,", i, i);
		fprintf(f, "第%d会場の駐車場と送迎バスについて教えてください,", i);
		fprintf(f, "\"第%d会場には駐車場が%d台あります。", i, 20 + i % 50);
		for (int k = 0; k < 8; k++)
			fprintf(f, "送迎バスは町役場から%d時%d分に出ます。", 8 + k, (i * 7 + k) % 60);
		fprintf(f, "\",Parking at venue %d,There are %d spaces at venue %d.,,", i, 20 + i % 50, i);
		fprintf(f, "第%d会場に車で行けますか|第%d会場の送迎,駐車場|送迎,,,,,\r\n", i, i);
	}
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

static char *big_kb(const char *csv, size_t len)
{
	return big_kb_of(csv, len, 0, BIG_KB_EXTRA);
}

/* An editor logged in on srv, with the sample knowledge base and
 * BIG_KB_EXTRA entries more as the body of its import. Returns 0. */
static int importer_ready(struct importer *im, const char *db_path, unsigned port)
{
	im->port = port;
	sqlite3 *db = NULL;
	char err[MG_ERR_LEN];
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		return -1;
	int added = staff_user_add(db, NULL, "importer1", STAFF_EDITOR, "correct horse battery", err) == MG_OK;
	sqlite3_close(db);
	if (!added || tc_staff_login(port, "importer1", "correct horse battery", im->token, im->csrf) != 200)
		return -1;
	struct tc_resp r;
	if (tc_staff(port, "GET", "/api/v1/admin/kb.csv", im->token, NULL, NULL, &r))
		return -1;
	char *csv = r.status == 200 ? big_kb(r.body, strlen(r.body)) : NULL;
	im->sample = r.status == 200 ? strdup(r.body) : NULL;
	tc_resp_free(&r);
	if (!im->sample) {
		free(csv);
		return -1;
	}
	size_t len = csv ? strlen(csv) : 0, b64 = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *enc = csv ? malloc(b64) : NULL;
	if (enc)
		sodium_bin2base64(enc, b64, (const unsigned char *)csv, len, sodium_base64_VARIANT_ORIGINAL);
	free(csv);
	int ok = enc && asprintf(&im->body, "{\"csv_base64\": \"%s\"}", enc) > 0;
	free(enc);
	return ok ? 0 : -1;
}

/* A server with one worker (as the tests below) and an editor on it ready
 * to import (importer_ready); NULL when either fails. */
static struct http_server *start_importing(struct http_opts *o, const char *name, struct importer *im)
{
	*o = (struct http_opts){.rate_burst = -1, .threads = STAFF_TEST_WORKERS};
	struct http_server *srv = start(o, name);
	if (srv && importer_ready(im, o->db, http_port(srv))) {
		http_stop(srv);
		return NULL;
	}
	return srv;
}

/* Asks while two editors re-import the whole knowledge base (the sample's,
 * 170 KB of CSV) over and over. On the old design an import ran on the
 * worker, and an ask that came in meanwhile waited for the rest of it: p99
 * about one import. The figures printed are what widget/limits.h cites. */
#define IMPORTERS 2
#define IMPORTS_MEASURED 3

TEST(attack, residents_asks_during_a_whole_knowledge_base_import)
{
	struct http_opts o = {.rate_burst = -1, .threads = STAFF_TEST_WORKERS};
	struct http_server *srv = start(&o, "import");
	REQUIRE(srv);
	static struct importer im;
	REQUIRE(importer_ready(&im, o.db, http_port(srv)) == 0);
	struct beside b;
	int refused = asks_beside(im.port, IMPORTERS, import_run, &im, &im.stop, &im.done, IMPORTS_MEASURED, &b);
	int done = atomic_load(&im.done);
	long long import_ms = done ? atomic_load(&im.ms) / done : 0;
	fprintf(stderr, "    %d asks alone: p50 %lld ms, p99 %lld ms; %d asks during %d whole imports (%lld ms each):"
		" p50 %lld ms, p99 %lld ms, slowest %lld ms\n", b.asked_alone, b.alone[0], b.alone[1], b.asked, done,
		import_ms, b.during[0], b.during[1], b.during[2]);
	CHECK(refused == 0);
	CHECK(done >= IMPORTS_MEASURED && atomic_load(&im.failed) == 0);
	CHECK(atomic_load(&im.busy_with_retry) == atomic_load(&im.busy));
	/* A resident's answer never waits for an import: the slowest of a
	 * hundred takes less than a quarter of one. (The slowest of all, printed,
	 * is an ask that came as an import's new knowledge base was being read
	 * into memory after its commit, widget/README.md.) */
	CHECK(b.during[1] < b.alone[1] + import_ms / 4);
	CHECK(b.during[1] <= ATTACK_ASK_MAX_MS);
	free(im.body);
	free(im.sample);
	http_stop(srv);
}

/* ---- a new knowledge base's model, loaded off the residents' path ------------ */

/* A resident's question about the car park of venue v, and what the reply
 * showed: every entry about a venue (id extra-N) must show its own text
 * (第N会場), never another's, and an entry deleted from the knowledge base
 * must not be shown once its deletion is committed. */
struct venue_ask {
	int status;
	long long ms;
	int extra;         /* entries about a venue shown */
	int inconsistent;  /* of them, with another venue's text */
	int gone;          /* of them, among the venues [gone_from, gone_to) */
};

static void venue_check(json_t *e, int gone_from, int gone_to, struct venue_ask *a)
{
	const char *id = json_string_value(json_object_get(e, "id"));
	const char *q = json_string_value(json_object_get(e, "question"));
	if (!id || strncmp(id, "extra-", 6))
		return;
	int n = atoi(id + 6);
	char says[32];
	snprintf(says, sizeof says, "第%d会場", n);
	a->extra++;
	a->inconsistent += !q || !strstr(q, says);
	a->gone += n >= gone_from && n < gone_to;
}

static void venue_ask(unsigned port, int v, int gone_from, int gone_to, struct venue_ask *a)
{
	char body[128];
	snprintf(body, sizeof body, "{\"question\": \"第%d会場に車で行けますか\"}", v);
	struct tc_resp r;
	*a = (struct venue_ask){.status = -1};
	long long t0 = tc_ms_now();
	if (tc_http(port, "POST", "/api/v1/ask", NULL, body, &r))
		return;
	a->ms = tc_ms_now() - t0;
	a->status = r.status;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(r.json, "candidates"), i, c)
		venue_check(c, gone_from, gone_to, a);
	json_t *answer = json_object_get(r.json, "answer");
	if (json_is_object(answer))
		venue_check(answer, gone_from, gone_to, a);
	tc_resp_free(&r);
}

/* The command line's import into the server's database, from another
 * process, as a town's script would run it. */
struct cli_import {
	char cmd[2048];
	atomic_int done;
	int status;
};

static void *cli_run(void *arg)
{
	struct cli_import *c = arg;
	c->status = system(c->cmd);
	atomic_store(&c->done, 1);
	return NULL;
}

/* Asks after a commit the server's worker has not seen go on with the
 * model it has while the staff-work pool loads the new one: once through
 * the staff route (a large import: the sample and BIG_KB_EXTRA entries
 * more), once by `madoguchi import` in another process (half of those
 * entries deleted, the rows of the rest renumbered, as many added). On main the worker's
 * next ask loaded the new model itself, or waited for the pool's load of
 * it, and the slowest ask was one model load (515 ms here, 896 ms in
 * widget/README.md). Now no worker loads a model or waits for one
 * (kb_model_waits_served); the asks' times are printed beside one load of
 * the knowledge base, timed here once the server is stopped. */
TEST(attack, residents_never_wait_for_a_new_knowledge_base_to_load)
{
	static struct importer im;
	struct http_opts o;
	struct http_server *srv = NULL;
	REQUIRE((srv = start_importing(&o, "swap", &im)));
	unsigned port = http_port(srv);
	long waits = kb_model_waits_served();
	struct beside b;
	int refused = asks_beside(port, 1, import_run, &im, &im.stop, &im.done, 2, &b);
	long console_waits = kb_model_waits_served() - waits;
	CHECK(refused == 0);
	CHECK(atomic_load(&im.done) >= 2 && atomic_load(&im.failed) == 0);

	/* The knowledge base is the large one: venue 7's entry is found once
	 * the last import's model is in (at once, unless the asks above ran out
	 * of time before the first import's was: the sanitizers' build on a
	 * loaded machine), each venue shown with its own text meanwhile. */
	struct venue_ask a;
	int inconsistent = 0;
	long long until = tc_ms_now() + 60000;
	do {
		venue_ask(port, 7, 0, 0, &a);
		inconsistent += a.inconsistent;
	} while (a.status == 200 && !a.extra && tc_ms_now() < until && !usleep(100 * 1000));
	CHECK(a.status == 200 && a.extra > 0);
	CHECK(inconsistent == 0);

	const char *bin = getenv("MADOGUCHI");
	int cli = bin && !access(bin, X_OK);
	long long cli_slowest = 0;
	int cli_asks = 0, gone_before = 0, gone_after = 0, bad = 0;
	long cli_waits = 0;
	static struct cli_import c;
	if (cli) {
		/* extra-0 .. extra-1249 deleted, the others' rows renumbered, as
		 * many new ones (a knowledge base of the same size) */
		char *csv = big_kb_of(im.sample, strlen(im.sample), BIG_KB_EXTRA / 2, BIG_KB_EXTRA * 3 / 2);
		const char *file = fixture_path("attack-swap.csv");
		FILE *f = fopen(file, "w");
		REQUIRE(csv && f);
		fputs(csv, f);
		fclose(f);
		free(csv);
		/* below the server's priority: the test measures waiting for the
		 * model, not two processes sharing the cores */
		snprintf(c.cmd, sizeof c.cmd, "nice -n 10 '%s' --db '%s' import '%s' > /dev/null 2>&1", bin, o.db, file);
		pthread_t t;
		REQUIRE(pthread_create(&t, NULL, cli_run, &c) == 0);
		/* Asks about deleted venues and kept ones, until two seconds after
		 * the import: the server meets the new generation, answers from the
		 * model before it while the pool loads the new one, then takes it. */
		until = 0;
		for (int i = 0; !until || tc_ms_now() < until; i++) {
			int after = atomic_load(&c.done);
			if (after && !until)
				until = tc_ms_now() + 2000;
			venue_ask(port, (i * 37) % (BIG_KB_EXTRA * 3 / 2), 0, BIG_KB_EXTRA / 2, &a);
			bad += a.status != 200;
			inconsistent += a.inconsistent;
			if (after)
				gone_after += a.gone;
			else
				gone_before += a.gone;
			if (a.ms > cli_slowest)
				cli_slowest = a.ms;
			cli_asks++;
		}
		pthread_join(t, NULL);
		CHECK(c.status == 0);
		cli_waits = kb_model_waits_served() - waits - console_waits;
		/* The new knowledge base is in: a new venue found, a deleted one
		 * not. Once the pool has loaded its model, which two seconds after
		 * the import did not always cover in `make test` on a loaded machine
		 * (one load 1,775 ms there, 2026-12-01): the asks go on until then,
		 * each with its venue's own text. */
		until = tc_ms_now() + 60000;
		do {
			venue_ask(port, BIG_KB_EXTRA + 7, 0, BIG_KB_EXTRA / 2, &a);
			inconsistent += a.inconsistent;
		} while (a.status == 200 && !a.extra && tc_ms_now() < until && !usleep(100 * 1000));
		CHECK(a.status == 200 && a.extra > 0 && a.inconsistent == 0);
		venue_ask(port, 7, 0, BIG_KB_EXTRA / 2, &a);
		CHECK(a.status == 200 && a.gone == 0);
	}
	http_stop(srv);

	/* One load of the knowledge base's model, alone: the server is gone,
	 * and its models with it. */
	struct chatbot *bot = NULL;
	char err[MG_ERR_LEN];
	long long t0 = tc_ms_now();
	REQUIRE(chatbot_open(&bot, o.db, fixture_model(), NULL, err) == MG_OK);
	long long load_ms = tc_ms_now() - t0;
	chatbot_close(bot);
	fprintf(stderr, "    one load of the model %lld ms; %d asks alone: slowest %lld ms; %d asks during %d large"
		" imports by the console: p99 %lld ms, slowest %lld ms", load_ms, b.asked_alone, b.alone[2], b.asked,
		atomic_load(&im.done), b.during[1], b.during[2]);
	if (cli)
		fprintf(stderr, "; %d asks around an import by another process: slowest %lld ms, deleted venues"
			" shown %d before its commit and %d after, %d with another's text",
			cli_asks, cli_slowest, gone_before, gone_after, inconsistent);
	fprintf(stderr, "\n");
	/* No worker loaded a model or waited for one: a worker loading one
	 * itself made its ask a whole load slower than the asks alone (on main
	 * before the loader, 919 ms beside a load of 1,431). Counted, not timed:
	 * on 2 shared cores at load 9-13 the slowest of a few hundred asks meets
	 * the scheduler's tail (239 ms against half a load of 226 ms) with
	 * nothing waiting for a model; the times above are printed for that. */
	CHECK(console_waits == 0);
	if (cli) {
		CHECK(bad == 0);
		CHECK(cli_waits == 0);
		CHECK(gone_before > 0);  /* the question finds the deleted entries while they are there */
		CHECK(gone_after == 0);
		CHECK(inconsistent == 0);
	}
	free(im.body);
	free(im.sample);
}

/* The server's one worker opens its knowledge base at its first ask, here
 * right after a large import that no connection of the server has loaded
 * (another process's import, or the pool still reading the console's): it
 * answers from the model the server holds (the sample's, loaded at start)
 * and hands the new one's load to the pool, which loads it once. On main
 * the worker loaded the new model itself, before it answered: its first ask
 * took one whole load. The bound: under half of one load, timed once the
 * server is stopped. */
TEST(attack, a_new_workers_first_ask_never_loads_the_knowledge_base)
{
	struct http_opts o = {.rate_burst = -1, .threads = STAFF_TEST_WORKERS};
	struct http_server *srv = start(&o, "fresh");
	REQUIRE(srv);
	unsigned port = http_port(srv);
	/* The import, by a connection of its own that keeps no model of it. */
	struct kb *kb = NULL;
	char err[MG_ERR_LEN], *sample = NULL, *csv = NULL;
	size_t len = 0;
	int imported = 0;
	REQUIRE(kb_open(&kb, o.db, fixture_model(), err) == MG_OK);
	FILE *f = open_memstream(&sample, &len);
	REQUIRE(f);
	int exported = kb_export(kb, f, err);
	fclose(f);
	REQUIRE(exported == MG_OK && (csv = big_kb(sample, len)));
	struct kb_import_opts io = {0};
	REQUIRE(kb_import(kb, csv, strlen(csv), "big.csv", &io, &imported, err) == MG_OK);
	kb_close(kb);
	free(csv);
	free(sample);

	long loads = kb_model_loads();
	long long first_ms = 0;
	int status = ask_from("127.0.0.1", port, &first_ms);
	/* the new knowledge base comes in: venue 7's entry is found */
	struct venue_ask a;
	long long until = tc_ms_now() + 60000;
	do
		venue_ask(port, 7, 0, 0, &a);
	while (a.status == 200 && !a.extra && tc_ms_now() < until && !usleep(50 * 1000));
	long in_between = kb_model_loads() - loads;
	http_stop(srv);

	struct chatbot *bot = NULL;
	long long t0 = tc_ms_now();
	REQUIRE(chatbot_open(&bot, o.db, fixture_model(), NULL, err) == MG_OK);
	long long load_ms = tc_ms_now() - t0;
	chatbot_close(bot);
	fprintf(stderr, "    the first ask after an import of %d entries: %d in %lld ms; one load of the model"
		" %lld ms; models loaded until the new one was in: %ld\n", imported, status, first_ms, load_ms,
		in_between);
	CHECK(status == 200);
	CHECK(a.status == 200 && a.extra > 0 && a.inconsistent == 0);
	CHECK(in_between == 1);  /* the pool's, and no other */
	CHECK(first_ms < load_ms / 2);
}

/* A staff request sent once from its own thread, and its reply. */
struct one_call {
	unsigned port;
	const char *path, *token, *csrf, *body;
	int status;  /* -1: no reply at all */
	char reason[32];
	int retry_s;
	long long ms;
	int imported;  /* an import's entries, when done */
};

static void *call_once(void *arg)
{
	struct one_call *c = arg;
	struct tc_resp r;
	c->status = -1;
	long long t0 = tc_ms_now();
	if (tc_staff(c->port, "POST", c->path, c->token, c->csrf, c->body, &r)) {
		c->ms = tc_ms_now() - t0;
		return NULL;
	}
	c->status = r.status;
	c->ms = tc_ms_now() - t0;
	c->imported = (int)json_integer_value(json_object_get(r.json, "imported"));
	json_t *why = json_object_get(json_object_get(r.json, "error"), "reason");
	snprintf(c->reason, sizeof c->reason, "%s", json_is_string(why) ? json_string_value(why) : "");
	c->retry_s = tc_header(&r, "Retry-After") ? atoi(tc_header(&r, "Retry-After")) : 0;
	tc_resp_free(&r);
	return NULL;
}

/* The editor's import of body, to be sent by call_once. */
static struct one_call import_call(const struct importer *im, const char *body)
{
	return (struct one_call){.port = im->port, .path = "/api/v1/admin/kb.csv", .token = im->token,
				 .csrf = im->csrf, .body = body};
}

/* The sample knowledge base (im->sample) as an import's body: a new
 * generation, quick to make. malloc'd, NULL without memory. */
static char *sample_body(const struct importer *im)
{
	size_t len = strlen(im->sample), b64 = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *enc = malloc(b64), *body = NULL;
	if (enc) {
		sodium_bin2base64(enc, b64, (const unsigned char *)im->sample, len, sodium_base64_VARIANT_ORIGINAL);
		if (asprintf(&body, "{\"csv_base64\": \"%s\"}", enc) < 0)
			body = NULL;
	}
	free(enc);
	return body;
}

/* A log-in's hash runs on the hashing thread, which opens the staff tables
 * alone (staff_open): after a log-in, an ask and an import, and an ask once
 * the import's model is in, the server holds one model, the import's. On
 * main the hashing thread opened a whole chatbot at its first log-in and
 * kept that generation's model for the process's life: two. */
TEST(attack, the_hashing_thread_keeps_no_knowledge_base_alive)
{
	int before = kb_models_cached();
	static struct importer im;
	struct http_opts o;
	struct http_server *srv = NULL;
	REQUIRE((srv = start_importing(&o, "hashing", &im)));
	long long ms;
	CHECK(ask_from("127.0.0.1", im.port, &ms) == 200);
	char *body = sample_body(&im);
	REQUIRE(body);
	struct one_call imp = import_call(&im, body);
	call_once(&imp);
	CHECK(imp.status == 200);
	CHECK(ask_from("127.0.0.1", im.port, &ms) == 200);  /* the worker takes the import's model */
	int held = kb_models_cached() - before;
	/* and staff still log in, on the hashing thread's own connection */
	struct one_call login = {.port = im.port, .path = "/api/v1/admin/login",
				 .body = "{\"name\": \"importer1\", \"password\": \"correct horse battery\"}"};
	call_once(&login);
	http_stop(srv);
	fprintf(stderr, "    models held after a log-in, an import and an ask: %d\n", held);
	CHECK(held == 1);
	CHECK(login.status == 200);
	free(body);
	free(im.body);
	free(im.sample);
}

/* Imports sent together: the one the pool runs, those that may wait, and
 * two more. */
#define IMPORTS_AT_ONCE (HTTP_STAFF_THREADS + HTTP_STAFF_WAITING + 2)

/* Editors importing at once while a dozen clients flood the log-in: the
 * imports the pool has room for are all done, whatever the log-ins (they
 * wait in a lane of their own); the others are told at once to come back,
 * and when. */
TEST(attack, editors_imports_keep_their_places_while_log_ins_flood)
{
	struct http_opts o = {.rate_burst = -1, .threads = STAFF_TEST_WORKERS};
	struct http_server *srv = start(&o, "places");
	REQUIRE(srv);
	static struct importer im;
	REQUIRE(importer_ready(&im, o.db, http_port(srv)) == 0);
	static struct guessers g;
	g.port = http_port(srv);
	pthread_t gt[GUESSERS], it[IMPORTS_AT_ONCE];
	for (int i = 0; i < GUESSERS; i++)
		REQUIRE(pthread_create(&gt[i], NULL, guess_run, &g) == 0);
	usleep(300 * 1000);  /* the log-in lane is full */
	struct one_call one[IMPORTS_AT_ONCE];
	for (int i = 0; i < IMPORTS_AT_ONCE; i++) {
		one[i] = import_call(&im, im.body);
		REQUIRE(pthread_create(&it[i], NULL, call_once, &one[i]) == 0);
	}
	for (int i = 0; i < IMPORTS_AT_ONCE; i++)
		pthread_join(it[i], NULL);
	atomic_store(&g.stop, 1);
	for (int i = 0; i < GUESSERS; i++)
		pthread_join(gt[i], NULL);
	int done = 0, told = 0;
	for (int i = 0; i < IMPORTS_AT_ONCE; i++) {
		done += one[i].status == 200;
		told += one[i].status == 503 && !strcmp(one[i].reason, "staff_busy") &&
			one[i].retry_s == HTTP_STAFF_WORK_RETRY_S;
	}
	fprintf(stderr, "    %d imports at once beside %d wrong passwords: %d done, %d told to come back;",
		IMPORTS_AT_ONCE, atomic_load(&g.hashed), done, told);
	for (int i = 0; i < IMPORTS_AT_ONCE; i++)
		fprintf(stderr, " %d %s (%lld ms)", one[i].status, one[i].reason, one[i].ms);
	fputc('\n', stderr);
	CHECK(atomic_load(&g.hashed) > 0);
	CHECK(done >= HTTP_STAFF_WAITING);
	CHECK(told >= 1);
	CHECK(done + told == IMPORTS_AT_ONCE);
	free(im.body);
	free(im.sample);
	http_stop(srv);
}

/* Milliseconds until the database's write lock is held by someone (busy 1)
 * or free (busy 0), polled every few ms; -1 when it is not so within
 * wait_ms. */
static long long lock_becomes(const char *db_path, int busy, int wait_ms)
{
	sqlite3 *db = NULL;
	long long t0 = tc_ms_now(), at = -1;
	if (sqlite3_open(db_path, &db) == SQLITE_OK)
		while (at < 0 && tc_ms_now() - t0 < wait_ms) {
			int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
			if (rc == SQLITE_OK)
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			if ((rc == SQLITE_BUSY) == busy)
				at = tc_ms_now() - t0;
			else
				usleep(2 * 1000);
		}
	sqlite3_close(db);
	return at;
}

/* 1 once someone holds the database's write lock (an import writing its
 * entries), waiting up to wait_ms. */
static int writing(const char *db_path, int wait_ms)
{
	return lock_becomes(db_path, 1, wait_ms) >= 0;
}

/* A member of staff logs in while an editor previews a change against the
 * large knowledge base (a copy of it indexed in memory and the labelled set
 * asked of both: seconds of staff work that writes nothing to the file).
 * The log-in's hash runs on the hashing thread, so its answer comes in
 * about one hash; on main both shared the pool's one thread and the log-in
 * waited for the whole preview. (A log-in's own writes, its try and its
 * session, still wait for SQLite's write lock while an import writes its
 * entries: widget/README.md.) */
TEST(attack, a_log_in_is_answered_while_a_long_preview_runs)
{
	static struct importer im;
	struct http_opts o;
	struct http_server *srv = NULL;
	REQUIRE((srv = start_importing(&o, "login", &im)));
	struct one_call big = import_call(&im, im.body);
	call_once(&big);
	REQUIRE(big.status == 200);
	long long hash_ms = one_wrong_password_ms(im.port);
	REQUIRE(hash_ms > 0);
	struct one_call preview = {.port = im.port, .path = "/api/v1/admin/eval/compare", .token = im.token,
				   .csrf = im.csrf,
				   .body = "{\"alternate\": {\"entry\": \"extra-7\", \"question\": \"第7会場の駐車場は無料ですか\"}}"};
	pthread_t pt;
	REQUIRE(pthread_create(&pt, NULL, call_once, &preview) == 0);
	usleep(300 * 1000);  /* the preview runs on the pool */
	struct one_call login = {.port = im.port, .path = "/api/v1/admin/login",
				 .body = "{\"name\": \"importer1\", \"password\": \"correct horse battery\"}"};
	call_once(&login);
	pthread_join(pt, NULL);
	fprintf(stderr, "    one wrong password alone %lld ms; a log-in during a preview (%lld ms): %d in %lld ms\n",
		hash_ms, preview.ms, login.status, login.ms);
	CHECK(preview.status == 200);
	CHECK(login.status == 200);
	CHECK(login.ms < (preview.ms - 300) / 2);
	http_stop(srv);
	free(im.body);
	free(im.sample);
}

/* A log-in while an import writes its entries: its try (claimed before the
 * hash) and its session are writes, and wait for the import's write lock (a
 * whole import is one transaction, all or nothing) up to MG_DB_BUSY_MS, after
 * which it is told the server is busy. Printed: the lock held by the import
 * of 2,600 entries after the log-in was sent, the log-in's time beside it and
 * one hash alone (widget/README.md). */
TEST(attack, a_log_in_during_an_imports_write_waits_for_it_and_is_answered)
{
	static struct importer im;
	struct http_opts o;
	struct http_server *srv = NULL;
	REQUIRE((srv = start_importing(&o, "lock", &im)));
	long long hash_ms = one_wrong_password_ms(im.port);
	REQUIRE(hash_ms > 0);
	struct one_call big = import_call(&im, im.body);
	pthread_t bt, lt;
	REQUIRE(pthread_create(&bt, NULL, call_once, &big) == 0);
	CHECK(writing(o.db, 60000));
	struct one_call login = {.port = im.port, .path = "/api/v1/admin/login",
				 .body = "{\"name\": \"importer1\", \"password\": \"correct horse battery\"}"};
	REQUIRE(pthread_create(&lt, NULL, call_once, &login) == 0);
	long long rest_ms = lock_becomes(o.db, 0, 60000);
	pthread_join(lt, NULL);
	pthread_join(bt, NULL);
	http_stop(srv);
	fprintf(stderr, "    one hash alone %lld ms; an import of %d entries (%d, %lld ms) held the write lock"
		" %lld ms more after the log-in was sent; the log-in: %d %s in %lld ms\n", hash_ms, big.imported,
		big.status, big.ms, rest_ms, login.status, login.reason, login.ms);
	CHECK(big.status == 200);
	CHECK(rest_ms >= 0);
	/* Answered after the rest of the write and its hash; told to come back
	 * (503 busy) only when the write held the lock about MG_DB_BUSY_MS or
	 * more (the log-in's wait began a little after the poll's), which the
	 * import of 2,600 entries does not here (0.6-1.1 s; 2.6 s under the
	 * sanitizers). */
	CHECK(login.status == 200 ||
	      (login.status == 503 && !strcmp(login.reason, "busy") && rest_ms >= MG_DB_BUSY_MS - 500));
	CHECK(login.ms < (rest_ms < MG_DB_BUSY_MS ? rest_ms : MG_DB_BUSY_MS) + 2 * hash_ms + 1000);
	free(im.body);
	free(im.sample);
}

/* The server stops (as on SIGTERM) while the large import runs and staff
 * work waits behind it: small imports of other editors (a knowledge base of
 * one entry each). The running import is finished and answered; the
 * waiting ones are told to come back, none of them ran (the knowledge base
 * is the large import's, every entry), and nobody is left without an
 * answer; a log-in sent meanwhile never waited for the import (its hash has
 * a thread of its own). Under the sanitizers, every job's memory is freed. */
TEST(attack, stopping_finishes_the_running_import_and_turns_the_waiting_away)
{
	struct http_opts o = {.rate_burst = -1, .threads = STAFF_TEST_WORKERS};
	struct http_server *srv = start(&o, "stop");
	REQUIRE(srv);
	static struct importer im;
	REQUIRE(importer_ready(&im, o.db, http_port(srv)) == 0);
	sqlite3 *db = NULL;
	REQUIRE(sqlite3_open(o.db, &db) == SQLITE_OK);
	int entries = fixture_count(db, "SELECT count(*) FROM kb_entries");
	REQUIRE(entries > 0);
	/* A knowledge base of one entry, as a small import's body. */
	char small[1200], csv[512], enc[1024];
	snprintf(csv, sizeof csv, "id,slug,category,route,status,question,answer\r\n"
		 "only-1,only-1,booking,booking,published,予約の方法を教えてください,予約サイトからできます。\r\n");
	sodium_bin2base64(enc, sizeof enc, (const unsigned char *)csv, strlen(csv), sodium_base64_VARIANT_ORIGINAL);
	snprintf(small, sizeof small, "{\"csv_base64\": \"%s\"}", enc);

	struct one_call big = import_call(&im, im.body);
	pthread_t bt, wt[HTTP_STAFF_WAITING + 1];
	REQUIRE(pthread_create(&bt, NULL, call_once, &big) == 0);
	/* The large import is writing its entries on the pool... */
	int running = writing(o.db, 60000);
	CHECK(running);
	/* ...when the small imports and a log-in come, and wait. */
	struct one_call waiting[HTTP_STAFF_WAITING + 1];
	for (int i = 0; i < HTTP_STAFF_WAITING + 1; i++) {
		waiting[i] = import_call(&im, small);
		if (i == HTTP_STAFF_WAITING)  /* the log-in */
			waiting[i] = (struct one_call){.port = im.port, .path = "/api/v1/admin/login",
						       .body = "{\"name\": \"nobody\", \"password\": \"a wrong guess\"}"};
		REQUIRE(pthread_create(&wt[i], NULL, call_once, &waiting[i]) == 0);
	}
	usleep(300 * 1000);
	http_stop(srv);
	pthread_join(bt, NULL);
	for (int i = 0; i < HTTP_STAFF_WAITING + 1; i++)
		pthread_join(wt[i], NULL);
	fprintf(stderr, "    replies at the stop: %d (running, %lld ms)", big.status, big.ms);
	for (int i = 0; i < HTTP_STAFF_WAITING + 1; i++)
		fprintf(stderr, ", %d %s", waiting[i].status, waiting[i].reason);
	fprintf(stderr, "\n");
	CHECK(big.status == 200 && big.imported == entries + BIG_KB_EXTRA);
	for (int i = 0; i < HTTP_STAFF_WAITING; i++)
		CHECK(waiting[i].status == 503 && !strcmp(waiting[i].reason, "staff_busy") &&
		      waiting[i].retry_s == HTTP_STAFF_WORK_RETRY_S);
	const struct one_call *login = &waiting[HTTP_STAFF_WAITING];
	CHECK(login->status == 401);
	/* The knowledge base is the large import's: no small one ran. */
	CHECK(fixture_count(db, "SELECT count(*) FROM kb_entries") == entries + BIG_KB_EXTRA);
	sqlite3_close(db);
	free(im.body);
	free(im.sample);
}
