/* Removes personal data from a resident's question before the event log
 * stores it: e-mail addresses, birth dates, phone and ticket numbers, other
 * long numbers, and names in front of an honorific. It errs on the side of
 * hiding too much: a log line that reads "<NAME>さんの予約" is still useful to
 * staff, a stored name is a breach. Works on normalised text (NFKC, case
 * folded: full-width digits and letters are already ASCII). */
#include "nlp/redact.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPANS 64

struct span {
	size_t a, b;          /* bytes [a, b) of the input */
	const char *placeholder;
};

struct spans {
	struct span s[MAX_SPANS];
	int n;
	int full;             /* more matches than MAX_SPANS: the caller hides everything */
};

static int covered(const struct spans *sp, size_t a, size_t b)
{
	for (int i = 0; i < sp->n; i++)
		if (a < sp->s[i].b && sp->s[i].a < b)
			return 1;
	return 0;
}

static void add(struct spans *sp, size_t a, size_t b, const char *placeholder)
{
	if (a >= b || covered(sp, a, b))
		return;
	if (sp->n == MAX_SPANS) {
		sp->full = 1;
		return;
	}
	sp->s[sp->n++] = (struct span){a, b, placeholder};
}

/* ---- characters ---------------------------------------------------------- */

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned char c) { return c >= 'a' && c <= 'z'; }

/* The code point at s[i] (the text is valid UTF-8: the normaliser checked it). */
static uint32_t cp_at(const char *s, size_t len, size_t i, size_t *n)
{
	const unsigned char *u = (const unsigned char *)s + i;
	size_t left = len - i;
	if (u[0] < 0x80 || left < 2) {
		*n = 1;
		return u[0];
	}
	if ((u[0] & 0xE0) == 0xC0) {
		*n = 2;
		return ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
	}
	if ((u[0] & 0xF0) == 0xE0 && left >= 3) {
		*n = 3;
		return ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
	}
	if (left >= 4) {
		*n = 4;
		return ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) |
		       ((uint32_t)(u[2] & 0x3F) << 6) | (u[3] & 0x3F);
	}
	*n = 1;
	return u[0];
}

/* Start of the code point that ends just before byte i (i > 0). */
static size_t prev_start(const char *s, size_t i)
{
	do
		i--;
	while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80);
	return i;
}

enum script { OTHER, KANJI, KATAKANA, HIRAGANA, LATIN };

static enum script script_of(uint32_t c)
{
	if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || c == 0x3005)
		return KANJI;
	if (c >= 0x30A1 && c <= 0x30FF)  /* includes ー and ・ of foreign names */
		return KATAKANA;
	if (c >= 0x3041 && c <= 0x3096)
		return HIRAGANA;
	if (c < 0x80 && is_alpha((unsigned char)c))
		return LATIN;
	return OTHER;
}

static int starts(const char *s, size_t len, size_t i, const char *lit)
{
	size_t n = strlen(lit);
	return i + n <= len && !memcmp(s + i, lit, n);
}

static int ends_with(const char *s, size_t a, size_t b, const char *lit)
{
	size_t n = strlen(lit);
	return b - a >= n && !memcmp(s + b - n, lit, n);
}

/* Digits at s[i..]: how many (at most max), 0 if none. */
static size_t digits(const char *s, size_t len, size_t i, size_t max)
{
	size_t n = 0;
	while (i + n < len && is_digit((unsigned char)s[i + n]) && n <= max)
		n++;
	return n > max ? 0 : n;
}

/* The whole run of digits at s[i], however long. */
static size_t digit_run(const char *s, size_t len, size_t i)
{
	size_t n = 0;
	while (i + n < len && is_digit((unsigned char)s[i + n]))
		n++;
	return n;
}

static int value(const char *s, size_t i, size_t n)
{
	int v = 0;
	for (size_t k = 0; k < n; k++)
		v = v * 10 + (s[i + k] - '0');
	return v;
}

/* ---- e-mail addresses ---------------------------------------------------- */

