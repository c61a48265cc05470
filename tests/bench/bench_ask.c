/* In-process cost of ask() next to the bare floor (MeCab parse + one FTS5
 * BM25 query) and to the first stage ranked by FTS5's bm25 function (as the
 * engine ranked it before it took the ranks from its model), on the shipped
 * knowledge base and on a synthetic one of 10,000 entries, and the peak
 * memory. Questions are the first column of a labelled set.
 * Usage: bench-ask DB_DIR QUESTIONS.tsv [ROUNDS]
 * With BENCH_ASK_COUNT=shipped (or synthetic), no timing: each of the
 * floor, the first stage alone and ask() goes once over the questions in a
 * function of its own, after a warm-up (the model, the dictionary), on the
 * knowledge base a timed run left in DB_DIR, for callgrind to count:
 *   BENCH_ASK_COUNT=shipped valgrind --tool=callgrind --toggle-collect='count_*' \
 *     build/rel/bench-ask DIR tests/eval/dev.tsv
 *   callgrind_annotate --inclusive=yes callgrind.out.PID | grep count_
 * With BENCH_ASK_TIMES=FILE, every timing's label, CPU µs and question are
 * appended to FILE (tab-separated, after the knowledge base's name), to see which questions make the p99. */
#include "chatbot/chatbot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define SYNTHETIC_ENTRIES 10000

static const char *which = "shipped";  /* the knowledge base being timed */

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The thread's own CPU time: on a machine shared with other work the wall
 * clock's p99 measures the scheduler (a question preempted mid-ask), this
 * what the ask itself cost. */
static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

struct timing {
	double t;   /* µs */
	int q;      /* the question */
};

static int tcmp(const void *a, const void *b)
{
	double x = ((const struct timing *)a)->t, y = ((const struct timing *)b)->t;
	return x < y ? -1 : x > y;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct questions {
	char **q;
	int n;
};

static int load_questions(const char *path, struct questions *qs)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	qs->q = NULL;
	qs->n = 0;
	while (getline(&line, &cap, f) > 0) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\t\n")] = 0;
		char **q = realloc(qs->q, (size_t)(qs->n + 1) * sizeof *q);
		if (!q)
			break;
		qs->q = q;
		qs->q[qs->n++] = strdup(line);
	}
	free(line);
	fclose(f);
	return 0;
}

/* Times kb_search with weights w (NULL: the whole chatbot_ask) over every
 * question, rounds times; prints median, p99, q/s of the wall clock and of
 * the thread's CPU time, and the question that took the most CPU; returns
 * the wall and CPU medians. */
struct medians {
	double wall, cpu;
};

static struct medians run(const char *label, struct chatbot *bot, const struct questions *qs, int rounds,
			  const struct kb_weights *w)
{
	struct medians md = {0, 0};
	int total = qs->n * rounds;
	double *t = malloc((size_t)total * sizeof *t);
	struct timing *c = malloc((size_t)total * sizeof *c);
	if (!t || !c) {
		free(t);
		free(c);
		return md;
	}
	char err[MG_ERR_LEN], today[11];
	chatbot_today(bot, today);
	struct ask_opts o = {.no_log = 1};
	double start = now_us();
	for (int r = 0, k = 0; r < rounds; r++) {
		for (int i = 0; i < qs->n; i++, k++) {
			double t0 = now_us(), c0 = cpu_us();
			if (w) {
				struct kb_candidate cand[POLICY_DEFAULT_TOP];
				struct kb_query_stats st;
				int n;
				struct kb_search_opts so = {w, today, NULL};
				kb_search(chatbot_kb(bot), qs->q[i], strlen(qs->q[i]), &so, cand, POLICY_DEFAULT_TOP,
					  &n, &st, err);
			} else {
				json_t *res = NULL;
				if (chatbot_ask(bot, qs->q[i], strlen(qs->q[i]), &o, &res, err) == MG_OK)
					json_decref(res);
			}
			c[k] = (struct timing){cpu_us() - c0, i};
			t[k] = now_us() - t0;
		}
	}
	double wall = now_us() - start;
	const char *times = getenv("BENCH_ASK_TIMES");
	FILE *f = times ? fopen(times, "a") : NULL;
	for (int k = 0; f && k < total; k++)
		fprintf(f, "%s\t%s\t%.1f\t%s\n", which, label, c[k].t, qs->q[c[k].q]);
	if (f)
		fclose(f);
	qsort(t, (size_t)total, sizeof *t, dcmp);
	qsort(c, (size_t)total, sizeof *c, tcmp);
	printf("  %-28s median %7.1f µs   p99 %7.1f µs   %8.0f questions/s\n", label,
	       t[total / 2], t[total * 99 / 100], total / (wall / 1e6));
	/* the slowest question's first 60 bytes, cut at a character: a cut
	 * inside one made the whole output binary to grep */
	const char *slowest = qs->q[c[total - 1].q];
	int clip = (int)strlen(slowest) < 60 ? (int)strlen(slowest) : 60;
	while (clip > 0 && ((unsigned char)slowest[clip] & 0xc0) == 0x80)
		clip--;
	printf("  %-28s CPU median %7.1f µs   p99 %7.1f µs (%.1f×)   most %7.1f µs: %.*s\n", "", c[total / 2].t,
	       c[total * 99 / 100].t, c[total * 99 / 100].t / c[total / 2].t, c[total - 1].t, clip, slowest);
	md.wall = t[total / 2];
	md.cpu = c[total / 2].t;
	free(t);
	free(c);
	return md;
}

