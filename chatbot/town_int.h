/* The town configuration as chatbot/ files see it. */
#ifndef TOWN_INT_H
#define TOWN_INT_H

#include "chatbot/town.h"
#include "kb/kb.h"

enum { TOWN_CALL_CENTER, TOWN_NURSE, TOWN_BOOKING, TOWN_NLINES };
#define TOWN_MAX_SPANS 4  /* opening spans per week day (e.g. morning and afternoon) */

/* One set of opening hours: a line that is both a web page and a phone has
 * two (the page's and the phone's), and only the phone's may be shown beside
 * its number. */
struct town_hours {
	int span[7][TOWN_MAX_SPANS][2];  /* per week day (0 = Sunday): [open, close) in minutes */
	int nspans[7];
	int closed_on_holidays;
	json_t *table;                /* the configured {"mon-fri": "08:30-17:15"} (borrowed) */
	const char *text, *text_en;   /* written out by the town instead of the table, or NULL */
	char shown[2][256];           /* as residents read it, Japanese and English: worked out
				       * once at load, not at every hand-off */
};

struct town_line {
	const char *key;         /* "call_center", "nurse", "booking" */
	json_t *json;            /* borrowed from town->root */
	struct town_hours hours;        /* the line's own: the web page's for a line with a url */
	struct town_hours phone_hours;  /* its phone's; a copy of hours for a phone-only line */
};

struct town {
	json_t *root;
	struct nlp_zone *zone;     /* town.timezone, or NULL */
	json_t *facts, *holidays;  /* borrowed from root */
	int *holiday_days;         /* the holidays as YYYYMMDD, sorted: is_holiday runs two or
				    * three times a hand-off (a strftime and a scan of the JSON
				    * array each, 2.7 K instructions, before) */
	size_t nholidays;
	struct nlp_readings *readings;  /* the town's words for furigana (town.json "readings") */
	struct town_line line[TOWN_NLINES];
};

/* The value of {{key}} in lang (len bytes of key); NULL if the town has none. */
const char *town_fact(const struct town *town, const char *key, size_t len, const char *lang);
/* kb_placeholder_fn over a struct town. */
int town_has_fact(void *town, const char *key, size_t len);
/* The line a route hands off to; unknown routes and "none" go to the call centre. */
const struct town_line *town_line(const struct town *town, const char *route);
/* Whether the line (the web page of a web line) or its phone is open at now. */
int town_open_now(const struct town *town, const struct town_line *line, time_t now);
int town_phone_open_now(const struct town *town, const struct town_line *line, time_t now);
/* The minutes h is open on the local day of t (0: closed that day) and, when
 * text is not NULL, its spans as "8:30-17:15" ("9:00-12:00,13:00-16:00";
 * empty when closed). *holiday (may be NULL) is 1 when the day is a holiday
 * that closes h. */
int town_day_open(const struct town *town, const struct town_hours *h, time_t t, int *holiday,
		  char *text, size_t cap);
/* {route, label, open_now, hours, opens_at?, url?, phone?, phone_open_now?,
 * phone_hours?, phone_opens_at?} as a new object: open_now and hours are the
 * line's own (the web page's for a web line), phone_* the phone's. */
json_t *town_line_json(const struct town *town, const struct town_line *line, const char *lang, time_t now);

#endif