static int local_char(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static void find_email(const char *s, size_t len, struct spans *sp)
{
	for (size_t at = 0; at < len; at++) {
		if (s[at] != '@')
			continue;
		size_t a = at, b = at + 1;
		while (a > 0 && local_char((unsigned char)s[a - 1]))
			a--;
		int dot = 0;
		while (b < len && (is_alpha((unsigned char)s[b]) || is_digit((unsigned char)s[b]) ||
				   s[b] == '.' || s[b] == '-')) {
			dot |= s[b] == '.';
			b++;
		}
		while (b > at + 1 && s[b - 1] == '.')
			b--;
		if (a < at && dot && b > at + 3)
			add(sp, a, b, "<EMAIL>");
	}
}

/* ---- dates written with words -------------------------------------------- */

static const char *const ERAS[] = {"明治", "大正", "昭和", "平成", "令和"};
static const char *const MONTHS[] = {"january", "february", "march", "april", "may", "june", "july",
				     "august", "september", "october", "november", "december",
				     "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
				     "oct", "nov", "dec"};

/* "1月2日" or "1月" (day optional) at s[i]; returns its end or 0. */
static size_t month_day(const char *s, size_t len, size_t i)
{
	size_t n = digits(s, len, i, 2);
	if (!n || !starts(s, len, i + n, "月"))
		return 0;
	i += n + strlen("月");
	n = digits(s, len, i, 2);
	if (n && starts(s, len, i + n, "日"))
		return i + n + strlen("日");
	return i;
}

/* "1.2", "1/2", "1-2" at s[i] after a year; returns its end or 0. */
static size_t month_day_sep(const char *s, size_t len, size_t i)
{
	if (i >= len || (s[i] != '.' && s[i] != '/' && s[i] != '-'))
		return 0;
	char sep = s[i++];
	size_t n = digits(s, len, i, 2);
	if (!n || i + n >= len || s[i + n] != sep)
		return 0;
	i += n + 1;
	n = digits(s, len, i, 2);
	return n ? i + n : 0;
}

static void find_word_dates(const char *s, size_t len, struct spans *sp)
{
	for (size_t i = 0; i < len; i++) {
		size_t end = 0;
		/* 昭和25年1月2日, 平成元年1月, 昭和25.1.2 */
		for (size_t e = 0; e < sizeof ERAS / sizeof *ERAS && !end; e++) {
			if (!starts(s, len, i, ERAS[e]))
				continue;
			size_t j = i + strlen(ERAS[e]);
			while (j < len && s[j] == ' ')
				j++;
			size_t n = starts(s, len, j, "元") ? strlen("元") : digits(s, len, j, 2);
			if (!n)
				continue;
			j += n;
			if (starts(s, len, j, "年"))
				end = month_day(s, len, j + strlen("年"));
			else
				end = month_day_sep(s, len, j);
		}
		/* s25.1.2, h1/2/3: the era's initial */
		if (!end && (i == 0 || !is_alpha((unsigned char)s[i - 1])) && s[i] && strchr("mtshr", s[i])) {
			size_t n = digits(s, len, i + 1, 2);
			if (n)
				end = month_day_sep(s, len, i + 1 + n);
		}
		/* 1950年1月2日, 1950年1月 */
		if (!end && (i == 0 || !is_digit((unsigned char)s[i - 1]))) {
			size_t n = digits(s, len, i, 4);
			if (n == 4 && starts(s, len, i + 4, "年"))
				end = month_day(s, len, i + 4 + strlen("年"));
		}
		/* january 2, 1950 */
		if (!end && (i == 0 || !is_alpha((unsigned char)s[i - 1]))) {
			for (size_t m = 0; m < sizeof MONTHS / sizeof *MONTHS && !end; m++) {
				size_t j = i + strlen(MONTHS[m]);
				if (!starts(s, len, i, MONTHS[m]) || (j < len && is_alpha((unsigned char)s[j])))
					continue;
				if (j < len && s[j] == '.')
					j++;
				while (j < len && s[j] == ' ')
					j++;
				size_t n = digits(s, len, j, 2);
				if (!n)
					continue;
				j += n;
				if (j < len && s[j] == ',')
					j++;
				while (j < len && s[j] == ' ')
					j++;
				if (digits(s, len, j, 4) == 4)
					end = j + 4;
			}
		}
		if (end) {
			add(sp, i, end, "<DATE>");
			i = end - 1;
		}
	}
}

/* ---- numbers: dates in digits, phone and ticket numbers -------------------- */

/* Bytes of a separator between digit groups at s[i], 0 if none. Residents
 * write phone numbers with every dash the keyboard offers, the long vowel
 * mark included. */
static size_t separator(const char *s, size_t len, size_t i)
{
	static const char *const SEPS[] = {"-", "/", ".", " ", "(", ")", "\xe2\x80\x90", "\xe2\x80\x91",
					   "\xe2\x80\x92", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95",
					   "\xe2\x88\x92", "ー", "~"};
	for (size_t k = 0; k < sizeof SEPS / sizeof *SEPS; k++)
		if (starts(s, len, i, SEPS[k]))
			return strlen(SEPS[k]);
	return 0;
}

static int plausible_date(int y, int m, int d)
{
	return y >= 1900 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static void find_numbers(const char *s, size_t len, struct spans *sp)
{
	for (size_t i = 0; i < len; i++) {
		if (!is_digit((unsigned char)s[i]) || (i > 0 && is_digit((unsigned char)s[i - 1])))
			continue;
		size_t a = i, g[8], gpos[8], ng = 0, total = 0, end = i;
		char sepc[8] = {0};
		size_t j = i;
		if (a > 0 && s[a - 1] == '+')  /* +81 ... */
			a--;
		else if (a > 0 && s[a - 1] == '(')
			a--;
		/* A group is the whole run: digits() says "none" for a run over
		 * its limit, which left end at i and sent the loop back to i for
		 * ever on 65 digits or more. */
		while (ng < 8) {
			size_t n = digit_run(s, len, j);
			if (!n)
				break;
			gpos[ng] = j;
			g[ng++] = n;
			total += n;
			j += n;
			end = j;
			size_t sl = separator(s, len, j);
			size_t k = j + sl;
			/* ")" may be followed by a space or dash: 03(1234) 5678 */
			if (sl == 1 && s[j] == ')')
				k += separator(s, len, k) == 1 && s[k] != '(' ? 1 : 0;
			size_t next = sl ? digit_run(s, len, k) : 0;
			/* A space joins groups only of phone-number size, so that
			 * "2 回" or "3 4 5" stay apart. */
			if (!next || (s[j] == ' ' && next < (s[a] == '+' ? 2u : 3u)))
				break;
			sepc[ng - 1] = s[j];
			j = k;
		}
		const char *ph = NULL;
		int same_sep = ng == 3 && sepc[0] == sepc[1] && strchr("/-.", sepc[0]);
		if (same_sep && g[0] == 4 && g[1] <= 2 && g[2] <= 2 &&
		    plausible_date(value(s, gpos[0], 4), value(s, gpos[1], g[1]), value(s, gpos[2], g[2])))
			ph = "<DATE>";
		else if (same_sep && g[0] <= 2 && g[1] <= 2 && g[2] == 4 &&
			 (plausible_date(value(s, gpos[2], 4), value(s, gpos[0], g[0]), value(s, gpos[1], g[1])) ||
			  plausible_date(value(s, gpos[2], 4), value(s, gpos[1], g[1]), value(s, gpos[0], g[0]))))
			ph = "<DATE>";
		else if (ng == 1 && g[0] == 8 &&
			 plausible_date(value(s, i, 4), value(s, i + 4, 2), value(s, i + 6, 2)))
			ph = "<DATE>";
		else if ((total == 10 || total == 11) && (s[i] == '0' || s[a] == '+'))
			ph = "<PHONE>";
		else if (total == 10)
			ph = "<TICKET>";
		else if (total >= 12 && s[a] == '+')
			ph = "<PHONE>";
		else if (total >= 7)  /* insurance, postal and other numbers a resident quotes */
			ph = "<NUMBER>";
		if (ph)
			add(sp, ph[1] == 'P' || ph[1] == 'N' ? a : i, end, ph);
		i = end - 1;
	}
}

/* ---- names before an honorific -------------------------------------------- */

static const char *const HONORIFICS[] = {"様", "さま", "さん", "ちゃん", "くん", "君", "殿"};

/* Words that come before an honorific and are not names: family members,
 * roles, "everyone", "many" (たくさん). Matched at the end of the run. */
static const char *const NOT_NAMES[] = {
	"皆", "奥", "娘", "子", "息子", "父", "母", "兄", "姉", "弟", "妹", "祖父", "祖母", "孫", "客",
	"家族", "医者", "看護師", "保健師", "薬剤師", "患者", "妊婦", "先生", "職員", "担当者", "担当",
	"大家", "赤", "お隣", "隣",
	"たく", "みな", "みんな", "おかあ", "おとう", "かあ", "とう", "おじい", "おばあ", "じい", "ばあ",
	"おじ", "おば", "おにい", "おねえ", "にい", "ねえ", "おく", "おこ", "むすこ", "むすめ", "あか",
	"いしゃ", "かんごし", "おいしゃ", "おきゃく", "きゃく",
	"ママ", "パパ", "ドクター", "ナース",
};

/* The run is one of the words, or ends with one of two characters or more:
 * a single 子 ends many given names (花子) as well as お子さん. */
static int not_a_name(const char *s, size_t a, size_t b)
{
	for (size_t k = 0; k < sizeof NOT_NAMES / sizeof *NOT_NAMES; k++) {
		size_t n = strlen(NOT_NAMES[k]);
		if (ends_with(s, a, b, NOT_NAMES[k]) && (n == b - a || n >= 6))
			return 1;
	}
	return 0;
}

/* The start of the run of code points of script sc that ends at byte b,
 * crossing single spaces between parts of a name (田中 太郎). */
static size_t run_start(const char *s, size_t len, size_t b, enum script sc)
{
	size_t a = b, n;
	while (a > 0) {
		size_t p = prev_start(s, a);
		if (script_of(cp_at(s, len, p, &n)) == sc) {
			a = p;
		} else if (s[p] == ' ' && p > 0 && a < b &&
			   script_of(cp_at(s, len, prev_start(s, p), &n)) == sc) {
			a = p;
		} else {
			break;
		}
	}
	return a;
}

static void name_before(const char *s, size_t len, size_t h, struct spans *sp)
{
	size_t n, b = h;
	if (b > 0 && s[b - 1] == '-')  /* tanaka-san */
		b--;
	else if (b > 1 && s[b - 1] == ' ')  /* 佐藤 一郎 様 */
		b--;
	if (b == 0)
		return;
	enum script sc = script_of(cp_at(s, len, prev_start(s, b), &n));
	if (sc == OTHER)
		return;
	size_t a = run_start(s, len, b, sc);
	if (sc == HIRAGANA) {
		/* 娘のはなこちゃん: the name starts after the last の */
		for (size_t k = a; k < b; k += n) {
			cp_at(s, len, k, &n);
			if (starts(s, len, k, "の"))
				a = k + n;
		}
		/* 田中ゆきさん: a kanji family name before a kana given name */
		if (a > 0 && script_of(cp_at(s, len, prev_start(s, a), &n)) == KANJI)
			a = run_start(s, len, a, KANJI);
	}
	if (a < b && !not_a_name(s, a, b))
		add(sp, a, b, "<NAME>");
}

static void find_names(const char *s, size_t len, struct spans *sp)
{
	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k < sizeof HONORIFICS / sizeof *HONORIFICS; k++) {
			if (!starts(s, len, i, HONORIFICS[k]))
				continue;
			/* ちゃんと ("properly") after kana is an adverb, not a name */
			if (!strcmp(HONORIFICS[k], "ちゃん") && starts(s, len, i + strlen("ちゃん"), "と") && i > 0) {
				size_t n;
				if (script_of(cp_at(s, len, prev_start(s, i), &n)) != KANJI)
					continue;
			}
			name_before(s, len, i, sp);
		}
		/* tanaka-san, tanaka sama, hanako chan */
		static const char *const LATIN_HON[] = {"san", "sama", "chan", "kun"};
		for (size_t k = 0; k < sizeof LATIN_HON / sizeof *LATIN_HON; k++) {
			size_t e = i + strlen(LATIN_HON[k]);
			if (i > 1 && (s[i - 1] == '-' || s[i - 1] == ' ') && is_alpha((unsigned char)s[i - 2]) &&
			    starts(s, len, i, LATIN_HON[k]) && (e == len || !is_alpha((unsigned char)s[e])))
				name_before(s, len, i, sp);
		}
	}
}

