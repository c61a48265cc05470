/* Time zones as values (see zone.h): a TZif file (RFC 8536) holds the zone's
 * past transitions and, in its footer, the POSIX TZ rule for every time after
 * the last one ("JST-9", "EST5EDT,M3.2.0,M11.1.0"). Both are read once into an
 * immutable object; nothing here touches the process's TZ. */
#include "nlp/zone.h"

#include "nlp/date.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A TZif file of the tz database is a few kilobytes (America/New_York with
 * every transition to 2037 is 3.5 KB); a larger file is not one. */
#define ZONE_FILE_MAX (256 * 1024)
/* POSIX: a rule's time is 02:00 local when not given. */
#define RULE_DEFAULT_TIME (2 * 3600)

enum rule_kind { RULE_JULIAN1, RULE_JULIAN0, RULE_MONTH };

struct rule_date {
	enum rule_kind kind;
	int a, b, c;   /* J: a = day; n: a = day; M: a = month, b = week, c = weekday */
	long time;     /* seconds after local midnight (may be negative or past 24 h) */
};

/* The footer: standard offset, and DST with its two dates when has_dst. */
struct posix_rule {
	int valid;
	long std_off, dst_off;   /* seconds east of UTC */
	int has_dst;
	struct rule_date start, end;
};

struct nlp_zone {
	char name[NLP_ZONE_NAME_MAX + 1];
	int64_t *trans;           /* ntrans transition instants, ascending */
	unsigned char *trans_type;
	int ntrans;
	long *type_off;           /* per local time type */
	unsigned char *type_dst;
	int ntypes;
	struct posix_rule rule;
};

/* ---- the POSIX TZ string of the footer --------------------------------------- */

static const char *skip_name(const char *s)
{
	if (*s == '<') {
		const char *e = strchr(s, '>');
		return e ? e + 1 : NULL;
	}
	const char *p = s;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds; NULL when malformed. */
static const char *parse_hms(const char *s, long *out)
{
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	long part[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		if (i && *s != ':')
			break;
		if (i)
			s++;
		if (*s < '0' || *s > '9')
			return NULL;
		long v = 0;
		for (int n = 0; *s >= '0' && *s <= '9' && n < 3; n++)
			v = v * 10 + (*s++ - '0');
		part[i] = v;
	}
	if (part[0] > 167 || part[1] > 59 || part[2] > 59)
		return NULL;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return s;
}

static const char *parse_num(const char *s, int lo, int hi, int *out)
{
	if (*s < '0' || *s > '9')
		return NULL;
	long v = 0;
	while (*s >= '0' && *s <= '9' && v <= hi)
		v = v * 10 + (*s++ - '0');
	if (v < lo || v > hi)
		return NULL;
	*out = (int)v;
	return s;
}

static const char *parse_date(const char *s, struct rule_date *d)
{
	memset(d, 0, sizeof *d);
	if (*s == 'M') {
		d->kind = RULE_MONTH;
		s = parse_num(s + 1, 1, 12, &d->a);
		if (s && *s == '.')
			s = parse_num(s + 1, 1, 5, &d->b);
		else
			s = NULL;
		if (s && *s == '.')
			s = parse_num(s + 1, 0, 6, &d->c);
		else
			s = NULL;
	} else if (*s == 'J') {
		d->kind = RULE_JULIAN1;
		s = parse_num(s + 1, 1, 365, &d->a);
	} else {
		d->kind = RULE_JULIAN0;
		s = parse_num(s, 0, 365, &d->a);
	}
	d->time = RULE_DEFAULT_TIME;
	if (s && *s == '/')
		s = parse_hms(s + 1, &d->time);
	return s;
}

static int parse_posix(const char *s, struct posix_rule *r)
{
	long off;
	memset(r, 0, sizeof *r);
	if (!(s = skip_name(s)) || !(s = parse_hms(s, &off)))
		return -1;
	r->std_off = -off;   /* POSIX counts west of UTC */
	if (*s) {
		if (!(s = skip_name(s)))
			return -1;
		r->dst_off = r->std_off + 3600;
		if (*s && *s != ',') {
			if (!(s = parse_hms(s, &off)))
				return -1;
			r->dst_off = -off;
		}
		/* A DST name without dates: zic never writes it; read as no DST. */
		if (*s == ',') {
			if (!(s = parse_date(s + 1, &r->start)) || *s != ',' ||
			    !(s = parse_date(s + 1, &r->end)))
				return -1;
			r->has_dst = 1;
		}
	}
	if (*s)
		return -1;
	r->valid = 1;
	return 0;
}

static long days_of(int year, int month, int day)
{
	struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day};
	return (long)(timegm(&tm) / 86400);
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The rule's day in year, as days since 1970-01-01. */
static long rule_day(const struct rule_date *d, int year)
{
	if (d->kind == RULE_JULIAN1)
		return days_of(year, 1, 1) + d->a - 1 + (is_leap(year) && d->a >= 60);
	if (d->kind == RULE_JULIAN0)
		return days_of(year, 1, 1) + d->a;
	long first = days_of(year, d->a, 1);
	long next = d->a == 12 ? days_of(year + 1, 1, 1) : days_of(year, d->a + 1, 1);
	int wday_first = (int)(((first + 4) % 7 + 7) % 7);  /* 1970-01-01 was a Thursday */
	long day = first + (d->c - wday_first + 7) % 7 + (d->b - 1) * 7L;
	while (day >= next)
		day -= 7;
	return day;
}

static void rule_at(const struct posix_rule *r, time_t t, long *off, int *dst)
{
	*off = r->std_off;
	*dst = 0;
	if (!r->has_dst)
		return;
	time_t local = t + r->std_off;
	struct tm tm;
	gmtime_r(&local, &tm);
	int year = tm.tm_year + 1900;
	int64_t start = (int64_t)rule_day(&r->start, year) * 86400 + r->start.time - r->std_off;
	int64_t end = (int64_t)rule_day(&r->end, year) * 86400 + r->end.time - r->dst_off;
	int in = start < end ? (t >= start && t < end)    /* northern summer */
			     : !(t >= end && t < start);  /* southern: DST spans the new year */
	if (in) {
		*off = r->dst_off;
		*dst = 1;
	}
}

/* ---- the TZif file ------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_head {
	uint32_t isut, isstd, leap, time, type, chars;
};

static int read_head(const unsigned char *p, size_t len, struct tzif_head *h, int *version)
{
	if (len < 44 || memcmp(p, "TZif", 4))
		return -1;
	*version = p[4] ? p[4] - '0' : 1;
	h->isut = be32(p + 20);
	h->isstd = be32(p + 24);
	h->leap = be32(p + 28);
	h->time = be32(p + 32);
	h->type = be32(p + 36);
	h->chars = be32(p + 40);
	/* Caps far above any real zone keep the size arithmetic below in range. */
	if (h->type == 0 || h->type > 256 || h->time > 100000 || h->leap > 10000 ||
	    h->chars > 10000 || h->isut > 256 || h->isstd > 256)
		return -1;
	return 0;
}