/* How many bytes of s fit in max without cutting a UTF-8 character. */
static int cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return (int)n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return (int)max;
}

/* A knowledge base of n entries made of the sample's own sentences, so that
 * its vocabulary and lengths are those of a real FAQ, only far more of it. */
static char *synthetic_csv(struct chatbot *sample, int n, size_t *len)
{
	sqlite3_stmt *st = NULL;
	char **sent = NULL;
	int nsent = 0;
	sqlite3_prepare_v2(kb_db(chatbot_kb(sample)), "SELECT answer || '。' || alt_questions FROM kb_entries",
			   -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *text = strdup((const char *)sqlite3_column_text(st, 0));
		/* sentences end at 。, | or a line break; quotes and braces go */
		for (char *p = text; (p = strstr(p, "。"));)
			memset(p, '\n', 3);
		for (char *p = text; *p; p++)
			if (*p == '|' || *p == '"' || *p == '{' || *p == '}')
				*p = '\n';
		for (char *save = NULL, *s = strtok_r(text, "\n", &save); s; s = strtok_r(NULL, "\n", &save)) {
			if (strlen(s) < 9)
				continue;
			char **m = realloc(sent, (size_t)(nsent + 1) * sizeof *m);
			if (!m)
				break;
			sent = m;
			sent[nsent++] = strdup(s);
		}
		free(text);
	}
	sqlite3_finalize(st);
	size_t cap = (size_t)n * 1024, w = 0;
	char *csv = malloc(cap);
	w += (size_t)snprintf(csv + w, cap - w, "id,question,answer,alt_questions\n");
	srand(42);
	for (int i = 0; i < n && nsent > 0 && w + 2048 < cap; i++) {
		const char *a = sent[rand() % nsent], *b = sent[rand() % nsent], *c = sent[rand() % nsent];
		const char *d = sent[rand() % nsent], *e = sent[rand() % nsent];
		w += (size_t)snprintf(csv + w, cap - w, "%d,\"%.*s\",\"%.*s。%.*s。%.*s\",\"%.*s\"\n", i + 1,
				      cut(a, 300), a, cut(b, 300), b, cut(c, 300), c, cut(d, 300), d, cut(e, 200), e);
	}
	for (int i = 0; i < nsent; i++)
		free(sent[i]);
	free(sent);
	*len = w;
	return csv;
}

static void search_all(struct chatbot *bot, const struct questions *qs, const struct kb_weights *w)
{
	char err[MG_ERR_LEN], today[11];
	chatbot_today(bot, today);
	for (int i = 0; i < qs->n; i++) {
		struct kb_candidate cand[POLICY_DEFAULT_TOP];
		struct kb_query_stats st;
		int n;
		struct kb_search_opts so = {w, today, NULL};
		kb_search(chatbot_kb(bot), qs->q[i], strlen(qs->q[i]), &so, cand, POLICY_DEFAULT_TOP, &n, &st, err);
	}
}

__attribute__((noinline)) static void count_floor(struct chatbot *bot, const struct questions *qs)
{
	search_all(bot, qs, &POLICY_FLOOR_WEIGHTS);
}

__attribute__((noinline)) static void count_first_stage(struct chatbot *bot, const struct questions *qs)
{
	struct kb_weights first = POLICY_WEIGHTS;
	first.first_only = 1;
	search_all(bot, qs, &first);
}

__attribute__((noinline)) static void count_ask(struct chatbot *bot, const struct questions *qs)
{
	char err[MG_ERR_LEN];
	struct ask_opts o = {.no_log = 1};
	for (int i = 0; i < qs->n; i++) {
		json_t *res = NULL;
		if (chatbot_ask(bot, qs->q[i], strlen(qs->q[i]), &o, &res, err) == MG_OK)
			json_decref(res);
	}
}

