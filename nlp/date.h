/* Dates as people write them: 1950/4/1, 1950年4月1日, 19500401, 昭和25年4月1日,
 * S25.4.1, 昭和二十五年四月一日, 平成元年, full-width digits, "1 April 1950".
 * One parser for every place a resident or a member of staff types a date
 * (the booking log-in first); machine dates in files stay strict YYYY-MM-DD. */
#ifndef NLP_DATE_H
#define NLP_DATE_H

#include <stddef.h>

#include "nlp/mg.h"

#define NLP_DATE_LEN 10  /* "YYYY-MM-DD" */
/* Longer than any date a person writes (昭和二十五年十二月三十一日生まれ is 48
 * bytes); anything longer is refused before it is read. */
#define NLP_DATE_MAX_BYTES 96

/* What was wrong with a date, so that the caller can say it in the
 * resident's own language; nlp_date_why_name() gives a stable name. */
enum nlp_date_why {
	NLP_DATE_OK,
	NLP_DATE_EMPTY,       /* nothing but spaces */
	NLP_DATE_UNREADABLE,  /* not a date this parser knows how to read */
	NLP_DATE_NO_YEAR,     /* month and day without a year */
	NLP_DATE_NO_ERA,      /* a two-digit year without its era: 25年4月1日 */
	NLP_DATE_ORDER,       /* the year last (1/4/1950): day and month are ambiguous */
	NLP_DATE_MONTH,       /* a month outside 1..12 */
	NLP_DATE_DAY,         /* no such day in that month: 2月30日, 2023-02-29 */
	NLP_DATE_ERA_RANGE,   /* outside the era: 昭和65年, 平成31年5月1日 */
};

/* A Japanese era: its names and the first and last day it was in use. */
struct nlp_era {
	const char *name;     /* 昭和 */
	const char *name_en;  /* Showa */
	char letter;          /* S */
	int first_year;       /* the Western year of its first year (元年) */
	const char *first, *last;  /* YYYY-MM-DD; last of the era in use is 9999-12-31 */
};

struct nlp_date {
	char iso[NLP_DATE_LEN + 1];  /* "1950-04-01" on success, "" otherwise */
	int year, month, day;        /* as read (also on NLP_DATE_DAY and ERA_RANGE) */
	enum nlp_date_why why;
	const struct nlp_era *era;   /* the era written, or NULL for a Western year */
	int days_in_month;           /* with NLP_DATE_DAY: the month's last day */
};

/* Reads len bytes of text (need not be NUL-terminated) as a date. Returns
 * MG_OK with out->iso set, or MG_ERR_INPUT with out->why saying what is
 * wrong and err (may be NULL) saying it in English. Never reads past len. */
int nlp_date_parse(const char *text, size_t len, struct nlp_date *out, char *err);

/* A machine date (a file's, a console filter's): exactly YYYY-MM-DD, a day
 * that exists (2026-02-30 does not) in a year from 1000, as nlp_date_parse. MG_OK with the parts in y, m, d (each
 * may be NULL), MG_ERR_INPUT otherwise. */
int nlp_date_iso(const char *s, int *y, int *m, int *d);

/* "unreadable", "no_such_day", "era_range"...: the why as a stable word. */
const char *nlp_date_why_name(enum nlp_date_why why);

#endif
