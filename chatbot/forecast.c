/* The call-volume forecast (see forecast.h). The model, deliberately simple
 * so that a call-centre planner can redo it by hand:
 *   contacts(day) = baseline(weekday) + event(day)
 *   baseline      = conversations per day of that weekday over the last
 *                   OPS_FORECAST_WEEKS weeks of the log
 *   event(day)    = residents × contact share × decay[days since arrival]
 *   calls(day)    = contacts × (1 − deflection rate of those weeks)
 *   agents(day)   = Erlang C for calls spread over the staffed hours. */
#include "chatbot/forecast.h"
#include "chatbot/chatbot_int.h"
#include "chatbot/events.h"
#include "chatbot/ops_policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double forecast_erlang_c(double erlangs, int agents)
{
	if (agents <= 0 || erlangs >= agents)
		return 1;
	if (erlangs <= 0)
		return 0;
	/* Erlang B by its recurrence, then C from B: no factorials to overflow. */
	double b = 1;
	for (int k = 1; k <= agents; k++)
		b = erlangs * b / (k + erlangs * b);
	return agents * b / (agents - erlangs * (1 - b));
}

double forecast_service_level(double erlangs, int agents, double aht, double target)
{
	if (agents <= erlangs)
		return 0;
	return 1 - forecast_erlang_c(erlangs, agents) * exp(-(agents - erlangs) * target / aht);
}

int forecast_agents(double calls_per_hour, double aht, double target, double level, double *achieved)
{
	double a = calls_per_hour * aht / 3600;
	int n = 0;
	double sl = 1;
	if (a > 0) {
		for (n = (int)floor(a) + 1; n < 100000; n++)
			if ((sl = forecast_service_level(a, n, aht, target)) >= level)
				break;
	}
	if (achieved)
		*achieved = sl;
	return n;
}

void forecast_defaults(struct forecast_opts *o, time_t now)
{
	static char today[11];
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	*o = (struct forecast_opts){
		.from = today,
		.days = 14,
		.aht = OPS_FORECAST_AHT_SECONDS,
		.target = OPS_FORECAST_TARGET_SECONDS,
		.level = OPS_FORECAST_SERVICE_LEVEL,
		.open_hours = OPS_FORECAST_OPEN_HOURS,
		.contact_share = OPS_FORECAST_CONTACT_SHARE,
		.deflection = -1,
	};
}

/* Noon of day d (YYYY-MM-DD) in local time: adding whole days to noon never
 * crosses into the wrong date. */
static int parse_day(const char *d, time_t *out)
{
	struct tm tm = {0};
	char tail;
	if (!d || strlen(d) != 10 ||
	    sscanf(d, "%4d-%2d-%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tail) != 3)
		return MG_ERR_INPUT;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return *out == (time_t)-1 ? MG_ERR_INPUT : MG_OK;
}

static void format_day(time_t t, char out[11], int *wday)
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
	if (wday)
		*wday = tm.tm_wday;
}

int forecast_run(sqlite3 *db, const struct forecast_opts *o, json_t **out, char *err)
{
	*out = NULL;
	time_t start, event = 0;
	if (parse_day(o->from, &start) != MG_OK)
		return mg_fail(err, MG_ERR_INPUT, "--from is YYYY-MM-DD");
	if (o->event_day && parse_day(o->event_day, &event) != MG_OK)
		return mg_fail(err, MG_ERR_INPUT, "--event is YYYY-MM-DD");
	if (o->days < 1 || o->days > 366 || o->aht <= 0 || o->target < 0 || o->level <= 0 ||
	    o->level >= 1 || o->open_hours <= 0 || o->open_hours > 24 || o->event_residents < 0 ||
	    o->contact_share < 0 || o->contact_share > 1 || o->deflection > 1)
		return mg_fail(err, MG_ERR_INPUT, "a setting is out of range");

	/* The history: the weeks before the first forecast day. */
	char hfrom[11], hto[11];
	format_day(start - (time_t)OPS_FORECAST_WEEKS * 7 * 86400, hfrom, NULL);
	format_day(start - 86400, hto, NULL);
	json_t *hist = NULL;
	int rc = events_report(db, hfrom, hto, &hist, err);
	if (rc != MG_OK)
		return rc;
	double per_wday[7] = {0}, all = 0;
	int n_wday[7] = {0}, n_all = 0;
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(hist, "days"), i, d) {
		time_t t;
		int wd;
		if (parse_day(json_string_value(json_object_get(d, "day")), &t) != MG_OK)
			continue;
		format_day(t, (char[11]){0}, &wd);
		double c = (double)json_integer_value(json_object_get(d, "conversations"));
		per_wday[wd] += c;
		all += c;
	}
	/* Averages over every calendar day of the window: a day without a
	 * single conversation counts as 0, not as missing. */
	for (int k = 0; k < OPS_FORECAST_WEEKS * 7; k++) {
		int wd;
		format_day(start - (time_t)(k + 1) * 86400, (char[11]){0}, &wd);
		n_wday[wd]++;
		n_all++;
	}
	json_t *rate = json_object_get(json_object_get(hist, "totals"), "deflection_rate");
	double deflection = o->deflection >= 0 ? o->deflection : json_is_number(rate) ? json_number_value(rate) : 0;

	json_t *days = json_array();
	size_t ndecay = sizeof OPS_FORECAST_DECAY / sizeof *OPS_FORECAST_DECAY;
	for (int k = 0; days && k < o->days; k++) {
		time_t t = start + (time_t)k * 86400;
		char day[11];
		int wd;
		format_day(t, day, &wd);
		double baseline = n_wday[wd] ? per_wday[wd] / n_wday[wd] : 0;
		double extra = 0;
		if (o->event_day && t >= event) {
			long since = (long)((t - event + 43200) / 86400);
			if (since >= 0 && (size_t)since < ndecay)
				extra = (double)o->event_residents * o->contact_share * OPS_FORECAST_DECAY[since];
		}
		double contacts = baseline + extra, calls = contacts * (1 - deflection);
		double per_hour = calls / o->open_hours, sl = 1;
		int agents = forecast_agents(per_hour, o->aht, o->target, o->level, &sl);
		json_array_append_new(days, json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:i, s:f}", "day", day,
						      "baseline", round(baseline * 10) / 10,
						      "event", round(extra * 10) / 10,
						      "contacts", round(contacts * 10) / 10,
						      "calls", round(calls * 10) / 10,
						      "erlangs", round(per_hour * o->aht / 3600 * 100) / 100,
						      "agents", agents, "service_level", round(sl * 1000) / 1000));
	}
	json_t *settings = json_pack("{s:f, s:f, s:f, s:f, s:f, s:s?, s:I}", "aht", o->aht, "target", o->target,
				     "level", o->level, "open_hours", o->open_hours,
				     "contact_share", o->contact_share, "event_day", o->event_day,
				     "event_residents", (json_int_t)o->event_residents);
	json_t *history = json_pack("{s:s, s:s, s:f, s:f, s:b}", "from", hfrom, "to", hto,
				    "conversations_per_day", n_all ? round(all / n_all * 10) / 10 : 0.0,
				    "deflection_rate", deflection, "deflection_from_log", o->deflection < 0);
	json_decref(hist);
	*out = json_pack("{s:o, s:o, s:o}", "settings", settings, "history", history, "days", days);
	return *out ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
}

