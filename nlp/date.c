/* Dates as people write them, Western or by Japanese era, into YYYY-MM-DD.
 * The text is cut into tokens (numbers in Arabic, full-width or kanji digits,
 * eras, 年/月/日, month names, separators); the token pattern says which
 * parts are year, month and day; then the date is checked as a real day
 * inside its era. Nothing is guessed: an ambiguous order or a year without
 * its era is refused with a reason, since a wrong guess at a log-in counts
 * as a wrong attempt. */
#include "nlp/date.h"

#include <stdio.h>
#include <string.h>

/* The day an era began is the day the last one ended (the old emperor's
 * death): both eras name it. 明治 before 1873 counted by the old lunisolar
 * calendar; its dates are read as if Gregorian, which no living resident's
 * birth date is affected by. */
static const struct nlp_era ERAS[] = {
	{"明治", "Meiji", 'M', 1868, "1868-01-25", "1912-07-30"},
	{"大正", "Taisho", 'T', 1912, "1912-07-30", "1926-12-25"},
	{"昭和", "Showa", 'S', 1926, "1926-12-25", "1989-01-07"},
	{"平成", "Heisei", 'H', 1989, "1989-01-08", "2019-04-30"},
	{"令和", "Reiwa", 'R', 2019, "2019-05-01", "9999-12-31"},
};
#define NERAS ((int)(sizeof ERAS / sizeof *ERAS))
/* The one-character squared forms ㍾ ㍽ ㍼ ㍻ ㋿, in ERAS order. */
static const unsigned SQUARED_ERA[NERAS] = {0x337E, 0x337D, 0x337C, 0x337B, 0x32FF};

static const char *const MONTHS[12] = {"january", "february", "march", "april", "may", "june",
				       "july", "august", "september", "october", "november",
				       "december"};

#define MAX_TOKENS 16
#define MAX_DIGITS 9   /* 8 for 19500401; more is not a date and would overflow */
#define MAX_WORD 12    /* "september." */

enum kind {
	K_NUM = 'N', K_ERA = 'E', K_YEAR = 'Y', K_MONTH = 'M', K_DAY = 'D', K_SEP = 'S',
	K_SPACE = '_', K_MONTH_NAME = 'A',
};

struct token {
	enum kind kind;
	long value;       /* K_NUM: the number; K_MONTH_NAME: 1..12 */
	int digits;       /* K_NUM: digits as written (kanji with 十百千: of the value) */
	int arabic;       /* K_NUM: written in Arabic digits (ASCII or full-width) */
	int gan;          /* K_NUM: 元 (the first year of an era) */
	const struct nlp_era *era;
};

struct lexer {
	struct token tok[MAX_TOKENS];
	int n, bad;
	/* the number being read: 0 none, 1 Arabic, 2 kanji */
	int num;
	long total, cur;
	int digits, units;
	char word[MAX_WORD + 1];
	int wlen;
};

/* One code point from s[*i..len); -1 on invalid UTF-8. */
static int next_cp(const unsigned char *s, size_t len, size_t *i, unsigned *cp)
{
	unsigned c = s[*i];
	int n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
	if (!n || *i + (size_t)n > len)
		return -1;
	unsigned v = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
	for (int k = 1; k < n; k++) {
		if ((s[*i + k] & 0xC0) != 0x80)
			return -1;
		v = (v << 6) | (s[*i + k] & 0x3F);
	}
	if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
	    (v >= 0xD800 && v <= 0xDFFF))
		return -1;
	*i += (size_t)n;
	*cp = v;
	return 0;
}

static void push(struct lexer *lx, struct token t)
{
	if (lx->n == MAX_TOKENS)
		lx->bad = 1;
	else
		lx->tok[lx->n++] = t;
}

