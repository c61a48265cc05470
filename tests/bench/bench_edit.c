/* One entry edited again and again on the shipped knowledge base, as the
 * staff console's editor saves it (the entry, the whole re-index, the
 * generation), on one connection: the time of each, for callgrind's count
 * of instructions per edit (README § Performance).
 * Usage: bench-edit DB_DIR [EDITS] */
#include "chatbot/chatbot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-edit DB_DIR [EDITS]\n");
		return 2;
	}
	int edits = argc > 2 ? atoi(argv[2]) : 10;
	char err[MG_ERR_LEN], path[1024];
	struct nlp_model *model = NULL;
	struct town *town = NULL;
	struct chatbot *bot = NULL;
	snprintf(path, sizeof path, "%s/bench-edit.db", argv[1]);
	remove(path);
	if (town_load(NULL, &town, err) || nlp_model_open(&model, err) ||
	    chatbot_open(&bot, path, model, town, err)) {
		fprintf(stderr, "bench-edit: %s\n", err);
		return 1;
	}
	double t0 = now_us();
	int rc = MG_OK;
	for (int i = 0; i < edits && rc == MG_OK; i++) {
		char answer[128];
		snprintf(answer, sizeof answer, "会場の北側に%d台分の駐車場があります。", 40 + i);
		struct kb_entry e = {.id = "9001", .slug = "bench-parking", .question = "会場に駐車場はありますか",
				     .answer = answer, .alt_questions = "車で行ってもいい？"};
		rc = kb_entry_put(chatbot_kb(bot), &e, NULL, NULL, err);
	}
	double t = now_us() - t0;
	if (rc != MG_OK) {
		fprintf(stderr, "bench-edit: %s\n", err);
		return 1;
	}
	printf("entry edits on the shipped knowledge base: %d, %.1f ms each\n", edits, t / edits / 1000);
	chatbot_close(bot);
	nlp_model_close(model);
	town_free(town);
	return 0;
}