/* "my name is john smith", "mr tanaka", "名前は田中": the words that follow. */
static void find_introduced_names(const char *s, size_t len, struct spans *sp)
{
	static const char *const LATIN_INTRO[] = {"my name is ", "mr. ", "mr ", "mrs. ", "mrs ",
						  "ms. ", "ms ", "miss ", "dr. ", "dr "};
	static const char *const STOP[] = {"is", "said", "says", "and", "or", "the", "told", "will",
					   "can", "to", "at", "in", "on", "for", "from", "was", "has",
					   "had", "with", "and"};
	static const char *const JA_INTRO[] = {"名前は", "氏名は", "名前:", "氏名:", "名前 ", "氏名 "};
	for (size_t i = 0; i < len; i++) {
		int word_start = i == 0 || !is_alpha((unsigned char)s[i - 1]);
		for (size_t k = 0; word_start && k < sizeof LATIN_INTRO / sizeof *LATIN_INTRO; k++) {
			if (!starts(s, len, i, LATIN_INTRO[k]))
				continue;
			size_t a = i + strlen(LATIN_INTRO[k]), b = a;
			for (int word = 0; word < 2; word++) {
				size_t w = b + (word ? 1 : 0), e = w;
				while (e < len && is_alpha((unsigned char)s[e]))
					e++;
				int stop = 0;
				for (size_t t = 0; t < sizeof STOP / sizeof *STOP; t++)
					stop |= e - w == strlen(STOP[t]) && !memcmp(s + w, STOP[t], e - w);
				if (e == w || stop || (word && s[b] != ' '))
					break;
				b = e;
			}
			add(sp, a, b, "<NAME>");
		}
		for (size_t k = 0; k < sizeof JA_INTRO / sizeof *JA_INTRO; k++) {
			if (!starts(s, len, i, JA_INTRO[k]))
				continue;
			size_t a = i + strlen(JA_INTRO[k]), b = a, n;
			while (b < len && s[b] == ' ')
				a = ++b;
			while (b < len) {
				enum script sc = script_of(cp_at(s, len, b, &n));
				if (sc != KANJI && sc != KATAKANA && sc != LATIN && !(s[b] == ' ' && b > a))
					break;
				b += n;
			}
			while (b > a && s[b - 1] == ' ')
				b--;
			add(sp, a, b, "<NAME>");
		}
	}
}