static int count_digits(long v)
{
	int n = 1;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Ends the number being read, if any, as a token. */
static void end_number(struct lexer *lx)
{
	if (!lx->num)
		return;
	long v = lx->total + lx->cur;
	push(lx, (struct token){.kind = K_NUM, .value = v, .arabic = lx->num == 1,
				.digits = lx->units ? count_digits(v) : lx->digits});
	lx->num = 0;
	lx->total = lx->cur = 0;
	lx->digits = lx->units = 0;
}

static void add_digit(struct lexer *lx, int kind, int d)
{
	if (lx->num && lx->num != kind)
		end_number(lx);
	lx->num = kind;
	if (++lx->digits > MAX_DIGITS)
		lx->bad = 1;
	else
		lx->cur = lx->cur * 10 + d;
}

/* 十 百 千: 二十五 is 2×10 + 5, 千九百五十 is 1000 + 9×100 + 5×10. */
static void add_unit(struct lexer *lx, long unit)
{
	if (lx->num == 1)
		end_number(lx);
	lx->num = 2;
	lx->units++;
	lx->total += (lx->cur ? lx->cur : 1) * unit;
	lx->cur = 0;
	if (lx->total > 99999)
		lx->bad = 1;
}

/* A run of Latin letters: an era letter (S25.4.1), a month name or its first
 * three letters, or the ordinal ending of a day (1st, 22nd). */
static void end_word(struct lexer *lx)
{
	if (!lx->wlen)
		return;
	const char *w = lx->word;
	size_t n = (size_t)lx->wlen;
	lx->wlen = 0;
	if (n && w[n - 1] == '.')
		n--;
	if (n == 1) {
		for (int e = 0; e < NERAS; e++)
			if (w[0] == ERAS[e].letter + ('a' - 'A')) {
				push(lx, (struct token){.kind = K_ERA, .era = &ERAS[e]});
				return;
			}
	}
	if (n == 2 && lx->n && lx->tok[lx->n - 1].kind == K_NUM &&
	    (!strncmp(w, "st", 2) || !strncmp(w, "nd", 2) || !strncmp(w, "rd", 2) || !strncmp(w, "th", 2)))
		return;
	for (int m = 0; n >= 3 && m < 12; m++)
		if (n <= strlen(MONTHS[m]) && !strncmp(w, MONTHS[m], n)) {
			push(lx, (struct token){.kind = K_MONTH_NAME, .value = m + 1});
			return;
		}
	lx->bad = 1;
}

static int kanji_digit(unsigned cp)
{
	static const unsigned digits[10] = {0x3007, 0x4E00, 0x4E8C, 0x4E09, 0x56DB,
					    0x4E94, 0x516D, 0x4E03, 0x516B, 0x4E5D};
	for (int d = 0; d < 10; d++)
		if (cp == digits[d])
			return d;
	return cp == 0x25CB || cp == 0x96F6 ? 0 : -1;  /* ○ and 零 are written for 〇 too */
}

static int is_sep(unsigned cp)
{
	return cp == '/' || cp == '-' || cp == '.' || cp == ',' || cp == 0xFF0F || cp == 0xFF0D ||
	       cp == 0xFF0E || cp == 0xFF0C || cp == 0x30FB || cp == 0xFF65 || cp == 0x3001 ||
	       (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0x30FC || cp == 0xFF70;
}

/* An era written in kanji at s (both characters, or the first alone) or as
 * one squared character; *used gets its length in bytes. */
static const struct nlp_era *era_at(const char *s, size_t len, size_t *used)
{
	for (int e = 0; e < NERAS; e++) {
		size_t full = strlen(ERAS[e].name);
		if (len >= full && !memcmp(s, ERAS[e].name, full)) {
			*used = full;
			return &ERAS[e];
		}
	}
	for (int e = 0; e < NERAS; e++)
		if (len >= 3 && !memcmp(s, ERAS[e].name, 3)) {
			*used = 3;
			return &ERAS[e];
		}
	return NULL;
}

static void lex(struct lexer *lx, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	while (i < len && !lx->bad) {
		size_t used;
		const struct nlp_era *era = era_at(text + i, len - i, &used);
		if (era) {
			end_number(lx);
			end_word(lx);
			push(lx, (struct token){.kind = K_ERA, .era = era});
			i += used;
			continue;
		}
		unsigned cp;
		if (next_cp(s, len, &i, &cp)) {
			lx->bad = 1;
			break;
		}
		if (cp >= 0xFF01 && cp <= 0xFF5E)  /* full-width ASCII */
			cp -= 0xFEE0;
		int kd = kanji_digit(cp);
		if (cp >= '0' && cp <= '9') {
			end_word(lx);
			add_digit(lx, 1, (int)(cp - '0'));
			continue;
		}
		if (kd >= 0 || cp == 0x5341 || cp == 0x767E || cp == 0x5343) {
			end_word(lx);
			if (kd >= 0)
				add_digit(lx, 2, kd);
			else
				add_unit(lx, cp == 0x5341 ? 10 : cp == 0x767E ? 100 : 1000);
			continue;
		}
		if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp == '.' && lx->wlen)) {
			end_number(lx);
			if (lx->wlen == MAX_WORD)
				lx->bad = 1;
			else
				lx->word[lx->wlen++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp);
			continue;
		}
		end_number(lx);
		end_word(lx);
		int e;
		for (e = 0; e < NERAS && cp != SQUARED_ERA[e]; e++)
			;
		if (e < NERAS)
			push(lx, (struct token){.kind = K_ERA, .era = &ERAS[e]});
		else if (cp == 0x5143)  /* 元 */
			push(lx, (struct token){.kind = K_NUM, .value = 1, .digits = 1, .gan = 1});
		else if (cp == 0x5E74)
			push(lx, (struct token){.kind = K_YEAR});
		else if (cp == 0x6708)
			push(lx, (struct token){.kind = K_MONTH});
		else if (cp == 0x65E5)
			push(lx, (struct token){.kind = K_DAY});
		else if (is_sep(cp))
			push(lx, (struct token){.kind = K_SEP});
		else if (cp == ' ' || cp == '\t' || cp == 0x3000)
			push(lx, (struct token){.kind = K_SPACE});
		else
			lx->bad = 1;
	}
	end_number(lx);
	end_word(lx);
}

