/* Removes personal data from a resident's question before the event log
 * stores it (see redact.h for the placeholders). It errs on the side of
 * hiding: a log line that reads "<NAME>さんの予約" is still useful to staff, a
 * stored name is a breach. Words that are not personal data stay as typed:
 * ages, dose counts, prices, days without a year, towns without a number.
 *
 * Linear time, whatever the input. Each finder below walks the text once from
 * left to right and gives the bytes it recognises a label; a later finder
 * labels only bytes still unlabelled, so the more specific kind wins and
 * whatever any finder recognised stays hidden. A finder reads ahead a bounded
 * number of numbers and words and then goes on behind the first number it
 * read, never back to where it started; it reads back at most NAME_MAX_CPS or
 * PLACE_MAX_CPS code points. So every byte is read a bounded number of times
 * by each of the nine finders: no backtracking, nothing quadratic. The last
 * finder hides every long run of digits that is left, so no run of
 * NUMBER_MIN_DIGITS digits or more survives in any case. */
#include "nlp/redact.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* A Japanese phone number has 10 digits (landline 0A-BCDE-FGHJ) or 11
 * (mobile 090-1234-5678); a vaccination ticket's number has 10. */
#define PHONE_MIN_DIGITS 10
#define PHONE_MAX_DIGITS 11
#define TICKET_DIGITS    10
/* Numbers this long are hidden whatever they are (insurance numbers have 8,
 * postal codes 7); ages, doses, prices and years are shorter. */
#define NUMBER_MIN_DIGITS 7
/* How far back from an honorific a name is looked for: 山田太郎 is 4 code
 * points, a foreign name in full (マリア・ガルシア・ロペス) 12. */
#define NAME_MAX_CPS 16
/* How far back from a block number a place name is looked for:
 * 東京都千代田区千代田 is 10 code points. */
#define PLACE_MAX_CPS 24
/* The longest word of a name in Latin letters that is hidden whole. */
#define LATIN_NAME_MAX 32
/* RFC 1035: a label has at most 63 bytes, a domain name 253. */
#define LABEL_MAX  63
#define DOMAIN_MAX 253
/* 1丁目2番3号 is three numbers; 1-2-3-405 four. */
#define BLOCK_MAX_GROUPS 5
/* What may stand between 番号 and its number: は, a space, a colon, 「. */
#define FILLER_MAX 3

enum kind { FREE, EMAIL, DATE, PHONE, TICKET, NUMBER, ADDRESS, NAME };

static const char *const PLACEHOLDER[] = {
	[EMAIL] = NLP_REDACT_EMAIL, [DATE] = NLP_REDACT_DATE, [PHONE] = NLP_REDACT_PHONE,
	[TICKET] = NLP_REDACT_TICKET, [NUMBER] = NLP_REDACT_NUMBER, [ADDRESS] = NLP_REDACT_ADDRESS,
	[NAME] = NLP_REDACT_NAME,
};

/* The text and one label per byte. */
struct red {
	const char *s;
	size_t len;
	unsigned char *lab;
};

static void mark(struct red *r, size_t a, size_t b, enum kind k)
{
	for (size_t i = a; i < b && i < r->len; i++)
		if (r->lab[i] == FREE)
			r->lab[i] = (unsigned char)k;
}

/* ---- characters ---------------------------------------------------------- */

static int is_alpha(char c) { return c >= 'a' && c <= 'z'; }
static int is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

/* The code point at byte i < len and its length *n; a byte that does not
 * start a valid sequence is U+FFFD of length 1. */
static uint32_t cp_at(const struct red *r, size_t i, size_t *n)
{
	const unsigned char *u = (const unsigned char *)r->s + i;
	size_t need = u[0] < 0x80 ? 1 : (u[0] & 0xE0) == 0xC0 ? 2 : (u[0] & 0xF0) == 0xE0 ? 3
		    : (u[0] & 0xF8) == 0xF0 ? 4 : 0;
	*n = 1;
	if (need == 1)
		return u[0];
	if (need == 0 || r->len - i < need)
		return 0xFFFD;
	uint32_t c = u[0] & (0x7F >> need);
	for (size_t k = 1; k < need; k++) {
		if ((u[k] & 0xC0) != 0x80)
			return 0xFFFD;
		c = (c << 6) | (u[k] & 0x3F);
	}
	*n = need;
	return c;
}

/* The start of the code point that ends just before byte i > 0: at most four
 * bytes back, whatever the bytes are. */
static size_t prev_cp(const struct red *r, size_t i)
{
	size_t j = i - 1;
	while (j > 0 && i - j < 4 && ((unsigned char)r->s[j] & 0xC0) == 0x80)
		j--;
	return j;
}

static size_t next_cp(const struct red *r, size_t i)
{
	size_t n;
	cp_at(r, i, &n);
	return i + n;
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
	if (c < 0x80 && is_alpha((char)c))
		return LATIN;
	return OTHER;
}

static enum script script_at(const struct red *r, size_t i)
{
	size_t n;
	return i < r->len ? script_of(cp_at(r, i, &n)) : OTHER;
}

static enum script script_before(const struct red *r, size_t i)
{
	return i > 0 ? script_at(r, prev_cp(r, i)) : OTHER;
}

/* The word lists are tried at every position, so these compare bytes
 * themselves: the first byte decides most, and strlen and memcmp would cost
 * a call each (and a check each under the address sanitizer). */

/* The length of lit when s[i..] starts with it, 0 when it does not. */
static inline size_t match(const struct red *r, size_t i, const char *lit)
{
	size_t k = 0;
	while (lit[k] && i + k < r->len && r->s[i + k] == lit[k])
		k++;
	return lit[k] ? 0 : k;
}

static inline int at(const struct red *r, size_t i, const char *lit)
{
	return i < r->len && r->s[i] == lit[0] ? match(r, i, lit) != 0 : !lit[0];
}

/* The length of the first of words at s[i], 0 if none is there. */
static size_t at_any(const struct red *r, size_t i, const char *const *words, size_t nwords)
{
	if (i >= r->len)
		return 0;
	for (size_t k = 0; k < nwords; k++) {
		size_t n = words[k][0] == r->s[i] ? match(r, i, words[k]) : 0;
		if (n)
			return n;
	}
	return 0;
}
#define AT_ANY(r, i, words) at_any(r, i, words, sizeof words / sizeof *words)
#define SPELLED_AT(r, i, words, spelled) spelled_at(r, i, words, sizeof words / sizeof *words, spelled)

static int ends_with(const struct red *r, size_t a, size_t b, const char *lit)
{
	size_t n = 0;
	while (lit[n])
		n++;
	return b - a >= n && match(r, b - n, lit) == n;
}

static int is_word(const struct red *r, size_t a, size_t b, const char *w)
{
	size_t n = match(r, a, w);
	return n && a + n == b;
}

/* A word of a list that is tried against every candidate name: with its
 * length, most are told apart by one byte. */