/* ---- the whole ----------------------------------------------------------- */

static int by_start(const void *x, const void *y)
{
	const struct span *a = x, *b = y;
	return a->a < b->a ? -1 : a->a > b->a;
}

int nlp_redact(const char *text, size_t len, char **out, size_t *out_len, char *err)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	static struct spans empty;
	struct spans *sp = malloc(sizeof *sp);
	if (!sp)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	*sp = empty;
	/* Most specific first: an e-mail holds digits, a date holds numbers. */
	find_email(text, len, sp);
	find_word_dates(text, len, sp);
	find_numbers(text, len, sp);
	find_introduced_names(text, len, sp);
	find_names(text, len, sp);
	if (sp->full) {
		/* A question with this many personal details is not worth the risk. */
		free(sp);
		*out = strdup("<REDACTED>");
		if (*out && out_len)
			*out_len = strlen(*out);
		return *out ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	qsort(sp->s, (size_t)sp->n, sizeof *sp->s, by_start);
	/* Every placeholder is at most 10 bytes and replaces at least one byte. */
	char *buf = malloc(len + (size_t)sp->n * 10 + 1);
	if (!buf) {
		free(sp);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	size_t w = 0, r = 0;
	for (int k = 0; k < sp->n; k++) {
		memcpy(buf + w, text + r, sp->s[k].a - r);
		w += sp->s[k].a - r;
		size_t pl = strlen(sp->s[k].placeholder);
		memcpy(buf + w, sp->s[k].placeholder, pl);
		w += pl;
		r = sp->s[k].b;
	}
	memcpy(buf + w, text + r, len - r);
	w += len - r;
	buf[w] = 0;
	free(sp);
	*out = buf;
	if (out_len)
		*out_len = w;
	return MG_OK;
}