/* A run of separators and spaces between two numbers separates them (any
 * other says nothing: S.25, 1950年 4月); around a month name none count
 * (April 1, 1950). */
static void tidy(struct lexer *lx, char *sig)
{
	int names = 0, k = 0;
	for (int i = 0; i < lx->n; i++)
		names |= lx->tok[i].kind == K_MONTH_NAME;
	for (int i = 0; i < lx->n; i++) {
		if (lx->tok[i].kind != K_SPACE && lx->tok[i].kind != K_SEP) {
			lx->tok[k++] = lx->tok[i];
			continue;
		}
		int j = i;
		while (j < lx->n && (lx->tok[j].kind == K_SPACE || lx->tok[j].kind == K_SEP))
			j++;
		if (!names && k && lx->tok[k - 1].kind == K_NUM && j < lx->n && lx->tok[j].kind == K_NUM)
			lx->tok[k++] = (struct token){.kind = K_SEP};
		i = j - 1;
	}
	lx->n = k;
	for (int i = 0; i < k; i++)
		sig[i] = (char)lx->tok[i].kind;
	sig[k] = '\0';
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : days[m - 1];
}

int nlp_date_iso(const char *s, int *y, int *m, int *d)
{
	int v[3] = {0, 0, 0};
	static const int at[3] = {0, 5, 8}, width[3] = {4, 2, 2};
	if (!s || strlen(s) != NLP_DATE_LEN || s[4] != '-' || s[7] != '-')
		return MG_ERR_INPUT;
	for (int f = 0; f < 3; f++)
		for (int i = 0; i < width[f]; i++) {
			char c = s[at[f] + i];
			if (c < '0' || c > '9')
				return MG_ERR_INPUT;
			v[f] = v[f] * 10 + (c - '0');
		}
	if (v[0] < 1000 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > month_days(v[0], v[1]))
		return MG_ERR_INPUT;
	if (y)
		*y = v[0];
	if (m)
		*m = v[1];
	if (d)
		*d = v[2];
	return MG_OK;
}

