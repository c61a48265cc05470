/* The staff's subcommands over the conversation log: `report` prints the
 * figures of events_report() as text, CSV for Excel or JSON; `retain`
 * applies the retention period; `forecast` prints the calls and operators
 * per day of forecast_run(). Nothing here computes a figure. */
#include "chatbot/chatbot_int.h"
#include "chatbot/cli.h"
#include "chatbot/events.h"
#include "chatbot/forecast.h"
#include "chatbot/ops_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage_report(void)
{
	fprintf(stderr, "usage: madoguchi report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--csv | --json]\n"
			"       the last 7 days up to today by default\n");
	return 2;
}

int chatbot_cli_report(const struct cli_ctx *ctx, int argc, char **argv)
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
		events_report_text(r, stdout);
	}
	json_decref(r);
	chatbot_cli_close(&env);
	return rc == MG_OK ? 0 : rc == MG_ERR_INPUT ? 2 : 1;
}

int chatbot_cli_retain(const struct cli_ctx *ctx, int argc, char **argv)
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

static int usage_forecast(void)
{
	fprintf(stderr,
		"usage: madoguchi forecast [--from DATE] [--days N] [--event DATE --residents N]\n"
		"         [--aht SECONDS] [--target SECONDS] [--level 0.8]\n"
		"         [--share 0.1] [--deflection 0.6] [--json | --csv]\n"
		"  expected calls per day after deflection and the operators needed (Erlang C),\n"
		"  over the call centre's phone hours of each day (town.json)\n");
	return 2;
}

/* Reads the options into o; 0, or 2 for a usage error. */
static int forecast_args(int argc, char **argv, struct forecast_opts *o, int *as_json, int *csv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--json"))
			*as_json = 1;
		else if (!strcmp(a, "--csv"))
			*csv = 1;
		else if (!v)
			return usage_forecast();
		else if (!strcmp(a, "--from"))
			o->from = v, i++;
		else if (!strcmp(a, "--days"))
			o->days = atoi(v), i++;
		else if (!strcmp(a, "--event"))
			o->event_day = v, i++;
		else if (!strcmp(a, "--residents"))
			o->event_residents = atol(v), i++;
		else if (!strcmp(a, "--aht"))
			o->aht = atof(v), i++;
		else if (!strcmp(a, "--target"))
			o->target = atof(v), i++;
		else if (!strcmp(a, "--level"))
			o->level = atof(v), i++;
		else if (!strcmp(a, "--share"))
			o->contact_share = atof(v), i++;
		else if (!strcmp(a, "--deflection"))
			o->deflection = atof(v), i++;
		else
			return usage_forecast();
	}
	return *as_json && *csv ? usage_forecast() : 0;
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void print_forecast(json_t *r, const struct forecast_opts *o, int csv)
{
	json_t *h = json_object_get(r, "history"), *d;
	size_t i;
	if (csv) {
		printf("\xEF\xBB\xBF" "day,weekday,open,contacts,carried_in,calls,erlangs,agents,service_level\r\n");
	} else {
		if (json_integer_value(json_object_get(h, "days")))
			printf("history %s .. %s (%lld days): %.1f conversations a day",
			       json_string_value(json_object_get(h, "from")),
			       json_string_value(json_object_get(h, "to")),
			       (long long)json_integer_value(json_object_get(h, "days")),
			       num(h, "conversations_per_day"));
		else
			printf("no chat history before %s", json_string_value(json_object_get(h, "from")));
		if (!json_integer_value(json_object_get(h, "days")) && json_is_true(json_object_get(h, "deflection_from_log")))
			printf(", no deflection figure yet: every contact is counted as a call");
		else
			printf(", deflection %.1f%%%s", num(h, "deflection_rate") * 100,
			       json_is_true(json_object_get(h, "deflection_from_log")) ? " (from the log)" : "");
		printf("\nAHT %.0f s, %.0f%% answered within %.0f s, the call centre's phone hours\n",
		       o->aht, o->level * 100, o->target);
		json_array_foreach(json_object_get(r, "warnings"), i, d)
			printf("warning: %s\n", json_string_value(json_object_get(d, "message")));
		printf("\nday             open          contacts  carried   calls  erlangs  agents  service\n");
	}
	json_array_foreach(json_object_get(r, "days"), i, d) {
		const char *day = json_string_value(json_object_get(d, "day"));
		const char *wd = json_string_value(json_object_get(d, "weekday"));
		const char *open = json_string_value(json_object_get(d, "open"));
		int closed = json_is_true(json_object_get(d, "closed"));
		long long agents = (long long)json_integer_value(json_object_get(d, "agents"));
		if (csv)
			printf("%s,%s,%s,%.1f,%.1f,%.1f,%.2f,%lld,", day, wd, open, num(d, "contacts"),
			       num(d, "carried_in"), num(d, "calls"), num(d, "erlangs"), agents);
		else
			printf("%s %s  %-12s  %8.1f  %7.1f  %6.1f  %7.2f  %6lld  ", day, wd,
			       closed ? (json_is_true(json_object_get(d, "holiday")) ? "holiday" : "closed") : open,
			       num(d, "contacts"), num(d, "carried_in"), num(d, "calls"), num(d, "erlangs"), agents);
		if (closed)
			printf(csv ? "\r\n" : "     -\n");
		else
			printf(csv ? "%.3f\r\n" : "%6.1f%%\n", num(d, "service_level") * (csv ? 1 : 100));
	}
	if (!csv && num(r, "carried_after") > 0)
		printf("\n%.1f calls of the closed days at the end come after the last day\n", num(r, "carried_after"));
}

int chatbot_cli_forecast(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_env env;
	if (chatbot_cli_open(ctx, &env) != MG_OK)
		return 1;
	/* After the town is loaded: today is the town's today. */
	struct forecast_opts o;
	forecast_defaults(&o, env.town, time(NULL));
	int as_json = 0, csv = 0;
	int rc = forecast_args(argc, argv, &o, &as_json, &csv);
	if (rc) {
		chatbot_cli_close(&env);
		return rc;
	}
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	rc = forecast_run(kb_db(chatbot_kb(env.bot)), &o, &r, err);
	if (rc != MG_OK) {
		fprintf(stderr, "madoguchi: %s\n", err);
	} else if (as_json) {
		json_dumpf(r, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
		printf("\n");
	} else {
		print_forecast(r, &o, csv);
	}
	json_decref(r);
	chatbot_cli_close(&env);
	return rc == MG_OK ? 0 : rc == MG_ERR_INPUT ? 2 : 1;
}
