/* The FAQ that madoguchi and Groonga are compared on (tests/bench/groonga.sh):
 * N entries made of the sample knowledge base's own phrasings and answers,
 * written twice, the same entries and text in each: OUT_DIR/faq.csv for
 * `madoguchi import`, OUT_DIR/entries.json as Groonga load values.
 * Usage: bench-faq N OUT_DIR */
#include "chatbot/chatbot_int.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every answer is cut to this many characters (issue 10: "a generated
 * 2,000-entry FAQ with 300-character answers"). */
#define ANSWER_CHARS 300

struct topic {
	char *slug, *category, *route;
	char **phr;  /* the question, then its alternates */
	int nphr;
	int first, nsent;  /* its answer's sentences in the shared list */
};

struct sample {
	struct topic *t;
	int nt;
	char **sent;  /* every answer's sentences, topic after topic */
	int nsent;
};

static int push(char ***v, int *n, char *s)
{
	char **m = s ? realloc(*v, (size_t)(*n + 1) * sizeof *m) : NULL;
	if (!m) {
		free(s);
		return -1;
	}
	*v = m;
	(*v)[(*n)++] = s;
	return 0;
}

/* The text with the town's facts in place of {{key}}, so that both engines
 * index what a resident reads. Caller frees. */
static char *expand(const struct town *town, const char *text)
{
	json_t *j = town_expand(town, text, "ja");
	char *s = j ? strdup(json_string_value(j)) : NULL;
	json_decref(j);
	return s;
}

/* Splits an answer into sentences (each keeps its 。; a line of a list is
 * one too) and appends them to the sample's list. */
static int add_sentences(struct sample *s, const char *answer)
{
	const char *p = answer;
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *stop = memmem(p, n, "。", 3);
		if (stop)
			n = (size_t)(stop + 3 - p);
		if (n > 0 && push(&s->sent, &s->nsent, strndup(p, n)))
			return -1;
		p += n;
		while (*p == '\n')
			p++;
	}
	return 0;
}

static int load_sample(struct chatbot *bot, const struct town *town, struct sample *s)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(kb_db(chatbot_kb(bot)),
				    "SELECT slug, category, route, question, alt_questions, answer FROM kb_entries "
				    "WHERE status = 'published' ORDER BY id",
				    -1, &st, NULL) == SQLITE_OK ? 0 : -1;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		struct topic *t = realloc(s->t, (size_t)(s->nt + 1) * sizeof *t);
		if (!t) {
			rc = -1;
			break;
		}
		s->t = t;
		t = &s->t[s->nt++];
		memset(t, 0, sizeof *t);
		for (int c = 0; c < 3; c++) {
			char *v = strdup((const char *)sqlite3_column_text(st, c));
			if (!v)
				rc = -1;
			*(c == 0 ? &t->slug : c == 1 ? &t->category : &t->route) = v;
		}
		if (rc || push(&t->phr, &t->nphr, strdup((const char *)sqlite3_column_text(st, 3)))) {
			rc = -1;
			break;
		}
		char *alts = strdup((const char *)sqlite3_column_text(st, 4));
		for (char *save = NULL, *a = alts ? strtok_r(alts, "|", &save) : NULL; a && !rc;
		     a = strtok_r(NULL, "|", &save))
			rc = push(&t->phr, &t->nphr, strdup(a));
		free(alts);
		char *answer = expand(town, (const char *)sqlite3_column_text(st, 5));
		t->first = s->nsent;
		if (!answer || add_sentences(s, answer))
			rc = -1;
		t->nsent = s->nsent - t->first;
		free(answer);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Entry k of topic t: its own sentences from the k-th on, then the next
 * topics', cut to ANSWER_CHARS characters. Caller frees. */
static char *answer_of(const struct sample *s, const struct topic *t, int k)
{
	size_t cap = ANSWER_CHARS * 4 + 1, w = 0;
	char *a = malloc(cap);
	int chars = 0;
	for (int i = 0; a && chars < ANSWER_CHARS && i < s->nsent; i++) {
		const char *p = s->sent[(t->first + (t->nsent ? k % t->nsent : 0) + i) % s->nsent];
		if (w >= 3 && a[w - 1] != '\n' && memcmp(a + w - 3, "。", 3) != 0)
			a[w++] = '\n';
		for (; *p && chars < ANSWER_CHARS; chars++) {
			size_t n = 1;
			while ((p[n] & 0xc0) == 0x80)
				n++;
			if (w + n + 2 > cap)
				break;
			memcpy(a + w, p, n);
			w += n;
			p += n;
		}
	}
	if (a)
		a[w] = 0;
	return a;
}