/* Trailing 生まれ / 生れ / 生 ("born") and spaces say nothing about the date. */
static size_t strip_suffix(const char *s, size_t len)
{
	static const char *const suffix[] = {"生まれ", "生れ", "生", " ", "\xE3\x80\x80"};
	for (int again = 1; again;) {
		again = 0;
		for (size_t k = 0; k < sizeof suffix / sizeof *suffix; k++) {
			size_t n = strlen(suffix[k]);
			if (len >= n && !memcmp(s + len - n, suffix[k], n)) {
				len -= n;
				again = 1;
			}
		}
	}
	return len;
}

static int fail(struct nlp_date *out, enum nlp_date_why why, char *err)
{
	out->why = why;
	out->iso[0] = '\0';
	switch (why) {
	case NLP_DATE_EMPTY:
		return mg_fail(err, MG_ERR_INPUT, "no date was given");
	case NLP_DATE_NO_YEAR:
		return mg_fail(err, MG_ERR_INPUT, "the year is missing: write it like 1950/4/1 or 昭和25年4月1日");
	case NLP_DATE_NO_ERA:
		return mg_fail(err, MG_ERR_INPUT, "a two-digit year needs its era (昭和25年) or the four-digit year (1950年)");
	case NLP_DATE_ORDER:
		return mg_fail(err, MG_ERR_INPUT, "write the year first, like 1950/4/1");
	case NLP_DATE_MONTH:
		return mg_fail(err, MG_ERR_INPUT, "there is no month %d", out->month);
	case NLP_DATE_DAY:
		return mg_fail(err, MG_ERR_INPUT, "%04d-%02d has no day %d (it has %d days)", out->year,
			       out->month, out->day, out->days_in_month);
	case NLP_DATE_ERA_RANGE:
		if (out->era->last[0] == '9')
			return mg_fail(err, MG_ERR_INPUT, "%s (%s) began on %s", out->era->name,
				       out->era->name_en, out->era->first);
		return mg_fail(err, MG_ERR_INPUT, "%s (%s) ran from %s to %s", out->era->name,
			       out->era->name_en, out->era->first, out->era->last);
	default:
		out->why = NLP_DATE_UNREADABLE;
		return mg_fail(err, MG_ERR_INPUT, "this is not a date that can be read: write it like"
			       " 1950/4/1 or 昭和25年4月1日");
	}
}

/* Year, month and day positions out of the token pattern; 0 when the
 * pattern is no date, or why when it is one with a part missing. */
static enum nlp_date_why shape(const struct lexer *lx, const char *sig, int *y, int *m, int *d,
			       int *era)
{
	const struct token *t = lx->tok;
	*era = sig[0] == 'E';
	const char *p = sig + *era;
	int o = *era;
	if (!strcmp(p, "NYNMN") || !strcmp(p, "NYNMND") || !strcmp(p, "NSNSN")) {
		*y = o, *m = o + 2, *d = o + 4;
		return NLP_DATE_OK;
	}
	if (*era && !strcmp(p, "N") && t[o].arabic && t[o].digits == 6)
		return NLP_DATE_OK;  /* S250401: split by the caller */
	if (!*era && !strcmp(p, "N") && t[0].digits == 8)
		return NLP_DATE_OK;  /* 19500401 */
	if (!*era && !strcmp(p, "N") && t[0].digits == 6)
		return NLP_DATE_NO_ERA;  /* 250401 */
	if (!*era && (!strcmp(p, "NMN") || !strcmp(p, "NMND") || !strcmp(p, "NSN")))
		return NLP_DATE_NO_YEAR;  /* after an era (S25/4) it is the day that is missing */
	if (!*era && !strcmp(p, "NAN")) {  /* 1 April 1950, 1950 April 1 */
		int year_first = t[0].value >= 1000;
		*y = year_first ? 0 : 2, *m = 1, *d = year_first ? 2 : 0;
		return NLP_DATE_OK;
	}
	if (!*era && !strcmp(p, "ANN")) {  /* April 1, 1950 */
		*m = 0, *d = 1, *y = 2;
		return NLP_DATE_OK;
	}
	if (!*era && !strcmp(p, "AN"))
		return NLP_DATE_NO_YEAR;
	return NLP_DATE_UNREADABLE;
}

