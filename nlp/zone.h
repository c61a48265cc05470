/* A time zone as a value: the town's IANA zone (Asia/Tokyo) read from the
 * system's tz database into an immutable object that any thread may use. Local
 * dates and times are computed from it, never from the process's TZ, so a
 * command that runs on a UTC server still sees the town's day. */
#ifndef NLP_ZONE_H
#define NLP_ZONE_H

#include <time.h>

#include "nlp/mg.h"

/* The longest zone name accepted ("America/Argentina/ComodRivadavia" is 32). */
#define NLP_ZONE_NAME_MAX 64

struct nlp_zone;

/* Reads the zone called name (letters, digits, '/', '_', '-', '+') from the
 * tz database ($TZDIR or /usr/share/zoneinfo). On failure *out is NULL and
 * err says why (MG_ERR_INPUT: no such zone, or a file that is not TZif). */
int nlp_zone_load(const char *name, struct nlp_zone **out, char *err);
void nlp_zone_free(struct nlp_zone *zone);
const char *nlp_zone_name(const struct nlp_zone *zone);

/* Seconds east of UTC in zone at t (32400 for Asia/Tokyo). */
long nlp_zone_offset(const struct nlp_zone *zone, time_t t);

/* t as local time in zone (tm_gmtoff and tm_isdst set). A NULL zone is the
 * process's own (localtime_r): only for callers that have no town. */
void nlp_zone_tm(const struct nlp_zone *zone, time_t t, struct tm *out);
/* The local date of t in zone as YYYY-MM-DD (11 bytes with NUL). */
void nlp_zone_day(const struct nlp_zone *zone, time_t t, char out[11]);
/* t as local time in zone for staff to read: "YYYY-MM-DD HH:MM" into
 * NLP_ZONE_MINUTES_LEN bytes, with seconds "YYYY-MM-DD HH:MM:SS" into
 * NLP_ZONE_SECONDS_LEN (the audit log, the replaced knowledge bases, the
 * booking records). */
#define NLP_ZONE_MINUTES_LEN 17
#define NLP_ZONE_SECONDS_LEN 20
void nlp_zone_time_text(const struct nlp_zone *zone, time_t t, int seconds, char *out);
/* The instant of hour o'clock on day (a machine date, nlp_date_iso) in
 * zone; hour 24 is the next day's start. MG_ERR_INPUT for a day that is not
 * one. */
int nlp_zone_day_at(const struct nlp_zone *zone, const char *day, int hour, time_t *out);
/* The instant of a local date and time in zone (tm_year, tm_mon, tm_mday,
 * tm_hour, tm_min, tm_sec; fields out of range roll over as in mktime). A
 * local time that a clock change skips or repeats reads with the offset in
 * effect just before it. A NULL zone is the process's own (mktime). */
time_t nlp_zone_mktime(const struct nlp_zone *zone, const struct tm *local);

#endif
