/* The staff's and developers' subcommands of the engine: import, export, ask. */
#include "chatbot/chatbot_int.h"
#include "chatbot/cli.h"
#include "chatbot/ops_policy.h"
#include "chatbot/staff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Largest file import reads: ten times the biggest FAQ a town would write. */
#define CLI_MAX_FILE_BYTES (64u << 20)

int chatbot_cli_open(const struct cli_ctx *ctx, struct cli_env *env)
{
	char err[MG_ERR_LEN];
	memset(env, 0, sizeof *env);
	int rc = town_load(ctx->config, &env->town, err);
	if (rc == MG_OK)
		rc = nlp_model_open(&env->model, err);
	if (rc == MG_OK)
		rc = chatbot_open(&env->bot, ctx->db, env->model, env->town, err);
	if (rc == MG_OK)
		rc = staff_init(kb_db(chatbot_kb(env->bot)), err);
	if (rc != MG_OK) {
		fprintf(stderr, "madoguchi: %s\n", err);
		chatbot_cli_close(env);
	}
	return rc;
}

void chatbot_cli_close(struct cli_env *env)
{
	chatbot_close(env->bot);
	nlp_model_close(env->model);
	town_free(env->town);
	memset(env, 0, sizeof *env);
}

static void print_bad_row(void *ctx, int line, const char *message)
{
	fprintf(stderr, "%s:%d: %s\n", (const char *)ctx, line, message);
}

struct report_ctx {
	const char *name;
};

static void report_row(void *ctx, int line, const char *message)
{
	print_bad_row((void *)((struct report_ctx *)ctx)->name, line, message);
}

int chatbot_cli_import(const struct cli_ctx *ctx, int argc, char **argv)
{
	int append = 0;
	const char *file = NULL, *synonyms = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--append"))
			append = 1;
		else if (!strcmp(argv[i], "--synonyms") && i + 1 < argc)
			synonyms = argv[++i];
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else {
			fprintf(stderr, "usage: madoguchi import [--append] [--synonyms FILE.tsv] [FILE.csv]\n");
			return 2;
		}
	}
	if (!file && !synonyms) {
		fprintf(stderr, "usage: madoguchi import [--append] [--synonyms FILE.tsv] [FILE.csv]\n");
		return 2;
	}
	struct cli_env env;
	if (chatbot_cli_open(ctx, &env) != MG_OK)
		return 1;
	char err[MG_ERR_LEN];
	char *data = NULL;
	size_t len = 0;
	int rc = MG_OK;
	if (synonyms) {
		int groups = 0;
		rc = mg_read_file(synonyms, CLI_MAX_FILE_BYTES, &data, &len, err);
		if (rc == MG_OK)
			rc = kb_import_synonyms(chatbot_kb(env.bot), data, len, synonyms, &groups, err);
		if (rc == MG_OK)
			printf("%d synonym groups from %s\n", groups, synonyms);
		free(data);
		data = NULL;
	}
	if (rc == MG_OK && file) {
		int imported = 0;
		struct report_ctx rep = {file};
		struct kb_import_opts opts = {.append = append, .report = report_row, .placeholder = town_has_fact,
					      .ctx = &rep, .facts = (void *)env.town, .keep_replaced = OPS_KB_REPLACED_KEPT};
		rc = mg_read_file(file, CLI_MAX_FILE_BYTES, &data, &len, err);
		if (rc == MG_OK)
			rc = kb_import(chatbot_kb(env.bot), data, len, file, &opts, &imported, err);
		if (rc == MG_OK)
			printf("%d entries %s from %s\n", imported, append ? "added" : "loaded", file);
		free(data);
	}
	if (rc != MG_OK)
		fprintf(stderr, "madoguchi: %s\n", err);
	chatbot_cli_close(&env);
	return rc == MG_OK ? 0 : 1;
}

int chatbot_cli_export(const struct cli_ctx *ctx, int argc, char **argv)
{
	const char *file = argc > 1 ? argv[1] : "-";
	if (argc > 2) {
		fprintf(stderr, "usage: madoguchi export [FILE.csv | -]\n");
		return 2;
	}
	struct cli_env env;
	if (chatbot_cli_open(ctx, &env) != MG_OK)
		return 1;
	char err[MG_ERR_LEN], tmp[4096];
	int to_stdout = !strcmp(file, "-");
	/* Written beside the target and renamed: a full disk leaves the old file. */
	snprintf(tmp, sizeof tmp, "%s.tmp", file);
	FILE *out = to_stdout ? stdout : fopen(tmp, "wb");
	int rc = out ? MG_OK : mg_fail(err, MG_ERR_IO, "%s: %s", tmp, strerror(errno));
	if (rc == MG_OK)
		rc = kb_export(chatbot_kb(env.bot), out, err);
	if (out && !to_stdout) {
		if (fclose(out) != 0 && rc == MG_OK)
			rc = mg_fail(err, MG_ERR_IO, "%s: %s", tmp, strerror(errno));
		if (rc == MG_OK && rename(tmp, file) != 0)
			rc = mg_fail(err, MG_ERR_IO, "%s: %s", file, strerror(errno));
		if (rc != MG_OK)
			unlink(tmp);
	}
	if (rc != MG_OK)
		fprintf(stderr, "madoguchi: %s\n", err);
	chatbot_cli_close(&env);
	return rc == MG_OK ? 0 : 1;
}

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* The phone with its own hours, then a web line's page with the page's. */
static void print_line(json_t *line)
{
	if (!strcmp(str(line, "route"), "elsewhere")) {  /* another office: its entry says how */
		printf("  [%s] %s\n\n%s\n", str(line, "slug"), str(line, "question"), str(line, "answer"));
		return;
	}
	printf("  %s\n", str(line, "label"));
	if (json_object_get(line, "phone"))
		printf("  phone %s  %s%s%s\n  phone hours: %s\n", str(line, "phone"),
		       json_is_true(json_object_get(line, "phone_open_now")) ? "open now" : "closed now",
		       json_object_get(line, "phone_opens_at") ? ", opens " : "",
		       str(line, "phone_opens_at"), str(line, "phone_hours"));
	if (json_object_get(line, "url"))
		printf("  web %s  %s\n  web hours: %s\n", str(line, "url"),
		       json_is_true(json_object_get(line, "open_now")) ? "open now" : "closed now",
		       str(line, "hours"));
}

