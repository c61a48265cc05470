/* The call-volume forecast (see forecast.h). The model, deliberately simple
 * so that a call-centre planner can redo it by hand:
 *   contacts(day) = baseline(weekday) + event(day)
 *   baseline      = conversations per day of that weekday over the last
 *                   OPS_FORECAST_WEEKS weeks of the log (or since it began)
 *   event(day)    = residents × contact share × decay[days since arrival]
 *   calls(day)    = contacts × (1 − deflection rate of those weeks), plus
 *                   the calls of the closed days before it
 *   agents(day)   = Erlang C for calls spread over the hours the call
 *                   centre's phone is staffed that day; none when closed. */
#include "chatbot/forecast.h"
#include "chatbot/town_int.h"
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

void forecast_defaults(struct forecast_opts *o, const struct town *town, time_t now)
{
	static char today[11];
	nlp_zone_day(town_zone(town), now, today);
	*o = (struct forecast_opts){
		.town = town,
		.from = today,
		.days = 14,
		.aht = OPS_FORECAST_AHT_SECONDS,
		.target = OPS_FORECAST_TARGET_SECONDS,
		.level = OPS_FORECAST_SERVICE_LEVEL,
		.contact_share = OPS_FORECAST_CONTACT_SHARE,
		.deflection = -1,
	};
}

/* Noon of day d (YYYY-MM-DD) in the town's zone: adding whole days to noon
 * never crosses into the wrong date. */
static int parse_day(const struct nlp_zone *zone, const char *d, time_t *out)
{
	return nlp_zone_day_at(zone, d, 12, out);
}

