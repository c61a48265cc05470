/* The call-volume forecast: expected contacts per day from the last weeks of
 * the event log plus a planned event (tickets mailed to N residents), the
 * calls left after deflection, and the operators the call centre needs for
 * its service level by Erlang C, over the hours its phone is staffed that
 * day (town.json): none on a day it is closed, whose calls come the next
 * day it is open. */
#ifndef FORECAST_H
#define FORECAST_H

#include <jansson.h>
#include <sqlite3.h>
#include <time.h>

#include "chatbot/town.h"
#include "nlp/mg.h"

/* Probability that a call waits (Erlang C) with erlangs of traffic and
 * agents operators; 1 when agents <= erlangs (the queue grows without end). */
double forecast_erlang_c(double erlangs, int agents);
/* Share of calls answered within target seconds. */
double forecast_service_level(double erlangs, int agents, double aht, double target);
/* The fewest agents reaching level for calls_per_hour; 0 for no calls.
 * *achieved (may be NULL) gets their service level. */
int forecast_agents(double calls_per_hour, double aht, double target, double level, double *achieved);

struct forecast_opts {
	const struct town *town;  /* the call centre's phone hours and the holidays (borrowed) */
	const char *from;         /* first day forecast, YYYY-MM-DD */
	int days;                 /* how many days */
	const char *event_day;    /* the day tickets arrive; NULL = no event */
	long event_residents;     /* residents who receive them */
	double aht;               /* average handling time, seconds */
	double target;            /* target answer time, seconds */
	double level;             /* share answered within target, 0..1 */
	double contact_share;     /* share of residents of the event who ask */
	double deflection;        /* share settled in the chat; < 0: from the log */
};

/* Fills opts with the defaults of ops_policy.h, the town and now's date for
 * from. */
void forecast_defaults(struct forecast_opts *opts, const struct town *town, time_t now);

/* The forecast as a new JSON object (caller decrefs): the settings used; the
 * history it rests on {from, to, days, conversations_per_day,
 * deflection_rate, deflection_from_log}, from the log's first day when that
 * is later than OPS_FORECAST_WEEKS before; warnings [{code, days, needed,
 * message}] (code "short_history": fewer than OPS_FORECAST_MIN_HISTORY_DAYS
 * days of log); days [{day, weekday ("mon"), open ("8:30-17:15", "" when
 * closed), open_hours, closed, holiday, baseline, event, contacts,
 * carried_in, calls, erlangs, agents, service_level (null when closed)}];
 * carried_after: the calls of closed days at the end, due after the last day.
 * calls = contacts × (1 − deflection), plus carried_in on the first day the
 * centre opens again. */
int forecast_run(sqlite3 *db, const struct forecast_opts *opts, json_t **out, char *err);

#endif
