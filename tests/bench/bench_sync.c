/* What another connection's commit costs a server worker's next ask. The
 * event log shares the knowledge base's file, and in WAL mode a read
 * transaction that meets a new commit drops the connection's whole page
 * cache: the worker's next ask reads its pages again, from the file's map
 * (kb/kb_int.h KB_MMAP_BYTES) or by read syscalls without it. Instructions,
 * for callgrind, of the first 70 questions of a labelled set asked by one
 * connection with nothing committed between them (bench_sync_quiet), then each
 * right after another connection logged an ask (bench_sync_after_commit), on a
 * database made from the sample (created when missing); the two lines'
 * difference over 70 is what the commits cost:
 *   valgrind --tool=callgrind --toggle-collect='bench_sync_*' build/rel/bench-sync DB tests/eval/dev.tsv
 *   callgrind_annotate --inclusive=yes callgrind.out.PID | grep bench_sync_
 * With a third argument, SQL run on the worker's connection first
 * (PRAGMA mmap_size=0: the pages read by syscalls, as before the map). */
#include "chatbot/chatbot.h"
#include "kb/kb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUESTIONS 70

static int ask(struct chatbot *bot, const char *q, int logged)
{
	char err[MG_ERR_LEN];
	json_t *res = NULL;
	struct ask_opts o = {.no_log = !logged};
	int rc = chatbot_ask(bot, q, strlen(q), &o, &res, err);
	json_decref(res);
	return rc;
}

/* One question each, counted apart; noipa so that callgrind sees them (and the compiler keeps two). */
__attribute__((noipa)) static int bench_sync_quiet(struct chatbot *bot, const char *q)
{
	return ask(bot, q, 0);
}

__attribute__((noipa)) static int bench_sync_after_commit(struct chatbot *bot, const char *q)
{
	return ask(bot, q, 0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-sync DB QUESTIONS.tsv [SQL]\n");
		return 2;
	}
	char *q[QUESTIONS];
	int n = 0;
	char line[8192];
	FILE *f = fopen(argv[2], "r");
	if (!f) {
		fprintf(stderr, "bench-sync: cannot read %s\n", argv[2]);
		return 1;
	}
	while (n < QUESTIONS && fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\t\r\n")] = 0;
		if (line[0] && !(q[n] = strdup(line)))
			break;
		n += line[0] != 0;
	}
	fclose(f);
	char err[MG_ERR_LEN];
	struct nlp_model *model = NULL;
	struct town *town = NULL;
	struct chatbot *bot = NULL, *other = NULL;
	int rc = 1;
	if (town_load(NULL, &town, err) || nlp_model_open(&model, err) ||
	    chatbot_open(&bot, argv[1], model, town, err) || chatbot_open(&other, argv[1], model, town, err)) {
		fprintf(stderr, "bench-sync: %s\n", err);
		goto done;
	}
	if (argc > 3 && sqlite3_exec(kb_db(chatbot_kb(bot)), argv[3], NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench-sync: %s\n", sqlite3_errmsg(kb_db(chatbot_kb(bot))));
		goto done;
	}
	for (int i = 0; i < n; i++)  /* the warm-up: the model, the dictionary, other's too */
		if (ask(bot, q[i], 0) != MG_OK || ask(other, q[i], 0) != MG_OK) {
			fprintf(stderr, "bench-sync: the question on line %d failed\n", i + 1);
			goto done;
		}
	for (int i = 0; i < n; i++)
		bench_sync_quiet(bot, q[i]);
	for (int i = 0; i < n; i++) {
		ask(other, q[i], 1);  /* its event committed on other's connection */
		bench_sync_after_commit(bot, q[i]);
	}
	printf("asked %d questions, quietly and each after another connection's commit\n", n);
	rc = 0;
done:
	chatbot_close(other);
	chatbot_close(bot);
	nlp_model_close(model);
	town_free(town);
	for (int i = 0; i < n; i++)
		free(q[i]);
	return rc;
}