struct word {
	const char *s;
	size_t n;
};
#define W(lit) {lit, sizeof lit - 1}

static int ends_with_word(const struct red *r, size_t a, size_t b, const struct word *w)
{
	return b - a >= w->n && r->s[b - 1] == w->s[w->n - 1] && match(r, b - w->n, w->s) == w->n;
}

static int is_list_word(const struct red *r, size_t a, size_t b, const struct word *w)
{
	return b - a == w->n && ends_with_word(r, a, b, w);
}

static size_t skip_space(const struct red *r, size_t i)
{
	return i < r->len && r->s[i] == ' ' ? i + 1 : i;
}

/* ---- numbers in digits and in kanji ------------------------------------- */

static int digit_of(uint32_t c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	switch (c) {
	case 0x3007: case 0x96F6: return 0;  /* 〇 零 */
	case 0x4E00: return 1;               /* 一 */
	case 0x4E8C: return 2;               /* 二 */
	case 0x4E09: return 3;               /* 三 */
	case 0x56DB: return 4;               /* 四 */
	case 0x4E94: return 5;               /* 五 */
	case 0x516D: return 6;               /* 六 */
	case 0x4E03: return 7;               /* 七 */
	case 0x516B: return 8;               /* 八 */
	case 0x4E5D: return 9;               /* 九 */
	default: return -1;
	}
}

static int multiplier_of(uint32_t c)
{
	return c == 0x5341 ? 10 : c == 0x767E ? 100 : c == 0x5343 ? 1000 : 0;  /* 十 百 千 */
}

/* 1 for an ASCII digit, 2 for a kanji numeral, 3 for a digit of another
 * script (NFKC keeps ٧ as it is), 0 for anything else: a run of numerals
 * is of one kind, so that 〒273-8501千葉県 ends before 千葉. */
enum { NOT_NUMERAL, ASCII_DIGIT, KANJI_NUMERAL, OTHER_DIGIT };

static int numeral_kind(uint32_t c)
{
	if (c < 0x80)
		return digit_of(c) >= 0 ? ASCII_DIGIT : NOT_NUMERAL;
	if (digit_of(c) >= 0 || multiplier_of(c))
		return KANJI_NUMERAL;
	return utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_ND ? OTHER_DIGIT : NOT_NUMERAL;
}

/* The value of a digit of another script (numeral_kind OTHER_DIGIT), so
 * that a birth date or a phone number typed on an Arabic or a Hindi keyboard
 * (١٩٤٥年٥月٣日, ٠٩٠-١٢٣٤-٥٦٧٨) is read as the same in ASCII is: Unicode
 * encodes each script's decimal digits as one run of ten, zero to nine, so
 * it is how far c is from its run's start; but the mathematical digits,
 * five runs side by side (NFKC makes them ASCII before a question gets
 * here). At most nine code points read back. */
static int other_digit_of(uint32_t c)
{
	if (c >= 0x1D7CE && c <= 0x1D7FF)
		return (int)((c - 0x1D7CE) % 10);
	int d = 0;
	while (d < 9 && utf8proc_category((utf8proc_int32_t)(c - (uint32_t)d - 1)) == UTF8PROC_CATEGORY_ND)
		d++;
	return d;
}

/* A run of digits, ASCII or kanji: 1945, 一九四五, 千九百四十五, 二十. */
struct num {
	size_t a, b;     /* bytes [a, b) */
	size_t ndig;     /* digits in it (十, 百 and 千 are not digits) */
	long value;      /* -1: more than 9 digits, 十百千 out of order */
	int lead0;       /* its first digit is 0 or 〇 */
	int kanji;       /* written with kanji numerals, in part or whole */
	int positional;  /* written with 十, 百 or 千 */
};

/* Reads the whole run of numerals at s[i]; 0 if there is none. */
static int num_at(const struct red *r, size_t i, struct num *m)
{
	*m = (struct num){.a = i, .b = i};
	long digits = 0, total = 0, pending = -1, last = 10000;
	int bad = 0, kind = 0;
	size_t n;
	while (m->b < r->len) {
		uint32_t c = cp_at(r, m->b, &n);
		int d = digit_of(c), x = multiplier_of(c);
		if (!numeral_kind(c) || (kind && numeral_kind(c) != kind))
			break;
		kind = numeral_kind(c);
		m->kanji = kind == KANJI_NUMERAL;
		if (kind == OTHER_DIGIT)
			d = other_digit_of(c);
		if (d >= 0) {
			if (m->ndig++ == 0)
				m->lead0 = d == 0;
			if (m->ndig <= 9)
				digits = digits * 10 + d;
			bad |= pending >= 0;  /* two digits in a row: not 二十三 */
			pending = d;
		} else {
			m->positional = 1;
			bad |= x >= last;
			total += (pending >= 0 ? pending : 1) * x;
			pending = -1;
			last = x;
		}
		m->b += n;
	}
	if (m->b == i)
		return 0;
	if (m->positional)
		m->value = bad ? -1 : total + (pending >= 0 ? pending : 0);
	else
		m->value = m->ndig <= 9 ? digits : -1;
	return 1;
}

/* A run of numerals starts at s[i]. */
static int num_start(const struct red *r, size_t i)
{
	size_t n;
	int kind = i < r->len ? numeral_kind(cp_at(r, i, &n)) : 0;
	return kind && (i == 0 || numeral_kind(cp_at(r, prev_cp(r, i), &n)) != kind);
}

/* Whether the text holds a numeral of any kind (numeral_kind), where every
 * date, address and number is read from. */
static int has_numeral(const struct red *r)
{
	size_t n;
	for (size_t i = 0; i < r->len; i += n)
		if (numeral_kind(cp_at(r, i, &n)))
			return 1;
	return 0;
}

/* ---- e-mail addresses ---------------------------------------------------- */

/* "@" and "." as residents write them to keep their address from spam
 * robots or because they do not know the key; a space on either side. */
static const char *const AT_WORDS[] = {"@", "アットマーク", "あっとまーく", "アット", "あっと",
				       "(at)", "[at]", "<at>", "(アット)", "★", "☆"};
/* (a bare "." stands alone: ". " ends a sentence) */
static const char *const DOT_WORDS[] = {"ドット", "どっと", "(dot)", "[dot]", "<dot>"};
/* A domain without its ending that residents leave out: taro@gmail */
static const char *const PROVIDERS[] = {"gmail", "yahoo", "icloud", "docomo", "ezweb", "softbank",
					"hotmail", "outlook"};

/* Bytes of one of words at s[i] with a space before and after it, or of
 * the English word spelled between two spaces; 0 if neither is there. */
static size_t spelled_at(const struct red *r, size_t i, const char *const *words, size_t nwords,
			 const char *spelled)
{
	size_t j = skip_space(r, i), n = at_any(r, j, words, nwords);
	if (n)
		return skip_space(r, j + n) - i;
	n = strlen(spelled);
	if (at(r, i, " ") && at(r, i + 1, spelled) && at(r, i + 1 + n, " "))
		return n + 2;
	return 0;
}