static int count(const char *dir, const char *kb, const struct questions *qs, struct nlp_model *model,
		 struct town *town)
{
	char err[MG_ERR_LEN], path[1024];
	struct chatbot *bot = NULL;
	snprintf(path, sizeof path, "%s/bench-%s.db", dir, strcmp(kb, "synthetic") ? "sample" : "synthetic");
	if (access(path, R_OK)) {
		fprintf(stderr, "bench-ask: no %s: run bench-ask %s QUESTIONS.tsv 1 first\n", path, dir);
		return 1;
	}
	if (chatbot_open(&bot, path, model, town, err)) {
		fprintf(stderr, "bench-ask: %s\n", err);
		return 1;
	}
	search_all(bot, qs, &POLICY_WEIGHTS);  /* the warm-up: the model, the dictionary */
	count_floor(bot, qs);
	count_first_stage(bot, qs);
	count_ask(bot, qs);
	printf("counted %d questions on %s\n", qs->n, path);
	chatbot_close(bot);
	return 0;
}

static void ratios(struct medians ask, struct medians first, struct medians fts, struct medians floor)
{
	printf("  ask() / first stage: %.2f; ask() / first stage by FTS5's bm25: %.2f; ask() / floor: %.2f\n",
	       ask.wall / first.wall, ask.wall / fts.wall, ask.wall / floor.wall);
	printf("  the same in CPU time:  %.2f; %.2f; %.2f\n", ask.cpu / first.cpu, ask.cpu / fts.cpu,
	       ask.cpu / floor.cpu);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-ask DB_DIR QUESTIONS.tsv [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	struct questions qs;
	if (load_questions(argv[2], &qs) || qs.n == 0) {
		fprintf(stderr, "bench-ask: cannot read %s\n", argv[2]);
		return 1;
	}
	char err[MG_ERR_LEN], path[1024];
	struct nlp_model *model = NULL;
	struct town *town = NULL;
	struct chatbot *bot = NULL, *big = NULL;
	if (town_load(NULL, &town, err) || nlp_model_open(&model, err)) {
		fprintf(stderr, "bench-ask: %s\n", err);
		return 1;
	}
	if (getenv("BENCH_ASK_COUNT")) {
		int rc = count(argv[1], getenv("BENCH_ASK_COUNT"), &qs, model, town);
		for (int i = 0; i < qs.n; i++)
			free(qs.q[i]);
		free(qs.q);
		nlp_model_close(model);
		town_free(town);
		return rc;
	}
	snprintf(path, sizeof path, "%s/bench-sample.db", argv[1]);
	remove(path);
	if (chatbot_open(&bot, path, model, town, err)) {
		fprintf(stderr, "bench-ask: %s\n", err);
		return 1;
	}
	printf("ask() in process, %d questions x %d rounds, one thread\n", qs.n, rounds);
	printf("shipped knowledge base:\n");
	struct kb_weights first = POLICY_WEIGHTS, first_fts = POLICY_WEIGHTS;
	first.first_only = first_fts.first_only = first_fts.fts_rank = 1;
	struct medians floor_small = run("floor (MeCab + FTS5 BM25)", bot, &qs, rounds, &POLICY_FLOOR_WEIGHTS);
	struct medians fts_small = run("first stage by FTS5's bm25", bot, &qs, rounds, &first_fts);
	struct medians first_small = run("first stage alone", bot, &qs, rounds, &first);
	struct medians ask_small = run("ask()", bot, &qs, rounds, NULL);
	ratios(ask_small, first_small, fts_small, floor_small);

	snprintf(path, sizeof path, "%s/bench-synthetic.db", argv[1]);
	remove(path);
	size_t len = 0;
	char *csv = synthetic_csv(bot, SYNTHETIC_ENTRIES, &len);
	int imported = 0;
	struct kb_import_opts opts = {0};
	double t0 = now_us();
	if (chatbot_open(&big, path, model, town, err) ||
	    kb_import(chatbot_kb(big), csv, len, "synthetic.csv", &opts, &imported, err)) {
		fprintf(stderr, "bench-ask: %s\n", err);
		return 1;
	}
	printf("synthetic knowledge base: %d entries (imported and indexed in %.1f s):\n", imported,
	       (now_us() - t0) / 1e6);
	which = "synthetic";
	struct medians floor_big = run("floor (MeCab + FTS5 BM25)", big, &qs, rounds, &POLICY_FLOOR_WEIGHTS);
	struct medians fts_big = run("first stage by FTS5's bm25", big, &qs, rounds, &first_fts);
	struct medians first_big = run("first stage alone", big, &qs, rounds, &first);
	struct medians ask_big = run("ask()", big, &qs, rounds, NULL);
	ratios(ask_big, first_big, fts_big, floor_big);
	printf("  ask() at %d entries / ask() on the shipped base: %.2f (CPU time %.2f)\n", SYNTHETIC_ENTRIES,
	       ask_big.wall / ask_small.wall, ask_big.cpu / ask_small.cpu);
	free(csv);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak memory (max RSS): %.1f MB\n", ru.ru_maxrss / 1024.0);
	chatbot_close(big);
	chatbot_close(bot);
	for (int i = 0; i < qs.n; i++)
		free(qs.q[i]);
	free(qs.q);
	nlp_model_close(model);
	town_free(town);
	return 0;
}