static void csv_cell(FILE *f, const char *s, int last)
{
	csv_fwrite(f, s, strlen(s));
	fputc(last ? '\n' : ',', f);
}

/* Writes entry i to both files: topic i mod nt, its (i / nt)-th phrasing as
 * the question, the topic's other phrasings as alternates, as the sample
 * has them; its own 300-character answer. */
static int write_entry(const struct sample *s, int i, FILE *csv, FILE *load)
{
	const struct topic *t = &s->t[i % s->nt];
	int k = i / s->nt, q = k % t->nphr;
	size_t cap = 1;
	for (int j = 0; j < t->nphr; j++)
		cap += strlen(t->phr[j]) + 1;
	char *alts = malloc(cap), *lines = malloc(cap), *answer = answer_of(s, t, k), id[16];
	if (!alts || !lines || !answer) {
		free(alts);
		free(lines);
		free(answer);
		return -1;
	}
	alts[0] = lines[0] = 0;
	for (int j = 0; j < t->nphr; j++) {
		if (j == q)
			continue;
		if (*alts) {
			strcat(alts, "|");
			strcat(lines, "\n");
		}
		strcat(alts, t->phr[j]);
		strcat(lines, t->phr[j]);
	}
	snprintf(id, sizeof id, "%d", i + 1);
	csv_cell(csv, id, 0);
	csv_cell(csv, t->slug, 0);
	csv_cell(csv, t->category, 0);
	csv_cell(csv, t->route, 0);
	csv_cell(csv, t->phr[q], 0);
	csv_cell(csv, answer, 0);
	csv_cell(csv, alts, 1);
	json_t *values = json_pack("{s:s, s:s, s:s, s:s}", "_key", id, "question", t->phr[q], "alternates", lines,
				   "answer", answer);
	fputs(i ? ",\n" : "[\n", load);  /* one entry a line */
	int rc = values ? json_dumpf(values, load, JSON_COMPACT) : -1;
	json_decref(values);
	free(alts);
	free(lines);
	free(answer);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 3 || atoi(argv[1]) <= 0) {
		fprintf(stderr, "usage: bench-faq N OUT_DIR\n");
		return 2;
	}
	int n = atoi(argv[1]), rc = 1;
	char err[MG_ERR_LEN], path[1024];
	struct nlp_model *model = NULL;
	struct town *town = NULL;
	struct chatbot *bot = NULL;
	struct sample s = {0};
	FILE *csv = NULL, *load = NULL;
	snprintf(path, sizeof path, "%s/bench-faq-sample.db", argv[2]);
	remove(path);
	if (town_load(NULL, &town, err) || nlp_model_open(&model, err) ||
	    chatbot_open(&bot, path, model, town, err)) {
		fprintf(stderr, "bench-faq: %s\n", err);
		goto out;
	}
	if (load_sample(bot, town, &s) || s.nt == 0 || s.nsent == 0) {
		fprintf(stderr, "bench-faq: cannot read the sample knowledge base\n");
		goto out;
	}
	snprintf(path, sizeof path, "%s/faq.csv", argv[2]);
	csv = fopen(path, "w");
	snprintf(path, sizeof path, "%s/entries.json", argv[2]);
	load = fopen(path, "w");
	if (!csv || !load) {
		fprintf(stderr, "bench-faq: cannot write to %s\n", argv[2]);
		goto out;
	}
	fputs("id,slug,category,route,question,answer,alt_questions\n", csv);
	for (int i = 0; i < n; i++)
		if (write_entry(&s, i, csv, load))
			goto out;
	fputs("\n]\n", load);
	rc = 0;
out:
	if (csv && fclose(csv))
		rc = 1;
	if (load && fclose(load))
		rc = 1;
	for (int i = 0; i < s.nt; i++) {
		for (int j = 0; j < s.t[i].nphr; j++)
			free(s.t[i].phr[j]);
		free(s.t[i].phr);
		free(s.t[i].slug);
		free(s.t[i].category);
		free(s.t[i].route);
	}
	free(s.t);
	for (int i = 0; i < s.nsent; i++)
		free(s.sent[i]);
	free(s.sent);
	chatbot_close(bot);
	nlp_model_close(model);
	town_free(town);
	return rc;
}
