/* What the event log keeps of a resident's question: every kind of personal
 * data in tests/unit/data/redact_cases.tsv comes out as its placeholder, the
 * rest of the question as typed, and no input, however long or odd, holds
 * the redaction up. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"
#include "nlp/redact.h"

#include <stdlib.h>
#include <time.h>

/* The corpus must hold at least this many cases, and of each kind (and of
 * questions to keep as typed) at least KIND_MIN. */
#define CORPUS_MIN 200
#define KIND_MIN   10
/* A run of digits this long (in characters) is redacted within
 * LONG_RUN_MAX_MS of the thread's CPU time, under the sanitizers too; a
 * quadratic pass would take minutes. CPU time, not the wall clock: on a
 * machine busy with other work the wall clock doubled the 200 ms these take
 * under the sanitizers, and failed runs that were linear. */
#define LONG_RUN_CHARS  100000
#define LONG_RUN_MAX_MS 1000

/* raw as the log stores it: normalised, then redacted (malloc'd). */
static char *logged(const char *raw, size_t len)
{
	char err[MG_ERR_LEN], *norm = NULL, *clean = NULL;
	size_t n = 0;
	if (nlp_normalise(raw, len, &norm, &n, err) != MG_OK ||
	    nlp_redact(norm, n, &clean, NULL, err) != MG_OK)
		test_fail(__FILE__, __LINE__, err);
	free(norm);
	return clean;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

TEST(redact, every_case_of_the_corpus_comes_out_as_recorded)
{
	static const char *const KINDS[] = {NLP_REDACT_TICKET, NLP_REDACT_PHONE, NLP_REDACT_EMAIL,
					    NLP_REDACT_DATE, NLP_REDACT_ADDRESS, NLP_REDACT_NUMBER,
					    NLP_REDACT_NAME};
	size_t len, cases = 0, per_kind[sizeof KINDS / sizeof *KINDS] = {0}, kept = 0;
	char *data = fixture_read("tests/unit/data/redact_cases.tsv", &len);
	int line = 0;
	for (char *p = data, *next; p && *p; p = next) {
		line++;
		next = strchr(p, '\n');
		if (next)
			*next++ = 0;
		if (*p == 0 || *p == '#')
			continue;
		char *tab = strchr(p, '\t'), m[600];
		if (!tab) {
			snprintf(m, sizeof m, "redact_cases.tsv:%d: no tab", line);
			test_fail(__FILE__, __LINE__, m);
			continue;
		}
		*tab = 0;
		const char *want = tab + 1;
		char *got = logged(p, strlen(p));
		if (!got || strcmp(got, want)) {
			snprintf(m, sizeof m, "redact_cases.tsv:%d: \"%.150s\" gave \"%.150s\", not \"%.150s\"",
				 line, p, got ? got : "(null)", want);
			test_fail(__FILE__, __LINE__, m);
		}
		free(got);
		cases++;
		int any = 0;
		for (size_t k = 0; k < sizeof KINDS / sizeof *KINDS; k++)
			if (strstr(want, KINDS[k])) {
				per_kind[k]++;
				any = 1;
			}
		kept += !any;
	}
	free(data);
	CHECK(cases >= CORPUS_MIN);
	CHECK(kept >= KIND_MIN);
	for (size_t k = 0; k < sizeof KINDS / sizeof *KINDS; k++)
		if (per_kind[k] < KIND_MIN) {
			char m[100];
			snprintf(m, sizeof m, "only %zu cases of %s", per_kind[k], KINDS[k]);
			test_fail(__FILE__, __LINE__, m);
		}
}

/* The code points in s. */
static size_t cps(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* The issue's loop: 65 digits or more of any kind stopped the redaction. */
TEST(redact, a_long_run_of_digits_of_any_kind_is_hidden_in_well_under_a_second)
{
	static const char *const DIGITS[] = {
		"7", "７", "⑦", "⁷",                /* ASCII, full-width, circled, superscript */
		"七", "〇一二三四五六七八九",         /* kanji numerals */
		"①⑳", "１2³", "٧",                 /* mixed; Arabic-Indic, which NFKC keeps */
	};
	for (size_t k = 0; k < sizeof DIGITS / sizeof *DIGITS; k++) {
		size_t unit = strlen(DIGITS[k]), reps = LONG_RUN_CHARS / cps(DIGITS[k]), n = 0;
		char *q = malloc(reps * unit + 32);
		REQUIRE(q);
		n += (size_t)sprintf(q, "接種券");
		for (size_t c = 0; c < reps; c++, n += unit)
			memcpy(q + n, DIGITS[k], unit);
		n += (size_t)sprintf(q + n, "です");
		struct timespec t0;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		char *got = logged(q, n);
		double ms = ms_since(&t0);
		char m[200];
		snprintf(m, sizeof m, "%s x %zu: %.0f ms, \"%.40s\"", DIGITS[k], reps, ms, got ? got : "");
		if (ms > LONG_RUN_MAX_MS || !got || strcmp(got, "接種券<NUMBER>です"))
			test_fail(__FILE__, __LINE__, m);
		free(got);
		free(q);
	}
}

/* Each finder on the shape that would make it go back over the text: the
 * same text many times over takes time in proportion to its length. */
TEST(redact, no_shape_of_input_makes_the_redaction_slow)
{
	static const char *const SHAPES[] = {
		"1-", "1 ", "1の", "0-1234-", "12/", "1.2.", "a@", "@a.", "a.", "a アットマーク b ドット ",
		"さん", "様", "ちゃんと", "たなかさん", "私は", "私は山田です", "と申します", "山田と申します",
		"名前は", "my name is ", "mr. ", "1丁目", "1-2-", "北1条", "〒1", "郵便番号", "番号", "記号12",
		"昭和", "昭和1年", "s1.", "may 1, ", "1st may ", "1年1月", "千", "一二", "\x80", "\xe3\x81",
		"\xf0\x9f", "十十", "町1", "字1", "か", "ー1",
	};
	char err[MG_ERR_LEN];
	for (size_t k = 0; k < sizeof SHAPES / sizeof *SHAPES; k++) {
		size_t unit = strlen(SHAPES[k]), reps = LONG_RUN_CHARS / unit + 1, n = 0;
		char *q = malloc(reps * unit + 1), *got = NULL;
		REQUIRE(q);
		for (size_t c = 0; c < reps; c++, n += unit)
			memcpy(q + n, SHAPES[k], unit);
		/* as bytes: the redaction takes any, not only normalised text */
		struct timespec t0;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		int rc = nlp_redact(q, n, &got, NULL, err);
		double ms = ms_since(&t0);
		if (rc != MG_OK || ms > LONG_RUN_MAX_MS) {
			char m[200];
			snprintf(m, sizeof m, "\"%s\" x %zu: %.0f ms (%s)", SHAPES[k], reps, ms,
				 mg_strerror(rc));
			test_fail(__FILE__, __LINE__, m);
		}
		free(got);
		free(q);
	}
}

TEST(redact, the_output_is_its_placeholders_and_the_bytes_around_them)
{
	char err[MG_ERR_LEN], *out = NULL;
	size_t n = 99;
	/* nothing to hide: the same bytes */
	REQUIRE(nlp_redact("", 0, &out, &n, err) == MG_OK);
	CHECK_STR(out, "");
	CHECK(n == 0);
	free(out);
	/* a NUL inside is a byte like any other */
	REQUIRE(nlp_redact("a\0b", 3, &out, &n, err) == MG_OK);
	CHECK(n == 3 && !memcmp(out, "a\0b", 4));
	free(out);
	/* two kinds side by side: both placeholders */
	REQUIRE(nlp_redact("taro@example.jp 090-1234-5678", 29, &out, &n, err) == MG_OK);
	CHECK_STR(out, "<EMAIL> <PHONE>");
	CHECK(n == strlen(out));
	free(out);
}