static size_t block_len(const struct tzif_head *h, size_t time_size)
{
	return h->time * time_size + h->time + h->type * 6 + h->chars +
	       h->leap * (time_size + 4) + h->isstd + h->isut;
}

static int parse_tzif(struct nlp_zone *z, const unsigned char *p, size_t len, char *err)
{
	struct tzif_head h;
	int version;
	if (read_head(p, len, &h, &version))
		return mg_fail(err, MG_ERR_INPUT, "%s is not a tz database file", z->name);
	size_t time_size = 4;
	if (version >= 2) {  /* skip the 32-bit block: the 64-bit one follows */
		size_t skip = 44 + block_len(&h, 4);
		if (skip > len || read_head(p + skip, len - skip, &h, &version))
			return mg_fail(err, MG_ERR_INPUT, "%s: a damaged tz file", z->name);
		p += skip;
		len -= skip;
		time_size = 8;
	}
	size_t need = 44 + block_len(&h, time_size);
	if (need > len)
		return mg_fail(err, MG_ERR_INPUT, "%s: a truncated tz file", z->name);
	z->ntrans = (int)h.time;
	z->ntypes = (int)h.type;
	z->trans = calloc(h.time + 1, sizeof *z->trans);
	z->trans_type = calloc(h.time + 1, 1);
	z->type_off = calloc(h.type, sizeof *z->type_off);
	z->type_dst = calloc(h.type, 1);
	if (!z->trans || !z->trans_type || !z->type_off || !z->type_dst)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	const unsigned char *q = p + 44;
	for (uint32_t i = 0; i < h.time; i++, q += time_size)
		z->trans[i] = time_size == 8 ? be64(q) : (int32_t)be32(q);
	for (uint32_t i = 0; i < h.time; i++, q++) {
		if (*q >= h.type)
			return mg_fail(err, MG_ERR_INPUT, "%s: a damaged tz file", z->name);
		z->trans_type[i] = *q;
	}
	for (uint32_t i = 0; i < h.type; i++, q += 6) {
		z->type_off[i] = (int32_t)be32(q);
		z->type_dst[i] = q[4];
	}
	/* The footer: "\n" TZ-string "\n" after the 64-bit block. */
	if (version >= 2 && need < len && p[need] == '\n') {
		const unsigned char *end = memchr(p + need + 1, '\n', len - need - 1);
		char footer[128];
		size_t n = end ? (size_t)(end - (p + need + 1)) : 0;
		if (n && n < sizeof footer) {
			memcpy(footer, p + need + 1, n);
			footer[n] = 0;
			if (parse_posix(footer, &z->rule))
				return mg_fail(err, MG_ERR_INPUT, "%s: cannot read its rule \"%s\"",
					       z->name, footer);
		}
	}
	return MG_OK;
}