static int local_char(char c)
{
	return is_alpha(c) || is_ascii_digit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* Bytes of a domain label at s[i]; 0 if none or longer than a label can be. */
static size_t label_len(const struct red *r, size_t i)
{
	size_t n = 0;
	while (i + n < r->len && n <= LABEL_MAX &&
	       (is_alpha(r->s[i + n]) || is_ascii_digit(r->s[i + n]) || r->s[i + n] == '-'))
		n++;
	return n > LABEL_MAX ? 0 : n;
}

/* The end of the domain that starts at s[i], 0 if there is none. */
static size_t domain_end(const struct red *r, size_t i)
{
	size_t j = i + label_len(r, i), last = i, dots = 0;
	if (j == i)
		return 0;
	while (j - i <= DOMAIN_MAX) {
		size_t d = at(r, j, ".") ? 1 : SPELLED_AT(r, j, DOT_WORDS, "dot");
		size_t l = d ? label_len(r, j + d) : 0;
		if (!l)
			break;
		last = j + d;
		j = last + l;
		dots++;
	}
	if (j - i > DOMAIN_MAX)
		return 0;
	if (!dots) {
		for (size_t k = 0; k < sizeof PROVIDERS / sizeof *PROVIDERS; k++)
			if (is_word(r, i, j, PROVIDERS[k]))
				return j;
		return 0;
	}
	/* The ending is letters: co.jp, com; not 1.5 */
	if (j - last < 2)
		return 0;
	for (size_t k = last; k < j; k++)
		if (!is_alpha(r->s[k]))
			return 0;
	return j;
}

/* The local part is the run of its characters that ends where the "@"
 * starts, followed from its start: nothing is read twice. */
static void find_emails(struct red *r)
{
	size_t local = 0;
	int in_local = 0;
	for (size_t i = 0; i < r->len;) {
		size_t w = in_local ? SPELLED_AT(r, i, AT_WORDS, "at") : 0;
		size_t end = w ? domain_end(r, i + w) : 0;
		if (end) {
			mark(r, local, end, EMAIL);
			i = end;
			in_local = 0;
			continue;
		}
		if (local_char(r->s[i])) {
			if (!in_local)
				local = i;
			in_local = 1;
		} else {
			in_local = 0;
		}
		i++;
	}
}

/* ---- dates with a year ---------------------------------------------------- */

static const char *const ERAS[] = {"明治", "大正", "昭和", "平成", "令和"};
static const char *const BIRTH[] = {"生", "産まれ", "うまれ"};
/* The eras' initials as forms write them: s20.5.3, h2年4月1日 */
static const char ERA_INITIALS[] = "mtshr";
static const char *const MONTHS[] = {"january", "february", "march", "april", "may", "june", "july",
				     "august", "september", "october", "november", "december",
				     "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
				     "oct", "nov", "dec"};

static int is_date_sep(const struct red *r, size_t i)
{
	return i < r->len && (r->s[i] == '/' || r->s[i] == '-' || r->s[i] == '.');
}

static int month_ok(const struct num *m) { return m->value >= 1 && m->value <= 12; }
static int day_ok(const struct num *d) { return d->value >= 1 && d->value <= 31; }
static int year_ok(const struct num *y) { return y->value >= 1900 && y->value <= 2099; }

/* A month and day after a year that ends at s[i]: 年5月3日, or a
 * separator, the month, the same separator and the day (sep_ok); a year
 * and month alone only when it is a birth (1945年5月生まれ): 2024年10月から
 * says when, not who. Returns the end of the date, 0 if none follows. */
static size_t month_day(const struct red *r, size_t i, int sep_ok)
{
	struct num m, d;
	size_t j = skip_space(r, i);
	if (at(r, j, "年")) {
		j = skip_space(r, j + strlen("年"));
		if (!num_at(r, j, &m) || !month_ok(&m) || !at(r, m.b, "月"))
			return 0;
		size_t end = m.b + strlen("月");
		j = skip_space(r, end);
		if (num_at(r, j, &d) && day_ok(&d) && at(r, d.b, "日"))
			return d.b + strlen("日");
		return AT_ANY(r, j, BIRTH) ? end : 0;
	}
	if (!sep_ok || !is_date_sep(r, i))
		return 0;
	char sep = r->s[i];
	if (!num_at(r, i + 1, &m) || m.kanji || m.ndig > 2 || !month_ok(&m) || !at(r, m.b, (char[]){sep, 0}))
		return 0;
	if (!num_at(r, m.b + 1, &d) || d.kanji || d.ndig > 2 || !day_ok(&d))
		return 0;
	return d.b;
}

/* An era's year at s[i]: 元 or 1 to 99 in digits or kanji; its end or 0. */
static size_t era_year(const struct red *r, size_t i)
{
	struct num y;
	if (at(r, i, "元"))
		return i + strlen("元");
	return num_at(r, i, &y) && y.value >= 1 && y.value <= 99 ? y.b : 0;
}

/* A four-digit year 1900-2099 in ASCII at s[i]: its end or 0. */
static size_t year_at(const struct red *r, size_t i)
{
	struct num y;
	return num_at(r, i, &y) && !y.kanji && y.ndig == 4 && year_ok(&y) ? y.b : 0;
}

/* An English month's name as a whole word at s[i] (may, sept.): its end or 0. */
static size_t month_name(const struct red *r, size_t i)
{
	if (i >= r->len || !is_alpha(r->s[i]) || (i > 0 && is_alpha(r->s[i - 1])))
		return 0;
	for (size_t k = 0; k < sizeof MONTHS / sizeof *MONTHS; k++) {
		if (!at(r, i, MONTHS[k]))
			continue;
		size_t e = i + strlen(MONTHS[k]);
		if (!(e < r->len && is_alpha(r->s[e])))
			return at(r, e, ".") ? e + 1 : e;
	}
	return 0;
}

/* may 3, 1945 / may 3rd 1945 at s[i], or born (in) may 1945: the end or 0. */
static size_t english_month_first(const struct red *r, size_t i)
{
	size_t j = month_name(r, i);
	struct num d;
	int day = 0;
	if (!j)
		return 0;
	j = skip_space(r, j);
	if (num_at(r, j, &d) && !d.kanji && d.ndig <= 2 && day_ok(&d)) {
		j = d.b;
		if (at(r, j, "st") || at(r, j, "nd") || at(r, j, "rd") || at(r, j, "th"))
			j += 2;
		day = 1;
	}
	if (!day && !(ends_with(r, 0, i, "born ") || ends_with(r, 0, i, "born in ")))
		return 0;
	if (at(r, j, ","))
		j++;
	return year_at(r, skip_space(r, j));
}

/* The day d read, then: 3rd may 1945 / 3 may, 1945 / 3rd of may 1945. */
static size_t english_day_first(const struct red *r, const struct num *d)
{
	size_t j = d->b;
	if (at(r, j, "st") || at(r, j, "nd") || at(r, j, "rd") || at(r, j, "th"))
		j += 2;
	j = skip_space(r, j);
	if (at(r, j, "of "))
		j += 3;
	j = month_name(r, j);
	if (!j)
		return 0;
	if (at(r, j, ","))
		j++;
	return year_at(r, skip_space(r, j));
}

/* 5/3/1945 or 3.5.1945 after the first number d: the end or 0. */
static size_t day_month_year(const struct red *r, const struct num *d)
{
	struct num m;
	if (!is_date_sep(r, d->b))
		return 0;
	char sep = r->s[d->b];
	if (!num_at(r, d->b + 1, &m) || m.kanji || m.ndig > 2 || m.value < 1 || m.value > 31 ||
	    !at(r, m.b, (char[]){sep, 0}))
		return 0;
	return month_ok(d) || month_ok(&m) ? year_at(r, m.b + 1) : 0;
}

static int plausible_yyyymmdd(long v)
{
	long y = v / 10000, m = v / 100 % 100, d = v % 100;
	return y >= 1900 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* A date at s[i] in any of the forms above; its end or 0. *skip is where
 * to go on from when there is none: behind the number read, if one was. */
static size_t date_at(const struct red *r, size_t i, size_t *skip)
{
	struct num y;
	*skip = next_cp(r, i);
	for (size_t e = 0; e < sizeof ERAS / sizeof *ERAS; e++) {
		if (!at(r, i, ERAS[e]))
			continue;
		size_t j = era_year(r, skip_space(r, i + strlen(ERAS[e])));
		return j ? month_day(r, j, 1) : 0;
	}
	if (r->s[i] && strchr(ERA_INITIALS, r->s[i]) && (i == 0 || !is_alpha(r->s[i - 1]))) {
		size_t j = at(r, i + 1, ".") ? i + 2 : i + 1;
		if (num_at(r, j, &y) && !y.kanji && y.ndig <= 2 && y.value >= 1)
			return month_day(r, y.b, 1);
		/* not an era: sep 3, 1945 still may be a date */
	}
	if (num_start(r, i) && num_at(r, i, &y)) {
		*skip = y.b;
		if (year_ok(&y) && (y.ndig == 4 || y.positional))
			return month_day(r, y.b, !y.kanji);
		if (y.ndig == 8 && !y.kanji && plausible_yyyymmdd(y.value))
			return y.b;
		if (y.kanji || y.ndig > 2 || !day_ok(&y))
			return 0;
		size_t end = day_month_year(r, &y);
		return end ? end : english_day_first(r, &y);
	}
	return english_month_first(r, i);
}

static void find_dates(struct red *r)
{
	for (size_t i = 0; i < r->len;) {
		size_t skip, end = date_at(r, i, &skip);
		if (end)
			mark(r, i, end, DATE);
		i = end ? end : skip;
	}
}

/* ---- postal addresses ----------------------------------------------------- */

static const char *const DASHES[] = {"-", "ー", "\xe2\x80\x90", "\xe2\x80\x91", "\xe2\x80\x92",
				     "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95", "\xe2\x88\x92"};
/* A place ends in one of these: 東京都, 船橋市, 本町, 大字山田 */
static const char *const PLACE_ENDS[] = {"都", "道", "府", "県", "市", "区", "町", "村", "郡", "字"};
/* ...and a place that can be followed by a bare number: 本町3, 山田村123 */
static const char *const TOWN_ENDS[] = {"町", "村"};
/* Words that come before a place name without a particle: 住所東京都... */
static const char *const PLACE_INTROS[] = {"現住所", "住所", "自宅", "実家", "宛先", "送付先"};
/* Words after a number that count something, so that it is no block
 * number: 1-2回目, 5-11歳, 市町村2か所 */
static const char *const COUNTERS[] = {"回", "歳", "才", "日", "か月", "か所", "か国", "ヶ", "ケ月",
				       "カ月", "箇", "月", "年", "時", "分", "秒", "人", "名", "週", "円",
				       "%", "度", "個", "本", "枚", "件", "階", "倍", "割", "錠", "位", "列",
				       "等", "次", "期", "mg", "ml", "cc", "kg", "cm", "つ"};

enum unit { U_NONE, U_CHOME, U_BANCHI, U_BAN, U_ROOM, U_GO };

struct place {
	size_t a;    /* where it starts (b when there is none) */
	int named;   /* it holds a place word: 県, 市, 町 ... */
	int town;    /* it ends in 町 or 村, or holds 字 (大字山田) */
};

/* The place name of kanji and katakana that ends at byte b; numbers
 * before 条 are part of it (札幌市中央区北1条西2丁目). */
static struct place place_before(const struct red *r, size_t b)
{
	struct place p = {.a = b};
	for (int cps = 0; p.a > 0 && cps < PLACE_MAX_CPS; cps++) {
		size_t q = prev_cp(r, p.a), n;
		enum script sc = script_at(r, q);
		if (sc != KANJI && sc != KATAKANA &&
		    !(numeral_kind(cp_at(r, q, &n)) && (at(r, p.a, "条") || numeral_kind(cp_at(r, p.a, &n)))))
			break;
		p.a = q;
	}
	size_t intro = AT_ANY(r, p.a, PLACE_INTROS);
	if (intro && p.a + intro < b)
		p.a += intro;
	for (size_t i = p.a; i < b; i = next_cp(r, i)) {
		p.named |= AT_ANY(r, i, PLACE_ENDS) != 0;
		p.town |= at(r, i, "字");
	}
	for (size_t k = 0; k < sizeof TOWN_ENDS / sizeof *TOWN_ENDS; k++)
		p.town |= ends_with(r, p.a, b, TOWN_ENDS[k]);
	return p;
}

static enum unit unit_at(const struct red *r, size_t i, size_t *n)
{
	static const struct { const char *w; enum unit u; } UNITS[] = {
		{"丁目", U_CHOME}, {"番地", U_BANCHI}, {"番目", U_NONE}, {"番", U_BAN},
		{"号室", U_ROOM}, {"号目", U_NONE}, {"号", U_GO},
	};
	for (size_t k = 0; k < sizeof UNITS / sizeof *UNITS; k++)
		if (at(r, i, UNITS[k].w)) {
			*n = strlen(UNITS[k].w);
			return UNITS[k].u;
		}
	return U_NONE;
}

/* What joins two numbers of a block: 1-2-3, 12番地の3 */
static size_t link_at(const struct red *r, size_t i)
{
	size_t n = AT_ANY(r, i, DASHES);
	return n ? n : at(r, i, "の") ? strlen("の") : 0;
}

/* The end of the block number at s[i] after the place p (1丁目2番3号,
 * 12番地の3, 1-2-3, 本町3), 0 if it is not one. */
static size_t block_end(const struct red *r, size_t i, const struct place *p)
{
	size_t j = i, end = i, groups = 0, links = 0, linked = 0, digits = 0;
	unsigned units = 0;
	int lead0 = 0, ban = 0;
	struct num x;
	int named = p->a < i;
	while (groups < BLOCK_MAX_GROUPS && num_at(r, j, &x) && x.value >= 0 && x.value <= 9999) {
		if (groups == 0)
			lead0 = x.lead0;
		if (ban)
			units |= 1u << U_BAN;  /* 2番3号: 番 with a number after it */
		links += linked;
		groups++;
		digits += x.ndig;
		j = end = x.b;
		size_t n = 0;
		enum unit u = unit_at(r, j, &n);
		if (n && u == U_NONE)  /* 2番目: an order, not a block */
			break;
		/* without a place, only 3丁目, 12番地 or 2番3号 are a block */
		if (!named && groups == 1 && u != U_CHOME && u != U_BANCHI && u != U_BAN)
			return 0;
		ban = u == U_BAN;
		if (u != U_NONE && u != U_BAN)
			units |= 1u << u;
		j = end = j + n;
		size_t l = link_at(r, j);
		linked = l && u == U_NONE;
		if (!l && u == U_NONE)
			break;
		j += l;
	}
	if (units & (1u << U_CHOME | 1u << U_BANCHI | 1u << U_BAN))
		return end;
	/* 2番窓口, 1-3番: a counter too */
	if (groups == 0 || ban || AT_ANY(r, end, COUNTERS))
		return 0;
	if ((units & (1u << U_ROOM)) && named)
		return end;
	/* 1-2-3 after a place; not 接種券番号1234-5678-90 */
	if (groups >= 3 && links == groups - 1 && !lead0 && named &&
	    (p->named || digits < NUMBER_MIN_DIGITS))
		return end;
	if (groups == 2 && links == 1 && !lead0 && p->named)
		return end;
	if (groups == 1 && units == 0 && p->town)
		return end;
	return 0;
}

/* A postal code at s[i]: 123-4567 or 1234567; its end or 0. */
static size_t postal_end(const struct red *r, size_t i)
{
	struct num a, b;
	if (!num_at(r, i, &a) || a.positional)
		return 0;
	if (a.ndig == 7)
		return a.b;
	size_t l = AT_ANY(r, a.b, DASHES);
	if (a.ndig != 3 || !l || !num_at(r, a.b + l, &b) || b.positional || b.ndig != 4)
		return 0;
	return b.b;
}

/* What may stand between a label (番号, 郵便番号) and its number. */
static size_t skip_fillers(const struct red *r, size_t i)
{
	static const char *const FILLERS[] = {" ", "は", ":", "が", "「", "『", "(", "、", "=", "#", "も",
					      "is"};
	for (int k = 0; k < FILLER_MAX; k++) {
		size_t n = AT_ANY(r, i, FILLERS);
		if (!n)
			break;
		i += n;
	}
	return i;
}

static void find_addresses(struct red *r)
{
	for (size_t i = 0; i < r->len;) {
		size_t end = 0, from = i;
		if (at(r, i, "〒")) {
			end = postal_end(r, skip_space(r, i + strlen("〒")));
		} else if (at(r, i, "郵便番号")) {
			from = skip_fillers(r, i + strlen("郵便番号"));
			end = postal_end(r, from);
		} else if (num_start(r, i)) {
			struct place p = place_before(r, i);
			end = block_end(r, i, &p);
			from = p.a;
			if (!end) {
				struct num x;
				num_at(r, i, &x);
				i = x.b;
				continue;
			}
		}
		if (end) {
			mark(r, from, end, ADDRESS);
			i = end;
		} else {
			i = next_cp(r, i);
		}
	}
}

/* ---- phone, ticket and other numbers in groups ---------------------------- */

/* Bytes of a separator between the groups of a phone or ticket number at
 * s[i], 0 if none. Residents write phone numbers with every dash the
 * keyboard offers, the long vowel mark included, read them out with の
 * (〇九〇の一二三四の五六七八), and type ticket numbers in groups of four.
 * A wave dash is a range (3000〜5000円), never a separator. */
static size_t group_sep(const struct red *r, size_t i)
{
	static const char *const SEPS[] = {"/", ".", " ", "(", ")", "・", "の"};
	size_t n = AT_ANY(r, i, DASHES);
	return n ? n : AT_ANY(r, i, SEPS);
}

static enum kind number_kind(size_t total, int lead0, int plus)
{
	if (total >= PHONE_MIN_DIGITS && total <= PHONE_MAX_DIGITS && (lead0 || plus))
		return PHONE;
	if (total == TICKET_DIGITS)
		return TICKET;
	if (total > PHONE_MAX_DIGITS && plus)
		return PHONE;
	return total >= NUMBER_MIN_DIGITS ? NUMBER : FREE;
}

static void find_numbers(struct red *r)
{
	for (size_t i = 0; i < r->len;) {
		struct num g, x;
		if (!num_start(r, i) || !num_at(r, i, &g)) {
			i = next_cp(r, i);
			continue;
		}
		if (g.positional) {
			i = g.b;
			continue;
		}
		size_t a = i, end = g.b, total = g.ndig, groups = 1;
		if (a > 0 && (r->s[a - 1] == '+' || r->s[a - 1] == '('))
			a--;
		int plus = r->s[a] == '+', years = year_ok(&g) && g.ndig == 4;
		for (;;) {
			size_t sl = group_sep(r, end), k = end + sl;
			if (!sl)
				break;
			if (r->s[end] == ')' && k < r->len && (r->s[k] == ' ' || r->s[k] == '-'))
				k++;  /* 03(1234) 5678 */
			if (!num_at(r, k, &x) || x.positional)
				break;
			/* Two numbers side by side stay two: 1234567890 090-1234-5678,
			 * 9876543210の2枚 */
			if (total >= PHONE_MIN_DIGITS || x.ndig >= PHONE_MIN_DIGITS)
				break;
			years &= year_ok(&x) && x.ndig == 4;
			total += x.ndig;
			groups++;
			end = x.b;
		}
		/* 2023-2024: a season, not a number */
		enum kind k = groups == 2 && years ? FREE : number_kind(total, g.lead0, plus);
		if (k != FREE)
			mark(r, a, end, k);
		i = end;
	}
}

/* ---- numbers after their label: 記号 12 番号 345 -------------------------- */

static void find_labelled_numbers(struct red *r)
{
	/* insurance cards' 記号, 番号 and 枝番; 受付番号, 予約番号 and the like;
	 * one digit is no secret (番号は7番窓口で) */
	static const char *const LABELS[] = {"記号", "番号", "枝番"};
	/* English labels need a longer number: "dose number 3" is no secret */
	static const char *const LATIN_LABELS[] = {"number", "no."};
	for (size_t i = 0; i < r->len;) {
		size_t n = AT_ANY(r, i, LABELS), min = 2;
		if (!n && (i == 0 || !is_alpha(r->s[i - 1])) && (n = AT_ANY(r, i, LATIN_LABELS)))
			min = 4;
		if (!n) {
			i = next_cp(r, i);
			continue;
		}
		size_t a = skip_fillers(r, i + n), b = a, digits = 0;
		/* a code of letters, digits and dashes, or a number in kanji */
		struct num x;
		if (num_at(r, a, &x) && x.kanji) {
			b = x.b;
			digits = x.ndig;
		} else {
			while (b < r->len && (is_alpha(r->s[b]) || is_ascii_digit(r->s[b]) ||
					      (r->s[b] == '-' && b > a))) {
				digits += is_ascii_digit(r->s[b]);
				b++;
			}
			while (b > a && r->s[b - 1] == '-')
				b--;
		}
		if (digits >= min)
			mark(r, a, b, NUMBER);
		i = b > a ? b : i + n;
	}
}

/* ---- names ---------------------------------------------------------------- */

static const char *const HONORIFICS[] = {"様", "さま", "さん", "ちゃん", "くん", "君", "殿"};
/* Words that begin with an honorific and are none: 様子, さまざま */
static const char *const NOT_HONORIFICS[] = {"様子", "様々", "様式", "様態", "様相", "さまざま"};
/* After an honorific in kana comes a particle, or no kana at all: in
 * おさまらない or にさんかいめ (2, 3回目) the kana go on as a word. */
static const char *const AFTER_KANA_HONORIFIC[] = {"の", "が", "は", "に", "へ", "と", "も", "で", "や",
						   "から", "より", "まで", "だ", "って", "ね", "よ"};
static const char *const VERB_KUN[] = {"です", "でしょ", "だ", "じゃ", "や", "?", "か"};
static const char *const LATIN_HONORIFICS[] = {"san", "sama", "chan", "kun"};

/* Words that come before an honorific and are not names: family members,
 * roles, "everyone", "many" (たくさん). Matched at the end of the run. */
static const struct word NOT_NAMES[] = {
	W("皆"), W("奥"), W("娘"), W("子"), W("息子"), W("父"), W("母"), W("兄"), W("姉"), W("弟"),
	W("妹"), W("祖父"), W("祖母"), W("孫"), W("客"), W("家族"), W("医者"), W("看護師"),
	W("保健師"), W("薬剤師"), W("患者"), W("妊婦"), W("先生"), W("職員"), W("担当者"),
	W("担当"), W("大家"), W("赤"), W("お隣"), W("隣"), W("市長"), W("町長"), W("村長"),
	W("区長"), W("知事"), W("社長"), W("部長"), W("課長"), W("所長"), W("院長"), W("園長"),
	W("校長"), W("店長"), W("同"), W("仕"), W("模"), W("多"), W("異"), W("王"), W("神"),
	W("陰"), W("疲れ"), W("苦労"), W("世話"), W("馳走"), W("互い"), W("おかげ"), W("ごちそう"),
	W("おつかれ"), W("ぎょう"), W("運転手"), W("店員"), W("駅員"), W("ヘルパー"), W("ケアマネ"),
	W("ケアマネージャー"), W("スタッフ"), W("ボランティア"), W("ドライバー"), W("オペレーター"),
	W("たく"), W("みな"), W("みんな"), W("おかあ"), W("おとう"), W("かあ"), W("とう"),
	W("おじい"), W("おばあ"), W("じい"), W("ばあ"), W("おじ"), W("おば"), W("おにい"),
	W("おねえ"), W("にい"), W("ねえ"), W("おく"), W("おこ"), W("むすこ"), W("むすめ"),
	W("あか"), W("いしゃ"), W("かんごし"), W("おいしゃ"), W("おきゃく"), W("きゃく"), W("ママ"),
	W("パパ"), W("ドクター"), W("ナース"), W("嫁"), W("婿"), W("夫"), W("妻"), W("主人"), W("旦那"),
	W("家内"), W("およめ"), W("よめ"), W("おむこ"), W("むこ"), W("だんな"), W("ごしゅじん"),
};

/* What residents say they are in "私は…です" that is no name: a state, a
 * role, a group the rules name. A word ending in one of STATE_ENDS is one
 * too (医療従事者, 会社員, 妊娠中, 接種済). */
static const struct word NOT_SELF[] = {
	W("心配"), W("不安"), W("対象"), W("対象外"), W("大丈夫"), W("健康"), W("元気"), W("無職"),
	W("高齢"), W("本人"), W("代理"), W("代理人"), W("家族"), W("外国人"), W("日本人"),
	W("大人"), W("成人"), W("社会人"), W("学生"), W("大学生"), W("高校生"), W("中学生"),
	W("小学生"), W("留学生"), W("独身"), W("無理"), W("平気"), W("初回"), W("未接種"),
	W("陽性"), W("陰性"), W("何"), W("誰"), W("男"), W("女"), W("男性"), W("女性"), W("予約"),
	W("質問"), W("相談"), W("希望"), W("必要"), W("不要"), W("同じ"), W("アレルギー"),
	W("ファイザー"), W("モデルナ"), W("ノババックス"), W("ワクチン"), W("アナフィラキシー"),
	W("漢字"), W("カタカナ"), W("本名"), W("旧姓"), W("通称"), W("ローマ"),
};
static const struct word STATE_ENDS[] = {
	W("者"), W("員"), W("婦"), W("師"), W("中"), W("済"), W("症"), W("病"), W("外"), W("内"),
	W("民"), W("性"), W("歳"), W("才"), W("回"), W("型"), W("的"), W("配"), W("象"), W("齢"),
	W("職"), W("児"), W("歴"), W("剤"), W("種"), W("券"), W("院"), W("所"), W("科"), W("室"),
	W("様"), W("達"), W("等"), W("用"), W("付"), W("期"), W("間"), W("後"), W("前"), W("人"),
};

static int not_self_name(const struct red *r, size_t a, size_t b);

/* The run is one of the words, or ends with one of two characters or more:
 * a single 子 ends many given names (花子) as well as お子さん. */
static int not_a_name(const struct red *r, size_t a, size_t b)
{
	for (size_t k = 0; k < sizeof NOT_SELF / sizeof *NOT_SELF; k++)
		if (is_list_word(r, a, b, &NOT_SELF[k]))  /* モデルナさん */
			return 1;
	for (size_t k = 0; k < sizeof NOT_NAMES / sizeof *NOT_NAMES; k++) {
		const struct word *w = &NOT_NAMES[k];
		if (ends_with_word(r, a, b, w) && (w->n == b - a || w->n >= 6))
			return 1;
	}
	return 0;
}

/* After 私は: a word a resident says of themself that is not their name. */
static int not_self_name(const struct red *r, size_t a, size_t b)
{
	for (size_t k = 0; k < sizeof STATE_ENDS / sizeof *STATE_ENDS; k++)
		if (ends_with_word(r, a, b, &STATE_ENDS[k]))
			return 1;
	return not_a_name(r, a, b);
}

/* The start of the run of code points of script sc that ends at byte b,
 * crossing single spaces between parts of a name (田中 太郎), at most
 * NAME_MAX_CPS back. */
static size_t run_start(const struct red *r, size_t b, enum script sc)
{
	size_t a = b;
	for (int cps = 0; a > 0 && cps < NAME_MAX_CPS; cps++) {
		size_t p = prev_cp(r, a);
		if (script_at(r, p) == sc)
			a = p;
		else if (r->s[p] == ' ' && p > 0 && a < b && script_before(r, p) == sc)
			a = p;
		else
			break;
	}
	return a;
}

/* The end of the run of script sc that starts at byte a, single spaces
 * inside, at most NAME_MAX_CPS on. */
static size_t run_end(const struct red *r, size_t a, enum script sc)
{
	size_t b = a;
	for (int cps = 0; b < r->len && cps < NAME_MAX_CPS; cps++) {
		if (script_at(r, b) == sc)
			b = next_cp(r, b);
		else if (r->s[b] == ' ' && b > a && script_at(r, b + 1) == sc)
			b++;
		else
			break;
	}
	return b;
}

static const char *const PARTICLES[] = {"が", "を", "に", "は", "も", "へ", "と", "で"};

/* The name in front of the honorific at byte h. */
static void name_before(struct red *r, size_t h)
{
	size_t b = h;
	if (b > 0 && r->s[b - 1] == '-')  /* tanaka-san */
		b--;
	else if (b > 1 && r->s[b - 1] == ' ')  /* 佐藤 一郎 様 */
		b--;
	enum script sc = script_before(r, b);
	if (sc == OTHER)
		return;
	size_t a = run_start(r, b, sc);
	if (sc == HIRAGANA) {
		/* 娘のはなこちゃん: the name starts after the last の */
		for (size_t k = a; k < b; k = next_cp(r, k))
			if (at(r, k, "の"))
				a = skip_space(r, k + strlen("の"));
		/* 顔がむくんで, 医療費もかさんで: kana that start with a particle
		 * after kanji and leave one kana are a verb's, not a name */
		size_t p = a > 0 && script_before(r, a) == KANJI ? AT_ANY(r, a, PARTICLES) : 0;
		if (p && (a + p == b || next_cp(r, a + p) == b))
			return;
		/* 田中ゆきさん: a kanji family name before a kana given name */
		if (a > 0 && script_before(r, a) == KANJI)
			a = run_start(r, a, KANJI);
	}
	if (a < b && !not_a_name(r, a, b))
		mark(r, a, b, NAME);
}

static void find_honorific_names(struct red *r)
{
	for (size_t i = 0; i < r->len; i++) {
		for (size_t k = 0; k < sizeof HONORIFICS / sizeof *HONORIFICS; k++) {
			if (!at(r, i, HONORIFICS[k]) || AT_ANY(r, i, NOT_HONORIFICS))
				continue;
			size_t e = i + strlen(HONORIFICS[k]);
			if (script_at(r, i) == HIRAGANA && script_at(r, e) == HIRAGANA &&
			    !AT_ANY(r, e, AFTER_KANA_HONORIFIC))
				continue;
			/* 続くんですか, 届くん?: a verb that ends in く */
			if (!strcmp(HONORIFICS[k], "くん") && script_before(r, i) == KANJI &&
			    (e == r->len || AT_ANY(r, e, VERB_KUN)))
				continue;
			/* ちゃんと ("properly") after kana is an adverb, not a name */
			if (!strcmp(HONORIFICS[k], "ちゃん") && at(r, i + strlen("ちゃん"), "と") &&
			    script_before(r, i) != KANJI)
				continue;
			name_before(r, i);
		}
		/* tanaka-san, tanaka sama, hanako chan */
		for (size_t k = 0; k < sizeof LATIN_HONORIFICS / sizeof *LATIN_HONORIFICS; k++) {
			if (!at(r, i, LATIN_HONORIFICS[k]))
				continue;
			size_t e = i + strlen(LATIN_HONORIFICS[k]);
			if (i > 1 && (r->s[i - 1] == '-' || r->s[i - 1] == ' ') && is_alpha(r->s[i - 2]) &&
			    (e == r->len || !is_alpha(r->s[e])))
				name_before(r, i);
		}
	}
}

/* "my name is john smith", "mr tanaka": one or two words after a. */
static size_t latin_name_end(const struct red *r, size_t a)
{
	static const char *const STOP[] = {"is", "said", "says", "and", "or", "the", "told", "will",
					   "can", "to", "at", "in", "on", "for", "from", "was", "has",
					   "had", "with", "not", "a", "an", "missing", "wrong", "spelled",
					   "written", "different", "changed", "but", "so", "please"};
	size_t b = a;
	for (int word = 0; word < 2; word++) {
		size_t w = b + (word ? 1 : 0), e = w;
		if (word && !at(r, b, " "))
			break;
		while (e < r->len && e - w < LATIN_NAME_MAX && is_alpha(r->s[e]))
			e++;
		int stop = e == w;
		for (size_t t = 0; t < sizeof STOP / sizeof *STOP && !stop; t++)
			stop = is_word(r, w, e, STOP[t]);
		if (stop)
			break;
		b = e;
	}
	return b;
}

/* Words after a name that say it is one whatever comes before them
 * (と申し込み is an application, not a name) ... */
static const char *const SAYS_NAME[] = {"と申します", "ともうします", "と申す者", "と申すもの"};
/* ...and words that do so after 私は only: 何といいますか is a question. */
static const char *const CALLED[] = {"といいます", "と言います", "っていいます", "って言います"};
static const char *const IS[] = {"です", "でございます"};
/* A resident speaking of themself: 私は山田です, 私、山田と申します. */
static const char *const SELF[] = {"私は", "わたしは", "わたくしは", "僕は", "ぼくは", "俺は",
				   "自分は", "私、", "わたし、", "私,"};
/* Greetings before a name at the start of a question: こんにちは、山田です。 */
static const char *const GREETINGS[] = {"こんにちは", "こんばんは", "おはようございます",
					"はじめまして", "初めまして", "もしもし", "お世話になります",
					"お世話になっております", "失礼します"};
/* The name of 名前は, 氏名は, which ends before one of ENDS or at the end. */
static const char *const NAME_INTROS[] = {"名前は", "氏名は", "名前:", "氏名:", "名前 ", "氏名 "};
static const char *const NAME_ENDS[] = {"です", "と", "。", "、", ",", ".", " ", "!", "?"};
/* Not "mr " (the MR vaccine), "ms " (multiple sclerosis) nor "miss " (to
 * miss an appointment). */
static const char *const LATIN_INTROS[] = {"name is ", "name's ", "name: ", "name:", "mr. ", "mrs. ",
					   "mrs ", "ms. ", "dr. ", "dr "};

/* The name that starts at a: a run of kanji, katakana or Latin letters
 * (single spaces inside), *sc its script; a when there is none. A name in
 * hiragana has no end but the words after it (…です), so it is a run of
 * hiragana that one of SAYS_NAME or IS ends. */
static size_t name_after(const struct red *r, size_t a, enum script *sc)
{
	*sc = script_at(r, a);
	if (*sc == KANJI || *sc == KATAKANA || *sc == LATIN)
		return run_end(r, a, *sc);
	if (*sc != HIRAGANA)
		return a;
	size_t b = a;
	for (int cps = 0; b < r->len && cps < NAME_MAX_CPS; cps++) {
		if (b > a && (AT_ANY(r, b, SAYS_NAME) || AT_ANY(r, b, CALLED) || AT_ANY(r, b, IS)))
			return b;
		if (script_at(r, b) != HIRAGANA)
			break;
		b = next_cp(r, b);
	}
	return a;
}

/* 私は山田太郎です, こんにちは、山田です。, 名前は鈴木です, my name is john smith */
static void find_introduced_names(struct red *r)
{
	for (size_t i = 0; i < r->len; i = next_cp(r, i)) {
		int word_start = i == 0 || !is_alpha(r->s[i - 1]);
		size_t n = word_start ? AT_ANY(r, i, LATIN_INTROS) : 0;
		if (n) {
			mark(r, i + n, latin_name_end(r, i + n), NAME);
			continue;
		}
		enum script sc;
		size_t a, b;
		if ((n = AT_ANY(r, i, NAME_INTROS))) {
			a = skip_space(r, i + n);
			b = name_after(r, a, &sc);
			int ends = b == r->len || AT_ANY(r, skip_space(r, b), NAME_ENDS) || sc == HIRAGANA;
			if (b > a && ends && !not_self_name(r, a, b))
				mark(r, a, b, NAME);
			continue;
		}
		if ((n = AT_ANY(r, i, SELF))) {
			a = skip_space(r, i + n);
			b = name_after(r, a, &sc);
			size_t t = skip_space(r, b);
			int says = AT_ANY(r, t, SAYS_NAME) || AT_ANY(r, t, CALLED);
			int is = AT_ANY(r, t, IS) != 0;
			if (b > a && (says || (is && sc != HIRAGANA && !not_self_name(r, a, b))))
				mark(r, a, b, NAME);
			continue;
		}
		/* 山田です。 or こんにちは、山田です。 at the start */
		if (i == 0) {
			static const char *const PAUSES[] = {"、", "。", "!", ","};
			a = AT_ANY(r, 0, GREETINGS);
			a = skip_space(r, a ? a + AT_ANY(r, a, PAUSES) : 0);
			b = name_after(r, a, &sc);
			size_t t = skip_space(r, b), is = AT_ANY(r, t, IS);
			if (b > a && is && sc != HIRAGANA && !not_self_name(r, a, b) &&
			    (t + is == r->len || at(r, t + is, "、") || at(r, t + is, "。") ||
			     at(r, t + is, ",") || at(r, t + is, "!") || at(r, t + is, " ")))
				mark(r, a, b, NAME);
		}
	}
}

/* 山田と申します, やまだともうします: the name before the words. */
static void find_said_names(struct red *r)
{
	for (size_t i = 0; i < r->len; i = next_cp(r, i)) {
		if (i == 0 || !AT_ANY(r, i, SAYS_NAME))
			continue;
		size_t b = i > 1 && r->s[i - 1] == ' ' ? i - 1 : i;
		enum script sc = script_before(r, b);
		if (sc == OTHER)
			continue;
		size_t a = run_start(r, b, sc);
		/* 私山田と申します, わたしはやまだともうします */
		size_t self = AT_ANY(r, a, SELF);
		if (!self && at(r, a, "私"))
			self = strlen("私");
		if (self && a + self < b)
			a += self;
		if (sc == HIRAGANA && !self) {
			/* 田中ゆきと申します; but 見当たらないと申します is what
			 * someone said: a name in kana starts the question or a clause */
			if (a > 0 && script_before(r, a) == KANJI)
				a = run_start(r, a, KANJI);
			if (a > 0 && !ends_with(r, 0, a, "、") && !ends_with(r, 0, a, "。") &&
			    !ends_with(r, 0, a, " ") && !ends_with(r, 0, a, ","))
				continue;
		}
		if (a < b && !not_self_name(r, a, b))
			mark(r, a, b, NAME);
	}
}

/* ---- whatever long number is left ---------------------------------------- */

static void find_long_numbers(struct red *r)
{
	for (size_t i = 0; i < r->len;) {
		struct num x;
		if (!num_at(r, i, &x)) {
			i = next_cp(r, i);
			continue;
		}
		if (x.ndig >= NUMBER_MIN_DIGITS)
			mark(r, i, x.b, NUMBER);
		i = x.b;
	}
}

/* ---- the whole ----------------------------------------------------------- */

int nlp_redact(const char *text, size_t len, char **out, size_t *out_len, char *err)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (len >= (SIZE_MAX - 1) / NLP_REDACT_MAX_GROWTH)
		return mg_fail(err, MG_ERR_TOO_LONG, "the text is too long to redact");
	struct red r = {text, len, calloc(len + 1, 1)};
	if (!r.lab)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	/* Most specific first: an e-mail holds digits, a date and an address
	 * hold numbers, a name's honorific may follow any of them. Dates,
	 * addresses and numbers each start from a numeral (num_at, num_start):
	 * a text without one (most questions) is not read for them. */
	int numerals = has_numeral(&r);
	find_emails(&r);
	if (numerals) {
		find_dates(&r);
		find_addresses(&r);
		find_numbers(&r);
		find_labelled_numbers(&r);
	}
	find_introduced_names(&r);
	find_said_names(&r);
	find_honorific_names(&r);
	if (numerals)
		find_long_numbers(&r);

	/* A run of bytes of one label becomes its placeholder. */
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (r.lab[i] == FREE)
			n++;
		else if (i == 0 || r.lab[i - 1] != r.lab[i])
			n += strlen(PLACEHOLDER[r.lab[i]]);
	}
	char *buf = malloc(n + 1);
	if (!buf) {
		free(r.lab);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	size_t w = 0;
	for (size_t i = 0; i < len; i++) {
		if (r.lab[i] == FREE) {
			buf[w++] = text[i];
		} else if (i == 0 || r.lab[i - 1] != r.lab[i]) {
			size_t pl = strlen(PLACEHOLDER[r.lab[i]]);
			memcpy(buf + w, PLACEHOLDER[r.lab[i]], pl);
			w += pl;
		}
	}
	buf[w] = 0;
	free(r.lab);
	*out = buf;
	if (out_len)
		*out_len = w;
	return MG_OK;
}
