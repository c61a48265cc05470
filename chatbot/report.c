/* The staff's subcommands over the event log: `report` prints the figures of
 * events_report() as text, CSV for Excel or JSON; `retain` applies the
 * retention period. Nothing here computes a figure. */
#include "chatbot/events.h"
#include "chatbot/chatbot_int.h"
#include "chatbot/ops_policy.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_int_t ival(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* A rate as "41.7%", or "-" when there was nothing to divide by. */
static const char *pct(json_t *o, const char *k, char buf[16])
{
	json_t *v = json_object_get(o, k);
	if (!json_is_number(v))
		return "-";
	snprintf(buf, 16, "%.1f%%", json_number_value(v) * 100);
	return buf;
}

static const char *sv(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void print_text(json_t *r)
{
	char a[16], b[16];
	json_t *t = json_object_get(r, "totals"), *o;
	size_t i;
	printf("madoguchi report %s .. %s\n\n", sv(r, "from"), sv(r, "to"));
	printf("conversations      %6lld\n", (long long)ival(t, "conversations"));
	printf("deflected          %6lld  %s   (a booking made in the chat stands: %lld, %s)\n",
	       (long long)ival(t, "deflected"), pct(t, "deflection_rate", a),
	       (long long)ival(t, "self_service"), pct(t, "self_service_rate", b));
	printf("bookings in chat   %6lld  (cancelled since: %lld)\n", (long long)ival(t, "bookings_completed"),
	       (long long)ival(t, "bookings_cancelled"));
	printf("questions          %6lld\n", (long long)ival(t, "questions"));
	printf("  answered         %6lld  %s\n", (long long)ival(t, "answered"), pct(t, "answered_rate", a));
	printf("  clarified        %6lld  %s   (a choice picked: %lld)\n", (long long)ival(t, "clarified"),
	       pct(t, "clarify_rate", a), (long long)ival(t, "clarify_chosen"));
	printf("  handed off       %6lld  %s\n", (long long)ival(t, "handed_off"), pct(t, "handoff_rate", a));
	json_array_foreach(json_object_get(r, "handoffs"), i, o)
		printf("    to %-12s %6lld  %s\n", sv(o, "route"), (long long)ival(o, "questions"), pct(o, "rate", a));
	printf("  asked to rephrase %5lld  %s\n", (long long)ival(t, "rephrased"), pct(t, "rephrase_rate", a));
	printf("helpful / not      %6lld / %lld  %s helpful\n", (long long)ival(t, "helpful"),
	       (long long)ival(t, "unhelpful"), pct(t, "helpful_ratio", a));
	json_array_foreach(json_object_get(r, "clicks"), i, o)
		printf("taps %-13s %6lld\n", sv(o, "click"), (long long)ival(o, "n"));

	printf("\nday         conversations  deflected  rate    questions  answered  booked\n");
	json_array_foreach(json_object_get(r, "days"), i, o)
		printf("%s  %13lld  %9lld  %-6s  %9lld  %8lld  %6lld\n", sv(o, "day"),
		       (long long)ival(o, "conversations"), (long long)ival(o, "deflected"),
		       pct(o, "deflection_rate", a), (long long)ival(o, "questions"),
		       (long long)ival(o, "answered"), (long long)ival(o, "self_service"));

	static const char *const LISTS[] = {"topics", "categories"};
	for (size_t k = 0; k < 2; k++) {
		printf("\n%-28s  questions  answered  rate    not helpful\n", k ? "category" : "topic");
		json_array_foreach(json_object_get(r, LISTS[k]), i, o)
			printf("%-28s  %9lld  %8lld  %-6s  %11lld\n", sv(o, "name"),
			       (long long)ival(o, "questions"), (long long)ival(o, "answered"),
			       pct(o, "answered_rate", a), (long long)ival(o, "unhelpful"));
	}

	printf("\nquestions by hour of day\n");
	json_t *hours = json_object_get(r, "hours");
	json_int_t most = 1;
	json_array_foreach(hours, i, o)
		if (json_integer_value(o) > most)
			most = json_integer_value(o);
	json_array_foreach(hours, i, o) {
		int bar = (int)(json_integer_value(o) * 40 / most);
		printf("  %02zu  %6lld  ", i, (long long)json_integer_value(o));
		for (int k = 0; k < bar; k++)
			putchar('#');
		putchar('\n');
	}
	if (json_array_size(json_object_get(r, "unhelpful_entries"))) {
		printf("\nanswers marked not helpful\n");
		json_array_foreach(json_object_get(r, "unhelpful_entries"), i, o)
			printf("  %-30s %lld\n", sv(o, "slug"), (long long)ival(o, "n"));
	}
}

/* ---- CSV for Excel: UTF-8 with BOM, CRLF, one table per section ---------------- */

/* A text cell. Excel runs one that starts with = + - @ as a formula (a
 * topic's question is staff's text): it gets an apostrophe in front. A lone
 * "-" is the dash it shows. */
static void cell(FILE *f, const char *s, int last)
{
	char *quoted = NULL;
	if (s[0] && s[1] && strchr("=+-@", s[0]) && asprintf(&quoted, "'%s", s) > 0)
		s = quoted;
	csv_fwrite(f, s, strlen(s));
	free(quoted);
	fputs(last ? "\r\n" : ",", f);
}

static void cell_int(FILE *f, json_int_t n, int last)
{
	fprintf(f, "%lld%s", (long long)n, last ? "\r\n" : ",");
}

static void cell_rate(FILE *f, json_t *o, const char *k, int last)
{
	json_t *v = json_object_get(o, k);
	if (json_is_number(v))
		fprintf(f, "%.4f", json_number_value(v));
	fputs(last ? "\r\n" : ",", f);
}

/* The table of topics (with their question) or of categories. */
static void csv_asked(FILE *f, json_t *list, const char *head, int question)
{
	json_t *o;
	size_t i;
	fprintf(f, "\r\n%s,questions,answered,answered_rate,unhelpful\r\n", head);
	json_array_foreach(list, i, o) {
		cell(f, sv(o, "name"), 0);
		if (question)
			cell(f, sv(o, "question"), 0);
		cell_int(f, ival(o, "questions"), 0);
		cell_int(f, ival(o, "answered"), 0);
		cell_rate(f, o, "answered_rate", 0);
		cell_int(f, ival(o, "unhelpful"), 1);
	}
}

void events_report_csv(json_t *r, FILE *f)
{
	json_t *t = json_object_get(r, "totals"), *o;
	size_t i;
	fputs("\xEF\xBB\xBF", f);
	fputs("figure,value\r\n", f);
	cell(f, "from", 0), cell(f, sv(r, "from"), 1);
	cell(f, "to", 0), cell(f, sv(r, "to"), 1);
	static const char *const COUNTS[] = {"conversations", "deflected", "self_service",
					     "answered_conversations", "questions", "answered",
					     "clarified", "clarify_chosen", "handed_off", "rephrased", "helpful",
					     "unhelpful", "bookings_completed", "bookings_cancelled"};
	for (size_t k = 0; k < sizeof COUNTS / sizeof *COUNTS; k++)
		cell(f, COUNTS[k], 0), cell_int(f, ival(t, COUNTS[k]), 1);
	static const char *const RATES[] = {"deflection_rate", "self_service_rate", "answered_rate",
					    "clarify_rate", "handoff_rate", "rephrase_rate", "helpful_ratio"};
	for (size_t k = 0; k < sizeof RATES / sizeof *RATES; k++)
		cell(f, RATES[k], 0), cell_rate(f, t, RATES[k], 1);

	fputs("\r\nday,conversations,deflected,self_service,questions,answered,deflection_rate\r\n", f);
	json_array_foreach(json_object_get(r, "days"), i, o) {
		cell(f, sv(o, "day"), 0);
		cell_int(f, ival(o, "conversations"), 0);
		cell_int(f, ival(o, "deflected"), 0);
		cell_int(f, ival(o, "self_service"), 0);
		cell_int(f, ival(o, "questions"), 0);
		cell_int(f, ival(o, "answered"), 0);
		cell_rate(f, o, "deflection_rate", 1);
	}
	fputs("\r\nhandoff_route,questions,rate\r\n", f);
	json_array_foreach(json_object_get(r, "handoffs"), i, o) {
		cell(f, sv(o, "route"), 0);
		cell_int(f, ival(o, "questions"), 0);
		cell_rate(f, o, "rate", 1);
	}
	fputs("\r\nhandoff_click,n\r\n", f);
	json_array_foreach(json_object_get(r, "clicks"), i, o) {
		cell(f, sv(o, "click"), 0);
		cell_int(f, ival(o, "n"), 1);
	}
	csv_asked(f, json_object_get(r, "topics"), "topic,question", 1);
	csv_asked(f, json_object_get(r, "categories"), "category", 0);
	fputs("\r\nhour,questions\r\n", f);
	json_array_foreach(json_object_get(r, "hours"), i, o)
		fprintf(f, "%02zu,%lld\r\n", i, (long long)json_integer_value(o));
}

static int usage_report(void)
{
	fprintf(stderr, "usage: madoguchi report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--csv | --json]\n"
			"       the last 7 days up to today by default\n");
	return 2;
}

int events_cli_report(const struct cli_ctx *ctx, int argc, char **argv)
{
	char from[11] = "", to[11] = "";
	int csv = 0, as_json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc)
			snprintf(from, sizeof from, "%s", argv[++i]);
		else if (!strcmp(argv[i], "--to") && i + 1 < argc)
			snprintf(to, sizeof to, "%s", argv[++i]);
		else if (!strcmp(argv[i], "--csv"))
			csv = 1;
		else if (!strcmp(argv[i], "--json"))
			as_json = 1;
		else
			return usage_report();
	}
	if (csv && as_json)
		return usage_report();
	struct cli_env env;
	if (chatbot_cli_open(ctx, &env) != MG_OK)
		return 1;
	/* Days are the town's days. */
	time_t now = time(NULL);
	if (!to[0])
		nlp_zone_day(town_zone(env.town), now, to);
	if (!from[0])
		nlp_zone_day(town_zone(env.town), now - 6 * 86400, from);
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	int rc = events_report(kb_db(chatbot_kb(env.bot)), chatbot_kb(env.bot), from, to, &r, err);
	if (rc != MG_OK) {
		fprintf(stderr, "madoguchi: %s\n", err);
	} else if (csv) {
		events_report_csv(r, stdout);
	} else if (as_json) {
		json_dumpf(r, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
		printf("\n");
	} else {
		print_text(r);
	}
	json_decref(r);
	chatbot_cli_close(&env);
	return rc == MG_OK ? 0 : rc == MG_ERR_INPUT ? 2 : 1;
}

int events_cli_retain(const struct cli_ctx *ctx, int argc, char **argv)
{
	int days = OPS_RETAIN_DAYS;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--days") && i + 1 < argc) {
			days = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: madoguchi retain [--days N]   (default %d)\n", OPS_RETAIN_DAYS);
			return 2;
		}
	}
	struct cli_env env;
	if (chatbot_cli_open(ctx, &env) != MG_OK)
		return 1;
	char err[MG_ERR_LEN];
	int deleted = 0;
	int rc = events_retain(kb_db(chatbot_kb(env.bot)), town_zone(env.town), days, time(NULL), &deleted, err);
	if (rc == MG_OK)
		printf("%d events older than %d days deleted; their daily figures are kept\n", deleted, days);
	else
		fprintf(stderr, "madoguchi: %s\n", err);
	chatbot_cli_close(&env);
	return rc == MG_OK ? 0 : rc == MG_ERR_INPUT ? 2 : 1;
}