static int name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || n > NLP_ZONE_NAME_MAX || name[0] == '/' || strstr(name, ".."))
		return 0;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      *c == '/' || *c == '_' || *c == '-' || *c == '+'))
			return 0;
	return 1;
}

int nlp_zone_load(const char *name, struct nlp_zone **out, char *err)
{
	*out = NULL;
	if (!name_ok(name))
		return mg_fail(err, MG_ERR_INPUT, "\"%s\" is not a time zone name such as Asia/Tokyo",
			       name ? name : "");
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	char *data = NULL;
	size_t len = 0;
	char why[MG_ERR_LEN];
	if (mg_read_file(path, ZONE_FILE_MAX, &data, &len, why) != MG_OK)
		return mg_fail(err, MG_ERR_INPUT, "there is no time zone %s (%s)", name, why);
	struct nlp_zone *z = calloc(1, sizeof *z);
	int rc = z ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK) {
		snprintf(z->name, sizeof z->name, "%s", name);
		rc = parse_tzif(z, (const unsigned char *)data, len, err);
	}
	free(data);
	if (rc != MG_OK) {
		nlp_zone_free(z);
		return rc;
	}
	*out = z;
	return MG_OK;
}

void nlp_zone_free(struct nlp_zone *zone)
{
	if (!zone)
		return;
	free(zone->trans);
	free(zone->trans_type);
	free(zone->type_off);
	free(zone->type_dst);
	free(zone);
}

const char *nlp_zone_name(const struct nlp_zone *zone)
{
	return zone ? zone->name : "";
}

static void offset_at(const struct nlp_zone *z, time_t t, long *off, int *dst)
{
	if (z->rule.valid && (z->ntrans == 0 || t >= z->trans[z->ntrans - 1])) {
		rule_at(&z->rule, t, off, dst);
		return;
	}
	/* Before the first transition: the first type (RFC 8536, 3.2). */
	int type = 0;
	if (z->ntrans && t >= z->trans[0]) {
		int lo = 0, hi = z->ntrans - 1;  /* the last transition at or before t */
		while (lo < hi) {
			int mid = lo + (hi - lo + 1) / 2;
			if (z->trans[mid] <= t)
				lo = mid;
			else
				hi = mid - 1;
		}
		type = z->trans_type[lo];
	}
	*off = z->type_off[type];
	*dst = z->type_dst[type] != 0;
}

long nlp_zone_offset(const struct nlp_zone *zone, time_t t)
{
	long off;
	int dst;
	if (!zone) {
		struct tm tm;
		localtime_r(&t, &tm);
		return tm.tm_gmtoff;
	}
	offset_at(zone, t, &off, &dst);
	return off;
}

void nlp_zone_tm(const struct nlp_zone *zone, time_t t, struct tm *out)
{
	if (!zone) {
		localtime_r(&t, out);
		return;
	}
	long off;
	int dst;
	offset_at(zone, t, &off, &dst);
	time_t local = t + off;
	gmtime_r(&local, out);
	out->tm_isdst = dst;
	out->tm_gmtoff = off;
	out->tm_zone = NULL;
}

void nlp_zone_time_text(const struct nlp_zone *zone, time_t t, int seconds, char *out)
{
	struct tm tm;
	nlp_zone_tm(zone, t, &tm);
	if (!strftime(out, seconds ? NLP_ZONE_SECONDS_LEN : NLP_ZONE_MINUTES_LEN,
		      seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm))
		out[0] = 0;  /* a year past 9999: no town's */
}

int nlp_zone_day_at(const struct nlp_zone *zone, const char *day, int hour, time_t *out)
{
	struct tm tm = {.tm_hour = hour};
	if (nlp_date_iso(day, &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != MG_OK)
		return MG_ERR_INPUT;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = nlp_zone_mktime(zone, &tm);
	return *out == (time_t)-1 ? MG_ERR_INPUT : MG_OK;
}

void nlp_zone_day(const struct nlp_zone *zone, time_t t, char out[11])
{
	struct tm tm;
	nlp_zone_tm(zone, t, &tm);
	/* Years here are 1900..9999: the tz database's range for a town. */
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u);
}

time_t nlp_zone_mktime(const struct nlp_zone *zone, const struct tm *local)
{
	struct tm tm = *local;
	if (!zone) {
		tm.tm_isdst = -1;
		return mktime(&tm);
	}
	time_t as_utc = timegm(&tm);
	/* The offset an hour before the guess is the one in effect before a
	 * change near it, so a skipped or repeated time reads with it. */
	long before = nlp_zone_offset(zone, as_utc - nlp_zone_offset(zone, as_utc) - 3600);
	time_t t = as_utc - before;
	long now = nlp_zone_offset(zone, t);
	if (now != before && nlp_zone_offset(zone, as_utc - now) == now)
		t = as_utc - now;  /* the change lies between: the time is after it */
	return t;
}
