/* What the synonym list costs a server (README § Performance): a worker's
 * first ask after staff saved the list again (a new generation) whose model
 * the staff-work pool has loaded, the pool's load itself, a worker's
 * steady ask (over STEADY_ASKS), and the list's own load with VARIANTS generated verb
 * variants (tests/unit/verbs.h), each in a function of its own for
 * callgrind to count:
 *   valgrind --tool=callgrind --toggle-collect='measure_*' build/rel/bench-synonyms DIR 2000
 *   callgrind_annotate --inclusive=yes callgrind.out.PID | grep measure_
 * The knowledge base is the sample's, its list the sample's and the
 * generated variants. No dictionary is read (kb_gloss_preload): neither
 * side pays for it here. Usage: bench-synonyms DIR [VARIANTS] */
#include "chatbot/chatbot_int.h"
#include "tests/unit/verbs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char QUESTION[] = "接種券をなくしました";
#define STEADY_ASKS 10

static void no_load(void *ctx)
{
	(void)ctx;
}

static int ask(struct chatbot *bot, char *err)
{
	json_t *res = NULL;
	struct ask_opts o = {.no_log = 1};
	int rc = chatbot_ask(bot, QUESTION, strlen(QUESTION), &o, &res, err);
	json_decref(res);
	return rc;
}

__attribute__((noinline)) static int measure_pool_load(struct chatbot *pool)
{
	return kb_synonyms(chatbot_kb(pool)) != NULL;
}

__attribute__((noinline)) static int measure_first_ask(struct chatbot *worker, char *err)
{
	return ask(worker, err);
}

/* n asks: a function of its own, not the first ask's twin, which the
 * compiler would fold into one. */
__attribute__((noinline)) static int measure_steady_asks(struct chatbot *worker, int n, char *err)
{
	int rc = MG_OK;
	for (int i = 0; i < n && rc == MG_OK; i++)
		rc = ask(worker, err);
	return rc;
}

__attribute__((noinline)) static int measure_load_verbs(struct nlp_analyser *an, int n, char *err)
{
	return verbs_load(an, n, err);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-synonyms DIR [VARIANTS]\n");
		return 2;
	}
	int n = argc > 2 ? atoi(argv[2]) : VERBS_MAX;
	if (n < 0 || n > VERBS_MAX)
		n = VERBS_MAX;
	char err[MG_ERR_LEN], path[1024];
	snprintf(path, sizeof path, "%s/bench-synonyms.db", argv[1]);
	remove(path);
	struct nlp_model *model = NULL;
	struct town *town = NULL;
	struct chatbot *pool = NULL, *worker = NULL;
	size_t len = 0;
	char *list = verbs_tsv(kb_sample_synonyms, kb_sample_synonyms_len, n, &len);
	int groups = 0;
	if (!list || town_load(NULL, &town, err) || nlp_model_open(&model, err) ||
	    chatbot_open(&pool, path, model, town, err) ||
	    kb_import_synonyms(chatbot_kb(pool), list, len, "synonyms.tsv", &groups, err) ||
	    !kb_synonyms(chatbot_kb(pool)) || chatbot_open(&worker, path, model, town, err) || ask(worker, err)) {
		fprintf(stderr, "bench-synonyms: %s\n", list ? err : "out of memory");
		return 1;
	}
	kb_set_loader(chatbot_kb(worker), no_load, NULL);
	/* staff save the list again: a new generation, loaded by the pool */
	double t0 = verbs_cpu_ms();
	int rc = kb_import_synonyms(chatbot_kb(pool), list, len, "synonyms.tsv", &groups, err);
	double t1 = verbs_cpu_ms();
	if (rc == MG_OK && !measure_pool_load(pool))
		rc = MG_ERR_DB;
	double t2 = verbs_cpu_ms();
	if (rc == MG_OK)
		rc = measure_first_ask(worker, err);
	double t3 = verbs_cpu_ms();
	int fresh = kb_fresh(chatbot_kb(worker));
	if (rc == MG_OK)
		rc = measure_steady_asks(worker, STEADY_ASKS, err);
	double t4 = verbs_cpu_ms();
	if (rc == MG_OK)
		rc = measure_load_verbs(kb_analyser(chatbot_kb(worker)), n, err);
	double t5 = verbs_cpu_ms();
	if (rc == MG_OK)
		rc = measure_load_verbs(kb_analyser(chatbot_kb(worker)), n / 4, err);
	double t6 = verbs_cpu_ms();
	if (rc != MG_OK || !fresh) {
		fprintf(stderr, "bench-synonyms: %s\n", rc != MG_OK ? err : "the worker did not take the pool's model");
		return 1;
	}
	printf("list: the sample's and %d verb variants (%d groups)\n", n, groups);
	printf("CPU ms: import %.1f, the pool's load %.1f, the worker's first ask %.2f, a steady ask %.2f, "
	       "the list's %d variants alone %.1f\n", t1 - t0, t2 - t1, t3 - t2, (t4 - t3) / STEADY_ASKS, n, t5 - t4);
	/* linear: about 4x; the duplicate checks walking every pair made it 10-17x */
	printf("the list's %d variants against %d: %.1fx the CPU time\n", n, n / 4, (t5 - t4) / (t6 - t5));
	chatbot_close(worker);
	chatbot_close(pool);
	nlp_model_close(model);
	town_free(town);
	free(list);
	return 0;
}
