/* The call-volume forecast: expected contacts per day from the last weeks of
 * the event log plus a planned event (tickets mailed to N residents), the
 * calls left after deflection, and the operators the call centre needs for
 * its service level by Erlang C. */
#ifndef FORECAST_H
#define FORECAST_H

#include <jansson.h>
#include <sqlite3.h>
#include <time.h>

#include "chatbot/cli.h"
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
	const char *from;         /* first day forecast, YYYY-MM-DD */
	int days;                 /* how many days */
	const char *event_day;    /* the day tickets arrive; NULL = no event */
	long event_residents;     /* residents who receive them */
	double aht;               /* average handling time, seconds */
	double target;            /* target answer time, seconds */
	double level;             /* share answered within target, 0..1 */
	double open_hours;        /* staffed hours per day */
	double contact_share;     /* share of residents of the event who ask */
	double deflection;        /* share settled in the chat; < 0: from the log */
};

/* Fills opts with the defaults of ops_policy.h and today's date for from. */
void forecast_defaults(struct forecast_opts *opts, time_t now);

/* The forecast as a new JSON object (caller decrefs): the settings used, the
 * history it rests on {from, to, conversations_per_day, deflection_rate}
 * and days [{day, baseline, event, contacts, calls, erlangs, agents,
 * service_level}]. */
int forecast_run(sqlite3 *db, const struct forecast_opts *opts, json_t **out, char *err);

/* `madoguchi forecast [--from DATE] [--days N] [--event DATE --residents N]
 * [--aht S] [--target S] [--level P] [--hours H] [--deflection P] [--json|--csv]` */
int forecast_cli(const struct cli_ctx *ctx, int argc, char **argv);

#endif