int nlp_date_parse(const char *text, size_t len, struct nlp_date *out, char *err)
{
	memset(out, 0, sizeof *out);
	if (!text || len > NLP_DATE_MAX_BYTES)
		return fail(out, NLP_DATE_UNREADABLE, err);
	len = strip_suffix(text, len);
	struct lexer lx = {0};
	char sig[MAX_TOKENS + 1];
	lex(&lx, text, len);
	if (lx.bad)
		return fail(out, NLP_DATE_UNREADABLE, err);
	tidy(&lx, sig);
	if (!lx.n)
		return fail(out, NLP_DATE_EMPTY, err);
	int yi = -1, mi = -1, di = -1, era = 0;
	enum nlp_date_why why = shape(&lx, sig, &yi, &mi, &di, &era);
	if (why != NLP_DATE_OK)
		return fail(out, why, err);
	const struct token *t = lx.tok;
	long y, m, d;
	int year_digits = 4;
	if (yi < 0) {  /* one run of digits: YYYYMMDD, or YYMMDD after an era */
		long v = t[era].value;
		y = v / 10000, m = v / 100 % 100, d = v % 100;
	} else {
		y = t[yi].value, m = t[mi].value, d = t[di].value;
		year_digits = t[yi].digits;
		/* 元 is a year of an era, and only that. */
		if (t[mi].gan || t[di].gan || (t[yi].gan && !era))
			return fail(out, NLP_DATE_UNREADABLE, err);
	}
	if (era) {
		out->era = t[0].era;
		if (y < 1 || y > 9999 - out->era->first_year)
			return fail(out, NLP_DATE_ERA_RANGE, err);
		y += out->era->first_year - 1;
	} else if (!strcmp(sig, "NSNSN") && t[0].value < 1000 && t[4].value >= 1000) {
		return fail(out, NLP_DATE_ORDER, err);  /* 1/4/1950: April or January? */
	} else if (y < 1000 || y > 9999) {
		/* 25/4/1 or 25年4月1日: 1925, 1950 or 2025? */
		return fail(out, yi >= 0 && year_digits <= 2 ? NLP_DATE_NO_ERA : NLP_DATE_UNREADABLE, err);
	}
	out->year = (int)y, out->month = (int)m, out->day = (int)d;
	if (m < 1 || m > 12)
		return fail(out, NLP_DATE_MONTH, err);
	out->days_in_month = month_days((int)y, (int)m);
	if (d < 1 || d > out->days_in_month)
		return fail(out, NLP_DATE_DAY, err);
	/* y, m and d are in range here; the casts tell the compiler so. */
	snprintf(out->iso, sizeof out->iso, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
	if (era && (strcmp(out->iso, out->era->first) < 0 || strcmp(out->iso, out->era->last) > 0))
		return fail(out, NLP_DATE_ERA_RANGE, err);
	out->why = NLP_DATE_OK;
	return MG_OK;
}

const char *nlp_date_why_name(enum nlp_date_why why)
{
	switch (why) {
	case NLP_DATE_OK: return "ok";
	case NLP_DATE_EMPTY: return "empty";
	case NLP_DATE_NO_YEAR: return "no_year";
	case NLP_DATE_NO_ERA: return "no_era";
	case NLP_DATE_ORDER: return "order";
	case NLP_DATE_MONTH: return "no_such_month";
	case NLP_DATE_DAY: return "no_such_day";
	case NLP_DATE_ERA_RANGE: return "era_range";
	default: return "unreadable";
	}
}
