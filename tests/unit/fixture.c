#include "tests/unit/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chatbot/staff.h"

static struct nlp_model *model;

static void close_model(void)
{
	nlp_model_close(model);
}

struct nlp_model *fixture_model(void)
{
	if (!model) {
		char err[MG_ERR_LEN];
		if (nlp_model_open(&model, err) != MG_OK) {
			fprintf(stderr, "fixture: %s\n", err);
			exit(2);
		}
		atexit(close_model);
	}
	return model;
}

struct collect {
	char buf[8192];
	size_t len;
};

static int collect(void *ctx, enum nlp_kind kind, const char *tok, int len)
{
	(void)kind;
	struct collect *c = ctx;
	if (c->len + (size_t)len + 2 < sizeof c->buf) {
		if (c->len)
			c->buf[c->len++] = ' ';
		memcpy(c->buf + c->len, tok, (size_t)len);
		c->len += (size_t)len;
		c->buf[c->len] = 0;
	}
	return 0;
}

const char *fixture_terms(const char *text, const struct nlp_synonyms *syn)
{
	static struct collect c;
	struct nlp_analyser *an = NULL;
	char err[MG_ERR_LEN];
	c.len = 0;
	c.buf[0] = 0;
	if (nlp_analyser_new(fixture_model(), &an, err) != MG_OK)
		return "(analyser failed)";
	if (nlp_analyse(an, syn, text, strlen(text), collect, &c, err) != MG_OK)
		snprintf(c.buf, sizeof c.buf, "(error: %s)", err);
	nlp_analyser_free(an);
	return c.buf;
}

#include "tests/unit/test.h"

static struct town *town;

static void free_town(void)
{
	town_free(town);
}

const struct town *fixture_town(void)
{
	if (!town) {
		char err[MG_ERR_LEN];
		if (town_load("tests/unit/data/town.json", &town, err) != MG_OK) {
			fprintf(stderr, "fixture: %s\n", err);
			exit(2);
		}
		atexit(free_town);
	}
	return town;
}

time_t fixture_local(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
			.tm_isdst = -1};
	return nlp_zone_mktime(town_zone(fixture_town()), &tm);
}

void fixture_today(char out[11])
{
	nlp_zone_day(town_zone(fixture_town()), time(NULL), out);
}

const char *fixture_path(const char *name)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ % 4];
	snprintf(p, sizeof path[0], "%s/%s", test_tmpdir(), name);
	return p;
}

char *fixture_read(const char *path, size_t *len)
{
	char *data = NULL, err[MG_ERR_LEN];
	if (mg_read_file(path, 1u << 26, &data, len, err) != MG_OK) {
		fprintf(stderr, "fixture: %s\n", err);
		exit(2);
	}
	return data;
}

static int test_fact(void *ctx, const char *key, size_t len)
{
	(void)ctx;
	return !strncmp(key, "call_center_phone", len) || !strncmp(key, "town_name", len);
}

struct chatbot *fixture_bot(const char *name)
{
	char err[MG_ERR_LEN];
	struct chatbot *bot = NULL;
	const char *db = fixture_path(name);
	/* The program's own open: the answer's tables and staff's. */
	if (chatbot_open(&bot, db, fixture_model(), fixture_town(), err) != MG_OK ||
	    staff_init(kb_db(chatbot_kb(bot)), err) != MG_OK) {
		fprintf(stderr, "fixture: %s\n", err);
		exit(2);
	}
	size_t len;
	int n;
	char *syn = fixture_read("tests/unit/data/mini_synonyms.tsv", &len);
	if (kb_import_synonyms(chatbot_kb(bot), syn, len, "mini_synonyms.tsv", &n, err) != MG_OK) {
		fprintf(stderr, "fixture: %s\n", err);
		exit(2);
	}
	free(syn);
	char *csv = fixture_read("tests/unit/data/mini.csv", &len);
	struct kb_import_opts opts = {.placeholder = test_fact};
	if (kb_import(chatbot_kb(bot), csv, len, "mini.csv", &opts, &n, err) != MG_OK) {
		fprintf(stderr, "fixture: %s\n", err);
		exit(2);
	}
	free(csv);
	return bot;
}

void fixture_bot_close(struct chatbot *bot)
{
	chatbot_close(bot);
}

struct chatbot *fixture_sample_bot(const char *name)
{
	static struct town *sample;  /* loaded once, kept for the run */
	char err[MG_ERR_LEN];
	struct chatbot *bot = NULL;
	if ((!sample && town_load(NULL, &sample, err) != MG_OK) ||
	    chatbot_open(&bot, fixture_path(name), fixture_model(), sample, err) != MG_OK ||
	    staff_init(kb_db(chatbot_kb(bot)), err) != MG_OK) {
		fprintf(stderr, "fixture: %s\n", err);
		exit(2);
	}
	return bot;
}

void fixture_sample_bot_close(struct chatbot *bot)
{
	chatbot_close(bot);
}

const char *fixture_ask(struct chatbot *bot, const char *question)
{
	static char out[MG_ERR_LEN + 64];
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	struct ask_opts o = {.no_log = 1};
	if (chatbot_ask(bot, question, strlen(question), &o, &r, err) != MG_OK) {
		snprintf(out, sizeof out, "error %s", err);
		return out;
	}
	json_t *first = json_array_get(json_object_get(r, "candidates"), 0);
	const char *slug = json_string_value(json_object_get(first, "slug"));
	snprintf(out, sizeof out, "%s %s", json_string_value(json_object_get(r, "decision")),
		 slug && *slug ? slug : "-");
	json_decref(r);
	return out;
}

int fixture_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

char *fixture_export(struct chatbot *bot, const char *name, size_t *len)
{
	char err[MG_ERR_LEN];
	const char *path = fixture_path(name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	int rc = kb_export(chatbot_kb(bot), f, err);
	if (fclose(f) != 0 || rc != MG_OK)
		return NULL;
	return fixture_read(path, len);
}