static void format_day(const struct nlp_zone *zone, time_t t, char out[11], int *wday)
{
	struct tm tm;
	nlp_zone_tm(zone, t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
	if (wday)
		*wday = tm.tm_wday;
}

static const char *const WEEKDAYS[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

/* What the history hfrom..hto (noons) says: the weekday baseline, i.e.
 * conversations per calendar day of each weekday, a day without a
 * conversation counting as 0 (a weekday the history has no day of gets the
 * mean of all days); *days, its calendar days; *deflection, its deflection
 * rate, or -1 when it had no conversation. */
static int history(sqlite3 *db, const struct nlp_zone *zone, time_t hfrom, time_t hto,
		   double per_wday[7], double *per_day, int *days, double *deflection, char *err)
{
	char from[11], to[11];
	format_day(zone, hfrom, from, NULL);
	format_day(zone, hto, to, NULL);
	double sum[7] = {0}, all = 0;
	int n[7] = {0};
	*days = 0;
	for (time_t t = hfrom; t <= hto; t += 86400) {
		int wd;
		format_day(zone, t, (char[11]){0}, &wd);
		n[wd]++;
		(*days)++;
	}
	json_t *hist = NULL, *d;
	int rc = *days ? events_report(db, NULL, from, to, &hist, err) : MG_OK;
	size_t i;
	json_array_foreach(json_object_get(hist, "days"), i, d) {
		time_t t;
		int wd;
		if (parse_day(zone, json_string_value(json_object_get(d, "day")), &t) != MG_OK)
			continue;
		format_day(zone, t, (char[11]){0}, &wd);
		double c = (double)json_integer_value(json_object_get(d, "conversations"));
		sum[wd] += c;
		all += c;
	}
	json_t *rate = json_object_get(json_object_get(hist, "totals"), "deflection_rate");
	*deflection = json_is_number(rate) ? json_number_value(rate) : -1;
	json_decref(hist);
	*per_day = *days ? all / *days : 0;
	for (int wd = 0; wd < 7; wd++)
		per_wday[wd] = n[wd] ? sum[wd] / n[wd] : *per_day;
	return rc;
}

/* The day as a row of the forecast; carried: the calls of closed days so far,
 * taken by the first open day. */
static json_t *day_json(const struct forecast_opts *o, time_t t, double base, double extra,
			double deflection, double *carried)
{
	const struct nlp_zone *zone = town_zone(o->town);
	char day[11], open[64];
	int wd, holiday;
	format_day(zone, t, day, &wd);
	const struct town_line *cc = town_line(o->town, "call_center");
	int minutes = town_day_open(o->town, &cc->phone_hours, t, &holiday, open, sizeof open);
	double contacts = base + extra, calls = 0, in = 0, per_hour = 0, sl = 1;
	int agents = 0;
	if (minutes > 0) {
		in = *carried;
		calls = contacts * (1 - deflection) + in;
		*carried = 0;
		per_hour = calls / (minutes / 60.0);
		agents = forecast_agents(per_hour, o->aht, o->target, o->level, &sl);
	} else {
		*carried += contacts * (1 - deflection);
	}
	return json_pack("{s:s, s:s, s:s, s:f, s:b, s:b, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:o}",
			 "day", day, "weekday", WEEKDAYS[wd], "open", open,
			 "open_hours", round(minutes / 60.0 * 100) / 100, "closed", minutes == 0,
			 "holiday", holiday, "baseline", round(base * 10) / 10, "event", round(extra * 10) / 10,
			 "contacts", round(contacts * 10) / 10, "carried_in", round(in * 10) / 10,
			 "calls", round(calls * 10) / 10, "erlangs", round(per_hour * o->aht / 3600 * 100) / 100,
			 "agents", agents, "service_level",
			 minutes > 0 ? json_real(round(sl * 1000) / 1000) : json_null());
}

int forecast_run(sqlite3 *db, const struct forecast_opts *o, json_t **out, char *err)
{
	*out = NULL;
	time_t start, event = 0;
	if (!o->town)
		return mg_fail(err, MG_ERR_INPUT, "the forecast needs the town's opening hours");
	const struct nlp_zone *zone = town_zone(o->town);
	if (parse_day(zone, o->from, &start) != MG_OK)
		return mg_fail(err, MG_ERR_INPUT, "--from is YYYY-MM-DD");
	if (o->event_day && parse_day(zone, o->event_day, &event) != MG_OK)
		return mg_fail(err, MG_ERR_INPUT, "--event is YYYY-MM-DD");
	if (o->days < 1 || o->days > 366 || o->aht <= 0 || o->target < 0 || o->level <= 0 ||
	    o->level >= 1 || o->event_residents < 0 || o->contact_share < 0 || o->contact_share > 1 ||
	    o->deflection > 1)
		return mg_fail(err, MG_ERR_INPUT, "a setting is out of range");

	/* The history: the weeks before the first forecast day, from the day the
	 * log began if that is later (the days before it are unknown, not 0). */
	time_t hfrom = start - (time_t)OPS_FORECAST_WEEKS * 7 * 86400, hto = start - 86400, first;
	char first_day[11], hfrom_s[11], hto_s[11];
	int rc = events_first_day(db, first_day, err);
	if (rc != MG_OK)
		return rc;
	if (!first_day[0])
		hfrom = start;  /* no log at all: no history */
	else if (parse_day(zone, first_day, &first) == MG_OK && first > hfrom)
		hfrom = first;
	double per_wday[7], per_day = 0, logged = -1;
	int hdays = 0;
	rc = history(db, zone, hfrom, hto, per_wday, &per_day, &hdays, &logged, err);
	if (rc != MG_OK)
		return rc;
	format_day(zone, hfrom, hfrom_s, NULL);
	format_day(zone, hto, hto_s, NULL);
	double deflection = o->deflection >= 0 ? o->deflection : logged >= 0 ? logged : 0;

	json_t *warnings = json_array();
	if (hdays < OPS_FORECAST_MIN_HISTORY_DAYS) {
		char msg[200];
		snprintf(msg, sizeof msg, "only %d day%s of chat history before %s (%d needed for a weekday"
			 " pattern): the baseline is a guess", hdays, hdays == 1 ? "" : "s", o->from,
			 OPS_FORECAST_MIN_HISTORY_DAYS);
		json_array_append_new(warnings, json_pack("{s:s, s:i, s:i, s:s}", "code", "short_history",
							  "days", hdays, "needed", OPS_FORECAST_MIN_HISTORY_DAYS,
							  "message", msg));
	}

	json_t *days = json_array();
	size_t ndecay = sizeof OPS_FORECAST_DECAY / sizeof *OPS_FORECAST_DECAY;
	double carried = 0;
	for (int k = 0; days && k < o->days; k++) {
		time_t t = start + (time_t)k * 86400;
		int wd;
		format_day(zone, t, (char[11]){0}, &wd);
		double extra = 0;
		if (o->event_day && t >= event) {
			long since = (long)((t - event + 43200) / 86400);
			if (since >= 0 && (size_t)since < ndecay)
				extra = (double)o->event_residents * o->contact_share * OPS_FORECAST_DECAY[since];
		}
		json_array_append_new(days, day_json(o, t, hdays ? per_wday[wd] : 0, extra, deflection, &carried));
	}
	json_t *settings = json_pack("{s:f, s:f, s:f, s:f, s:s?, s:I}", "aht", o->aht, "target", o->target,
				     "level", o->level, "contact_share", o->contact_share,
				     "event_day", o->event_day, "event_residents", (json_int_t)o->event_residents);
	json_t *history = json_pack("{s:s, s:s, s:i, s:f, s:f, s:b}", "from", hfrom_s, "to", hto_s,
				    "days", hdays, "conversations_per_day", round(per_day * 10) / 10,
				    "deflection_rate", deflection, "deflection_from_log", o->deflection < 0);
	*out = json_pack("{s:o, s:o, s:o, s:o, s:f}", "settings", settings, "history", history,
			 "warnings", warnings, "days", days, "carried_after", round(carried * 10) / 10);
	return *out ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
}