static void print_human(json_t *r)
{
	const char *decision = json_string_value(json_object_get(r, "decision"));
	printf("%s  (confidence %.2f)\n", decision, json_real_value(json_object_get(r, "confidence")));
	json_t *a = json_object_get(r, "answer");
	if (json_is_object(a)) {
		printf("  [%s, id %s] %s\n\n%s\n", json_string_value(json_object_get(a, "slug")),
		       json_string_value(json_object_get(a, "id")),
		       json_string_value(json_object_get(a, "question")),
		       json_string_value(json_object_get(a, "answer")));
		if (json_is_object(json_object_get(r, "followup"))) {
			printf("\n");
			print_line(json_object_get(r, "followup"));
		}
	}
	size_t i;
	json_t *c;
	if (json_is_array(json_object_get(r, "choices"))) {
		printf("  Did you mean:\n");
		json_array_foreach(json_object_get(r, "choices"), i, c)
			printf("  %zu. %s  [%s]\n", i + 1, json_string_value(json_object_get(c, "question")),
			       json_string_value(json_object_get(c, "slug")));
	}
	if (json_is_object(json_object_get(r, "handoff")))
		print_line(json_object_get(r, "handoff"));
	printf("  candidates:");
	json_array_foreach(json_object_get(r, "candidates"), i, c)
		printf(" %s(%.2f)", json_string_value(json_object_get(c, "slug")),
		       json_real_value(json_object_get(c, "score")));
	printf("\n");
}

/* One question; prints the result. Returns 0 or 1 (the question failed). */
static int ask_one(struct chatbot *bot, const char *q, size_t len, const struct ask_opts *o, int as_json)
{
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	int rc = chatbot_ask(bot, q, len, o, &r, err);
	if (rc != MG_OK) {
		if (as_json) {
			json_t *e = json_pack("{s:s%, s:s}", "question", q, len, "error", err);
			/* invalid UTF-8 cannot be echoed as a JSON string */
			if (!e)
				e = json_pack("{s:n, s:s}", "question", "error", err);
			json_dumpf(e, stdout, JSON_COMPACT | JSON_ENSURE_ASCII * 0);
			printf("\n");
			json_decref(e);
		} else {
			fprintf(stderr, "madoguchi: %s\n", err);
		}
		return 1;
	}
	if (as_json) {
		json_dumpf(r, stdout, JSON_COMPACT);
		printf("\n");
	} else {
		print_human(r);
	}
	json_decref(r);
	fflush(stdout);
	return 0;
}

int chatbot_cli_ask(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct ask_opts o = {.no_log = 1};
	int as_json = 0, first_q = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			as_json = 1;
		else if (!strcmp(argv[i], "--top") && i + 1 < argc)
			o.top = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--lang") && i + 1 < argc)
			o.lang = argv[++i];
		else if (!strcmp(argv[i], "--ruby"))
			o.ruby = 1;
		else if (!strcmp(argv[i], "--"))
			first_q = i + 1;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "usage: madoguchi ask [--json] [--top N] [--lang ja|en] [--ruby] [QUESTION]\n"
					"       without QUESTION, one question per line is read from stdin\n");
			return 2;
		} else {
			first_q = i;
			break;
		}
	}
	if (o.top < 0 || o.top > POLICY_MAX_TOP) {
		fprintf(stderr, "madoguchi: --top must be between 1 and %d\n", POLICY_MAX_TOP);
		return 2;
	}
	struct cli_env env;
	if (chatbot_cli_open(ctx, &env) != MG_OK)
		return 1;
	char werr[MG_ERR_LEN];
	if (chatbot_warm(env.bot, werr) != MG_OK) {
		fprintf(stderr, "madoguchi: %s\n", werr);
		chatbot_cli_close(&env);
		return 1;
	}
	int failed = 0;
	if (first_q && first_q < argc) {
		/* the words of the command line are one question */
		size_t len = 0;
		for (int i = first_q; i < argc; i++)
			len += strlen(argv[i]) + 1;
		char *q = malloc(len + 1);
		if (q) {
			q[0] = 0;
			for (int i = first_q; i < argc; i++) {
				strcat(q, argv[i]);
				if (i + 1 < argc)
					strcat(q, " ");
			}
			failed = ask_one(env.bot, q, strlen(q), &o, as_json);
			free(q);
		}
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		while ((n = getline(&line, &cap, stdin)) >= 0) {
			while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				line[--n] = 0;
			/* A reader of --json pairs output line N with input line N: an
			 * empty line gets its error object, not silence. */
			if (n == 0 && !as_json)
				continue;
			failed |= ask_one(env.bot, line, (size_t)n, &o, as_json);
		}
		free(line);
	}
	chatbot_cli_close(&env);
	return failed;
}