static int usage_forecast(void)
{
	fprintf(stderr,
		"usage: madoguchi forecast [--from DATE] [--days N] [--event DATE --residents N]\n"
		"         [--aht SECONDS] [--target SECONDS] [--level 0.8] [--hours H]\n"
		"         [--share 0.1] [--deflection 0.6] [--json | --csv]\n"
		"  expected calls per day after deflection and the operators needed (Erlang C)\n");
	return 2;
}

int forecast_cli(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct forecast_opts o;
	forecast_defaults(&o, time(NULL));
	int as_json = 0, csv = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--json"))
			as_json = 1;
		else if (!strcmp(a, "--csv"))
			csv = 1;
		else if (!v)
			return usage_forecast();
		else if (!strcmp(a, "--from"))
			o.from = v, i++;
		else if (!strcmp(a, "--days"))
			o.days = atoi(v), i++;
		else if (!strcmp(a, "--event"))
			o.event_day = v, i++;
		else if (!strcmp(a, "--residents"))
			o.event_residents = atol(v), i++;
		else if (!strcmp(a, "--aht"))
			o.aht = atof(v), i++;
		else if (!strcmp(a, "--target"))
			o.target = atof(v), i++;
		else if (!strcmp(a, "--level"))
			o.level = atof(v), i++;
		else if (!strcmp(a, "--hours"))
			o.open_hours = atof(v), i++;
		else if (!strcmp(a, "--share"))
			o.contact_share = atof(v), i++;
		else if (!strcmp(a, "--deflection"))
			o.deflection = atof(v), i++;
		else
			return usage_forecast();
	}
	struct cli_env env;
	if (chatbot_cli_open(ctx, &env) != MG_OK)
		return 1;
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	int rc = forecast_run(kb_db(chatbot_kb(env.bot)), &o, &r, err);
	if (rc != MG_OK) {
		fprintf(stderr, "madoguchi: %s\n", err);
	} else if (as_json) {
		json_dumpf(r, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
		printf("\n");
	} else {
		json_t *h = json_object_get(r, "history"), *d;
		size_t i;
		if (csv)
			printf("\xEF\xBB\xBF" "day,baseline,event,contacts,calls,erlangs,agents,service_level\r\n");
		else
			printf("history %s .. %s: %.1f conversations a day, deflection %.1f%%%s\n"
			       "AHT %.0f s, %.0f%% answered within %.0f s, %.2f staffed hours a day\n\n"
			       "day         baseline   event  contacts   calls  erlangs  agents  service\n",
			       json_string_value(json_object_get(h, "from")), json_string_value(json_object_get(h, "to")),
			       json_real_value(json_object_get(h, "conversations_per_day")),
			       json_real_value(json_object_get(h, "deflection_rate")) * 100,
			       json_is_true(json_object_get(h, "deflection_from_log")) ? " (from the log)" : "",
			       o.aht, o.level * 100, o.target, o.open_hours);
		json_array_foreach(json_object_get(r, "days"), i, d) {
			const char *day = json_string_value(json_object_get(d, "day"));
			double base = json_real_value(json_object_get(d, "baseline"));
			double ev = json_real_value(json_object_get(d, "event"));
			double contacts = json_real_value(json_object_get(d, "contacts"));
			double calls = json_real_value(json_object_get(d, "calls"));
			double erl = json_real_value(json_object_get(d, "erlangs"));
			long long agents = (long long)json_integer_value(json_object_get(d, "agents"));
			double sl = json_real_value(json_object_get(d, "service_level"));
			if (csv)
				printf("%s,%.1f,%.1f,%.1f,%.1f,%.2f,%lld,%.3f\r\n", day, base, ev, contacts, calls,
				       erl, agents, sl);
			else
				printf("%s  %8.1f  %6.1f  %8.1f  %6.1f  %7.2f  %6lld  %6.1f%%\n", day, base, ev,
				       contacts, calls, erl, agents, sl * 100);
		}
	}
	json_decref(r);
	chatbot_cli_close(&env);
	return rc == MG_OK ? 0 : rc == MG_ERR_INPUT ? 2 : 1;
}
