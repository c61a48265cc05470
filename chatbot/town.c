/* The town's configuration (town.json): names, the three lines with their
 * phone numbers and opening hours (a web line's page and its phone each have
 * their own), holidays, and the facts that entries name as {{key}}. Opening
 * hours are evaluated in the town's time zone, a value (town_zone). */
#include "chatbot/town_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp/buf.h"
#include "nlp/date.h"

static const char *const DAY_KEYS[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char *const DAY_JA[7] = {"日", "月", "火", "水", "木", "金", "土"};
static const char *const DAY_EN[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const LINE_KEYS[TOWN_NLINES] = {"call_center", "nurse", "booking"};

static int day_index(const char *s, size_t n)
{
	for (int d = 0; d < 7; d++)
		if (n == 3 && !strncmp(s, DAY_KEYS[d], 3))
			return d;
	return -1;
}

/* "mon-fri,sat" → a 7-bit mask of week days (bit 0 = Sunday). */
static int parse_days(const char *s, unsigned *mask)
{
	*mask = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		const char *dash = memchr(s, '-', n);
		int a = day_index(s, dash ? (size_t)(dash - s) : n);
		int b = dash ? day_index(dash + 1, n - (size_t)(dash + 1 - s)) : a;
		if (a < 0 || b < 0)
			return -1;
		for (int d = a;; d = (d + 1) % 7) {
			*mask |= 1u << d;
			if (d == b)
				break;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int parse_span(const char *s, int *open, int *close)
{
	int h1, m1, h2, m2;
	char tail;
	if (sscanf(s, "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4 || h1 < 0 || m1 < 0 ||
	    m1 > 59 || m2 < 0 || m2 > 59 || h2 > 24 || (h2 == 24 && m2) || h1 * 60 + m1 >= h2 * 60 + m2)
		return -1;
	*open = h1 * 60 + m1;
	*close = h2 * 60 + m2;
	return 0;
}

static const char *str_or(json_t *obj, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v ? v : dflt;
}

static void hours_text(const struct town_hours *h, const char *lang, char *out, size_t cap);

/* The hours of a line (prefix "") or of its phone (prefix "phone_"):
 * PREFIXhours, PREFIXclosed_on_holidays, PREFIXhours_text(_en). */
static int load_hours(struct town_hours *h, json_t *j, const char *key, const char *prefix,
		      char *err)
{
	char name[64];
	snprintf(name, sizeof name, "%shours", prefix);
	h->table = json_object_get(j, name);
	const char *day;
	json_t *span;
	json_object_foreach(h->table, day, span) {
		unsigned mask;
		int open, close;
		const char *s = json_string_value(span);
		if (parse_days(day, &mask) || !s || parse_span(s, &open, &close))
			return mg_fail(err, MG_ERR_INPUT, "town.json: lines.%s.%s: cannot read \"%s\": \"%s\"",
				       key, name, day, s ? s : "?");
		for (int d = 0; d < 7; d++) {
			if (!(mask & (1u << d)))
				continue;
			if (h->nspans[d] == TOWN_MAX_SPANS)
				return mg_fail(err, MG_ERR_INPUT, "town.json: lines.%s.%s: too many spans", key, name);
			h->span[d][h->nspans[d]][0] = open;
			h->span[d][h->nspans[d]][1] = close;
			h->nspans[d]++;
		}
	}
	snprintf(name, sizeof name, "%sclosed_on_holidays", prefix);
	h->closed_on_holidays = json_is_true(json_object_get(j, name));
	snprintf(name, sizeof name, "%shours_text", prefix);
	h->text = str_or(j, name, NULL);
	snprintf(name, sizeof name, "%shours_text_en", prefix);
	h->text_en = str_or(j, name, NULL);
	hours_text(h, "ja", h->shown[0], sizeof h->shown[0]);
	hours_text(h, "en", h->shown[1], sizeof h->shown[1]);
	return MG_OK;
}

static int load_line(struct town_line *line, const char *key, json_t *j, char *err)
{
	line->json = j;
	line->key = key;
	if (!json_is_object(j))
		return mg_fail(err, MG_ERR_INPUT, "town.json: lines.%s is missing", key);
	int rc = load_hours(&line->hours, j, key, "", err);
	int web = str_or(j, "url", NULL) != NULL, phone = *str_or(j, "phone", "") != '\0';
	if (rc == MG_OK && json_object_get(j, "phone_hours"))
		rc = load_hours(&line->phone_hours, j, key, "phone_", err);
	else if (rc == MG_OK && web && phone)
		/* A booking page open all night is not a call centre open all night. */
		rc = mg_fail(err, MG_ERR_INPUT, "town.json: lines.%s has a url and a phone: give"
			     " phone_hours (the phone's hours), not only the page's hours", key);
	else
		line->phone_hours = line->hours;
	return rc;
}

/* town.municipality_code: the 全国地方公共団体コード, five digits and the
 * check digit the Ministry of Internal Affairs defines (weights 6..2, 11
 * less the sum's remainder by 11, its last digit), so that a mistyped code
 * is refused before it reaches the national record (VRS). Absent is fine. */
static int check_municipality(const json_t *v, char *err)
{
	const char *code = json_string_value(v);
	if (!v)
		return MG_OK;
	int sum = 0, ok = code && strlen(code) == 6;
	for (int i = 0; ok && i < 6; i++)
		ok = code[i] >= '0' && code[i] <= '9';
	for (int i = 0; ok && i < 5; i++)
		sum += (code[i] - '0') * (6 - i);
	if (ok && code[5] - '0' != (11 - sum % 11) % 10)
		return mg_fail(err, MG_ERR_INPUT, "town.json: town.municipality_code \"%s\": the"
			       " check digit is wrong (a mistyped code?)", code);
	if (!ok)
		return mg_fail(err, MG_ERR_INPUT, "town.json: town.municipality_code is the six"
			       " digits of the 全国地方公共団体コード, as a string");
	return MG_OK;
}

/* "readings": {"word": "reading in hiragana", ...}, the town's user
 * dictionary for furigana. */
static int load_readings(struct town *t, json_t *j, char *err)
{
	if (!(t->readings = nlp_readings_new()))
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (!j)
		return MG_OK;
	if (!json_is_object(j))
		return mg_fail(err, MG_ERR_INPUT, "town.json: readings must be an object {\"word\": \"reading\"}");
	const char *word;
	json_t *v;
	json_object_foreach(j, word, v) {
		char why[MG_ERR_LEN];
		int rc = json_is_string(v) ? nlp_readings_add(t->readings, word, json_string_value(v), why)
					   : mg_fail(why, MG_ERR_INPUT, "the reading is not a string");
		if (rc != MG_OK)
			return mg_fail(err, rc == MG_ERR_NOMEM ? rc : MG_ERR_INPUT, "town.json: readings.%s: %s", word, why);
	}
	return MG_OK;
}

static int day_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* town.json's holidays that are days (YYYY-MM-DD, as nlp_date_iso reads
 * them: no other string ever named a day is_holiday matched) as sorted
 * YYYYMMDD. */
static int load_holidays(struct town *t, char *err)
{
	size_t i, n = 0;
	json_t *h;
	t->holiday_days = malloc((json_array_size(t->holidays) + 1) * sizeof *t->holiday_days);
	if (!t->holiday_days)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	json_array_foreach(t->holidays, i, h) {
		int y, m, d;
		if (nlp_date_iso(json_string_value(h), &y, &m, &d) == MG_OK)
			t->holiday_days[n++] = y * 10000 + m * 100 + d;
	}
	qsort(t->holiday_days, n, sizeof *t->holiday_days, day_cmp);
	t->nholidays = n;
	return MG_OK;
}

int town_load(const char *path, struct town **out, char *err)
{
	*out = NULL;
	json_error_t jerr;
	json_t *root = path ? json_load_file(path, 0, &jerr)
			    : json_loadb(kb_sample_town, kb_sample_town_len, 0, &jerr);
	if (!root)
		return mg_fail(err, MG_ERR_INPUT, "%s: line %d: %s", path ? path : "town.json",
			       jerr.line, jerr.text);
	struct town *t = calloc(1, sizeof *t);
	int rc = t ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK) {
		t->root = root;
		t->facts = json_object_get(root, "facts");
		t->holidays = json_object_get(root, "holidays");
		rc = load_holidays(t, err);
		json_t *lines = json_object_get(root, "lines");
		for (int i = 0; i < TOWN_NLINES && rc == MG_OK; i++)
			rc = load_line(&t->line[i], LINE_KEYS[i], json_object_get(lines, LINE_KEYS[i]), err);
		const char *tz = json_string_value(json_object_get(json_object_get(root, "town"), "timezone"));
		char why[MG_ERR_LEN];
		if (rc == MG_OK && tz && nlp_zone_load(tz, &t->zone, why) != MG_OK)
			rc = mg_fail(err, MG_ERR_INPUT, "town.json: town.timezone: %s", why);
		if (rc == MG_OK)
			rc = check_municipality(json_object_get(json_object_get(root, "town"),
								"municipality_code"), err);
		if (rc == MG_OK)
			rc = load_readings(t, json_object_get(root, "readings"), err);
	} else {
		json_decref(root);
	}
	if (rc != MG_OK) {
		town_free(t);
		return rc;
	}
	*out = t;
	return MG_OK;
}

void town_free(struct town *town)
{
	if (!town)
		return;
	json_decref(town->root);
	nlp_zone_free(town->zone);
	nlp_readings_free(town->readings);
	free(town->holiday_days);
	free(town);
}

const struct nlp_zone *town_zone(const struct town *town)
{
	return town ? town->zone : NULL;
}

const char *town_municipality_code(const struct town *town)
{
	return town ? json_string_value(json_object_get(json_object_get(town->root, "town"),
							"municipality_code"))
		    : NULL;
}

const char *town_name(const struct town *town, const char *lang)
{
	json_t *t = json_object_get(town->root, "town");
	return (lang && !strcmp(lang, "en")) ? str_or(t, "name_en", str_or(t, "name", ""))
					     : str_or(t, "name", "");
}

const char *town_fact(const struct town *town, const char *key, size_t len, const char *lang)
{
	char k[128];
	if (len >= sizeof k)
		return NULL;
	memcpy(k, key, len);
	k[len] = 0;
	json_t *v = json_object_get(town->facts, k);
	if (json_is_object(v)) {
		const char *en = json_string_value(json_object_get(v, "en"));
		const char *ja = json_string_value(json_object_get(v, "ja"));
		return (lang && !strcmp(lang, "en") && en) ? en : ja;
	}
	return json_string_value(v);
}

int town_has_fact(void *town, const char *key, size_t len)
{
	return town_fact(town, key, len, "ja") != NULL;
}

const struct town_line *town_line(const struct town *town, const char *route)
{
	for (int i = 0; i < TOWN_NLINES; i++)
		if (route && !strcmp(route, LINE_KEYS[i]))
			return &town->line[i];
	return &town->line[TOWN_CALL_CENTER];
}

static int is_holiday(const struct town *town, const struct tm *tm)
{
	int day = (tm->tm_year + 1900) * 10000 + (tm->tm_mon + 1) * 100 + tm->tm_mday;
	return town->nholidays &&
	       bsearch(&day, town->holiday_days, town->nholidays, sizeof *town->holiday_days, day_cmp) != NULL;
}

static int open_at(const struct town *town, const struct town_hours *h, const struct tm *tm, int minute)
{
	if (h->closed_on_holidays && is_holiday(town, tm))
		return 0;
	for (int s = 0; s < h->nspans[tm->tm_wday]; s++)
		if (minute >= h->span[tm->tm_wday][s][0] && minute < h->span[tm->tm_wday][s][1])
			return 1;
	return 0;
}

int town_day_open(const struct town *town, const struct town_hours *h, time_t t, int *holiday,
		  char *text, size_t cap)
{
	struct tm tm;
	nlp_zone_tm(town->zone, t, &tm);
	int closed = h->closed_on_holidays && is_holiday(town, &tm), minutes = 0;
	size_t w = 0;
	if (text && cap)
		text[0] = 0;
	if (holiday)
		*holiday = closed;
	for (int s = 0; !closed && s < h->nspans[tm.tm_wday]; s++) {
		int o = h->span[tm.tm_wday][s][0], c = h->span[tm.tm_wday][s][1];
		minutes += c - o;
		if (text && w < cap)
			w += (size_t)snprintf(text + w, cap - w, "%s%d:%02d-%d:%02d", s ? "," : "", o / 60,
					      o % 60, c / 60, c % 60);
	}
	return minutes;
}

static int hours_open(const struct town *town, const struct town_hours *h, time_t now)
{
	struct tm tm;
	nlp_zone_tm(town->zone, now, &tm);
	return open_at(town, h, &tm, tm.tm_hour * 60 + tm.tm_min);
}

int town_open_now(const struct town *town, const struct town_line *line, time_t now)
{
	return hours_open(town, &line->hours, now);
}

int town_phone_open_now(const struct town *town, const struct town_line *line, time_t now)
{
	return hours_open(town, &line->phone_hours, now);
}

/* When the hours next open, as local time; 0 if not within two weeks. */
static time_t next_opening(const struct town *town, const struct town_hours *h, time_t now)
{
	struct tm tm;
	nlp_zone_tm(town->zone, now, &tm);
	int minute = tm.tm_hour * 60 + tm.tm_min;
	for (int day = 0; day < 14; day++) {
		struct tm d = tm;
		d.tm_mday += day;
		d.tm_hour = 12;  /* noon: safe from DST edges when normalising */
		d.tm_min = d.tm_sec = 0;
		nlp_zone_tm(town->zone, nlp_zone_mktime(town->zone, &d), &d);
		if (h->closed_on_holidays && is_holiday(town, &d))
			continue;
		for (int s = 0; s < h->nspans[d.tm_wday]; s++) {
			int open = h->span[d.tm_wday][s][0];
			if (day == 0 && open <= minute)
				continue;
			d.tm_hour = open / 60;
			d.tm_min = open % 60;
			return nlp_zone_mktime(town->zone, &d);
		}
	}
	return 0;
}

/* "月〜金 8:30〜17:15、土 9:00〜12:00" from the hours table, unless the
 * configuration writes it out itself (hours_text / hours_text_en). */
static void hours_text(const struct town_hours *h, const char *lang, char *out, size_t cap)
{
	int en = lang && !strcmp(lang, "en");
	const char *given = en ? h->text_en : h->text;
	if (given) {
		snprintf(out, cap, "%s", given);
		return;
	}
	size_t w = 0;
	out[0] = 0;
	const char *day;
	json_t *span;
	json_object_foreach(h->table, day, span) {
		char days[64] = "";
		size_t dw = 0;
		for (const char *p = day; *p && dw + 8 < sizeof days; p++) {
			int d = day_index(p, 3);
			if (d >= 0) {
				dw += (size_t)snprintf(days + dw, sizeof days - dw, "%s", en ? DAY_EN[d] : DAY_JA[d]);
				p += 2;
			} else {
				dw += (size_t)snprintf(days + dw, sizeof days - dw, "%s",
						       *p == '-' ? (en ? "–" : "〜") : "・");
			}
		}
		int o = 0, c = 0;
		parse_span(json_string_value(span), &o, &c);
		if (w < cap)
			w += (size_t)snprintf(out + w, cap - w, "%s%s %d:%02d%s%d:%02d", w ? (en ? ", " : "、") : "",
					      days, o / 60, o % 60, en ? "–" : "〜", c / 60, c % 60);
	}
	if (h->closed_on_holidays && w < cap)
		snprintf(out + w, cap - w, "%s", en ? " (closed on holidays)" : "（祝日を除く）");
}

/* Sets PREFIXopen_now, PREFIXhours and, when closed, PREFIXopens_at on j. */
/* The members set_hours writes, the line's own or its phone's. */
static const char *const HOURS_KEYS[2][3] = {{"open_now", "hours", "opens_at"},
					     {"phone_open_now", "phone_hours", "phone_opens_at"}};

static int set_hours(json_t *j, const char *const key[3], const struct town *town,
		     const struct town_hours *h, const char *lang, time_t now)
{
	int en = lang && !strcmp(lang, "en");
	char opens[64] = "";
	const char *hours = h->shown[en];
	int open = hours_open(town, h, now);
	if (!open) {
		time_t next = next_opening(town, h, now);
		if (next) {
			struct tm tm;
			nlp_zone_tm(town->zone, next, &tm);
			if (en)
				strftime(opens, sizeof opens, "%a %H:%M", &tm);
			else
				snprintf(opens, sizeof opens, "%d月%d日(%s) %d:%02d", tm.tm_mon + 1, tm.tm_mday,
					 DAY_JA[tm.tm_wday], tm.tm_hour, tm.tm_min);
		}
	}
	int bad = 0;
	bad |= json_object_set_new(j, key[0], json_boolean(open));
	bad |= json_object_set_new(j, key[1], json_string(hours));
	if (opens[0])
		bad |= json_object_set_new(j, key[2], json_string(opens));
	return bad;
}

json_t *town_line_json(const struct town *town, const struct town_line *line, const char *lang, time_t now)
{
	int en = lang && !strcmp(lang, "en");
	json_t *j = json_pack("{s:s, s:s}", "route", line->key,
			      "label", str_or(line->json, en ? "label_en" : "label", str_or(line->json, "label", "")));
	const char *url = str_or(line->json, "url", NULL), *phone = str_or(line->json, "phone", "");
	int bad = !j || set_hours(j, HOURS_KEYS[0], town, &line->hours, lang, now);
	if (!bad && url)
		bad = json_object_set_new(j, "url", json_string(url));
	/* The phone and only its own hours: a resident who calls a closed line
	 * at night must have been told it is closed. */
	if (!bad && *phone)
		bad = json_object_set_new(j, "phone", json_string(phone)) ||
		      set_hours(j, HOURS_KEYS[1], town, &line->phone_hours, lang, now);
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *town_public_json(const struct town *town, const char *lang, time_t now)
{
	if (!now)
		now = time(NULL);
	json_t *lines = json_object();
	for (int i = 0; lines && i < TOWN_NLINES; i++)
		json_object_set_new(lines, LINE_KEYS[i], town_line_json(town, &town->line[i], lang, now));
	/* What to bring on the day, for the booking's confirmation: the town's
	 * list (town.json "bring"), its {{facts}} filled in. */
	int en = lang && !strcmp(lang, "en");
	json_t *bring = json_array(), *given = json_object_get(json_object_get(town->root, "bring"),
								en ? "en" : "ja");
	size_t i;
	json_t *item;
	json_array_foreach(given, i, item)
		if (bring && json_is_string(item))
			json_array_append_new(bring, town_expand(town, json_string_value(item), lang));
	return json_pack("{s:s, s:s, s:o, s:o}", "town", town_name(town, lang),
			 "lang", en ? "en" : "ja", "lines", lines, "bring", bring);
}

/* Replaces {{key}} with the town's facts. Returns a new JSON string. The
 * text is UTF-8 already (an entry's, checked when imported or parsed from
 * the console's JSON; a JSON string's), and so are the facts (town.json):
 * jansson's check of it again was 0.028 M instructions of an HTTP ask. */
json_t *town_expand(const struct town *town, const char *text, const char *lang)
{
	if (!strstr(text, "{{"))
		return json_stringn_nocheck(text, strlen(text));
	struct mg_buf buf = MG_BUF_INIT(SIZE_MAX);
	int rc = MG_OK;
	for (const char *s = text; *s && rc == MG_OK;) {
		const char *open = strstr(s, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		const char *value = close ? town_fact(town, open + 2, (size_t)(close - open - 2), lang) : NULL;
		size_t lit = open ? (size_t)(open - s) : strlen(s);
		if (close && !value)  /* an unknown key stays visible rather than vanishing */
			lit = (size_t)(close + 2 - s);
		rc = mg_buf_add(&buf, s, lit);
		s += lit;
		if (value) {
			rc = rc ? rc : mg_buf_add(&buf, value, strlen(value));
			s = close + 2;
		} else if (!close) {
			break;
		}
	}
	size_t len = 0;
	char *t = rc == MG_OK ? mg_buf_take(&buf, &len) : NULL;
	mg_buf_free(&buf);
	json_t *j = t ? json_stringn_nocheck(t, len) : NULL;
	free(t);
	return j;
}
